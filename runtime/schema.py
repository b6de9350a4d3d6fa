"""Declared fields and events, and turning raw input into typed values.

A lead is read into a `Lead` and an event into an `Event`: every value
converted to its declared type once (LANGUAGE.md §3, §10), text kept both
case-folded (for comparison) and stripped (for `matches`), unknown as None.
Backends only ever see these.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import math
import operator
import re
from typing import NamedTuple

import attrs

from . import values as v

TEXT = "text"
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


@attrs.frozen
class Field:
    name: str
    type: str
    column: str                      # the input column it is read from
    sentinel_texts: frozenset = frozenset()    # folded
    sentinel_numbers: frozenset = frozenset()  # floats


@attrs.frozen
class Attribute:
    name: str
    type: str
    column: str


@attrs.frozen
class EventType:
    name: str
    attributes: tuple = ()

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


class Lead:
    """One lead's typed values. `values[name]` is folded text for text fields."""

    __slots__ = ("id", "values", "stripped", "raw", "warnings", "events", "line")

    def __init__(self, id, values, stripped, raw, warnings, events=(), line=None):
        self.id = id
        self.values = values
        self.stripped = stripped
        self.raw = raw
        self.warnings = warnings
        self.events = events
        self.line = line


class Event:
    """One event: its type, time (µs since the epoch, UTC) and typed attributes."""

    __slots__ = ("type", "at", "values", "stripped", "_content")

    def __init__(self, type, at, values, stripped):
        self.type = type
        self.at = at
        self.values = values
        self.stripped = stripped
        self._content = None

    @property
    def order(self) -> tuple:
        """The canonical sort key: time, then type, then typed content."""
        if self._content is None:
            self._content = content_key(self.values)
        return (self.at, self.type, self._content)

    def __repr__(self) -> str:
        return f"Event({self.type!r}, {v.format_time(self.at)}, {self.values!r})"


def convert(raw, type_: str, sentinel_texts=frozenset(), sentinel_numbers=frozenset()):
    """A raw input value → its typed value, None (unknown) or `values.BAD`."""
    if v.is_blank(raw):
        return None
    if (sentinel_texts or sentinel_numbers) and v.sentinel_matches(raw, sentinel_texts, sentinel_numbers):
        return None
    return v.CONVERTERS[type_](raw)


def converter(type_: str, sentinel_texts=frozenset(), sentinel_numbers=frozenset()):
    """`convert` for one declared type, with fast paths for text input (what CSV gives)."""
    def general(raw):
        return convert(raw, type_, sentinel_texts, sentinel_numbers)

    if sentinel_numbers or (sentinel_texts and type_ != TEXT):
        return general
    if type_ == TEXT:
        texts = sentinel_texts

        def text(raw):
            if raw.__class__ is str:
                stripped = raw.strip()
                if not stripped or (texts and stripped.casefold() in texts):
                    return None
                return stripped
            return general(raw)
        return text
    if type_ == "number":
        text_number = v.text_number

        def number(raw):
            if raw.__class__ is str:
                stripped = raw.strip()
                if not stripped:
                    return None
                return text_number(stripped)
            return general(raw)
        return number
    return general


def field_value(raw, field: Field):
    """A field's typed value (text stripped, not folded), or None: unknown or unconvertible.

    The warning-free form of `LeadReader.read` for one field, for callers
    that want only a score.
    """
    value = convert(raw, field.type, field.sentinel_texts, field.sentinel_numbers)
    return None if value is v.BAD else value


def describe_raw(raw) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class LeadReader:
    """Reads raw lead rows (dicts) for one model's fields."""

    def __init__(self, fields: tuple):
        self.fields = fields
        self.plan = tuple((f.name, f.column, converter(f.type, f.sentinel_texts, f.sentinel_numbers),
                           f.type == TEXT, f) for f in fields)

    def read(self, lead_id: str, row: dict, line: int | None = None) -> Lead:
        values, stripped, warnings = {}, {}, []
        get = row.get
        for name, column, convert_, is_text, field in self.plan:
            raw = get(column)
            value = convert_(raw) if raw is not None else None
            if value is v.BAD:
                warnings.append(f"field `{name}`: cannot read {describe_raw(raw)!r} as {field.type}")
                value = None
            if is_text and value is not None:
                stripped[name] = value
                value = value.casefold()
            values[name] = value
        return Lead(lead_id, values, stripped, row, warnings, line=line)


