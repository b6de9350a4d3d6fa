"""How low can the batch ratio go in Python? The reader alone, a bare
hand-written pass that does the least any batch must do, and `leadscore
score --engine python`, timed side by side in one run on the same files.
(`leadscore score`'s default engine is DuckDB when it is installed; this
script times the Python engine, which the live store and the API share,
so the third row is `--engine python`: issue 18 point 4 asks it to stay
within 2x the bare pass.)

    python benchmarks/batch_floor.py                  # 1,000,000 leads, 10,000,000 events
    python benchmarks/batch_floor.py --leads 100000   # a smaller run
    python benchmarks/batch_floor.py --skip-engine    # the reader and the floor only

The bare pass (`FLOOR` below) reads both files with the same reader as the
read-only pass (`leadscore.batch.io.read_rows`), and does only what no
batch can skip, since events come in any order and each lead is scored
once its row is read:

- each event: its lead id, its time (with the engine's own cached
  parser), its type, kept in a list per lead id;
- each lead: its events taken and put in time order, one JSON line written
  from a fixed template (the shape of a b2b result, numbers made up).

It evaluates no rule, converts no attribute or field, checks nothing and
rejects nothing; the cyclic collector is off. Whatever a real batch adds
comes on top of it, so its ratio to the read time is a floor for the batch
ratio of issue [batch] (target ≤ 2.0) with this reader in CPython.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batch_scale import MODEL, NOW, READ_ONLY, generate, run  # noqa: E402

FLOOR = r"""
import gc, sys, time
from leadscore.batch.io import read_rows
from leadscore.runtime.schema import time_of
gc.disable()
start = time.perf_counter()
leads_path, events_path, out_path = sys.argv[1:4]
codes = {"page_view": 0, "email_open": 1, "email_click": 2, "form_submit": 3, "demo_request": 4,
         "webinar_attended": 5}
by_lead = {}
get = by_lead.get
for _line, row in read_rows(events_path):
    event = (time_of(row["at"]), codes.get(row["type"], -1))
    held = get(row["lead_id"])
    if held is None:
        by_lead[row["lead_id"]] = [event]
    else:
        held.append(event)
LINE = ('{"id": "%s", "score": %r, "tier": "cold", "groups": {"fit": %r, "engagement": %r}, '
        '"group_tiers": {"fit": "C"}, "qualified": [], "disqualified": [], "tags": [], '
        '"campaigns": {"webinar_q3": {"score": %r, "tier": "later", "qualified": [], '
        '"groups": {"roadmap_interest": 0.0}, "group_tiers": {"roadmap_interest": "low"}, "tags": []}}, '
        '"clamped": false, "warnings": [], "now": "2026-11-20T00:00:00+00:00"}\n')
take = by_lead.pop
with open(out_path, "w") as out:
    write = out.write
    for _line, row in read_rows(leads_path):
        events = take(row["id"], [])
        events.sort()
        points = float(len(events))
        write(LINE % (row["id"], points, 1.0, points, points))
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    parser.add_argument("--skip-engine", action="store_true", help="time the reader and the floor only")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    leads_path, events_path = generate(args.leads, args.events_per_lead, args.data)
    python = sys.executable
    read = run([python, "-c", READ_ONLY, leads_path, events_path])
    floor = run([python, "-c", FLOOR, leads_path, events_path, os.devnull])
    rows = [("reader alone", read), ("bare pass (floor)", floor)]
    if not args.skip_engine:
        exe = os.path.join(os.path.dirname(python), "leadscore")
        rows.append(("score --engine python", run([exe, "score", MODEL, "--leads", leads_path,
                                                  "--events", events_path, "--now", NOW, "--engine", "python",
                                                  "-o", os.devnull, "--rejects", os.devnull])))

    print(f"{args.leads:,} leads, {args.leads * args.events_per_lead:,} events; "
          f"ratios are to the reader alone (target for the batch: <= 2.0)")
    print(f"{'pass':<22} {'wall s':>8} {'CPU s':>8} {'ratio':>6} {'cpu ratio':>9} {'peak RSS':>9}")
    figures = {"leads": args.leads, "events": args.leads * args.events_per_lead, "cores": os.cpu_count()}
    for name, (wall, cpu, rss, _err) in rows:
        print(f"{name:<22} {wall:>8.1f} {cpu:>8.1f} {wall / read[0]:>6.2f} {cpu / read[1]:>9.2f} "
              f"{rss / 2**20:>7,.0f}MB")
        figures[name] = {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                         "ratio": round(wall / read[0], 2), "cpu_ratio": round(cpu / read[1], 2),
                         "peak_rss_mb": round(rss / 2**20)}
    if not args.skip_engine:
        print(f"score --engine python / bare pass: {rows[2][1][1] / floor[1]:.2f} on CPU, "
              f"{rows[2][1][0] / floor[0]:.2f} on wall time (issue 18 point 4: <= 2.0)")
    print(f"(load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)


if __name__ == "__main__":
    main()
