"""The SQL engines at scale (issue 8): the data of benchmarks/batch_scale.py
(N leads, 10·N events) scored end to end by `leadscore score` once per
engine (python, duckdb, spark in local[*] mode), same files, same --now,
in one run, and the throughput ratios. Target: DuckDB at least 10× the
Python engine's throughput.

    python benchmarks/sql_scale.py                                  # 1,000,000 leads, 10,000,000 events
    python benchmarks/sql_scale.py --leads 20000 --events 200000    # a smaller run
    python benchmarks/sql_scale.py --model benchmarks/b2b_no_account.score --skip-spark

Each engine writes its scores (JSON Lines) and rejects to benchmarks/data/
(git-ignored); the outputs are then compared line by line: byte for byte,
and where a line differs, parsed and compared field by field (numbers to
1e-9), so the report says how many leads differ and how.

For each engine: elapsed seconds; CPU seconds (user + system) of the
`leadscore` process and of every process under it (Spark's JVM included:
this script makes itself the child subreaper, so processes left behind are
reaped here and counted); peak RSS, both of the largest single process and
the largest sampled sum over the process tree (the Python driver and the
JVM together); leads/s and events/s on elapsed time.

Unless `--skip-query`, it also times the model's query alone in DuckDB: `leadscore sql --dialect duckdb --now …`
run over the two CSV files read with all_varchar=true, split into reading
the files and running the query, to show where the end-to-end time goes.

The machine is usually shared: figures are noisy. CPU seconds are less
disturbed by other programs than elapsed seconds.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from batch_scale import NOW, _cpu, generate  # noqa: E402  (the data of [batch], not a copy)

from leadscore.engines import ENGINES  # noqa: E402  (every engine `--engine` offers)

MODEL = os.path.join(ROOT, "examples", "b2b.score")


# ---- running a child and measuring its whole process tree ------------------------------

def become_subreaper() -> bool:
    """Orphaned descendants (a JVM outliving its Python driver) are re-parented to us, so their
    CPU time reaches our wait4() instead of init's."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0          # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _tree_rss(root: int) -> int:
    """Sum of VmRSS (bytes) over `root` and its descendants, from /proc."""
    parent, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                stat = handle.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            with open(f"/proc/{name}/statm") as handle:
                pages = int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parent[int(name)] = ppid
        rss[int(name)] = pages * os.sysconf("SC_PAGE_SIZE")
    me = os.getpid()
    total = 0
    for pid, size in rss.items():
        p = pid
        while p in parent and p not in (root, me, 0, 1):
            p = parent[p]
        if p == root or (p == me and pid != me):
            total += size
    return total


