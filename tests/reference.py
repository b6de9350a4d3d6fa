"""A reference evaluator for the checked model IR, written to be obviously right.

This is a plain interpreter over `leadscore.dsl.ir.Model`, following
LANGUAGE.md (§4–§8) and docs/semantics.md line by line. It is slow on
purpose: every stream is recomputed wherever it is read, logic is the full
three-valued truth table, and nothing is cached or precompiled. It shares no
code with compiler/closures.py or runtime/scoring.py; it only uses
runtime/values.py helpers (`domain_of`, `US_PER_DAY`) and the runtime/schema.py
readers, which turn raw dicts into typed `Lead` / `Event` objects (input
conversion is not what this module checks).

Entry points:

- `prepare(model_ir, lead_dict, events, now_us)` → a `Lead` with its usable
  events (declared type, readable time, not after now);
- `reference_score(model_ir, leads, now_us)` → one dict per lead, shaped like
  `ScoreResult.to_dict(explain=True)`. Leads with the same known account key
  (for which `where` holds) form an account, as `Model.score_prepared` does.

Declaration order is the IR's `Rule.index` (ir.py: "declaration order within
the model"); whether the checker numbers rules in file order is tested
separately.
"""

from __future__ import annotations

import re2

from leadscore.dsl import ir
from leadscore.runtime import values as v
from leadscore.runtime.schema import EventProblem, EventReader, LeadReader

US_PER_DAY = v.US_PER_DAY


# ---- input ---------------------------------------------------------------------------

def prepare(model_ir: ir.Model, lead_dict: dict, events=(), now_us: int = 0, lead_id=None):
    """The typed lead, with the events that can be used: the rest is dropped (§5 Events)."""
    lead = LeadReader(model_ir.fields).read(lead_id, lead_dict)
    reader = EventReader(model_ir.events)
    usable = []
    for row in events:
        if not isinstance(row, dict):
            continue
        try:
            event = reader.read(row, [])
        except EventProblem:
            continue
        if event is None:          # undeclared type
            continue
        if event.at > now_us:      # after now
            continue
        usable.append(event)
    lead.events = usable
    return lead


def canonical(events) -> list:
    """LANGUAGE.md §10: by time, then by type, then by typed content (the reader's `order`)."""
    return sorted(events, key=lambda e: e.order)


# ---- three-valued logic ------------------------------------------------------------

def and3(a, b):
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def or3(a, b):
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def not3(a):
    if a is None:
        return None
    return not a


# ---- what an expression sees ---------------------------------------------------------

class AccountData:
    def __init__(self, key, leads: list):
        self.key = key
        self.leads = leads                       # in input order
        self.events = [e for lead in leads for e in lead.events]


class Ctx:
    def __init__(self, lead, now: int, account: AccountData | None = None):
        self.lead = lead
        self.now = now
        self.account = account
        self.score = None                        # in qualify: the total or campaign score
        self.group_scores: dict = {}             # (campaign | None, group) -> score


