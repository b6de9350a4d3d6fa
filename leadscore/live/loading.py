"""`leadscore ingest`: lead and event files into a store, with the rejects and summary of INTERFACE.md §9.

Files are read by the batch's readers (`read_rows`), so formats, line
numbers and unparseable rows are as for `leadscore score`. Rows go to the
store in chunks, each chunk one transaction (`Store.write`). A lead row is
rejected when its id is missing or repeats an earlier row's of the same
file (the first is kept, as in a batch), or its `events` is not a list; an
event row for the reasons of §9, except that an event needs no lead row: it
makes its lead known (LIVE.md §2).
"""

from __future__ import annotations

import time

import attrs

from ..batch.acceptance import LeadAcceptance, inline_problem
from ..batch.io import BadRow, read_rows
from .store import Store

CHUNK = 5000


@attrs.define
class IngestSummary:
    leads_read: int = 0
    leads_stored: int = 0
    leads_rejected: int = 0
    events_read: int = 0
    events_accepted: int = 0
    events_duplicates: int = 0
    events_rejected: int = 0
    seconds: float = 0.0
    rejects_to: str | None = None

    def text(self) -> str:
        rejected = self.leads_rejected + self.events_rejected
        where = f" (written to {self.rejects_to})" if self.rejects_to and rejected else (
            " (counted only; --rejects PATH keeps them)" if rejected else "")
        return "\n".join([
            f"leads:  {self.leads_read} read, {self.leads_stored} stored, {self.leads_rejected} rejected",
            f"events: {self.events_read} read, {self.events_accepted} accepted, "
            f"{self.events_duplicates} duplicates, {self.events_rejected} rejected",
            f"rejects: {rejected}{where}",
            f"time: {self.seconds:.2f}s",
        ])


class Loader:
    def __init__(self, store: Store, rejects, *, id_column: str = "id", event_id_column: str = "id",
                 event_lead_column: str = "lead_id", delimiter: str | None = None, now=None):
        self.store = store
        self.rejects = rejects
        self.id_column = id_column
        self.event_id_column = event_id_column
        self.event_lead_column = event_lead_column
        self.delimiter = delimiter
        self.now = now
        self.summary = IngestSummary(rejects_to=getattr(rejects, "path", None))

    def run(self, leads_path: str | None, events_path: str | None) -> IngestSummary:
        started = time.perf_counter()
        with self.store.loading():
            if leads_path:
                self.leads(leads_path)
            if events_path:
                self.events(events_path)
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def leads(self, path: str) -> None:
        s, acceptance, chunk = self.summary, LeadAcceptance(id_column=self.id_column), []
        for item in read_rows(path, delimiter=self.delimiter):
            s.leads_read += 1
            if isinstance(item, BadRow):
                s.leads_rejected += 1
                self.rejects.add(item)
                continue
            lead_id, reason = acceptance.identify(item.data, item.line)
            reason = reason or inline_problem(item.data.get("events"))
            if reason:
                s.leads_rejected += 1
                self.rejects.reject(path, item.line, reason, item.data)
                continue
            acceptance.seen[lead_id] = item.line     # seen once stored: a rejected row's id may come again
            chunk.append((item.line, lead_id, item.data))
            if len(chunk) >= CHUNK:
                self.write_leads(path, chunk)
                chunk = []
        self.write_leads(path, chunk)

    def write_leads(self, path: str, chunk: list) -> None:
        if not chunk:
            return
        inline = [(line, event) for line, _id, data in chunk for event in data.get("events") or ()]
        report = self.store.write([(lead_id, data, False) for _line, lead_id, data in chunk], (), self.now,
                                  id_column=self.event_id_column)
        s = self.summary
        s.leads_stored += len(chunk)
        s.events_read += len(inline)
        self.count_events(report)
        for index, reason in report.rejected:
            line, event = inline[index]
            self.rejects.reject(path, line, "inline " + reason, event)

    def events(self, path: str) -> None:
        s, chunk = self.summary, []
        for item in read_rows(path, delimiter=self.delimiter):
            s.events_read += 1
            if isinstance(item, BadRow):
                s.events_rejected += 1
                self.rejects.add(item)
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK:
                self.write_events(path, chunk)
                chunk = []
        self.write_events(path, chunk)

    def write_events(self, path: str, chunk: list) -> None:
        if not chunk:
            return
        report = self.store.ingest_events([item.data for item in chunk], self.now, id_column=self.event_id_column,
                                          lead_column=self.event_lead_column)
        self.count_events(report)
        for index, reason in report.rejected:
            self.rejects.reject(path, chunk[index].line, reason, chunk[index].data)

    def count_events(self, report) -> None:
        s = self.summary
        s.events_accepted += report.accepted
        s.events_duplicates += report.duplicates
        s.events_rejected += len(report.rejected)
