"""The guarantees of LANGUAGE.md §9 (and those of §4, §7, §8), as properties.

Each test names the guarantee it checks. Models, leads and events come from
tests/strategies.py; each test runs on both backends (`S.BACKENDS`: the
closure compiler and the generated Python, the default), each with the
shared result assembly (runtime/scoring.py).
"""

from __future__ import annotations

import builtins
import importlib
import io
import math
import os
import socket
import subprocess
import sys
import tempfile
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import reference as ref  # noqa: E402
import strategies as S  # noqa: E402

import leadscore  # noqa: E402
from leadscore.compiler import codegen  # noqa: E402
from leadscore.dsl import ir  # noqa: E402
from leadscore.runtime import scoring  # noqa: E402
from leadscore.runtime.values import rounded  # noqa: E402

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.filter_too_much])
SMALL = dict(max_leads=3, max_rules=6, max_events=8)


def exact(value):
    """A result as nested lists, floats as hex: equal exactly when equal bit for bit (and in key order)."""
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, dict):
        return ("dict", [(k, exact(x)) for k, x in value.items()])
    if isinstance(value, (list, tuple)):
        return ("list", [exact(x) for x in value])
    return value


def model_of(gen, backend):
    return S.compiled(gen.text, backend), S.checked(gen.text).model


def score_all(model, pairs):
    return [model.score(lead, events, now=S.NOW_TEXT) for lead, events in pairs]


def limit(value, low, high):
    if low is not None and value < low:
        return float(low)
    if high is not None and value > high:
        return float(high)
    return value


# ---- §9 Deterministic ----------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(2000), **SETTINGS)
@given(S.cases(**SMALL), st.data())
def test_deterministic_whatever_order_of_events_and_keys(backend, case, data):
    """§9 Deterministic: same model, lead, events and now → the same result, bit for bit,
    whatever the order of the events or of the dictionaries' keys."""
    gen, pairs = case
    model, _ = model_of(gen, backend)
    for lead, events in pairs:
        first = model.score(lead, events, now=S.NOW_TEXT).to_dict(explain=True)
        shuffled = S.shuffled(data.draw, events)
        again_lead = S.reorder_keys(data.draw, lead)
        again_events = [S.reorder_keys(data.draw, e) for e in shuffled]
        second = model.score(again_lead, again_events, now=S.NOW_TEXT).to_dict(explain=True)
        # warnings describe the input rows in the order they were given; the same set either way
        assert sorted(first.pop("warnings")) == sorted(second.pop("warnings"))
        assert exact(first) == exact(second), f"\n{gen.text}\n{lead!r}\n{events!r}\n{shuffled!r}"


# ---- §9 Explainable -------------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(2000), **SETTINGS)
@given(S.cases(**SMALL))
def test_contributions_sum_to_each_scope_and_clamped_is_exact(backend, case):
    """§9 Explainable: the contributions of a scope sum to its score before clamping (a group:
    its sum before min/max; the total: before `clamp`; a campaign: T + C before `clamp`), and
    `clamped` is true exactly when the clamp changed the total."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    low, high = checked.clamp if checked.clamp else (None, None)
    for result in score_all(model, pairs):
        by_scope: dict[str, list] = {}
        for c in result.contributions:
            assert c.points != 0, "a contribution of 0 points is listed"
            by_scope.setdefault(c.scope, []).append(c.points)

        def summed(scope: str) -> float:
            total = 0.0
            for points in by_scope.get(scope, ()):
                total += points
            return total

        pre = 0.0
        for group in checked.groups:
            assert result.groups[group.name] == limit(summed(group.name), group.min, group.max), group.name
            pre += result.groups[group.name]
        for points in by_scope.get("global", []) + by_scope.get("account", []):
            pre += points
        assert result.clamped == (limit(pre, low, high) != pre)
        if not result.disqualified:
            assert result.score == limit(pre, low, high)
        for campaign in checked.campaigns:
            got = result.campaigns[campaign.name]
            part = 0.0
            for group in campaign.groups:
                label = f"campaign {campaign.name}/{group.name}"
                assert got.groups[group.name] == limit(summed(label), group.min, group.max), label
                part += got.groups[group.name]
            for points in by_scope.get(f"campaign {campaign.name}", ()):
                part += points
            if not result.disqualified:
                assert got.score == limit(pre + part, low, high), campaign.name
        known = {"global", "account"} | {g.name for g in checked.groups} | {
            f"campaign {c.name}" + suffix for c in checked.campaigns
            for suffix in [""] + [f"/{g.name}" for g in c.groups]}
        assert set(by_scope) <= known


@pytest.mark.parametrize("backend", S.BACKENDS)
def test_contributions_listed_in_declaration_order_for_ordinary_layout(backend):
    """§9 Explainable: contributions are listed in declaration order (groups and rules interleaved)."""
    model = leadscore.loads("""
