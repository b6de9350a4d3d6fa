"""Diagnostics that find everything in one run (issue 15, point 10).

After a syntax error the file is parsed declaration by declaration: each
broken declaration gets its own diagnostic, the ones that parsed are still
checked, and positions stay those of the file. Also: help for an undeclared
event type, and `explain --lead` suggesting the id that was meant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import leadscore
from leadscore.cli import main
from leadscore.cli.scoring import LeadIds
from leadscore.dsl import analyze
from leadscore.dsl.diagnostics import Reporter
from leadscore.dsl.parse import to_ast
from leadscore.dsl.recover import parse
from leadscore.dsl.recover import MAX_SYNTAX_ERRORS, by_declaration, declaration_starts
from leadscore.dsl.source import Source

ROOT = Path(__file__).resolve().parent.parent

#: one syntax error (line 5) and three name errors in other declarations
FOUR_MISTAKES = """\
field employees: number
event demo_request
rule big: +10 when employes >= 1000
rule demo: +20 each demo_requset
rule mid: +5 when employees >= 100 max 20
qualify mql when scroe >= 50
"""
FOUR_FOUND = [(3, 20, "E-unknown-name"), (4, 21, "E-unknown-name"),
              (5, 36, "E-syntax"), (6, 18, "E-unknown-name")]


def found(text: str) -> list[tuple]:
    return [(d.line, d.column, d.code) for d in analyze(text, "m.score").diagnostics]


# ---- one run finds everything ------------------------------------------------------

def test_a_syntax_error_and_three_name_errors_give_four_diagnostics():
    analysis = analyze(FOUR_MISTAKES, "m.score")
    assert [(d.line, d.column, d.code) for d in analysis.diagnostics] == FOUR_FOUND
    assert analysis.model is None
    assert [d.suggestion for d in analysis.diagnostics] == [
        "did you mean `employees`?", "did you mean `demo_request`?",
        "options follow a comma: `, max ...`", None]


def test_the_library_raises_with_all_four():
    with pytest.raises(leadscore.ModelError) as caught:
        leadscore.loads(FOUR_MISTAKES, "m.score")
    assert [(d.line, d.column, d.code) for d in caught.value.diagnostics] == FOUR_FOUND


def test_validate_prints_all_four(tmp_path):
    path = tmp_path / "m.score"
    path.write_text(FOUR_MISTAKES)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    for line, column, _code in FOUR_FOUND:
        assert f"m.score:{line}:{column}: error:" in result.output
    assert "1 model(s) checked: 4 error(s), 0 warning(s)" in result.output
    # the caret sits under the syntax error, on the file's own line
    assert "5 | rule mid: +5 when employees >= 100 max 20\n  | " + " " * 35 + "^^^" in result.output


def test_two_syntax_errors_in_different_declarations_each_get_one():
    text = ("field employees: number\n"
            "rule a: +1 when employees >= 10 max 2\n"      # no comma before an option
            "rule b: +1 when employees > 3\n"
            "rule c: 5 when employees > 1\n"               # points without a sign
            "rule d: +1 when employes > 1\n")
    assert found(text) == [(2, 33, "E-syntax"), (4, 9, "E-syntax"), (5, 17, "E-unknown-name")]


def test_a_declaration_cut_short_names_the_next_keyword():
    # parsed alone, `rule a` ends at the end of its text; the file had `rule` there
    d = analyze("rule a: +1 when\nrule b: +1 when nope\n", "m.score").diagnostics
    assert [(x.line, x.column, x.code, x.message) for x in d] == [
        (2, 1, "E-syntax", "unexpected `rule`"), (2, 17, "E-unknown-name", "unknown field `nope`")]


def test_names_of_a_broken_declaration_are_not_reported_as_unknown():
    text = ("field employees number\n"                   # broken: `employees` is lost, not unknown
            "list vips = [\"a\",]\n"                      # broken: `vips` too
            "event visit(url text)\n"
            "rule a: +1 when employees > 3 and job in vips\n"
            "rule b: +1 each visit\n"
            "tiers grp: cold, hot >= 5\n"
            "group grp max {\n  rule c: +1 when employees > 1\n}\n")
    assert found(text) == [(1, 17, "E-syntax"), (2, 18, "E-syntax"), (3, 17, "E-syntax"),
                           (4, 35, "E-unknown-name"),      # only `job`, which nothing declares
                           (7, 15, "E-syntax")]


def test_declarations_swallowed_by_an_unclosed_brace_are_not_unknown():
    text = ("rule a: +1 when is_customer\n"
            "group g {\n"
            "    rule b: +1 when is_customer\n"
            "field is_customer: bool\n")
    assert found(text) == [(2, 9, "E-unclosed")]


def test_a_misplaced_model_line_and_a_name_error():
    text = 'field employees: number\nmodel "saas" version 2\nrule r: +1 when employes > 1\n'
    assert found(text) == [(2, 1, "E-model-header"), (3, 17, "E-unknown-name")]
    assert found('# a comment\nmodel "saas"\nrule r: +1 when nope > 1\n') == [(3, 17, "E-unknown-name")]


def test_a_too_deep_expression_and_a_name_error():
    deep = " or ".join(["vip"] * 150)
    text = f"field vip: bool\nrule r: +1 when {deep}\nrule s: +1 when nope\n"
    assert found(text) == [(2, 17, "E-nesting"), (3, 17, "E-unknown-name")]


def test_syntax_errors_are_capped_but_the_rest_is_checked():
    broken = "".join(f"rule r{i}: +1 when x max 1\n" for i in range(MAX_SYNTAX_ERRORS + 5))
    codes = [code for _l, _c, code in found("field x: bool\n" + broken + "rule z: +1 when nope\n")]
    assert codes == ["E-syntax"] * MAX_SYNTAX_ERRORS + ["E-unknown-name"]


def test_parse_still_gives_nothing_for_a_file_with_a_syntax_error():
    # `leadscore fmt` and friends must never see a model with a declaration missing
    source = Source(FOUR_MISTAKES, "m.score")
    assert parse(source, Reporter(source)) is None


# ---- a file without errors: the same AST, declaration by declaration or whole ----------

@pytest.mark.parametrize("name", ["b2b.score", "saas.score", "x-education.score"])
def test_declarations_parsed_alone_give_the_whole_files_ast(name):
    source = Source((ROOT / "examples" / name).read_text(), name)
    whole = to_ast(source, Reporter(source))
    parts = by_declaration(source, Reporter(source))
    assert parts.model == whole and not parts.lost
    assert [i.span for i in parts.model.items] == [i.span for i in whole.items]
    assert len(declaration_starts(source.text)) > 5


def test_declarations_start_only_outside_brackets_comments_and_strings():
    text = ('group g {\nrule a: +1 when x\n}\n# rule in a comment\n'
            'rule b: +1 when y in [\nfield\n]\nrule c: +1 when z == "\nrule"\n')
    starts = declaration_starts(text)
    assert [text[s:].split("\n")[0] for s in starts] == [
        "group g {", "rule b: +1 when y in [", 'rule c: +1 when z == "', 'rule"']


# ---- help for an undeclared event type --------------------------------------------------

def test_an_undeclared_event_says_how_to_declare_it():
    for use in ("+1 each demo_requset", "+1 when no demo_requset within 30d",
                "+1 when count(demo_requset) >= 2"):
        d = analyze(f"event page_view\nrule r: {use}\n", "m.score").diagnostics
        assert [(x.code, x.message, x.suggestion) for x in d] == [
            ("E-unknown-name", "unknown event `demo_requset`", "declare it with `event demo_requset`")]


def test_an_undeclared_event_close_to_a_declared_one_gets_did_you_mean():
    d = analyze("event demo_request\nrule r: -5 when no demo_requst within 30d\n", "m.score").diagnostics
    assert [x.suggestion for x in d] == ["did you mean `demo_request`?"]
    d = analyze("field demo: bool\nrule r: +1 each demo\n", "m.score").diagnostics
    assert [x.suggestion for x in d] == ["`demo` is a field; streams name events"]


# ---- explain --lead: did you mean ------------------------------------------------------

def explain(tmp_path, lead):
    model = tmp_path / "m.score"
    model.write_text("field employees: number\nrule big: +5 when employees > 3\n")
    leads = tmp_path / "leads.csv"
    leads.write_text("id,employees\nA2,5\nB7,10\n")
    return CliRunner().invoke(main, ["explain", str(model), "--leads", str(leads),
                                     "--now", "2026-01-01T00:00:00Z", "--lead", lead])


@pytest.mark.parametrize("asked, hint", [("a2", "; did you mean `A2`?"), ("B77", "; did you mean `B7`?"),
                                         ("zzz", "")])
def test_explain_suggests_the_lead_meant(tmp_path, asked, hint):
    result = explain(tmp_path, asked)
    assert result.exit_code == 1
    assert f"no scored lead with id `{asked}` in " in result.output
    assert result.output.rstrip().endswith(f"leads.csv{hint}")


def test_explain_on_a_large_file_suggests_only_a_case_difference(monkeypatch):
    monkeypatch.setattr(LeadIds, "NEAR", 3)
    ids = LeadIds("l17")
    for lead in ["L1", "L2", "L3", "L4", "L71", "L17"]:
        ids.add(lead)
    assert ids.hint() == "; did you mean `L17`?" and ids.ids[-1] == "L17" and len(ids.ids) == 4
    ids = LeadIds("L18")
    for lead in ["L1", "L2", "L3", "L4", "L17"]:
        ids.add(lead)
    assert ids.hint() == ""


def test_a_keyword_in_column_one_that_goes_on_a_rule_is_not_a_declaration():
    # `event` on its own line is the stream of `no`: only the real mistake is reported
    text = ("field x: bool\n"
            "rule a: +1 when x max 2\n"
            "rule d: -15 when no\n"
            "event within 90d\n"
            "rule e: +1 when nope\n")
    assert found(text) == [(2, 19, "E-syntax"), (5, 17, "E-unknown-name")]
