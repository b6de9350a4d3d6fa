"""Which leads a sweep re-scores: those whose result can change with time alone (LIVE.md §3).

A result moves with time only through what reads the clock: an event's age
(windows, decay, `now - last …`), which only a lead with events (or an
account mate with events) has; and `now` or `days_since` over a field
(`days_since(last_login)`), which moves only a lead that has a value in one
of those fields. So the model is read once for the fields its
clock reads, and the sweep takes the leads with an event or a value in one
of them, each with its account. A clock read tied to neither (`now >
2027-01-01`), or an account key or `where` that reads the clock (a lead may
change accounts with time), makes every lead move.
"""

from __future__ import annotations

import functools

import attrs

from ..batch.io.readers import decode_json


@attrs.frozen
class Clock:
    every_lead: bool                # every lead can move with time
    key_moves: bool                 # an account key or `where` reads the clock
    columns: tuple                  # ((column, convert), ...) of the fields the clock reads

    def moves(self, has_events: bool, fields: str | None) -> bool:
        """Can this lead's result change with time alone (`fields`: its raw fields as JSON)?"""
        if self.every_lead or has_events:
            return True
        if not self.columns or fields is None:
            return False
        row = decode_json(fields)
        for column, convert in self.columns:
            raw = row.get(column)
            if raw is not None and convert(raw) is not None:     # a value, or one that reads as BAD
                return True
        return False


@functools.lru_cache(maxsize=8)
def clock_of(stored) -> Clock:
    """What a stored model's clock reads (its text analyzed once per process)."""
    from ..dsl import analyze
    checked = analyze(stored.text, stored.filename, stored.base_dir).model
    every, names = _clock_reads(checked)
    account = checked.account
    key_moves = account is not None and (_reads_clock(account.key) or _reads_clock(account.where))
    plan = stored.compiled.lead_reader.plan
    columns = tuple((column, convert) for name, column, convert, *_ in plan if name in names)
    return Clock(every or key_moves, key_moves, columns)


def _clock_reads(model) -> tuple:
    """(whether a clock read is tied to no field or event, the field names clock reads read)."""
    from ..dsl import ir
    every, names = False, set()
    for scope in _clock_scopes(model, ir):
        if ir.reads_events(scope):
            continue                     # an event's age: only leads with events move
        fields = {node.name for node in ir.walk(scope) if isinstance(node, ir.FieldRef)}
        if not fields:
            every = True
        names |= fields
    return every, frozenset(names)


def _clock_scopes(node, ir, seen=None) -> list:
    """The smallest expressions holding each clock read: a `days_since(…)`, or the expression
    that has `now` as an operand."""
    seen = set() if seen is None else seen
    if id(node) in seen or node is None or isinstance(node, (str, int, float, bool)):
        return []
    seen.add(id(node))
    parts = _parts(node)
    if isinstance(node, ir.DaysSince) or any(isinstance(part, ir.NowRef) for part in parts):
        return [node]
    if isinstance(node, ir.NowRef):
        return [node]                    # `now` alone (its own scope): tied to nothing
    return [scope for part in parts for scope in _clock_scopes(part, ir, seen)]


def _reads_clock(node) -> bool:
    from ..dsl import ir
    return node is not None and bool(_clock_scopes(node, ir))


def _parts(node) -> list:
    if attrs.has(type(node)):
        return [getattr(node, f.name) for f in attrs.fields(type(node))]
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, (list, tuple, set, frozenset)):
        return list(node)
    return []
