"""Both backends (closures, generated Python) agree with the reference evaluator on generated models.

`tests/reference.py` interprets the checked IR literally (LANGUAGE.md §4–§8,
docs/semantics.md); `tests/strategies.py` draws well-typed models using the
whole language and leads and events full of unknowns and odd data. Every
part of every result must agree: score, tier, groups, group tiers, stages,
disqualification, tags, campaigns, `clamped`, and each rule's points (and
its reason). Numbers are compared with math.isclose(rel_tol=1e-9,
abs_tol=1e-9) — and then bit for bit, because docs/semantics.md fixes the
order of every floating-point sum, so a backend that follows it gives the
very same floats.
"""

from __future__ import annotations

import math
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, os.path.dirname(__file__))

import reference as ref  # noqa: E402
import strategies as S  # noqa: E402

import leadscore  # noqa: E402

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.filter_too_much])


def close(a, b) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def compare(actual: dict, expected: dict, exact: bool = False) -> list:
    """The differences between a result dict and the reference's, as readable lines."""
    same = (lambda a, b: a == b) if exact else close
    problems = []

    def number(path, a, b):
        if not (isinstance(a, float) and isinstance(b, float)) or not same(a, b):
            problems.append(f"{path}: backend {a!r} != reference {b!r}")

    def equal(path, a, b):
        if a != b:
            problems.append(f"{path}: backend {a!r} != reference {b!r}")

    def scores(path, a: dict, b: dict):
        equal(path + " names", list(a), list(b))
        for name in set(a) & set(b):
            number(f"{path}[{name}]", a[name], b[name])

    number("score", actual["score"], expected["score"])
    for key in ("tier", "group_tiers", "qualified", "disqualified", "tags", "clamped"):
        equal(key, actual[key], expected[key])
    scores("groups", actual["groups"], expected["groups"])
    equal("campaign names", list(actual["campaigns"]), list(expected["campaigns"]))
    for name in set(actual["campaigns"]) & set(expected["campaigns"]):
        a, b = actual["campaigns"][name], expected["campaigns"][name]
        number(f"campaign {name} score", a["score"], b["score"])
        for key in ("tier", "qualified", "group_tiers", "tags"):
            equal(f"campaign {name} {key}", a[key], b[key])
        scores(f"campaign {name} groups", a["groups"], b["groups"])
    got = [(c["scope"], c["rule"]) for c in actual["contributions"]]
    want = [(c["scope"], c["rule"]) for c in expected["contributions"]]
    equal("contributing rules", got, want)
    if got == want:
        for a, b in zip(actual["contributions"], expected["contributions"]):
            number(f"points of {a['scope']}/{a['rule']}", a["points"], b["points"])
            equal(f"reason of {a['scope']}/{a['rule']}", a["reason"], b["reason"])
    return problems


def check_agreement(model, results: list, expected: list, text: str, inputs, backend: str) -> None:
    for result, want, given_ in zip(results, expected, inputs):
        actual = result.to_dict(explain=True)
        problems = compare(actual, want)
        detail = f"\n--- model ---\n{text}\n--- input ---\n{given_!r}\n--- {backend} ---\n{actual!r}\n" \
                 f"--- reference ---\n{want!r}"
        assert not problems, f"{backend} disagrees with the reference:\n  " + "\n  ".join(problems) + detail
        problems = compare(actual, want, exact=True)
        assert not problems, (f"{backend} agrees only approximately (summation order?):\n  "
                              + "\n  ".join(problems) + detail)


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(2000), **SETTINGS)
@given(S.cases(max_leads=3, max_rules=8, max_events=10))
def test_backend_agrees_with_reference(backend, case):
    """Every generated (model, lead, events): the backend == the reference, field by field."""
    gen, pairs = case
    model = S.compiled(gen.text, backend)
    checked = S.checked(gen.text).model
    results = [model.score(lead, events, now=S.NOW_TEXT) for lead, events in pairs]
    expected = [ref.reference_score(checked, [ref.prepare(checked, lead, events, S.NOW_US)], S.NOW_US)[0]
                for lead, events in pairs]
    check_agreement(model, results, expected, gen.text, pairs, backend)


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(600), **SETTINGS)
@given(S.batches(max_leads=6, max_rules=7))
def test_score_many_accounts_agree_with_reference(backend, batch):
    """score_many: leads sharing an account key form one account, as in the reference."""
    gen, leads, events = batch
    model = S.compiled(gen.text, backend)
    checked = S.checked(gen.text).model
    results = list(model.score_many(leads, events, now=S.NOW_TEXT))
    prepared = [ref.prepare(checked, lead,
                            [e for e in events if isinstance(e, dict) and e.get("lead_id") == lead["id"]],
                            S.NOW_US, lead_id=lead["id"])
                for lead in leads]
    expected = ref.reference_score(checked, prepared, S.NOW_US)
    check_agreement(model, results, expected, gen.text, leads, backend)


