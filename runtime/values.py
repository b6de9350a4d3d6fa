"""What values mean: unknown, equal text, numbers, booleans, dates, times.

This module is the one place where the language's value semantics live
(LANGUAGE.md §3, §5, §10). The checker uses it to pre-normalize constants,
the runtime to convert input, and every backend calls or inlines the same
helpers, so "equal text" or "unknown" means one thing everywhere.

Representation after conversion:
- text: the stripped text; comparisons use `fold(text)` (stripped, case-folded)
- number: float
- bool: bool
- date: int microseconds since the epoch at 00:00 UTC of that day
- time: int microseconds since the epoch (UTC)
- duration: int microseconds
- unknown: None
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_DATE = _dt.date(1970, 1, 1)

#: A value that could not be converted to its declared type (unknown, with a warning).
BAD = type("Bad", (), {"__repr__": lambda self: "BAD", "__bool__": lambda self: False})()

NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: The words a bool is read from (LANGUAGE.md §3), in any case, spaces around ignored: the
#: one list the runtime, the SQL staging and the backtest's outcomes read by.
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "y", "1"), ("false", "no", "n", "0")
_TRUE, _FALSE = frozenset(TRUE_WORDS), frozenset(FALSE_WORDS)


def fold(text: str) -> str:
    """The form text is compared in: stripped and case-folded."""
    return text.strip().casefold()


def is_blank(raw: object) -> bool:
    """Absent, None, empty or whitespace-only text, or NaN: unknown without a warning."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, float) and math.isnan(raw)


def to_text(raw: object):
    if isinstance(raw, str):
        text = raw.strip()
        return text or None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        # a number beyond a double, or not finite, is not read as text either (docs/cli.md, bad data)
        value = to_number(raw)
        return value if value is None or value is BAD else number_text(value)
    return BAD


def to_number(raw: object):
    if isinstance(raw, bool):
        return BAD
    if isinstance(raw, (int, float)):
        try:
            value = float(raw)
        except OverflowError:       # an integer beyond a double, as `1e400` is
            return BAD
        return None if math.isnan(value) else (value if math.isfinite(value) else BAD)
    if isinstance(raw, str):
        return text_number(raw.strip())
    return BAD


def text_number(text: str):
    """Stripped decimal text → its number; BAD when it is not decimal or lies beyond
    a double (`1e400`, 400 digits), as JSON's `1e400` does: a non-finite value is
    never a number, in any format (docs/cli.md, bad data)."""
    if NUMBER_PATTERN.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    return BAD


def to_bool(raw: object):
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return BAD


def to_date(raw: object):
    if isinstance(raw, _dt.datetime):
        return BAD
    if isinstance(raw, _dt.date):
        return (raw - _EPOCH_DATE).days * US_PER_DAY
    if isinstance(raw, str) and _DATE.fullmatch(raw.strip()):
        try:
            day = _dt.date.fromisoformat(raw.strip())
        except ValueError:
            return BAD
        return (day - _EPOCH_DATE).days * US_PER_DAY
    return BAD


def to_time(raw: object):
    """ISO-8601 text (UTC when it has no offset) or an aware datetime.

    A naive `datetime` object is BAD: only text may leave out the offset.
    """
    if isinstance(raw, _dt.datetime):
        if raw.tzinfo is None or raw.utcoffset() is None:
            return BAD
        return datetime_to_us(raw)
    if isinstance(raw, _dt.date):
        return (raw - _EPOCH_DATE).days * US_PER_DAY
    if isinstance(raw, str):
        parsed = parse_iso_time(raw)
        return BAD if parsed is None else parsed
    return BAD


def parse_iso_time(text: str) -> int | None:
    text = text.strip()
    if not text or not text[:4].isdigit():
        return None
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return datetime_to_us(moment)


_EPOCH_ORDINAL = _EPOCH_DATE.toordinal()


def datetime_to_us(moment: _dt.datetime) -> int:
    """µs since the epoch; a naive datetime is taken as UTC. Exact integer arithmetic."""
    us = (((moment.toordinal() - _EPOCH_ORDINAL) * 86400 + moment.hour * 3600 + moment.minute * 60
           + moment.second) * US_PER_SECOND + moment.microsecond)
    offset = moment.utcoffset()
    if offset:
        us -= (offset.days * 86400 + offset.seconds) * US_PER_SECOND + offset.microseconds
    return us


def us_to_datetime(us: int) -> _dt.datetime:
    return EPOCH + _dt.timedelta(microseconds=us)


@functools.lru_cache(maxsize=256)
def format_time(us: int) -> str:
    """ISO-8601 text in UTC; remembered, since a batch writes the same `now` in every result."""
    return us_to_datetime(us).isoformat()


def format_date(us: int) -> str:
    return us_to_datetime(us).date().isoformat()


DURATION_UNITS = (("y", 365 * US_PER_DAY), ("mo", 30 * US_PER_DAY), ("w", 7 * US_PER_DAY),
                  ("d", US_PER_DAY), ("h", 3600 * US_PER_SECOND))


def format_duration(us: int) -> str:
    """A duration as people write it: whole years, else whole days, else hours (`1y`, `30d`, `12h`).

    Months and weeks are left out on purpose: `30d` would read back as `1mo`
    and `14d` as `2w`, which is not what rule authors write.
    """
    for unit, size in DURATION_UNITS:
        if unit in ("mo", "w"):
            continue
        if us % size == 0:
            return f"{us // size}{unit}"
    return f"{number_text(us / (3600 * US_PER_SECOND))}h"


CONVERTERS = {
    "text": to_text,
    "number": to_number,
    "bool": to_bool,
    "date": to_date,
    "time": to_time,
}


def number_text(value: float) -> str:
    """A number as a person reads it: `15`, `2.5`, not `15.0`."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def rounded(value: float) -> str:
    """Numbers shown to a person are rounded to 2 decimals (LANGUAGE.md §9)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def sentinel_matches(raw: object, texts: frozenset, numbers: frozenset) -> bool:
    """Is this raw input value one of a field's declared `unknown` values?"""
    if isinstance(raw, str):
        if texts and fold(raw) in texts:
            return True
        if numbers:
            number = to_number(raw)
            return number is not BAD and number in numbers
        return False
    if numbers and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw) in numbers
    return False


def domain_of(folded_text: str | None) -> str | None:
    """`domain(email)`: the text after the last `@`, lower-cased; unknown without `@`."""
    if folded_text is None:
        return None
    at = folded_text.rfind("@")
    if at < 0:
        return None
    return folded_text[at + 1:].strip().lower() or None
