"""`Model`: a compiled scorer with the API of INTERFACE.md §8.

It knows nothing of parsing: it is handed a plan (the compiled rules) and
the declarations it reads input by. It is immutable, so one instance can be
shared by many threads: every call builds its own per-lead state.
"""

from __future__ import annotations

import datetime as _dt
import time as _time
from typing import Callable, Iterable, Iterator

import attrs

from . import schema, scoring
from . import values as v
from .results import ScoreResult
from .schema import AFTER_NOW, REJECTED, UNDECLARED, EventReader, Lead, LeadReader, NaiveTime, sort_events
from .suggest import closest, did_you_mean


#: How many undeclared names a model keeps the `did you mean` of (`Model.hint`).
HINTS_KEPT = 1024


def decide_event(fate_of: Callable, row, now: int, counts: "EventCounts", warnings: list):
    """One event row decided by `fate_of` (`EventReader.fate`): counted in `counts` when ignored
    or rejected, its warnings (or why it was skipped) appended to `warnings`; the event when it
    is used (the caller counts it)."""
    try:
        fate, event, reason, found = fate_of(row, now)
    except NaiveTime as error:
        raise InputError(str(error)) from None
    if fate is REJECTED:
        counts.bad += 1
        warnings.append(f"event skipped: {reason}")
        return None
    warnings.extend(found)
    if fate is UNDECLARED:
        counts.undeclared += 1
    elif fate is AFTER_NOW:
        counts.after_now += 1
    else:
        return event
    return None


class InputError(ValueError):
    """An argument to the API that cannot be used (a naive `now`, for one)."""