def evaluate(node, ctx: Ctx, item=None):
    """The value of an expression: a value, or None for unknown. Conditions: True/False/None."""
    if isinstance(node, ir.Const):
        return node.value
    if isinstance(node, ir.FieldRef):
        if node.stripped:
            return ctx.lead.stripped.get(node.name)
        return ctx.lead.values.get(node.name)
    if isinstance(node, ir.AttrRef):
        if node.stripped:
            return item.stripped.get(node.name)
        return item.values.get(node.name)
    if isinstance(node, ir.NowRef):
        return ctx.now
    if isinstance(node, ir.KeyRef):
        return ctx.account.key
    if isinstance(node, ir.ScoreRef):
        return ctx.score
    if isinstance(node, ir.GroupScoreRef):
        return ctx.group_scores[(node.campaign, node.group)]
    if isinstance(node, ir.Logic):
        a = evaluate(node.left, ctx, item)
        b = evaluate(node.right, ctx, item)
        return and3(a, b) if node.op == "and" else or3(a, b)
    if isinstance(node, ir.NotOp):
        return not3(evaluate(node.operand, ctx, item))
    if isinstance(node, ir.Compare):
        a = evaluate(node.left, ctx, item)
        b = evaluate(node.right, ctx, item)
        if a is None or b is None:
            return None
        if node.op == "==":
            return a == b
        if node.op == "!=":
            return a != b
        if node.op == "<":
            return a < b
        if node.op == "<=":
            return a <= b
        if node.op == ">":
            return a > b
        if node.op == ">=":
            return a >= b
        raise AssertionError(node.op)
    if isinstance(node, ir.InSet):
        a = evaluate(node.operand, ctx, item)
        if a is None:
            return None
        inside = a in node.values
        return (not inside) if node.negated else inside
    if isinstance(node, ir.InRange):
        a = evaluate(node.operand, ctx, item)
        if a is None:
            return None
        inside = in_range(a, node.low, node.high)
        return (not inside) if node.negated else inside
    if isinstance(node, ir.TextTest):
        a = evaluate(node.operand, ctx, item)
        b = evaluate(node.needle, ctx, item)
        if a is None or b is None:
            return None
        if node.op == "contains":
            return b in a
        if node.op == "starts_with":
            return a.startswith(b)
        if node.op == "ends_with":
            return a.endswith(b)
        raise AssertionError(node.op)
    if isinstance(node, ir.Matches):
        a = evaluate(node.operand, ctx, item)
        if a is None:
            return None
        return re2.compile("(?i)" + node.pattern).search(a) is not None
    if isinstance(node, ir.IsKnown):
        a = evaluate(node.operand, ctx, item)
        return (a is not None) if node.known else (a is None)
    if isinstance(node, ir.TimeDiff):
        a = evaluate(node.left, ctx, item)
        b = evaluate(node.right, ctx, item)
        if a is None or b is None:
            return None
        return a - b
    if isinstance(node, ir.Domain):
        return v.domain_of(evaluate(node.argument, ctx, item))
    if isinstance(node, ir.DaysSince):
        t = evaluate(node.argument, ctx, item)
        if t is None:
            return None
        return (ctx.now - t) / US_PER_DAY
    if isinstance(node, ir.Aggregate):
        return aggregate(node, ctx)
    raise AssertionError(f"unknown IR node {node!r}")


def in_range(x, low, high) -> bool:
    if low is not None and x < low:
        return False
    if high is not None and x > high:
        return False
    return True


# ---- streams and aggregates ------------------------------------------------------

def stream_items(stream: ir.StreamDef, ctx: Ctx) -> list:
    """The events (or leads) of a stream, in canonical order, filtered and windowed."""
    if stream.is_leads:
        items = list(ctx.account.leads)
    else:
        pool = ctx.account.events if stream.account else ctx.lead.events
        items = canonical(e for e in pool
                          if e.at <= ctx.now and (stream.source is None or e.type == stream.source))
        if stream.window is not None:
            items = [e for e in items if ctx.now - e.at < stream.window]
    if stream.filter is not None:
        items = [x for x in items if evaluate(stream.filter, ctx, x) is True]
    return items


def aggregate(node: ir.Aggregate, ctx: Ctx):
    items = stream_items(node.stream, ctx)
    if node.kind == "any":
        return len(items) > 0
    if node.kind == "no":
        return len(items) == 0
    if node.kind == "count":
        return float(len(items))
    if node.kind == "sum":
        total = 0.0
        for x in items:
            value = x.values.get(node.attribute)
            if value is not None:
                total += value
        return total
    if node.kind == "first":
        return items[0].at if items else None
    if node.kind == "last":
        return items[-1].at if items else None
    raise AssertionError(node.kind)


def counted_times(node: ir.Aggregate, ctx: Ctx) -> list:
    """The times of the events an aggregate counts (LANGUAGE.md §6)."""
    items = stream_items(node.stream, ctx)
    if node.kind in ("any", "count"):
        return [e.at for e in items]
    if node.kind == "sum":
        return [e.at for e in items if e.values.get(node.attribute) is not None]
    if node.kind == "first":
        return [items[0].at] if items else []
    if node.kind == "last":
        return [items[-1].at] if items else []
    return []                                    # `no` counts nothing


def aggregates_in(expr) -> list:
    """Every aggregate of an expression, however deeply nested."""
    found = []

    def visit(node):
        if isinstance(node, ir.Aggregate):
            found.append(node)
            return
        for name in ("left", "right", "operand", "needle", "argument"):
            child = getattr(node, name, None)
            if child is not None:
                visit(child)
    visit(expr)
    return found


def newest_counted(expr, ctx: Ctx):
    """The time of the newest event the expression counted; None when it counted none."""
    times = []
    for agg in aggregates_in(expr):
        if agg.kind == "no" or agg.stream.is_leads:
            continue
        times.extend(counted_times(agg, ctx))
    return max(times) if times else None