field e: text
rule a: +1 when e is known
group g { rule b: +2 when e is known }
rule c: +3 when e is known
""", backend=backend)
    result = model.score({"e": "x"}, now=S.NOW_TEXT)
    assert [c.rule for c in result.contributions] == ["a", "b", "c"]


@pytest.mark.parametrize("backend", S.BACKENDS)
def test_contributions_in_file_order_across_scopes(backend):
    """§9 Explainable / docs/semantics.md: contributions are in declaration order, also when an
    account block follows global rules and a campaign precedes them."""
    model = leadscore.loads("""
field email: text
campaign c { rule one: +1 when email is known }
rule two: +1 when email is known
account by domain(email) { rule three: +1 when email is known }
""", backend=backend)
    result = model.score({"email": "a@b.com"}, now=S.NOW_TEXT)
    assert [c.rule for c in result.contributions] == ["one", "two", "three"]


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(400), **SETTINGS)
@given(S.cases(**SMALL))
def test_contributions_follow_the_file_order(backend, case):
    """§9 Explainable / docs/semantics.md "Contributions": contributions are listed in declaration
    order — the order of the rules in the file — whatever the scopes and their layout."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    position = {(r.scope.label, r.name): r.span.start for r, _ in checked.all_rules()}
    for result in score_all(model, pairs):
        starts = [position[(c.scope, c.rule)] for c in result.contributions]
        assert starts == sorted(starts), [(c.scope, c.rule) for c in result.contributions]


