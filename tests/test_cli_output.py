"""What the CLI shows a person (issue 15, points 3-7): the summary, the progress bar,
colour, -q, no surprise files, --decimals and the CSV warnings column, exit codes, help."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import leadscore
from leadscore.cli import console, main
from leadscore.cli.progress import Progress, count_lines, input_size
from leadscore.batch.output import rounded
from leadscore.runtime.resultjson import ResultLines

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MODEL, LEADS, EVENTS = EXAMPLES / "b2b.score", EXAMPLES / "b2b" / "leads.csv", EXAMPLES / "b2b" / "events.csv"
NOW = "2026-11-20T00:00:00Z"
ANSI = "\x1b["


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def score(*extra):
    return run("score", MODEL, "--leads", LEADS, "--events", EVENTS, "--now", NOW, *extra)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- the summary ---------------------------------------------------------------------

def test_summary_without_events_has_no_events_line():
    result = run("score", MODEL, "--leads", LEADS, "--now", NOW)
    assert result.exit_code == 0
    assert "events:" not in result.stderr
    assert "\nrejects: 0\n" in result.stderr


def test_rejects_line_says_where_they_went(tmp_path, monkeypatch):
    leads = write(tmp_path / "leads.csv", "id,name\nA,x\nA,y\n,z\n")
    counted = run("score", MODEL, "--leads", leads, "--now", NOW)
    assert "rejects: 2 (counted only; --rejects PATH keeps them)" in counted.stderr
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)          # restored after the test: later tests read examples/ relative to the root
    written = run("score", MODEL, "--leads", leads, "--now", NOW, "-o", "out/s.jsonl")
    assert f"rejects: 2 (written to {os.path.join('out', 'rejects.jsonl')})" in written.stderr


def test_diff_does_not_tell_the_user_to_pass_rejects(tmp_path):
    leads = write(tmp_path / "leads.csv", "id,name\nA,x\nA,y\n")
    result = run("diff", MODEL, MODEL, "--leads", leads, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "rejects: 1 (counted only)\n" in result.stderr
    assert "--rejects" not in result.stderr


def test_quiet_silences_the_summary():
    loud, quiet = score(), run("-q", "score", MODEL, "--leads", LEADS, "--events", EVENTS, "--now", NOW)
    assert "leads:" in loud.stderr
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == loud.stdout


# ---- the progress bar ----------------------------------------------------------------

def test_input_size_is_the_lines_of_a_plain_file(tmp_path):
    assert count_lines(write(tmp_path / "a.csv", "id\n1\n2\n")) == 3
    assert count_lines(write(tmp_path / "b.csv", "id\n1\n2")) == 3      # no final newline
    assert input_size(str(tmp_path / "b.csv.gz")) is None                # compressed: not known
    assert input_size("-") is None


class Recording(Progress):
    """A progress bar drawn into a string, remembering each phase's total and last position."""

    def __init__(self):
        super().__init__(io.StringIO())
        self.phases: list = []

    def __call__(self, what, path=None, total=None):
        update = super().__call__(what, path, total)
        phase = [what, self.bar.total, 0]
        self.phases.append(phase)

        def recorded(position):
            phase[2] = position
            update(position)
        return recorded


@pytest.mark.parametrize("model", ["b2b.score", "saas.score"])
def test_progress_phases_have_totals_and_reach_them(model, monkeypatch):
    from leadscore.cli import progress
    bar = Recording()
    monkeypatch.setattr(progress, "_shared", [bar])
    monkeypatch.setattr("leadscore.cli.options.terminal_progress", progress.shared)
    shown = []
    monkeypatch.setattr(console, "note", lambda text: shown.append(bar.bar is None))
    # the Python engine's phases (DuckDB reads a CSV file whole, without a per-row bar)
    result = run("score", EXAMPLES / model, "--leads", LEADS, "--events", EVENTS, "--now", NOW, "--engine", "python")
    assert result.exit_code == 0, result.output
    lines = {"events": count_lines(EVENTS), "leads": count_lines(LEADS)}
    assert [what for what, _total, _at in bar.phases][:2] == ["events", "leads"]
    for what, total, at in bar.phases:
        assert total == lines.get(what, 300) and at == total
    assert shown == [True]                    # the bar was cleared before the summary was printed


