"""Scoring files: every input row ends scored, ignored-and-counted, or rejected.

INTERFACE.md §9. Events are read first, converted and held compactly by
lead id (`eventstore.py`); then leads are read, checked, given their events
and scored in input order. Events still held at the end belong to no scored
lead; they, and the events of rejected leads, are rejected in one more
pass over the events file (only their line numbers are kept until then).

A model with an account scope needs every lead of an account before it can
score any of them, so its leads are all read first and held compactly
(`HeldLeads`); then each is scored in input order, its account built from
what is held when it is scored and let go after (see `score_held`).
Without an account scope, each lead is scored and written as soon as it
is read. `write_forked` holds every lead and scores the held leads in
several processes (`score --jobs`, workers.py).
"""

from __future__ import annotations

import contextlib
import gc
import time
from array import array
from functools import partial
from typing import Iterator

import attrs

from . import workers
from .acceptance import LeadAcceptance, event_owner
from .eventstore import EventStore, HeldLeads
from .io import BadRow, ReadError, Row, detect_format, read_rows
from ..runtime.model import Model
from ..runtime.resultjson import ResultLines
from ..runtime.schema import AFTER_NOW, REJECTED, UNDECLARED, EventProblem, Lead, sort_events, strict_rejection
from ..runtime.scoring import Account, AccountPart, account_key, account_part
from ..runtime.scoring import score as score_lead
from ..runtime.values import format_time


@attrs.define
class Summary:
    leads_read: int = 0
    leads_scored: int = 0
    leads_rejected: int = 0
    events_read: int = 0
    events_used: int = 0
    events_after_now: int = 0
    events_undeclared: int = 0
    events_rejected: int = 0
    warnings: int = 0
    seconds: float = 0.0
    rejects_to: str | None = None
    now: str | None = None           # the evaluation time, ISO-8601 (INTERFACE.md §1: every output records it)

    @property
    def events_ignored(self) -> int:
        return self.events_after_now + self.events_undeclared

    def text(self, hint: bool = True) -> str:
        """What happened, for a person: no events line when no event was read, one plain
        rejects line. `hint`: the command takes `--rejects PATH` (say so when rejects were
        only counted)."""
        lines = [f"leads:  {self.leads_read} read, {self.leads_scored} scored, {self.leads_rejected} rejected"]
        if self.events_read:
            lines.append(f"events: {self.events_read} read, {self.events_used} used, {self.events_ignored} ignored "
                         f"({self.events_after_now} after now, {self.events_undeclared} of undeclared types), "
                         f"{self.events_rejected} rejected")
        lines += [f"warnings: {self.warnings}", f"rejects: {self.rejects_text(hint)}",
                  f"time: {self.seconds:.2f}s"]
        return "\n".join(lines + ([f"now: {self.now}"] if self.now else []))

    def rejects_text(self, hint: bool) -> str:
        count = self.leads_rejected + self.events_rejected
        if self.rejects_to:
            return f"{count} (written to {self.rejects_to})"
        if not count:
            return "0"
        return f"{count} (counted only; --rejects PATH keeps them)" if hint else f"{count} (counted only)"


@attrs.frozen
class RawEvent:
    file: str
    line: int
    data: dict


