"""Assemble one lead's result from a plan of compiled rules.

A backend turns each rule into `env → points`; this module does the rest
the same way for every backend: sums rules into groups and the total,
applies group limits and the clamp, campaigns, tiers, stages,
disqualification, tags and contributions (LANGUAGE.md §4, §7, §8).

Summation order is fixed so results are bit-for-bit reproducible: a group
is the sum of its rules in declaration order; the total is the global
groups (in order), then the ungrouped global rules, then the account rules;
a campaign's part is its groups, then its ungrouped rules.
"""

from __future__ import annotations

import weakref

import attrs

from . import values as v
from .results import CampaignResult, Input, ScoreResult, Threshold, full_result


class Env:
    """What a lead's compiled rules read: its values, events, streams, account."""

    __slots__ = ("lead", "now", "events", "by_type", "streams", "account", "score", "group_scores")

    def __init__(self, lead, now: int, events: list, by_type: dict, stream_count: int, account=None):
        self.lead = lead
        self.now = now
        self.events = events
        self.by_type = by_type
        self.streams = [None] * stream_count
        self.account = account
        self.score = None
        self.group_scores = {}


class Account:
    """The account a lead belongs to: its key, its leads and all their events."""

    __slots__ = ("key", "leads", "events", "by_type")

    def __init__(self, key, leads: list, events: list):
        self.key = key
        self.leads = leads
        self.events = events
        self.by_type = by_type_index(events)


def by_type_index(events: list) -> dict:
    """type → its events, in the order of `events` (a list made only for a type's first event)."""
    index: dict[str, list] = {}
    for event in events:
        found = index.get(event.type)
        if found is None:
            index[event.type] = [event]
        else:
            found.append(event)
    return index


@attrs.frozen
class PlanRule:
    rule: object              # ir.Rule
    points: object            # env → float
    inputs: tuple             # ((label, (env, item) → value, ir node), ...)
    reason: object = None     # env → str, where the reason depends on the lead (table arms)


@attrs.frozen
class PlanGroup:
    group: object             # ir.Group
    rules: tuple


@attrs.frozen
class PlanCampaign:
    ir: object                # ir.Campaign
    groups: tuple
    rules: tuple
    qualify: tuple            # ((name, (env, item) → bool|None, text), ...)


@attrs.frozen
class Plan:
    model: object             # ir.Model
    groups: tuple
    rules: tuple
    account_rules: tuple
    account_key: object
    account_where: object
    qualify: tuple
    disqualify: tuple
    campaigns: tuple
    stream_count: int
    # What a batch may skip (docs/batch.md "Models with an account scope"); the defaults are safe.
    key_reads_events: bool = True         # the account key or `where` looks at the lead's events
    account_rules_shared: bool = False    # no account rule reads the scored lead's own fields
    # The generated fast path for a lead given no events (compiler/codegen.py `lead_result`):
    # (lead, at, lead_id, extra warnings, full) → ScoreResult; None: always the full assembly.
    lead_result: object = None


def decay_function(decay):
    """age in µs → factor in [0, 1] (LANGUAGE.md §6)."""
    period = decay.period
    if decay.kind == "half_life":
        return lambda age: 0.5 ** (age / period)
    if decay.kind == "expire":
        return lambda age: 1.0 if age < period else 0.0
    rate = decay.rate
    return lambda age: max(0.0, 1.0 - rate * age / period)


def clamp(value: float, low, high) -> float:
    if low is not None and value < low:
        return float(low)
    if high is not None and value > high:
        return float(high)
    return value


def make_env(plan: Plan, lead, now: int, account=None) -> Env:
    return Env(lead, now, lead.events, by_type_index(lead.events), plan.stream_count, account)


def account_key(plan: Plan, lead, now: int):
    """The lead's account key, or None when it belongs to no account."""
    if plan.account_key is None:
        return None
    env = make_env(plan, lead, now)
    key = plan.account_key(env, None)
    if key is None:
        return None
    if plan.account_where is not None and plan.account_where(env, None) is not True:
        return None
    return key


class AccountPart:
    """What an account's rules give each of its leads, worked out once for the account.

    Only for a plan whose account rules read no field of the lead being
    scored (`Plan.account_rules_shared`): then every lead of the account
    gets the same account points, and a batch need not build the account
    again for each of them. `points` are the fired rules' points in
    declaration order, so adding them one by one gives the total `run` gives;
    `contributions` the fired rules as `_Tally` keeps them (rows).
    """

    __slots__ = ("points", "contributions", "tags", "inputs")

    def __init__(self, points: tuple, contributions: tuple, tags: tuple, inputs: tuple):
        self.points = points
        self.contributions = contributions
        self.tags = tags
        self.inputs = inputs


