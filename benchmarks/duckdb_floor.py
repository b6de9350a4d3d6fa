"""`score --engine duckdb` against its floor (issue 18 point 3, issue 17 point 6):
a hand-written DuckDB query and the engine end to end, timed side by side in
one run on the same files, each in its own process, with its peak RSS.

    python benchmarks/duckdb_floor.py                    # 1,000,000 leads, 10,000,000 events
    python benchmarks/duckdb_floor.py --leads 100000     # a smaller run, for iterating
    python benchmarks/duckdb_floor.py --unbounded        # also the engine without its memory bound

The floor (`FLOOR` below) is what any DuckDB scoring of these files must do:
read both CSV files, compute 12 typical per-lead aggregates of the b2b
model (distinct counts, windowed counts and sums, first and last times, a
decayed sum), join them to the leads, and write one CSV line per lead. It
converts nothing it need not, checks nothing, rejects nothing, and scores
no rule: the engine does all of that on top, so the ratio engine ÷ floor
says what leadscore's exactness costs. Target: within 2× on elapsed time,
peak RSS under 2 GB.

`--unbounded` runs the engine a second time with `LEADSCORE_DUCKDB_MEMORY`
set to 80% of the machine (DuckDB's own default), to show what the default
bound costs. Peak RSS is the largest process's (`os.wait4`) and the largest
sum over its process tree, sampled each second (benchmarks/sql_scale.py).
The data are batch_scale.py's (written once to benchmarks/data/).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from batch_scale import MODEL, NOW, _cpu, add_data_options, generate  # noqa: E402  (the data of [batch], not a copy)
from sql_scale import run  # noqa: E402  (a child's wall, CPU and peak RSS, process tree included)

#: The hand-written floor: 12 per-lead aggregates of the b2b model's kind, joined to the leads.
FLOOR = r"""
import sys, duckdb
leads, events, out, now = sys.argv[1:5]
con = duckdb.connect(":memory:")
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
con.execute('''
COPY (
  WITH ev AS (
    SELECT lead_id, type, CAST("at" AS TIMESTAMPTZ) AS "at", url, TRY_CAST(seconds AS DOUBLE) AS seconds,
           campaign, form, webinar
    FROM read_csv($1, header=true, all_varchar=true)),
  agg AS (
    SELECT lead_id,
      COUNT(DISTINCT campaign) FILTER (WHERE type = 'email_open') AS opens,
      COUNT(*) FILTER (WHERE type = 'email_click' AND "at" >= $3::TIMESTAMPTZ - INTERVAL 30 DAY) AS clicks_30d,
      COUNT(*) FILTER (WHERE type = 'page_view') AS views,
      COUNT(*) FILTER (WHERE type = 'page_view' AND "at" >= $3::TIMESTAMPTZ - INTERVAL 30 DAY) AS views_30d,
      COUNT(*) FILTER (WHERE type = 'page_view' AND url LIKE '%/pricing%'
                       AND "at" >= $3::TIMESTAMPTZ - INTERVAL 7 DAY) AS pricing_7d,
      MAX("at") FILTER (WHERE type = 'page_view' AND url LIKE '%/pricing%') AS last_pricing,
      SUM(seconds) FILTER (WHERE type = 'page_view' AND "at" >= $3::TIMESTAMPTZ - INTERVAL 30 DAY) AS seconds_30d,
      BOOL_OR(type = 'page_view' AND url LIKE '/docs%' AND "at" >= $3::TIMESTAMPTZ - INTERVAL 14 DAY) AS docs_14d,
      MIN("at") FILTER (WHERE type = 'form_submit') AS first_form,
      MAX("at") FILTER (WHERE type = 'demo_request') AS last_demo,
      COUNT(DISTINCT webinar) FILTER (WHERE type = 'webinar_attended') AS webinars,
      SUM(POWER(0.5, (epoch($3::TIMESTAMPTZ) - epoch("at")) / (30 * 86400.0)))
        FILTER (WHERE "at" <= $3::TIMESTAMPTZ) AS decayed
    FROM ev GROUP BY lead_id)
  SELECT l.*, agg.* EXCLUDE (lead_id)
  FROM read_csv($2, header=true, all_varchar=true) AS l LEFT JOIN agg ON agg.lead_id = l.id
) TO 'OUT' (FORMAT csv, HEADER true)
'''.replace('OUT', out.replace("'", "''")), [events, leads, now])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_options(parser)
    parser.add_argument("--unbounded", action="store_true",
                        help="also run the engine with DuckDB allowed 80%% of the machine's memory")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.leads, args.events_per_lead, args.data, args.model, args.unbounded)
    report(figures)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)


