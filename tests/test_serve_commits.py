"""Group commit (leadscore/service/commits.py, `Store.commit`): the writes of concurrent
requests committed in one transaction, each answered with its own report."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from leadscore.live import Store  # noqa: E402
from leadscore.service.commits import Grouped  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-20T00:00:00Z"
MODEL = """model "small" version 1
field employees: number
event demo_request
rule big: +50 when employees >= 100
rule demo: +30 when any demo_request
"""


def event(event_id, lead_id):
    return {"id": event_id, "lead_id": lead_id, "type": "demo_request", "at": "2026-11-19T10:00:00Z"}


@pytest.fixture
def store(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'live.db'}", now=NOW) as opened:
        opened.set_model(MODEL)
        yield opened


def test_writes_committed_together_count_as_if_one_after_the_other(store):
    first = store.prepare([("L2", {"employees": 500}, False)], [event("e1", "L1"), event("e2", "L2")])
    second = store.prepare((), [event("e1", "L1"), event("e3", "L3"), {"lead_id": "L3"}])
    store.commit([first, second])
    assert (first.report.accepted, first.report.duplicates, first.report.leads) == (2, 0, 1)
    assert (second.report.accepted, second.report.duplicates) == (1, 1)
    assert [index for index, _reason in second.report.rejected] == [2]
    assert store.counts() == {"leads": 3, "events": 3}
    assert '"score": 80.0' in store.stored_result("L2")
    causes = [entry["cause"] for entry in store.history("L2")]
    assert causes[-1] == {"kind": "fields", "names": ["employees"], "ids": ["e2"]}


class CountingStore:
    """A store that counts its transactions and holds each one a little, so requests pile up."""

    def __init__(self, store):
        self.store, self.transactions, self.started = store, [], threading.Event()

    def commit(self, pendings):
        self.transactions.append(len(pendings))
        self.started.set()
        threading.Event().wait(0.05)
        self.store.commit(pendings)


def test_requests_waiting_for_a_transaction_are_committed_in_the_next_one(store):
    counting = CountingStore(store)
    grouped = Grouped(counting, threading.Lock())
    reports = {}

    def request(k):
        pending = store.prepare((), [event(f"e{k}", f"L{k % 3}"), event("shared", "L9")])
        grouped.commit(pending)
        reports[k] = pending.report

    first = threading.Thread(target=request, args=(0,))
    first.start()
    counting.started.wait(5)
    others = [threading.Thread(target=request, args=(k,)) for k in range(1, 9)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    assert sum(counting.transactions) == 9 and len(counting.transactions) <= 3
    assert sorted(r.accepted for r in reports.values()) == [1] * 8 + [2]       # "shared" stored once
    assert sum(r.duplicates for r in reports.values()) == 8
    assert store.counts()["events"] == 10


def test_a_failed_transaction_fails_every_request_in_it(store):
    class Failing:
        def commit(self, pendings):
            raise RuntimeError("the disk is full")

    grouped = Grouped(Failing(), threading.Lock())
    with pytest.raises(RuntimeError, match="disk is full"):
        grouped.commit(store.prepare((), [event("e1", "L1")]))