def test_progress_only_on_a_terminal(monkeypatch):
    from leadscore.cli import options as cli
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert cli.terminal_progress() is None


# ---- colour --------------------------------------------------------------------------

BROKEN = "field employees: number\nrule big: +10 when employes >= 1000\n"


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("mode, no_color, tty, expected", [
    ("auto", "", True, True), ("auto", "1", True, False), ("auto", "", False, False),
    ("always", "1", False, True), ("never", "", True, False)])
def test_colour_decision(mode, no_color, tty, expected, monkeypatch):
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setattr("sys.stderr", Tty() if tty else io.StringIO())
    console.configure(mode)
    try:
        assert console.coloured(err=True) is expected
    finally:
        console.configure()


def test_diagnostics_in_colour_only_when_asked(tmp_path):
    model = write(tmp_path / "m.score", BROKEN)
    plain = run("validate", model)
    coloured = run("--color", "always", "validate", model)
    assert plain.exit_code == coloured.exit_code == 1
    assert ANSI not in plain.output
    assert click.style("error", fg="red", bold=True) in coloured.stdout
    assert click.style(f"{model}:2:20", bold=True) in coloured.stdout
    assert click.style("^^^^^^^^", fg="red", bold=True) in coloured.stdout
    assert click.unstyle(coloured.stdout) == plain.stdout


def test_test_results_in_colour(tmp_path):
    result = run("--color", "always", "test", EXAMPLES / "saas.score")
    assert result.exit_code == 0, result.output
    assert click.style("PASS", fg="green", bold=True) in result.stdout
    assert ANSI not in run("--color", "never", "test", EXAMPLES / "saas.score").stdout


def test_failed_test_is_red():
    assert console.paint_tests("  FAIL  x") == "  " + click.style("FAIL", fg="red", bold=True) + "  x"


# ---- no surprise files ---------------------------------------------------------------

