"""Every file a command writes appears whole or not at all (leadscore/batch/io/atomic.py), and SIGINT
and SIGTERM end a run cleanly (leadscore/cli/signals.py): an existing output file is left byte for byte
as it was by a failed, interrupted or killed run, no partial file is ever at the target path, and the
temporary folders of `--jobs` and the DuckDB engine are removed (issue 17, point 3)."""

from __future__ import annotations

import csv
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.batch.io import RejectsWriter, WriteError
from leadscore.batch.io.atomic import AtomicTarget, atomic_output, is_temporary
from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
B2B = ROOT / "examples" / "b2b.score"
NOW = "2026-11-20T00:00:00Z"
OLD = b"an earlier run's file\n"

try:
    import duckdb  # noqa: F401
    HAS_DUCKDB = True
except ImportError:
    HAS_DUCKDB = False

try:
    import pyarrow  # noqa: F401
    HAS_PYARROW = True
except ImportError:
    HAS_PYARROW = False


def temporaries(folder: Path) -> list:
    return sorted(p.name for p in folder.iterdir() if is_temporary(p.name))


def existing(path: Path) -> Path:
    path.write_bytes(OLD)
    return path


# ---- the helper ------------------------------------------------------------------------------------------

def test_written_whole_then_renamed_into_place(tmp_path):
    target = existing(tmp_path / "out.txt")
    with atomic_output(target) as handle:
        handle.write("new")
        assert target.read_bytes() == OLD                     # not yet
        names = temporaries(tmp_path)
        assert len(names) == 1 and names[0].startswith(".out.txt.")
    assert target.read_text() == "new" and temporaries(tmp_path) == []


def test_an_error_leaves_the_target_as_it_was_and_no_temporary_file(tmp_path):
    target = existing(tmp_path / "out.txt")
    with pytest.raises(KeyError):
        with atomic_output(target) as handle:
            handle.write("half")
            raise KeyError("stop")
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []
    fresh = tmp_path / "fresh.txt"
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(fresh) as handle:
            raise KeyboardInterrupt
    assert not fresh.exists() and temporaries(tmp_path) == []


def test_permissions_kept_on_replace_and_usual_for_a_new_file(tmp_path):
    target = existing(tmp_path / "out.txt")
    os.chmod(target, 0o640)
    with atomic_output(target) as handle:
        handle.write("x")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "new.txt") as handle:
            handle.write("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o644


def test_a_symbolic_link_is_followed_and_a_device_written_in_place(tmp_path):
    real = existing(tmp_path / "real.txt")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_output(link) as handle:
        handle.write("through")
    assert link.is_symlink() and real.read_text() == "through"
    target = AtomicTarget(os.devnull)
    assert target.in_place and target.temp == os.devnull
    with atomic_output(os.devnull) as handle:
        handle.write("nothing")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError):
        AtomicTarget(tmp_path)


def test_rejects_writer_aborted_keeps_the_earlier_file(tmp_path):
    target = existing(tmp_path / "rejects.jsonl")
    with pytest.raises(RuntimeError):
        with RejectsWriter(target) as rejects:
            rejects.reject("leads.csv", 2, "bad", "x")
            raise RuntimeError
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []
    with RejectsWriter(target):
        pass
    assert target.read_bytes() == b""


@pytest.mark.skipif(not HAS_PYARROW, reason="needs pyarrow")
def test_parquet_writer_failing_keeps_the_earlier_file(tmp_path):
    from leadscore.batch.io import ParquetWriter
    target = existing(tmp_path / "out.parquet")
    writer = ParquetWriter(target, ["n"], types={"n": "number"}, batch_size=1)
    writer.write({"n": 1})
    with pytest.raises(WriteError):
        writer.write({"n": "not a number"})
    writer.abort()
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []


# ---- every command's files -----------------------------------------------------------------------------

def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


@pytest.fixture
def failing_commit(monkeypatch):
    """The last step of every atomic write fails (a full disk): the command must have written
    through the helper for its earlier file to survive."""
    def commit(self):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(AtomicTarget, "commit", commit)


def small_data(tmp_path: Path) -> tuple:
    leads, events = tmp_path / "leads.csv", tmp_path / "events.csv"
    generate(leads, events, copies=1)
    return leads, events


