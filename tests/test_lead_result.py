"""The generated fast path for a lead given no events (`_lead_result`, compiler/codegen.py):
`Model.score` gives the same result through it as the full assembly of runtime/scoring.py —
every field, the JSON text, the explanation, pickling — with its explanation worked out
only when asked for."""

from __future__ import annotations

import json
import os
import pickle

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadscore
from leadscore.compiler import codegen
from leadscore.dsl import analyze
from leadscore.runtime.results import LazyResult, ScoreResult

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(HERE)
NOW = "2026-11-20T00:00:00Z"

MODEL = """
model "lead-only" version 3

field title: text
field company: text, unknown "n/a", "-"
field employees: number, unknown 0
field revenue: number
field opted_in: bool
field signed_up: date
field email: text from "E-mail"

clamp -10..60

group fit min -5, max 25 {
    rule senior: by title {
        "vp", "cxo" => +15
        "director"  => +10
        unknown     => -2
        else        => +1
    }, tag senior, because "seniority"
    rule big: +12 when employees >= 500, tag big
    rule tiny: -8 when employees < 20
}

group intent max 20 {
    rule opted: +6 when opted_in, because "opted in"
    rule fresh: +9 when days_since(signed_up) < 30, tag fresh
    rule rich: by revenue { ..1000 => -1  1000..1000000 => +4  1000000.. => +11 }
}

rule corporate: +5 when not domain(email) in ["gmail.com"], tag senior
rule nothing: +0 when opted_in

tiers: cold, warm >= 15, hot >= 35
tiers fit: D, C >= 5, B >= 15
qualify mql when score >= 20
qualify sql when score >= 30 and fit >= 15
disqualify competitor when domain(email) in ["rival.com"]
"""

TEXTS = st.sampled_from(["VP", " director ", "cxo", "intern", "", "  ", "n/a", " - ", "Acme", None])
NUMBERS = st.one_of(st.sampled_from([0, 5, 19, 20, 500, 750, 1e6, 2e6, -3, None]),
                    st.sampled_from(["12", " 600 ", "x", "", "1e400", "1,000", "0"]), st.booleans())
BOOLS = st.sampled_from([True, False, "yes", "No", " true ", "maybe", 1, 0, 2, None, ""])
DATES = st.sampled_from(["2026-11-01", "2026-01-01", "2026-13-01", "yesterday", "", None, 20261101])
EMAILS = st.sampled_from(["a@gmail.com", "b@acme.com", " C@Rival.com ", "nobody", "", None])
LEADS = st.fixed_dictionaries(
    {"title": TEXTS, "company": TEXTS, "employees": NUMBERS, "revenue": NUMBERS, "opted_in": BOOLS,
     "signed_up": DATES, "E-mail": EMAILS},
    optional={"id": st.sampled_from(["L1", " L2 ", 7, "", None]), "emial": st.just("typo"),
              "email": st.just("x@y.com"), "other": st.integers(0, 3)})


def both(text: str):
    return leadscore.loads(text, backend="codegen"), leadscore.loads(text, backend="closures")


FAST, FULL = both(MODEL)
MODULE = codegen.load_generated(codegen.generate(analyze(MODEL, "lead-only.score").model), "<lead-only>")


def test_the_model_has_the_fast_path():
    assert FAST.plan.lead_result is not None
    assert FULL.plan.lead_result is None


def same(fast, full):
    assert fast == full                                 # every field, the explanation's too
    assert json.dumps(fast.to_dict(explain=True)) == json.dumps(full.to_dict(explain=True))
    assert fast.explain() == full.explain()
    assert fast.thresholds == full.thresholds and fast.inputs == full.inputs
    assert pickle.loads(pickle.dumps(fast)) == full


@settings(max_examples=150, deadline=None)
@given(LEADS)
def test_the_fast_path_gives_the_full_result(lead):
    same(FAST.score(lead, now=NOW), FULL.score(lead, now=NOW))


@settings(max_examples=30, deadline=None)
@given(LEADS)
def test_the_json_text_is_the_same_before_the_explanation_is_read(lead):
    fast = FAST.score(lead, now=NOW)
    assert "contributions" not in fast.__dict__          # not worked out yet
    assert json.dumps(fast.to_dict()) == json.dumps(FULL.score(lead, now=NOW).to_dict())
    assert "contributions" not in fast.__dict__


def test_the_explanation_reads_the_lead_as_it_was_scored():
    lead = {"title": "vp", "employees": 900, "E-mail": "a@acme.com"}
    fast = FAST.score(lead, now=NOW)
    lead["title"] = "intern"
    assert fast.contributions == FULL.score({**lead, "title": "vp"}, now=NOW).contributions


def test_warnings_of_bad_values_and_undeclared_keys_in_order():
    lead = {"employees": "many", "emial": "x", "opted_in": "maybe"}
    result = FAST.score(lead, now=NOW)
    assert result.warnings == FULL.score(lead, now=NOW).warnings
    assert [w.split(":")[0].split(" ")[0] for w in result.warnings] == ["field", "field", "unknown"]


def test_events_and_non_dicts_take_the_full_path():
    model = leadscore.loads(MODEL)
    lead = {"title": "vp", "events": [{"type": "visit", "at": NOW}]}
    assert model.score(lead, now=NOW) == FULL.score(lead, now=NOW)
    assert model.score({"title": "vp"}, [{"type": "visit", "at": NOW}], now=NOW).warnings


def test_the_shipped_lead_only_model_and_the_fit_task():
    for path in (os.path.join(ROOT, "examples", "bank-marketing.score"),
                 os.path.join(ROOT, "benchmarks", "fit.score")):
        fast, full = leadscore.load(path), leadscore.load(path, backend="closures")
        assert fast.plan.lead_result is not None
        for lead in ({"age": 61, "job": "retired", "default": "unknown", "pdays": 999, "contact": "cellular",
                      "job_level": " Director ", "department": "it", "employees": "750", "country": "us",
                      "email": "a@acme.com"}, {}, {"age": "old", "employees": True}):
            same(fast.score(lead, now=NOW), full.score(lead, now=NOW))


@settings(max_examples=60, deadline=None)
@given(LEADS)
def test_total_is_the_score_of_the_same_inlined_body(lead):
    assert MODULE.total(lead, now=NOW) == FULL.score(lead, now=NOW).score


def test_a_lazy_result_is_a_frozen_score_result_worked_out_once():
    calls = []

    def full(lead):
        calls.append(lead)
        return FULL.score(lead, now=NOW)
    lead = {"title": "vp", "employees": 900}
    result = LazyResult("L1", 1.0, None, {}, {}, (), (), (), {}, False, (), 0, (full, lead))
    assert type(result) is ScoreResult and calls == []
    assert result.now == FULL.score({}, now="1970-01-01T00:00:00Z").now
    assert result.contributions == FULL.score(lead, now=NOW).contributions
    assert result.inputs and result.thresholds and calls == [lead]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.score = 2.0