# ---- rules -----------------------------------------------------------------------

def decay_factor(decay: ir.Decay, age: int) -> float:
    """LANGUAGE.md §6, the table."""
    if decay.kind == "half_life":
        return 0.5 ** (age / decay.period)
    if decay.kind == "linear":
        return max(0.0, 1.0 - decay.rate * age / decay.period)
    if decay.kind == "expire":
        return 1.0 if age < decay.period else 0.0
    raise AssertionError(decay.kind)


def cap(points: float, limit) -> float:
    """`max N`: at most N in magnitude, sign kept."""
    if limit is None:
        return points
    if points > limit:
        return float(limit)
    if points < -limit:
        return -float(limit)
    return points


def arm_takes(arm: ir.Arm, value) -> bool:
    if arm.kind == "else":
        return True
    if arm.kind == "unknown":
        return value is None
    if value is None:
        return False
    if value in arm.values:
        return True
    return any(in_range(value, low, high) for low, high in arm.ranges)


def rule_points(rule: ir.Rule, ctx: Ctx) -> tuple[float, str]:
    """A rule's points after decay and caps, and its reason."""
    if rule.kind == "condition":
        holds = evaluate(rule.condition, ctx) is True
        points = rule.points if holds else 0.0
        if points != 0 and rule.decay is not None:
            newest = newest_counted(rule.condition, ctx)
            if newest is not None:
                points = points * decay_factor(rule.decay, ctx.now - newest)
        return cap(points, rule.max_total), rule.reason

    if rule.kind == "table":
        value = evaluate(rule.by, ctx)
        points, reason = 0.0, rule.reason
        for arm in rule.arms:
            if arm_takes(arm, value):
                points = arm.points
                if not rule.reason_given:
                    reason = f"{rule.reason}: {arm.text}"
                break
        if points != 0 and rule.decay is not None:
            newest = newest_counted(rule.by, ctx)
            if newest is not None:
                points = points * decay_factor(rule.decay, ctx.now - newest)
        return cap(points, rule.max_total), reason

    # each-rule
    items = stream_items(rule.stream, ctx)
    if rule.distinct is not None:
        newest_of = {}
        for x in items:                          # canonical order: the last one is the newest
            value = x.values.get(rule.distinct)
            if value is not None:
                newest_of[value] = x
        kept = {id(x) for x in newest_of.values()}
        items = [x for x in items if id(x) in kept]
    timed = not rule.stream.is_leads

    def weight(x) -> float:
        if rule.decay is None or not timed:
            return 1.0
        return decay_factor(rule.decay, ctx.now - x.at)

    if rule.max_per is None:
        weights = 0.0
        for x in items:
            weights += weight(x)
        points = rule.points * weights
    else:
        limit, period = rule.max_per
        periods: dict[int, float] = {}
        for x in items:
            k = (ctx.now - x.at) // period
            periods[k] = periods.get(k, 0.0) + weight(x)
        points = 0.0
        for k in sorted(periods):                # from the newest period (k = 0) to the oldest
            points += cap(rule.points * periods[k], limit)
    return cap(points, rule.max_total), rule.reason


# ---- one lead ----------------------------------------------------------------------

def limit(value: float, low, high) -> float:
    if low is not None and value < low:
        return float(low)
    if high is not None and value > high:
        return float(high)
    return value


def tier_of(tier_set: ir.TierSet, score: float) -> str:
    """The last tier whose threshold the score reaches; the first tier otherwise."""
    name = tier_set.names[0]
    for threshold, next_name in zip(tier_set.thresholds, tier_set.names[1:]):
        if score >= threshold:
            name = next_name
    return name


class Tally:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.contributions = []                  # (index, dict)
        self.tags = []                           # (index, tag)

    def points(self, rule: ir.Rule, scope_label: str, tags: list) -> float:
        points, reason = rule_points(rule, self.ctx)
        if points != 0:
            self.contributions.append((rule.index, {"rule": rule.name, "scope": scope_label,
                                                     "points": points, "reason": reason}))
            if rule.tag is not None:
                tags.append((rule.index, rule.tag))
        return points


def ordered_tags(tags: list) -> list:
    out = []
    for _, tag in sorted(tags, key=lambda pair: pair[0]):
        if tag not in out:
            out.append(tag)
    return out


