"""Generate the example data for examples/b2b.score.

Writes, next to this file:

  leads.csv   about 300 leads: `id` (L1, L2, ...) and one column per field
              of b2b.score (the `from` column name where a field has one)
  events.csv  their activity over the year before 2026-11-20T00:00:00Z:
              lead_id,type,at,url,seconds,campaign,form,webinar

The data is made up but shaped like a real CRM export: people at about 40
company domains (several per company, so accounts have 1 to 6 leads), some
on private webmail, a couple at a competitor, some students, blanks and
"N/A" placeholders, mixed case and stray spaces. A few events lie after
2026-11-20 and a few are of a type the model does not declare
(`chat_started`); the events are shuffled, not grouped by lead.

Lead L7 is a strong lead on purpose (C-level at a large target account,
recent demo request, pricing views), so `leadscore explain ... --lead L7`
has something to show.

Standard library only, and deterministic: running it twice writes the same
bytes.

    python examples/b2b/generate.py
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
N_LEADS = 300

rng = random.Random(20261120)

# --------------------------------------------------------------------------
# Companies: (domain, employees, country). The first ten are in
# examples/target_accounts.txt.
# --------------------------------------------------------------------------

COMPANIES = [
    ("northwind-logistics.com", 5200, "United States"),
    ("contoso.com", 780, "United States"),
    ("fabrikam.io", 320, "United Kingdom"),
    ("tailspin-travel.com", 1450, "Canada"),
    ("globex-industries.com", 640, "United States"),
    ("initech.com", 210, "United States"),
    ("wayne-enterprises.com", 12000, "United States"),
    ("umbrella-health.com", 2300, "Germany"),
    ("brightwave.io", 95, "Netherlands"),
    ("helios-energy.de", 870, "Germany"),
    # not on the target list
    ("acme-analytics.com", 560, "United States"),
    ("bluepeak.io", 140, "United States"),
    ("cobaltsoft.com", 45, "United Kingdom"),
    ("datanest.ai", 60, "United States"),
    ("evergreen-foods.com", 3400, "Canada"),
    ("fjordtech.no", 230, "Norway"),
    ("granite-bank.com", 8800, "United States"),
    ("harborview-media.com", 75, "United States"),
    ("ironclad-security.com", 410, "United States"),
    ("juniper-retail.co.uk", 1900, "United Kingdom"),
    ("kestrel-labs.com", 25, "United States"),
    ("lumen-insights.com", 180, "France"),
    ("maplecrest.ca", 520, "Canada"),
    ("nimbusworks.io", 300, "United States"),
    ("orbital-freight.com", 990, "Netherlands"),
    ("pinecone-hr.com", 12, "United States"),
    ("quasar-pharma.com", 4100, "Switzerland"),
    ("redwood-legal.com", 130, "United States"),
    ("silverline-telecom.com", 7600, "Spain"),
    ("tidal-robotics.com", 350, "Germany"),
    ("upland-farms.com", 85, "Australia"),
    ("vertex-consulting.com", 600, "United Kingdom"),
    ("willow-education.org", 250, "United States"),
    ("xenon-gaming.com", 110, "Japan"),
    ("yellowstone-insurance.com", 2700, "United States"),
    ("zephyr-mobility.com", 480, "France"),
    ("atlas-manufacturing.com", 1300, "India"),
    ("beacon-nonprofit.org", 40, "United States"),
    ("clearpath-logistics.com", 700, "Brazil"),
    ("deltaforge.io", 150, "Singapore"),
    ("emberline.com", 820, "United States"),
    ("foxglove-design.com", 30, "United Kingdom"),
    ("gulfstream-shipping.com", 1600, "United States"),
    ("hyperion-cloud.io", 270, "Ireland"),
]

PERSONAL_DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com",
                    "hotmail.com", "outlook.com", "icloud.com"]
EDU_DOMAINS = ["stateuniversity.edu", "techinstitute.edu", "westcollege.edu"]
COMPETITOR = "rival.com"

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
         "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony",
         "Sandra", "Mark", "Ashley", "Priya", "Emily", "Steven", "Kimberly", "Andrew", "Donna",
         "Kenji", "Michelle", "Joshua", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Lars",
         "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Sharon", "Aisha",
         "Laura", "Ryan", "Cynthia", "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Ingrid",
         "Eric", "Angela", "Jonathan", "Helen", "Stephen", "Anna", "Larry", "Brenda", "Justin",
         "Pamela", "Fatima", "Nicole", "Sofia", "Mateo", "Chen", "Olga", "Raj", "Yuki"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
        "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
        "Roberts", "Patel", "Schmidt", "Muller", "Dubois", "Tanaka", "Okafor", "Kowalski",
        "Johansson", "Rossi", "Novak"]

LEVELS = ["C-level", "VP", "Director", "Manager", "Assistant", "Intern"]
LEVEL_WEIGHTS = [8, 12, 20, 35, 15, 10]

DEPARTMENTS = ["Marketing", "Sales", "IT", "Engineering", "Operations", "Finance", "HR",
               "Customer Success", "Legal"]
DEPT_WEIGHTS = [26, 18, 14, 12, 9, 7, 6, 5, 3]

C_TITLES = {
    "Marketing": ["CMO", "Chief Marketing Officer"],
    "Sales": ["Chief Revenue Officer", "CRO"],
    "IT": ["CIO", "Chief Information Officer"],
    "Engineering": ["CTO", "Co-founder & CTO"],
    "Operations": ["COO", "Chief Operating Officer"],
    "Finance": ["CFO", "Chief Financial Officer"],
    "HR": ["Chief People Officer"],
    "Customer Success": ["Chief Customer Officer"],
    "Legal": ["General Counsel"],
}
DEPT_WORD = {
    "Marketing": "Marketing", "Sales": "Sales", "IT": "IT", "Engineering": "Engineering",
    "Operations": "Operations", "Finance": "Finance", "HR": "People",
    "Customer Success": "Customer Success", "Legal": "Legal",
}

URLS = ["/", "/pricing", "/pricing", "/docs", "/docs/getting-started", "/docs/api",
        "/docs/integrations/salesforce", "/blog/lead-scoring-101", "/blog/intent-data",
        "/blog/abm-playbook", "/blog/churn-signals", "/customers", "/customers/contoso",
        "/features", "/features/scoring", "/integrations", "/security", "/roadmap",
        "/about", "/careers"]
URL_WEIGHTS = [14, 6, 6, 5, 4, 3, 2, 6, 5, 4, 3, 4, 2, 6, 4, 3, 2, 2, 2, 2]

CAMPAIGNS = ["jan-newsletter", "mar-product-update", "may-newsletter", "q2-launch",
             "jul-newsletter", "q3-roadmap-invite", "sep-case-study", "oct-product-update",
             "nov-newsletter", "pricing-change-2027"]
FORMS = ["newsletter", "newsletter", "whitepaper", "whitepaper", "ebook-abm",
         "webinar-registration", "contact-sales", "trial-signup"]
WEBINARS = ["q3-roadmap", "q3-roadmap", "abm-masterclass", "q2-launch", "security-101"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def past(t: dt.datetime) -> dt.datetime:
    """t, or an hour before NOW if t is not in the past (only the few
    deliberate future events lie after NOW)."""
    return t if t < NOW else NOW - dt.timedelta(hours=1)


def days_ago(d: float) -> dt.datetime:
    """A time d days before NOW, during (roughly) working hours."""
    t = NOW - dt.timedelta(days=d)
    t = t.replace(hour=rng.randint(7, 19), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    if t >= NOW:  # keep "d days ago" strictly in the past
        t -= dt.timedelta(days=1)
    return t


def messy(value: str, p: float = 0.06) -> str:
    """Sometimes change the case or add stray spaces, as people type."""
    if not value or rng.random() >= p:
        return value
    choice = rng.randrange(4)
    if choice == 0:
        return value.upper()
    if choice == 1:
        return value.lower()
    if choice == 2:
        return " " + value
    return value + "  "


def make_title(level: str, dept: str) -> str:
    word = DEPT_WORD[dept]
    if level == "C-level":
        titles = C_TITLES[dept]
        if rng.random() < 0.25:
            titles = titles + ["Founder & CEO", "CEO"]
        return rng.choice(titles)
    if level == "VP":
        return rng.choice([f"VP {word}", f"VP of {word}", f"Vice President, {word}"])
    if level == "Director":
        return rng.choice([f"Director of {word}", f"{word} Director", f"Head of {word}"])
    if level == "Manager":
        return rng.choice([f"{word} Manager", f"Senior {word} Manager", f"{word} Team Lead",
                           f"Head of {word} Ops"])
    if level == "Assistant":
        return rng.choice([f"{word} Assistant", f"{word} Coordinator", "Executive Assistant"])
    return rng.choice([f"{word} Intern", f"Summer Intern, {word}"])


def phone_for(country: str) -> str:
    code = {"United States": "+1", "Canada": "+1", "United Kingdom": "+44", "Germany": "+49",
            "France": "+33", "Netherlands": "+31", "Norway": "+47", "Switzerland": "+41",
            "Spain": "+34", "Australia": "+61", "Japan": "+81", "India": "+91",
            "Brazil": "+55", "Singapore": "+65", "Ireland": "+353"}.get(country, "+1")
    return f"{code} {rng.randint(200, 989)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


# --------------------------------------------------------------------------
# leads
# --------------------------------------------------------------------------

LEAD_COLUMNS = ["id", "email", "title", "job_level", "department", "Number of Employees",
                "country", "phone", "Email Opt Out", "signed_up", "last_login"]


def company_slots() -> list[tuple[str, int, str]]:
    """One entry per lead seat at a company: accounts of 1 to 6 leads."""
    sizes = [1, 2, 3, 3, 4, 5, 5, 6, 6, 6]
    slots = []
    for domain, employees, country in COMPANIES:
        n = rng.choice(sizes)
        if domain == "northwind-logistics.com":
            n = 5  # L7's company: a real buying committee
        slots += [(domain, employees, country)] * n
    return slots


def build_leads() -> list[dict]:
    slots = company_slots()
    kinds = [("company", s) for s in slots]
    kinds += [("competitor", (COMPETITOR, 900, "United States"))] * 2
    kinds += [("edu", None)] * 9
    while len(kinds) < N_LEADS:
        kinds.append(("personal", None))
    kinds = kinds[:N_LEADS]
    rng.shuffle(kinds)

    # L7 (index 6) is the showcase lead: put a northwind seat there.
    nw = next(i for i, k in enumerate(kinds) if k[0] == "company" and k[1][0] == "northwind-logistics.com")
    kinds[6], kinds[nw] = kinds[nw], kinds[6]

    used_locals: set[tuple[str, str]] = set()
    leads = []
    for i, (kind, info) in enumerate(kinds, start=1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
        dept = rng.choices(DEPARTMENTS, DEPT_WEIGHTS)[0]
        title = make_title(level, dept)
        employees = ""
        country = ""

        if kind == "company" or kind == "competitor":
            domain, emp, country = info
            employees = str(emp)
        elif kind == "edu":
            domain = rng.choice(EDU_DOMAINS)
            level = rng.choice(["Intern", "", "N/A"])
            title = rng.choice(["Student", "MBA Student", "PhD student", "Graduate Student, Marketing"])
            dept = rng.choice(["", "Marketing", ""])
            country = "United States"
        else:  # private webmail: freelancers, small businesses, job seekers, students
            domain = rng.choice(PERSONAL_DOMAINS)
            country = rng.choice(["United States", "United States", "India", "United Kingdom",
                                  "Brazil", "Germany", "Nigeria", ""])
            if rng.random() < 0.5:
                employees = str(rng.choice([1, 1, 2, 5, 10, 20, 35]))
            if rng.random() < 0.15:
                title = rng.choice(["Student", "Marketing student", "Freelance consultant"])
                level = ""

        local = f"{first}.{last}".lower()
        if kind == "company" and rng.random() < 0.03:
            local = rng.choice(["info", "sales", "contact", "hello"])  # shared inboxes
        n = 2
        base = local
        while (local, domain) in used_locals:
            local = f"{base}{n}"
            n += 1
        used_locals.add((local, domain))
        email = f"{local}@{domain}"
        if rng.random() < 0.05:
            email = f"{local.title()}@{domain.capitalize()}"  # people type capitals
        if rng.random() < 0.03:
            email = " " + email + " "

        # blanks and placeholders, as in a real export
        r = rng.random()
        if r < 0.06:
            level = "N/A"
        elif r < 0.08:
            level = "-"
        elif r < 0.12:
            level = ""
        if rng.random() < 0.06:
            dept = ""
        if rng.random() < 0.04:
            title = ""
        if employees and rng.random() < 0.05:
            employees = rng.choice(["N/A", ""])
        elif employees and rng.random() < 0.05:
            employees = f" {employees}"

        phone = phone_for(country) if rng.random() < 0.55 else ""
        opt_out = rng.choices(["No", "Yes", "yes", "no", ""], [78, 10, 2, 5, 5])[0]

        signed_up = ""
        last_login = ""
        if rng.random() < 0.45:
            start = NOW - dt.timedelta(days=rng.randint(1, 330))
            signed_up = start.strftime("%Y-%m-%d")
            if rng.random() < 0.8:
                since = (NOW - start).days
                login = days_ago(rng.uniform(0.05, max(0.1, min(since, 120))))
                if login < start:
                    login = start + dt.timedelta(hours=rng.randint(1, 20))
                if rng.random() < 0.15:
                    last_login = login.strftime("%Y-%m-%dT%H:%M:%S")  # no offset: UTC
                else:
                    last_login = iso(login)

        leads.append({
            "id": f"L{i}",
            "email": email,
            "title": messy(title),
            "job_level": messy(level),
            "department": messy(dept),
            "Number of Employees": employees,
            "country": messy(country, 0.03),
            "phone": phone,
            "Email Opt Out": opt_out,
            "signed_up": signed_up,
            "last_login": last_login,
        })

    # The showcase lead.
    leads[6].update({
        "email": "grace.hopper@northwind-logistics.com",
        "title": "Chief Marketing Officer",
        "job_level": "C-level",
        "department": "Marketing",
        "Number of Employees": "5200",
        "country": "United States",
        "phone": "+1 312 555 0107",
        "Email Opt Out": "No",
        "signed_up": "2026-11-11",
        "last_login": "2026-11-19T16:42:10Z",
    })
    return leads


# --------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------

EVENT_COLUMNS = ["lead_id", "type", "at", "url", "seconds", "campaign", "form", "webinar"]


def ev(lead_id: str, kind: str, t: dt.datetime, **attrs) -> dict:
    row = {c: "" for c in EVENT_COLUMNS}
    row.update(lead_id=lead_id, type=kind, at=iso(t))
    for k, v in attrs.items():
        row[k] = "" if v is None else str(v)
    return row


def age(level: str) -> float:
    """Age in days of one event, for a lead of this activity level."""
    if level == "hot":
        return rng.choice([rng.uniform(0.1, 14), rng.uniform(0.1, 45), rng.uniform(0, 200)])
    if level == "active":
        return rng.choice([rng.uniform(0.2, 30), rng.uniform(5, 120), rng.uniform(0, 300)])
    if level == "light":
        return rng.uniform(3, 360)
    return rng.uniform(100, 364)  # lapsed: nothing in the last 90+ days


def page_view(lead_id: str, t: dt.datetime, url: str | None = None) -> dict:
    url = url or rng.choices(URLS, URL_WEIGHTS)[0]
    seconds = "" if rng.random() < 0.04 else int(rng.lognormvariate(3.8, 0.9))
    if rng.random() < 0.04:
        url = url + "?utm_source=newsletter"
    return ev(lead_id, "page_view", t, url=url, seconds=seconds)


def lead_events(lead: dict) -> list[dict]:
    lid = lead["id"]
    domain = lead["email"].strip().rsplit("@", 1)[-1].lower()
    weights = {"none": 12, "lapsed": 13, "light": 35, "active": 28, "hot": 12}
    if domain in PERSONAL_DOMAINS or domain.endswith(".edu"):
        weights.update(hot=4, active=20, light=40)
    level = rng.choices(list(weights), list(weights.values()))[0]
    if level == "none":
        return []
    n = {"lapsed": rng.randint(1, 6), "light": rng.randint(2, 10),
         "active": rng.randint(8, 25), "hot": rng.randint(20, 45)}[level]
    out = []
    for _ in range(n):
        t = days_ago(age(level))
        kind = rng.choices(["page_view", "email_open", "email_click", "form_submit",
                            "webinar_attended", "chat_started"],
                           [60, 22, 8, 5, 2, 2])[0]
        if kind == "page_view":
            out.append(page_view(lid, t))
        elif kind == "email_open":
            camp = rng.choice(CAMPAIGNS)
            out.append(ev(lid, "email_open", t, campaign=camp))
            if rng.random() < 0.3:  # people open the same e-mail again
                out.append(ev(lid, "email_open", past(t + dt.timedelta(hours=rng.randint(1, 30))),
                              campaign=camp))
        elif kind == "email_click":
            out.append(ev(lid, "email_click", t, campaign=rng.choice(CAMPAIGNS)))
        elif kind == "form_submit":
            out.append(ev(lid, "form_submit", t, form=rng.choice(FORMS)))
        elif kind == "webinar_attended":
            out.append(ev(lid, "webinar_attended", t, webinar=rng.choice(WEBINARS)))
        else:
            out.append(ev(lid, "chat_started", t))  # not declared in the model: ignored, counted
    if level in ("active", "hot") and rng.random() < (0.25 if level == "active" else 0.6):
        form_t = days_ago(rng.uniform(1, 80))
        out.append(ev(lid, "form_submit", form_t, form="contact-sales"))
        demo_t = form_t + dt.timedelta(hours=rng.choice([2, 20, 50, 120, 400]))
        out.append(ev(lid, "demo_request", past(demo_t)))
    if level == "hot" and rng.random() < 0.5:
        for _ in range(rng.randint(2, 5)):
            out.append(page_view(lid, days_ago(rng.uniform(0.1, 6.5)), "/pricing"))
    if rng.random() < 0.02:  # a date after "now" (clock skew, test data): ignored, counted
        out.append(ev(lid, "page_view", NOW + dt.timedelta(days=rng.randint(1, 20), hours=3),
                      url="/pricing", seconds=40))
    return out


def showcase_events(lid: str) -> list[dict]:
    """L7: C-level at a target account who is clearly evaluating."""
    t = lambda d, h=10, m=0: (NOW - dt.timedelta(days=d)).replace(hour=h, minute=m)  # noqa: E731
    out = [
        ev(lid, "email_open", t(120, 9), campaign="q3-roadmap-invite"),
        ev(lid, "webinar_attended", t(75, 16), webinar="q3-roadmap"),
        ev(lid, "email_open", t(52, 8, 30), campaign="oct-product-update"),
        ev(lid, "email_open", t(20, 7, 45), campaign="nov-newsletter"),
        ev(lid, "email_click", t(20, 7, 47), campaign="nov-newsletter"),
        ev(lid, "email_open", t(9, 8, 5), campaign="pricing-change-2027"),
        ev(lid, "email_click", t(9, 8, 6), campaign="pricing-change-2027"),
        ev(lid, "form_submit", t(8, 11, 20), form="whitepaper"),
        ev(lid, "form_submit", t(7, 14, 2), form="contact-sales"),
        ev(lid, "demo_request", t(6, 9, 15)),
        ev(lid, "page_view", t(8, 11, 5), url="/blog/abm-playbook", seconds=240),
        ev(lid, "page_view", t(8, 11, 12), url="/features/scoring", seconds=180),
        ev(lid, "page_view", t(6, 9, 5), url="/pricing", seconds=150),
        ev(lid, "page_view", t(4, 15, 30), url="/pricing", seconds=95),
        ev(lid, "page_view", t(3, 10, 10), url="/docs/getting-started", seconds=420),
        ev(lid, "page_view", t(3, 10, 25), url="/docs/integrations/salesforce", seconds=310),
        ev(lid, "page_view", t(2, 13, 0), url="/security", seconds=200),
        ev(lid, "page_view", t(1, 17, 40), url="/pricing", seconds=130),
        ev(lid, "page_view", t(1, 17, 44), url="/pricing", seconds=60),
        ev(lid, "chat_started", t(1, 17, 45)),
    ]
    return out


def build_events(leads: list[dict]) -> list[dict]:
    events = []
    for lead in leads:
        if lead["id"] == "L7":
            events += showcase_events("L7")
        else:
            events += lead_events(lead)
    rng.shuffle(events)
    return events


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    leads = build_leads()
    events = build_events(leads)
    write_csv(HERE / "leads.csv", LEAD_COLUMNS, leads)
    write_csv(HERE / "events.csv", EVENT_COLUMNS, events)
    print(f"wrote {len(leads)} leads to {HERE / 'leads.csv'}")
    print(f"wrote {len(events)} events to {HERE / 'events.csv'}")


if __name__ == "__main__":
    main()
