"""ISO-8601 text → µs since the epoch by SQL arithmetic, as Python's `datetime.fromisoformat` reads it.

For an engine without TRY_CAST (PostgreSQL): its CAST fails the whole query
on a date outside the calendar (`2026-02-30`, `2026-13-01`, `0000-01-01`)
and reads other shapes differently from Python (`…T24:00` is the next
midnight there, `2026-11-19+05` an offset where Python reads 05:00). So the
text's parts are taken out by regex, checked against the calendar and the
clock as Python checks them, and added up; text Python refuses is NULL.
Nothing here can raise on any text. The staging sends only text of
TIME_PATTERN's (or DATE_PATTERN's) shape here; `tests/test_sql_postgres.py`
checks the result against `runtime.values` on a real server.
"""

from __future__ import annotations

from sqlglot import exp

from .build import and_, big, call, case, data_type, lit, paren

US_PER_SECOND = 1_000_000

_DIGITS = {"year": "[0-9]{4}", "month": "[0-9]{2}", "day": "[0-9]{2}", "hour": "[0-9]{2}",
           "minute": "[0-9]{2}", "second": "[0-9]{2}", "fraction": "[0-9]{1,6}", "sign": "[+-]",
           "offset_hour": "[0-9]{2}", "offset_minute": "[0-9]{2}"}


def shape(capture: str | None = None) -> str:
    """The whole text as Python reads it, anchored; with `capture`, only that part in a group.

    After the date comes `T` or a space and a time, with an optional `Z` or
    offset; or a sign, which Python takes as the separator before an hour
    and minute (`2026-11-19-05:30` is 05:30, no offset). A bare `Z` and a
    lower-case `z` are refused, as Python refuses them. The minute's colon is
    optional only for that signed form: TIME_PATTERN, checked before, has
    already required it after a `T`.
    """
    p = {name: f"({body})" if name == capture else body for name, body in _DIGITS.items()}
    offset = f"(?:Z|{p['sign']}{p['offset_hour']}(?::?{p['offset_minute']})?)"
    clock = f"{p['hour']}(?::?{p['minute']}(?::{p['second']}(?:\\.{p['fraction']})?)?)?"
    return f"^{p['year']}-{p['month']}-{p['day']}(?:[T +-]{clock}{offset}?)?$"


def _part(text: exp.Expression, name: str, zero: bool = True) -> exp.Expression:
    """One part of the text as an INT (what `make_date` takes; the sums are BIGINT, by their
    constants): 0 when absent (with `zero`), NULL when the text has no such shape."""
    found = call("SUBSTRING", text.copy(), lit(shape(name)))
    if name == "fraction":                      # `.5` is 500000 µs
        found = call("RPAD", found, exp.Literal.number(6), lit("0"))
    value = exp.Cast(this=found, to=data_type("INT"))
    return exp.Coalesce(this=value, expressions=[big(0)]) if zero else value


def _at_most(value: exp.Expression, high: int) -> exp.Expression:
    return exp.LTE(this=paren(value), expression=big(high))


def _days_in_month(year: exp.Expression, month: exp.Expression) -> exp.Expression:
    def divides(n):
        return exp.EQ(this=exp.Mod(this=paren(year.copy()), expression=big(n)), expression=big(0))
    leap = exp.Or(this=paren(and_(divides(4), exp.Not(this=paren(divides(100))))), expression=paren(divides(400)))
    return case((exp.EQ(this=month.copy(), expression=big(2)), case((leap, big(29)), default=big(28))),
                (exp.In(this=month.copy(), expressions=[big(m) for m in (4, 6, 9, 11)]), big(30)),
                default=big(31))


def valid(text: exp.Expression) -> exp.Expression:
    """Does Python read this text as a time: its shape, a day of the calendar, a time of the clock,
    an offset under a day?"""
    year, month, day = (_part(text, name, zero=False) for name in ("year", "month", "day"))
    offset = exp.Add(this=exp.Mul(this=_part(text, "offset_hour"), expression=big(60)),
                     expression=_part(text, "offset_minute"))
    return and_(exp.RegexpLike(this=text.copy(), expression=lit(shape())),
                exp.GTE(this=year, expression=big(1)),
                exp.Between(this=month, low=big(1), high=big(12)),
                exp.Between(this=day, low=big(1), high=_days_in_month(year.copy(), month.copy())),
                _at_most(_part(text, "hour"), 23), _at_most(_part(text, "minute"), 59),
                _at_most(_part(text, "second"), 59), _at_most(offset, 24 * 60 - 1))


def time_us(text: exp.Expression) -> exp.Expression:
    """µs since 1970-01-01 UTC of ISO text, read as Python reads it (no offset: UTC); NULL when
    Python refuses it. `make_date` is only reached for a valid day, so it never raises."""
    year, month, day = (_part(text, name, zero=False) for name in ("year", "month", "day"))
    days = exp.Sub(this=call("make_date", year, month, day), expression=exp.Cast(
        this=lit("1970-01-01"), to=data_type("DATE")))
    seconds = exp.Add(this=exp.Mul(this=paren(exp.Add(
        this=exp.Mul(this=_part(text, "hour"), expression=big(60)), expression=_part(text, "minute"))),
        expression=big(60)), expression=_part(text, "second"))
    minus = case((exp.EQ(this=call("SUBSTRING", text.copy(), lit(shape("sign"))), expression=lit("-")), big(-1)),
                 default=big(1))
    offset = exp.Mul(this=minus, expression=paren(exp.Add(
        this=exp.Mul(this=_part(text, "offset_hour"), expression=big(60)), expression=_part(text, "offset_minute"))))
    local = exp.Add(this=exp.Mul(this=paren(exp.Add(this=exp.Mul(this=paren(days), expression=big(86_400)),
                                                     expression=seconds)), expression=big(US_PER_SECOND)),
                    expression=_part(text, "fraction"))
    value = exp.Sub(this=local, expression=exp.Mul(this=paren(offset), expression=big(60 * US_PER_SECOND)))
    return case((valid(text), value))