def measure(leads: int, per_lead: int, data: str, model: str = MODEL, unbounded: bool = False) -> dict:
    """Run the floor and the engine (and, with `unbounded`, the engine without its bound); their figures."""
    leads_path, events_path = generate(leads, per_lead, data)
    python = sys.executable
    exe = os.path.join(os.path.dirname(python), "leadscore")
    out = os.path.join(data, f"duckdb_floor_{leads}")
    figures = {"leads": leads, "events": leads * per_lead, "model": os.path.relpath(model, os.path.dirname(HERE)),
               "cores": os.cpu_count(), "cpu": _cpu(), "python": sys.version.split()[0],
               "load_average_start": round(os.getloadavg()[0], 2), "runs": {}}
    score = [exe, "score", model, "--leads", leads_path, "--events", events_path, "--now", NOW,
             "--engine", "duckdb", "-o", out + "_engine.jsonl", "--rejects", out + "_rejects.jsonl"]
    runs = [("floor query", [python, "-c", FLOOR, leads_path, events_path, out + "_floor.csv", NOW], None),
            ("engine, default memory", score, None)]
    if unbounded:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        runs.append(("engine, unbounded", score, f"{total * 8 // 10}MB"))
    for name, command, memory in runs:
        env = dict(os.environ)
        env.pop("LEADSCORE_DUCKDB_MEMORY", None)
        if memory:
            env["LEADSCORE_DUCKDB_MEMORY"] = memory
        r = run(command, out + ".stdout", out + ".stderr", env=env)
        if r["returncode"] != 0:
            raise SystemExit(f"{name} failed (exit {r['returncode']}):\n{r['stderr'][-2000:]}")
        figures["runs"][name] = {"wall_seconds": round(r["seconds"], 2), "cpu_seconds": round(r["cpu_seconds"], 2),
                                 "peak_rss_mb": round(r["peak_rss"] / 2**20),
                                 "peak_tree_rss_mb": round(r["peak_tree_rss"] / 2**20)}
    figures["load_average_end"] = round(os.getloadavg()[0], 2)
    return figures


def report(figures: dict) -> None:
    runs = figures["runs"]
    floor = runs["floor query"]
    print(f"{figures['model']}: {figures['leads']:,} leads, {figures['events']:,} events; {figures['cores']} cores; "
          f"load average {figures['load_average_start']:.2f} at the start, {figures['load_average_end']:.2f} at the end")
    print(f"{'run':<24} {'wall s':>8} {'CPU s':>8} {'× floor':>8} {'CPU × floor':>11} {'peak RSS':>9} {'tree RSS':>9}")
    for name, r in runs.items():
        print(f"{name:<24} {r['wall_seconds']:>8.1f} {r['cpu_seconds']:>8.1f} "
              f"{r['wall_seconds'] / floor['wall_seconds']:>7.2f}× {r['cpu_seconds'] / floor['cpu_seconds']:>10.2f}× "
              f"{r['peak_rss_mb']:>7,}MB {r['peak_tree_rss_mb']:>7,}MB")
    engine = runs["engine, default memory"]
    ratio = engine["wall_seconds"] / floor["wall_seconds"]
    figures["targets"] = {"within_2x_floor": ratio <= 2.0, "rss_under_2gb": engine["peak_tree_rss_mb"] < 2048}
    print(f"targets: engine within 2× the floor: {'PASS' if ratio <= 2.0 else 'MISS'} ({ratio:.2f}×); "
          f"peak RSS under 2 GB: {'PASS' if engine['peak_tree_rss_mb'] < 2048 else 'MISS'} "
          f"({engine['peak_tree_rss_mb']:,} MB)")


if __name__ == "__main__":
    main()
