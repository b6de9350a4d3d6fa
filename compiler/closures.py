"""Checked model → a tree of Python closures.

Everything is resolved here, once (as cel-go's planner does): each IR node
becomes a closure that knows its slot, its constant and its operator, so
scoring does no name lookup, no type dispatch and no regex compilation.
Each stream is computed at most once per lead and shared by every rule that
reads it (`Env.streams`, indexed by stream id).

Expression closures take `(env, item)`: `item` is the event (or, in
`leads[...]`, the lead) a stream filter is looking at, None elsewhere. They
return the value, or None for unknown; conditions return True, False or None.
"""

from __future__ import annotations

import operator

import re2

from ..dsl import ir
from ..dsl.visitor import NodeVisitor
from ..runtime.streams import cap, distinct_newest, newest_known, sum_known
from ..runtime.values import US_PER_DAY, domain_of
from ..runtime.scoring import PlanRule, PlanGroup, PlanCampaign, Plan, decay_function
from .inputs import input_nodes

COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt,
               "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def compile_model(model: ir.Model) -> Plan:
    """The closures for every rule, group, campaign, stage and the account scope."""
    return Compiler(model).plan()


class Compiler(NodeVisitor):
    """IR → closures; `visit_<IR node>(node)` gives an expression's closure `(env, item) → value`."""

    stage_name = "the closures backend"

    def __init__(self, model: ir.Model):
        self.model = model
        self.stream_getters: dict[int, object] = {}

    def plan(self) -> Plan:
        m = self.model
        account = m.account
        return Plan(
            model=m,
            groups=tuple(self.group(g) for g in m.groups),
            rules=tuple(self.rule(r) for r in m.rules),
            account_rules=tuple(self.rule(r) for r in account.rules) if account else (),
            account_key=self.visit(account.key) if account else None,
            account_where=self.visit(account.where) if account and account.where is not None else None,
            qualify=tuple((s.name, self.visit(s.condition), s.text) for s in m.qualify),
            disqualify=tuple((s.name, self.visit(s.condition), s.text) for s in m.disqualify),
            campaigns=tuple(self.campaign(c) for c in m.campaigns),
            stream_count=len(m.streams),
            key_reads_events=bool(account and account.key_reads_events),
            account_rules_shared=bool(account and account.rules_shared),
        )

    def campaign(self, campaign: ir.Campaign) -> PlanCampaign:
        return PlanCampaign(
            ir=campaign,
            groups=tuple(self.group(g) for g in campaign.groups),
            rules=tuple(self.rule(r) for r in campaign.rules),
            qualify=tuple((s.name, self.visit(s.condition), s.text) for s in campaign.qualify),
        )

    def group(self, group: ir.Group) -> PlanGroup:
        return PlanGroup(group, tuple(self.rule(r) for r in group.rules))

    # ---- rules ---------------------------------------------------------------------

    def rule(self, rule: ir.Rule) -> PlanRule:
        builder = {"condition": self.condition_rule, "each": self.each_rule,
                   "table": self.table_rule}[rule.kind]
        return PlanRule(rule, builder(rule), self.inputs(rule), self.reason(rule))

    def reason(self, rule: ir.Rule):
        """env → the reason shown for a fired rule; a table rule names the arm that matched."""
        if rule.kind != "table" or rule.reason_given:
            return None
        by = self.visit(rule.by)
        arms = [(arm, arm_matcher(arm) if arm.kind == "values" else None) for arm in rule.arms]
        default = rule.reason

        def arm_reason(env):
            value = by(env, None)
            for arm, matches in arms:
                if arm.kind == "else" or (arm.kind == "unknown" and value is None) or (
                        matches is not None and value is not None and matches(value)):
                    return f"{default}: {arm.text}"
            return default
        return arm_reason

    def newest_counted(self, aggregates: tuple):
        """env → the time of the newest event the aggregates counted, or None."""
        finders = [self.newest_of(a) for a in aggregates]
        if len(finders) == 1:
            return finders[0]

        def newest(env):
            times = [t for t in (f(env) for f in finders) if t is not None]
            return max(times) if times else None
        return newest

    def newest_of(self, aggregate: ir.Aggregate):
        get = self.stream(aggregate.stream)
        if aggregate.kind == "first":
            return lambda env: (s[0].at if (s := get(env)) else None)
        if aggregate.kind == "sum":
            name = aggregate.attribute
            return lambda env: newest_known(get(env), name)
        return lambda env: (s[-1].at if (s := get(env)) else None)

    def decayed(self, rule: ir.Rule, base, aggregates: tuple):
        """Wrap `env → points` with the rule's decay (newest counted event) and `max` cap."""
        fn = base
        if rule.decay is not None and aggregates:
            factor = decay_function(rule.decay)
            newest = self.newest_counted(aggregates)
            undecayed = fn

            def fn(env):
                points = undecayed(env)
                if points:
                    at = newest(env)
                    if at is not None:
                        points = points * factor(env.now - at)
                return points
        return capped(fn, rule.max_total)

    def condition_rule(self, rule: ir.Rule):
        test = self.visit(rule.condition)
        points = rule.points
        return self.decayed(rule, lambda env: points if test(env, None) is True else 0.0, rule.counted)

    def table_rule(self, rule: ir.Rule):
        by = self.visit(rule.by)
        arms = rule.arms
        unknown_points = next((a.points for a in arms if a.kind in ("unknown", "else")), 0.0)
        matchers = []
        for arm in arms:
            if arm.kind == "else":
                matchers.append((lambda x: True, arm.points))
                break
            if arm.kind == "values":
                matchers.append((arm_matcher(arm), arm.points))

        def table(env):
            value = by(env, None)
            if value is None:
                return unknown_points
            for matches, points in matchers:
                if matches(value):
                    return points
            return 0.0
        return self.decayed(rule, table, rule.counted)

    def each_rule(self, rule: ir.Rule):
        get = self.stream(rule.stream)
        points = rule.points
        distinct = rule.distinct
        factor = decay_function(rule.decay) if rule.decay is not None else None
        per = rule.max_per

        def events_of(env):
            items = get(env)
            return items if distinct is None else distinct_newest(items, distinct)

        if per is None:
            if factor is None:
                def each(env):
                    return points * len(events_of(env))
            else:
                def each(env):
                    now = env.now
                    weight = 0.0
                    for item in events_of(env):
                        weight += factor(now - item.at)
                    return points * weight
        else:
            limit, period = per

            def each(env):
                now = env.now
                weights: dict[int, float] = {}
                for item in events_of(env):
                    k = (now - item.at) // period
                    weights[k] = weights.get(k, 0.0) + (factor(now - item.at) if factor else 1.0)
                total = 0.0
                for k in sorted(weights):
                    total += cap(points * weights[k], limit)
                return total
        return capped(each, rule.max_total)

    # ---- explanations ------------------------------------------------------------

    def inputs(self, rule: ir.Rule):
        """env → [(label, value)] for the fields and aggregates the rule reads."""
        readers = [(label, self.visit(node), node) for label, node in input_nodes(rule)]
        if rule.kind == "each":
            get = self.stream(rule.stream)
            readers.append(("events counted", lambda env, item: float(len(get(env))), None))
        return tuple(readers)

    # ---- streams -------------------------------------------------------------------

    def stream(self, stream: ir.StreamDef):
        if stream.id in self.stream_getters:
            return self.stream_getters[stream.id]
        keep = self.visit(stream.filter) if stream.filter is not None else None
        source, window, sid = stream.source, stream.window, stream.id

        if stream.is_leads:
            def base(env):
                return env.account.leads
        elif stream.account:
            def base(env):
                account = env.account
                return account.by_type.get(source, ()) if source else account.events
        else:
            def base(env):
                return env.by_type.get(source, ()) if source else env.events

        def compute(env):
            items = base(env)
            if window is not None:
                cutoff = env.now - window
                items = [e for e in items if e.at > cutoff]
            if keep is not None:
                items = [e for e in items if keep(env, e) is True]
            return items

        def get(env):
            cache = env.streams
            found = cache[sid]
            if found is None:
                found = cache[sid] = compute(env)
            return found

        self.stream_getters[stream.id] = get
        return get

    # ---- expressions -------------------------------------------------------------

    def visit_Const(self, node: ir.Const):
        value = node.value
        return lambda env, item: value

    def visit_FieldRef(self, node: ir.FieldRef):
        name = node.name
        if node.stripped:
            return lambda env, item: env.lead.stripped.get(name)
        return lambda env, item: env.lead.values.get(name)

    def visit_AttrRef(self, node: ir.AttrRef):
        name = node.name
        if node.stripped:
            return lambda env, item: item.stripped.get(name)
        return lambda env, item: item.values.get(name)

    def visit_NowRef(self, node):
        return lambda env, item: env.now

    def visit_KeyRef(self, node):
        return lambda env, item: env.account.key

    def visit_ScoreRef(self, node):
        return lambda env, item: env.score

    def visit_GroupScoreRef(self, node: ir.GroupScoreRef):
        slot = (node.campaign, node.group)
        return lambda env, item: env.group_scores[slot]

    def visit_Logic(self, node: ir.Logic):
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op == "and":
            def both(env, item):
                a = left(env, item)
                if a is False:
                    return False
                b = right(env, item)
                if b is False:
                    return False
                return None if (a is None or b is None) else True
            return both

        def either(env, item):
            a = left(env, item)
            if a is True:
                return True
            b = right(env, item)
            if b is True:
                return True
            return None if (a is None or b is None) else False
        return either

    def visit_NotOp(self, node: ir.NotOp):
        operand = self.visit(node.operand)

        def negate(env, item):
            a = operand(env, item)
            return None if a is None else not a
        return negate

    def visit_Compare(self, node: ir.Compare):
        op = COMPARISONS[node.op]
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.right, ir.Const):
            constant = node.right.value

            def compare_const(env, item):
                a = left(env, item)
                return None if a is None else op(a, constant)
            return compare_const

        def compare(env, item):
            a = left(env, item)
            if a is None:
                return None
            b = right(env, item)
            return None if b is None else op(a, b)
        return compare

    def visit_InSet(self, node: ir.InSet):
        operand, values, negated = self.visit(node.operand), node.values, node.negated

        def member(env, item):
            a = operand(env, item)
            return None if a is None else ((a in values) != negated)
        return member

    def visit_InRange(self, node: ir.InRange):
        operand, negated = self.visit(node.operand), node.negated
        inside = range_test(node.low, node.high)

        def within(env, item):
            a = operand(env, item)
            return None if a is None else (inside(a) != negated)
        return within

    def visit_TextTest(self, node: ir.TextTest):
        operand, needle = self.visit(node.operand), self.visit(node.needle)
        test = {"contains": operator.contains, "starts_with": str.startswith,
                "ends_with": str.endswith}[node.op]

        def text_test(env, item):
            a = operand(env, item)
            if a is None:
                return None
            b = needle(env, item)
            return None if b is None else test(a, b)
        return text_test

    def visit_Matches(self, node: ir.Matches):
        operand = self.visit(node.operand)
        search = re2.compile("(?i)" + node.pattern).search

        def matches(env, item):
            a = operand(env, item)
            return None if a is None else search(a) is not None
        return matches

    def visit_IsKnown(self, node: ir.IsKnown):
        operand, known = self.visit(node.operand), node.known
        return lambda env, item: (operand(env, item) is not None) == known

    def visit_TimeDiff(self, node: ir.TimeDiff):
        left, right = self.visit(node.left), self.visit(node.right)

        def difference(env, item):
            a = left(env, item)
            if a is None:
                return None
            b = right(env, item)
            return None if b is None else a - b
        return difference

    def visit_Domain(self, node: ir.Domain):
        argument = self.visit(node.argument)
        return lambda env, item: domain_of(argument(env, item))

    def visit_DaysSince(self, node: ir.DaysSince):
        argument = self.visit(node.argument)

        def days_since(env, item):
            t = argument(env, item)
            return None if t is None else (env.now - t) / US_PER_DAY
        return days_since

    def visit_Aggregate(self, node: ir.Aggregate):
        get = self.stream(node.stream)
        kind = node.kind
        if kind == "any":
            return lambda env, item: len(get(env)) > 0
        if kind == "no":
            return lambda env, item: len(get(env)) == 0
        if kind == "count":
            return lambda env, item: float(len(get(env)))
        if kind == "first":
            return lambda env, item: (s[0].at if (s := get(env)) else None)
        if kind == "last":
            return lambda env, item: (s[-1].at if (s := get(env)) else None)
        name = node.attribute
        return lambda env, item: sum_known(get(env), name)


def capped(fn, limit):
    if limit is None:
        return fn
    return lambda env: cap(fn(env), limit)


def range_test(low, high):
    if low is None:
        return lambda x: x <= high
    if high is None:
        return lambda x: x >= low
    return lambda x: low <= x <= high


def arm_matcher(arm: ir.Arm):
    values = arm.values
    tests = [range_test(lo, hi) for lo, hi in arm.ranges]
    if not tests:
        return lambda x: x in values
    return lambda x: x in values or any(t(x) for t in tests)