# ---- §4 / §7 caps -------------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(1000), **SETTINGS)
@given(S.cases(**SMALL))
def test_every_cap_holds(backend, case):
    """§4 `max N` / `max N per D`, §7 group `min`/`max`, §3 `clamp`: every cap holds — a rule's
    |points| ≤ N, at most N per period that holds events, groups within their limits, the score
    and campaign scores within the clamp (the floor when disqualified)."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    rules = {(r.scope.label, r.name): r for r, _ in checked.all_rules()}
    low, high = checked.clamp if checked.clamp else (None, None)
    for (lead, events), result in zip(pairs, score_all(model, pairs)):
        usable = ref.prepare(checked, lead, events, S.NOW_US).events
        for c in result.contributions:
            rule = rules[(c.scope, c.rule)]
            if rule.max_total is not None:
                assert abs(c.points) <= rule.max_total, c
            if rule.max_per is not None:
                limit_, period = rule.max_per
                periods = {(S.NOW_US - e.at) // period for e in usable}
                assert abs(c.points) <= limit_ * len(periods), c
        all_groups = [(g, result.groups) for g in checked.groups] + [
            (g, result.campaigns[c.name].groups) for c in checked.campaigns for g in c.groups]
        for group, scores_ in all_groups:
            value = scores_[group.name]
            assert group.min is None or value >= group.min
            assert group.max is None or value <= group.max
        for value in [result.score] + [c.score for c in result.campaigns.values()]:
            assert low is None or value >= low
            assert high is None or value <= high
            if result.disqualified:
                assert value == checked.floor


# ---- §6 decay -------------------------------------------------------------------------

@settings(max_examples=500, **SETTINGS)
@given(kind=st.sampled_from(["half_life", "linear", "expire"]),
       period=st.integers(1, 400 * S.DAY), rate=st.sampled_from([0.01, 0.125, 0.5, 0.75, 1.0]),
       ages=st.lists(st.integers(0, 10**6 * S.DAY), min_size=2, max_size=2))
def test_decay_factors_are_between_0_and_1_and_fall_with_age(kind, period, rate, ages):
    """§6: a decay factor is in [0, 1], is 1 at age 0 and never grows with age."""
    factor = scoring.decay_function(ir.Decay(kind, period, rate))
    young, old = sorted(ages)
    assert factor(0) == 1.0
    assert 0.0 <= factor(old) <= factor(young) <= 1.0


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(500), **SETTINGS)
@given(S.cases(**SMALL))
def test_decayed_points_never_exceed_undecayed(backend, case):
    """§6: decay only takes value away — each rule's points with its model's decay options are,
    in magnitude, at most its points with every `decay` removed."""
    gen, pairs = case
    decayed = S.compiled(gen.text, backend)
    plain = S.compiled(gen.variant(drop_decay=True), backend)
    for lead, events in pairs:
        with_decay = decayed.score(lead, events, now=S.NOW_TEXT)
        without = {(c.scope, c.rule): c.points for c in plain.score(lead, events, now=S.NOW_TEXT).contributions}
        for c in with_decay.contributions:
            assert abs(c.points) <= abs(without.get((c.scope, c.rule), 0.0)), (c, without)


# ---- §7 campaigns -----------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(500), **SETTINGS)
@given(S.cases(**SMALL, require={"campaign"}))
def test_campaign_rules_never_change_the_total_or_another_campaign(backend, case):
    """§7: campaign rules never change the global total or another campaign's score — removing a
    campaign leaves everything else as it was, bit for bit."""
    gen, pairs = case
    model, _ = model_of(gen, backend)
    without_all = S.compiled(gen.variant(drop_campaigns=gen.campaigns), backend)
    without_first = S.compiled(gen.variant(drop_campaigns=gen.campaigns[:1]), backend)
    for lead, events in pairs:
        full = model.score(lead, events, now=S.NOW_TEXT).to_dict(explain=True)
        bare = without_all.score(lead, events, now=S.NOW_TEXT).to_dict(explain=True)
        rest = without_first.score(lead, events, now=S.NOW_TEXT).to_dict(explain=True)
        outside = [c for c in full.pop("contributions") if not c["scope"].startswith("campaign ")]
        campaigns = full.pop("campaigns")
        assert exact(outside) == exact(bare.pop("contributions"))
        assert bare.pop("campaigns") == {}
        assert exact(full) == exact(bare)
        for name in gen.campaigns[1:]:
            assert exact(campaigns[name]) == exact(rest["campaigns"][name])


# ---- §8 disqualify ---------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(400), **SETTINGS)
@given(S.cases(**SMALL, require={"disqualify"}))
def test_disqualified_lead_gets_floor_lowest_tier_no_stages(backend, case):
    """§8 disqualify: the reported score is the clamp floor, the tier the lowest, no stage is
    reached, every campaign is at the floor with no stage and its lowest tier; group scores,
    group tiers, contributions, tags and `clamped` are those of the model without `disqualify`."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    plain = S.compiled(gen.variant(drop_disqualify=True), backend)
    for lead, events in pairs:
        result = model.score(lead, events, now=S.NOW_TEXT)
        other = plain.score(lead, events, now=S.NOW_TEXT)
        assert set(result.disqualified) <= {s.name for s in checked.disqualify}
        kept = ("groups", "group_tiers", "tags", "clamped", "contributions")
        assert exact({k: result.to_dict(True)[k] for k in kept}) == exact({k: other.to_dict(True)[k] for k in kept})
        if not result.disqualified:
            assert exact(result.to_dict(True)) == exact(other.to_dict(True))
            continue
        assert result.score == checked.floor
        assert result.tier == (checked.tiers.names[0] if checked.tiers else None)
        assert result.qualified == ()
        for campaign in checked.campaigns:
            got, was = result.campaigns[campaign.name], other.campaigns[campaign.name]
            assert got.score == checked.floor and got.qualified == ()
            assert got.tier == (campaign.tiers.names[0] if campaign.tiers else None)
            assert (got.groups, got.group_tiers, got.tags) == (was.groups, was.group_tiers, was.tags)


# ---- §5 / §9 unknown never raises ----------------------------------------------------