class EventProblem(Exception):
    """An event row that cannot be used: no type, or no readable time."""


class EventReader:
    """Reads raw event rows for one model's declared event types."""

    def __init__(self, events: tuple):
        self.types = {e.name: e for e in events}
        self.plans = {e.name: tuple((a.name, a.column, converter(a.type), a.type == TEXT, a)
                                    for a in e.attributes) for e in events}

    def read(self, row: dict, warnings: list | None = None) -> Event | None:
        """The typed event; None for an undeclared type. Raises EventProblem for a bad row.

        An attribute that does not convert is unknown, and a warning is appended
        to `warnings`.
        """
        kind, at = event_head(row)
        plan = self.plans.get(kind)
        return None if plan is None else self.typed(kind, at, plan, row, warnings)

    def fate(self, row, now: int, strict: bool = False) -> "Fate":
        """What becomes of one event row (INTERFACE.md §4, §9): used, ignored, or rejected with
        its reason (`--strict` also rejects a used event whose attributes did not all convert).

        The one decision `Model`, the Python batch and the engine batch share
        (the event store makes it by `event_fate` and `strict_rejection`, for
        the rows it keeps compactly). Raises NaiveTime, which is the caller's
        error, not the row's.
        """
        if not isinstance(row, dict):
            return Fate(REJECTED, None, f"an event must be an object, not {type(row).__name__}", [])
        try:
            kind, at = event_head(row)
        except EventProblem as error:
            return Fate(REJECTED, None, str(error), [])
        fate = event_fate(kind in self.plans, at, now)
        if fate is UNDECLARED:
            return Fate(fate, None, None, [])
        warnings: list = []
        event = self.typed(kind, at, self.plans[kind], row, warnings)
        if fate is AFTER_NOW:
            # typed all the same: `Model.score` warns of its attributes (the batches only count it)
            return Fate(fate, event, None, warnings)
        reason = strict_rejection(warnings, strict)
        if reason is not None:
            return Fate(REJECTED, None, reason, [])
        return Fate(USED, event, None, warnings)

    def usual(self, row, now: int, warnings: list) -> Event | None:
        """The event of a row in the usual form — a dict, a declared type as declared, a time
        `YYYY-MM-DDTHH:MM:SS` (`Z` or no offset) not after `now` — which `fate` calls USED
        (its attributes' warnings appended to `warnings`); None: any other row, for `fate`.
        The same answer in a fraction of the calls, for the rows nearly every lead has."""
        if row.__class__ is not dict:
            return None
        kind, at = row.get("type"), row.get("at")
        if kind.__class__ is not str or at.__class__ is not str or (plan := self.plans.get(kind)) is None:
            return None
        at = _plain_utc_time(at)
        if at is None or at > now:
            return None
        return self.typed(kind, at, plan, row, warnings)

    @staticmethod
    def typed(kind: str, at: int, plan: tuple, row: dict, warnings: list | None) -> Event:
        values, stripped = {}, {}
        get = row.get
        for name, column, convert_, is_text, attribute in plan:
            raw = get(column)
            value = convert_(raw) if raw is not None else None
            if value is v.BAD:
                if warnings is not None:
                    warnings.append(f"event `{kind}` at {v.format_time(at)}: attribute "
                                    f"`{name}`: cannot read {describe_raw(raw)!r} as {attribute.type}")
                value = None
            if is_text and value is not None:
                stripped[name] = value
                value = value.casefold()
            values[name] = value
        return Event(kind, at, values, stripped)


#: What becomes of an event row: used by its lead's rules, ignored and counted (a type the
#: model does not declare, a time after now), or rejected with a reason (INTERFACE.md §9).
USED, UNDECLARED, AFTER_NOW, REJECTED = "used", "undeclared", "after_now", "rejected"


class Fate(NamedTuple):
    fate: str                        # USED, UNDECLARED, AFTER_NOW or REJECTED
    event: Event | None              # the typed event, when used or after now
    reason: str | None               # why it is rejected
    warnings: list                   # the typed event's attributes that did not convert


