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
from typing import NamedTuple

import attrs

from . import values as v

TEXT = "text"
_UNSEEN = object()


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
            cls = raw.__class__
            if cls is str:
                stripped = raw.strip()
                if not stripped:
                    return None
                return text_number(stripped)
            if cls is float:            # what `convert` gives: NaN unknown, ±inf BAD
                if raw - raw == 0.0:
                    return raw
                return None if raw != raw else v.BAD
            if cls is int:              # not bool, whose class is bool
                try:
                    return float(raw)
                except OverflowError:   # beyond a double, as `to_number` says
                    return v.BAD
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
        # each field's raw texts seen → their typed value (for text, the pair folded, stripped),
        # BAD for one that does not convert: most columns repeat a few values (a country, a
        # job level, a date), and a column of distinct ones stops being added to at REMEMBERED
        self.plan = tuple((f.name, f.column, converter(f.type, f.sentinel_texts, f.sentinel_numbers),
                           f.type == TEXT, f, {}) for f in fields)

    def read(self, lead_id: str, row: dict, line: int | None = None) -> Lead:
        values, stripped, warnings = {}, {}, []
        get, bad, unseen = row.get, v.BAD, _UNSEEN
        for name, column, convert_, is_text, field, known in self.plan:
            raw = get(column)
            if raw.__class__ is str:
                value = known.get(raw, unseen)
                if value is unseen:
                    value = convert_(raw)
                    if is_text and value is not None and value is not bad:
                        value = (value.casefold(), value)
                    if len(known) < REMEMBERED and len(raw) <= REMEMBERED_SIZE:
                        known[raw] = value
            else:
                value = convert_(raw) if raw is not None else None
                if is_text and value is not None and value is not bad:
                    value = (value.casefold(), value)
            if value is bad:
                warnings.append(f"field `{name}`: cannot read {describe_raw(raw)!r} as {field.type}")
                value = None
            elif is_text and value is not None:
                value, stripped[name] = value
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
        #: type → `(row, at, warnings) → Event`, the reader `usual` and `Model.read_events` use
        self.readers = {e.name: event_typer(e) for e in events}

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
        """The event of a row in the usual form — a dict, a declared type as declared, an ISO-8601
        time as text without surrounding blanks, not after `now` — which `fate` calls USED (its
        attributes' warnings appended to `warnings`); None: any other row, for `fate`.
        The same answer in a fraction of the calls, for the rows nearly every lead has
        (`Model.read_events` reads every row through it first)."""
        if row.__class__ is not dict:
            return None
        kind, at = row.get("type"), row.get("at")
        if kind.__class__ is not str or at.__class__ is not str or (read := self.readers.get(kind)) is None:
            return None
        at = iso_time(at)
        if at is None or at > now:
            return None
        return read(row, at, warnings)

    @staticmethod
    def typed(kind: str, at: int, plan: tuple, row: dict, warnings: list | None) -> Event:
        """The generic reading of a row's attributes, which `fate` uses: `event_typer` gives
        the same event (tests/test_event_usual.py compares them on dirty rows)."""
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


#: Raw attribute values (texts, and integers a double holds exactly) each event type's
#: reader remembers the typed value of, per attribute, and the longest text remembered:
#: most columns repeat a few values (a URL, a campaign, a duration in seconds), and a column
#: of distinct values stops being added to at the limit.
REMEMBERED = 1 << 12
REMEMBERED_SIZE = 256
_EXACT = 1 << 53


#: The attribute dicts of an event with none to hold (no attributes, no stripped text): one
#: dict shared by every such event a per-type reader makes. An event's `values` and
#: `stripped` are read and never written (by backends, explanations, the batches), so the
#: readers share them between events of the same raw values (`event_typer`).
_NONE: dict = {}
_new = object.__new__


