"""What keeps a big model's generated module small, so it compiles quickly (benchmarks/run.py,
part c): the rules that read the same field or aggregate share one reader function, a table
rule's reason is data (runtime/plan.py `TableReason`), not a function of its own, the plan's
rules are one JSON text, the functions only explanations call are compiled on the first
call of one, and a big model's `total()` calls `_lead_result` instead of repeating its rules."""

from __future__ import annotations

import sys
import traceback

import leadscore
from leadscore.compiler import codegen
from leadscore.compiler.codegen import TOTAL_INLINE_MAX_RULES, generate, load_generated
from leadscore.dsl import analyze

NOW = "2026-11-20T00:00:00Z"


def big_model(rules: int) -> str:
    lines = ['model "big" version 1', "field title: text", "field seats: number"]
    for k in range(rules):
        if k % 2:
            lines.append(f'rule r{k}: +{k % 7 + 1} when title == "t{k % 5}" or seats > {k}')
        else:
            lines.append(f"rule r{k}: by seats {{ ..{k} => +1  {k}..{k + 9} => +2  unknown => -1 }}")
    return "\n".join(lines) + "\n"


def test_rules_reading_the_same_field_share_one_reader():
    source = generate(analyze(big_model(60), "big.score").model).source
    assert source.count("\ndef _input_") == 2                  # title and seats, for all 60 rules
    assert "\ndef _reason_" not in source


def test_shared_readers_and_table_reasons_explain_as_the_closures_do():
    text = big_model(12)
    codegen, closures = leadscore.loads(text), leadscore.loads(text, backend="closures")
    for lead in ({"title": " T1 ", "seats": 4}, {"seats": 15}, {"title": "t3"}, {}):
        a, b = codegen.score(lead, now=NOW), closures.score(lead, now=NOW)
        assert a.contributions == b.contributions and a.inputs == b.inputs and a.explain() == b.explain()


LEADS = ({"title": " T1 ", "seats": 4}, {"seats": 15}, {"title": "t3"}, {"title": "T0", "seats": 1e6}, {})


def test_functions_only_explanations_call_are_compiled_on_the_first_call():
    text = big_model(40)
    generated = generate(analyze(text, "big.score").model)
    deferred = {name for name, _, _ in generated.deferred}
    assert sum(name.startswith("_rule_") for name in deferred) == 40
    assert sum(name.startswith("_input_") for name in deferred) == 2
    module = load_generated(generated, "<big>")
    stand_in = codegen._stand_in.__code__
    assert all(getattr(module, name).__code__ is stand_in for name in deferred)
    closures = leadscore.loads(text, backend="closures")
    first = module.score(LEADS[0], now=NOW)        # the score path needs none of them
    assert all(getattr(module, name).__code__ is stand_in for name in deferred)
    assert first.explain() == closures.score(LEADS[0], now=NOW).explain()    # compiles them, all at once
    assert not any(getattr(module, name).__code__ is stand_in for name in deferred)
    for lead in LEADS:
        a, b = module.score(lead, now=NOW), closures.score(lead, now=NOW)
        assert a.contributions == b.contributions and a.inputs == b.inputs and a.explain() == b.explain()
    # the plan holds the stand-ins, which now are the functions: no wrapper left per call
    planned = module.PLAN.rules[0]
    assert planned.points is getattr(module, planned.points.__name__)
    assert planned.points.__code__.co_name == planned.points.__name__


def test_a_deferred_function_keeps_its_line_numbers():
    generated = generate(analyze(big_model(6), "big.score").model)
    name, first, last = next(entry for entry in generated.deferred if entry[0].startswith("_rule_"))
    module = load_generated(generated, "<big-lines>")
    try:
        getattr(module, name)(None)          # no env: fails on the function's first line that reads it
    except AttributeError:
        frame = traceback.extract_tb(sys.exc_info()[2])[-1]
    assert frame.filename == "<big-lines>" and first < frame.lineno <= last
    assert frame.line == generated.source.splitlines()[frame.lineno - 1].strip()
    assert "env." in frame.line


def test_a_big_models_total_calls_its_lead_result():
    small, big = big_model(TOTAL_INLINE_MAX_RULES), big_model(TOTAL_INLINE_MAX_RULES + 1)
    assert "read = lead.get" in generate(analyze(small, "s.score").model).source.split("def total(", 1)[1]
    source = generate(analyze(big, "b.score").model).source
    body = source.split("def total(", 1)[1].split("\ndef ", 1)[0]
    assert "return _lead_result(" in body and "read = lead.get" not in body
    assert source.count("read = lead.get") == 1            # the rules are inlined once, in _lead_result
    model, closures = leadscore.loads(big), leadscore.loads(big, backend="closures")
    module = load_generated(generate(analyze(big, "b.score").model), "<big-total>")
    for lead in LEADS:
        assert module.total(lead, now=NOW) == module.score(lead, now=NOW).score == closures.score(lead, now=NOW).score
    assert model.score(LEADS[0], now=NOW).score == closures.score(LEADS[0], now=NOW).score