def command_cases(tmp_path: Path) -> list:
    """(name, the file it writes, its arguments)"""
    leads, events = small_data(tmp_path)
    data = ["--leads", leads, "--events", events, "--now", NOW]
    outcome = tmp_path / "outcomes.csv"
    with open(leads, newline="") as src, open(outcome, "w", newline="") as out:
        rows = list(csv.reader(src))
        writer = csv.writer(out)
        writer.writerow(rows[0] + ["won"])
        writer.writerows(row + [("yes" if k % 3 == 0 else "no")] for k, row in enumerate(rows[1:]))
    cases = [
        ("compile", tmp_path / "scorer.py", ["compile", B2B, "-o"]),
        ("sql", tmp_path / "query.sql", ["sql", B2B, "--dialect", "duckdb", "-o"]),
        ("sql --dbt", tmp_path / "lead_scores.sql", ["sql", B2B, "--dialect", "snowflake", "--dbt", "-o"]),
        ("diff", tmp_path / "diff.txt", ["diff", B2B, ROOT / "examples" / "saas.score", "-o"]),
        ("explain", tmp_path / "explained.txt", ["explain", B2B, *data, "--lead", "L7_0", "-o"]),
        ("backtest", tmp_path / "backtest.json",
         ["backtest", B2B, "--leads", outcome, "--events", events, "--now", NOW, "--outcome", "won",
          "--format", "json", "-o"]),
        ("calibrate", tmp_path / "calibrated.score",
         ["calibrate", B2B, "--leads", outcome, "--events", events, "--now", NOW, "--outcome", "won", "-o"]),
    ]
    for fmt in ("jsonl", "csv") + (("parquet",) if HAS_PYARROW else ()):
        cases.append((f"score {fmt}", tmp_path / f"out.{fmt}", ["score", B2B, *data, "--format", fmt, "-o"]))
    return cases


def test_every_command_leaves_its_earlier_file_when_writing_fails(tmp_path, failing_commit):
    for name, target, args in command_cases(tmp_path):
        existing(target)
        result = run(*args, target)
        assert result.exit_code == 1, (name, result.output)
        assert "No space left on device" in result.stderr, name
        assert target.read_bytes() == OLD, name
        assert temporaries(tmp_path) == [], name


def test_score_rejects_beside_the_output_follow_the_same_rule(tmp_path, failing_commit):
    leads, events = small_data(tmp_path)
    with open(leads, "a") as handle:
        handle.write("\n")                                      # a row with no id: one reject
    out, rejects = existing(tmp_path / "out.jsonl"), existing(tmp_path / "rejects.jsonl")
    result = run("score", B2B, "--leads", leads, "--events", events, "--now", NOW, "-o", out)
    assert result.exit_code == 1
    assert out.read_bytes() == OLD and rejects.read_bytes() == OLD and temporaries(tmp_path) == []


@pytest.mark.skipif(not HAS_PYARROW, reason="needs pyarrow")
def test_backtest_report_leaves_the_earlier_page(tmp_path, failing_commit):
    pytest.importorskip("plotly")
    name, _, args = next(c for c in command_cases(tmp_path) if c[0] == "backtest")
    report = existing(tmp_path / "report.html")
    result = run(*args[:-1], "--report", report)
    assert result.exit_code == 1 and report.read_bytes() == OLD and temporaries(tmp_path) == []


def test_fmt_in_place_leaves_the_model_when_writing_fails(tmp_path, failing_commit):
    model = tmp_path / "m.score"
    text = b'model "m"   version 1\nfield   x: number\nrule r: +1 when x > 1\n'
    model.write_bytes(text)
    result = run("fmt", model)
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert model.read_bytes() == text and temporaries(tmp_path) == []


def test_results_of_the_live_store_leave_the_earlier_file(tmp_path, monkeypatch):
    leads, events = small_data(tmp_path)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    ingested = run("ingest", B2B, "--store", store, "--leads", leads, "--events", events, "--now", NOW)
    assert ingested.exit_code == 0, ingested.output
    out = existing(tmp_path / "results.jsonl")
    monkeypatch.setattr(AtomicTarget, "commit", lambda self: (_ for _ in ()).throw(OSError(28, "disk full")))
    result = run("results", "--store", store, "--now", NOW, "-o", out)
    assert result.exit_code != 0 and out.read_bytes() == OLD and temporaries(tmp_path) == []


# ---- a run that fails on its input -----------------------------------------------------------------------

ENGINES = [["--engine", "python"], ["--jobs", "2"]] + ([["--engine", "duckdb"]] if HAS_DUCKDB else [])


