"""Model test cases: `.tests` files (grammar/tests.lark, leadscore/testing/parse.py, check.py),
running them (leadscore/testing/run.py, report.py) and `leadscore test`.

- the grammar builds, also in Lark's strict mode; its words are not reserved;
- every diagnostic a test file can get, with file:line:col, caret and suggestion,
  all of them in one run, never a traceback;
- the runner: each subject and operator, `now`, relative times, colleagues;
- the command: PASS/FAIL lines, expected vs actual with the explanation, the
  summary, exit codes 0 / 1 / 2, `--format json`, `-k`, several models;
- every example model ships with tests, and they all pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from lark import Lark

from leadscore.api import compile_analysis
from leadscore.cli import main
from leadscore.dsl import analyze
from leadscore.testing.check import analyze_tests, default_tests_path
from leadscore.testing.parse import SoftKeywords, grammar_text, parser
from leadscore.testing.run import run_cases
from leadscore.runtime import values as v

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.score"))

MODEL = """\
model "t"
field job_level: text, unknown "N/A"
field employees: number from "Number of Employees"
field email: text
field signed_up: date
field last_login: time
field active: bool
field lead: text
event page_view(url: text, seconds: number)
event email_open(email_campaign: text from "campaign")
event demo_request
clamp 0..100
group fit max 30 {
    rule role: by job_level {
        "C-level" => +15
        "Manager" => +5
    }
    rule big: +10 when employees >= 500
    rule inactive: -5 when not active
}
group engagement max 40, decay half_life 30d {
    rule views: +1 each page_view, max 10, tag engaged
    rule demo: +30 when any demo_request, tag priority
}
rule fresh: +5 when days_since(signed_up) <= 7
rule recent_login: +5 when days_since(last_login) <= 1
rule from_lead: +1 when lead == "yes"
campaign spring {
    rule opened: +10 when any email_open[email_campaign == "spring"], tag spring_reader
    group extra max 5 {
        rule visited: +5 when any page_view
    }
    tiers: low, high >= 50
    tiers extra: few, many >= 5
    qualify spring_mql when score >= 40
}
account by domain(email) {
    rule team: +10 when count(leads) >= 2
    rule role: +3 when any leads[job_level == "C-level"]
}
tiers: cold, warm >= 40, hot >= 70
tiers fit: low, high >= 20
qualify mql when score >= 50
disqualify competitor when domain(email) == "rival.com"
"""

NO_ACCOUNT_MODEL = """\
field job_level: text
rule c_level: +15 when job_level == "C-level"
"""


@pytest.fixture(scope="module")
def checked():
    analysis = analyze(MODEL, "t.score")
    assert not analysis.errors, analysis.render()
    return analysis


def check(text: str, analysis=None, filename: str = "t.tests"):
    model = (analysis or analyze(MODEL, "t.score")).model
    return analyze_tests(text, filename, model)


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def run_text(text: str, analysis, now: str = "2026-11-20T00:00:00Z"):
    result = check(text, analysis)
    assert not result.errors, result.render()
    return run_cases([(compile_analysis(analysis), result.cases)], v.parse_iso_time(now))


def one_case(body: str, analysis, header: str = 'now "2026-11-20T00:00:00Z"\n'):
    run = run_text(f'{header}test "t" {{\n{body}\n}}\n', analysis)
    assert len(run.outcomes) == 1
    return run.outcomes[0]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- the grammar -------------------------------------------------------------------------

def test_grammar_builds_in_strict_mode():
    pytest.importorskip("interegular")
    strict = Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True, postlex=SoftKeywords(),
                  propagate_positions=True, maybe_placeholders=False)
    strict.parse('now "2026-01-01"\ntest "a" { lead { x: 1, "C": -2.5 } events { e at -1.5h, 0h times 2 { a: "b" } }'
                 ' expect score in ..80 expect tags not contains [p, q] }\n')


def test_production_parser_is_lalr_contextual_with_soft_keywords():
    options = parser().options
    assert options.parser == "lalr" and options.lexer == "contextual"
    assert isinstance(options.postlex, SoftKeywords)


def test_grammar_is_shipped_as_package_data():
    assert (ROOT / "grammar" / "tests.lark").read_text(encoding="utf-8") == grammar_text()


def test_words_of_the_format_are_not_reserved(checked):
    # `lead` is a field of the model; `events` and `test` would be keys too
    outcome = one_case('lead { lead: "yes" }\nexpect rule from_lead == 1', checked)
    assert outcome.passed, outcome.checks


def test_empty_file_has_no_cases_and_no_diagnostics(checked):
    result = check("# nothing yet\n", checked)
    assert result.cases == () and result.diagnostics == ()


# ---- diagnostics -------------------------------------------------------------------------

CASE = 'now "2026-11-20T00:00:00Z"\ntest "t" {{\n{}\n}}\n'

DIAGNOSTICS = [
    # (body of a test, code, message fragment, suggestion fragment)
    ('lead { employes: 3 }\nexpect score == 0', "E-unknown-name", "no field `employes`", "did you mean `employees`?"),
    ('lead { "Number of employees": 3 }\nexpect score == 0', "E-unknown-name",
     'no field is read from column "Number of employees"', "did you mean `Number of Employees`?"),
    ('lead { "employees": 3 }\nexpect score == 0', "E-unknown-name", 'no field is read from column "employees"',
     'field `employees` is read from "Number of Employees"'),
    ('lead { employees: 1, "Number of Employees": 2 }\nexpect score == 0', "E-duplicate",
     "field `employees` is given twice", "give each field once"),
    ('lead { employees: "lots" }\nexpect score == 0', "E-type", 'field `employees` is a number; "lots" is not one',
     "write a number"),
    ('lead { active: "maybe" }\nexpect score == 0', "E-type", "field `active` is a bool", "`true`, `false`"),
    ('lead { signed_up: "2026/01/05" }\nexpect score == 0', "E-type", "field `signed_up` is a date", "-3d"),
    ('lead { employees: -2d }\nexpect score == 0', "E-type", "a time relative to now is for a `date` or `time`", None),
    ('events { page_veiw at -1d }\nexpect score == 0', "E-unknown-name", "no event type `page_veiw`",
     "did you mean `page_view`?"),
    ('events { page_view at -1d { ulr: "/" } }\nexpect score == 0', "E-unknown-attribute",
     "event `page_view` has no attribute `ulr`", "did you mean `url`?"),
    ('events { email_open at -1d { campaign: "x" } }\nexpect score == 0', "E-unknown-attribute",
     "has no attribute `campaign`", "`campaign` is the column of attribute `email_campaign`"),
    ('events { page_view at -1d { seconds: "long" } }\nexpect score == 0', "E-type",
     "attribute `seconds` is a number", None),
    ('events { page_view at -1d { url: "/", "url": "/b" } }\nexpect score == 0', "E-duplicate",
     "attribute `url` is given twice", None),
    ('events { page_view at 2d }\nexpect score == 0', "E-time-literal", "`2d` is a duration, not a time",
     "write `-2d`"),
    ('events { page_view at "last tuesday" }\nexpect score == 0', "E-time-literal",
     "`last tuesday` is not an ISO-8601 time", None),
    ('events { page_view at -1d times 0 }\nexpect score == 0', "E-number", "`times` takes a whole number", None),
    ('now "soon"\nexpect score == 0', "E-time-literal", "`soon` is not an ISO-8601 time", None),
    ('now "2026-01-01"\nnow "2026-01-02"\nexpect score == 0', "E-duplicate", "a test has one `now`", None),
    ('lead { }\nlead { }\nexpect score == 0', "E-duplicate", "a test has one `lead`", "colleague"),
    ('events { }\nevents { }\nexpect score == 0', "E-duplicate", "a test has one `events`", None),
    ('expect scroe == 1', "E-unknown-name", "unknown expectation `scroe`", "did you mean `score`?"),
    ('expect group fitt == 1', "E-unknown-name", "the model has no group `fitt`", "did you mean `fit`?"),
    ('expect group == 1', "E-syntax", "`group` needs a group name", "expect group fit == 30"),
    ('expect score fit == 1', "E-syntax", "unexpected `fit` after `score`", None),
    ('expect campaign sprung == 1', "E-unknown-name", "no campaign `sprung`", "did you mean `spring`?"),
    ('expect campaign spring group extr == 1', "E-unknown-name", "campaign `spring` has no group `extr`",
     "did you mean `extra`?"),
    ('expect campaign spring rule opend == 1', "E-unknown-name", "campaign `spring` has no rule `opend`",
     "did you mean `opened`?"),
    ('expect campaign spring disqualified == []', "E-scope", "`disqualified` is the lead's, not a campaign's", None),
    ('expect rule rol == 1', "E-unknown-name", "the model has no rule `rol`", "did you mean `role`?"),
    ('expect account rule big == 1', "E-unknown-name", "the account scope has no account rule `big`", None),
    ('expect tier == hott', "E-unknown-name", "no tier `hott`", "did you mean `hot`?"),
    ('expect tier engagement == low', "E-scope", "group `engagement` has no tiers", "`fit`"),
    ('expect tier fat == low', "E-unknown-name", "the model has no group `fat`", "did you mean `fit`?"),
    ('expect tier == 3', "E-type", "`tier` is a tier name; `3` is not", None),
    ('expect stages == [mqll]', "E-unknown-name", "no stage `mqll`", "did you mean `mql`?"),
    ('expect stages == mql', "E-type", "`stages` is a list of names", "expect stages == [mql]"),
    ('expect stages in [mql]', "E-type", "`in` does not apply to `stages`", "`contains`"),
    ('expect tags contains priorty', "E-unknown-name", "no rule has `tag priorty`", "did you mean `priority`?"),
    ('expect campaign spring tags contains priority', "E-unknown-name", "no rule has `tag priority`",
     "the tags: `spring_reader`"),
    ('expect disqualified == [competitr]', "E-unknown-name", "no disqualify `competitr`",
     "did you mean `competitor`?"),
    ('expect score == 60..70', "E-type", "a range is tested with `in`", "expect score in 60..70"),
    ('expect score in 70', "E-type", "`in` takes a range of numbers", None),
    ('expect score in 80..70', "E-type", "the range 80..70 is empty", None),
    ('expect score ~= 1.234', "E-number", "`~=` compares to 2 decimals", None),
    ('expect score contains x', "E-type", "`contains` does not apply to `score`", None),
    ('expect clamped == 1', "E-type", "`clamped` is true or false", None),
    ('lead { job_level: "x" }', "E-syntax", 'test "t" has no `expect` line', "expect score == 70"),
]


@pytest.mark.parametrize("body,code,message,suggestion", DIAGNOSTICS, ids=[d[2][:40] for d in DIAGNOSTICS])
def test_each_diagnostic(checked, body, code, message, suggestion):
    result = check(CASE.format(body), checked)
    found = [d for d in result.diagnostics if d.code == code and message in d.message]
    assert found, result.render()
    if suggestion is not None:
        assert suggestion in (found[0].suggestion or ""), found[0]
    assert all(d.is_error for d in found)


def test_diagnostic_renders_like_the_models(checked):
    text = CASE.format('lead { job_level: "C-level", employes: 750 }\nexpect score == 0')
    result = check(text, checked, filename="examples/t.tests")
    assert result.render() == """\
