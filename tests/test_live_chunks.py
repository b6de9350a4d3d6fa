"""Re-scoring many leads a chunk at a time (leadscore/live/store.py `_chunks_of`, rescoring.py
`chunked`): each chunk holds whole accounts, and the stored results are those of scoring every
lead at once."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from leadscore.batch.io import read_rows  # noqa: E402
from leadscore.live import Store, store as store_module  # noqa: E402
from leadscore.live.rescoring import LineWriter, chunked  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-20T00:00:00Z"


def test_chunks_hold_whole_accounts_in_the_order_given():
    keys = {"a": "x", "b": None, "c": "x", "d": "y", "e": None, "f": "y", "g": "x"}
    assert chunked(["a", "b", "d", "e"], keys, 3) == [["a", "c", "g"], ["b", "d", "f"], ["e"]]
    assert chunked(sorted(keys), keys, 100) == [sorted(keys)]


@pytest.mark.parametrize("size", [1, 7])
def test_a_model_change_scored_in_chunks_stores_what_scoring_every_lead_gives(size, tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", size)
    monkeypatch.setattr(store_module, "SMALL", 0)           # the sweep goes in chunks too
    leads = [item.data for item in read_rows(str(ROOT / "examples/b2b/leads.csv"))][:60]
    events = [item.data for item in read_rows(str(ROOT / "examples/b2b/events.csv"))]
    known = {row["id"] for row in leads}
    with Store.open(f"sqlite:///{tmp_path / 'live.db'}", now=NOW) as store:
        store.write([(row["id"], row, False) for row in leads], [e for e in events if e["lead_id"] in known])
        text = (ROOT / "examples/b2b.score").read_text()
        store.set_model(text, "b2b.score", str(ROOT / "examples"))
        later = "2026-12-01T00:00:00Z"
        store.sweep(later)
        writer = LineWriter(store.model().compiled)
        at = {when: {r.id: writer.line(r) for r in store.results(when)} for when in (NOW, later)}
        stored = {lead_id: store.stored_result(lead_id) for lead_id in at[NOW]}
        # a lead the sweep left (it cannot move with time) keeps its line of NOW
        swept = {lead_id for lead_id, line in stored.items() if '"now": "2026-12-01' in line}
        assert len(stored) == 60 and len(swept) > 30
        assert stored == {lead_id: at[later if lead_id in swept else NOW][lead_id] for lead_id in stored}
        for lead_id in set(stored) - swept:           # and scoring it later gives the same but its now
            assert at[later][lead_id] == at[NOW][lead_id].replace('"now": "2026-11-20', '"now": "2026-12-01')


def indexes(path) -> set:
    import sqlite3
    with sqlite3.connect(path) as connection:
        return {name for name, in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_new_store_builds_its_index_of_events_by_lead_after_a_bulk_load(tmp_path):
    path = tmp_path / "live.db"
    with Store.open(f"sqlite:///{path}", now=NOW) as store:
        with store.loading():
            assert "events_lead" not in indexes(path)
            store.ingest_events([{"lead_id": "L1", "type": "page_view", "at": NOW}])
        assert "events_lead" in indexes(path)
        with store.loading():                                  # a store with leads keeps it
            assert "events_lead" in indexes(path)
        with pytest.raises(RuntimeError), store.loading():
            raise RuntimeError("cut short")
    empty = tmp_path / "empty.db"
    with Store.open(f"sqlite:///{empty}") as store:
        store._write(lambda c: store_module.t.drop_deferred(c))     # as a load killed midway leaves it
    with Store.open(f"sqlite:///{empty}"):
        assert "events_lead" in indexes(empty)
