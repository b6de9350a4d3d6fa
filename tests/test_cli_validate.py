"""`leadscore validate` (INTERFACE.md §1–§2): exit codes, diagnostics, `--strict`, `--format json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import leadscore
from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*.score"))

INVALID = """\
field employees: number
field job_level: text
rule big: +10 when employes >= 1000
rule lead: +5 when job_level = "C-level"
"""

TWO_CHECK_ERRORS = """\
field employees: number
field job_level: text
rule big: +10 when employes >= 1000
rule senior: +5 when job_level >= 3
list empty = []
"""


def run(*args):
    return CliRunner().invoke(main, list(args))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_no_traceback(result):
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_examples_validate():
    assert EXAMPLES, "examples/*.score is empty"
    result = run("validate", *EXAMPLES)
    assert result.exit_code == 0, result.output
    assert result.output == f"{len(EXAMPLES)} model(s) checked: 0 error(s), 0 warning(s)\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: Path(p).name)
def test_each_example_validates_strictly(example):
    result = run("validate", "--strict", example)
    assert result.exit_code == 0, result.output


def test_invalid_model_prints_every_diagnostic(tmp_path):
    model = write(tmp_path, "bad.score", TWO_CHECK_ERRORS)
    result = run("validate", model)
    assert result.exit_code == 1
    out = result.stdout
    assert f"{model}:3:20: error: unknown field `employes`" in out
    assert "did you mean `employees`?" in out
    assert f"{model}:4:22: error: cannot compare text with a number" in out
    assert f"{model}:5:6: warning: list `empty` has no values" in out
    assert out.index(":3:20:") < out.index(":4:22:") < out.index(":5:6:")
    assert "1 model(s) checked: 2 error(s), 1 warning(s)" in result.stderr
    assert_no_traceback(result)


def test_syntax_errors_are_all_printed(tmp_path):
    model = write(tmp_path, "bad.score", INVALID + "rule c: 5 when job_level is known\n")
    result = run("validate", model)
    assert result.exit_code == 1
    assert f"{model}:4:30: error: `=` is not a comparison" in result.stdout
    assert f"{model}:5:9: error: unexpected `5`" in result.stdout


def test_every_file_is_checked_and_reported(tmp_path):
    good = EXAMPLES[0]
    bad = write(tmp_path, "bad.score", TWO_CHECK_ERRORS)
    worse = write(tmp_path, "worse.score", "rule r: +1 when nope\n")
    result = run("validate", good, bad, worse)
    assert result.exit_code == 1
    assert f"{bad}:3:20:" in result.stdout and f"{worse}:1:17:" in result.stdout
    assert "3 model(s) checked: 3 error(s), 1 warning(s)" in result.stderr


def test_strict_turns_a_warning_into_a_failure(tmp_path):
    model = write(tmp_path, "warn.score", "field x: number\nlist empty = []\nrule r: +1 when x > 1\n")
    relaxed = run("validate", model)
    assert relaxed.exit_code == 0
    assert "warning: list `empty` has no values" in relaxed.stdout
    strict = run("validate", "--strict", model)
    assert strict.exit_code == 1
    assert "warning: list `empty` has no values" in strict.stdout


def test_json_format(tmp_path):
    model = write(tmp_path, "bad.score", TWO_CHECK_ERRORS)
    result = run("validate", "--format", "json", model)
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    codes = [(d["line"], d["code"], d["severity"]) for d in payload["diagnostics"]]
    assert codes == [(3, "E-unknown-name", "error"), (4, "E-type", "error"), (5, "W-empty-list", "warning")]
    for d in payload["diagnostics"]:
        assert set(d) == {"file", "line", "column", "end_line", "end_column", "severity", "code",
                          "message", "suggestion"}
        assert d["file"] == model


def test_json_format_of_a_valid_model():
    result = run("validate", "--format", "json", EXAMPLES[0])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"diagnostics": []}


@pytest.mark.parametrize("args", [
    ["validate"],                                   # no model
    ["validate", "--bogus", "x.score"],             # unknown option
    ["validate", "--format", "xml", "x.score"],     # bad choice
    ["no-such-command"],
])
def test_wrong_usage_exits_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert_no_traceback(result)


def test_missing_file_exits_1_with_a_message(tmp_path):
    missing = str(tmp_path / "missing.score")
    result = run("validate", missing)
    assert result.exit_code == 1
    assert f"{missing}: error: cannot read the model: No such file or directory" in result.stderr
    assert_no_traceback(result)


def test_undecodable_file_is_a_diagnostic_at_the_bad_byte(tmp_path):
    path = tmp_path / "latin1.score"
    path.write_bytes(b'field x: text\nrule r: +1 when x == "caf\xe9"\n')
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert f"{path}:2:26: error: the file is not UTF-8 here: byte 0xe9" in result.stdout
    assert "code: E-encoding" in result.stdout
    assert_no_traceback(result)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_exits_1_with_a_message(tmp_path):
    path = Path(write(tmp_path, "secret.score", "field x: text\n"))
    path.chmod(0)
    try:
        result = run("validate", str(path))
    finally:
        path.chmod(0o600)
    assert result.exit_code == 1
    assert "cannot read the model: Permission denied" in result.stderr


def test_a_missing_file_does_not_hide_the_others(tmp_path):
    bad = write(tmp_path, "bad.score", "rule r: +1 when nope\n")
    result = run("validate", str(tmp_path / "missing.score"), bad)
    assert result.exit_code == 1
    assert "cannot read the model" in result.stderr
    assert f"{bad}:1:17: error: unknown field `nope`" in result.stdout


def test_a_missing_list_file_is_a_diagnostic(tmp_path):
    model = write(tmp_path, "m.score", 'list accounts from "accounts.txt"\n')
    result = run("validate", model)
    assert result.exit_code == 1
    assert f"{model}:1:20: error: cannot read list file" in result.stdout
    (tmp_path / "accounts.txt").write_text("acme.com\n")
    assert run("validate", model).exit_code == 0


def test_a_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.score"
    path.write_bytes("\ufefffield x: number\nrule r: +1 when x > 1\n".encode("utf-8"))
    assert run("validate", str(path)).exit_code == 0


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"leadscore, version {leadscore.__version__}"


def test_help_has_an_example():
    result = run("validate", "--help")
    assert result.exit_code == 0
    assert "leadscore validate examples/*.score" in result.output
    assert "--strict" in result.output and "--format" in result.output


def test_subprocess(tmp_path):
    """The installed entry point, once, as a CI job runs it."""
    bad = write(tmp_path, "bad.score", INVALID)
    script = Path(sys.executable).parent / "leadscore"
    command = ([str(script)] if script.exists()
               else [sys.executable, "-c", "from leadscore.cli import main; main()"]) + ["validate"]
    ok = subprocess.run(command + EXAMPLES, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert ok.returncode == 0, ok.stderr
    failed = subprocess.run(command + [bad], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert failed.returncode == 1
    assert f"{bad}:3:20: error: unknown field `employes`" in failed.stdout     # checked after a syntax error
    assert f"{bad}:4:30: error: `=` is not a comparison" in failed.stdout
    assert "1 model(s) checked: 2 error(s), 0 warning(s)" in failed.stderr
    assert "Traceback" not in failed.stderr
    usage = subprocess.run(command + ["--bogus"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert usage.returncode == 2
