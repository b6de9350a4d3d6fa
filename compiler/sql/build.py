"""The small pieces every part of the SQL backend builds with (query, staging, JSON text).

Input patterns (the SQL twin of runtime/values.py's), the bool words, quoted
identifiers, typed literals, and operators that parenthesize their operands
so the printed SQL means what the tree says. Nothing here knows the model or
the engine; `dialects.py` holds what differs between engines.
"""

from __future__ import annotations

import attrs
from sqlglot import exp

from ...runtime.values import FALSE_WORDS, TRUE_WORDS  # noqa: F401  (the runtime's, read in SQL by stage.py)

NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIME_PATTERN = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?)?"
                r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?")


def lit(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def call(name: str, *args) -> exp.Expression:
    """A function call whose name sqlglot must print as written (no dialect translation)."""
    return exp.Anonymous(this=name, expressions=list(args))


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True),
                      table=exp.to_identifier(table, quoted=True) if table else None)


def num(value: float) -> exp.Expression:
    """A number literal typed DOUBLE, so no engine reads it as DECIMAL."""
    return exp.Cast(this=exp.Literal.number(repr(float(value))), to=exp.DataType.build("DOUBLE"))


def big(value: int) -> exp.Expression:
    return exp.Cast(this=exp.Literal.number(int(value)), to=exp.DataType.build("BIGINT"))


def paren(e: exp.Expression) -> exp.Expression:
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Paren, exp.Cast, exp.Null, exp.Boolean,
                               exp.Anonymous, exp.Case)) else exp.Paren(this=e)


def and_(*items) -> exp.Expression:
    items = [i for i in items if i is not None]
    out = items[0]
    for item in items[1:]:
        out = exp.And(this=paren(out), expression=paren(item))
    return out


def or_(a, b) -> exp.Expression:
    return exp.Or(this=paren(a), expression=paren(b))


def not_(a) -> exp.Expression:
    return exp.Not(this=paren(a))


def add(a, b) -> exp.Expression:
    return exp.Add(this=paren(a), expression=paren(b))


def sub(a, b) -> exp.Expression:
    return exp.Sub(this=paren(a), expression=paren(b))


def mul(a, b) -> exp.Expression:
    return exp.Mul(this=paren(a), expression=paren(b))


def div(a, b) -> exp.Expression:
    return exp.Div(this=paren(a), expression=paren(b), typed=False, safe=False)


def to_double(e) -> exp.Expression:
    return exp.Cast(this=e, to=exp.DataType.build("DOUBLE"))


def case(*whens, default=None) -> exp.Expression:
    if not whens:
        return default if default is not None else exp.Null()
    node = exp.Case()
    for cond, value in whens:
        node = node.when(cond, value, copy=False)
    if default is not None:
        node = node.else_(default, copy=False)
    return node


def holds(cond) -> exp.Expression:
    """TRUE when the condition is TRUE, FALSE when it is FALSE or unknown."""
    return case((cond, exp.true()), default=exp.false())


def compare(op: str, a, b) -> exp.Expression:
    cls = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
    return cls(this=paren(a), expression=paren(b))


def limit_expr(value, low, high) -> exp.Expression:
    """runtime `limit`: into [low, high]; either bound may be missing."""
    whens = []
    if low is not None:
        whens.append((exp.LT(this=paren(value), expression=num(low)), num(low)))
    if high is not None:
        whens.append((exp.GT(this=paren(value), expression=num(high)), num(high)))
    return case(*whens, default=value) if whens else value


def cap_expr(value, limit) -> exp.Expression:
    """`max N`: at most N in magnitude, sign kept."""
    if limit is None:
        return value
    return case((exp.GT(this=paren(value), expression=num(limit)), num(limit)),
                (exp.LT(this=paren(value), expression=num(-limit)), num(-limit)), default=value)


def greatest(items: list) -> exp.Expression:
    """The largest of nullable values, NULLs ignored (GREATEST's NULL handling differs by engine)."""
    out = items[0]
    for item in items[1:]:
        out = case((exp.Is(this=paren(out), expression=exp.null()), item),
                   (exp.Is(this=paren(item), expression=exp.null()), out),
                   (exp.GTE(this=paren(out), expression=paren(item)), out), default=item)
    return out


def concat_names(pairs: list) -> exp.Expression:
    """`a;b;c` of the names whose condition holds, in order ('' when none)."""
    if not pairs:
        return lit("")
    parts = [case((cond, lit(name + ";")), default=lit("")) for cond, name in pairs]
    joined = parts[0]
    for part in parts[1:]:
        joined = exp.DPipe(this=joined, expression=part, safe=True)
    return exp.Trim(this=joined, expression=lit(";"), position="TRAILING")


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def table(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def source_table(name: str) -> exp.Table:
    """A relation the user names, maybe qualified (`crm.leads`, `db.crm.leads`): each part quoted."""
    parts = [ident(p) for p in name.split(".")]
    return exp.Table(this=parts[-1], db=parts[-2] if len(parts) > 1 else None,
                     catalog=parts[-3] if len(parts) > 2 else None)


@attrs.define
class Layers:
    """A chain of CTEs, each `SELECT *, new columns FROM the previous one`."""

    ctes: list = attrs.field(factory=list)
    last: str | None = None

    def add(self, name: str, select: exp.Select) -> None:
        self.ctes.append((name, select))
        self.last = name

    def extend(self, name: str, columns: list) -> None:
        if not columns:
            return
        select = exp.select(exp.Star(), *[exp.alias_(e, exp.to_identifier(n, quoted=True)) for n, e in columns],
                            copy=False).from_(exp.to_table(exp.to_identifier(self.last, quoted=True)), copy=False)
        self.add(name, select)
