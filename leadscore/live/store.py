"""`Store`: leads, events, results, history and models in one database (LIVE.md §1–4, §6).

Every write is one transaction: the rows it adds, the re-scoring of the
leads it touches, their history entries and outbox rows commit together or
not at all. Two writers are kept apart by the database: SQLite takes its
write lock when the transaction begins (`BEGIN IMMEDIATE`); PostgreSQL
locks the touched accounts (advisory locks), then the touched leads' rows,
each in sorted order, so that a re-score reads every event committed before
it and no two writers wait for each other (see `_lock_accounts_of`).

The store keeps raw input and scores it with the batch's own code
(`rescoring.py`), so a result is always what `leadscore score` writes for
the same data.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
from typing import Iterable, Iterator

import attrs
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from ..runtime import values as v
from ..batch.acceptance import event_owner, inline_problem
from ..batch.io.readers import decode_json
from ..batch.io import json_default, parse_id, read_id
from ..runtime.model import InputError, now_us
from ..runtime.schema import EventProblem, NaiveTime, event_head
from . import history as hist
from . import ids
from . import schema as t
from .driver import Driver
from .models import StoredModel, row_for
from .sweeping import clock_of
from ..batch.batch import Change
from .collection import fewer_collections
from .rescoring import LineWriter, account_key, chunked, key_by_fields, score_rows

DEFAULT_URL = "sqlite:///leadscore.db"
#: SQLite settings: (log pages at which the write that reaches them copies the log back, page
#: cache of each connection in KiB). A command's one connection: 16 MB, 64 MB (a bulk ingest's
#: random inserts into the event id index want pages in memory). A service (`serving`): its
#: owner checkpoints in the background (`Store.checkpoint`), so writes copy the log back only
#: at 256 MB; its pool keeps up to five connections, each with a cache of its own, so 16 MB each
COMMAND_SQLITE, SERVICE_SQLITE = (4000, 65536), (64000, 16384)
#: a sweep of at most SMALL leads scores them (and their accounts) at once; more, and every lead
#: of a model change, are scored CHUNK leads at a time (`Store._chunks_of`)
SMALL, CHUNK = 5000, 2000
ACTIVE, SHADOW = "active_model", "shadow_model"


class StoreError(Exception):
    """Something the store cannot do, said in one line."""


@attrs.define
class IngestReport:
    """What one write did with the events given (LIVE.md §7's answer)."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list = attrs.Factory(list)        # [(index, reason)]
    leads: int = 0                              # lead field writes

    def to_dict(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": [{"index": i, "reason": r} for i, r in self.rejected]}


@attrs.frozen
class Pending:
    """A write checked by `Store.prepare`, waiting for `Store.commit`."""

    field_writes: list          # [(lead id, fields, merge)]
    checked: list               # [(lead id, event id, type, raw JSON)], each id once
    report: IngestReport


@attrs.frozen
class _Added:
    """A write of events alone: their seqs, the leads it created, the leads it touched."""

    seqs: frozenset
    created: frozenset
    touched: frozenset = frozenset()

    def change(self, events: list) -> Change:
        """The `Change` for `score_rows`, with `events` [(seq, lead id, row)] as it gets them."""
        return Change(self.touched, frozenset(n for n, (seq, *_r) in enumerate(events, 1) if seq in self.seqs),
                      self.created)


@attrs.frozen
class _Role:
    """The active model or the shadow: where its results and account keys are kept."""

    meta_key: str
    result: str
    key: str
    history: bool


ROLES = (_Role(ACTIVE, "result", "account_key", True), _Role(SHADOW, "shadow_result", "shadow_account_key", False))


class Store:
    def __init__(self, engine, now=None):
        self.engine = engine
        self.fixed_now = None if now is None else now_us(now)
        self.models: dict = {}
        self.writers: dict = {}

    # ---- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, url: str = DEFAULT_URL, now=None, serving: bool = False) -> "Store":
        """The store at `url` (created when new, upgraded when older); `now` fixes its clock.

        `serving` (SQLite): opened for a long-running service (`SERVICE_SQLITE`). The write that
        fills the log no longer copies it back into the database (tens of ms); the owner calls
        `checkpoint` often instead (the service does, every second, beside its requests), and a
        log left far behind is still copied back by the write that takes it past 256 MB. Each
        pooled connection keeps a smaller page cache, so the process stays small."""
        engine = _engine(url, *(SERVICE_SQLITE if serving else COMMAND_SQLITE))
        store = cls(engine, now)
        try:
            with engine.begin() as connection:
                t.upgrade(connection)
        except t.SchemaError as error:
            engine.dispose()
            raise StoreError(f"{_shown(url)}: {error}") from None
        except SQLAlchemyError as error:
            engine.dispose()
            raise StoreError(f"cannot open the store {_shown(url)}: {_reason(error)}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def compile_models(self) -> None:
        """Compile the active model and the shadow now (each is compiled once per process), so the
        first write or read that needs them does not wait (a second for b2b)."""
        for role in (ACTIVE, SHADOW):
            stored = self.model(role)
            if stored is not None:
                stored.compiled

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def now(self, now=None) -> int:
        """µs: the `now` given, else the store's fixed clock, else the current time."""
        if isinstance(now, int) and not isinstance(now, bool):
            return now
        if now is not None:
            try:
                return now_us(now)
            except InputError as error:
                raise StoreError(str(error)) from None
        return self.fixed_now if self.fixed_now is not None else now_us(None)

    def checkpoint(self) -> None:
        """SQLite: copy what the write-ahead log holds back into the database, as far as it can
        without waiting for a reader or a writer (`PRAGMA wal_checkpoint(PASSIVE)`); nothing on
        PostgreSQL."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    # ---- transactions ------------------------------------------------------------------

    def _write(self, work):
        """Run `work(connection)` in one transaction; retried when PostgreSQL reports a deadlock."""
        for attempt in range(8):
            try:
                with self.engine.begin() as connection:
                    return work(connection)
            except (OperationalError, DBAPIError, *_DRIVER_ERRORS) as error:
                if not _retryable(error) or attempt == 7:
                    raise StoreError(f"the store refused a write: {_reason(error)}") from None
                time.sleep(0.01 * (attempt + 1))

    def _read(self, work):
        """Run `work(connection)` in one transaction (one snapshot of the store), committing nothing."""
        with self.engine.begin() as connection:
            return work(connection)

    # ---- models ------------------------------------------------------------------------

    def model(self, role: str = ACTIVE, connection=None) -> StoredModel | None:
        """The active model (or the shadow: `role` SHADOW), None when the store has none."""
        def find(c):
            found = Driver(c).rows("SELECT value FROM meta WHERE key = ?", (role,))
            if not found:
                return None
            number = found[0][0]
            if int(number) not in self.models:         # a models row never changes: kept once read
                row = c.execute(select(t.models).where(t.models.c.id == int(number))).mappings().one()
                self.models[int(number)] = StoredModel(row["id"], row["name"], row["version"], row["hash"],
                                                       row["text"], row["filename"], row["base_dir"])
            return self.models[int(number)]
        return find(connection) if connection is not None else self._read(find)

    def line_writer(self, stored: StoredModel) -> LineWriter:
        """The model's line writer, built once per process (its template costs more than a
        one-event ingest's lines)."""
        if stored.id not in self.writers:
            self.writers[stored.id] = LineWriter(stored.compiled)
        return self.writers[stored.id]

    @property
    def shadow(self) -> StoredModel | None:
        return self.model(SHADOW)

    def set_model(self, text_: str, filename: str = "model.score", base_dir: str | None = None, now=None,
                  notify: bool = True) -> int:
        """Validate and activate a model; every lead re-scored, history cause `model`. Leads changed.

        `notify`: its transitions go to the outbox (False: history only)."""
        row = row_for(text_, filename, base_dir)        # raises ModelRefused: nothing changes
        at = self.now(now)

        def work(c):
            old = self.model(ACTIVE, c)
            number = c.execute(t.models.insert().values(**row)).inserted_primary_key[0]
            _set_meta(c, ACTIVE, str(number))
            cause = {"kind": "model", "from": old.hash if old else None, "to": row["hash"]}
            return self._rescore(c, None, {}, cause, at, roles=(ROLES[0],), notify=notify)
        return self._write(work)

    def set_shadow(self, text_: str, filename: str = "model.score", base_dir: str | None = None, now=None) -> int:
        """Validate a model and run it beside the active one (scores every change, notifies no one)."""
        row = row_for(text_, filename, base_dir)
        at = self.now(now)

        def work(c):
            number = c.execute(t.models.insert().values(**row)).inserted_primary_key[0]
            _set_meta(c, SHADOW, str(number))
            return self._rescore(c, None, {}, {"kind": "model"}, at, roles=(ROLES[1],))
        return self._write(work)

    def promote(self, now=None, notify: bool = True) -> int:
        """Make the shadow the active model (LIVE.md §6); history cause `model`. Leads changed."""
        at = self.now(now)

        def work(c):
            shadow, old = self.model(SHADOW, c), self.model(ACTIVE, c)
            if shadow is None:
                raise StoreError("the store has no shadow model to promote (set one with `model shadow`)")
            _set_meta(c, ACTIVE, str(shadow.id))
            c.execute(t.meta.delete().where(t.meta.c.key == SHADOW))
            c.execute(t.leads.update().values(shadow_result=None, shadow_account_key=None))
            cause = {"kind": "model", "from": old.hash if old else None, "to": shadow.hash}
            return self._rescore(c, None, {}, cause, at, roles=(ROLES[0],), notify=notify)
        return self._write(work)

    def impact(self, now=None, top: int = 10):
        """What promoting the shadow would do to every lead at `now`: `leadscore diff --leads`'s report."""
        from ..review.impact import compare
        active, shadow = self.model(ACTIVE), self.model(SHADOW)
        if active is None or shadow is None:
            raise StoreError("impact needs an active model and a shadow (`model set`, `model shadow`)")
        at = self.now(now)
        with fewer_collections():
            leads, events = self._read(lambda c: (self._lead_rows(c, None), self._event_rows(c, None)))
            old = score_rows(active.compiled, at, leads, events)
            new = score_rows(shadow.compiled, at, leads, events)
        outline = _outline
        return compare(old.values(), new.values(), outline(active), outline(shadow), top=top,
                       now=v.format_time(at))

    # ---- writing leads and events ---------------------------------------------------------

    @contextlib.contextmanager
    def loading(self):
        """Around a bulk load: a new store (no model, no leads) builds its index of events by
        lead after the rows are in (`schema.DEFERRED`); nothing reads it before the model is
        set. Opening a store builds it too, should a load be cut short."""
        def new(c):
            found = Driver(c).rows("SELECT 1 FROM leads LIMIT 1")
            return not found and self.model(ACTIVE, c) is None
        deferred = self._read(new)
        if deferred:
            self._write(t.drop_deferred)
        try:
            with fewer_collections():
                yield
        finally:
            if deferred:
                self._write(t.build_deferred)

    def ingest_events(self, rows: Iterable, now=None, *, id_column: str = "id",
                      lead_column: str = "lead_id") -> IngestReport:
        """Store events (any order, duplicates counted, bad rows rejected) and re-score their leads."""
        return self.write((), rows, now, id_column=id_column, lead_column=lead_column)

    def put_fields(self, lead_id: str, fields: dict, merge: bool = False, now=None) -> str | None:
        """Set (or, with `merge`, update) a lead's raw fields; its new result line (None without a model)."""
        report = self.write([(lead_id, fields, merge)], (), now)
        if report.rejected:
            raise StoreError(report.rejected[0][1])
        stored_id, _ = read_id(lead_id)       # the id as the write read it (17 is "17")
        return self._read(lambda c: c.execute(select(t.leads.c.result).where(
            t.leads.c.lead_id == stored_id)).scalar())

    def write(self, leads: Iterable, events: Iterable, now=None, *, id_column: str = "id",
              lead_column: str = "lead_id") -> IngestReport:
        """One transaction: lead field writes [(lead id, fields, merge)] and event rows, then the
        touched leads re-scored. A lead's `events` list is taken as its events (INTERFACE.md §3)."""
        pending = self.prepare(leads, events, id_column=id_column, lead_column=lead_column)
        self.commit([pending], now)
        return pending.report

    def prepare(self, leads: Iterable, events: Iterable, *, id_column: str = "id",
                lead_column: str = "lead_id") -> "Pending":
        """A write checked and ready to commit (`commit`): its bad rows already in its report.
        Raises StoreError for a lead write that cannot be done (the caller's mistake)."""
        report = IngestReport()
        field_writes, inline = _field_writes(list(leads), report)
        checked = _checked_events(list(events) + inline, id_column, lead_column, report)
        report.leads = len(field_writes)
        return Pending(field_writes, checked, report)

    def commit(self, pendings: list, now=None) -> None:
        """Commit these writes in one transaction, in order (a group commit: the service's
        concurrent requests), and complete each one's report. An event id given by two of them
        is accepted for the first and a duplicate for the rest, as if written one after the other;
        a lead touched by several gets one re-score and one history entry with all their causes."""
        at = self.now(now)
        field_writes = [write for pending in pendings for write in pending.field_writes]
        checked = [event for pending in pendings for event in pending.checked]

        def work(c):
            touched = sorted({lead_id for lead_id, _f, _m in field_writes} | {e[0] for e in checked})
            self._lock_accounts_of(c, touched, field_writes, at)
            created = self._ensure_leads(c, touched)
            self._lock(c, touched)
            causes: dict = {}
            self._apply_fields(c, field_writes, causes)
            accepted = self._insert_events(c, checked, at)
            for _seq, lead_id, event_id in accepted:
                causes.setdefault(lead_id, {"kind": "events", "ids": []}).setdefault("ids", []).append(event_id)
            # events alone: an account's other leads change only if its shared part does (`Change`)
            added = None if field_writes else _Added(frozenset(s for s, *_ in accepted), frozenset(created))
            self._rescore(c, sorted(causes), causes, None, at, added=added)
            return {event_id for _seq, _lead_id, event_id in accepted}
        new = self._write(work)
        for pending in pendings:
            taken = [event_id for _lead_id, event_id, *_rest in pending.checked if event_id in new]
            new.difference_update(taken)
            pending.report.accepted = len(taken)
            pending.report.duplicates += len(pending.checked) - len(taken)

    def _ensure_leads(self, c, lead_ids: list) -> list:
        """Create the leads not stored yet; their ids."""
        return [lead_id for lead_id, in Driver(c).values(
            "INSERT INTO leads (lead_id, has_events) VALUES {} ON CONFLICT (lead_id) DO NOTHING RETURNING lead_id",
            [(lead_id, False) for lead_id in lead_ids], 2)]

    def _lock(self, c, lead_ids: list) -> None:
        """PostgreSQL: hold the touched leads' rows until commit (in id order, so no deadlock)."""
        if c.dialect.name == "postgresql" and lead_ids:
            for chunk in _chunks(lead_ids, 1000):
                c.execute(select(t.leads.c.lead_id).where(t.leads.c.lead_id.in_(chunk))
                          .order_by(t.leads.c.lead_id).with_for_update())

    def _lock_accounts_of(self, c, touched: list, field_writes: list, at: int) -> None:
        """PostgreSQL: lock the accounts these leads are in, and those their field writes move them
        to, before any lead row: every writer takes accounts first, then leads, so a write that
        re-scores an account's leads never waits for a row that a writer waiting for that account
        holds. An account found only later (a concurrent move) is locked when found; a deadlock
        that rare case can cause is retried (`_write`)."""
        if c.dialect.name != "postgresql" or not touched:
            return
        keys = set()
        for role in ROLES:
            stored = self.model(role.meta_key, c)
            model = stored.compiled if stored is not None else None
            if model is None or not model.has_account or not key_by_fields(model):
                continue
            for lead_id, fields, old_key in self._leads(c, touched, role.key):
                keys |= {old_key, account_key(model, lead_id, fields, at)}
            keys |= {account_key(model, lead_id, fields, at) for lead_id, fields, _merge in field_writes}
        keys.discard(None)
        self._lock_accounts(c, keys)

    def _lock_accounts(self, c, keys: Iterable) -> None:
        if c.dialect.name == "postgresql":
            for key in sorted(set(keys)):
                c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_number(key)})

    def _apply_fields(self, c, writes: list, causes: dict) -> None:
        """Store the lead field writes (in order; a lead may be written twice) and note what changed."""
        if not writes:
            return
        current = {lead_id: fields or {} for lead_id, fields, *_ in self._leads(c, sorted({w[0] for w in writes}))}
        for lead_id, fields, merge in writes:
            old = current[lead_id]
            new = {**old, **fields} if merge else dict(fields)
            current[lead_id] = new
            names = _changed(old, new)
            cause = causes.setdefault(lead_id, {"kind": "fields", "names": []})
            cause["names"] = sorted(set(cause["names"]) | set(names))
        Driver(c).many("UPDATE leads SET fields = ? WHERE lead_id = ?",
                       [(_json(fields), lead_id) for lead_id, fields in current.items()])

    def _insert_events(self, c, checked: list, at: int) -> list:
        """Insert the new events (in order); [(seq, lead id, event id)] of those not already stored."""
        accepted_at = v.format_time(at)
        d = Driver(c)
        inserted = d.values("INSERT INTO events (event_id, lead_id, type, data, accepted_at) VALUES {} "
                            "ON CONFLICT (event_id) DO NOTHING RETURNING seq, lead_id, event_id",
                            [(event_id, lead_id, kind, data, accepted_at) for lead_id, event_id, kind, data in checked],
                            5)
        accepted = sorted(inserted)                                   # in the order given
        d.where_in("UPDATE leads SET has_events = ? WHERE has_events = ? AND lead_id IN ({})",
                   sorted({i for _s, i, _e in accepted}), extra=(True, False))
        return accepted

    # ---- re-scoring --------------------------------------------------------------------------

    def _rescore(self, c, touched: list | None, causes: dict, cause: dict | None, at: int, roles=ROLES,
                 notify: bool = True, moved: bool = True, added: "_Added | None" = None) -> int:
        """Score `touched` (and their account mates; None: every lead) with each model; store
        results, history, outbox. Every lead, or many leads whose fields did not change (`moved`
        False: no lead left an account), are scored a chunk at a time (`_chunks_of`), so memory
        holds one chunk's rows, not the store's. `added`: the write was only these new events
        (and the leads they created), so mates of an account they leave as it was keep their
        results."""
        changed = 0
        for role in roles:
            stored = self.model(role.meta_key, c)
            if stored is None or touched == []:
                continue
            model = stored.compiled
            if touched is not None and (moved or len(touched) <= SMALL):
                chunks = [self._scoring_set(c, model, role, touched, at)]
                only = attrs.evolve(added, touched=frozenset(touched)) if added and chunks[0] is not None else None
                bulk = chunks[0] is None            # every lead at once
            else:
                stored_keys = not moved and not clock_of(stored).key_moves
                chunks = self._chunks_of(c, model, touched, at, role.key if stored_keys else None)
                only, bulk = None, True
            with fewer_collections() if bulk else contextlib.nullcontext():
                for scored in chunks:
                    changed += self._rescore_chunk(c, stored, role, scored, causes, cause, at, notify, only)
        return changed

    def _rescore_chunk(self, c, stored: StoredModel, role: _Role, scored: list | None, causes: dict,
                       cause: dict | None, at: int, notify: bool, added: "_Added | None" = None) -> int:
        """Score these leads (each account among them whole; None: every lead) and store what
        changed. A lead left out of the results (`added`, `Change`) keeps its stored result."""
        model = stored.compiled
        leads = self._leads(c, scored, role.result)
        keys: dict = {}
        events = self._events(c, scored)
        change = None if added is None else added.change(events)
        results = score_rows(model, at, [(i, f) for i, f, _ in leads],
                             [(lead_id, row) for _seq, lead_id, row in events], keys, change)
        line = self.line_writer(stored).line
        updates, entries = [], []
        now_column = (v.format_time(at),) if role.history else ()
        mates = cause or (_mate_cause(causes) if causes else None)      # built once, not once a lead
        for lead_id, _fields, old in leads:
            if lead_id not in results:
                continue
            new = line(results[lead_id])
            updates.append((new, keys.get(lead_id), *now_column, lead_id))
            if role.history:
                entry = hist.change(lead_id, old, new, cause or causes.get(lead_id) or mates)
                entries += [entry] if entry is not None else []
        result_now = ", result_now = ?" if role.history else ""
        Driver(c).many(f"UPDATE leads SET {role.result} = ?, {role.key} = ?{result_now} WHERE lead_id = ?",
                       updates)
        self._record(c, entries, at, stored, notify)
        return len(entries)

    def _chunks_of(self, c, model, touched: list | None, at: int, key_column: str | None = None) -> list:
        """`touched` (None: every lead) and their account mates, as chunks of about CHUNK leads,
        each holding whole accounts, in lead id order of their first lead ([None]: one chunk of
        every lead, for a model whose account key reads events). Accounts are found by each
        lead's fields, or by the keys stored in `key_column` (the fields did not change)."""
        if not key_by_fields(model):
            return [None]
        cursor, keys = Driver(c).cursor, {}
        if key_column is not None or not model.has_account:
            cursor.execute(f"SELECT lead_id, {key_column or 'NULL'} FROM leads")
            while rows := cursor.fetchmany(CHUNK):
                keys.update(rows)
        else:
            cursor.execute("SELECT lead_id, fields FROM leads")
            while rows := cursor.fetchmany(CHUNK):          # read through once: no statement in between
                for lead_id, fields in rows:
                    keys[lead_id] = account_key(model, lead_id, _fields(fields), at)
        return chunked(sorted(keys) if touched is None else sorted(touched), keys, CHUNK)

    def _scoring_set(self, c, model, role: _Role, touched: list, at: int) -> list | None:
        """The leads to score with `touched`: their accounts' other leads too (None: every lead)."""
        if not model.has_account:
            return touched
        if not key_by_fields(model):
            return None
        d, keys = Driver(c), set()
        for lead_id, fields, old_key in d.where_in(f"SELECT lead_id, fields, {role.key} FROM leads "
                                                   "WHERE lead_id IN ({})", touched):
            keys |= {old_key, account_key(model, lead_id, _fields(fields), at)}
        keys.discard(None)
        self._lock_accounts(c, keys)
        mates = set(touched)
        mates.update(i for i, in d.where_in(f"SELECT lead_id FROM leads WHERE {role.key} IN ({{}})", sorted(keys)))
        return sorted(mates)

    def _record(self, c, entries: list, at: int, stored: StoredModel, notify: bool) -> None:
        """Append history entries, and an outbox row for each transition (when `notify`)."""
        if not entries:
            return
        when = v.format_time(at)
        rows = [(e.lead_id, when, _json(e.cause), e.score_before, e.score_after, e.tier_before, e.tier_after,
                 _json(e.entered), _json(e.left), e.transition, stored.hash) for e in entries]
        d = Driver(c)
        # one statement's rows take increasing numbers in the order given
        numbers = sorted(n for n, in d.values(
            'INSERT INTO history (lead_id, "at", cause, score_before, score_after, tier_before, tier_after, '
            'entered, "left", transition, model_hash) VALUES {} RETURNING seq', rows, 11))
        d.many("INSERT INTO outbox (history_seq, lead_id, created_at, attempts) VALUES (?, ?, ?, 0)",
               [(number, e.lead_id, when) for number, e in zip(numbers, entries) if e.transition and notify])

    def _lead_rows(self, c, lead_ids: list | None) -> list:
        """[(lead id, raw fields or None)] of these leads (None: all)."""
        return [(lead_id, fields) for lead_id, fields in self._leads(c, lead_ids)]

    def _leads(self, c, lead_ids: list | None, *columns: str) -> list:
        """[(lead id, raw fields or None, *columns)] of these leads (None: all)."""
        query = "SELECT " + ", ".join(("lead_id", "fields", *columns)) + " FROM leads"
        d = Driver(c)
        rows = d.rows(query) if lead_ids is None else d.where_in(query + " WHERE lead_id IN ({})", lead_ids)
        return [(lead_id, _fields(fields), *rest) for lead_id, fields, *rest in rows]

    def _event_rows(self, c, lead_ids: list | None) -> list:
        """[(lead id, raw row)] of these leads' events (None: all), in the order they were accepted."""
        return [(lead_id, row) for _seq, lead_id, row in self._events(c, lead_ids)]

    def _events(self, c, lead_ids: list | None) -> list:
        """[(seq, lead id, raw row)] of these leads' events (None: all), in the order they were accepted."""
        query, d = "SELECT seq, lead_id, data FROM events", Driver(c)
        if lead_ids is None:
            rows = d.rows(query + " ORDER BY seq")
        else:
            rows = d.where_in(query + " WHERE lead_id IN ({})", lead_ids)
            rows.sort()
        return [(seq, lead_id, decode_json(data)) for seq, lead_id, data in rows]

    # ---- time -----------------------------------------------------------------------------

    def sweep(self, now=None) -> int:
        """Re-score, at `now`, the leads whose result can change with time alone (and their
        accounts); leads changed. Those are the leads with any event, and those with a value in
        a field the model's clock reads (`sweeping.py`: `days_since(last_login)`), under the
        active model or the shadow; history cause `time`."""
        at = self.now(now)

        def work(c):
            active = self.model(ACTIVE, c)
            if active is None:
                return 0
            clocks = [clock_of(stored) for stored in (active, self.model(SHADOW, c)) if stored is not None]
            cursor, leads = Driver(c).cursor, []
            cursor.execute("SELECT lead_id, has_events, fields FROM leads ORDER BY lead_id")
            while rows := cursor.fetchmany(CHUNK):          # read through once: no statement in between
                leads += [lead_id for lead_id, has_events, fields in rows
                          if any(clock.moves(bool(has_events), fields) for clock in clocks)]
            self._lock_accounts_of(c, leads, [], at)
            self._lock(c, leads)
            return self._rescore(c, leads, {}, {"kind": "time"}, at, moved=False)
        return self._write(work)

    # ---- reading ------------------------------------------------------------------------------

    def result(self, lead_id: str, now=None, explain: bool = False) -> str | None:
        """The lead's result line at `now` (exact: computed now), None for an unknown lead."""
        active = self.model(ACTIVE)
        if active is None:
            raise StoreError("the store has no model yet (`leadscore model set MODEL`)")
        at, model = self.now(now), active.compiled
        lead_id = str(lead_id).strip()

        def work(c):
            if c.execute(select(t.leads.c.lead_id).where(t.leads.c.lead_id == lead_id)).first() is None:
                return None
            scored = self._reading_set(c, model, lead_id, at)
            return score_rows(model, at, self._lead_rows(c, scored), self._event_rows(c, scored))[lead_id]
        result = self._read(work)
        return None if result is None else LineWriter(model).line(result, explain)

    def _reading_set(self, c, model, lead_id: str, at: int) -> list | None:
        if not model.has_account:
            return [lead_id]
        if not key_by_fields(model):
            return None
        fields = c.execute(select(t.leads.c.fields).where(t.leads.c.lead_id == lead_id)).scalar()
        key = account_key(model, lead_id, _fields(fields), at)
        if key is None:
            return [lead_id]
        mates = set(c.execute(select(t.leads.c.lead_id).where(t.leads.c.account_key == key)).scalars())
        return sorted(mates | {lead_id})

    def results(self, now=None) -> Iterator:
        """Every lead's ScoreResult at `now`, ordered by lead id."""
        active = self.model(ACTIVE)
        if active is None:
            raise StoreError("the store has no model yet (`leadscore model set MODEL`)")
        at = self.now(now)
        with fewer_collections():
            leads, events = self._read(lambda c: (self._lead_rows(c, None), self._event_rows(c, None)))
            scored = score_rows(active.compiled, at, leads, events)
        for lead_id in sorted(scored):
            yield scored[lead_id]

    def stored_result(self, lead_id: str) -> str | None:
        """The lead's stored result line (as of its last change or sweep)."""
        return self._read(lambda c: c.execute(select(t.leads.c.result).where(
            t.leads.c.lead_id == str(lead_id).strip())).scalar())

    def history(self, lead_id: str) -> list:
        """The lead's history entries, oldest first."""
        query = select(t.history).where(t.history.c.lead_id == str(lead_id).strip()).order_by(t.history.c.seq)
        return self._read(lambda c: [_entry(row) for row in c.execute(query).mappings()])

    def transitions(self, since: int = 0, limit: int = 1000) -> tuple:
        """(entries, next cursor): transitions after cursor `since`, in order."""
        query = (select(t.history).where(t.history.c.transition.is_(True), t.history.c.seq > since)
                 .order_by(t.history.c.seq).limit(limit))
        entries = self._read(lambda c: [_entry(row) for row in c.execute(query).mappings()])
        return entries, (entries[-1]["seq"] if entries else since)

    def outbox(self) -> list:
        """Undelivered notifications: [(outbox seq, history seq, lead id)]."""
        query = select(t.outbox.c.seq, t.outbox.c.history_seq, t.outbox.c.lead_id).where(
            t.outbox.c.delivered_at.is_(None)).order_by(t.outbox.c.seq)
        return self._read(lambda c: [tuple(r) for r in c.execute(query)])

    def counts(self) -> dict:
        def work(c):
            return {"leads": c.execute(select(func.count()).select_from(t.leads)).scalar(),
                    "events": c.execute(select(func.count()).select_from(t.events)).scalar()}
        return self._read(work)


# ---- helpers --------------------------------------------------------------------------------

_ABSENT = {"\u0000absent": True}


def _engine(url: str, autocheckpoint: int, cache_kib: int):
    """An engine for `url`: SQLite (stdlib sqlite3, writers serialized) or PostgreSQL (psycopg 3)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    elif not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise StoreError(f"unknown store URL {_shown(url)}: use sqlite:///PATH or postgresql://USER@HOST/DB")
    try:
        if url.startswith("sqlite:"):
            # nothing to reset when a connection goes back to the pool: every transaction of the
            # store ends in its commit or rollback
            engine = create_engine(url, connect_args={"timeout": 60}, pool_reset_on_return=None)
            event.listen(engine, "connect", functools.partial(_sqlite_connect, autocheckpoint=autocheckpoint,
                                                              cache_kib=cache_kib))
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as error:
        raise StoreError(f"cannot open the store {_shown(url)}: {_reason(error)}") from None


def _sqlite_connect(dbapi_connection, _record, autocheckpoint: int, cache_kib: int) -> None:
    dbapi_connection.isolation_level = None          # transactions begun by the "begin" listener
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    # the unique index on event ids takes inserts in random order: pages kept in memory and the
    # log copied back every 16 MB rather than every 4 MB cost a bulk ingest less (COMMAND_SQLITE)
    dbapi_connection.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")


def _sqlite_begin(connection) -> None:
    """Every transaction takes the write lock at once, so two writers never both read and then
    wait on each other; run on the driver's connection (through SQLAlchemy it costs more than a
    one-event ingest's statements)."""
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE")


def _changed(old: dict, new: dict) -> list:
    """The names whose raw values differ, compared as JSON text (so 1 and 1.0 differ, NaN equals NaN)."""
    if not old:
        return list(new)
    return [k for k in old.keys() | new.keys() if not _same(old.get(k, _ABSENT), new.get(k, _ABSENT))]


def _same(a, b) -> bool:
    if a.__class__ is str and b.__class__ is str:          # most raw values: no JSON needed
        return a == b
    return _json(a) == _json(b)


def _set_meta(c, key: str, value: str) -> None:
    c.execute(t.meta.delete().where(t.meta.c.key == key))
    c.execute(t.meta.insert().values(key=key, value=value))


def _field_writes(leads: list, report: IngestReport) -> tuple:
    """The checked lead writes [(id, fields, merge)] and the events their `events` lists carry."""
    writes, inline = [], []
    for lead_id, fields, merge in leads:
        if not isinstance(fields, dict):
            raise StoreError(f"a lead's fields must be an object, not {type(fields).__name__}")
        lead_id, problem = read_id(lead_id)
        if problem:
            raise StoreError(f"lead: {problem}")
        fields = dict(fields)
        carried = fields.pop("events", None)
        problem = inline_problem(carried)
        if problem:
            raise StoreError(problem)
        for row in carried or ():
            inline.append({**row, "lead_id": lead_id} if isinstance(row, dict) else row)
        writes.append((lead_id, decode_json(_json(fields)), merge))
    return writes, inline


def _checked_events(rows: list, id_column: str, lead_column: str, report: IngestReport) -> list:
    """[(lead id, event id, type, raw JSON)] of the usable rows, each id once; the rest rejected."""
    checked, seen = [], set()
    skip = (lead_column, "type", "at", id_column)
    for index, row in enumerate(rows):
        reason = _event_problem(row, lead_column)
        if reason:
            report.rejected.append((index, reason))
            continue
        lead_id = parse_id(row.get(lead_column))
        event_id = ids.given_id(row, id_column) or ids.content_id(lead_id, row, skip)
        if event_id in seen:
            report.duplicates += 1
            continue
        seen.add(event_id)
        checked.append((lead_id, event_id, row["type"].strip(), _json(row)))
    return checked


def _event_problem(row, lead_column: str) -> str | None:
    """Why an event row is rejected (INTERFACE.md §9), or None."""
    if not isinstance(row, dict):
        return "event: an event must be an object"
    _lead_id, problem = event_owner(row.get(lead_column), lead_column)
    if problem:
        return problem
    try:
        event_head(row)          # the type and time every event row needs, as the batch reads them
    except (EventProblem, NaiveTime) as error:
        return f"event: {error}"
    return None


def _mate_cause(causes: dict) -> dict:
    """The cause of a lead re-scored because a lead of its account changed."""
    kinds = {c["kind"] for c in causes.values()}
    cause = {"kind": "events" if "events" in kinds else "fields", "account": sorted(causes)}
    event_ids = sorted({i for c in causes.values() for i in c.get("ids", ())})
    names = sorted({n for c in causes.values() for n in c.get("names", ())})
    if event_ids:
        cause["ids"] = event_ids
    if names:
        cause["names"] = names
    return cause


def _outline(stored: StoredModel):
    from ..dsl import analyze
    from ..review.impact import Outline
    return Outline.of(analyze(stored.text, stored.filename, stored.base_dir).model)


def _entry(row) -> dict:
    return {"seq": row["seq"], "lead_id": row["lead_id"], "at": row["at"], "cause": json.loads(row["cause"]),
            "score": {"from": row["score_before"], "to": row["score_after"]},
            "tier": {"from": row["tier_before"], "to": row["tier_after"]},
            "entered": json.loads(row["entered"]), "left": json.loads(row["left"]),
            "transition": bool(row["transition"]), "model": row["model_hash"]}


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=json_default)    # built once: see ids.py


def _json(value) -> str:
    return _ENCODER.encode(value)


def _fields(text_: str | None) -> dict | None:
    return None if text_ is None else decode_json(text_)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big", signed=True)


def _driver_errors() -> tuple:
    """The DBAPI drivers' own errors: `Driver` statements raise them unwrapped by SQLAlchemy."""
    import sqlite3
    try:
        import psycopg
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


_DRIVER_ERRORS = _driver_errors()


def _retryable(error) -> bool:
    code = getattr(getattr(error, "orig", None) or error, "sqlstate", None)
    return code in ("40P01", "40001") or "database is locked" in str(error)


def _reason(error) -> str:
    original = getattr(error, "orig", None) or error
    return " ".join(str(original).split()) or type(original).__name__


def _shown(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url

