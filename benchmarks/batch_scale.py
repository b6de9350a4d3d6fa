"""Batch scoring at scale: generate N leads and 10·N events, then time
`leadscore score` end to end against the time the same reader takes just to
read the files, and report leads/s, events/s and peak RSS. The ratio is
given on elapsed time (the target) and on CPU time, which a busy machine
disturbs less.

    python benchmarks/batch_scale.py                 # 1,000,000 leads, 10,000,000 events
    python benchmarks/batch_scale.py --leads 100000  # a smaller run
    python benchmarks/batch_scale.py --jobs 2        # `leadscore score --jobs 2`: scoring in 2 processes

The data (CSV, the columns of examples/b2b.score) is written once to
benchmarks/data/ and reused. Targets (issue [batch]): peak RSS under 2 GB;
scoring adds at most 1× the read time (ratio ≤ 2.0).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(ROOT, "examples", "b2b.score")
NOW = "2026-11-20T00:00:00Z"
NOW_EPOCH = 1795132800  # 2026-11-20T00:00:00Z

LEVELS = ["C-level", "VP", "Director", "Manager", "Assistant", "Intern", "N/A", ""]
DEPARTMENTS = ["Marketing", "Sales", "IT", "Engineering", "HR", "Finance", "Operations", ""]
COUNTRIES = ["United States", "Germany", "France", "India", "Brazil", "United Kingdom", "Canada"]
EVENT_TYPES = ["page_view"] * 6 + ["email_open"] * 2 + ["email_click", "form_submit", "demo_request",
                                                          "webinar_attended", "chat_started"]
URLS = ["/", "/pricing", "/docs/start", "/docs/api", "/blog/scoring", "/blog/decay", "/customers"]
FORMS = ["newsletter", "whitepaper", "contact-sales", "trial"]


def generate(leads: int, per_lead: int, folder: str) -> tuple[str, str]:
    os.makedirs(folder, exist_ok=True)
    leads_path = os.path.join(folder, f"leads_{leads}.csv")
    events_path = os.path.join(folder, f"events_{leads * per_lead}.csv")
    if os.path.exists(leads_path) and os.path.exists(events_path):
        return leads_path, events_path
    rng = random.Random(20261120)
    domains = [f"company{k}.com" for k in range(leads // 3 + 1)] + ["gmail.com", "yahoo.com"]
    with open(leads_path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "email", "title", "job_level", "department", "Number of Employees",
                      "country", "phone", "Email Opt Out", "signed_up", "last_login"])
        for k in range(1, leads + 1):
            signed = "" if rng.random() < 0.5 else f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            login = "" if rng.random() < 0.6 else f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 19):02d}T10:00:00Z"
            out.writerow([f"L{k}", f"p{k}@{rng.choice(domains)}", rng.choice(["CMO", "VP Sales", "Analyst", "student"]),
                          rng.choice(LEVELS), rng.choice(DEPARTMENTS), rng.choice(["", "N/A", str(rng.randint(1, 9000))]),
                          rng.choice(COUNTRIES), "" if rng.random() < 0.5 else "+1 555 0100",
                          rng.choice(["Yes", "No", ""]), signed, login])
    with open(events_path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["lead_id", "type", "at", "url", "seconds", "campaign", "form", "webinar"])
        for _ in range(leads * per_lead):
            kind = rng.choice(EVENT_TYPES)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW_EPOCH - rng.randint(-86400, 400 * 86400)))
            out.writerow([f"L{rng.randint(1, leads)}", kind, at,
                          rng.choice(URLS) if kind == "page_view" else "",
                          rng.randint(1, 600) if kind == "page_view" else "",
                          f"c{rng.randint(1, 30)}" if kind.startswith("email") else "",
                          rng.choice(FORMS) if kind == "form_submit" else "",
                          rng.choice(["q3-roadmap", "q2-launch"]) if kind == "webinar_attended" else ""])
    return leads_path, events_path


READ_ONLY = """
import sys, time
from leadscore.batch.io import read_rows
start = time.perf_counter()
rows = 0
for path in sys.argv[1:]:
    for _ in read_rows(path):
        rows += 1
print(rows, time.perf_counter() - start)
"""


def run(command: list) -> tuple[float, float, int, str]:
    """Run a command; return its wall time, its CPU time (user + system), its peak RSS in bytes,
    and its standard error. The figures are that process's own (`os.wait4`), not the maximum
    over every child so far; with `--jobs`, its forked scoring processes' CPU time is included
    and the peak RSS is the largest process's."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, err


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The data and model options every batch benchmark over these files takes."""
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--data", default=os.path.join(HERE, "data"))
    parser.add_argument("--model", default=MODEL, help="the model to score (default: examples/b2b.score)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_options(parser)
    parser.add_argument("--jobs", type=int, default=1, help="`leadscore score --jobs N` (default 1)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    t = time.perf_counter()
    leads_path, events_path = generate(args.leads, args.events_per_lead, args.data)
    print(f"data: {leads_path}, {events_path} ({time.perf_counter() - t:.1f}s to make or find)")
    python = sys.executable
    exe = os.path.join(os.path.dirname(python), "leadscore")

    read_time, read_cpu, _, _ = run([python, "-c", READ_ONLY, leads_path, events_path])
    score_time, score_cpu, score_rss, summary = run([exe, "score", args.model, "--leads", leads_path,
                                                     "--events", events_path, "--now", NOW,
                                                     "-o", os.devnull, "--rejects", os.devnull,
                                                     "--jobs", str(args.jobs)])
    events = args.leads * args.events_per_lead
    figures = {
        "model": os.path.relpath(args.model, ROOT), "leads": args.leads, "events": events, "jobs": args.jobs,
        "read_seconds": round(read_time, 2), "score_seconds": round(score_time, 2),
        "ratio": round(score_time / read_time, 2),
        "read_cpu_seconds": round(read_cpu, 2), "score_cpu_seconds": round(score_cpu, 2),
        "cpu_ratio": round(score_cpu / read_cpu, 2),
        "leads_per_second": round(args.leads / score_time), "events_per_second": round(events / score_time),
        "peak_rss_mb": round(score_rss / 2**20),
        "cpu": _cpu(), "cores": os.cpu_count(), "python": sys.version.split()[0],
        "load_average": os.getloadavg()[0],
    }
    print(summary.strip())
    print(f"(leadscore score --jobs {args.jobs})")
    print()
    print(f"{'leads':>12} {'events':>12} {'read s':>8} {'score s':>8} {'ratio':>6} {'cpu ratio':>9} "
          f"{'leads/s':>9} {'events/s':>10} {'peak RSS':>9}")
    print(f"{args.leads:>12,} {events:>12,} {read_time:>8.1f} {score_time:>8.1f} {score_time / read_time:>6.2f} "
          f"{score_cpu / read_cpu:>9.2f} {args.leads / score_time:>9,.0f} {events / score_time:>10,.0f} "
          f"{score_rss / 2**20:>7,.0f}MB")
    print(f"targets: ratio <= 2.0: {'PASS' if score_time / read_time <= 2.0 else 'MISS'}; "
          f"peak RSS < 2 GB: {'PASS' if score_rss < 2 * 2**30 else 'MISS'}")
    print(f"(CPU seconds: read {read_cpu:.1f}, score {score_cpu:.1f}; load average now "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