def run(command: list, stdout_path: str, stderr_path: str, timeout: float | None = None, env=None) -> dict:
    """Run `command` (in `env`, default ours); its figures, once it and everything it started have ended."""
    peak = [0]
    done = threading.Event()
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True, env=env)

        def sample():
            while not done.wait(1.0):
                peak[0] = max(peak[0], _tree_rss(proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        killer = None
        timed_out = [False]
        if timeout:
            def kill():
                timed_out[0] = True
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
            killer = threading.Timer(timeout, kill)
            killer.start()
        cpu, maxrss, status, elapsed = 0.0, 0, None, None
        while True:                      # the child, then whatever it left behind (reparented to us)
            try:
                pid, st, usage = os.wait4(-1, 0)
            except ChildProcessError:
                break
            cpu += usage.ru_utime + usage.ru_stime
            maxrss = max(maxrss, usage.ru_maxrss * 1024)
            if pid == proc.pid:
                elapsed = time.perf_counter() - start
                status = os.waitstatus_to_exitcode(st)
                proc.returncode = status
        reaped_at = time.perf_counter() - start
        done.set()
        if killer:
            killer.cancel()
    with open(stderr_path, errors="replace") as handle:
        err_text = handle.read()
    return {"seconds": elapsed, "cpu_seconds": cpu, "peak_rss": maxrss, "peak_tree_rss": max(peak[0], maxrss),
            "returncode": status, "timed_out": timed_out[0], "stderr": err_text,
            "tree_ended_seconds": reaped_at}


# ---- comparing outputs ---------------------------------------------------------------------

def _diff(a, b, path="") -> list:
    """Paths where two parsed results differ (numbers compared to 1e-9 relative/absolute)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k} (only in one)")
            else:
                out.extend(_diff(a[k], b[k], f"{path}.{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path} (length {len(a)} vs {len(b)})"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{path}[{i}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) else [f"{path} ({a!r} vs {b!r})"]
    return [] if a == b else [f"{path} ({a!r} vs {b!r})"]


def compare(reference: str, other: str, examples: int = 3) -> dict:
    """Line-by-line comparison of two JSON Lines outputs (both are in input order)."""
    same_bytes = lines = text_differs = leads_differ = 0
    shown, fields = [], {}
    with open(reference, "rb") as fa, open(other, "rb") as fb:
        while True:
            la, lb = fa.readline(), fb.readline()
            if not la and not lb:
                break
            lines += 1
            if la == lb:
                same_bytes += 1
                continue
            text_differs += 1
            try:
                found = _diff(json.loads(la), json.loads(lb)) if la and lb else ["(missing line)"]
            except ValueError as error:
                found = [f"(unparseable: {error})"]
            if found:
                leads_differ += 1
                for d in found:
                    key = d.split(" (")[0]
                    fields[key] = fields.get(key, 0) + 1
                if len(shown) < examples:
                    shown.append(f"line {lines}: " + "; ".join(found[:4]))
    return {"lines": lines, "identical_lines": same_bytes, "lines_with_other_text": text_differs,
            "leads_differ": leads_differ, "differing_fields": dict(sorted(fields.items(), key=lambda kv: -kv[1])[:8]),
            "examples": shown}


# ---- the query alone, in DuckDB -----------------------------------------------------------

QUERY_ONLY = r"""
import json, sys, time, duckdb
leads, events, sql_path, out_path = sys.argv[1:5]
con = duckdb.connect(":memory:")
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
figures = {"threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}
def timed(name, sql, params=None):
    w, c = time.perf_counter(), time.process_time()
    con.execute(sql, params or [])
    figures[name] = [time.perf_counter() - w, time.process_time() - c]
read = "SELECT * FROM read_csv($1, header=true, all_varchar=true)"
timed("read_leads", 'CREATE TABLE "leads" AS ' + read, [leads])
timed("read_events", 'CREATE TABLE "events" AS ' + read, [events])
timed("query", 'CREATE TABLE "scores" AS ' + open(sql_path).read())
figures["rows"] = con.execute('SELECT COUNT(*) FROM "scores"').fetchone()[0]
timed("write", "COPY (SELECT * FROM \"scores\") TO '%s' (FORMAT parquet)" % out_path.replace("'", "''"))
if len(sys.argv) > 5:     # the scores of an engine's run, to check the query gives the same scores
    con.execute("CREATE TABLE ref AS SELECT id, score, tier FROM read_json($1, format='newline_delimited', "
                "columns={'id': 'VARCHAR', 'score': 'DOUBLE', 'tier': 'VARCHAR'})", [sys.argv[5]])
    figures["checked_against"] = sys.argv[5]
    figures["ref_rows"], figures["missing"], figures["score_or_tier_differs"] = con.execute(
        'SELECT (SELECT COUNT(*) FROM ref), COUNT(*) FILTER (WHERE s.id IS NULL), '
        'COUNT(*) FILTER (WHERE s.id IS NOT NULL AND (abs(s.score - r.score) > 1e-9 OR s.tier IS DISTINCT FROM r.tier)) '
        'FROM ref r LEFT JOIN "scores" s ON s.id = r.id').fetchone()
print(json.dumps(figures))
"""


# ---- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, help="events in all (default: 10 per lead); a multiple of --leads")
    parser.add_argument("--model", default=MODEL, help="the model to score (default: examples/b2b.score)")
    parser.add_argument("--data", default=os.path.join(HERE, "data"))
    parser.add_argument("--skip-python", action="store_true")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-query", action="store_true", help="do not time the DuckDB query alone")
    parser.add_argument("--spark-timeout", type=float, default=None,
                        help="kill the Spark run after this many seconds (it is then reported as timed out)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    events = args.events if args.events is not None else 10 * args.leads
    if events % args.leads:
        parser.error("--events must be a multiple of --leads (the generator writes a fixed number per lead)")
    subreaper = become_subreaper()
    t = time.perf_counter()
    leads_path, events_path = generate(args.leads, events // args.leads, args.data)
    print(f"data: {leads_path}, {events_path} ({time.perf_counter() - t:.1f}s to make or find)")
    python = sys.executable
    exe = os.path.join(os.path.dirname(python), "leadscore")
    stem = os.path.splitext(os.path.basename(args.model))[0]
    out_base = os.path.join(args.data, f"sql_scale_{stem}_{args.leads}")

    figures = {"model": os.path.relpath(args.model, ROOT), "leads": args.leads, "events": events, "now": NOW,
               "cores": os.cpu_count(), "cpu": _cpu(), "python": sys.version.split()[0],
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load_average_start": os.getloadavg()[0], "subreaper": subreaper, "engines": {}}
    engines = [e for e in ENGINES if not getattr(args, f"skip_{e}")]
    outputs = {}
    for engine in engines:
        output = f"{out_base}_{engine}.jsonl"
        command = [exe, "score", args.model, "--leads", leads_path, "--events", events_path, "--now", NOW,
                   "--engine", engine, "-o", output, "--rejects", f"{out_base}_{engine}_rejects.jsonl"]
        shown = [os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command]
        print(f"\n$ {' '.join(shown)}", flush=True)
        r = run(command, f"{out_base}_{engine}.stdout", f"{out_base}_{engine}.stderr",
                args.spark_timeout if engine == "spark" else None)
        tail = "\n".join(line for line in r["stderr"].splitlines() if not line.startswith(("WARNING", "Setting")))
        print(tail.strip()[-2000:])
        r.pop("stderr")
        if r["returncode"] != 0 or r["timed_out"]:
            why = "timed out" if r["timed_out"] else f"exit status {r['returncode']}"
            print(f"  -> {engine}: {why} after {r['seconds']:.1f}s; no figures")
            r["failed"] = why
        else:
            outputs[engine] = output
            r["leads_per_second"] = args.leads / r["seconds"]
            r["events_per_second"] = events / r["seconds"]
        figures["engines"][engine] = r

    if not args.skip_query:
        sql_path = f"{out_base}.duckdb.sql"
        subprocess.run([exe, "sql", args.model, "--dialect", "duckdb", "--now", NOW, "-o", sql_path], check=True)
        command = [python, "-c", QUERY_ONLY, leads_path, events_path, sql_path, f"{out_base}_query.parquet"]
        reference = outputs.get("python") or outputs.get("duckdb")
        if reference:
            command.append(reference)
        print("\n$ leadscore sql --dialect duckdb --now ... ; the query alone in DuckDB over the CSV files", flush=True)
        r = run(command, f"{out_base}_query.stdout", f"{out_base}_query.stderr")
        if r["returncode"] == 0:
            with open(f"{out_base}_query.stdout") as handle:
                r["phases"] = json.loads(handle.read())
        else:
            print(r["stderr"][-2000:])
            r["failed"] = f"exit status {r['returncode']}"
        r.pop("stderr")
        figures["query_only"] = r

    # ---- report ------------------------------------------------------------------------------
    print(f"\n{figures['model']}: {args.leads:,} leads, {events:,} events, --now {NOW}; "
          f"{os.cpu_count()} cores (os.cpu_count()), {figures['cpu']}, CPython {figures['python']}")
    print(f"{'engine':<8} {'wall s':>8} {'CPU s':>8} {'CPU/wall':>8} {'leads/s':>9} {'events/s':>10} "
          f"{'peak RSS':>9} {'tree RSS':>9}")
    for engine, r in figures["engines"].items():
        if r.get("failed"):
            print(f"{engine:<8} {r['failed']}")
            continue
        print(f"{engine:<8} {r['seconds']:>8.1f} {r['cpu_seconds']:>8.1f} {r['cpu_seconds'] / r['seconds']:>8.2f} "
              f"{r['leads_per_second']:>9,.0f} {r['events_per_second']:>10,.0f} "
              f"{r['peak_rss'] / 2**20:>7,.0f}MB {r['peak_tree_rss'] / 2**20:>7,.0f}MB")
    ok = {e: r for e, r in figures["engines"].items() if not r.get("failed")}
    figures["ratios"] = {}
    if "python" in ok:
        base = ok["python"]
        for engine in ("duckdb", "spark"):
            if engine in ok:
                wall = base["seconds"] / ok[engine]["seconds"]
                cpu = base["cpu_seconds"] / ok[engine]["cpu_seconds"]
                figures["ratios"][engine] = {"throughput_vs_python_wall": wall, "throughput_vs_python_cpu": cpu}
                target = f"; target >= 10x: {'PASS' if wall >= 10 else 'MISS'}" if engine == "duckdb" else ""
                print(f"{engine} / python throughput: {wall:.2f}x on elapsed time, {cpu:.2f}x on CPU time{target}")
    if "spark" in ok:
        print(f"spark ran local[*] on {os.cpu_count()} cores")
    q = figures.get("query_only")
    if q and q.get("phases"):
        p = q["phases"]
        print(f"\nDuckDB query alone ({p['threads']} threads; wall s / CPU s of all threads): "
              f"read leads {p['read_leads'][0]:.1f}/{p['read_leads'][1]:.1f}, "
              f"read events {p['read_events'][0]:.1f}/{p['read_events'][1]:.1f}, "
              f"query {p['query'][0]:.1f}/{p['query'][1]:.1f} ({p['rows']:,} rows), "
              f"write parquet {p['write'][0]:.1f}/{p['write'][1]:.1f}; whole process {q['seconds']:.1f}s wall, "
              f"{q['cpu_seconds']:.1f}s CPU, peak RSS {q['peak_rss'] / 2**20:,.0f}MB")
        if "checked_against" in p:
            print(f"  against {os.path.basename(p['checked_against'])}: {p['ref_rows']:,} leads, "
                  f"{p['missing']} missing, {p['score_or_tier_differs']} with another score or tier "
                  f"(the query's own input order is by id; compared by id)")

    figures["comparisons"] = {}
    names = list(outputs)
    if len(names) > 1:
        print()
        for other in names[1:]:
            c = compare(outputs[names[0]], outputs[other])
            figures["comparisons"][f"{names[0]}~{other}"] = c
            verdict = ("byte-identical" if c["identical_lines"] == c["lines"] else
                       f"{c['lines_with_other_text']} lines differ as text, {c['leads_differ']} leads differ "
                       f"beyond 1e-9")
            print(f"{names[0]} vs {other}: {c['lines']:,} lines, {verdict}")
            for key, n in c["differing_fields"].items():
                print(f"    {key}: {n} leads")
            for line in c["examples"]:
                print(f"    e.g. {line[:300]}")
        for engine in names:
            rej = f"{out_base}_{engine}_rejects.jsonl"
            if os.path.exists(rej):
                figures["engines"][engine]["rejects_bytes"] = os.path.getsize(rej)
    figures["load_average_end"] = os.getloadavg()[0]
    print(f"\nload average: {figures['load_average_start']:.2f} at the start, {figures['load_average_end']:.2f} "
          f"at the end, on {os.cpu_count()} cores (shared: figures are noisy)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2, default=str)


if __name__ == "__main__":
    main()