examples/t.tests:3:30: error: no field `employes`
  |
3 | lead { job_level: "C-level", employes: 750 }
  |                              ^^^^^^^^ did you mean `employees`?
  = code: E-unknown-name"""
    d = result.diagnostics[0].to_dict()
    assert (d["line"], d["column"], d["end_line"], d["end_column"]) == (3, 30, 3, 38)


def test_a_bare_column_name_points_to_its_field(checked):
    result = check(CASE.format('lead { Number: 3 }\nexpect score == 0'), checked)
    assert codes(result) == ["E-unknown-name"]
    bank = analyze('field calls: number from "campaign"\nrule r: +1 when calls > 1\n', "b.score")
    result = analyze_tests(CASE.format('lead { campaign: 3 }\nexpect score == 0'), "b.tests", bank.model)
    assert "`campaign` is the column of field `calls`" in result.diagnostics[0].suggestion


def test_duplicate_test_name(checked):
    text = 'test "a" {\nexpect score == 0\n}\ntest "a" {\nexpect score == 1\n}\n'
    result = check(text, checked)
    assert codes(result) == ["E-duplicate"]
    d = result.diagnostics[0]
    assert (d.line, d.column) == (4, 6) and "the first is on line 1" in d.message


def test_duplicate_file_now(checked):
    result = check('now "2026-01-01"\nnow "2026-01-02"\ntest "a" { expect score == 0 }\n', checked)
    assert codes(result) == ["E-duplicate"]


def test_tier_without_tiers_and_colleague_without_account():
    plain = analyze(NO_ACCOUNT_MODEL, "p.score")
    text = CASE.format('colleague { lead { job_level: "x" } }\nexpect tier == hot\nexpect account rule r == 1')
    result = analyze_tests(text, "p.tests", plain.model)
    messages = [d.message for d in result.diagnostics]
    assert codes(result) == ["E-scope"] * 3, messages
    assert "the model declares no `tiers:` on the total" in messages[1]
    assert "the model has no `account by` scope, so a colleague changes nothing" in messages[0]


SYNTAX = [
    ('tset "a" { }\n', "E-syntax", "unexpected `tset`", "did you mean `test`?"),
    ('test "a" {\n  expcet score == 1\n}\n', "E-syntax", "unexpected `expcet`", "did you mean `expect`?"),
    ('test "a" {\n  lead { job_level "x" }\n  expect score == 1\n}\n', "E-syntax", 'unexpected `"x"`', "expected `:`"),
    ('test "a" {\n  lead { job_level: "x }\n}\n', "E-string", "this string is not closed on its line", None),
    ('test "a" {\n  events { demo_request at -2m }\n}\n', "E-lex", "`-2m` is not a number or a time", "-1.5h"),
    ('test "a" {\n  expect score == 1 @\n}\n', "E-lex", "unexpected character `@`", None),
    ('test "a" {\n  lead { job_level: "x"\n  expect score == 1\n}\n', "E-unclosed",
     "`{` is never closed (found `expect` on line 3)", "add `}`"),
    ('test "a" {\n  expect score == 1\n', "E-unclosed", "`{` is never closed", "add `}`"),
    ('test "a" {\n  lead { x: foo }\n}\n', "E-syntax", "unexpected `foo`", "`unknown`"),
    ('test "a" {\n  frob\n}\n', "E-syntax", "unexpected `frob`", "a test holds `lead { ... }`"),
]


@pytest.mark.parametrize("text,code,message,suggestion", SYNTAX, ids=[s[2][:40] for s in SYNTAX])
def test_syntax_errors(checked, text, code, message, suggestion):
    result = check(text, checked)
    assert [d.code for d in result.diagnostics] == [code], result.render()
    d = result.diagnostics[0]
    assert message in d.message
    if suggestion is not None:
        assert suggestion in (d.suggestion or "")


def test_every_error_is_reported_in_one_run(checked):
    text = """\
