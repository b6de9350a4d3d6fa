"""What keeps a big model's generated module small, so it compiles quickly (benchmarks/run.py,
part c): the rules that read the same field or aggregate share one reader function, a table
rule's reason is data (runtime/plan.py `TableReason`), not a function of its own, the plan's
rules are one JSON text, the functions only explanations call are compiled on the first
call of one, and a big model's `total()` calls `_lead_result` instead of repeating its rules."""

from __future__ import annotations

import sys
import traceback

from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_the_load_path_writes_a_rules_text_only_when_an_explanation_needs_it():
    """`generate(lazy=True)`, as `leadscore.loads` calls it: the deferred `_rule_N` lines are
    blank, with the same numbers, line map and deferred list as the whole text
    (`leadscore compile`'s); the first explanation writes them, and `linecache` then shows them."""
    import linecache
    checked = analyze(big_model(40), "big.score").model
    whole, lazy = generate(checked), generate(checked, lazy=True)
    assert not whole.pending and len(lazy.pending) == 40
    assert lazy.line_map == whole.line_map and lazy.deferred == whole.deferred
    filled, expected = lazy.source.split("\n"), whole.source.split("\n")
    assert filled != expected
    for first, last, arguments in lazy.pending:
        assert filled[first - 1:last] == [""] * (last - first + 1)
        assert expected[first - 1].startswith("def _rule_")
        filled[first - 1:last] = codegen._shared_rule_lines(*arguments)
    assert filled == expected
    module = load_generated(lazy, "<big-lazy>")
    rule = next(name for name, _, _ in lazy.deferred if name.startswith("_rule_"))
    assert getattr(module, rule).__code__ is codegen._stand_in.__code__
    assert linecache.getlines("<big-lazy>") != whole.source.splitlines(True)
    closures = leadscore.loads(big_model(40), backend="closures")
    for lead in LEADS:
        a, b = module.score(lead, now=NOW), closures.score(lead, now=NOW)
        assert a.contributions == b.contributions and a.inputs == b.inputs and a.explain() == b.explain()
    assert linecache.getlines("<big-lazy>") == whole.source.splitlines(True)
    try:
        getattr(module, rule)(None)
    except AttributeError:
        frame = traceback.extract_tb(sys.exc_info()[2])[-1]
    assert frame.line == expected[frame.lineno - 1].strip() and "env." in frame.line


def test_loads_generates_lazily_and_explains_as_the_whole_module():
    text = big_model(30)
    model = leadscore.loads(text)
    module = load_generated(generate(analyze(text, "big.score").model), "<big-whole>")
    for lead in LEADS:
        a, b = model.score(lead, now=NOW), module.score(lead, now=NOW)
        assert a.score == b.score and a.contributions == b.contributions and a.explain() == b.explain()


def test_leadscore_compile_writes_the_whole_module_the_load_fills_in(tmp_path):
    """`leadscore compile` writes every `_rule_N` (its `generate` is not lazy), and the module it
    writes, imported in a fresh interpreter, explains as the lazily loaded model does."""
    import json
    import subprocess

    from click.testing import CliRunner

    from leadscore.cli import main
    text = big_model(30)
    model_path, scorer = tmp_path / "big.score", tmp_path / "big_scorer.py"
    model_path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["compile", str(model_path), "-o", str(scorer)])
    assert result.exit_code == 0, result.output
    written = scorer.read_text(encoding="utf-8")
    assert written == generate(analyze(text, str(model_path)).model).source
    assert written.count("\ndef _rule_") == 30
    probe = "\n".join([
        "import json, sys",
        "sys.path.insert(0, sys.argv[1])",
        "import big_scorer",
        "leads = json.loads(sys.argv[2])",
        "print(json.dumps([big_scorer.score(lead, now=sys.argv[3]).explain() for lead in leads]))",
    ])
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path), json.dumps(LEADS), NOW],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    loaded = leadscore.load(model_path)
    assert json.loads(run.stdout) == [loaded.score(lead, now=NOW).explain() for lead in LEADS]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["now", "f_1", "s_1", "f_12", "s_2", "f_", "x", "_", "9", "é", "٣", " ", "'",
                                 "(", "\n", "nowhere", "snow", "f_1x"]), max_size=12))
def test_the_locals_a_fast_path_reads_are_those_the_regex_finds(parts):
    """`_locals_read` finds by `str.find` what `LOCALS` (`\\b(?:now|[fs]_[0-9]+)\\b`) finds."""
    text = "".join(parts)
    names = ["now", "f_1", "s_1", "f_12", "s_2", "f_3"]
    assert codegen._locals_read(text, names) == set(codegen.LOCALS.findall(text)) & set(names)
