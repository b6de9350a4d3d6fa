"""Diagnostics: one case per code of `dsl.diagnostics.CODES`, and how they are reported.

Every case states the code, line, column, severity, message and suggestion a
rule author sees (docs/diagnostics.md shows the same examples). Further
tests cover readable syntax errors, several errors in one run, the `error`
type silencing follow-on errors, and the text and JSON renderings of
INTERFACE.md §2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.cli import main
from leadscore.dsl import analyze, analyze_file, limits
from leadscore.dsl.diagnostics import CODES, render_text
from leadscore.dsl.parse import parser
from leadscore.dsl.source import Source

PREAMBLE = """\
field job_level: text
field employees: number
field email: text
field signed_up: date
field is_customer: bool
event page_view(url: text, seconds: number)
event demo_request
"""
P = PREAMBLE.count("\n")      # the preamble's lines: a case's line 1 is line P + 1


def diagnostics(text: str, base_dir=None, preamble: bool = True):
    analysis = analyze((PREAMBLE if preamble else "") + text, "m.score", base_dir)
    return analysis.diagnostics


def only(text: str, **kwargs):
    found = diagnostics(text, **kwargs)
    assert len(found) == 1, [(d.code, d.message) for d in found]
    return found[0]


# code -> (model text after the preamble, line in that text, column, severity,
#          a substring of the message, the suggestion (None: there is none))
CASES = {
    "E-syntax": (
        "rule r: +1 when is_customer max 5",
        1, 29, "error", "unexpected `max`", "options follow a comma: `, max ...`"),
    "E-lex": (
        "rule r: +1 when employees > 3 $",
        1, 31, "error", "unexpected character `$`", "expected the end of the file, `,`, `-`"),
    "E-unclosed": (
        "group fit {\n    rule r: +1 when is_customer\n",
        1, 11, "error", "`{` is never closed", "add `}`"),
    "E-reserved": (
        "field count: number",
        1, 7, "error", "`count` is a reserved keyword and cannot be used as a name",
        'choose another name, such as `count_`; a column named `count` is bound with `from "count"`'),
    "E-chained-comparison": (
        "rule r: +1 when 1 < employees < 5",
        1, 31, "error", "comparisons do not chain", "join two comparisons with `and`: `1 < x and x < 5`"),
    "E-assign-in-condition": (
        'rule r: +1 when job_level = "C-level"',
        1, 27, "error", "`=` is not a comparison", "did you mean `==`?"),
    "E-string": (
        'rule r: +1 when job_level == "C-level\n',
        1, 30, "error", "this string is not closed on its line", 'add the closing `"`'),
    "E-unknown-name": (
        "rule big: +10 when employes >= 1000",
        1, 20, "error", "unknown field `employes`", "did you mean `employees`?"),
    "E-unknown-attribute": (
        'rule r: +5 when any page_view[ulr contains "/pricing"]',
        1, 31, "error", "event `page_view` has no attribute `ulr`", "did you mean `url`?"),
    "E-duplicate": (
        "rule a: +1 when is_customer\nrule a: +2 when is_customer",
        2, 6, "error", "`a` is already the name of a rule in this scope",
        "rule and group names are unique within a scope"),
    "E-type": (
        "rule r: +1 when employees",
        1, 17, "error", "a condition must be true or false, but this is a number", "compare it: `... >= 3`"),
    "E-scope": (
        "rule r: +1 when score >= 50",
        1, 17, "error", "`score` may be used only in `qualify` conditions, not in rule `r`", None),
    "E-option": (
        "rule r: +1 when is_customer, max 5 per 7d",
        1, 30, "error", "`max N per D` belongs to each-rules only",
        "count events with `+N each STREAM`, or use `max N`"),
    "E-duration": (
        "rule r: +1 when any page_view within 0h",
        1, 38, "error", "a duration must be greater than zero, not `0h`", None),
    "E-number": (
        "rule r: +1 each page_view, max -5",
        1, 32, "error", "a cap is a magnitude and cannot be negative", "write `max 5`"),
    "E-time-literal": (
        'rule r: +1 when signed_up >= "last year"',
        1, 30, "error", '`"last year"` is not an ISO-8601 date or time',
        'write a date as "2026-01-31" or a time as "2026-01-31T09:00:00Z"'),
    "E-regex": (
        'rule r: +1 when email matches "(a"',
        1, 31, "error", "RE2 cannot compile this pattern: missing ): (a",
        "patterns are RE2 syntax: no back-references or look-around"),
    "E-list-file": (
        'list accounts from "no-such-file.txt"',
        1, 20, "error", "cannot read list file", "the path is relative to the .score file"),
    "E-tiers": (
        "tiers: cold, warm >= 40, hot >= 30",
        1, 33, "error", "tier thresholds must increase: 30 is not above 40", None),
    "E-arm": (
        'rule r: by employees {\n    "many" => +5\n}',
        2, 5, "error", "this arm value is text, but `by` is a number", None),
    "E-model-header": (
        'rule r: +1 when is_customer\nmodel "late"',
        2, 1, "error", "`model` must be the first item of the file",
        "move the `model` line to the top of the file"),
    "E-nesting": (
        "rule r: +1 when " + " or ".join(["is_customer"] * 150),
        1, 17, "error", "this expression is nested too deeply (more than 100 levels)",
        "split it into several rules, or test membership with `x in [...]`"),
    "W-unreachable-arm": (
        "rule r: by employees {\n    100.. => +5\n    500..999 => +10\n}",
        3, 5, "warning", "this arm can never be reached: earlier arms take all of its values",
        "table arms are tried in order and the first match wins"),
    "W-decay-unused": (
        "rule r: +1 when is_customer, decay half_life 30d",
        1, 30, "warning", "rule `r` reads no events, so its points never decay",
        "remove `decay`, or count events in the rule"),
    "W-first-tier-threshold": (
        "tiers: cold >= 0, hot >= 70",
        1, 16, "warning", "the first tier takes every score below the next tier", "write just `cold`"),
    "W-empty-list": (
        "list blocked = []",
        1, 6, "warning", "list `blocked` has no values", None),
}


#: codes found before parsing, in a file's bytes: code -> (the file, line, column,
#: the start of the message, the suggestion)
FILE_CASES = {
    "E-encoding": (
        'field city: text\nrule paris: +5 when city == "Orl\u00e9ans"\n'.encode("latin-1"),
        2, 33, "the file is not UTF-8 here: byte 0xe9 (invalid continuation byte)", "save the model as UTF-8"),
    "E-too-large": (
        b"#" * (limits.MAX_MODEL + 1),
        1, 1, "the model is larger than 20 MB", "the front end reads models of up to that size; split the file"),
}


def test_every_code_has_a_case():
    assert sorted(CASES | FILE_CASES) == sorted(CODES)


@pytest.mark.parametrize("code", sorted(FILE_CASES))
def test_file_code(code, tmp_path):
    data, line, column, message, suggestion = FILE_CASES[code]
    path = tmp_path / "m.score"
    path.write_bytes(data)
    analysis = analyze_file(path)
    (d,) = analysis.diagnostics
    assert (d.code, d.line, d.column, d.severity) == (code, line, column, "error")
    assert d.message.startswith(message) and d.suggestion == suggestion
    assert analysis.model is None
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 1
    (shown,) = json.loads(result.stdout)["diagnostics"]
    assert (shown["code"], shown["line"], shown["column"]) == (code, line, column)


@pytest.mark.parametrize("code", sorted(CASES))
def test_code(code, tmp_path):
    text, line, column, severity, message, suggestion = CASES[code]
    d = only(text, base_dir=tmp_path)
    assert d.code == code
    assert (d.line, d.column) == (P + line, column)
    assert d.severity == severity
    assert message in d.message
    if suggestion is None:
        assert d.suggestion is None
    else:
        assert d.suggestion is not None and d.suggestion.startswith(suggestion)
    assert d.file == "m.score"
    assert (d.span.end_line, d.span.end_column) >= (d.line, d.column + 1) or d.span.end_line > d.line
    analysis = analyze(PREAMBLE + text, "m.score", tmp_path)
    assert (analysis.model is None) == (severity == "error")


# ---- syntax errors ---------------------------------------------------------------

def test_assignment_in_any_condition():
    for text in ['qualify q when employees = 5',
                 'rule r: +1 when any page_view[url = "/pricing"]',
                 'account by email where email = "a" { }']:
        d = only(text)
        assert (d.code, d.suggestion) == ("E-assign-in-condition", "did you mean `==`?")


def test_unclosed_brace_points_where_it_opened():
    text = ('group fit max 50 {\n'
            '    rule c_level: +15 when job_level == "C-level"\n'
            '    rule big: +5 when employees >= 1000\n')
    d = only(text)
    assert (d.code, d.line, d.column) == ("E-unclosed", P + 1, 18)
    assert (d.span.end_line, d.span.end_column) == (P + 1, 19)
    assert d.message == "`{` is never closed"


def test_unclosed_bracket_before_the_next_item():
    d = only("rule r: +1 when count(page_view >= 3\nrule s: +1 when is_customer")
    assert (d.code, d.line, d.column) == ("E-unclosed", P + 1, 22)
    assert "`(` is never closed" in d.message and "found `>=`" in d.message
    d = only('group g {\n    rule r: +1 when is_customer\nfield x: text')
    assert (d.code, d.line, d.column) == ("E-unclosed", P + 1, 9)
    assert "found `field` on line" in d.message


def test_unclosed_brace_is_not_blamed_for_a_missing_comma():
    d = only("group g {\n    rule r: +1 when is_customer max 3\n}")
    assert (d.code, d.line, d.column) == ("E-syntax", P + 2, 33)
    assert d.suggestion == "options follow a comma: `, max ...`"


def test_expected_tokens_are_named_readably():
    d = only('rule role: by job_level {\n    "C-level" +15\n}')
    assert (d.code, d.line, d.column) == ("E-syntax", P + 2, 15)
    assert d.message == "unexpected `+15`"
    assert d.suggestion == "expected `,`, `=>`"


def test_expected_tokens_are_exact_not_the_merged_lalr_row():
    # after `1..` the LALR row also lists `}`, `rule`, `and`, ...; only these can follow
    d = only("rule r: by employees {\n    1000.. +5\n}")
    assert d.suggestion == "expected a number, `,`, `=>`"
    d = only("rule r: 15 when is_customer")
    assert d.suggestion == "expected points (`+10`, `-5` or `0`), `by`"


BROKEN = [
    "rule r: +1 when", "rule r +1 when x", "rule r: by x { 1.. +5 }", "rule r: by x { else 0 }",
    "field x: string", "event e(a text)", "list l = [1, ]", "clamp 0..100..5", "group g, max 5 { }",
    "tiers: a, b > 5", "qualify q score >= 5", "account email { }", "campaign c { field x: text }",
    "rule r: +1 when count(page_view x)", "rule r: +1 when sum(page_view) > 3", "rule r: +1 when x in",
    "rule r: +1 when x is", "rule r: +1 when x starts", "rule r: +1 when not", "rule r: +1 when (",
    "rule r: +1 each", "rule r: +1 each a, decay", "rule r: +1 each a, max 3 per", "model 3",
    "rule r: +1 when x > 5 %", "rule r: +1 when x ~ 3", "rule r: +1 when x == 1 )",
]


@pytest.mark.parametrize("text", BROKEN)
def test_syntax_messages_never_show_grammar_internals(text):
    internal = {t.name for t in parser().terminals} | {"$END"}
    for d in diagnostics(text, preamble=False):
        words = set(re.findall(r"[$A-Z_][A-Z0-9_]+", f"{d.message} {d.suggestion or ''}"))
        assert not words & internal, (d.message, d.suggestion)
        assert "__ANON" not in d.message + (d.suggestion or "")
        assert not re.search(r"\b(and_test|or_test|not_test|predicate|operand|expr|condition)\b",
                             d.suggestion or "")


def test_every_syntax_error_of_a_file_is_reported():
    text = ("rule a: +1 when is_customer max 5\n"     # 1: no comma before an option
            'rule b: +1 when job_level = "x"\n'        # 2: `=`
            "field count: number\n"                    # 3: a keyword as a name
            "rule c: 5 when is_customer\n"             # 4: points without a sign
            "rule d: +1 when 1 < employees < 5\n")     # 5: a chain
    found = diagnostics(text)
    assert [(d.line - P, d.code) for d in found] == [
        (1, "E-syntax"), (2, "E-assign-in-condition"), (3, "E-reserved"), (4, "E-syntax"),
        (5, "E-chained-comparison")]


def test_an_incomplete_condition_before_the_next_rule_is_not_a_reserved_word():
    d = diagnostics("rule a: +1 when\nrule b: +1 when is_customer")[0]
    assert (d.code, d.line, d.column, d.message) == ("E-syntax", P + 2, 1, "unexpected `rule`")


def test_a_bad_number_or_duration():
    for written in ("6m", "30days", "1_", "5x"):
        d = only(f"rule r: +1 when any page_view within {written}")
        assert d.code == "E-lex"
        assert d.message == f"`{written}` is not a number, a duration or a percentage"
        assert (d.column, d.span.end_column) == (38, 38 + len(written))
        assert "`6mo`" in d.suggestion


def test_a_lone_surrogate_escape_is_a_bad_string():
    d = only(r'rule r: +1 when signed_up >= "\ud800"')
    assert (d.code, d.line, d.column) == ("E-string", P + 1, 30)
    assert "surrogate" in d.message


@pytest.mark.parametrize("digits", [101, 400, 5000])     # 400: too large for a float; 5000: for int()
def test_a_number_written_too_long(digits):
    big = "9" * digits
    for text, column in [(f"rule r: +1 when employees > {big}", 29), (f"clamp 0..{big}", 10),
                         (f"rule r: +{big} when is_customer", 9), (f"rule r: +1 when any page_view within {big}d", 38),
                         (f"rule r: +1 each page_view, decay {big}% per 1d", 34),
                         (f"rule r: +1 when employees > 0.{big}", 29), (f"rule r: +1 when employees > 1_{big}", 29)]:
        d = only(text)
        assert (d.code, d.line, d.column) == ("E-number", P + 1, column), text
        assert d.message.endswith("` is too long a number (more than 100 characters)")
        assert len(d.message) < 80


def test_a_number_of_100_characters_is_read():
    assert diagnostics("rule r: +1 when employees > " + "1" * 100) == ()
    assert diagnostics("rule r: +1 when employees > 1." + "0" * 98) == ()


def test_a_string_longer_than_the_limit():
    d = only('rule r: +1 when job_level == "' + "a" * (limits.MAX_STRING + 1) + '"')
    assert (d.code, d.line, d.column) == ("E-string", P + 1, 30)
    assert d.message == "this string is longer than 1 MB (1,048,576 characters)"
    assert diagnostics('rule r: +1 when job_level == "' + "\\n" * (limits.MAX_STRING // 2) + '"') == ()


def test_a_model_longer_than_the_limit_is_not_parsed():
    (d,) = analyze("rule r: +1 when x\n" * (limits.MAX_MODEL // 18 + 1), "m.score").diagnostics
    assert (d.code, d.line, d.column) == ("E-too-large", 1, 1)


def test_not_utf8_is_reported_at_the_bad_byte(tmp_path):
    path = tmp_path / "m.score"
    cases = [(b"\xef\xbb\xbffield x: text\r\n# caf\xc3\xa9 \xff\n", 2, 8, "byte 0xff (invalid start byte)"),
             (b"\xff", 1, 1, "byte 0xff"), (b"field x: text\n# \xe2\x82", 2, 3, "unexpected end of data"),
             (b"# \xed\xa0\x80 a surrogate\n", 1, 3, "byte 0xed")]
    for data, line, column, message in cases:
        path.write_bytes(data)
        (d,) = analyze_file(path).diagnostics
        assert (d.code, d.line, d.column) == ("E-encoding", line, column), data
        assert message in d.message
        result = CliRunner().invoke(main, ["validate", str(path)])
        assert result.exit_code == 1
        assert f"m.score:{line}:{column}: error: the file is not UTF-8 here" in result.output


def test_a_model_file_is_read_with_universal_newlines(tmp_path):
    path = tmp_path / "m.score"
    path.write_bytes(b"field x: number\r\nrule r: +1 when x > 1\rrule s: +1 when y\r\n")
    (d,) = analyze_file(path).diagnostics
    assert (d.code, d.line, d.column) == ("E-unknown-name", 3, 17)


def test_a_device_as_a_model_is_too_large():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    (d,) = analyze_file("/dev/zero").diagnostics
    assert d.code == "E-too-large"


@pytest.mark.parametrize("path, reason", [
    ("a\\u0000b.txt", "a path cannot contain a NUL character"),
    ("/dev/zero", "not a regular file"),
    (".", "not a regular file"),
    ("big.txt", "larger than 10 MB"),
    ("latin1.txt", "can't decode byte 0xe9"),
])
def test_list_files_that_are_refused(path, reason, tmp_path):
    (tmp_path / "big.txt").write_bytes(b"a\n" * (limits.MAX_LIST_FILE // 2 + 1))
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    d = only(f'list l from "{path}"', base_dir=tmp_path)
    assert (d.code, d.line, d.column) == ("E-list-file", P + 1, 13)
    assert reason in d.message and "\0" not in d.message


def test_a_list_file_at_the_limit_is_read(tmp_path):
    (tmp_path / "l.txt").write_bytes(b"a\n" * (limits.MAX_LIST_FILE // 2))
    assert diagnostics('list l from "l.txt"', base_dir=tmp_path) == ()


def test_a_campaign_may_not_take_a_global_groups_name():
    d = only("group fit { rule r: +1 when is_customer }\ncampaign fit { rule s: +1 when is_customer }")
    assert (d.code, d.line, d.column) == ("E-duplicate", P + 2, 10)
    assert d.message == "`fit` is a global group; a campaign may not take its name"
    # a campaign may share a name with a rule, and with another campaign's group
    assert diagnostics("rule fit: +1 when is_customer\ncampaign fit { rule s: +1 when is_customer }\n"
                       "campaign c { group d { rule s: +1 when is_customer } }\n"
                       "campaign d { rule s: +1 when is_customer }") == ()


# ---- the checker: many errors at once, no follow-on errors ---------------------------

def test_five_mistakes_give_five_diagnostics_in_order():
    text = ('rule big: +10 when employes >= 1000\n'                 # 1: unknown name
            'rule b: +1 when job_level >= 3\n'                      # 2: text vs number
            'rule big: +1 when is_customer\n'                       # 3: duplicate
            'rule d: +1 when any page_view within 0d\n'             # 4: zero duration
            'rule e: +1 when email matches "[a"\n')                 # 5: bad pattern
    found = diagnostics(text)
    assert [(d.line - P, d.column, d.code) for d in found] == [
        (1, 20, "E-unknown-name"), (2, 17, "E-type"), (3, 6, "E-duplicate"),
        (4, 38, "E-duration"), (5, 31, "E-regex")]
    assert found[0].suggestion == "did you mean `employees`?"


def test_diagnostics_are_sorted_by_line_and_column():
    text = ("rule a: +1 when nope_b and nope_a\nrule b: +1 when nope_c\n")
    found = diagnostics(text)
    assert [(d.line, d.column) for d in found] == sorted((d.line, d.column) for d in found)
    assert [d.message for d in found] == ["unknown field `nope_b`", "unknown field `nope_a`",
                                          "unknown field `nope_c`"]


def test_one_unknown_name_in_a_large_expression_gives_one_diagnostic():
    text = ('rule r: +5 when (job_level == "C-level" or not (days_since(signd_up) > 30 '
            'and days_since(signed_up) in 1..5)) and count(page_view) >= 3')
    d = only(text)
    assert (d.code, d.line, d.column) == ("E-unknown-name", P + 1, 60)
    assert d.suggestion == "did you mean `signed_up`?"


def test_error_type_silences_follow_ons_in_every_construct():
    cases = [
        'rule r: by domain(emial) { "a.com" => +1 }',       # table arms of an unknown `by`
        "rule r: +1 when last page_vew - now > 3d",         # time arithmetic
        "rule r: +1 when not (nope)",                       # logic and conditions
        'rule r: +1 when nope contains "a"',                # text tests
        "rule r: +1 when nope in [1, 2]",                   # membership
        "rule r: +1 when nope matches \"a\"",
        "qualify q when nope >= 3",
        "account by nope { rule a: +1 when key == 3 }",     # the key's type
        "rule r: +1 each page_vew, distinct url, max 3 per 7d",
    ]
    for text in cases:
        found = diagnostics(text)
        assert len(found) == 1, (text, [d.message for d in found])
        assert found[0].code == "E-unknown-name", text


def test_duplicate_and_repeated_option_messages():
    assert only("field demo_request: text").message == "`demo_request` is already declared as an event"
    assert only("event employees").message == "`employees` is already declared as a field"
    d = only("rule r: +1 each page_view, max 3, max 4")
    assert (d.code, d.message) == ("E-option", "`max N` is given twice")
    d = only("rule r: +1 each page_view, max 3 per 1d, max 4 per 2d")
    assert (d.code, d.message) == ("E-option", "`max N per D` is given twice")


def test_the_numbers_without_quotes_hint_only_for_a_quoted_number():
    assert only('rule r: +1 when employees >= "3"').suggestion == "numbers are written without quotes"
    assert only("rule r: +1 when job_level >= 3").suggestion is None


def test_unknown_names_suggest_the_closest():
    assert only("rule r: +1 when Employees > 3").suggestion == "did you mean `employees`?"
    assert only("rule r: +1 when any page_veiw").suggestion == "did you mean `page_view`?"
    assert only("rule r: +1 when zzz > 3").suggestion is None
    d = only("rule r: +1 when demo_request")
    assert (d.code, d.suggestion) == ("E-type", "count it: `any demo_request` or `count(demo_request) >= N`")


# ---- rendering ---------------------------------------------------------------------

def test_text_rendering_matches_the_interface_layout():
    text = "field employees: number\n" + "\n" * 10 + "rule big: +10 when employes >= 1000\n"
    analysis = analyze(text, "examples/saas.score")
    (d,) = analysis.diagnostics
    lines = render_text(d, analysis.source).splitlines()
    assert lines[:4] == [
        "examples/saas.score:12:20: error: unknown field `employes`",
        "   |",
        "12 | rule big: +10 when employes >= 1000",
        "   |                    ^^^^^^^^ did you mean `employees`?",
    ]
    assert lines[4:] == ["   = code: E-unknown-name"]


def test_text_rendering_of_a_warning_and_a_one_digit_line():
    analysis = analyze("list blocked = []\n", "m.score")
    assert analysis.render().splitlines()[:4] == [
        "m.score:1:6: warning: list `blocked` has no values",
        "  |",
        "1 | list blocked = []",
        "  |      ^^^^^^^",
    ]


def test_text_rendering_of_a_span_running_past_its_line():
    analysis = analyze('field d: date\nrule r: +1 when d >= "2026-01-01" and\n  d <= "nope"\n', "m.score")
    (d,) = analysis.diagnostics
    assert d.code == "E-time-literal"
    assert analysis.render().splitlines()[2:4] == ['3 |   d <= "nope"', '  |        ^^^^^^ write a date as "2026-01-31" or a time as "2026-01-31T09:00:00Z"']


def test_text_rendering_keeps_carets_under_the_span_after_a_tab():
    analysis = analyze("field e: number\nrule r:\t+1 when\temployes > 1\n", "m.score")
    lines = analysis.render().splitlines()
    assert lines[2].index("employes") == lines[3].index("^")


def test_json_format_keys(tmp_path):
    model = tmp_path / "m.score"
    model.write_text("field employees: number\nrule big: +10 when employes >= 1000\nlist e = []\n")
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(model)])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert list(payload) == ["diagnostics"]
    first, second = payload["diagnostics"]
    assert list(first) == ["file", "line", "column", "end_line", "end_column", "severity", "code",
                           "message", "suggestion"]
    assert first == {"file": str(model), "line": 2, "column": 20, "end_line": 2, "end_column": 28,
                     "severity": "error", "code": "E-unknown-name", "message": "unknown field `employes`",
                     "suggestion": "did you mean `employees`?"}
    assert (second["code"], second["severity"], second["suggestion"]) == ("W-empty-list", "warning", None)


# ---- docs/diagnostics.md -------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"
SECTION = re.compile(r"^## (\S+)\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def doc_sections() -> dict:
    """The section of each code (the page ends with `## Limits`, not a code)."""
    return {m.group(1): m.group(2) for m in SECTION.finditer(DOCS.read_text(encoding="utf-8"))
            if re.fullmatch(r"[EW]-[a-z0-9-]+", m.group(1))}


def test_docs_describe_every_code():
    assert list(doc_sections()) == list(CODES)


@pytest.mark.parametrize("code", list(CODES))
def test_docs_example_gives_its_documented_output(code, tmp_path, monkeypatch):
    """Each section's `score` example, run as models/model.score, prints its `text` block."""
    blocks = BLOCK.findall(doc_sections()[code])
    examples = [body for tag, body in blocks if tag == "score"]
    outputs = [body for tag, body in blocks if tag == "text"]
    assert len(outputs) == 1
    if code in FILE_CASES:                              # bytes, not text: the case's file
        monkeypatch.chdir(tmp_path)
        (tmp_path / "model.score").write_bytes(FILE_CASES[code][0])
        assert analyze_file("model.score").render() + "\n" == outputs[0]
        return
    if not examples:                                   # E-nesting: too long to show; first line only
        assert code == "E-nesting"
        text = "field vip: bool\nrule r: +1 when " + " or ".join(["vip"] * 150) + "\n"
        (d,) = analyze(text, "model.score").diagnostics
        assert outputs[0] == f"model.score:{d.line}:{d.column}: {d.severity}: {d.message}\n{d.suggestion}\n"
        return
    (example,) = examples
    analysis = analyze(example, "model.score", "models")      # `models/` does not exist
    assert [d.code for d in analysis.diagnostics] == [code]
    assert analysis.render() + "\n" == outputs[0]


def test_a_span_is_the_position_of_its_two_ends():
    """Source.span computes positions itself (the parser asks for one per node): the same as `position`."""
    source = Source("ab\n\ncd\ne")
    size = len(source.text)
    for start in range(-2, size + 3):
        for end in range(-2, size + 3):
            span = source.span(start, end)
            assert (span.line, span.column, span.end_line, span.end_column) == \
                (*source.position(start), *source.position(end)), (start, end)