now "2026-11-20T00:00:00Z"
test "one" {
    lead { employes: 1 }
    expect scroe == 1
}
test "two" {
    lead { job_level "C-level" }
}
test "three" {
    events { page_veiw at -1d }
    expect tier == hott
}
test "four" {
    expcet score == 1
}
test "one" {
    expect score == 1
}
"""
    result = check(text, checked)
    lines = [(d.line, d.code) for d in result.diagnostics]
    assert lines == [(3, "E-unknown-name"), (4, "E-unknown-name"), (7, "E-syntax"), (10, "E-unknown-name"),
                     (11, "E-unknown-name"), (14, "E-syntax"), (16, "E-duplicate")], result.render()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([
    'test', '"a"', '{', '}', 'lead', 'events', 'expect', 'score', 'tier', '==', '~=', 'in', '..', '1',
    '-2d', 'x', ':', ',', 'page_view', 'at', 'times', '[', ']', 'now', '"2026-01-01"', 'not', 'contains',
    'campaign', 'spring', 'group', 'fit', 'rule', 'role', '"', '@', '\n', '#', 'colleague', 'unknown',
]), max_size=30))
def test_no_text_raises(checked, words):
    result = check(" ".join(words), checked)
    for d in result.diagnostics:
        assert d.code and d.line >= 1 and d.column >= 1


# ---- the runner --------------------------------------------------------------------------

def test_subjects_and_operators(checked):
    outcome = one_case("""
    lead { job_level: "C-level", employees: 600, email: "a@acme.com", active: true }
    colleague { lead { email: "b@ACME.com" } }
    events {
        demo_request at -30d
        page_view at 0h times 3 { url: "/a" }
        email_open at -1d { "campaign": "spring" }
    }
    # fit 15 + 10 = 25; engagement 3 + 30 * 0.5 = 18; account 10 + 3; total 56
    expect score == 56
    expect score ~= 56.004
    expect score in 50..60
    expect score in 56..
    expect tier == warm
    expect tier in [warm, hot]
    expect tier fit == high
    expect stages == [mql]
    expect stages contains mql
    expect tags == [priority, engaged]
    expect tags contains [engaged, priority]
    expect disqualified == []
    expect clamped == false
    expect group fit == 25
    expect group engagement == 18
    expect rule role == 15
    expect account rule role == 3
    expect rule team == 10
    expect rule demo == 15
    expect rule inactive == 0
    expect campaign spring == 71
    expect campaign spring score == 71
    expect campaign spring tier == high
    expect campaign spring tier extra == many
    expect campaign spring group extra == 5
    expect campaign spring rule opened == 10
    expect campaign spring stages == [spring_mql]
    expect campaign spring tags == [spring_reader]