@st.composite
def garbage_cases(draw):
    gen = draw(S.models(max_rules=6))
    pairs = [(draw(S.lead_dicts(gen.schema, garbage=True)), draw(S.event_lists(gen.schema, 6, garbage=True)))
             for _ in range(draw(st.integers(1, 3)))]
    return gen, pairs


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(700), **SETTINGS)
@given(garbage_cases())
def test_unknown_never_raises(backend, case):
    """§5: unknown never raises — leads made only of missing, blank, NaN, sentinel and
    unconvertible values, with unreadable event attributes, score (alone and together) to a
    finite result, and what the backend says is what the reference says."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    for lead, events in pairs:
        result = model.score(lead, events, now=S.NOW_TEXT)
        assert math.isfinite(result.score)
        want = ref.reference_score(checked, [ref.prepare(checked, lead, events, S.NOW_US)], S.NOW_US)[0]
        assert result.score == want["score"] and result.qualified == tuple(want["qualified"])
    rows = [{**lead, "id": f"L{i}"} for i, (lead, _) in enumerate(pairs)]
    flat = [{**e, "lead_id": f"L{i}"} for i, (_, events) in enumerate(pairs) for e in events
            if isinstance(e, dict)]
    assert all(math.isfinite(r.score) for r in model.score_many(rows, flat, now=S.NOW_TEXT))


# ---- §9 Total: linear work ------------------------------------------------------------

class CountingSlots(list):
    """`Env.streams`, counting how often each stream slot is filled (= the stream computed)."""

    def __init__(self, size: int):
        super().__init__([None] * size)
        self.computed = [0] * size

    def __setitem__(self, index, value):
        self.computed[index] += 1
        super().__setitem__(index, value)


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(400), **SETTINGS)
@given(S.cases(max_leads=3, max_rules=8, max_events=6))
def test_each_stream_is_computed_at_most_once_per_lead(backend, case):
    """§9 Total: work is linear in rules × events — every distinct stream is computed at most
    once per lead (and per account-key evaluation), however many rules, aggregates, decays and
    stages read it, so passes over the events per lead ≤ the number of distinct streams."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    envs = []
    original = scoring.make_env

    def counting_env(plan, lead, now, account=None):
        env = original(plan, lead, now, account)
        env.streams = CountingSlots(len(env.streams))
        envs.append(env)
        return env

    with mock.patch.object(scoring, "make_env", counting_env):
        for lead, events in pairs:
            envs.clear()
            model.score(lead, events, now=S.NOW_TEXT)
            # a model that reads no events scores a lead without them in generated code (no Env)
            assert envs or model.plan.lead_result is not None, \
                "scoring no longer goes through scoring.make_env: update this test"
            for env in envs:
                assert max(env.streams.computed, default=0) <= 1, env.streams.computed
                assert sum(env.streams.computed) <= len(checked.streams)


# ---- §9 Safe ---------------------------------------------------------------------------

#: the file the injected code would create, were it ever run
CANARY = os.path.join(tempfile.gettempdir(), "leadscore-pwned")
NASTY = [f'__import__("os").system("touch {CANARY}")', "'''", '"""', "\\", "\x00", "\u2028",
         "{0}", "%s", "${HOME}", "'; DROP TABLE leads; --", "\r\n"]


class Forbidden(AssertionError):
    pass


def _forbid(name):
    def refuse(*args, **kwargs):
        raise Forbidden(f"scoring called {name}{args!r}")
    return refuse


def _forbid_but_deferred(name, real, compiled: list):
    """`_forbid`, except for the one call codegen's `_Deferred.load` makes on the first call of a
    function only explanations use: it compiles (and runs, defining the functions) the text
    its module was generated with at load (checked here to be the text the loader has held
    since then; a str cannot change), with the lines `leadscore.loads` left blank written by
    `codegen.filled` from what the loader has held since load too (a tuple of ints, bools and
    str) — so no text made from what is scored is ever compiled."""
    def refuse(*args, **kwargs):
        caller = sys._getframe(1)
        if caller.f_code is codegen._Deferred.load.__code__:
            loader = caller.f_locals["self"]
            held = loader.text if not loader.pending else codegen.filled(loader.text, loader.pending)
            if name == "compile" and (args[0] is loader.text or args[0] == held):
                compiled.append(args[0])
                return real(*args, **kwargs)
            if name == "exec" and compiled:
                return real(*args, **kwargs)
        raise Forbidden(f"scoring called {name}{args!r}")
    return refuse


