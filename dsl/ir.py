"""The checked model: the IR every backend consumes.

The checker builds it from the AST once all names are resolved and all types
checked. Constants are already normalized (text case-folded, dates and times
in microseconds, durations in microseconds), each distinct stream is one
`StreamDef` shared by every rule that reads it, and each rule knows its
scope, its effective decay and its reason. No node here refers back to the
AST except through `span`, which maps a construct to its `.score` text.
"""

from __future__ import annotations

from typing import Union

import attrs

from ..runtime import plan, schema
from .source import NO_SPAN, Span

#: The IR node class decorator: compared and hashed by value, as a frozen class is (the backends
#: key dictionaries on nodes), and never changed once made (`attrs.evolve` makes changed
#: copies), but not frozen: a frozen class's `__init__` sets each field through
#: `object.__setattr__`, two to three times slower, and a 1,000-rule model's checker makes
#: some 6,000 nodes, 1,000 of them `Rule`s of 18 fields (docs/architecture.md "The front
#: end's speed"; as dsl/nodes.py's AST nodes).
ir = attrs.define(unsafe_hash=True)


def _span():
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


TEXT, NUMBER, BOOL, DATE, TIME, DURATION, ERROR = (
    "text", "number", "bool", "date", "time", "duration", "error")


# ---- declarations: shared with the runtime, which reads input by them -----------

Field, Attribute, EventType = schema.Field, schema.Attribute, schema.EventType


# ---- expressions ---------------------------------------------------------------

@ir
class Const:
    value: object                    # normalized; never None
    type: str


@ir
class FieldRef:
    """A field of the lead being scored. `stripped`: the stripped, unfolded text (for `matches`)."""

    name: str
    type: str
    stripped: bool = False


@ir
class AttrRef:
    """An attribute of the event (or, in `leads[...]`, a field of the lead) a filter is looking at."""

    name: str
    type: str
    stripped: bool = False


@ir
class NowRef:
    pass


@ir
class KeyRef:
    type: str


@ir
class ScoreRef:
    """In a `qualify`: the total, or inside a campaign the campaign score."""


@ir
class GroupScoreRef:
    group: str
    campaign: str | None             # None: a global group


@ir
class Logic:
    op: str                          # and, or
    left: "Expr"
    right: "Expr"


@ir
class NotOp:
    operand: "Expr"


@ir
class Compare:
    op: str                          # == != < <= > >=
    left: "Expr"
    right: "Expr"
    kind: str                        # the operands' type: text, number, bool, time, duration


@ir
class InSet:
    operand: "Expr"
    values: frozenset                # folded text, floats or bools
    negated: bool


@ir
class InRange:
    operand: "Expr"
    low: float | None
    high: float | None
    negated: bool


@ir
class TextTest:
    op: str                          # contains, starts_with, ends_with
    operand: "Expr"
    needle: "Expr"


@ir
class Matches:
    operand: "Expr"
    pattern: str                     # RE2 syntax, compiled case-insensitively


@ir
class IsKnown:
    operand: "Expr"
    known: bool


@ir
class TimeDiff:
    left: "Expr"
    right: "Expr"


@ir
class Domain:
    argument: "Expr"


@ir
class DaysSince:
    argument: "Expr"


@ir
class StreamDef:
    """A stream: one event type (or all, or the account's leads), a filter, a window.

    `id` numbers the distinct streams of a model; equal streams in one scope
    share one id, so a backend computes each once per lead.
    """

    id: int
    source: str | None               # event type; None = every type (or leads)
    is_leads: bool
    filter: "Expr | None"
    window: int | None               # microseconds
    account: bool                    # covers the account's events, not the lead's


@ir
class Aggregate:
    kind: str                        # any, no, count, sum, first, last
    stream: StreamDef
    attribute: str | None = None     # for sum


Expr = Union[Const, FieldRef, AttrRef, NowRef, KeyRef, ScoreRef, GroupScoreRef, Logic, NotOp,
             Compare, InSet, InRange, TextTest, Matches, IsKnown, TimeDiff, Domain, DaysSince,
             Aggregate]


def children(expr) -> tuple:
    """The sub-expressions of an expression (a filter counts as a child of its aggregate)."""
    if isinstance(expr, (Logic, Compare, TimeDiff)):
        return (expr.left, expr.right)
    if isinstance(expr, TextTest):
        return (expr.operand, expr.needle)
    if isinstance(expr, (NotOp,)):
        return (expr.operand,)
    if isinstance(expr, (InSet, InRange, Matches, IsKnown)):
        return (expr.operand,)
    if isinstance(expr, (Domain, DaysSince)):
        return (expr.argument,)
    if isinstance(expr, Aggregate):
        return (expr.stream.filter,) if expr.stream.filter is not None else ()
    return ()


