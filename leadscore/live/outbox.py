"""The outbox of transitions, as a deliverer claims and settles it (LIVE.md §5).

Every transition the store records gets an outbox row in the same
transaction as its history entry. A deliverer (`leadscore serve`) *claims*
the rows that are due: in one transaction it pushes their `next_at` a lease
into the future, so another process sharing the store (PostgreSQL: rows
locked with SKIP LOCKED) leaves them alone while they are in flight. It then
settles each one: `delivered` sets `delivered_at`; `retry_at` counts the
attempt and sets when to try again. A deliverer killed mid-delivery leaves
its rows claimed until the lease ends; then they are due again, so every
transition is delivered at least once.

`next_at` is wall-clock time (epoch seconds), never the store's clock: a
store with a fixed `--now` still retries in real time.

The body of a transition (what a webhook receives, and what
`GET /v1/transitions` lists) is built here, once, for both.
"""

from __future__ import annotations

import datetime as _dt
import json
import time

import attrs
from sqlalchemy import func, or_, select, text

from . import schema as t


@attrs.frozen
class Delivery:
    seq: int                 # the outbox row
    attempts: int            # made before this one
    body: dict


def claim(store, wall: float, lease: float, limit: int = 100) -> list:
    """The due deliveries (oldest first), each held for `lease` seconds."""
    def work(c):
        query = (select(t.outbox.c.seq, t.outbox.c.history_seq, t.outbox.c.attempts)
                 .where(t.outbox.c.delivered_at.is_(None), or_(t.outbox.c.next_at.is_(None), t.outbox.c.next_at <= wall))
                 .order_by(t.outbox.c.seq).limit(limit))
        if c.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = c.execute(query).all()
        if not rows:
            return []
        c.execute(t.outbox.update().where(t.outbox.c.seq.in_([r[0] for r in rows])).values(next_at=wall + lease))
        bodies = _bodies(c, [r[1] for r in rows])
        return [Delivery(seq, attempts, bodies[history]) for seq, history, attempts in rows if history in bodies]
    return store._write(work)


def anything_due(store, wall: float) -> bool:
    """Is a delivery due? (A read, so an idle deliverer takes no write lock.)"""
    query = select(t.outbox.c.seq).where(t.outbox.c.delivered_at.is_(None),
                                         or_(t.outbox.c.next_at.is_(None), t.outbox.c.next_at <= wall)).limit(1)
    return store._read(lambda c: c.execute(query).first() is not None)


def delivered(store, seq: int) -> None:
    stamp = _dt.datetime.now(_dt.timezone.utc).isoformat()
    store._write(lambda c: c.execute(t.outbox.update().where(t.outbox.c.seq == seq).values(
        delivered_at=stamp, attempts=t.outbox.c.attempts + 1, last_error=None)))


def retry_at(store, seq: int, wall: float, error: str) -> None:
    """Count a failed attempt; try again at `wall` (epoch seconds)."""
    store._write(lambda c: c.execute(t.outbox.update().where(t.outbox.c.seq == seq).values(
        next_at=wall, attempts=t.outbox.c.attempts + 1, last_error=error[:500])))


def depth(store) -> int:
    """Undelivered outbox rows."""
    query = select(func.count()).select_from(t.outbox).where(t.outbox.c.delivered_at.is_(None))
    return store._read(lambda c: c.execute(query).scalar())


def transitions(store, since: int = 0, limit: int = 100) -> tuple:
    """(bodies, next cursor): the transitions after cursor `since`, in order.

    Those with an outbox row: what a webhook gets is what a pull consumer
    gets (a model change made with notify off appears in neither)."""
    def work(c):
        query = (select(t.outbox.c.history_seq).where(t.outbox.c.history_seq > since)
                 .order_by(t.outbox.c.history_seq).limit(limit))
        if c.dialect.name == "postgresql":
            query = query.where(t.outbox.c.history_seq <= _settled(c))
        numbers = list(c.execute(query).scalars())
        bodies = _bodies(c, numbers)
        return [bodies[n] for n in numbers]
    found = store._read(work)
    return found, (int(found[-1]["id"]) if found else since)


def _settled(c, wait: float = 10.0) -> int:
    """PostgreSQL: the highest history seq below which every entry is committed or never will be.

    Writers commit in any order, so an entry can appear after one with a
    higher seq was read, and a cursor past it would skip it. Every seq up to
    the sequence's value now was drawn by a transaction that has committed,
    or is running now: wait (bounded) for those to end, and list no further.
    SQLite needs none of this: its writers take turns."""
    sequence = c.execute(text("SELECT pg_get_serial_sequence('history', 'seq')")).scalar()
    high = c.execute(text(f"SELECT last_value FROM {sequence}")).scalar()
    running = c.execute(text("SELECT pg_current_snapshot()")).scalar()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        busy = c.execute(text("SELECT count(*) FROM pg_snapshot_xip(CAST(:s AS pg_snapshot)) AS x "
                              "WHERE pg_xact_status(x) = 'in progress'"), {"s": str(running)}).scalar()
        if not busy:
            return high
        time.sleep(0.01)
    return 0


def _bodies(c, history_numbers: list) -> dict:
    """history seq → the transition's body (LIVE.md §5): the entry, its model, the lead's current result."""
    if not history_numbers:
        return {}
    rows = c.execute(select(t.history).where(t.history.c.seq.in_(history_numbers))).mappings().all()
    hashes = {row["model_hash"] for row in rows}
    models = {}
    for row in c.execute(select(t.models.c.hash, t.models.c.name, t.models.c.version)
                         .where(t.models.c.hash.in_(hashes)).order_by(t.models.c.id)).mappings():
        models[row["hash"]] = {"name": row["name"], "version": row["version"], "hash": row["hash"]}
    leads = {row["lead_id"] for row in rows}
    results = dict(c.execute(select(t.leads.c.lead_id, t.leads.c.result).where(t.leads.c.lead_id.in_(leads))).all())
    return {row["seq"]: _body(row, models.get(row["model_hash"]), results.get(row["lead_id"])) for row in rows}


def _body(row, model: dict | None, result: str | None) -> dict:
    return {"id": str(row["seq"]), "lead_id": row["lead_id"], "at": row["at"], "cause": json.loads(row["cause"]),
            "entered": json.loads(row["entered"]), "left": json.loads(row["left"]),
            "tier": {"from": row["tier_before"], "to": row["tier_after"]},
            "score": {"from": row["score_before"], "to": row["score_after"]},
            "model": model or {"name": None, "version": None, "hash": row["model_hash"]},
            "result": json.loads(result) if result else None}
