"""Decimal text → DOUBLE PRECISION on PostgreSQL, as Python's `float` reads it, without ever raising.

PostgreSQL has no TRY_CAST, and its CAST to a double (strtod, correctly
rounded as Python's `float` is) raises NumericValueOutOfRange for a text
beyond the double range (`1e999`) and for one that rounds to zero
(`1e-400`): one such value would stop the whole query. Python reads the
first as not a number (`runtime.values.text_number`: unknown, with a
warning) and the second as 0.0 (`-1e-400`: -0.0). So the text is looked at
before it is cast (docs/sql.md, "Input conversion"):

- a text of at most 100 characters with an exponent of at most two digits
  (nearly every value) cannot be out of range, and is cast as it is;
- else its absolute value is written as 0.S × 10^E, S its digits from the
  first nonzero one: E is the exponent, plus the digits of S, less the
  digits after the point;
- that value, as NUMERIC, is compared exactly with the two boundaries:
  2^1024 - 2^970 (half an ulp above the largest double; from there on it
  rounds to infinity: NULL) and 2^-1075 (half the smallest subnormal; up to
  it, it rounds to zero: ±0, the text's sign kept as Python keeps it; no
  digit other than 0, `0.e5`, is 0 too). E is clamped to [-330, 320]
  first (beyond either end the comparisons come out the same; an exponent
  of over 15 digits counts as ±10^15, beyond any text PostgreSQL can hold),
  so NUMERIC always reads it; and more than 800 digits of S are cut to 800
  and a final 1 when any digit cut is not 0, which compares as the whole
  does, since neither boundary has more than 752 digits;
- anything else is in range and is cast as it is: strtod reads it without
  an error, correctly rounded.

The staging sends only stripped text that matched NUMBER_PATTERN here.
Everything is one expression, without a subquery, so that a query scanning
in parallel still can. tests/test_sql_postgres_numbers.py checks the result
against `runtime.values` on a real server.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from sqlglot import exp

from .build import call, case, data_type, lit

#: From here up a decimal rounds to infinity (half an ulp above the largest double, a tie that
#: rounds to even: up).
OVERFLOW = 2 ** 1024 - 2 ** 970
#: Up to here a positive decimal rounds to zero (half the smallest subnormal, a tie: to even, 0):
#: 5^1075 × 10^-1075, written so (a NUMERIC literal; PostgreSQL 15 reads its exponent).
UNDERFLOW = f"{5 ** 1075}e-1075"
with localcontext() as _context:
    _context.prec = 2000
    assert Decimal(UNDERFLOW) == Decimal(2) ** -1075
#: E is clamped into [LOWEST_E, HIGHEST_E]: 0.S × 10^E is below 2^-1075 for any E under -323, and
#: at least 2^1024 for any E over 309.
LOWEST_E, HIGHEST_E = -330, 320
#: Digits of an exponent from which on it is taken as ±10^15 (more than any text's digits).
HUGE_EXPONENT = 15
#: Digits of S compared (the boundaries have at most 752).
KEPT = 800
#: The plain CAST reads text in range whatever its digits when it has at most this many characters
#: and an exponent of at most two digits (a nonzero value between 1e-199 and 1e199). That is
#: tested by lengths and positions, not by a regex: `[0-9.]{1,100}` made a million values take 10 s.
SAFE_LENGTH = 100


def _n(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _length(e: exp.Expression) -> exp.Expression:
    return call("LENGTH", e)


def _concat(*parts) -> exp.Expression:
    node = parts[0]
    for part in parts[1:]:
        node = exp.DPipe(this=node, expression=part, safe=True)
    return exp.Paren(this=node)


def _double(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=data_type("DOUBLE PRECISION"))


def _safe(t: exp.Expression) -> exp.Expression:
    """Is the text short, with no exponent or one of at most two digits (`e5`, `E-07`)?"""
    at = exp.Greatest(this=call("STRPOS", t.copy(), lit("e")), expressions=[call("STRPOS", t.copy(), lit("E"))])
    after = exp.Sub(this=_length(t.copy()), expression=at)
    sign = exp.In(this=call("SUBSTR", t.copy(), exp.Add(this=at.copy(), expression=_n(1)), _n(1)),
                  expressions=[lit("+"), lit("-")])
    short = exp.Or(this=exp.LTE(this=after, expression=_n(2)),
                   expression=exp.And(this=exp.EQ(this=after.copy(), expression=_n(3)), expression=sign))
    return exp.And(this=exp.LTE(this=_length(t.copy()), expression=_n(SAFE_LENGTH)),
                   expression=exp.Paren(this=exp.Or(this=exp.EQ(this=at.copy(), expression=_n(0)),
                                                    expression=exp.Paren(this=short))))


def to_double(text: exp.Expression) -> exp.Expression:
    """Stripped text of NUMBER_PATTERN's shape → DOUBLE PRECISION as Python's `float` gives it; NULL
    where that is not finite. Never raises."""
    t = text
    unsigned = call("LOWER", call("LTRIM", t.copy(), lit("+-")))
    mantissa = call("SPLIT_PART", unsigned, lit("e"), _n(1))
    exponent = call("SPLIT_PART", unsigned.copy(), lit("e"), _n(2))               # '', '5', '-0007'
    significant = call("LTRIM", call("REPLACE", mantissa, lit("."), lit("")), lit("0"))
    after_point = call("SPLIT_PART", mantissa.copy(), lit("."), _n(2))
    minus = exp.EQ(this=call("LEFT", t.copy(), _n(1)), expression=lit("-"))
    zero = case((minus, _double(lit("-0"))), default=_double(lit("0")))
    huge = exp.GT(this=_length(call("LTRIM", call("LTRIM", exponent.copy(), lit("+-")), lit("0"))),
                  expression=_n(HUGE_EXPONENT))
    negative = exp.EQ(this=call("LEFT", exponent.copy(), _n(1)), expression=lit("-"))
    power = case((huge, case((negative, _n(-10 ** HUGE_EXPONENT)), default=_n(10 ** HUGE_EXPONENT))),
                 default=exp.Cast(this=exp.Coalesce(this=exp.Nullif(this=exponent.copy(), expression=lit("")),
                                                    expressions=[lit("0")]), to=data_type("BIGINT")))
    e = exp.Sub(this=exp.Add(this=power, expression=_length(significant.copy())),
                expression=_length(after_point))
    clamped = exp.Least(this=exp.Greatest(this=e, expressions=[_n(LOWEST_E)]), expressions=[_n(HIGHEST_E)])
    cut = case((exp.EQ(this=call("RTRIM", call("SUBSTR", significant.copy(), _n(KEPT + 1)), lit("0")),
                       expression=lit("")), lit("")), default=lit("1"))
    digits = _concat(call("LEFT", significant.copy(), _n(KEPT)), cut)
    magnitude = exp.Cast(this=_concat(lit("0."), digits, lit("e"), exp.Cast(this=clamped, to=data_type("TEXT"))),
                         to=data_type("NUMERIC"))
    return case((_safe(t), _double(t.copy())),
                (exp.GTE(this=magnitude, expression=_n(OVERFLOW)), exp.Null()),
                (exp.LTE(this=magnitude.copy(), expression=exp.Literal.number(UNDERFLOW)), zero),
                default=_double(t.copy()))