@pytest.mark.filterwarnings("ignore::SyntaxWarning")       # codegen writes `'x' is not None` (reported)
@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(120), **SETTINGS)
@given(S.cases(max_leads=2, max_rules=4, max_events=5), st.sampled_from(NASTY))
def test_scoring_is_data_only(backend, case, nasty):
    """§9 Safe: a `.score` file is data — loading reads only its `list … from` files, and scoring
    opens no file, runs no process, opens no socket, evaluates no code and imports no module,
    even with Python-looking text in its strings."""
    gen, pairs = case
    text = gen.text + f"rule nasty_text: +1 when title == {S.q(nasty)}, because {S.q(nasty)}\n"
    opened = []
    real_open = io.open

    def recording_open(path, *args, **kwargs):
        opened.append(os.path.abspath(os.fspath(path)))
        return real_open(path, *args, **kwargs)

    with mock.patch.object(io, "open", recording_open), mock.patch.object(builtins, "open", recording_open):
        model = leadscore.loads(text, "nasty", base_dir=S.LIST_DIR, backend=backend)
    allowed = {os.path.join(S.LIST_DIR, name) for name in ("accounts.txt", "numbers.txt")}
    assert set(opened) <= allowed, opened

    real_import = builtins.__import__

    def no_new_imports(name, *args, **kwargs):
        if name not in sys.modules:
            raise Forbidden(f"scoring imported {name}")
        return real_import(name, *args, **kwargs)

    compiled: list = []
    guards = [mock.patch.object(builtins, "open", _forbid("open")), mock.patch.object(io, "open", _forbid("io.open")),
              mock.patch.object(os, "open", _forbid("os.open")), mock.patch.object(os, "system", _forbid("os.system")),
              mock.patch.object(os, "popen", _forbid("os.popen")),
              mock.patch.object(subprocess, "Popen", _forbid("subprocess.Popen")),
              mock.patch.object(socket, "socket", _forbid("socket.socket")),
              mock.patch.object(socket, "create_connection", _forbid("socket.create_connection")),
              mock.patch.object(builtins, "eval", _forbid("eval")),
              mock.patch.object(builtins, "exec", _forbid_but_deferred("exec", builtins.exec, compiled)),
              mock.patch.object(builtins, "compile", _forbid_but_deferred("compile", builtins.compile, compiled)),
              mock.patch.object(importlib, "import_module", _forbid("importlib.import_module")),
              mock.patch.object(builtins, "__import__", no_new_imports)]
    for guard in guards:
        guard.start()
    try:
        for lead, events in pairs:
            result = model.score({**lead, "title": nasty}, events, now=S.NOW_TEXT)
            result.to_dict(explain=True)
            result.explain()
    finally:
        for guard in reversed(guards):
            guard.stop()
    assert not os.path.exists(CANARY)


