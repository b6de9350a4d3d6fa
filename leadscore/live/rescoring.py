"""Scoring stored leads with the batch's own code, and which leads an ingest touches.

The live promise (LIVE.md §1) is that a stored lead scores exactly as the
same data given to `leadscore score` as JSON Lines. So the store never
scores by itself: it hands the raw rows it holds to the batch's own path
for leads held in memory (`batch.batch.score_leads`: the model's readers,
accounts built as the batch builds them), and writes each result as
`score` does (`ResultLines`, or the explained record through `JsonlWriter`).

The rows are the comparison files of §1: leads ordered by lead id (a lead
known only by its events is a row with only its id), events in the order the
store first accepted them. A set of leads scored together must hold every
lead of each account among them (`members`), so an account is the same as
in the whole store.
"""

from __future__ import annotations

from ..runtime import scoring
from ..batch.batch import Change, score_leads
from ..batch.io import JsonlWriter
from ..runtime.model import Model
from ..runtime.resultjson import ResultLines


class ScoringProblem(Exception):
    """The batch rejected a row the store holds: the store's checks and the batch's disagree (a bug)."""


class _Refuse:
    def reject(self, file, line, reason, row) -> None:
        raise ScoringProblem(f"{file}: row {line}: {reason}")

    def add(self, bad) -> None:
        raise ScoringProblem(f"{bad.file}: row {bad.line}: {bad.reason}")


def score_rows(model: Model, now: int, leads: list, events: list, keys: dict | None = None,
               change: Change | None = None) -> dict:
    """Lead id → ScoreResult for `leads` [(lead id, raw fields dict or None)], with `events`
    [(lead id, raw row)] (every event of those leads, in store order), scored as the batch
    scores them in lead id order (`score_leads`). `keys`, when given, gets each lead's
    account key as `account_key` gives it (None: none). With a `change`, leads it leaves as
    they were may be missing from the results."""
    found = {} if keys is not None else None
    results = score_leads(model, now, sorted(leads, key=_first), events, _Refuse(), found, change)
    if keys is not None:
        keys.update((lead_id, key_text(key)) for lead_id, key in found.items())
    return results


def _first(pair):
    return pair[0]


class LineWriter:
    """A result's line, exactly as `leadscore score` writes it (without the newline)."""

    def __init__(self, model: Model):
        self.lines = ResultLines(model.plan)

    def line(self, result, explain: bool = False) -> str:
        if explain:
            return JsonlWriter.text(result.to_dict(explain=True)).rstrip("\n")
        return self.lines.text(result)


def account_key(model: Model, lead_id: str, fields: dict | None, now: int) -> str | None:
    """The account a lead belongs to under `model` (its key as text), None without one.

    Only for a model whose key reads no events (`key_by_fields`)."""
    if not model.has_account:
        return None
    lead = model.read_lead({**(fields or {})}, lead_id)
    lead.events = []
    return key_text(scoring.account_key(model.plan, lead, now))


def key_text(key) -> str | None:
    """An account key as the store keeps it: equal keys give one text, as they make one account
    in a batch (its accounts are a dict of keys), so 0.0 and -0.0 are both "0.0"."""
    if key is None:
        return None
    if key.__class__ is float and key == 0:
        key = 0.0
    return repr(key)


def key_by_fields(model: Model) -> bool:
    """Can a lead's account be found from its fields alone? If not, every lead is scored together."""
    return not model.has_account or not model.plan.key_reads_events


def chunked(lead_ids: list, keys: dict, size: int) -> list:
    """`lead_ids` and their account mates (`keys`: every lead's account key, None for none) as
    lists of about `size` leads, each holding whole accounts, in the order of `lead_ids`."""
    members: dict = {}
    for lead_id, key in keys.items():
        if key is not None:
            members.setdefault(key, []).append(lead_id)
    chunks, chunk, done = [], [], set()
    for lead_id in lead_ids:
        key = keys.get(lead_id)
        if key is None:
            chunk.append(lead_id)
        elif key not in done:
            done.add(key)
            chunk += members[key]
        if len(chunk) >= size:
            chunks.append(sorted(chunk))
            chunk = []
    return chunks + ([sorted(chunk)] if chunk else [])