def now_us(now) -> int:
    """`now` as µs: an aware datetime, ISO text (UTC without an offset), or None for the current time."""
    if now is None:
        return _time.time_ns() // 1000      # the clock in µs, as datetime.now(utc) gives it
    if isinstance(now, _dt.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise InputError("`now` must be timezone-aware (a naive datetime is ambiguous)")
        return v.datetime_to_us(now)
    if isinstance(now, str):
        parsed = v.parse_iso_time(now)
        if parsed is None:
            raise InputError(f"cannot read `now` {now!r} as an ISO-8601 time")
        return parsed
    raise InputError(f"`now` must be a datetime or ISO-8601 text, not {type(now).__name__}")


@attrs.define(slots=True)
class EventCounts:
    """What happened to the events given to one lead or one batch."""

    used: int = 0
    after_now: int = 0
    undeclared: int = 0
    bad: int = 0


@attrs.frozen
class Recipe:
    """How to make a model again, in another process: `make(*args)`.

    A model is pickled as its recipe (the loader and the model's source
    text), never as its compiled rules, which are functions made at load
    time; `leadscore.load` and `loads` give their models one.
    """

    make: Callable
    args: tuple


@attrs.frozen
class Model:
    name: str
    version: object
    plan: object = attrs.field(repr=False)
    fields: tuple = attrs.field(repr=False)
    events: tuple = attrs.field(repr=False)
    source: str | None = attrs.field(default=None, repr=False)
    recipe: Recipe | None = attrs.field(default=None, repr=False, eq=False)
    lead_reader: LeadReader = attrs.field(init=False, repr=False)
    event_reader: EventReader = attrs.field(init=False, repr=False)

    keys: frozenset = attrs.field(init=False, repr=False)
    hints: dict = attrs.field(init=False, repr=False, eq=False)   # `hint`'s answers

    def __attrs_post_init__(self):
        object.__setattr__(self, "lead_reader", LeadReader(self.fields))
        object.__setattr__(self, "event_reader", EventReader(self.events))
        object.__setattr__(self, "hints", {})
        object.__setattr__(self, "keys", frozenset([f.column for f in self.fields] + ["id", "events"]))

    def __reduce__(self):
        if self.recipe is None:
            raise TypeError("this model cannot be pickled: it was not loaded from its source text "
                            "(a `leadscore compile` module's MODEL, say); load it with leadscore.load")
        return self.recipe.make, self.recipe.args

    @property
    def has_account(self) -> bool:
        return self.plan.account_key is not None

    # ---- reading input -------------------------------------------------------------

    def read_lead(self, row: dict, lead_id=None, line: int | None = None) -> Lead:
        return self.lead_reader.read(lead_id, row, line)

    def read_events(self, rows: Iterable, now: int, warnings: list,
                    counts: EventCounts | None = None, odd: list | None = None) -> list:
        """Typed events of one lead, in canonical order; the rest counted and skipped.

        A row in the usual form is read by `EventReader.usual`, and a row of an undeclared
        type with a readable time is counted here too; every other row is decided by `EventReader.fate`. Rows not read as usual are
        appended to `odd` when given: only those can have a type the model does not declare.
        """
        counts = counts if counts is not None else EventCounts()
        lead_warnings, warnings = warnings, []
        events = []
        keep = events.append
        usual, read, declared = self.event_reader.usual, self.event_reader.fate, self.event_reader.readers
        for row in rows:
            event = usual(row, now, warnings)
            if event is not None:
                keep(event)
                continue
            if odd is not None:
                odd.append(row)
            kind = row.get("type") if row.__class__ is dict else None
            if kind.__class__ is str and kind and kind.strip() == kind and kind not in declared \
                    and (at := row.get("at")).__class__ is str and schema.iso_time(at) is not None:
                counts.undeclared += 1      # a type not declared, with a time: what `fate` calls UNDECLARED
                continue
            event = decide_event(read, row, now, counts, warnings)
            if event is not None:
                keep(event)
        counts.used += len(events)
        # sorted, so the order events are given in never shows (LANGUAGE.md §9)
        if warnings:
            lead_warnings.extend(sorted(warnings))
        return sort_events(events)

    # ---- scoring -------------------------------------------------------------------

    def score(self, lead: dict, events: Iterable = (), now=None, *, lead_id=None) -> ScoreResult:
        """Score one lead as an account of one (INTERFACE.md §8)."""
        at = _time.time_ns() // 1000 if now is None else now_us(now)      # now_us, a call saved
        fast = self.plan.lead_result
        if fast is not None and not events and lead.__class__ is dict and "events" not in lead:
            # A lead without events, by the generated `lead_result` (compiler/codegen.py): the
            # same result, its explanation worked out by `explained` only when asked for.
            if lead_id is None and (raw_id := lead.get("id")) is not None:
                lead_id = str(raw_id).strip() or None
            extra = () if self.keys.issuperset(lead) else self.undeclared(lead, [])
            lead = lead.copy()          # the explanation reads this copy, whatever the caller changes
            return fast(lead, at, lead_id, extra, (self.explained, lead, at, lead_id, extra))
        odd: list = []
        prepared = self.prepare(lead, events, at, lead_id, odd)
        # the rows read as usual have declared types: only the others can be undeclared
        prepared.warnings.extend(self.undeclared(lead, odd, inline=False))
        return self.score_prepared([prepared], at)[0]

    def explained(self, lead: dict, at: int, lead_id, extra) -> ScoreResult:
        """A lead without events by the full assembly: what a lazy result's explanation is read from."""
        prepared = self.prepare(lead, (), at, lead_id)
        prepared.warnings.extend(extra)
        return self.score_prepared([prepared], at)[0]

    def undeclared(self, lead: dict, events: list, inline: bool = True) -> list:
        """Warnings for a lead's keys and the event types that the model does not declare
        (among `events`, and unless `inline` is false, the lead's inline events).

        Only `score` gives them: a dict written for one call is likely to hold
        a typo, while the rows of an export (files, `score_many`) have other
        columns that are simply not read (INTERFACE.md §3).
        """
        given = lead.get("events") if inline else None
        rows = given + events if isinstance(given, list) else events
        if not rows:
            return self.unknown_keys(lead)
        # a type that is not text (a list, say: unhashable) is no name; its row was rejected
        types = {kind.strip() for row in rows if isinstance(row, dict) and isinstance(kind := row.get("type"), str)}
        return self.unknown_keys(lead) + self.unknown_event_types({t for t in types if t})

    def unknown_keys(self, lead: dict) -> list:
        if self.keys.issuperset(lead):      # the usual lead: every key declared (`keys` has id and events)
            return []
        return [f"unknown field key `{key}`" + (f" ({hint})" if (hint := self.hint(self.key_hint, str(key))) else "")
                for key in lead if key not in self.keys]

    def hint(self, find, name: str) -> str | None:
        """`find(name)`, a `did you mean` that compares `name` with every declared one, worked
        out once per model and name (the same undeclared event type is in every lead's
        events), for the first HINTS_KEPT names."""
        key = (find.__name__, name)
        if key in self.hints:
            return self.hints[key]
        found = find(name)
        if len(self.hints) < HINTS_KEPT:
            self.hints[key] = found
        return found

    def key_hint(self, key: str) -> str | None:
        """The key meant: a column's, or (a field read `from` another column) the field's name."""
        renamed = {f.name: f.column for f in self.fields if f.name != f.column}
        columns = {f.column for f in self.fields}
        if key not in renamed and (column := closest(key, columns)) is not None:
            return f"did you mean `{column}`?"
        name = key if key in renamed else closest(key, renamed)
        return f"field `{name}` reads the key `{renamed[name]}`" if name is not None else None

    def unknown_event_types(self, types: set) -> list:
        declared = self.event_reader.types
        return [f"event type `{kind}` is not declared (ignored"
                + (f"; {hint})" if (hint := self.hint(self.type_hint, kind)) else ")")
                for kind in sorted(types) if kind not in declared]

    def type_hint(self, kind: str) -> str | None:
        return did_you_mean(kind, self.event_reader.types)

    def prepare(self, lead: dict, events: Iterable, now: int, lead_id=None, odd: list | None = None) -> Lead:
        if not isinstance(lead, dict):
            raise InputError(f"a lead must be a dict, not {type(lead).__name__}")
        if lead_id is None:
            raw_id = lead.get("id")
            lead_id = None if raw_id is None else str(raw_id).strip() or None
        prepared = self.read_lead(lead, lead_id)
        inline = lead.get("events")
        rows = events or ()
        if isinstance(inline, list):
            rows = inline + list(rows)
        prepared.events = self.read_events(rows, now, prepared.warnings, odd=odd)
        return prepared

    def score_many(self, leads: Iterable[dict], events: Iterable = (), now=None, *,
                   id_column: str = "id", event_lead_column: str = "lead_id") -> Iterator[ScoreResult]:
        """Score many leads, grouping them into accounts; results in input order.

        `events` is one flat collection; each event names its lead in
        `event_lead_column`. Events for leads not given are skipped.
        """
        at = now_us(now)
        by_lead: dict[str, list] = {}
        for event in events or ():
            if isinstance(event, dict):
                owner = event.get(event_lead_column)
                if owner is not None:
                    by_lead.setdefault(str(owner).strip(), []).append(event)
        prepared = []
        for lead in leads:
            raw_id = lead.get(id_column) if isinstance(lead, dict) else None
            lead_id = None if raw_id is None else str(raw_id).strip() or None
            prepared.append(self.prepare(lead, by_lead.get(lead_id, ()), at, lead_id))
        yield from self.score_prepared(prepared, at)

    def score_prepared(self, leads: list, now: int) -> list:
        """Score prepared leads together: those with the same account key form an account."""
        plan = self.plan
        if plan.account_key is None:
            return [scoring.score(plan, lead, now) for lead in leads]
        keys = [scoring.account_key(plan, lead, now) for lead in leads]
        members: dict = {}
        for lead, key in zip(leads, keys):
            if key is not None:
                members.setdefault(key, []).append(lead)
        accounts = {key: scoring.Account(key, group, sort_events(e for m in group for e in m.events))
                    for key, group in members.items()}
        return [scoring.score(plan, lead, now, accounts.get(key) if key is not None else None)
                for lead, key in zip(leads, keys)]
