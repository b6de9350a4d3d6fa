"""Events of a batch, converted once and held compactly until their lead is read.

Events arrive in any order, and a lead is scored as soon as its row is read,
so every event must be kept until then. Raw rows would cost about a
kilobyte each; this store keeps each event in parallel typed arrays instead
(INTERFACE.md §4, docs/batch.md):

    at       8 bytes   µs since the epoch
    kind     1 byte    declared type, or UNDECLARED / AFTER_NOW
    line     4 bytes   where the row starts, for a late reject
    previous 4 bytes   the lead's previous event: each lead's events form a chain
    first    4 bytes   where its attribute values start in `values`
    values   8 bytes   per declared attribute, pointing at interned values

so about 30 bytes an event plus its attributes: under 500 MB for ten
million events. Equal attribute values (a URL, a campaign name) are stored
once. Only a lead's last event is found by id (`heads`); the rest follow
the chain.
"""

from __future__ import annotations

from array import array

from . import values as v
from .schema import TEXT, Event, EventProblem, converter, describe_raw, time_of

UNDECLARED = -1
AFTER_NOW = -2


class EventStore:
    def __init__(self, event_types: tuple, now: int):
        self.now = now
        self.names = [e.name for e in event_types]
        self.codes = {e.name: k for k, e in enumerate(event_types)}
        pools: dict[str, dict] = {}
        self.plans = [tuple((a.name, a.column, converter(a.type), a.type == TEXT, a.type,
                             pools.setdefault(a.type, {}).setdefault)
                            for a in e.attributes) for e in event_types]
        self.at = array("q")
        self.kind = array("b")
        self.line = array("i")
        self.previous = array("i")
        self.first = array("i")
        self.values: list = []
        self.heads: dict[str, int] = {}
        self.warnings: dict[int, list] = {}

    def __len__(self) -> int:
        return len(self.at)

    def add(self, lead_id: str, row: dict, line: int) -> list | None:
        """Convert and keep one event row. Raises EventProblem for a row to reject.

        Returns the attribute warnings of the row (None when it converted cleanly),
        so a strict run can reject it instead; the caller then calls `drop_last`.
        """
        kind_text = row.get("type")
        if kind_text.__class__ is not str or not (kind_text := kind_text.strip()):
            raise EventProblem("missing event `type`")
        at = time_of(row.get("at"))
        code = self.codes.get(kind_text)
        warnings = None
        first = len(self.values)
        if code is None:
            kind = UNDECLARED
        elif at > self.now:
            kind = AFTER_NOW
        else:
            kind = code
            get = row.get
            for name, column, convert, is_text, type_, intern in self.plans[code]:
                raw = get(column)
                value = convert(raw) if raw is not None else None
                if value is v.BAD:
                    warnings = warnings or []
                    warnings.append(f"event `{kind_text}` at {v.format_time(at)}: attribute `{name}`: "
                                    f"cannot read {describe_raw(raw)!r} as {type_}")
                    value = None
                if is_text and value is not None:
                    value = (value.casefold(), value)
                # equal values are kept once; zeros are not pooled, so 0.0 and -0.0 stay apart
                self.values.append(intern(value, value) if value else value)
        index = len(self.at)
        self.at.append(at)
        self.kind.append(kind)
        self.line.append(line)
        self.first.append(first)
        self.previous.append(self.heads.get(lead_id, -1))
        self.heads[lead_id] = index
        if warnings:
            self.warnings[index] = warnings
        return warnings

    def drop_last(self, lead_id: str) -> None:
        """Forget the event just added (a strict run rejected it)."""
        index = len(self.at) - 1
        previous = self.previous[index]
        if previous < 0:
            del self.heads[lead_id]
        else:
            self.heads[lead_id] = previous
        del self.values[self.first[index]:]
        for column in (self.at, self.kind, self.line, self.first, self.previous):
            column.pop()
        self.warnings.pop(index, None)

    def chain(self, lead_id: str) -> list:
        """The store positions of a lead's events, in file order."""
        positions = []
        index = self.heads.get(lead_id, -1)
        previous = self.previous
        while index >= 0:
            positions.append(index)
            index = previous[index]
        positions.reverse()
        return positions

    def peek(self, lead_id: str) -> list:
        """A lead's usable events, leaving them held: nothing is counted or removed."""
        return self.take(lead_id, None, None)

    def take(self, lead_id: str, counts, warnings: list | None) -> list:
        """A lead's usable events (typed, file order); ignored ones are counted in `counts`.

        The lead's events leave the index, so what remains at the end belongs
        to no scored lead. With `counts` None they stay (see `peek`).
        """
        positions = self.chain(lead_id)
        keep = counts is None
        if not keep:
            self.heads.pop(lead_id, None)
        events = []
        kinds, ats, firsts, values = self.kind, self.at, self.first, self.values
        for index in positions:
            kind = kinds[index]
            if kind < 0:
                if not keep:
                    if kind == UNDECLARED:
                        counts.events_undeclared += 1
                    else:
                        counts.events_after_now += 1
                continue
            folded, stripped = {}, {}
            position = firsts[index]
            for offset, (name, _column, _convert, is_text, _type, _pool) in enumerate(self.plans[kind]):
                value = values[position + offset]
                if is_text and value is not None:
                    folded[name], stripped[name] = value
                else:
                    folded[name] = value
            if not keep and index in self.warnings:
                warnings.extend(self.warnings.pop(index))
            events.append(Event(self.names[kind], ats[index], folded, stripped))
        if not keep:
            counts.events_used += len(events)
        return events

    def leftover(self) -> dict[int, str]:
        """Line → lead id of every event still held: their leads were never scored."""
        found = {}
        for lead_id in list(self.heads):
            for index in self.chain(lead_id):
                found[self.line[index]] = lead_id
        return found

    def release(self, lead_id: str) -> list[int]:
        """Forget a lead's events (its row was rejected); return their lines."""
        lines = [self.line[index] for index in self.chain(lead_id)]
        self.heads.pop(lead_id, None)
        return lines
