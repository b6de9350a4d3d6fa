"""What keeps a big model's generated module small, so it compiles quickly (benchmarks/run.py,
part c): the rules that read the same field or aggregate share one reader function, and a
table rule's reason is data (runtime/plan.py `TableReason`), not a function of its own."""

from __future__ import annotations

import leadscore
from leadscore.compiler.codegen import generate
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
