"""`benchmarks/run.py --quick` runs end to end: every cross-check passes and the tables print.

No timing is asserted: the figures of a quick run on a shared machine mean nothing.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")


def test_quick_run_prints_the_tables(tmp_path):
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, RUN, "--quick", "--json", str(figures)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    for heading in ("## (a) The fit task", "## (b) The engagement model", "## (c) Load time", "## Targets:"):
        assert heading in out, out
    for row in ("hand-written Python with leadscore's semantics", "leadscore codegen, generated `total(lead)`",
                "leadscore closures, `model.score(lead)`", "leadscore codegen, `model.score(lead, events, now)`",
                "loads codegen s"):
        assert row in out, out
    assert "| PASS" in out or "| MISS" in out
    assert "CROSS-CHECK FAILED" not in out
    report = json.loads(figures.read_text())
    assert {"a", "b", "c", "targets", "machine"} <= set(report)
    assert all(row["us_per_lead"] > 0 for row in report["a"]["rows"])


def test_batch_floor_runs_its_three_passes(tmp_path):
    """`benchmarks/batch_floor.py` on a few leads: the reader, the bare pass and the Python engine
    (`--engine python`, not the default DuckDB) all run, and its ratio to the bare pass is given."""
    figures = tmp_path / "floor.json"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "batch_floor.py"), "--leads", "300",
                           "--data", str(tmp_path), "--json", str(figures)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(figures.read_text())
    assert report["events"] == 3000
    for name in ("reader alone", "bare pass (floor)", "score --engine python"):
        assert name in done.stdout
        assert report[name]["cpu_seconds"] > 0
    assert "score --engine python / bare pass:" in done.stdout


def test_the_live_benchmarks_run_and_serve_the_store_they_keep(tmp_path):
    """`live_ingest.py` on a few leads keeps its store (`--keep-store`), and `serve_load.py --sqlite`
    serves it: every phase runs, every POST is answered (the batches' events accepted, the paced
    requests timed), and the figures are written."""
    live, served = tmp_path / "live.json", tmp_path / "serve.json"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "live_ingest.py"), "--leads", "200",
                           "--singles", "20", "--score-once", "--skip-sweep", "--data", str(tmp_path),
                           "--keep-store", str(tmp_path / "store"), "--json", str(live)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert json.loads(live.read_text())["single_ingests"] == 20 and "sweep < score: not run" in done.stdout
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "serve_load.py"), "--leads", "200",
                           "--sqlite", str(tmp_path / "store" / "live.db"), "--batches", "3", "--rate", "20",
                           "--seconds", "1", "--json", str(served)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(served.read_text())
    assert "failed" not in done.stderr, done.stderr[-4000:]
    assert report["events_per_second"] > 0 and report["paced_requests"] == 20 and report["p99_ms"] > 0