def walk(expr):
    """Every node of an expression, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def counted_aggregates(expr) -> tuple:
    """The aggregates whose events a condition *counts* for decay (LANGUAGE.md §6): all but `no`."""
    return tuple(a for a in walk(expr)
                 if isinstance(a, Aggregate) and a.kind != "no" and not a.stream.is_leads)


def reads_events(expr) -> bool:
    """Does an expression look at events (an aggregate over an event stream)?"""
    return any(isinstance(node, Aggregate) and not node.stream.is_leads for node in walk(expr))


def reads_lead_fields(rule) -> bool:
    """Does a rule read a field of the lead being scored (not only its account's leads and events)?"""
    parts = (rule.condition, rule.by, rule.stream.filter if rule.stream is not None else None)
    return any(isinstance(node, FieldRef) for part in parts if part is not None for node in walk(part))


# ---- rules, scopes, outputs ----------------------------------------------------

@ir
class Decay:
    kind: str                        # half_life, linear, expire
    period: int                      # microseconds
    rate: float = 1.0                # linear: the fraction lost per period (50% → 0.5)


@ir
class Scope:
    """Where a rule's points go. `label` is what results call it (INTERFACE.md §5)."""

    kind: str                        # global, account, campaign
    group: str | None = None
    campaign: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "campaign":
            return f"campaign {self.campaign}" + (f"/{self.group}" if self.group else "")
        if self.kind == "account":
            return "account"
        return self.group or "global"


@ir
class Arm:
    kind: str                        # values, else, unknown
    values: frozenset                # folded text, floats or bools
    ranges: tuple                    # of (low | None, high | None)
    points: float
    text: str                        # the arm's values as written, for reasons


@ir
class Rule:
    name: str
    scope: Scope
    kind: str                        # condition, each, table
    points: float                    # condition and each rules
    condition: Expr | None           # condition rules
    stream: StreamDef | None         # each rules
    by: Expr | None                  # table rules
    arms: tuple                      # table rules
    max_total: float | None
    max_per: tuple | None            # (limit, period in microseconds)
    distinct: str | None
    decay: Decay | None              # effective: the rule's own, else its group's
    tag: str | None
    reason: str
    reason_given: bool = False       # `because` was written
    counted: tuple = ()              # aggregates whose newest counted event sets the decay
    index: int = attrs.field(default=0, eq=False)   # declaration order: the rule's offset in the source
    span: Span = _span()


@ir
class Group:
    name: str
    scope: Scope
    min: float | None
    max: float | None
    rules: tuple
    span: Span = _span()

    @property
    def label(self) -> str:
        return self.scope.label


TierSet = plan.TierSet


@ir
class Stage:
    name: str
    condition: Expr
    text: str = ""                   # the condition as written
    span: Span = _span()


@ir
class Campaign:
    name: str
    rules: tuple                     # ungrouped campaign rules
    groups: tuple
    tiers: TierSet | None
    group_tiers: tuple
    qualify: tuple


@ir
class Account:
    key: Expr
    key_type: str
    where: Expr | None
    rules: tuple

    @property
    def key_reads_events(self) -> bool:
        """Does finding a lead's account look at its events?"""
        return reads_events(self.key) or (self.where is not None and reads_events(self.where))

    @property
    def rules_shared(self) -> bool:
        """Does every lead of an account get the same account points (no rule reads the lead's fields)?"""
        return not any(reads_lead_fields(rule) for rule in self.rules)


@ir
class Model:
    name: str
    version: float | int | None
    filename: str
    fields: tuple                    # of Field, in declaration order
    events: tuple                    # of EventType
    clamp: tuple | None              # (low | None, high | None)
    rules: tuple                     # ungrouped global rules
    groups: tuple                    # global groups
    account: Account | None
    tiers: TierSet | None
    group_tiers: tuple
    qualify: tuple
    disqualify: tuple
    campaigns: tuple
    streams: tuple                   # every distinct StreamDef, by id

    def event_type(self, name: str) -> EventType | None:
        return next((e for e in self.events if e.name == name), None)

    def all_rules(self):
        """Every rule with its group (or None), in declaration order per scope."""
        for group in self.groups:
            for rule in group.rules:
                yield rule, group
        for rule in self.rules:
            yield rule, None
        if self.account:
            for rule in self.account.rules:
                yield rule, None
        for campaign in self.campaigns:
            for group in campaign.groups:
                for rule in group.rules:
                    yield rule, group
            for rule in campaign.rules:
                yield rule, None

    @property
    def floor(self) -> float:
        """The score of a disqualified lead: the clamp floor, 0 without one."""
        if self.clamp and self.clamp[0] is not None:
            return float(self.clamp[0])
        return 0.0