""".replace("~= 56.004", "~= 56"), checked)
    assert outcome.passed, [(c.expectation.text, c.actual) for c in outcome.failures]
    assert len(outcome.checks) == 28


def test_failures_are_found(checked):
    outcome = one_case("""
    lead { job_level: "Manager" }
    expect score == 6
    expect score in 10..
    expect tier == hot
    expect stages contains mql
    expect tags == [priority]
    expect rule role == 5
""", checked)
    failed = [c.expectation.text for c in outcome.failures]
    assert failed == ["expect score == 6", "expect score in 10..", "expect tier == hot",
                      "expect stages contains mql", "expect tags == [priority]"]
    assert outcome.status == "failed"


def test_approximately_is_two_decimals(checked):
    # one page view 10 days old: 0.5 ** (10 / 30) = 0.7937...
    body = 'events { page_view at -10d }\nexpect rule views ~= '
    assert one_case(body + "0.79", checked).passed
    assert not one_case(body + "0.8", checked).passed
    exact = one_case("events { page_view at -10d }\nexpect rule views == 0.7937", checked)
    assert not exact.passed
    assert "write `~=`" in exact.failures[0].hint()


def test_relative_times_for_fields_and_events(checked):
    outcome = one_case("""
    lead { signed_up: -7d, last_login: -23h }
    events { page_view at -1d, now, +1d }      # the one after now is ignored
    expect rule fresh == 5
    expect rule recent_login == 5
    expect rule views ~= 1.98