def event_typer(event_type: EventType):
    """`(row, at, warnings) → Event` for one declared type: what `EventReader.typed` gives for
    the row, its attributes' warnings appended to `warnings`.

    Built once per model, and cheap per event (issue 18, part (b) of
    benchmarks/run.py): the event is made without a call to `Event.__init__`;
    a type without attributes shares one empty dict; a type of one attribute,
    the commonest kind, remembers each raw text or small integer's two dicts
    (`values`, `stripped`), so its events of the same raw value share them;
    a type of more attributes gets a reader written for it (`_typer_source`:
    no loop over the attributes, each one's converter and remembered values
    bound by name), each attribute's typed value remembered by its raw value.
    The readers' memory is bounded (REMEMBERED per attribute).
    """
    kind = event_type.name
    attributes = event_type.attributes
    if not attributes:
        def bare(row, at, warnings):
            event = _new(Event)
            event.type, event.at, event.values, event.stripped, event._content = kind, at, _NONE, _NONE, None
            return event
        bare.remembered = {}
        return bare
    if len(attributes) == 1:
        return _one_typer(kind, attributes[0])
    plan = tuple(_attribute_reader(kind, a) for a in attributes)
    namespace = {"Event": Event, "new": _new, "NONE": _NONE, "bad": v.BAD, "unseen": _UNSEEN, "kind": kind}
    for k, (known, value_of) in enumerate(plan):
        namespace[f"known{k}"], namespace[f"value_of{k}"] = known, value_of
    exec(compile(_typer_source(attributes), f"<leadscore event reader {kind!r}>", "exec"), namespace)
    read = namespace["read"]
    read.remembered = {a.name: known for a, (known, _value_of) in zip(attributes, plan)}    # for tests
    return read


def _typer_source(attributes: tuple) -> str:
    """The source of `read(row, at, warnings) → Event` for a type of these attributes (two or
    more): each attribute's value `a{k}` as `_attribute_reader` gives it (the pair folded,
    stripped for text), then the event's dicts in declaration order."""
    lines = ["def read(row, at, warnings):", "    get = row.get"]
    for k, a in enumerate(attributes):
        lines += [f"    raw = get({a.column!r})",
                  "    cls = raw.__class__",
                  "    if cls is str or cls is int:",
                  f"        a{k} = known{k}.get(raw, unseen)",
                  f"        if a{k} is unseen or a{k} is bad:",
                  f"            a{k} = value_of{k}(raw, at, warnings)",
                  "    elif raw is None:",
                  f"        a{k} = None",
                  "    else:",
                  f"        a{k} = value_of{k}(raw, at, warnings)"]
    texts = [k for k, a in enumerate(attributes) if a.type == TEXT]
    values = "{" + ", ".join(f"{a.name!r}: a{k}" for k, a in enumerate(attributes)) + "}"
    lines += ["    event = new(Event)", "    event.type, event.at, event._content = kind, at, None"]
    if not texts:
        lines += [f"    event.values, event.stripped = {values}, NONE"]
    elif len(texts) == 1:
        (k,) = texts
        name = attributes[k].name
        lines += [f"    if a{k} is None:",
                  f"        event.values, event.stripped = {values}, NONE",
                  "    else:",
                  f"        a{k}, s{k} = a{k}",
                  f"        event.values, event.stripped = {values}, {{{name!r}: s{k}}}"]
    else:
        lines += ["    stripped = {}"]
        for k in texts:
            lines += [f"    if a{k} is not None:",
                      f"        a{k}, stripped[{attributes[k].name!r}] = a{k}"]
        lines += [f"    event.values, event.stripped = {values}, stripped"]
    lines += ["    return event"]
    return "\n".join(lines) + "\n"


def _one_typer(kind: str, attribute: Attribute):
    """The reader of a type of one attribute: the two dicts of each raw text or small integer
    remembered (as `_attribute_reader` remembers a value), shared by its events."""
    name, column = attribute.name, attribute.column
    known, value_of = _attribute_reader(kind, attribute)
    pairs: dict = {}          # raw → (values, stripped), or BAD: `value_of` then warns
    unknown = ({name: None}, _NONE)
    bad, limit = v.BAD, REMEMBERED

    def first(raw, at, warnings):
        """The dicts of a raw value not remembered as a pair (unseen, or one that does not convert)."""
        value = value_of(raw, at, warnings)
        if value is None:
            found = unknown
        elif value.__class__ is tuple:
            found = ({name: value[0]}, {name: value[1]})
        else:
            found = ({name: value}, _NONE)
        if len(pairs) < limit and _rememberable(raw):
            pairs[raw] = bad if known.get(raw) is bad else found
        return found

    def one(row, at, warnings):
        raw = row.get(column)
        cls = raw.__class__
        if cls is str or cls is int:
            found = pairs.get(raw)
            if found is None or found is bad:
                found = first(raw, at, warnings)
        elif raw is None:
            found = unknown
        else:
            found = first(raw, at, warnings)
        event = _new(Event)
        event.type, event.at, event._content = kind, at, None
        event.values, event.stripped = found
        return event
    one.remembered = {name: pairs}
    return one