def account_part(plan: Plan, lead, now: int, account: Account) -> AccountPart:
    """Run the account rules for `lead` (one lead of `account`, with its events): the part every
    lead of the account shares. The explanation's inputs are read now, so the part does not
    keep the account alive."""
    tally = _Tally(make_env(plan, lead, now, account))
    tally.run(_fast(plan).account_rules, "account")
    return AccountPart(tuple(row[3] for row in tally.contributions), tuple(tally.contributions),
                       tuple(tally.tags), tally.read_inputs())


class _Tally:
    """Collects contributions, tags and the fired rules while a lead is scored."""

    __slots__ = ("env", "contributions", "fired", "tags")

    def __init__(self, env: Env):
        self.env = env
        self.contributions: list = []
        self.fired: list = []
        self.tags: list = []

    def read_inputs(self) -> tuple:
        """The values the fired rules read, for explanations; computed only when asked for."""
        found: list = []
        for fired in self.fired:
            if fired.__class__ is AccountPart:
                found += fired.inputs
            else:
                found += [Input(fired.rule.name, label, show(read(self.env, None)))
                          for label, read, _node in fired.inputs]
        return tuple(found)

    def take(self, part: AccountPart, total: float) -> float:
        """`total` plus an account's shared part, as if its rules had run here."""
        for points in part.points:
            total += points
        self.contributions += part.contributions
        self.tags += part.tags
        if part.inputs:
            self.fired.append(part)
        return total

    def run(self, rules: tuple, scope_label: str, tags: list | None = None, total: float = 0.0) -> float:
        """`total` plus each rule's points, added left to right (docs/semantics.md "Totals").

        `rules` as `_fast` lays them out. A fired rule is kept as the row
        (rule index, name, scope, points, reason), its `Contribution` made
        only when the result's contributions are read (`results.full_result`).
        Tags are collected as (rule index, tag); `ordered_tags` puts them in
        declaration order.
        """
        env = self.env
        for points_of, index, name, reason, reason_of, planned, tag in rules:
            points = points_of(env)
            if points:
                self.contributions.append(
                    (index, name, scope_label, points, reason if reason_of is None else reason_of(env)))
                if planned is not None:
                    self.fired.append(planned)
                if tag is not None:
                    (self.tags if tags is None else tags).append((index, tag))
                total += points
        return total


class _FastPlan:
    """A plan's rules laid out for `_Tally.run`: each `PlanRule` as the tuple (points,
    index, name, reason, reason reader or None, the rule if it has inputs else None, tag),
    so that scoring a lead reads no attribute of a rule that does not fire, and few of
    one that does."""

    __slots__ = ("plan", "groups", "rules", "account_rules", "campaigns", "__weakref__")

    def __init__(self, plan: "Plan"):
        self.groups = tuple((p.group, _laid_out(p.rules)) for p in plan.groups)
        self.rules = _laid_out(plan.rules)
        self.account_rules = _laid_out(plan.account_rules)
        self.campaigns = tuple((p, f"campaign {p.ir.name}", tuple((g.group, _laid_out(g.rules)) for g in p.groups),
                                _laid_out(p.rules)) for p in plan.campaigns)


def _laid_out(rules: tuple) -> tuple:
    return tuple((p.points, p.rule.index, p.rule.name, p.rule.reason, p.reason, p if p.inputs else None, p.rule.tag)
                 for p in rules)


#: id(plan) → (a weak reference to the plan, its `_FastPlan`)
_FAST: dict = {}


def _fast(plan: "Plan") -> _FastPlan:
    """The plan's rules as `_Tally.run` takes them, laid out once per plan."""
    found = _FAST.get(id(plan))
    if found is not None and found[0]() is plan:
        return found[1]
    key = id(plan)
    fast = _FastPlan(plan)
    _FAST[key] = (weakref.ref(plan, lambda _ref: _FAST.pop(key, None)), fast)
    return fast


