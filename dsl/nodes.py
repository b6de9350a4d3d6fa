"""The AST of a `.score` file: attrs nodes, one class per construct.

Every node carries the `span` it was parsed from; spans are excluded from
equality, so two parses of equivalently laid-out text compare equal. The
checker reads these nodes and builds a separate IR (`ir.py`); nothing ever
mutates them.

The nodes are slotted, compared and hashed by value as frozen classes are, but
not frozen: a frozen class's `__init__` sets each field through
`object.__setattr__`, which made building a node two to three times slower
(12,000 nodes for a 1,000-rule model; docs/architecture.md "The front end's
speed"). `attrs.evolve` makes changed copies, as before.
"""

from __future__ import annotations

from typing import Union

import attrs

from .source import NO_SPAN, Span


def _span():
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


#: The AST node class decorator (not frozen: see above).
node = attrs.define(unsafe_hash=True)


# ---- literals and names ------------------------------------------------------

@node
class Name:
    id: str
    span: Span = _span()


@node
class Str:
    value: str
    span: Span = _span()


@node
class Num:
    value: float | int
    span: Span = _span()


@node
class Bool:
    value: bool
    span: Span = _span()


@node
class Duration:
    """A duration literal, kept in seconds; `text` is as written (`6mo`)."""

    seconds: float
    text: str
    span: Span = _span()


@node
class Percent:
    value: float          # 50% is 50.0
    span: Span = _span()


@node
class Range:
    low: float | int | None
    high: float | int | None
    span: Span = _span()


@node
class ListLiteral:
    values: tuple
    span: Span = _span()


# ---- expressions -------------------------------------------------------------

@node
class Now:
    span: Span = _span()


@node
class Key:
    span: Span = _span()


@node
class ScoreRef:
    span: Span = _span()


@node
class Or:
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@node
class And:
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@node
class Not:
    operand: "Expr"
    span: Span = _span()


@node
class Compare:
    op: str               # == != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@node
class Membership:
    operand: "Expr"
    target: Union[ListLiteral, Range, Name]
    negated: bool
    span: Span = _span()


@node
class TextTest:
    op: str               # contains, starts_with, ends_with
    operand: "Expr"
    needle: "Expr"
    span: Span = _span()


@node
class Matches:
    operand: "Expr"
    pattern: Str
    span: Span = _span()


@node
class Presence:
    operand: "Expr"
    known: bool           # `is known` / `is unknown`
    span: Span = _span()


@node
class Minus:
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@node
class Call:
    function: str         # domain, days_since
    argument: "Expr"
    span: Span = _span()


@node
class Stream:
    source: str | None    # an event type name; None = `event` (every type)
    is_leads: bool
    filter: "Expr | None"
    window: Duration | None
    source_span: Span = attrs.field(default=NO_SPAN, eq=False, repr=False)
    span: Span = _span()


@node
class Aggregate:
    kind: str             # any, no, count, sum, first, last
    stream: Stream
    attribute: Name | None = None
    span: Span = _span()


Expr = Union[Name, Str, Num, Bool, Duration, Now, Key, ScoreRef, Or, And, Not,
             Compare, Membership, TextTest, Matches, Presence, Minus, Call, Aggregate]


# ---- declarations ------------------------------------------------------------

@node
class ModelHeader:
    name: str
    version: float | int | None
    span: Span = _span()


@node
class FieldDecl:
    name: Name
    type: str
    column: Str | None
    sentinels: tuple       # of Str | Num
    span: Span = _span()


@node
class AttrDecl:
    name: Name
    type: str
    column: Str | None
    span: Span = _span()


@node
class EventDecl:
    name: Name
    attributes: tuple      # of AttrDecl
    span: Span = _span()


@node
class ListDecl:
    name: Name
    values: ListLiteral | None
    path: Str | None
    span: Span = _span()


@node
class ClampDecl:
    range: Range
    span: Span = _span()


# ---- rules -------------------------------------------------------------------

@node
class Points:
    value: float | int
    text: str              # as written: "+15", "-2.5", "0"
    span: Span = _span()


@node
class HalfLife:
    period: Duration
    span: Span = _span()


@node
class LinearDecay:
    percent: Percent
    period: Duration
    span: Span = _span()


@node
class Expire:
    period: Duration
    span: Span = _span()


DecaySpec = Union[HalfLife, LinearDecay, Expire]


@node
class MaxOption:
    limit: Num
    per: Duration | None
    span: Span = _span()


@node
class DistinctOption:
    attribute: Name
    span: Span = _span()


@node
class DecayOption:
    spec: DecaySpec
    span: Span = _span()


@node
class TagOption:
    tag: Name
    span: Span = _span()


@node
class BecauseOption:
    reason: Str
    span: Span = _span()


@node
class MinOption:
    limit: Num
    span: Span = _span()


@node
class GroupMaxOption:
    limit: Num
    span: Span = _span()


@node
class ConditionBody:
    points: Points
    condition: Expr
    span: Span = _span()


@node
class EachBody:
    points: Points
    stream: Stream
    span: Span = _span()


@node
class Arm:
    """A table arm: `values => points`; kind is "values", "else" or "unknown"."""

    kind: str
    values: tuple          # Str | Num | Bool | Range, empty unless kind == "values"
    points: Points
    span: Span = _span()


@node
class TableBody:
    by: Expr
    arms: tuple            # of Arm
    span: Span = _span()


@node
class Rule:
    name: Name
    body: Union[ConditionBody, EachBody, TableBody]
    options: tuple
    span: Span = _span()


@node
class Group:
    name: Name
    options: tuple         # MinOption | GroupMaxOption | DecayOption
    rules: tuple
    span: Span = _span()


@node
class Tier:
    name: Name
    threshold: Num | None
    span: Span = _span()


@node
class Tiers:
    group: Name | None
    tiers: tuple
    span: Span = _span()


@node
class Qualify:
    name: Name
    condition: Expr
    span: Span = _span()


@node
class Disqualify:
    name: Name
    condition: Expr
    span: Span = _span()


@node
class Campaign:
    name: Name
    items: tuple           # Rule | Group | Tiers | Qualify
    span: Span = _span()


@node
class Account:
    key: Expr
    where: Expr | None
    rules: tuple
    span: Span = _span()


@node
class Model:
    header: ModelHeader | None
    items: tuple
    span: Span = _span()
