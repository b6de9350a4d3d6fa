"""`validate` and `test` with `--format junit` (JUnit XML) and `--format github` (workflow commands)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from leadscore.cli.ciformats import annotation
from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

INVALID = """\
field employees: number
field job_level: text
rule big: +10 when employes >= 1000
rule senior: +5 when job_level >= 3
"""

WARNING_ONLY = """\
field employees: number
list empty = []
rule big: +10 when employees >= 1000
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def junit(result) -> ET.Element:
    """The standard output parsed as one XML document (so nothing else was printed there)."""
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    return root


def counts(element) -> tuple:
    return tuple(int(element.get(key)) for key in ("tests", "failures", "errors"))


def broken_saas_tests(tmp_path) -> Path:
    """saas.tests with two expectations of its first test made wrong."""
    text = (EXAMPLES / "saas.tests").read_text(encoding="utf-8")
    text = text.replace("expect score == 65", "expect score == 66", 1)
    text = text.replace("expect tier == warm", "expect tier == hot", 1)
    return write(tmp_path, "saas.tests", text)


# ---- GitHub annotations: the escaping ------------------------------------------------------

def test_annotation_escapes_message_and_properties():
    line = annotation("error", "50% done\r\nnext: a, b", file="dir,x/m:1.score", line=3, col=7, title="a: b, c%")
    assert line == ("::error file=dir%2Cx/m%3A1.score,line=3,col=7,title=a%3A b%2C c%25"
                    "::50%25 done%0D%0Anext: a, b")
    assert "\n" not in line and "\r" not in line


def test_annotation_without_a_position():
    assert annotation("warning", "plain") == "::warning::plain"
    assert annotation("error", "x", file="m.score") == "::error file=m.score::x"


def test_percent_is_escaped_first_so_codes_survive():
    assert annotation("error", "%0A\n") == "::error::%250A%0A"


# ---- validate ------------------------------------------------------------------------------

def test_validate_junit_one_testcase_per_model(tmp_path):
    bad = write(tmp_path, "bad.score", INVALID)
    missing = tmp_path / "missing.score"
    result = run("validate", "--format", "junit", EXAMPLES / "b2b.score", bad, missing)
    assert result.exit_code == 1
    root = junit(result)
    assert counts(root) == (3, 1, 1)
    (suite,) = root.findall("testsuite")
    assert counts(suite) == (3, 1, 1)
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [str(EXAMPLES / "b2b.score"), str(bad), str(missing)]
    assert list(cases[str(EXAMPLES / "b2b.score")]) == []
    failure = cases[str(bad)].find("failure")
    assert failure.get("message") == "2 error(s), 0 warning(s)"
    assert "E-unknown-name" in failure.text and "E-type" in failure.text and "did you mean `employees`" in failure.text
    assert cases[str(missing)].find("error") is not None


def test_validate_junit_passes_and_keeps_warnings_unless_strict(tmp_path):
    model = write(tmp_path, "warn.score", WARNING_ONLY)
    relaxed = run("validate", "--format", "junit", model)
    assert relaxed.exit_code == 0
    case = junit(relaxed).find("testsuite/testcase")
    assert counts(junit(relaxed)) == (1, 0, 0)
    assert "W-empty-list" in case.find("system-out").text
    strict = run("validate", "--format", "junit", "--strict", model)
    assert strict.exit_code == 1
    assert counts(junit(strict)) == (1, 1, 0)
    assert "W-empty-list" in junit(strict).find("testsuite/testcase/failure").text


def test_validate_junit_of_every_example_is_green():
    models = sorted(EXAMPLES.glob("*.score"))
    result = run("validate", "--format", "junit", *models)
    assert result.exit_code == 0
    assert counts(junit(result)) == (len(models), 0, 0)


def test_validate_github_one_annotation_per_diagnostic(tmp_path):
    bad = write(tmp_path, "bad.score", INVALID)
    warn = write(tmp_path, "warn.score", WARNING_ONLY)
    result = run("validate", "--format", "github", bad, warn, tmp_path / "missing.score")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"::error file={tmp_path / 'missing.score'}::cannot read the model",
        f"::error file={bad},line=3,col=20,title=E-unknown-name::unknown field `employes`"
        "%0Ahelp: did you mean `employees`?",
        f"::error file={bad},line=4,col=22,title=E-type::cannot compare text with a number",
        f"::warning file={warn},line=2,col=6,title=W-empty-list::list `empty` has no values",
    ]


def test_validate_github_prints_nothing_for_clean_models():
    result = run("validate", "--format", "github", EXAMPLES / "saas.score")
    assert result.exit_code == 0 and result.stdout == ""


# ---- test ----------------------------------------------------------------------------------

def test_test_junit_one_testcase_per_case(tmp_path):
    tests = broken_saas_tests(tmp_path)
    result = run("test", EXAMPLES / "saas.score", tests, "--format", "junit")
    assert result.exit_code == 1
    root = junit(result)
    (suite,) = root.findall("testsuite")
    total = len(suite.findall("testcase"))
    assert total == (EXAMPLES / "saas.tests").read_text(encoding="utf-8").count("\ntest ")
    assert counts(root) == counts(suite) == (total, 1, 0)
    assert suite.get("name") == str(tests)
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert failed[0].get("classname") == "saas" and failed[0].get("line") == "10"
    failure = failed[0].find("failure")
    assert failure.get("message") == ("expect score == 66 (line 14): actual 65; "
                                      "expect tier == hot (line 15): actual warm")
    assert "explanation:" in failure.text
    assert "passed, 1 failed" in result.stderr


def test_test_junit_all_passing_exits_0():
    result = run("test", EXAMPLES / "b2b.score", "--format", "junit")
    assert result.exit_code == 0
    root = junit(result)
    assert counts(root)[1:] == (0, 0) and counts(root)[0] > 0


def test_test_junit_reports_a_model_that_cannot_run(tmp_path):
    bad = write(tmp_path, "bad.score", INVALID)
    write(tmp_path, "bad.tests", 'test "x" {\n  lead { employees: 1 }\n  expect score == 0\n}\n')
    result = run("test", bad, "--format", "junit")
    assert result.exit_code == 1
    root = junit(result)
    assert counts(root) == (1, 0, 1)
    error = root.find("testsuite/testcase/error")
    assert error.get("message") == f"{bad} is not a valid model (2 error(s))"
    assert "E-unknown-name" in error.text


def test_test_github_one_annotation_per_failed_case(tmp_path):
    tests = broken_saas_tests(tmp_path)
    result = run("test", EXAMPLES / "saas.score", tests, "--format", "github")
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"::error file={tests},line=14,col=5,title=test failed%3A a C-level lead")
    assert line.endswith("::expect score == 66 (line 14): actual 65%0Aexpect tier == hot (line 15): actual warm")


def test_test_github_annotates_diagnostics_of_a_model_that_cannot_run(tmp_path):
    bad = write(tmp_path, "bad.score", INVALID)
    result = run("test", bad, "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"::error file={bad}::{bad} is not a valid model (2 error(s))"
    assert [ln.split("title=")[1].split("::")[0] for ln in lines[1:]] == ["E-unknown-name", "E-type"]


def test_junit_text_cannot_break_the_xml():
    from leadscore.cli.ciformats import _element
    parent = ET.Element("x")
    _element(parent, "failure", "bad \x00 byte \x1b[31m", message="a\x07b")
    parsed = ET.fromstring(ET.tostring(parent, encoding="unicode"))
    assert parsed.find("failure").text == "bad \ufffd byte \ufffd[31m"
    assert parsed.find("failure").get("message") == "a\ufffdb"