# ---- §7 accounts --------------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(400), **SETTINGS)
@given(S.cases(**SMALL, require={"account"}))
def test_lead_scored_alone_is_an_account_of_one(backend, case):
    """§7: a lead scored on its own whose key is known (and `where` holds) is an account of one —
    `score` equals `score_many` of that lead alone; a lead whose key is unknown or for which
    `where` does not hold gets no account points."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    for lead, events in pairs:
        alone = model.score({**lead, "id": "L1"}, events, now=S.NOW_TEXT)
        many = list(model.score_many([{**lead, "id": "L1"}],
                                     [{**e, "lead_id": "L1"} for e in events if isinstance(e, dict)],
                                     now=S.NOW_TEXT))[0]
        alone_dict, many_dict = alone.to_dict(explain=True), many.to_dict(explain=True)
        alone_dict.pop("warnings"), many_dict.pop("warnings")   # score_many routes only dict rows
        assert exact(alone_dict) == exact(many_dict)
        key = ref.account_key_of(checked, ref.prepare(checked, lead, events, S.NOW_US), S.NOW_US)
        if key is None:
            assert not [c for c in alone.contributions if c.scope == "account"]


# ---- §8 outputs: tiers, stages; §4 tags ------------------------------------------------

def tier_is_partition(tier_set, score: float, tier: str) -> bool:
    """The tier's own threshold (−∞ for the first) ≤ score < the next tier's threshold."""
    position = tier_set.names.index(tier)
    low = -math.inf if position == 0 else tier_set.thresholds[position - 1]
    high = tier_set.thresholds[position] if position < len(tier_set.thresholds) else math.inf
    return low <= score < high


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(400), **SETTINGS)
@given(S.cases(**SMALL))
def test_tiers_partition_scores_and_stages_keep_declaration_order(backend, case):
    """§8: `tiers` partition a score (each tier takes from its threshold up to the next one's,
    the first everything below), on the total, on groups and in campaigns; without tiers the
    tier is null; reached stages and matching `disqualify` lines are listed in declaration order."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    for result in score_all(model, pairs):
        if checked.tiers is None:
            assert result.tier is None
        elif result.disqualified:
            assert result.tier == checked.tiers.names[0]
        else:
            assert tier_is_partition(checked.tiers, result.score, result.tier)
        for tier_set in checked.group_tiers:
            assert tier_is_partition(tier_set, result.groups[tier_set.group], result.group_tiers[tier_set.group])
        assert set(result.group_tiers) == {t.group for t in checked.group_tiers}
        for campaign in checked.campaigns:
            got = result.campaigns[campaign.name]
            if campaign.tiers is None:
                assert got.tier is None
            elif not result.disqualified:
                assert tier_is_partition(campaign.tiers, got.score, got.tier)
            for tier_set in campaign.group_tiers:
                assert tier_is_partition(tier_set, got.groups[tier_set.group], got.group_tiers[tier_set.group])
            declared = [s.name for s in campaign.qualify]
            assert list(got.qualified) == [n for n in declared if n in got.qualified]
        declared = [s.name for s in checked.qualify]
        assert list(result.qualified) == [n for n in declared if n in result.qualified]
        declared = [s.name for s in checked.disqualify]
        assert list(result.disqualified) == [n for n in declared if n in result.disqualified]


@pytest.mark.parametrize("backend", S.BACKENDS)
@settings(max_examples=S.per_backend(400), **SETTINGS)
@given(S.cases(**SMALL))
def test_tags_come_from_rules_that_contributed(backend, case):
    """§4 `tag`: a rule's tag is added exactly when its own contribution is not 0 — once, in rule
    declaration order; a campaign rule's tag goes to that campaign's tags only."""
    gen, pairs = case
    model, checked = model_of(gen, backend)
    rules = {(r.scope.label, r.name): r for r, _ in checked.all_rules()}
    for result in score_all(model, pairs):
        expected: dict = {None: []}
        for c in result.contributions:          # listed in declaration order
            rule = rules[(c.scope, c.rule)]
            bucket = expected.setdefault(rule.scope.campaign, [])
            if rule.tag is not None and rule.tag not in bucket:
                bucket.append(rule.tag)
        assert list(result.tags) == expected[None]
        for name, campaign in result.campaigns.items():
            assert list(campaign.tags) == expected.get(name, [])


# ---- §9 Numbers -------------------------------------------------------------------------

@pytest.mark.parametrize("backend", S.BACKENDS)
def test_results_keep_full_precision_and_only_text_is_rounded(backend):
    """§9 Numbers: points after decay are real numbers kept at full float precision in results;
    only the text shown to a person is rounded to 2 decimals."""
    model = leadscore.loads("""
event visit
rule visits: +0.1 each visit
rule fresh: +10 when any visit, decay half_life 7d
""", backend=backend)
    events = [{"type": "visit", "at": f"2026-11-{d}T00:00:00Z"} for d in (17, 18, 19)]
    result = model.score({"id": "L1"}, events, now=S.NOW_TEXT)
    assert result.contributions[0].points == 0.1 * 3 == 0.30000000000000004
    assert result.contributions[1].points == 10 * 0.5 ** (1 / 7)
    assert result.to_dict()["score"] == result.score == 0.30000000000000004 + 10 * 0.5 ** (1 / 7)
    text = result.explain()
    assert f"score {rounded(result.score)}" in text and "+0.3 " in text and "+9.06 " in text
    assert repr(result.score) not in text and "0.30000000000000004" not in text
