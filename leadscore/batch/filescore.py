"""`score_file`: the batch of `leadscore score`, for apps.

The same readers, checks, rejects and counts as the command (it runs the
same `Batch`), with the results, the rejected rows and the summary handed
back as objects instead of written out.
"""

from __future__ import annotations

import json
import os

import attrs

from .batch import Batch, Summary
from .io import BadRow, json_default
from ..runtime.model import InputError, Model, now_us


@attrs.frozen
class ScoredFile:
    """What `score_file` made of its files.

    `results`: a `ScoreResult` per scored lead, in input order. `rejects`:
    the rejected rows, each the dict `{"file", "line", "reason", "row"}` that
    `leadscore score` writes to its rejects file. `summary`: the counts the
    command prints (leads read, scored, rejected; events read, used,
    ignored, rejected; warnings).
    """

    results: list
    rejects: list
    summary: Summary


class RejectsList:
    """A rejects writer (the interface `Batch` writes to) that keeps the records in a list."""

    path = None

    def __init__(self):
        self.records: list[dict] = []

    def add(self, bad: BadRow) -> None:
        record = {"file": bad.file, "line": bad.line, "reason": bad.reason, "row": bad.row}
        # as the file holds it: values JSON cannot hold (dates, decimals) as text
        self.records.append(json.loads(json.dumps(record, ensure_ascii=False, default=json_default)))

    def reject(self, file: str, line: int, reason: str, row: object) -> None:
        self.add(BadRow(file, line, reason, row))

    @property
    def count(self) -> int:
        return len(self.records)


def score_file(model: Model, leads: str | os.PathLike, events: str | os.PathLike | None = None,
               now=None, *, id_column: str = "id", event_lead_column: str = "lead_id",
               strict: bool = False, delimiter: str | None = None,
               line_ids: bool = False) -> ScoredFile:
    """Score a leads file (and an events file) as `leadscore score` does (INTERFACE.md §3, §4, §9).

    `now` as in `Model.score`; the options are the command's (`--id-column`,
    `--event-lead-column`, `--strict`, `--delimiter`, `--line-ids`). Raises
    `ReadError` when a file cannot be read at all (the command's exit 1).
    """
    if not isinstance(model, Model):
        raise InputError(f"score_file needs a Model (from leadscore.load), not {type(model).__name__}")
    rejects = RejectsList()
    batch = Batch(model, now_us(now), rejects, id_column=id_column, event_lead_column=event_lead_column,
                  strict=strict, delimiter=delimiter, line_ids=line_ids)
    events_path = None if events is None else os.fspath(events)
    results = list(batch.run(os.fspath(leads), events_path))
    return ScoredFile(results, rejects.records, batch.summary)
