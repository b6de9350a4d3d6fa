"""Write the tutorial's made-up data, next to this file (docs/tutorial.md).

  leads.csv   60 leads of last quarter: id (T01..T60), email, job_level,
              Employees, and became_customer (yes/no), the outcome the
              backtest reads (scoring ignores the column)
  events.csv  what they did in the year before 2026-11-20T00:00:00Z:
              lead_id,type,at,url,campaign; shuffled, with one event after
              that date and two of a type the model does not declare

The outcome is drawn from an invented logistic model of the same signals the
tutorial's model scores, plus noise, so a backtest has something to find. It
says nothing about real leads. Standard library only and deterministic:
running it twice writes the same bytes.

    python docs/tutorial/make_data.py
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
rng = random.Random(20261120)

COMPANIES = [("northwind.com", 5200), ("contoso.com", 780), ("fabrikam.io", 320), ("initech.com", 210),
             ("globex.com", 640), ("brightwave.io", 95), ("cobaltsoft.com", 45), ("datanest.ai", 60),
             ("helios.de", 870), ("bluepeak.io", 140)]
WEBMAIL = ["gmail.com", "yahoo.com", "outlook.com"]
LEVELS = ["C-level", "Director", "Project Manager", "Assistant", "Manager", "N/A", ""]
NAMES = ["ada", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lu"]
PAGES = ["/", "/blog", "/pricing", "/docs", "/customers"]
CAMPAIGNS = ["oct-newsletter", "nov-newsletter", "launch", "webinar-invite"]


def when(days_ago: float) -> str:
    return (NOW - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> None:
    leads, events = [], []
    for n in range(1, 61):
        lead_id = f"T{n:02d}"
        if rng.random() < 0.2:
            domain, employees = rng.choice(WEBMAIL), ""
        else:
            domain, size = rng.choice(COMPANIES)
            employees = str(size)
        level = rng.choice(LEVELS)
        email = f"{rng.choice(NAMES)}{n}@{domain}"
        activity = rng.random()                       # how engaged this lead is
        signal = 0.0
        signal += {"C-level": 1.2, "Director": 0.8, "Project Manager": 0.6}.get(level, 0.0)
        signal += 0.8 if employees and 100 <= int(employees) <= 999 else 0.0
        signal -= 0.8 if domain in WEBMAIL else 0.0
        for _ in range(int(activity * 12)):
            events.append((lead_id, "page_view", when(rng.uniform(0, 120)), rng.choice(PAGES), ""))
        for _ in range(int(activity * 5)):
            events.append((lead_id, "email_open", when(rng.uniform(0, 150)), "", rng.choice(CAMPAIGNS)))
        if activity > 0.7:
            for _ in range(3):
                events.append((lead_id, "page_view", when(rng.uniform(0, 6)), "/pricing", ""))
            signal += 0.8
        if activity > 0.55 and rng.random() < 0.6:
            events.append((lead_id, "demo_request", when(rng.uniform(0, 100)), "", ""))
            signal += 1.2
        signal += 1.5 * activity
        converted = rng.random() < 1 / (1 + math.exp(-(signal - 2.0) * 1.1))
        leads.append((lead_id, email, level, employees, "yes" if converted else "no"))
    events.append(("T03", "demo_request", when(-2), "", ""))             # after now: ignored
    events.append(("T05", "chat_started", when(3), "", ""))              # undeclared: ignored
    events.append(("T11", "chat_started", when(40), "", ""))
    rng.shuffle(events)
    with open(HERE / "leads.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "email", "job_level", "Employees", "became_customer"])
        writer.writerows(leads)
    with open(HERE / "events.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lead_id", "type", "at", "url", "campaign"])
        writer.writerows(events)


if __name__ == "__main__":
    main()
