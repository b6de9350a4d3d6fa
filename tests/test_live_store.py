"""The live store (leadscore/live/, docs/live.md): exact results, idempotent ingest, history,
transitions, time, models and the schema version, on SQLite."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("sqlalchemy")

from leadscore.cli import main  # noqa: E402
from leadscore.live import ModelRefused, Store, StoreError  # noqa: E402
from leadscore.live import schema as live_schema  # noqa: E402
from leadscore.batch.io import read_rows  # noqa: E402
from leadscore.runtime.resultjson import ResultLines  # noqa: E402
from live_check import expected_lines, ingest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-11-20T00:00:00Z"

SMALL = """
model "small" version 1
field email: text
field employees: number
event demo_request
event page_view(url: text)
clamp 0..100
rule big: +40 when employees >= 100
rule demo: +50 when any demo_request within 7d
rule views: +1 each page_view, max 5
tiers: cold, warm >= 40, hot >= 80
qualify mql when score >= 80
disqualify competitor when domain(email) in ["rival.com"]
"""

NEXT = SMALL.replace('version 1', 'version 2').replace("+40 when employees >= 100", "+45 when employees >= 50")


def open_store(tmp_path, now=NOW, name="live.db") -> Store:
    return Store.open(f"sqlite:///{tmp_path / name}", now=now)


def b2b_reference(*extra) -> list:
    """`leadscore score` on the shipped example, lines ordered by lead id."""
    result = CliRunner().invoke(main, ["score", str(EXAMPLES / "b2b.score"), "--leads",
                                       str(EXAMPLES / "b2b/leads.csv"), "--events",
                                       str(EXAMPLES / "b2b/events.csv"), "--now", NOW, *extra])
    assert result.exit_code == 0, result.output
    return sorted(result.stdout.splitlines(), key=lambda line: json.loads(line)["id"])


def rows_of(path) -> list:
    return [item.data for item in read_rows(str(path))]


def results_lines(store: Store, now=NOW) -> list:
    lines = ResultLines(store.model().compiled.plan)
    return [lines.text(result) for result in store.results(now)]


def test_b2b_in_shuffled_chunks_delivered_twice_equals_the_batch(tmp_path):
    store = open_store(tmp_path)
    store.set_model((EXAMPLES / "b2b.score").read_text(), "b2b.score", str(EXAMPLES))
    leads, events = rows_of(EXAMPLES / "b2b/leads.csv"), rows_of(EXAMPLES / "b2b/events.csv")
    store.write([(row["id"], row, False) for row in leads], ())
    delivered = events * 2
    random.Random(19).shuffle(delivered)
    accepted = duplicates = 0
    for k in range(3):
        report = store.ingest_events(delivered[k * len(delivered) // 3:(k + 1) * len(delivered) // 3])
        accepted, duplicates = accepted + report.accepted, duplicates + report.duplicates
    assert (accepted, duplicates) == (len(events), len(events))
    reference = b2b_reference()
    assert results_lines(store) == reference
    # the stored results, kept up to date by each ingest, are the same lines
    assert [store.stored_result(json.loads(line)["id"]) for line in reference] == reference
    assert store.result("L7") == reference[[json.loads(x)["id"] for x in reference].index("L7")]


def test_events_before_fields_and_undeclared_types(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    report = store.ingest_events([{"lead_id": "A", "type": "demo_request", "at": "2026-11-19T00:00:00Z"},
                                  {"lead_id": "A", "type": "webinar", "at": "2026-11-19T00:00:00Z"}])
    assert (report.accepted, report.duplicates, report.rejected) == (2, 0, [])
    assert json.loads(store.result("A"))["score"] == 50          # a lead known only by its events
    store.put_fields("A", {"email": "a@acme.com", "employees": 500})
    assert json.loads(store.result("A"))["score"] == 90
    assert store.result("nobody") is None


def test_rejects_and_duplicates(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    rows = [{"lead_id": " ", "type": "demo_request", "at": NOW},
            {"lead_id": "A", "at": NOW},
            {"lead_id": "A", "type": "demo_request", "at": "yesterday"},
            {"lead_id": 1.5, "type": "demo_request", "at": NOW},
            "not an object",
            {"lead_id": "A", "type": "demo_request", "at": NOW, "id": "e1"},
            {"lead_id": "A", "type": "demo_request", "at": "2026-11-18T00:00:00Z", "id": "e1"},
            {"lead_id": "A", "type": "page_view", "at": NOW, "url": "/"},
            {"lead_id": "A", "type": "page_view", "at": NOW, "url": "/"}]
    report = store.ingest_events(rows)
    assert [index for index, _ in report.rejected] == [0, 1, 2, 3, 4]
    reasons = [reason for _, reason in report.rejected]
    assert reasons[0] == "event: missing lead id (column `lead_id`)"
    assert reasons[1] == "event: missing event `type`"
    assert reasons[2].startswith("event: cannot read event time `at`")
    assert (report.accepted, report.duplicates) == (2, 2)       # same id; same content without an id
    again = store.ingest_events(rows[5:])
    assert (again.accepted, again.duplicates) == (0, 4)
    assert store.counts() == {"leads": 1, "events": 2}


def test_a_lead_written_from_python_is_refused_by_the_batchs_rules(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    with pytest.raises(StoreError, match=r"^lead: id must be text or a whole number, not 1\.5$"):
        store.put_fields(1.5, {})
    with pytest.raises(StoreError, match=r"^lead: `events` must be a list of events$"):
        store.put_fields("A", {"events": "none"})
    store.write([(17, {}, False)], ())             # a whole number is its text
    assert store.counts()["leads"] == 1 and store.stored_result("17") is not None


def test_history_one_entry_per_real_change_with_its_cause(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"email": "a@acme.com", "employees": 10})
    store.put_fields("A", {"email": "a@acme.com", "employees": 10})          # nothing changed
    store.ingest_events([{"lead_id": "A", "type": "webinar", "at": NOW}])    # undeclared: no change
    store.ingest_events([{"id": "d1", "lead_id": "A", "type": "demo_request", "at": "2026-11-19T00:00:00Z"}])
    store.put_fields("A", {"employees": 200}, merge=True)
    entries = store.history("A")
    assert [e["cause"]["kind"] for e in entries] == ["fields", "events", "fields"]
    first, demo, bigger = entries
    assert first["score"] == {"from": None, "to": 0.0} and first["tier"] == {"from": None, "to": "cold"}
    assert not first["transition"]
    assert demo["cause"]["ids"] == ["d1"] and demo["tier"] == {"from": "cold", "to": "warm"} and demo["transition"]
    assert bigger["cause"]["names"] == ["employees"]
    assert bigger["entered"] == [{"scope": "global", "name": "mql", "kind": "qualify"}]
    # the entries replay the score
    assert [e["score"]["to"] for e in entries] == [0.0, 50.0, 90.0]
    assert json.loads(store.stored_result("A"))["score"] == 90.0


def test_transitions_cursor_and_outbox(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"email": "a@acme.com", "employees": 200})
    store.put_fields("B", {"email": "b@rival.com"})
    store.ingest_events([{"lead_id": "A", "type": "demo_request", "at": "2026-11-19T00:00:00Z"}])
    everything, cursor = store.transitions()
    assert [(e["lead_id"], [s["name"] for s in e["entered"]]) for e in everything] == [
        ("B", ["competitor"]), ("A", ["mql"])]
    page, middle = store.transitions(since=0, limit=1)
    assert page == everything[:1]
    rest, end = store.transitions(since=middle)
    assert rest == everything[1:] and end == cursor
    assert store.transitions(since=cursor) == ([], cursor)
    assert [lead for _seq, _history, lead in store.outbox()] == ["B", "A"]


def test_time_a_read_is_exact_and_the_sweep_appends_time_entries(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 200})
    store.put_fields("Q", {"employees": 1})                       # no events: the sweep leaves it
    store.ingest_events([{"lead_id": "A", "type": "demo_request", "at": "2026-11-19T00:00:00Z"}])
    later = "2026-11-30T00:00:00Z"
    assert json.loads(store.result("A", now=later))["score"] == 40   # computed at the moment asked
    assert json.loads(store.stored_result("A"))["score"] == 90       # stored until a sweep
    assert store.sweep(later) == 1
    entry = store.history("A")[-1]
    assert entry["cause"] == {"kind": "time"} and entry["left"][0]["name"] == "mql"
    assert json.loads(store.stored_result("A"))["now"] == "2026-11-30T00:00:00+00:00"
    assert json.loads(store.stored_result("Q"))["now"] == "2026-11-20T00:00:00+00:00"
    assert store.sweep(later) == 0


def test_model_set_refuses_an_invalid_text_and_changes_nothing(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 200})
    with pytest.raises(ModelRefused) as refused:
        store.set_model("model \"broken\"\nrule x: +1 when nothing_declared > 1\n")
    assert "nothing_declared" in refused.value.diagnostics
    assert store.model().name == "small" and len(store.history("A")) == 1


def test_model_set_rescores_with_cause_model(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 60})
    store.put_fields("B", {"employees": 5})
    old_hash = store.model().hash
    assert store.set_model(NEXT) == 1                 # only A's result changes
    entry = store.history("A")[-1]
    assert entry["cause"] == {"kind": "model", "from": old_hash, "to": store.model().hash}
    assert entry["score"] == {"from": 0.0, "to": 45.0}
    assert len(store.history("B")) == 1


def test_model_transitions_notify_unless_told_not_to(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 60})
    before = len(store.outbox())
    store.set_model(NEXT, notify=False)               # A: cold -> warm, in history only
    assert len(store.outbox()) == before
    assert store.history("A")[-1]["transition"]
    store.set_model(SMALL)                            # A: warm -> cold, notified
    assert len(store.outbox()) == before + 1


def test_a_read_can_explain(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 200})
    explained = json.loads(store.result("A", explain=True))
    assert [c["rule"] for c in explained["contributions"]] == ["big"]
    assert "contributions" not in json.loads(store.result("A"))


def test_shadow_scores_every_change_impact_and_promote(tmp_path):
    store = open_store(tmp_path)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 60})
    store.put_fields("B", {"employees": 5})
    store.set_shadow(NEXT)
    store.put_fields("C", {"employees": 70})
    impact = store.impact()
    assert impact.leads == 3
    assert impact.tiers.to_dict()["counts"] == [[1, 2, 0], [0, 0, 0], [0, 0, 0]]
    assert store.history("A")[-1]["cause"]["kind"] == "fields"    # the shadow notifies no one
    assert store.promote() == 2
    assert store.model().version == "2" and store.shadow is None
    assert json.loads(store.stored_result("C"))["score"] == 45.0
    with pytest.raises(StoreError):
        store.promote()


def test_account_mates_are_rescored_and_a_moved_lead_updates_both_accounts(tmp_path):
    text = (EXAMPLES / "b2b.score").read_text()
    store = open_store(tmp_path)
    store.set_model(text, "b2b.score", str(EXAMPLES))
    leads = rows_of(EXAMPLES / "b2b/leads.csv")[:40]
    events = [e for e in rows_of(EXAMPLES / "b2b/events.csv") if e["lead_id"] in {r["id"] for r in leads}]
    store.write([(row["id"], row, False) for row in leads], events)
    first = leads[0]
    moved = dict(first, email="someone@" + leads[5]["email"].split("@")[1])
    store.put_fields(first["id"], moved)
    leads[0] = moved
    fresh = open_store(tmp_path, name="fresh.db")
    fresh.set_model(text, "b2b.score", str(EXAMPLES))
    fresh.write([(row["id"], row, False) for row in leads], events)
    for row in leads:
        assert store.stored_result(row["id"]) == fresh.stored_result(row["id"]), row["id"]


def test_keys_equal_as_values_are_one_account_as_in_a_batch(tmp_path):
    """A batch's accounts are a dict of keys, so employees 0 and "-0" (0.0 and -0.0) are one
    account; the store once kept them apart (their texts differ) and scored L2 alone. Found by
    the property test of live_check.py at 400 examples."""
    text = ('model "k"\nfield employees: number\nevent visit\n'
            'account by employees {\n    rule mates: +1 when count(leads) >= 2\n'
            '    rule busy: +2 each visit, max 9\n}\n')
    chunks = [[("fields", "L1", {"id": "L1", "employees": 0}), ("fields", "L2", {"id": "L2", "employees": "-0"}),
               ("event", "L1", {"lead_id": "L1", "type": "visit", "at": "2026-11-19T00:00:00Z"})],
              [("event", "L2", {"lead_id": "L2", "type": "visit", "at": "2026-11-18T00:00:00Z"})]]
    store = open_store(tmp_path)
    store.set_model(text, "k.score", str(tmp_path))
    ingest(store, chunks)
    expected = expected_lines(text, chunks)
    assert [json.loads(line)["score"] for line in expected] == [5.0, 5.0]
    assert [store.stored_result(lead_id) for lead_id in ("L1", "L2")] == expected
    assert results_lines(store) == expected


def test_a_newer_schema_is_refused_and_an_older_one_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store.open(url)
    store.set_model(SMALL)
    store.put_fields("A", {"employees": 200})
    with store.engine.begin() as c:              # the version-0 layout: no shadow columns
        c.exec_driver_sql("DROP INDEX leads_shadow_account")
        c.exec_driver_sql("ALTER TABLE leads DROP COLUMN shadow_result")
        c.exec_driver_sql("ALTER TABLE leads DROP COLUMN shadow_account_key")
        c.exec_driver_sql("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    store.close()
    upgraded = Store.open(url, now=NOW)
    with upgraded.engine.connect() as c:
        assert live_schema.version_of(c) == live_schema.SCHEMA_VERSION
    upgraded.set_shadow(NEXT)
    assert json.loads(upgraded.result("A"))["score"] == 40
    with upgraded.engine.begin() as c:
        c.exec_driver_sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    upgraded.close()
    with pytest.raises(StoreError, match="schema version 99, newer"):
        Store.open(url)


def test_bad_urls_and_times_are_one_line_errors(tmp_path):
    with pytest.raises(StoreError, match="unknown store URL"):
        Store.open("mysql://x")
    store = open_store(tmp_path)
    with pytest.raises(StoreError, match="no model"):
        store.result("A")
    with pytest.raises(StoreError):
        store.sweep("not a time")


def test_a_deadlock_raised_by_the_driver_itself_is_retried(tmp_path):
    """`Driver` statements raise the DBAPI's own errors (not SQLAlchemy's): a deadlock is still retried."""
    psycopg = pytest.importorskip("psycopg")
    store = open_store(tmp_path)
    tries = []

    def work(_connection):
        tries.append(1)
        if len(tries) < 3:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return "done"
    assert store._write(work) == "done" and len(tries) == 3
    with pytest.raises(StoreError, match="the store refused a write: not null"):
        store._write(lambda _c: (_ for _ in ()).throw(psycopg.errors.NotNullViolation("not null")))


def test_sqlite_keeps_committed_writes_across_a_crash_and_pages_in_memory(tmp_path):
    """docs/live.md, "Durability and speed": WAL with synchronous=NORMAL, a 64 MB page cache,
    the log copied back every 4,000 pages."""
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        with store.engine.connect() as connection:
            pragma = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                      for name in ("journal_mode", "synchronous", "cache_size", "wal_autocheckpoint")}
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "cache_size": -65536, "wal_autocheckpoint": 4000}


def test_a_field_change_names_only_the_values_that_changed_as_json(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 's.db'}", now=NOW) as store:
        store.set_model(SMALL, "small.score")
        store.put_fields("L1", {"email": "a@b.com", "employees": 1, "x": float("nan"), "y": "1"})
        store.put_fields("L1", {"email": "a@b.com", "employees": 100, "x": float("nan"), "y": 1})
        causes = [entry["cause"] for entry in store.history("L1")]
    assert causes == [{"kind": "fields", "names": ["email", "employees", "x", "y"]},
                      {"kind": "fields", "names": ["employees", "y"]}]      # NaN is NaN; "1" is not 1


def test_put_fields_with_a_whole_number_id_answers_its_result(tmp_path):
    """An id given as the JSON integer 17 is the id "17" (INTERFACE.md §3), written and read back alike."""
    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}", now="2026-11-20T00:00:00Z")
    try:
        store.set_model('field title: text\nrule r: +5 when title == "vp"\n', "m.score")
        line = store.put_fields(17, {"title": "VP"})
        assert json.loads(line)["id"] == "17" and json.loads(line)["score"] == 5.0
    finally:
        store.close()


ACCOUNTS = """
model "accounts" version 1
field email: text
field title: text
event page_view(url: text)
event email_open
rule exec: +20 when title == "CEO"
rule opens: +1 each email_open
account by domain(email) {
    rule busy: +30 when count(page_view) >= 3, because "the company viewed 3+ pages"
    rule team: +5 when count(leads) >= 2
}
tiers: cold, hot >= 50
"""


def test_an_event_reaches_an_accounts_other_leads_only_when_it_changes_the_account(tmp_path):
    """A write of events alone re-scores the other leads of an account only when the account's
    shared part changes (batch.Change): an untouched lead's stored result keeps the `now` it was
    computed at, history shows the account's change, and every stored result equals a store
    built from the same data in one write."""
    store = open_store(tmp_path)
    store.set_model(ACCOUNTS)
    people = [("A", "a@acme.com", "CEO"), ("B", "b@acme.com", "Analyst"), ("C", "c@acme.com", "Analyst"),
              ("D", "d@other.com", "CEO")]
    store.write([(i, {"email": e, "title": t}, False) for i, e, t in people], [])
    written = []

    def ingest(event_id, lead_id, kind, hour):
        written.append({"id": event_id, "lead_id": lead_id, "type": kind, "at": "2026-11-19T10:00:00Z"})
        store.ingest_events([written[-1]], now=f"2026-11-20T{hour:02d}:00:00Z")

    def computed_at():
        return {i: json.loads(store.stored_result(i))["now"][11:13] for i in "ABCD"}

    ingest("e1", "A", "email_open", 1)                   # A's own score moves; the account does not
    ingest("e2", "B", "page_view", 2)
    ingest("e3", "C", "page_view", 3)
    assert computed_at() == {"A": "01", "B": "02", "C": "03", "D": "00"}
    assert [len(store.history(i)) for i in "BC"] == [1, 1]
    ingest("e4", "A", "page_view", 4)                    # the third view: `busy` fires for all of acme
    assert computed_at() == {"A": "04", "B": "04", "C": "04", "D": "00"}
    cause = store.history("B")[-1]["cause"]
    assert cause["kind"] == "events" and cause["account"] == ["A"] and cause["ids"] == ["e4"]
    ingest("e5", "E", "page_view", 4)                    # a lead known by its events only: no account
    fresh = open_store(tmp_path, now="2026-11-20T04:00:00Z", name="fresh.db")
    fresh.set_model(ACCOUNTS)
    fresh.write([(i, {"email": e, "title": t}, False) for i, e, t in people], written)
    for lead_id in "ABCDE":                               # equal but for D's older `now`
        assert store.stored_result(lead_id).replace("T00:", "T04:") == fresh.stored_result(lead_id), lead_id


def test_bulk_work_collects_less_often_and_puts_the_thresholds_back(tmp_path, monkeypatch):
    """collection.py: a load, a model's re-score of every lead, a large sweep and `results` score
    with the young generation collected every 100,000 allocations; a one-event write keeps the
    process's own thresholds, and every one is put back afterwards."""
    import gc
    from leadscore.live import collection
    from leadscore.live import store as live_store
    seen = []

    def watched(*args, **kwargs):
        seen.append(gc.get_threshold()[0])
        return real(*args, **kwargs)
    real = live_store.score_rows
    monkeypatch.setattr(live_store, "score_rows", watched)
    monkeypatch.setattr(live_store, "SMALL", 100)        # b2b's 300 leads make a large sweep
    before = gc.get_threshold()
    assert collection.BULK[0] > before[0]
    store = open_store(tmp_path)
    runner = CliRunner()
    done = runner.invoke(main, ["ingest", str(EXAMPLES / "b2b.score"), "--store", f"sqlite:///{tmp_path / 'live.db'}",
                                "--leads", str(EXAMPLES / "b2b/leads.csv"), "--events", str(EXAMPLES / "b2b/events.csv"),
                                "--now", NOW])
    assert done.exit_code == 0, done.output
    assert seen and set(seen) == {collection.BULK[0]} and gc.get_threshold() == before
    for bulk_work in (lambda: store.set_model(NEXT_B2B, "b2b.score", str(EXAMPLES)),
                      lambda: store.sweep("2026-11-21T00:00:00Z"), lambda: list(store.results())):
        seen.clear()
        bulk_work()
        assert seen and set(seen) == {collection.BULK[0]} and gc.get_threshold() == before
    seen.clear()
    store.ingest_events([{"id": "one", "lead_id": "L7", "type": "demo_request", "at": "2026-11-19T10:00:00Z"}])
    assert seen == [before[0]] and gc.get_threshold() == before
    with collection.fewer_collections():
        with collection.fewer_collections():
            assert gc.get_threshold()[0] == collection.BULK[0]
        assert gc.get_threshold()[0] == collection.BULK[0]
    assert gc.get_threshold() == before
    store.close()


NEXT_B2B = (EXAMPLES / "b2b.score").read_text().replace('model "b2b-saas" version 2', 'model "b2b-saas" version 3')
