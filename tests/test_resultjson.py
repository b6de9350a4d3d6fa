"""runtime/resultjson.py writes each result exactly as `json.dumps(result.to_dict(),
ensure_ascii=False)` does: on generated models, on odd numbers and ids, on the examples."""

from __future__ import annotations

import json
import math
import os
import sys

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import strategies as S  # noqa: E402

import leadscore  # noqa: E402
from leadscore.batch.batch import Batch  # noqa: E402
from leadscore.batch.io import RejectsWriter  # noqa: E402
from leadscore.runtime.model import now_us  # noqa: E402
from leadscore.runtime.resultjson import ResultLines  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dumped(result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.filter_too_much])
@given(S.cases(max_leads=3, max_rules=8, max_events=10), st.text())
def test_lines_are_what_json_dumps_writes(case, lead_id):
    gen, pairs = case
    model = S.compiled(gen.text, "codegen")
    lines = ResultLines(model.plan)
    for lead, events in pairs:
        result = model.score(lead, events, now=S.NOW_TEXT, lead_id=lead_id or None)
        assert lines.text(result) == dumped(result)


@pytest.fixture(scope="module")
def b2b():
    return leadscore.load(os.path.join(ROOT, "examples", "b2b.score"))


def one_result(model):
    return model.score({"email": "ann@acme.com", "job_level": "VP"}, [], now="2026-11-20T00:00:00Z",
                       lead_id='L "1" \\ é\n☃')


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e22, 7])
def test_numbers_json_writes_its_own_way(b2b, number):
    result = one_result(b2b)
    odd = attrs.evolve(result, score=number, groups={**result.groups, "fit": number},
                       warnings=("naïve «warning»", 'with "quotes"'))
    assert ResultLines(b2b.plan).text(odd) == dumped(odd)


def test_a_result_with_other_keys_is_written_by_json_dumps(b2b):
    result = one_result(b2b)
    lines = ResultLines(b2b.plan)
    extra = attrs.evolve(result, groups={**result.groups, "extra": 1.0})
    fewer = attrs.evolve(result, group_tiers={})
    campaign = result.campaigns["webinar_q3"]
    other = attrs.evolve(result, campaigns={"webinar_q3": attrs.evolve(campaign, groups={"other": 0.0})})
    for changed in (extra, fewer, other):
        assert lines.text(changed) == dumped(changed)
    assert '"extra": 1.0' in lines.text(extra)


def test_batch_lines_on_the_example():
    model = leadscore.load(os.path.join(ROOT, "examples", "b2b.score"))
    paths = [os.path.join(ROOT, "examples", "b2b", f) for f in ("leads.csv", "events.csv")]
    now = now_us("2026-11-20T00:00:00Z")
    with RejectsWriter(None) as rejects:
        lines = list(Batch(model, now, rejects).json_lines(*paths))
    with RejectsWriter(None) as rejects:
        results = list(Batch(model, now, rejects).run(*paths))
    assert lines == [dumped(r) for r in results]
    assert len(lines) > 10