# ---- fixed cases the generator may take long to find --------------------------------

def score_both(backend: str, text: str, leads: list, events: list = ()):
    """A fixed model scored by the backend and by the reference: they must agree."""
    model = leadscore.loads(text, backend=backend)
    checked = S.checked(text).model
    results = list(model.score_many(leads, events, now=S.NOW_TEXT))
    prepared = [ref.prepare(checked, lead, [e for e in events if e.get("lead_id") == lead["id"]],
                            S.NOW_US, lead_id=lead["id"]) for lead in leads]
    expected = ref.reference_score(checked, prepared, S.NOW_US)
    check_agreement(model, results, expected, text, leads, backend)
    return results, expected


@pytest.mark.parametrize("backend", S.BACKENDS)
def test_total_is_summed_left_to_right(backend):
    """docs/semantics.md: groups, then ungrouped rules, then account rules, left to right from 0.0."""
    results, expected = score_both(backend, """
field e: text
group g { rule b: +0.1 when e is known }
rule a: +0.2 when e is known
rule a2: +0.3 when e is known
campaign c {
    group cg { rule x: +0.1 when e is known }
    rule y: +0.2 when e is known
    rule z: +0.3 when e is known
}
""", [{"id": "L1", "e": "a@b.com"}])
    assert results[0].score == (0.1 + 0.2) + 0.3 == 0.6000000000000001
    assert results[0].campaigns["c"].score == 0.6000000000000001 + 0.6000000000000001


@pytest.mark.parametrize("backend", S.BACKENDS)
def test_tags_follow_declaration_order(backend):
    """Tags are listed in rule declaration order, whatever scope runs first."""
    results, _ = score_both(backend, """
field e: text
rule a: +1 when e is known, tag t_first
group g { rule b: +1 when e is known, tag t_second }
rule c: +1 when e is known, tag t_first
""", [{"id": "L1", "e": "x"}])
    assert results[0].tags == ("t_first", "t_second")


@pytest.mark.parametrize("backend", S.BACKENDS)
def test_accounts_of_several_leads(backend):
    """Leads with one key share the account's events and `leads`; unknown keys get no account."""
    text = """
field email: text
field level: text
event visit(u: text)
account by domain(email) where domain(email) != "gmail.com" {
    rule committee: +10 when count(leads) >= 3
    rule exec: +5 when any leads[level == "C-level"]
    rule busy: +1 each visit, max 3
    rule named: +2 when key == "acme.com"
}
"""
    leads = [{"id": "a", "email": "a@acme.com", "level": "c-level"},
             {"id": "b", "email": "B@ACME.COM"}, {"id": "c", "email": "c@acme.com "},
             {"id": "d", "email": "d@gmail.com"}, {"id": "e"}]
    events = [{"lead_id": "b", "type": "visit", "at": "2026-11-19T00:00:00Z"},
              {"lead_id": "c", "type": "visit", "at": "2026-11-18T00:00:00Z"},
              {"lead_id": "d", "type": "visit", "at": "2026-11-18T00:00:00Z"}]
    results, _ = score_both(backend, text, leads, events)
    assert [r.score for r in results] == [19.0, 19.0, 19.0, 0.0, 0.0]