class Batch:
    """One run over a leads file (and optionally an events file)."""

    def __init__(self, model: Model, now: int, rejects, *, id_column: str = "id",
                 event_lead_column: str = "lead_id", strict: bool = False,
                 delimiter: str | None = None, line_ids: bool = False, stdin=None,
                 progress=None, keep_raw: bool = True, sources: dict | None = None,
                 deferred: bool | None = None):
        self.model = model
        self.now = now
        self.rejects = rejects
        self.id_column = id_column
        self.event_lead_column = event_lead_column
        self.strict = strict
        self.delimiter = delimiter
        self.line_ids = line_ids
        self.stdin = stdin
        self.summary = Summary(rejects_to=getattr(rejects, "path", None), now=format_time(now))
        self._inline_events = True
        self.events_path: str | None = None
        self.late_rejects: dict[int, str] = {}
        self.held_rows: dict[int, dict] = {}
        self.progress = progress or _no_progress
        self.keep_raw = keep_raw
        # Are file events left in the store until a lead is scored? An account model's leads are
        # all held first (`hold`); None: as the model needs. Inline events are sorted in only then.
        self.deferred = model.has_account if deferred is None else deferred
        # rows by name, read instead of files, as if from JSON Lines (the live store's leads and events)
        self.sources = sources or {}

    def read(self, path: str):
        """The rows of `path`: a named source given to the batch, else the file (or `-`)."""
        if path in self.sources:
            return iter(self.sources[path])
        return read_rows(path, delimiter=self.delimiter, stdin=self.stdin)

    def reject(self, file: str, line: int, reason: str, row) -> None:
        self.rejects.reject(file, line, reason, row)

    # ---- events --------------------------------------------------------------------

    def index_events(self, path: str) -> EventStore:
        """Read every event row: reject the unusable ones now, keep the rest by lead id."""
        s = self.summary
        store = EventStore(self.model.events, self.now)
        self.events_path = path
        keep_rows = path == "-"          # standard input cannot be read twice
        tick = self.progress("events", path=path)
        ticking = tick is not _nothing
        column, add, strict = self.event_lead_column, store.add, self.strict
        read = 0                         # counted here, added to the summary at the end
        try:
            for item in self.read(path):
                read += 1
                if ticking:
                    tick(item.line)
                if item.__class__ is BadRow:
                    s.events_rejected += 1
                    self.rejects.add(item)
                    continue
                line, data = item
                owner = data.get(column)
                # the usual lead id, text with something in it, needs no more checks
                if owner.__class__ is not str or not (lead_id := owner.strip()):
                    lead_id, problem = event_owner(owner, column)
                    if problem:
                        s.events_rejected += 1
                        self.reject(path, line, problem, data)
                        continue
                try:
                    warnings = add(lead_id, data, line)
                except EventProblem as error:
                    s.events_rejected += 1
                    self.reject(path, line, f"event: {error}", data)
                    continue
                if warnings is not None and (reason := strict_rejection(warnings, strict)) is not None:
                    store.drop_last(lead_id)
                    s.events_rejected += 1
                    self.reject(path, line, f"event: {reason}", data)
                    continue
                if keep_rows:
                    self.held_rows[line] = data
        finally:
            s.events_read += read
        return store

    def reject_later(self, lines, reason: str) -> None:
        """Reject these event lines in the final pass, when their rows are read again."""
        for line in lines:
            self.late_rejects[line] = reason

    def reject_late_events(self) -> None:
        if not self.late_rejects:
            return
        path, late = self.events_path, self.late_rejects
        s = self.summary
        if path == "-":
            rows = ((line, self.held_rows.get(line)) for line in sorted(late))
        else:
            rows = ((item.line, item.data) for item in self.read(path)
                    if not isinstance(item, BadRow) and item.line in late)
        for line, data in rows:
            s.events_rejected += 1
            self.reject(path, line, late[line], data)

    def convert_events(self, raw_events: list, lead: Lead) -> list:
        """Typed inline events of one scored lead; bad ones rejected, ignored ones counted."""
        read, s = self.model.event_reader.fate, self.summary
        events = []
        for raw in raw_events:
            fate, event, reason, warnings = read(raw.data, self.now, self.strict)
            if fate is REJECTED:
                s.events_rejected += 1
                self.reject(raw.file, raw.line, f"event: {reason}", raw.data)
            elif fate is UNDECLARED:
                s.events_undeclared += 1
            elif fate is AFTER_NOW:
                s.events_after_now += 1
            else:
                lead.warnings.extend(warnings)
                s.events_used += 1
                events.append(event)
        return events

    # ---- leads ---------------------------------------------------------------------

    def leads(self, path: str, index: EventStore | None, rejected_ids: set | None = None) -> Iterator[Lead]:
        """Read, check and convert each lead row; yield the leads to score. `rejected_ids`
        collects the ids of the leads rejected with a known id (whose events are rejected too)."""
        s = self.summary
        acceptance = LeadAcceptance(self.model, self.id_column, self.strict, self.line_ids)
        # CSV and Parquet rows all have the header's columns, so the first row
        # tells whether the file has an id column. JSON rows each have their
        # own keys: a row without the id is a lead without one, and the file
        # has no id column only when no row has it. Rows read before the first
        # one with an id are held (`pending`) until that is known.
        fmt = "jsonl" if path == "-" or path in self.sources else detect_format(path)[0]
        uniform = fmt in ("csv", "parquet")
        # Only a JSON lead carries its events inline (INTERFACE.md §3): an
        # `events` column of a CSV export is just another column.
        self._inline_events = fmt in ("json", "jsonl")
        id_seen = self.line_ids
        pending: list[Row] = []
        columns: dict[str, None] = {}
        tick = self.progress("leads", path=path)
        for item in self.read(path):
            s.leads_read += 1
            tick(item.line)
            if isinstance(item, BadRow):
                s.leads_rejected += 1
                self.rejects.add(item)
                continue
            if not id_seen:
                if self.id_column not in item.data:
                    columns.update(dict.fromkeys(item.data))
                    if uniform:
                        raise self._no_id_column(path, columns)
                    pending.append(item)
                    continue
                id_seen = True
                for held in pending:
                    self.lead(path, held, acceptance, index, rejected_ids)   # rejected: it has no id
                pending = []
            lead = self.lead(path, item, acceptance, index, rejected_ids)
            if lead is not None:
                yield lead
        if pending:
            raise self._no_id_column(path, columns)

    def _no_id_column(self, path: str, columns: dict) -> ReadError:
        names = ", ".join(f"`{c}`" for c in columns) or "none"
        return ReadError(f"{path}: no id column `{self.id_column}` (the file has {names}); "
                         "name it with --id-column, or use --line-ids")

    def lead(self, path: str, item: Row, acceptance: LeadAcceptance, index: EventStore | None,
             rejected_ids: set | None = None) -> Lead | None:
        data = item.data
        inline = (data.get("events") if self._inline_events and "events" in data
                  and not self._is_field("events") else None)
        lead, lead_id, reason = acceptance.decide(data, item.line, inline)
        if reason is not None:
            self.refuse(path, item, reason, inline, lead_id, index)
            if lead_id is not None and rejected_ids is not None:
                rejected_ids.add(lead_id)
            return None
        s = self.summary
        # an account model's leads get their file events when they are scored
        # (`score_held`); until then they carry only their inline events
        events = index.take(lead_id, s, lead.warnings) if index is not None and not self.deferred else []
        inline_events = self.inline_events_of(path, item.line, inline, lead) if inline else []
        lead.events = inline_events if self.deferred else sort_events(events + inline_events)
        return lead

    def refuse(self, path: str, item: Row, reason: str, inline, lead_id: str | None,
               index: EventStore | None) -> None:
        """Reject a lead row, its inline events with it, and (once its id is known) its file events."""
        s = self.summary
        s.leads_rejected += 1
        self.reject(path, item.line, reason, item.data)
        for original in inline if isinstance(inline, list) else ():
            s.events_read += 1
            s.events_rejected += 1
            self.reject(path, item.line, "inline event of a rejected lead", original)
        if lead_id is not None and index is not None:
            self.reject_later(index.release(lead_id), f"event: its lead `{lead_id}` was rejected")

    def inline_events_of(self, path: str, line: int, inline: list, lead: Lead) -> list:
        """A JSON lead's typed inline events; the bad ones rejected, the ignored ones counted."""
        s = self.summary
        s.events_read += len(inline)
        raw_events = []
        for event in inline:
            if isinstance(event, dict):
                raw_events.append(RawEvent(path, line, event))
            else:
                s.events_rejected += 1
                self.reject(path, line, "inline event: an event must be an object", event)
        return self.convert_events(raw_events, lead)

    # ---- accounts ------------------------------------------------------------------

    def hold(self, leads: Iterator[Lead], index: EventStore | None, keep_raw: bool) -> HeldLeads:
        """Hold every lead of an account model, with its account key; its events stay in the store."""
        plan, now = self.model.plan, self.now
        held = HeldLeads(self.model.fields, keep_raw)
        for lead in leads:
            inline = lead.events
            if plan.key_reads_events:
                # the key reads the lead's events: all of them, file and inline
                lead.events = sort_events((index.peek(lead.id) if index is not None else []) + inline)
            key = account_key(plan, lead, now)
            held.add(lead, key, index.claim(lead.id) if index is not None else -1, inline)
        return held

    def score_held(self, held: HeldLeads, index: EventStore | None,
                   positions: range | None = None) -> Iterator[tuple]:
        """Score held leads in input order, each with the account it belongs to.

        An account is built from what is held (its leads' values and events)
        when one of its leads is scored. It is kept for its next lead only
        when that one comes soon (`OpenAccounts`): when an export spreads an
        account's leads through the file, the account is built again for
        each of them, so memory holds only a few accounts whatever the
        order of the file. What does not change between builds, the order
        of the account's events, is kept until its last lead (`orders`:
        4 bytes an event).

        When no account rule reads the scored lead's own fields (the usual
        case), every lead of an account gets the same account points: the
        account is built once, at its first lead, and only its points are
        kept until its last (`AccountPart`).
        """
        plan, now = self.model.plan, self.now
        accounts = OpenAccounts()
        orders: dict[int, array] = {}
        parts: dict[int, AccountPart] | None = {} if plan.account_rules_shared else None
        for position in range(len(held)) if positions is None else positions:
            lead = held.lead(position)
            file_events = index.use(held.heads[position], self.summary, lead.warnings) if index is not None else []
            lead.events = sort_events(file_events + held.inline.get(position, []))
            number = held.account[position]
            if number < 0:
                yield lead, score_lead(plan, lead, now)
                continue
            following = held.next[position]
            if parts is not None:
                part = parts.pop(number, None)
                if part is None:
                    account = self.build_account(held, number, position, lead, index, None)
                    part = account_part(plan, lead, now, account)
                if following >= 0:
                    parts[number] = part
                yield lead, score_lead(plan, lead, now, part=part)
                continue
            account = accounts.get(number)
            if account is None:
                account = self.build_account(held, number, position, lead, index, orders)
            accounts.after(number, account, following - position)
            if following < 0:
                orders.pop(number, None)
            yield lead, score_lead(plan, lead, now, account)

    def build_account(self, held: HeldLeads, number: int, position: int, lead: Lead,
                      index: EventStore | None, orders: dict | None) -> Account:
        """The account `number`, for its lead at `position` (`lead`, which has its events).

        `orders` keeps the order of its events for the next build (None: it is built once)."""
        members = held.members(number)
        return account_for(held.keys[number], members, position, lead, partial(held.lead, member=True),
                           lambda: self.account_events(held, number, members, index, orders))

    def account_events(self, held: HeldLeads, number: int, members: list, index: EventStore | None,
                       orders: dict | None) -> list:
        """Every event of an account's leads (`HeldEvent`s, and inline ones), in canonical order."""
        order = orders.get(number) if orders is not None else None
        if order is not None:
            return index.read_at(order)
        events, inline = [], False
        for member in members:
            if index is not None:
                events += index.read(held.heads[member])
            if member in held.inline:
                events += held.inline[member]
                inline = True
        # each lead's events in file order, then its inline ones: sorted together,
        # as stable as if each lead's events had been sorted first
        events = sort_events(events)
        if index is not None and not inline and orders is not None:
            orders[number] = array("i", [event.index for event in events])
        return events

    def _is_field(self, column: str) -> bool:
        return any(f.column == column for f in self.model.fields)

    # ---- the run -------------------------------------------------------------------

    def run(self, leads_path: str, events_path: str | None = None) -> Iterator:
        """Yield each scored lead's result in input order; `summary` is complete at the end."""
        for _lead, result in self.pairs(leads_path, events_path, keep_raw=False):
            yield result

    def json_lines(self, leads_path: str, events_path: str | None = None) -> Iterator[str]:
        """Each scored lead's result as its JSON Lines text (`ResultLines`), in input order."""
        return map(ResultLines(self.model.plan).text, self.run(leads_path, events_path))

    def run_pairs(self, leads_path: str, events_path: str | None = None) -> Iterator[tuple]:
        """Yield (lead, result) for each scored lead, in input order (the lead keeps its raw row)."""
        return self.pairs(leads_path, events_path, keep_raw=self.keep_raw)

    def pairs(self, leads_path: str, events_path: str | None, keep_raw: bool) -> Iterator[tuple]:
        with self.reading(events_path) as index:
            leads = self.leads(leads_path, index)
            if self.deferred:
                held = self.hold(leads, index, keep_raw)
                gc.freeze()
                pairs = self.score_held(held, index)
                tick = self.progress("scoring", total=len(held))
            else:
                plan, now = self.model.plan, self.now
                pairs = ((lead, score_lead(plan, lead, now)) for lead in leads)
                tick = _nothing              # reading the leads is the progress
            for done, (lead, result) in enumerate(pairs, 1):
                tick(done)
                self.count(result)
                yield lead, result

    def count(self, result) -> None:
        self.summary.leads_scored += 1
        self.summary.warnings += len(result.warnings)

    @contextlib.contextmanager
    def reading(self, events_path: str | None):
        """The run around the leads: the events read and held first (yields the store, or None),
        the events no lead took rejected last, the time taken recorded."""
        started = time.perf_counter()
        index = self.index_events(events_path) if events_path else None
        # What is held now lives to the end; freezing it spares the collector
        # from walking it again for every lead.
        gc.freeze()
        try:
            yield index
            if index is not None:
                for line, lead_id in index.leftover().items():
                    self.late_rejects.setdefault(line, f"event: no lead with id `{lead_id}`")
            self.reject_late_events()
        finally:
            gc.unfreeze()
        self.summary.seconds = time.perf_counter() - started

    # ---- several processes ---------------------------------------------------------

    #: what a child counts while it scores, added to the parent's summary
    COUNTED = ("leads_scored", "warnings", "events_used", "events_after_now", "events_undeclared")

    def write_forked(self, leads_path: str, events_path: str | None, jobs: int, text, write) -> None:
        """Score in `jobs` processes (workers.py), writing each result's `text(result)`
        with `write`, in input order. Every lead is held first, as an account model's are; then
        the held leads are scored in ranges, one per process."""
        self.deferred = True             # leads leave their events in the store until scored
        with self.reading(events_path) as index:
            held = self.hold(self.leads(leads_path, index), index, keep_raw=False)
            gc.freeze()
            first, *rest = workers.split(len(held), jobs)

            def work(positions: range, write_child) -> dict:
                self.rejects = _NoRejects()
                before = {name: getattr(self.summary, name) for name in self.COUNTED}
                for _lead, result in self.score_held(held, index, positions):
                    self.count(result)
                    write_child(text(result))
                return {name: getattr(self.summary, name) - before[name] for name in self.COUNTED}

            tick = self.progress("scoring", total=len(held))
            with workers.Pool(work, rest) as children:
                for done, (_lead, result) in enumerate(self.score_held(held, index, first), 1):
                    tick(done)
                    self.count(result)
                    write(text(result))
                for child in children:
                    counts = child.wait()
                    for chunk in child.chunks():
                        write(chunk)
                    tick(self.summary.leads_scored + counts["leads_scored"])
                    for name, value in counts.items():
                        setattr(self.summary, name, getattr(self.summary, name) + value)