def event_head(row: dict) -> tuple:
    """(type, time in µs) of an event row: what every row needs, whatever its type.
    Raises EventProblem when it lacks either."""
    kind = row.get("type")
    if kind.__class__ is not str or not (kind := kind.strip()):
        raise EventProblem("missing event `type`")
    return kind, time_of(row.get("at"))


def event_fate(declared: bool, at: int, now: int) -> str:
    """USED, UNDECLARED or AFTER_NOW: the fate of an event that has a type and a time."""
    if not declared:
        return UNDECLARED
    return AFTER_NOW if at > now else USED


def strict_rejection(warnings, strict: bool) -> str | None:
    """Why `--strict` rejects a row whose values did not all convert (its warnings), or None."""
    return "; ".join(warnings) if warnings and strict else None


def time_of(raw) -> int:
    """An event's `at` in µs. A naive datetime object is an error, as in INTERFACE.md §8."""
    if raw.__class__ is str:
        at = _plain_utc_time(raw)
        if at is None:
            at = v.parse_iso_time(raw)
        if at is not None:
            return at
    if v.is_blank(raw):
        raise EventProblem("missing event time `at`")
    if hasattr(raw, "tzinfo") and hasattr(raw, "hour") and raw.tzinfo is None:
        raise NaiveTime("an event time given as a datetime must be timezone-aware")
    at = v.to_time(raw)
    if at is v.BAD:
        raise EventProblem(f"cannot read event time `at` {describe_raw(raw)!r} as an ISO-8601 time")
    return at


_DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_days: dict = {}      # "YYYY-MM-DD" → seconds from the epoch to 00:00 UTC that day, None if not a date
_DAYS_LIMIT = 1 << 16
_HOURS_MINUTES = {f"{h:02d}:{m:02d}": (h * 60 + m) * 60 for h in range(24) for m in range(60)}
_SECONDS = {f"{s:02d}": s for s in range(60)}
_UNSEEN = object()


def _plain_utc_time(text: str) -> int | None:
    """µs for the usual export form `YYYY-MM-DDTHH:MM:SS`, with `Z` or no offset (UTC); else None.

    The same value `values.parse_iso_time` gives, looked up instead of parsed:
    the days seen so far are remembered, and every valid `HH:MM` and `SS` is
    known in advance, so ten million events are not each parsed by
    `datetime`. Any other form, and any text that is not a valid time, is
    left to `parse_iso_time`.
    """
    size = len(text)
    if not (size == 19 or size == 20 and text[19] == "Z") or text[10] != "T" or text[16] != ":":
        return None
    clock = _HOURS_MINUTES.get(text[11:16])
    second = _SECONDS.get(text[17:19])
    if clock is None or second is None:
        return None
    day = _days.get(text[:10], _UNSEEN)
    if day is _UNSEEN:
        day = _day_seconds(text[:10])
    return None if day is None else (day + clock + second) * v.US_PER_SECOND


def _day_seconds(text: str) -> int | None:
    day = None
    if _DAY_TEXT(text):
        try:
            day = (_dt.date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL) * 86400
        except ValueError:
            pass
    if len(_days) < _DAYS_LIMIT:
        _days[text] = day
    return day


class NaiveTime(ValueError):
    """A naive datetime where an aware one is required."""


def content_key(values: dict) -> str:
    """A total order on events with the same time: their typed content."""
    return repr(sorted((k, _sortable(x)) for k, x in values.items()))


def _sortable(value):
    if value is None:
        return (0, "")
    if isinstance(value, float) and math.isnan(value):
        return (1, "nan")
    return (2, repr(value))


_time_and_type = operator.attrgetter("at", "type")


def sort_events(events) -> list:
    """Events in the canonical order of LANGUAGE.md §10: by time, then type, then content.

    Content is compared only where time and type tie, which is rare; whether
    any do is found without a loop in Python.
    """
    ordered = sorted(events, key=_time_and_type)
    keys = list(map(_time_and_type, ordered))
    if not any(map(operator.eq, keys, itertools.islice(keys, 1, None))):
        return ordered
    start = 0
    for k in range(1, len(ordered) + 1):
        if k < len(ordered) and keys[k] == keys[start]:
            continue
        if k - start > 1:
            ordered[start:k] = sorted(ordered[start:k], key=_content)
        start = k
    return ordered


def _content(event: Event) -> tuple:
    return event.order