def test_backtest_writes_no_rejects_file_unless_asked(tmp_path):
    out = tmp_path / "report.json"
    result = run("backtest", EXAMPLES / "bank-marketing.score", "--leads",
                 EXAMPLES / "data" / "bank-marketing-sample.csv", "--line-ids", "--outcome", "y",
                 "--now", NOW, "--format", "json", "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_calibrate_writes_no_rejects_file_unless_asked(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "x.score"
    result = run("calibrate", EXAMPLES / "bank-marketing.score", "--leads",
                 EXAMPLES / "data" / "bank-marketing-sample.csv", "--line-ids", "--outcome", "y",
                 "--now", NOW, "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.score"]


# ---- --decimals and the warnings column ------------------------------------------------

def test_decimals_round_every_shown_score():
    full = [json.loads(line) for line in score("--explain").stdout.splitlines()]
    short = [json.loads(line) for line in score("--explain", "--decimals", "2").stdout.splitlines()]
    assert full[0]["score"] == 90.54136162958133 and short[0]["score"] == 90.54
    for a, b in zip(full, short):
        assert b["score"] == round(a["score"], 2)
        assert b["groups"] == {k: round(v, 2) for k, v in a["groups"].items()}
        for name, campaign in a["campaigns"].items():
            assert b["campaigns"][name]["score"] == round(campaign["score"], 2)
            assert b["campaigns"][name]["groups"] == {k: round(v, 2) for k, v in campaign["groups"].items()}
        assert [c["points"] for c in b["contributions"]] == [round(c["points"], 2) for c in a["contributions"]]
        assert {k: v for k, v in b.items() if k not in ("score", "groups", "campaigns", "contributions")} == \
               {k: v for k, v in a.items() if k not in ("score", "groups", "campaigns", "contributions")}


def test_decimals_in_csv():
    rows = score("--format", "csv", "--decimals", "1").stdout.splitlines()
    assert rows[1].startswith("L1,90.5,hot,")


def test_decimals_in_parquet(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    result = score("--format", "parquet", "--decimals", "0", "-o", tmp_path / "s.parquet")
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "s.parquet").to_pylist()
    assert table[0]["score"] == 91.0 and "warnings" in table[0]


def test_rounded_result_lines_are_what_json_dumps_writes():
    model = leadscore.load(MODEL)
    lines = ResultLines(model.plan)
    leads = [{"id": "a", "employees": "500"}, {"id": "b"}]
    for result in model.score_many(leads, [{"lead_id": "a", "type": "page_view", "at": "2026-11-01"}], now=NOW):
        for decimals in (0, 1, 3):
            short = rounded(result, decimals)
            assert lines.text(short) == json.dumps(short.to_dict(), ensure_ascii=False)


def test_negative_zero_rounds_to_zero():
    model = leadscore.load(MODEL)
    result = next(iter(model.score_many([{"id": "a"}], now=NOW)))
    import attrs
    tiny = attrs.evolve(result, score=-0.0001)
    assert json.dumps(rounded(tiny, 2).to_dict()["score"]) == "0.0"


def test_decimals_with_several_processes_are_the_same_bytes():
    one, two = score("--decimals", "2"), score("--decimals", "2", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout


def test_csv_has_a_warnings_column(tmp_path):
    leads = write(tmp_path / "leads.csv", "id,Number of Employees\nA,lots\nB,10\n")
    result = run("score", MODEL, "--leads", leads, "--now", NOW, "--format", "csv")
    assert result.exit_code == 0, result.output
    import csv
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert "cannot read 'lots' as number" in rows[0]["warnings"] and rows[1]["warnings"] == ""


@pytest.mark.parametrize("extra", [["--decimals", "2"], ["--format", "csv"], ["--format", "csv", "--decimals", "3"]])
def test_duckdb_engine_rounds_and_writes_warnings_like_python(extra, tmp_path, monkeypatch):
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    import test_bad_data as bad_data
    import test_sql
    model = write(tmp_path / "model.score", bad_data.MODEL)
    leads = bad_data.write_bytes(tmp_path / "leads.csv", bad_data.LEADS_CSV, True, "\r\n")
    events = bad_data.write_bytes(tmp_path / "events.csv", bad_data.EVENTS_CSV)
    test_sql.assert_duckdb_runs_like_python(model, leads, events, tmp_path, *extra)
    test_sql.assert_duckdb_runs_like_python(MODEL, LEADS, EVENTS, tmp_path, *extra)


# ---- exit codes ----------------------------------------------------------------------

def test_an_internal_error_exits_3_in_one_line(monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr("leadscore.batch.output.ResultWriter.write", broken)
    monkeypatch.delenv("LEADSCORE_DEBUG", raising=False)
    result = score("--explain")
    assert result.exit_code == 3
    assert "leadscore: internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.output


def test_usage_errors_still_exit_2():
    assert run("score", MODEL).exit_code == 2
    assert run("--color", "pink", "validate", MODEL).exit_code == 2


# ---- help ----------------------------------------------------------------------------

PATH_WORDS = re.compile(r"\b(file|path|folder|directory)\b")   # lower case: words, not placeholders


def path_like(option: click.Option) -> bool:
    """Does the option name a file: by its name, its metavar, or its help outside parentheses?"""
    if option.is_flag:
        return False
    help_text = re.sub(r"\([^)]*\)", "", option.help or "")      # not `sqlite:///PATH`: a URL
    words = " ".join([option.name.replace("_", " "), (option.metavar or "").lower(), help_text])
    return option.name in ("output", "rejects") or bool(PATH_WORDS.search(words))


def commands(group=main, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from commands(command, prefix + (name,))


def test_every_option_has_help_and_every_command_an_example():
    problems = []
    for name, command in [(("leadscore",), main), *commands()]:
        where = " ".join(name)
        if "Example" not in (command.help or ""):
            problems.append(f"{where}: no Example in its --help")
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            option = param.opts[-1]
            if not param.help:
                problems.append(f"{where} {option}: no help text")
            if path_like(param) and isinstance(param.type, click.types.StringParamType):
                problems.append(f"{where} {option}: a path typed TEXT (use click.Path)")
    assert not problems, "\n".join(problems)