def account_for(key, members: list, position: int, lead: Lead, member_lead, events) -> Account:
    """The account of `key` as its lead at `position` (`lead`, with its events and warnings) is
    scored with: every lead of it in input order (`members`, positions), the others as
    `member_lead(position)` gives them (without events or warnings), and `events()`, all their
    events in canonical order. One decision for the batch and `score_leads`."""
    if len(members) == 1:
        return Account(key, [lead], lead.events)
    return Account(key, [lead if member == position else member_lead(member) for member in members], events())


# ---- a few leads held in memory -------------------------------------------------------


@attrs.frozen
class Change:
    """What one write added to a few leads scored by `score_leads`: the leads whose results it
    needs (`wanted`, those it touched), its new events (`new_events`: their positions, from 1,
    in the events given) and the leads it created (`new_leads`).

    The other leads of an account in an account model are then left out of the results when
    the write does not change what the account gives them: when the account's shared part
    (`AccountPart`) is the same with and without the write's events and leads. Their own
    data did not change either, so their results are what they were before the write."""

    wanted: frozenset
    new_events: frozenset
    new_leads: frozenset


def score_leads(model: Model, now: int, rows: list, events: list, rejects, keys: dict | None = None,
                change: Change | None = None) -> dict:
    """Lead id → ScoreResult of `rows` [(lead id, raw fields or None)], in input order, with
    `events` [(lead id, raw row)] (every event of those leads, in input order): what `Batch`
    gives for the same rows as JSON Lines (non-strict), without its file machinery.

    For a few leads (the live store's write re-scores a lead and its account's other leads),
    a batch's file machinery (sources, acceptance, held leads) costs more than scoring them;
    this path reads the events as the batch does (`EventStore`), each lead with the model's
    reader, and builds each account as `score_held` does (`account_for`, `AccountPart`). The rows of every account among them
    must all be given. An event the batch would reject goes to `rejects.reject(file, line,
    reason, row)` (file `<events>`). `keys`, when given, gets each lead's account key (None:
    none). With a `change`, leads it does not need may be left out (`Change`)."""
    plan = model.plan
    held = EventStore(model.events, now)          # the batch's own event reading (`index_events`)
    for line, (lead_id, row) in enumerate(events, start=1):
        try:
            held.add(lead_id, row, line)
        except EventProblem as error:
            rejects.reject("<events>", line, f"event: {error}", row)
    counts, leads, fresh, unread = Summary(), [], set(), set()
    # an account mate the write may leave as it was: its events typed only as the account reads them
    lazy = change is not None and plan.account_key is not None and plan.account_rules_shared
    for line, (lead_id, fields) in enumerate(rows, start=1):
        lead = model.read_lead(fields or {}, lead_id, line)
        if lazy and lead_id not in change.wanted:
            lead.events = sort_events(held.peek(lead_id))
            unread.add(lead_id)
        else:
            lines = held.usable_lines(lead_id) if change is not None and lead_id in change.wanted else None
            taken = held.take(lead_id, counts, lead.warnings)
            if lines:
                fresh.update(id(event) for number, event in zip(lines, taken) if number in change.new_events)
            lead.events = sort_events(taken)
        leads.append(lead)
    if plan.account_key is None:
        return {lead.id: score_lead(plan, lead, now) for lead in leads}

    def settle(lead: Lead) -> None:
        """A mate whose result is needed after all: its events as every other lead's are taken."""
        if lead.id in unread:
            unread.discard(lead.id)
            lead.events = sort_events(held.take(lead.id, counts, lead.warnings))
    return _score_accounts(plan, now, leads, {} if keys is None else keys, change, fresh, settle)