@pytest.mark.parametrize("how", ENGINES, ids=" ".join)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"] + (["parquet"] if HAS_PYARROW else []))
def test_a_run_failing_on_its_input_leaves_the_earlier_output(tmp_path, how, fmt):
    if fmt == "parquet" and "--jobs" in how:
        pytest.skip("--jobs does not apply to Parquet")
    leads, _ = small_data(tmp_path)
    out = existing(tmp_path / f"out.{fmt}")
    rejects = existing(tmp_path / "rejects.jsonl")
    result = run("score", B2B, "--leads", leads, "--events", tmp_path / "missing.csv", "--now", NOW,
                 "--format", fmt, "-o", out, *how)
    assert result.exit_code == 1, result.output
    assert out.read_bytes() == OLD and rejects.read_bytes() == OLD and temporaries(tmp_path) == []


# ---- signals -----------------------------------------------------------------------------------------------

def generate(leads: Path, events: Path, copies: int) -> None:
    """The b2b example's leads and events, `copies` times over under new ids."""
    sample = ROOT / "examples" / "b2b"
    for source, target in ((sample / "leads.csv", leads), (sample / "events.csv", events)):
        with open(source, newline="") as src, open(target, "w", newline="") as out:
            rows = list(csv.reader(src))
            writer = csv.writer(out)
            writer.writerow(rows[0])
            for k in range(copies):
                writer.writerows([f"{row[0]}_{k}", *row[1:]] for row in rows[1:])


@pytest.fixture(scope="module")
def big_data(tmp_path_factory) -> tuple:
    folder = tmp_path_factory.mktemp("big")
    leads, events = folder / "leads.csv", folder / "events.csv"
    generate(leads, events, copies=10)               # 3,000 leads, 31,010 events: seconds to score
    return leads, events


def started(process, tmp: Path, out: Path, how: list) -> bool:
    """Is the run far enough that stopping it now finds work under way (temp folders, output)?"""
    folders = [p.name for p in tmp.iterdir()]
    if "--jobs" in how:
        return any(name.startswith("leadscore-jobs-") for name in folders)
    writing = [p for p in out.parent.iterdir() if p.name.startswith("." + out.name)]
    if "duckdb" in how:
        return bool(writing) and any(name.startswith("leadscore-duckdb-") for name in folders)
    return any(p.stat().st_size > 0 for p in writing if p.exists())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("how", ENGINES, ids=" ".join)
def test_a_stopped_run_leaves_the_earlier_output_and_no_temporary_folder(tmp_path, big_data, how, signum):
    leads, events = big_data
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = existing(tmp_path / "out.jsonl")
    env = dict(os.environ, TMPDIR=str(tmp))
    process = subprocess.Popen([sys.executable, "-m", "leadscore", "-q", "score", str(B2B), "--leads", str(leads),
                                "--events", str(events), "--now", NOW, "-o", str(out), *how],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not started(process, tmp, out, how) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if "duckdb" in how:
        time.sleep(0.5)                             # into the engine's work
    assert process.poll() is None, "the run ended before it could be stopped: make the input bigger"
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert out.read_bytes() == OLD                                  # byte for byte
    assert sorted(p.name for p in tmp_path.iterdir() if not is_temporary(p.name)) == ["out.jsonl", "tmp"]
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
        return
    assert temporaries(tmp_path) == []
    assert [p.name for p in tmp.iterdir() if p.name.startswith("leadscore-")] == []  # (Lark keeps its cache)
    expected = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}[signum]
    assert (process.returncode, err.decode()) == (expected[0], expected[1] + "\n")


def test_no_output_is_committed_after_a_signal_whose_exception_was_swallowed(tmp_path, monkeypatch):
    from leadscore.batch.io import atomic
    from leadscore.cli import signals
    monkeypatch.setattr(atomic, "commit_guards", [signals.check])
    monkeypatch.setattr(signals, "_received", signal.SIGTERM)     # as if a finalizer had eaten Stopped
    target = existing(tmp_path / "out.txt")
    with pytest.raises(signals.Stopped):
        with atomic_output(target) as handle:
            handle.write("complete, but the run was told to stop")
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []


def test_a_second_signal_while_stopping_ends_the_process_at_once():
    code = ("import os, signal, time\n"
            "from leadscore.cli import signals\n"
            "signals.install()\n"
            "try:\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    time.sleep(5)\n"
            "except signals.Stopped:\n"
            "    os.kill(os.getpid(), signal.SIGINT)   # the clean-up, interrupted again\n"
            "    time.sleep(5)\n"
            "print('not reached')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (130, "")