def _attribute_reader(kind: str, attribute: Attribute) -> tuple:
    """(remembered, value_of) for one attribute: `value_of(raw, at, warnings)` (raw not None) is
    its typed value, the pair (folded, stripped) for text, None for unknown (a warning
    appended when the raw value does not convert); `remembered` maps the raw texts and small
    integers seen to their values, BAD for one that does not convert (then `value_of` gives
    the warning). Only `str` and `int` are remembered: as dict keys, `True`, `1` and `1.0`
    are one key, and so are `0.0` and `-0.0`."""
    convert, known = converter(attribute.type), {}
    is_text, bad, unseen, limit = attribute.type == TEXT, v.BAD, _UNSEEN, REMEMBERED

    def value_of(raw, at, warnings):
        cls = raw.__class__
        value = known.get(raw, unseen) if cls is str or cls is int else unseen
        if value is unseen:
            value = convert(raw)
            if is_text and value is not None and value is not bad:
                value = (value.casefold(), value)
            if len(known) < limit and _rememberable(raw):
                known[raw] = value
        if value is bad:
            _bad_attribute(warnings, kind, at, attribute, raw)
            return None
        return value
    return known, value_of


def _rememberable(raw) -> bool:
    """Is a raw value one the readers remember the typed value of: a text of at most
    REMEMBERED_SIZE characters, or an integer a double holds exactly?"""
    cls = raw.__class__
    return len(raw) <= REMEMBERED_SIZE if cls is str else cls is int and -_EXACT < raw < _EXACT


def _bad_attribute(warnings: list, kind: str, at: int, attribute: Attribute, raw) -> None:
    warnings.append(f"event `{kind}` at {v.format_time(at)}: attribute `{attribute.name}`: "
                    f"cannot read {describe_raw(raw)!r} as {attribute.type}")


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
        at = iso_time(raw)
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


_fromisoformat = _dt.datetime.fromisoformat
_NAIVE_EPOCH = _dt.datetime(1970, 1, 1)


def iso_time(text: str) -> int | None:
    """µs of ISO-8601 text that `datetime.fromisoformat` reads, UTC when it has no offset; else None.

    What `values.parse_iso_time` gives for text without surrounding blanks
    (which it strips, and this leaves to it): the same parse, then the exact
    `timedelta` since the epoch (one subtraction in C, the tz offset applied
    there) instead of the datetime's parts added up in Python. Every event
    row's time is read here first.
    """
    try:
        moment = _fromisoformat(text)
    except ValueError:
        return None
    since = moment - (_NAIVE_EPOCH if moment.tzinfo is None else v.EPOCH)
    return (since.days * 86400 + since.seconds) * v.US_PER_SECOND + since.microseconds


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


_at, _type = operator.attrgetter("at"), operator.attrgetter("type")


def sort_events(events) -> list:
    """Events in the canonical order of LANGUAGE.md §10: by time, then type, then content.

    Sorted by time alone; type is compared only among events of the same time,
    which are rare, and content only among those of the same type too. Where
    any times tie is found without a loop in Python: the positions whose next
    event has the same time; a tie of two events, the usual one, is one test.
    """
    ordered = sorted(events, key=_at)
    times = list(map(_at, ordered))
    ties = list(itertools.compress(itertools.count(), map(operator.eq, times, itertools.islice(times, 1, None))))
    k, count = 0, len(ties)
    while k < count:
        start = end = ties[k]
        k += 1
        while k < count and ties[k] == end + 1:
            end = ties[k]
            k += 1
        if start == end:
            # two events of one time, the usual tie: swapped only when the second comes first
            first, second = ordered[start], ordered[start + 1]
            if first.type > second.type or (first.type == second.type and first.order > second.order):
                ordered[start], ordered[start + 1] = second, first
        else:
            ordered[start:end + 2] = _same_time(ordered[start:end + 2])
    return ordered


def _same_time(events: list) -> list:
    """Events of one time in canonical order: by type, then content (each sort stable)."""
    events.sort(key=_type)
    found = []
    for _kind, same in itertools.groupby(events, _type):
        same = list(same)
        found += same if len(same) == 1 else sorted(same, key=_content)
    return found


def _content(event: Event) -> tuple:
    return event.order
