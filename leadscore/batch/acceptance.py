"""Whether a row is accepted by its ids and values (INTERFACE.md §3, §9).

One decision for the Python batch (batch.py) and the engine batch
(leadscore/engines/batch.py): a lead row is rejected for its id (missing,
not text or a whole number, a duplicate), for inline `events` that are not
a list, or, under `--strict`, for a value that does not convert; an event
row is rejected for the id of its lead. What becomes of an event that has
its lead is the runtime's decision (`EventReader.fate`, runtime/schema.py).
The live store's ingest (leadscore/live/loading.py) rejects a lead row by
the same id and inline-events rules (`identify`, `inline_problem`), but
has no model to read it with and takes an id as seen only once it stores
the row.
"""

from __future__ import annotations

from typing import NamedTuple

from ..runtime.schema import Lead, strict_rejection
from .io import read_id


def id_of(value) -> tuple:
    """(the id, None), or (None, why `value` is not an id): INTERFACE.md §3 (`read_id`, with
    a fast path for the usual text id)."""
    if value.__class__ is str and (text := value.strip()):
        return text, None
    return read_id(value)


def inline_problem(inline) -> str | None:
    """Why a lead row's inline `events` are refused (they are given, not as a list), or None."""
    return None if inline is None or isinstance(inline, list) else "lead: `events` must be a list of events"


def event_owner(value, column: str) -> tuple:
    """(the lead id an event row names in `column`, None), or (None, why the row is rejected)."""
    lead_id, problem = id_of(value)
    return (lead_id, None) if problem is None else (
        None, f"event: {problem.replace('id', 'lead id', 1)} (column `{column}`)")


class Verdict(NamedTuple):
    lead: Lead | None        # the accepted lead, read by the model
    lead_id: str | None      # its id when it is known and first seen (a rejected lead's events go with it)
    reason: str | None       # why it is rejected


class LeadAcceptance:
    """Decides, row by row through one leads file, which leads are scored (`decide`)."""

    def __init__(self, model=None, id_column: str = "id", strict: bool = False, line_ids: bool = False):
        self.model, self.id_column, self.strict, self.line_ids = model, id_column, strict, line_ids
        self.seen: dict[str, int] = {}       # lead id → the line it was first on

    def identify(self, data: dict, line: int, first: int | None = None) -> tuple:
        """(the row's lead id, None), or (None, why its id rejects it: missing, not an id, a
        duplicate). The id is not taken as seen: the caller records it in `seen`."""
        if self.line_ids:
            lead_id = str(line)
        else:
            lead_id, problem = id_of(data.get(self.id_column))
            if problem:
                return None, f"lead: {problem} (column `{self.id_column}`)"
        first = self.seen.get(lead_id) if first is None else first
        if first is not None:
            return None, f"lead: duplicate id `{lead_id}` (first on line {first})"
        return lead_id, None

    def decide(self, data: dict, line: int, inline=None, first: int | None = None) -> Verdict:
        """The verdict on one lead row. `inline`: its inline `events`, if it carries them;
        `first`: the line of the row this one duplicates, when found elsewhere (SQL)."""
        lead_id, reason = self.identify(data, line, first)
        if reason is not None:
            return Verdict(None, None, reason)
        self.seen[lead_id] = line
        reason = inline_problem(inline)
        if reason is not None:
            return Verdict(None, lead_id, reason)
        lead = self.model.read_lead(data, lead_id, line)
        reason = strict_rejection(lead.warnings, self.strict)
        if reason is not None:
            return Verdict(None, lead_id, "lead: " + reason)
        return Verdict(lead, lead_id, None)