def show(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return v.rounded(value)
    if isinstance(value, int) and value > 10**14:
        return v.format_time(value)
    return repr(value) if isinstance(value, str) else str(value)


def _index(pair) -> int:
    return pair[0]


def ordered_tags(pairs: list) -> tuple:
    """Tags in rule declaration order, each once (docs/semantics.md "Tags")."""
    if len(pairs) > 1:
        pairs.sort(key=_index)
    return tuple(dict.fromkeys(tag for _, tag in pairs))


def score(plan: Plan, lead, now: int, account: Account | None = None,
          part: AccountPart | None = None) -> ScoreResult:
    """The lead's result; its account points come from `account`, or from `part` when given."""
    model = plan.model
    fast = _fast(plan)
    env = make_env(plan, lead, now, account)
    tally = _Tally(env)

    groups, total = {}, 0.0
    for g, rules in fast.groups:
        raw = tally.run(rules, g.label)
        groups[g.name] = group_score = clamp(raw, g.min, g.max)
        total += group_score
    total = tally.run(fast.rules, "global", total=total)
    if part is not None:
        total = tally.take(part, total)
    elif account is not None:
        total = tally.run(fast.account_rules, "account", total=total)

    low, high = model.clamp if model.clamp else (None, None)
    final = clamp(total, low, high)
    clamped = final != total
    env.score = final
    if plan.qualify or plan.campaigns:
        env.group_scores = {(None, name): s for name, s in groups.items()}

    disqualified = tuple(name for name, test, text in plan.disqualify if test(env, None) is True)
    reached = tuple(name for name, test, text in plan.qualify if test(env, None) is True)
    tier = model.tiers.tier_of(final) if model.tiers else None
    group_tiers = {t.group: t.tier_of(groups[t.group]) for t in model.group_tiers}
    campaigns = {}
    for laid_out in fast.campaigns:
        campaigns[laid_out[0].ir.name] = score_campaign(laid_out, env, tally, total, low, high)

    def read_thresholds() -> tuple:
        return thresholds_of(plan, final, groups, reached, disqualified, campaigns)

    qualified = reached
    if disqualified:
        floor = model.floor
        final = floor
        tier = model.tiers.names[0] if model.tiers else None
        qualified = ()
        campaigns = {name: attrs.evolve(c, score=floor, qualified=(),
                                        tier=(planned.ir.tiers.names[0] if planned.ir.tiers else None))
                     for (name, c), planned in zip(campaigns.items(), plan.campaigns)}

    found = tally.contributions
    if len(found) > 1:
        found.sort(key=_index)
    return full_result(lead.id, final, tier, groups, group_tiers, qualified, disqualified,
                       ordered_tags(tally.tags), campaigns, clamped, tuple(lead.warnings), v.format_time(now),
                       found, read_thresholds, tally.read_inputs)


def score_campaign(laid_out: tuple, env: Env, tally: _Tally, global_total: float,
                   low, high) -> CampaignResult:
    """A campaign's result; `laid_out` is its `PlanCampaign` as `_FastPlan.campaigns` has it."""
    planned, label, planned_groups, rules = laid_out
    campaign = planned.ir
    tags: list = []
    groups, part = {}, 0.0
    for g, group_rules in planned_groups:
        raw = tally.run(group_rules, g.label, tags)
        groups[g.name] = group_score = clamp(raw, g.min, g.max)
        part += group_score
    part = tally.run(rules, label, tags, total=part)
    campaign_score = clamp(global_total + part, low, high)

    qualified = ()
    if planned.qualify:
        saved = env.score, env.group_scores
        env.score = campaign_score
        env.group_scores = {**saved[1], **{(campaign.name, name): s for name, s in groups.items()}}
        qualified = tuple(name for name, test, text in planned.qualify if test(env, None) is True)
        env.score, env.group_scores = saved

    tier = campaign.tiers.tier_of(campaign_score) if campaign.tiers else None
    group_tiers = {t.group: t.tier_of(groups[t.group]) for t in campaign.group_tiers}
    return CampaignResult(campaign_score, tier, qualified, groups, group_tiers, ordered_tags(tags))


def thresholds_of(plan: Plan, total: float, groups: dict, reached: tuple, disqualified: tuple,
                  campaigns: dict) -> tuple:
    """Every stage, knock-out and tier boundary, and whether the lead met it (for explanations)."""
    model = plan.model
    found = [Threshold("disqualify", name, "total", text, name in disqualified)
             for name, _test, text in plan.disqualify]
    found += [Threshold("stage", name, "total", text, name in reached and not disqualified)
              for name, _test, text in plan.qualify]
    if model.tiers:
        found += tier_thresholds(model.tiers, total, "total")
    for tier_set in model.group_tiers:
        found += tier_thresholds(tier_set, groups[tier_set.group], tier_set.group)
    for planned in plan.campaigns:
        name = planned.ir.name
        found += [Threshold("stage", stage, f"campaign {name}", text, stage in campaigns[name].qualified)
                  for stage, _test, text in planned.qualify]
    return tuple(found)


def tier_thresholds(tier_set, value: float, scope: str) -> list:
    return [Threshold("tier", name, scope, f"{scope} >= {v.number_text(threshold)}", value >= threshold)
            for name, threshold in zip(tier_set.names[1:], tier_set.thresholds)]