def score_lead(model: ir.Model, lead, now: int, account: AccountData | None) -> dict:
    ctx = Ctx(lead, now, account)
    tally = Tally(ctx)
    global_tags: list = []

    # docs/semantics.md "Totals": groups in order, then ungrouped rules, then account rules,
    # summed left to right from 0.0; each group is its rules summed in order, then limited.
    groups = {}
    total = 0.0
    for group in model.groups:
        raw = 0.0
        for rule in group.rules:
            raw += tally.points(rule, group.name, global_tags)
        groups[group.name] = limit(raw, group.min, group.max)
        total += groups[group.name]
    for rule in model.rules:
        total += tally.points(rule, "global", global_tags)
    if account is not None and model.account is not None:
        for rule in model.account.rules:
            total += tally.points(rule, "account", global_tags)

    low, high = model.clamp if model.clamp is not None else (None, None)
    final = limit(total, low, high)
    clamped = final != total

    disqualified = [s.name for s in model.disqualify if evaluate(s.condition, ctx) is True]

    ctx.score = final
    ctx.group_scores = {(None, name): value for name, value in groups.items()}
    qualified = [s.name for s in model.qualify if evaluate(s.condition, ctx) is True]
    tier = tier_of(model.tiers, final) if model.tiers is not None else None
    group_tiers = {t.group: tier_of(t, groups[t.group]) for t in model.group_tiers}

    campaigns = {}
    for campaign in model.campaigns:
        campaign_tags: list = []
        cgroups = {}
        part = 0.0
        for group in campaign.groups:
            raw = 0.0
            for rule in group.rules:
                raw += tally.points(rule, f"campaign {campaign.name}/{group.name}", campaign_tags)
            cgroups[group.name] = limit(raw, group.min, group.max)
            part += cgroups[group.name]
        for rule in campaign.rules:
            part += tally.points(rule, f"campaign {campaign.name}", campaign_tags)
        campaign_score = limit(total + part, low, high)
        ctx.score = campaign_score
        ctx.group_scores = {**{(None, n): s for n, s in groups.items()},
                            **{(campaign.name, n): s for n, s in cgroups.items()}}
        cqualified = [s.name for s in campaign.qualify if evaluate(s.condition, ctx) is True]
        campaigns[campaign.name] = {
            "score": campaign_score,
            "tier": tier_of(campaign.tiers, campaign_score) if campaign.tiers is not None else None,
            "qualified": cqualified,
            "groups": cgroups,
            "group_tiers": {t.group: tier_of(t, cgroups[t.group]) for t in campaign.group_tiers},
            "tags": ordered_tags(campaign_tags),
        }

    if disqualified:
        floor = float(low) if low is not None else 0.0
        final = floor
        tier = model.tiers.names[0] if model.tiers is not None else None
        qualified = []
        for campaign in model.campaigns:
            c = campaigns[campaign.name]
            c["score"] = floor
            c["qualified"] = []
            c["tier"] = campaign.tiers.names[0] if campaign.tiers is not None else None

    return {
        "id": lead.id, "score": final, "tier": tier, "groups": groups, "group_tiers": group_tiers,
        "qualified": qualified, "disqualified": disqualified, "tags": ordered_tags(global_tags),
        "campaigns": campaigns, "clamped": clamped,
        "contributions": [c for _, c in sorted(tally.contributions, key=lambda pair: pair[0])],
    }


# ---- accounts ----------------------------------------------------------------------

def account_key_of(model: ir.Model, lead, now: int):
    """The lead's account key, evaluated on the lead alone; None: no account."""
    if model.account is None:
        return None
    ctx = Ctx(lead, now)
    key = evaluate(model.account.key, ctx)
    if key is None:
        return None
    if model.account.where is not None and evaluate(model.account.where, ctx) is not True:
        return None
    return key


def reference_score(model_ir: ir.Model, leads: list, now_us: int) -> list[dict]:
    """Score leads together, as `Model.score_prepared` does; one dict per lead, in order."""
    keys = [account_key_of(model_ir, lead, now_us) for lead in leads]
    members: dict = {}
    for lead, key in zip(leads, keys):
        if key is not None:
            members.setdefault(key, []).append(lead)
    accounts = {key: AccountData(key, group) for key, group in members.items()}
    return [score_lead(model_ir, lead, now_us, accounts[key] if key is not None else None)
            for lead, key in zip(leads, keys)]
