"""The live store on a real PostgreSQL server (tests/pgserver.py): the done-when test, the
property test, and two processes ingesting into one store at once."""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("sqlalchemy")
pytest.importorskip("psycopg")
sys.path.insert(0, os.path.dirname(__file__))

from live_check import check, deliveries  # noqa: E402
from test_live_store import EXAMPLES, NOW, b2b_reference, results_lines, rows_of  # noqa: E402

from leadscore.live import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_numbers = itertools.count()


def fresh(server) -> str:
    return server.new_database(f"live{next(_numbers)}")


def test_b2b_in_shuffled_chunks_delivered_twice_equals_the_batch(postgres_server):
    store = Store.open(fresh(postgres_server), now=NOW)
    try:
        store.set_model((EXAMPLES / "b2b.score").read_text(), "b2b.score", str(EXAMPLES))
        leads, events = rows_of(EXAMPLES / "b2b/leads.csv"), rows_of(EXAMPLES / "b2b/events.csv")
        store.write([(row["id"], row, False) for row in leads], ())
        delivered = events * 2
        random.Random(7).shuffle(delivered)
        for k in range(3):
            store.ingest_events(delivered[k * len(delivered) // 3:(k + 1) * len(delivered) // 3])
        reference = b2b_reference()
        assert results_lines(store) == reference
        assert [store.stored_result(json.loads(line)["id"]) for line in reference] == reference
    finally:
        store.close()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=deliveries())
def test_live_store_equals_the_batch_on_postgres(postgres_server, drawn):
    model, chunks = drawn
    check(fresh(postgres_server), model, chunks)


def test_two_processes_ingesting_at_once(postgres_server, tmp_path):
    """Two `leadscore ingest` processes, each with half of the events and a shared third, at once."""
    url = fresh(postgres_server)
    model, leads = EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv"
    setup = leadscore("ingest", model, "--store", url, "--leads", leads, "--now", NOW, cwd=tmp_path)
    assert setup.returncode == 0, setup.stderr
    with open(EXAMPLES / "b2b/events.csv", newline="") as handle:
        reader = csv.reader(handle)
        header, rows = next(reader), list(reader)
    random.Random(3).shuffle(rows)
    third = len(rows) // 3
    parts = [rows[:2 * third], rows[third:]]             # the middle third goes to both
    paths = []
    for k, part in enumerate(parts):
        path = tmp_path / f"events{k}.csv"
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(part)
        paths.append(path)
    running = [popen("ingest", "--store", url, "--events", path, "--now", NOW, cwd=tmp_path) for path in paths]
    outcomes = [process.communicate(timeout=600) for process in running]
    assert [process.returncode for process in running] == [0, 0], outcomes
    store = Store.open(url, now=NOW)
    try:
        assert store.counts()["events"] == len(rows)
        reference = b2b_reference()
        assert results_lines(store) == reference
        assert [store.stored_result(json.loads(line)["id"]) for line in reference] == reference
    finally:
        store.close()


def command(*args) -> list:
    code = "import sys; from leadscore.cli import entry; sys.argv[0] = 'leadscore'; entry()"
    return [sys.executable, "-c", code, *map(str, args)]


def leadscore(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, cwd=cwd, timeout=600)


def popen(*args, cwd) -> subprocess.Popen:
    return subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)


def test_a_write_locks_its_accounts_before_any_lead_row(postgres_server, monkeypatch):
    """Accounts first, then leads, in every writer: a write re-scoring an account's leads never
    waits for a row held by a writer that waits for that account (docs/live.md)."""
    store = Store.open(fresh(postgres_server), now=NOW)
    try:
        store.set_model((EXAMPLES / "b2b.score").read_text(), "b2b.score", str(EXAMPLES))
        store.write([("A", {"email": "a@acme.com"}, False), ("B", {"email": "b@acme.com"}, False)], ())
        order = []
        lock_accounts, lock_leads = Store._lock_accounts, Store._lock
        monkeypatch.setattr(Store, "_lock_accounts", lambda self, c, keys: (
            order.append(("accounts", sorted(set(keys)))), lock_accounts(self, c, keys)))
        monkeypatch.setattr(Store, "_lock", lambda self, c, ids: (order.append(("leads", ids)), lock_leads(self, c, ids)))
        store.ingest_events([{"lead_id": "A", "type": "demo_request", "at": NOW}])
        assert order[:2] == [("accounts", ["'acme.com'"]), ("leads", ["A"])]
    finally:
        store.close()
