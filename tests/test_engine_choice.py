"""Which engine scores when `--engine` is not given (issue 18 point 2; docs/cli.md, "The default
engine"): DuckDB for files, the Python runtime for standard input, `--jobs` and an install without
DuckDB; `-v` says which, and why. An engine asked for by name is used as asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.cli import main
from leadscore.engines import choice
from leadscore.engines.choice import choose_engine

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parent.parent
MODEL = str(ROOT / "examples" / "saas.score")
LEADS = str(ROOT / "examples" / "b2b" / "leads.csv")
EVENTS = str(ROOT / "examples" / "b2b" / "events.csv")
NOW = "2026-11-20T00:00:00Z"


@pytest.mark.parametrize("asked, leads, jobs, chosen, why", [
    (None, "leads.csv", 1, "duckdb", None),
    (None, "leads.jsonl", 1, "duckdb", None),
    (None, "-", 1, "python", "standard input is scored as it is read"),
    (None, "leads.csv", 4, "python", "--jobs scores in forked Python processes"),
    (None, "leads.csv", 0, "python", "--jobs scores in forked Python processes"),
    ("python", "leads.csv", 1, "python", None),
    ("duckdb", "-", 4, "duckdb", None),          # asked for by name: as asked
])
def test_the_default_engine_and_its_fallbacks(asked, leads, jobs, chosen, why):
    assert choose_engine(asked, leads, jobs) == (chosen, why)


def test_without_duckdb_the_default_is_python(monkeypatch):
    monkeypatch.setattr(choice, "duckdb_installed", lambda: False)
    assert choose_engine(None, "leads.csv") == ("python", "DuckDB or sqlglot is not installed")
    assert choose_engine("duckdb", "leads.csv") == ("duckdb", None)


def run(*args, stdin=None):
    result = CliRunner().invoke(main, [str(a) for a in args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def engine_line(stderr: str) -> str:
    (line,) = [x for x in stderr.splitlines() if x.startswith("engine:")]
    return line


def test_score_on_files_uses_duckdb_and_says_so_with_v():
    args = ("score", MODEL, "--leads", LEADS, "--events", EVENTS, "--now", NOW)
    out, err = run("-v", *args)
    assert engine_line(err) == "engine: duckdb"
    python_out, python_err = run(*args, "--engine", "python")
    assert out == python_out
    assert "engine:" not in python_err and "engine:" not in run(*args)[1]    # only with -v


def test_standard_input_and_jobs_fall_back_to_python_in_one_line():
    _, err = run("-v", "score", MODEL, "--leads", "-", "--now", NOW, stdin='{"id": "A"}\n')
    assert engine_line(err) == "engine: python (standard input is scored as it is read)"
    _, err = run("-v", "score", MODEL, "--leads", LEADS, "--now", NOW, "--jobs", "2")
    assert engine_line(err) == "engine: python (--jobs scores in forked Python processes)"
    _, err = run("-v", "-q", "score", MODEL, "--leads", LEADS, "--now", NOW, "--jobs", "2")
    assert err == ""                                      # -q wins


def test_backtest_and_diff_use_the_default_engine_too(tmp_path):
    outcome = ROOT / "examples" / "data" / "x-education-sample.csv"
    _, err = run("-v", "backtest", ROOT / "examples" / "x-education.score", "--leads", outcome, "--line-ids",
                 "--outcome", "Converted", "--now", NOW)
    assert engine_line(err) == "engine: duckdb"
    _, err = run("-v", "diff", MODEL, MODEL, "--leads", LEADS, "--now", NOW)
    assert engine_line(err) == "engine: duckdb"
    python = CliRunner().invoke(main, ["diff", MODEL, MODEL, "--engine", "python"])
    assert python.exit_code == 2 and "--engine needs --leads" in python.stderr