""", checked)
    assert outcome.passed, [(c.expectation.text, c.actual) for c in outcome.failures]
    older = one_case('lead { signed_up: -8d, last_login: "2026-11-18T00:00:00Z" }\n'
                     'expect rule fresh == 0\nexpect rule recent_login == 0', checked)
    assert older.passed


def test_relative_times_for_event_attributes():
    model = analyze('event trial(started: date, ended: time)\n'
                    'rule r: +5 when any trial[days_since(started) <= 3 and days_since(ended) <= 1]\n', "e.score")
    text = ('now "2026-11-20T00:00:00Z"\n'
            'test "recent" { events { trial at -1d { started: -3d, ended: -1d } } expect rule r == 5 }\n'
            'test "older" { events { trial at -1d { started: -4d, ended: -1d } } expect rule r == 0 }\n')
    result = analyze_tests(text, "e.tests", model.model)
    run = run_cases([(compile_analysis(model), result.cases)], 0)
    assert [o.passed for o in run.outcomes] == [True, True]


def test_now_comes_from_the_test_then_the_file_then_the_run(checked):
    text = """\
now "2026-11-20T00:00:00Z"
test "file" { expect score == 0 }
test "own" { now "2026-01-01T12:00:00+02:00" expect score == 0 }
"""
    run = run_text(text, checked)
    assert [v.format_time(o.now) for o in run.outcomes] == ["2026-11-20T00:00:00+00:00",
                                                            "2026-01-01T10:00:00+00:00"]
    run = run_text('test "default" { expect score == 0 }\n', checked, now="2025-05-05T00:00:00Z")
    assert v.format_time(run.outcomes[0].now) == "2025-05-05T00:00:00+00:00"


def test_sentinels_and_unknown(checked):
    outcome = one_case('lead { job_level: "n/a", employees: unknown, active: "No" }\n'
                       'expect rule role == 0\nexpect rule big == 0\nexpect rule inactive == -5', checked)
    assert outcome.passed


def test_disqualified_lead(checked):
    outcome = one_case('lead { email: "x@rival.com", job_level: "C-level" }\nevents { demo_request at 0h }\n'
                       'expect disqualified == [competitor]\nexpect score == 0\nexpect tier == cold\n'
                       'expect stages == []\nexpect group fit == 15\nexpect campaign spring == 0\n'
                       'expect campaign spring tier == low', checked)
    assert outcome.passed, [(c.expectation.text, c.actual) for c in outcome.failures]


def test_a_lead_alone_is_an_account_of_one(checked):
    outcome = one_case('lead { email: "a@acme.com", job_level: "C-level" }\n'
                       'expect rule team == 0\nexpect account rule role == 3', checked)
    assert outcome.passed


def test_outcome_json(checked):
    outcome = one_case('lead { job_level: "Manager" }\nexpect score in 1..2\nexpect stages == []', checked)
    data = outcome.to_dict()
    assert data["status"] == "failed" and data["name"] == "t" and data["model"] == "t.score"
    assert data["expectations"][0] == {"expect": "expect score in 1..2", "line": 4, "column": 1,
                                       "passed": False, "op": "in", "expected": {"min": 1.0, "max": 2.0},
                                       "actual": 5.0}
    assert data["expectations"][1]["actual"] == []
    assert data["actual"]["score"] == 5.0 and data["actual"]["contributions"][0]["rule"] == "role"
    assert data["explanation"].startswith("lead t: score 5, tier cold")


# ---- the command -------------------------------------------------------------------------

@pytest.fixture()
def project(tmp_path):
    write(tmp_path, "t.score", MODEL)
    return tmp_path


PASSING = """\
now "2026-11-20T00:00:00Z"
test "a manager scores 5" {
    lead { job_level: "Manager" }
    expect score == 5
}
"""

FAILING = PASSING + """\
test "a big C-level company is hot" {
    lead { job_level: "C-level", "Number of Employees": "5000" }
    expect score == 70
    expect tier == hot
    expect rule role == 15
}
"""


def test_command_passes(project):
    write(project, "t.tests", PASSING)
    result = invoke("test", project / "t.score")
    assert result.exit_code == 0, result.output
    assert result.output == f"{project / 't.tests'}: 1 test\n  PASS  a manager scores 5\n\n" + \
        re.search(r"1 passed in \d+\.\d\ds\n$", result.output).group()


def test_command_reports_failures_with_expected_actual_and_explanation(project):
    write(project, "t.tests", FAILING)
    result = invoke("test", project / "t.score")
    assert result.exit_code == 1
    out = result.output
    assert "  PASS  a manager scores 5\n  FAIL  a big C-level company is hot\n" in out
    tests = project / "t.tests"
    assert f"FAIL a big C-level company is hot  ({tests}:6)\n" in out
    assert f"  {tests}:8:5: expect score == 70\n    expected  == 70\n    actual    25\n" in out
    assert f"  {tests}:9:5: expect tier == hot\n    expected  == hot\n    actual    cold\n" in out
    assert "  (1 other expectation of this test held)\n" in out
    assert "  explanation:\n    lead a big C-level company is hot: score 25, tier cold\n" in out
    assert "           +15  role  job_level: \"C-level\"" in out
    assert "      missed  tier hot (total): total >= 70" in out
    assert re.search(r"\n1 passed, 1 failed in \d+\.\d\ds\n$", out)


def test_command_json(project):
    write(project, "t.tests", FAILING)
    result = invoke("test", project / "t.score", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["models"] == [str(project / "t.score")] and data["tests"] == [str(project / "t.tests")]
    assert (data["passed"], data["failed"], data["diagnostics"]) == (1, 1, [])
    assert [c["status"] for c in data["cases"]] == ["passed", "failed"]
    assert data["cases"][1]["expectations"][0]["actual"] == 25.0
    assert "explanation" in data["cases"][1] and "explanation" not in data["cases"][0]


def test_command_invalid_test_file(project):
    write(project, "t.tests", 'test "a" {\n    lead { employes: 1 }\n    expect score == 0\n}\n')
    result = invoke("test", project / "t.score")
    assert result.exit_code == 1
    assert f"{project / 't.tests'}:2:12: error: no field `employes`" in result.output
    assert "did you mean `employees`?" in result.output
    assert "1 error(s); its tests were not run" in result.output
    assert "PASS" not in result.output and "Traceback" not in result.output
    data = json.loads(invoke("test", project / "t.score", "--format", "json").stdout)
    assert data["cases"] == [] and data["diagnostics"][0]["code"] == "E-unknown-name"


def test_command_missing_test_file(project):
    result = invoke("test", project / "t.score")
    assert result.exit_code == 1
    assert f"no test file for {project / 't.score'}: {project / 't.tests'} does not exist" in result.output
    result = invoke("test", project / "t.score", project / "other.tests")
    assert result.exit_code == 1 and "cannot read the test file" in result.output


def test_command_invalid_model(project):
    write(project, "bad.score", "rule r: +1 when nope\n")
    write(project, "bad.tests", PASSING)
    result = invoke("test", project / "bad.score")
    assert result.exit_code == 1
    assert "unknown" in result.output and "is not a valid model" in result.output


def test_command_usage_errors(project):
    assert invoke("test").exit_code == 2
    assert invoke("test", project / "t.score", "--format", "xml").exit_code == 2
    write(project, "u.score", MODEL)
    result = invoke("test", project / "t.score", project / "u.score", project / "x.tests")
    assert result.exit_code == 2


def test_command_explicit_files_keyword_and_now(project):
    write(project, "a.tests", PASSING)
    write(project, "b.tests", 'test "a fresh trial" {\n    lead { signed_up: "2026-11-15" }\n'
                              '    expect rule fresh == 5\n}\n')
    result = invoke("test", project / "t.score", project / "a.tests", project / "b.tests",
                    "--now", "2026-11-20T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert "2 passed" in result.output
    late = invoke("test", project / "t.score", project / "b.tests", "--now", "2027-01-01")
    assert late.exit_code == 1
    only = invoke("test", project / "t.score", project / "a.tests", project / "b.tests", "-k", "FRESH",
                  "--now", "2026-11-20")
    assert only.exit_code == 0 and "1 passed" in only.output and "manager" not in only.output
    none = invoke("test", project / "t.score", project / "a.tests", "-k", "nothing")
    assert none.exit_code == 1 and "no test matches -k 'nothing'" in none.output


def test_command_empty_test_file(project):
    write(project, "t.tests", "# to do\n")
    result = invoke("test", project / "t.score")
    assert result.exit_code == 1 and "no tests in" in result.output


def test_default_tests_path():
    assert default_tests_path("examples/saas.score") == "examples/saas.tests"
    assert default_tests_path("model") == "model.tests"


# ---- the shipped examples ------------------------------------------------------------------

def test_every_example_model_ships_with_tests():
    assert EXAMPLES
    missing = [p.name for p in EXAMPLES if not Path(default_tests_path(p)).exists()]
    assert not missing


@pytest.mark.parametrize("model", EXAMPLES, ids=lambda p: p.name)
def test_example_tests_pass(model):
    result = invoke("test", model)
    assert result.exit_code == 0, result.output
    count = int(re.search(r"(\d+) passed", result.output).group(1))
    assert count >= 5 and "FAIL" not in result.output


def test_all_examples_at_once():
    result = invoke("test", *EXAMPLES)
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"^\S+\.tests: \d+ tests$", result.output, re.MULTILINE)) == len(EXAMPLES)


@pytest.mark.parametrize("model", EXAMPLES, ids=lambda p: p.name)
def test_example_tests_catch_a_change(model, tmp_path):
    """Changing one expected number makes the example's tests fail: they really compare."""
    text = Path(default_tests_path(model)).read_text(encoding="utf-8")
    changed = re.sub(r"(expect score == )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), text, count=1)
    assert changed != text
    tests = write(tmp_path, "changed.tests", changed)
    result = invoke("test", model, tests)
    assert result.exit_code == 1 and "1 failed" in result.output
