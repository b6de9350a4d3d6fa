"""Generated code is inert whatever the model says (issue [speed], "safe by construction").

Hostile models put quotes, newlines, backslashes, braces, `__import__`,
unicode look-alikes and very long strings wherever the language allows text
or names. The generated module must compile, every name in it must be one
the generator makes (never model text), the model's text may appear only
inside string constants, and it must score exactly as the closures do.
"""

from __future__ import annotations

import ast
import builtins
import re

import pytest

import leadscore
from leadscore.compiler.codegen import generate
from leadscore.dsl import analyze

NOW = "2026-11-20T00:00:00Z"

GENERATED_NAME = re.compile(
    r"_t\d+|_K\d+|_rule_\d+|_input_\d+|_stream_\d+|_qualify_\d+|_disqualify_\d+"
    r"|_account_key|_account_where|[frs]_\d+")
RUNTIME_NAMES = {
    "_re2", "_plan", "_schema", "_values", "_Model", "_now_us", "_Plan", "_PlanCampaign", "_PlanGroup",
    "_PlanRule", "_Env", "_field_value", "_distinct", "_newest_known", "_sum_known", "_domain",
    "NAME", "VERSION", "FIELDS", "EVENTS", "PLAN", "MODEL", "LINE_MAP", "_RULES",
    "score", "score_many", "total", "env", "item", "lead", "stripped", "now", "cache", "found",
    "cutoff", "e", "points", "weight", "weights", "k", "x", "at", "times", "t", "read", "events",
    "leads", "options", "group",
}

HOSTILE_TEXTS = [
    'a\\"b', "it's", 'x\\"); __import__(\\"os\\").system(\\"echo pwned\\"); (\\"',
    "line\\nbreak", "tab\\there", "{curly}", "{{double}}", "back\\\\slash", "__import__('os')",
    "\\u0430dmin",            # Cyrillic а: looks like "admin"
    "\\u202egnp.exe",         # right-to-left override
    "x" * 5000,
    "'''", '\\"\\"\\"', "# not a comment", "\\\\n",
]


def hostile_model(text: str, name: str = "__import__") -> str:
    """A model that uses `text` in every place a string may stand and `name` where a name may."""
    return f'''
model "{text}" version 1
field {name}: text from "{text}", unknown "{text}?"
field n: number
event {name}_ev(attr: text from "{text}")
list {name}_list = ["{text}", "plain"]
rule {name}: +5 when {name} == "{text}", because "{text}"
rule {name}_in: +3 when {name} in {name}_list, tag {name}
rule {name}_re: +2 when {name} contains "{text}" or {name} starts with "{text}"
rule {name}_ev_rule: +1 each {name}_ev[attr == "{text}"], max 4
rule {name}_table: by {name} {{
    "{text}" => +7
    else     => -1
}}
group {name}_group max 10 {{
    rule inner: +4 when any {name}_ev within 30d
}}
campaign {name}_campaign {{
    rule c: +1 when {name} ends with "{text}"
    qualify {name}_stage when score >= 1
}}
tiers: {name}_cold, {name}_hot >= 5
qualify {name}_mql when score >= 3
disqualify {name}_out when {name} == "{text}{text}"
'''


def check_inert(source: str, model_texts: list[str]) -> None:
    tree = ast.parse(source)
    allowed_builtins = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert (GENERATED_NAME.fullmatch(node.id) or node.id in RUNTIME_NAMES
                    or node.id in allowed_builtins), f"unexpected name {node.id!r} in generated code"
        elif isinstance(node, (ast.FunctionDef, ast.arg)):
            name = node.name if isinstance(node, ast.FunctionDef) else node.arg
            assert GENERATED_NAME.fullmatch(name) or name in RUNTIME_NAMES, name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert all(m == "re2" or m.startswith("leadscore.runtime") for m in modules), modules
        elif isinstance(node, ast.Attribute):
            assert re.fullmatch(r"[a-z_][a-z_0-9]*|MODEL|RuleInfo|GroupInfo|CampaignInfo|ModelInfo|TierSet|TableReason"
                                r"|Field|Attribute|EventType", node.attr), node.attr
    # the model's own text shows up only inside string constants
    code_only = _strip_strings_and_comments(source)
    for text in model_texts:
        if len(text) > 3:
            assert text not in code_only, f"model text {text[:40]!r} appears outside a string"


def _strip_strings_and_comments(source: str) -> str:
    import io
    import tokenize
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            kept.append(token.string)
    return " ".join(kept)


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_model_generates_inert_code_and_scores_like_closures(text):
    source_text = hostile_model(text)
    analysis = analyze(source_text, "hostile.score")
    assert analysis.errors == (), analysis.render()
    generated = generate(analysis.model).source
    compile(generated, "<hostile>", "exec")
    value = analysis.model.fields[0]
    check_inert(generated, [value.column, "__import__('os')", "echo pwned", "pwned"])

    codegen = leadscore.loads(source_text, "hostile", backend="codegen")
    closures = leadscore.loads(source_text, "hostile", backend="closures")
    decoded = analysis.model.fields[0].column   # the string as the checker decoded it
    leads = [
        {"id": "1", decoded: decoded, "n": 1},
        {"id": "2", decoded: decoded + decoded},
        {"id": "3", decoded: "plain"},
        {"id": "4"},
    ]
    events = [{"type": f"__import___ev", "at": "2026-11-19T00:00:00Z", decoded: decoded}] * 6
    for lead in leads:
        a = codegen.score(lead, events, now=NOW)
        b = closures.score(lead, events, now=NOW)
        assert a.to_dict(explain=True) == b.to_dict(explain=True)
        assert a.explain() == b.explain()
    hit = codegen.score(leads[0], events, now=NOW)
    points = {c.rule: c.points for c in hit.contributions}
    assert points["__import__"] == 5 and points["__import___table"] == 7
    assert points["__import___ev_rule"] == 4            # six events, capped at 4
    assert hit.disqualified == ()
    assert codegen.score(leads[1], now=NOW).disqualified == ("__import___out",)


def test_generated_module_names_the_score_line_it_came_from():
    analysis = analyze(hostile_model("q"), "hostile.score")
    generated = generate(analysis.model)
    from leadscore.compiler.codegen import line_ranges, score_location
    ranges = line_ranges(generated.line_map)
    lines = generated.source.splitlines()
    rule_line = next(k for k, line in enumerate(lines, 1) if line.startswith("def _rule_"))
    where = score_location(ranges, rule_line)
    assert where is not None and where[0] == "hostile.score" and where[3].startswith("rule ")
    # runs of lines from one rule are merged, not listed line by line
    assert len(ranges) < len(generated.line_map)


def test_total_fast_path_equals_the_full_score():
    """`total()` (inlined fields and rules for a model without events) gives `score().score`."""
    from leadscore.compiler.codegen import load_generated
    from leadscore.batch.io import read_rows
    analysis = leadscore.dsl.analyze_file("examples/x-education.score")
    generated = generate(analysis.model)
    module = load_generated(generated, "<x-education>")
    body = generated.source.split("def total(", 1)[1].split("\ndef ", 1)[0]
    assert "read = lead.get" in body        # the specialized body, not the fallback
    rows = [row.data for row in read_rows("examples/data/x-education-sample.csv")]
    rows += [{}, {"TotalVisits": "lots", "Lead Origin": "  API  "}, {"Total Time Spent on Website": 10**6}]
    for row in rows:
        assert module.total(row, now=NOW) == module.score(row, now=NOW).score
