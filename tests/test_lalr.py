"""dsl/lalr.py: the one-pass driver gives exactly what Lark's tree and the
transformer give — the same AST, spans included, and the same diagnostics —
and declines (Lark's path then decides) wherever Lark would raise."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import strategies as S  # noqa: E402
from leadscore.dsl import analyze, limits, parse
from leadscore.dsl.diagnostics import Reporter
from leadscore.dsl.source import Excerpt, Source
from lark.exceptions import UnexpectedInput
from test_fuzz_frontend import CORPUS, mutants


def by_lark(source):
    """The AST and diagnostics as Lark's tree and the transformer give them (or Lark's error)."""
    reporter = Reporter(source)
    tree = parse.parser().parse(source.text)
    if parse.too_deep(tree) is not None:
        return "too deep"
    return parse.ToAst(source, reporter).transform(tree), reporter.diagnostics


def quickly(source):
    reporter = Reporter(source)
    return parse.quick_ast(source, reporter), reporter.diagnostics


def same(source) -> bool:
    """The driver agrees with Lark on one text: the same AST and diagnostics, or a decline."""
    try:
        expected = by_lark(source)
    except UnexpectedInput:
        expected = "declined"
    model, diagnostics = quickly(source)
    if model is None:
        assert diagnostics == []            # what it reported before declining is taken back
        return expected in ("declined", "too deep")
    return expected != "declined" and attrs.astuple(model) == attrs.astuple(expected[0]) \
        and diagnostics == expected[1]


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def test_the_score_grammar_has_a_driver():
    assert parse.driver() is not None


def test_to_ast_does_not_build_lark_s_tree_for_valid_text(monkeypatch):
    source = Source(text(CORPUS[0][0]))
    assert parse.driver() is not None     # built from Lark's tables first (in a fresh process too)
    monkeypatch.setattr(parse, "parser", lambda: pytest.fail("Lark's parser was used"))
    assert parse.to_ast(source, Reporter(source)).items


def test_the_shipped_models_and_doc_blocks():
    assert all(same(Source(text(data))) for data, _ in CORPUS)


def test_mutants():
    """Broken models (many still valid, and some only invalid later in the file)."""
    wrong = [case for case, data, _ in mutants(600, seed=23) if not same(Source(text(data)))]
    assert wrong == []


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(S.models(max_rules=12))
def test_generated_models(model):
    assert same(Source(model.text))


@pytest.mark.parametrize("snippet", [
    "",
    'model "m" version 2',
    "field a: number\nrule r: +1 when ((a) == 1) and not not (a > 2)\n",
    "field a: number\nrule r: +1 when a - 1d - 2d > now\n",
    'field t: text\nrule r: by t {\n  "x", "y" => +1\n  unknown => 0\n  else => -2\n}\n',
    "field n: number\nrule r: by n { 1..5 => +1\n ..0 => -1\n 6.. => +2 }\n",
    "tiers: hot >= 50, warm >= 10, cold\nclamp 0..100\n",
    "group g { }\ngroup h max 10, min -5 { rule r: +1 when true }\n",
    'list l = []\nlist m = ["a", 1, true]\n',
    "event visit(page: text from \"p\", n: number)\nrule r: +2 each visit[page == \"x\"] within 30d, "
    "max 10 per 7d, decay half_life 14d, tag t, because \"b\"\n",
    "event e\naccount by domain(email) where count(e) > 1 { rule r: +1 when any leads[score > 3] }\n",
    "field a: number  # a comment\nrule r: 0 when a is unknown\n",
    'field s: text\nrule r: +1 when s == "\\u00e9\\"\\n\\ud800"\n',
    "field n: number\nrule r: +1 when n > " + "9" * 400 + "\n",
    "field n: number\nrule r: +1 when n > 1" + "0" * 320 + "\n",
])
def test_snippets(snippet):
    assert same(Source(snippet))


def test_an_excerpt_keeps_the_file_s_positions():
    whole = Source("rule broken: +1 when\nfield a: number\nrule r: +1 when a > 1\n")
    assert same(Excerpt(whole, 21, len(whole.text)))


def test_nesting_beyond_the_limit_is_left_to_lark():
    nested = "rule r: +1 when " + "not (" * 60 + "true" + ")" * 60 + " or x" * 60 + "\n"
    assert quickly(Source(nested))[0] is None
    with pytest.raises(parse.TooDeep):
        parse.to_ast(Source(nested), Reporter(Source(nested)))
    for terms, taken in ((97, True), (98, False)):     # the deepest tree taken, and one level more
        chain = Source("rule r: +1 when " + " or ".join(["x"] * terms) + "\n")
        assert same(chain) and (quickly(chain)[0] is not None) == taken


def test_a_diagnostic_of_a_text_that_then_fails_is_taken_back():
    long = '"' + "x" * (limits.MAX_STRING + 1) + '"'
    source = Source(f"field s: text\nrule r: +1 when s == {long}\nrule broken: +1 when\n")
    reporter = Reporter(source)
    with pytest.raises(UnexpectedInput):
        parse.to_ast(source, reporter)
    assert reporter.diagnostics == []


def test_analyze_pauses_the_cyclic_collector(monkeypatch):
    """The nodes `analyze` makes all live on: the collector is off meanwhile, and as it was after."""
    import gc

    from leadscore.dsl import check

    seen = []
    real = check.check
    monkeypatch.setattr(check, "check", lambda *args: seen.append(gc.isenabled()) or real(*args))
    assert gc.isenabled()
    assert analyze("field a: number\nrule r: +1 when a > 1\n").model is not None
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        analyze("rule r: +1 when")
        assert not gc.isenabled()
    finally:
        gc.enable()