def _score_accounts(plan, now: int, leads: list, found: dict, change: Change | None = None,
                    fresh: set = frozenset(), settle=None) -> dict:
    """Score leads of an account model: those with one key form an account, in input order.
    `found` gets each lead's key. With a `change` (`fresh`: the ids of its new Event objects),
    the leads it does not want of an account it does not change are left out; `settle(lead)`
    readies the events of one that is scored after all."""
    members: dict = {}
    keys = []
    for position, lead in enumerate(leads):
        key = found[lead.id] = _key_of(plan, lead, now)
        keys.append(key)
        if key is not None:
            members.setdefault(key, []).append(position)

    def member(position: int) -> Lead:
        lead = leads[position]
        return Lead(lead.id, lead.values, lead.stripped, None, [], line=lead.line)

    results, parts, kept = {}, {}, set()
    wanted = change.wanted if change is not None else None
    for position, (lead, key) in enumerate(zip(leads, keys)):
        if key is None:
            results[lead.id] = score_lead(plan, lead, now)
            continue
        if key in kept and lead.id not in wanted:
            continue
        group = members[key]
        account = None
        if not plan.account_rules_shared or key not in parts:
            account = account_for(key, group, position, lead, member,
                                  lambda: sort_events([e for m in group for e in leads[m].events]))
        if plan.account_rules_shared:
            if key not in parts:
                parts[key] = account_part(plan, lead, now, account)
                if wanted is not None and any(leads[m].id not in wanted for m in group) \
                        and _part_kept(plan, lead, now, account, parts[key], change, fresh):
                    kept.add(key)
                    if lead.id not in wanted:
                        continue
            if settle is not None:
                settle(lead)
            results[lead.id] = score_lead(plan, lead, now, part=parts[key])
        else:
            results[lead.id] = score_lead(plan, lead, now, account)
    return results


def _part_kept(plan, lead: Lead, now: int, account: Account, part: AccountPart, change: Change,
               fresh: set) -> bool:
    """Does `account` give its leads the same `part` as before `change`, that is without the
    write's new events (`fresh`) and new leads? (The part of a shared-rules plan does not read
    the lead it is built for, so `lead` may be any of the account's.)"""
    before = Account(account.key, [m for m in account.leads if m.id not in change.new_leads],
                     [event for event in account.events if id(event) not in fresh])
    if not before.leads:
        return False
    old = account_part(plan, lead, now, before)
    return old.points == part.points and old.contributions == part.contributions and old.tags == part.tags


def _key_of(plan, lead: Lead, now: int):
    """The lead's account key, as `Batch.hold` finds it (it sees the lead's events only when
    the key reads them)."""
    if plan.key_reads_events:
        return account_key(plan, lead, now)
    events, lead.events = lead.events, []
    try:
        return account_key(plan, lead, now)
    finally:
        lead.events = events


class _NoRejects:
    """A child process's rejects: scoring held leads rejects nothing, and a child must not write
    to the parent's rejects file."""

    def reject(self, *_args) -> None:
        raise AssertionError("a scoring process tried to reject a row")

    add = reject


class OpenAccounts:
    """Built accounts kept for their next lead.

    Building an account costs about its size (leads and events). A small
    one is let go after each lead and built again for the next, unless that
    one comes within `WINDOW` leads (a file sorted or grouped by account):
    at most `WINDOW` small accounts are open, each under `LARGE` leads and
    events. A large one is kept from its first lead to its last, since
    building it again for each of its many leads would cost far more than
    holding it; only a model whose accounts are that large holds that much.
    """

    WINDOW = 1000
    LARGE = 1000

    def __init__(self):
        self.accounts: dict[int, Account] = {}

    def get(self, number: int) -> Account | None:
        return self.accounts.get(number)

    def after(self, number: int, account: Account, gap: int) -> None:
        """A lead of `account` was scored; its next lead is `gap` leads ahead (≤ 0: none)."""
        if gap > 0 and (gap <= self.WINDOW or len(account.leads) + len(account.events) >= self.LARGE):
            self.accounts[number] = account
        else:
            self.accounts.pop(number, None)


def _no_progress(what: str, path: str | None = None, total: int | None = None):
    """No progress shown. A progress is called at the start of each phase and returns
    `update(position)` (leadscore/cli/progress.py draws one on a terminal)."""
    return _nothing


def _nothing(position: int) -> None:
    pass

