"""The service's routes, auth, refusals and Segment mapping, in-process (LIVE.md §7)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leadscore.service import segment  # noqa: E402
from leadscore.service.app import Settings, create_app, open_store  # noqa: E402
from leadscore.service.auth import TokenFileError, Tokens, parse  # noqa: E402
from leadscore.service.sweep import parse_duration  # noqa: E402
from leadscore.service.webhooks import backoff, signature  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL, LEADS, EVENTS = ROOT / "examples/b2b.score", ROOT / "examples/b2b/leads.csv", ROOT / "examples/b2b/events.csv"
NOW = "2026-11-20T00:00:00Z"
TOKENS = {"r": "read", "w": "write", "a": "admin"}
READ, WRITE, ADMIN = ({"Authorization": f"Bearer {t}"} for t in TOKENS)
SMALL = """model "small" version 1
field employees: number
event demo_request
rule big: +50 when employees >= 100
rule demo: +30 when any demo_request
tiers: cold, hot >= 60
qualify mql when score >= 70
"""


@pytest.fixture
def service(tmp_path):
    """A TestClient over a new store with the b2b model and a fixed clock, and its store."""
    def make(model=MODEL, tokens=TOKENS, **options):
        settings = Settings(f"sqlite:///{tmp_path / 'live.db'}", str(model), Tokens(tokens), now=NOW, **options)
        store, _note = open_store(settings)
        client = TestClient(create_app(settings, store))
        client.__enter__()
        opened.append(client)
        return client
    opened = []
    yield make
    for client in opened:
        client.__exit__(None, None, None)


def rows(path) -> list:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]


def batch_lines(tmp_path, leads: list, events: list) -> dict:
    """id → `leadscore score`'s line for these rows (JSON Lines files)."""
    (tmp_path / "l.jsonl").write_text("".join(json.dumps(r) + "\n" for r in leads))
    (tmp_path / "e.jsonl").write_text("".join(json.dumps(r) + "\n" for r in events))
    done = subprocess.run([sys.executable, "-m", "leadscore", "score", str(MODEL), "--leads", "l.jsonl",
                           "--events", "e.jsonl", "--now", NOW], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return {json.loads(line)["id"]: line for line in done.stdout.splitlines()}


def is_json_error(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert isinstance(body["error"], str) and body["error"]
    return body


# ---- ingest and reading ------------------------------------------------------------------------

def test_events_are_acknowledged_after_rescoring_and_equal_the_batch(service, tmp_path):
    client = service()
    leads, events = rows(LEADS)[:40], [e for e in rows(EVENTS) if e["lead_id"] in {f"L{i}" for i in range(1, 41)}]
    for lead in leads:
        assert client.put(f"/v1/leads/{lead['id']}", json=lead, headers=WRITE).status_code == 200
    answer = client.post("/v1/events", json=events + [{"lead_id": "L1"}, "x"], headers=WRITE)
    assert answer.status_code == 200
    assert answer.json() == {"accepted": len(events), "duplicates": 0, "rejected": [
        {"index": len(events), "reason": "event: missing event `type`"},
        {"index": len(events) + 1, "reason": "event: an event must be an object"}]}
    again = client.post("/v1/events", json=events[:5], headers=WRITE).json()
    assert again == {"accepted": 0, "duplicates": 5, "rejected": []}
    expected = batch_lines(tmp_path, leads, events)
    for lead in leads:
        answer = client.get(f"/v1/leads/{lead['id']}", headers=READ)
        assert answer.status_code == 200 and answer.text == expected[lead["id"]]
    explained = client.get("/v1/leads/L1", params={"explain": "true"}, headers=READ).json()
    assert "contributions" in json.dumps(explained)
    later = client.get("/v1/leads/L1", params={"now": "2027-06-01T00:00:00Z"}, headers=READ).json()
    assert later["now"].startswith("2027-06-01")
    is_json_error(client.get("/v1/leads/nobody", headers=READ), 404)
    is_json_error(client.get("/v1/leads/L1", params={"now": "soon"}, headers=READ), 400)


def test_put_replaces_patch_merges_and_history_lists_changes(service, small):
    client = service(model=small)
    assert client.put("/v1/leads/A", json={"employees": 500}, headers=WRITE).json()["score"] == 50
    assert client.patch("/v1/leads/A", json={"other": 1}, headers=WRITE).json()["score"] == 50
    assert client.put("/v1/leads/A", json={"other": 1}, headers=WRITE).json()["score"] == 0
    history = client.get("/v1/leads/A/history", headers=READ).json()
    assert [e["score"]["to"] for e in history["history"]] == [50, 0]
    is_json_error(client.get("/v1/leads/nobody/history", headers=READ), 404)
    is_json_error(client.put("/v1/leads/A", json=[1], headers=WRITE), 422)


@pytest.fixture
def small(tmp_path):
    (tmp_path / "small.score").write_text(SMALL)
    return tmp_path / "small.score"


def test_list_filters_orders_by_score_and_pages_with_a_cursor(service, small):
    client = service(model=small)
    for number, employees in enumerate([10, 500, 300, 50, 1000]):
        client.put(f"/v1/leads/L{number}", json={"employees": employees}, headers=WRITE)
    client.post("/v1/events", json=[{"lead_id": "L1", "type": "demo_request", "at": NOW},
                                    {"lead_id": "L3", "type": "demo_request", "at": NOW}], headers=WRITE)
    seen, cursor = [], None
    for _page in range(10):
        page = client.get("/v1/leads", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                          headers=READ).json()
        seen += [(r["id"], r["score"]) for r in page["leads"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [("L1", 80), ("L2", 50), ("L4", 50), ("L3", 30), ("L0", 0)]
    hot = client.get("/v1/leads", params={"tier": "hot"}, headers=READ).json()["leads"]
    assert [r["id"] for r in hot] == ["L1"]
    assert [r["id"] for r in client.get("/v1/leads", params={"qualified": "mql"}, headers=READ).json()["leads"]] \
        == ["L1"]
    is_json_error(client.get("/v1/leads", params={"cursor": "!!"}, headers=READ), 400)
    is_json_error(client.get("/v1/leads", params={"limit": 0}, headers=READ), 422)


def test_campaign_and_tag_filters(service):
    client = service()
    client.put("/v1/leads/L1", json=rows(LEADS)[0], headers=WRITE)
    client.post("/v1/events", json=[e for e in rows(EVENTS) if e["lead_id"] == "L1"], headers=WRITE)
    line = client.get("/v1/leads/L1", headers=READ).json()
    campaign, part = next(iter(line["campaigns"].items()))
    found = client.get("/v1/leads", params={"campaign": campaign, "tier": part["tier"]}, headers=READ).json()
    assert [r["id"] for r in found["leads"]] == ["L1"]
    assert client.get("/v1/leads", params={"campaign": "nope"}, headers=READ).json()["leads"] == []
    for tag in line["tags"]:
        assert [r["id"] for r in client.get("/v1/leads", params={"tag": tag}, headers=READ).json()["leads"]] == ["L1"]


def test_stateless_score_stores_nothing(service, tmp_path):
    client = service()
    lead = rows(LEADS)[6]
    events = [e for e in rows(EVENTS) if e["lead_id"] == lead["id"]]
    answer = client.post("/v1/score", json={"lead": lead, "events": events, "now": NOW}, headers=READ)
    assert answer.status_code == 200 and answer.text == batch_lines(tmp_path, [lead], events)[lead["id"]]
    assert client.get(f"/v1/leads/{lead['id']}", headers=READ).status_code == 404
    is_json_error(client.post("/v1/score", json={"lead": {}}, headers=READ), 422)
    is_json_error(client.post("/v1/score", json={"lead": {"id": "X"}, "bogus": 1}, headers=READ), 422)
    is_json_error(client.post("/v1/score", json={"lead": {"id": "X"}, "events": [{"type": "x"}]}, headers=READ), 422)


# ---- models ---------------------------------------------------------------------------------------

def test_models_replace_shadow_impact_promote(service, small):
    client = service(model=small)
    client.put("/v1/leads/A", json={"employees": 500}, headers=WRITE)
    active = client.get("/v1/model", headers=ADMIN).json()
    assert active["active"]["name"] == "small" and active["shadow"] is None
    bad = is_json_error(client.put("/v1/model", content="model broken\nrule x: +", headers=ADMIN), 422)
    assert bad["diagnostics"][0]["severity"] == "error" and bad["diagnostics"][0]["line"] >= 1
    assert client.get("/v1/model", headers=ADMIN).json()["active"]["hash"] == active["active"]["hash"]
    bigger = SMALL.replace("+50 when employees", "+80 when employees")
    shadow = client.put("/v1/model/shadow", content=bigger, headers=ADMIN)
    assert shadow.status_code == 200 and shadow.json()["shadow"]["name"] == "small"
    impact = client.get("/v1/model/shadow/impact", headers=ADMIN).json()
    assert impact["tiers"]["counts"] == [[0, 1], [0, 0]]
    promoted = client.post("/v1/model/shadow/promote", headers=ADMIN)
    assert promoted.status_code == 200 and promoted.json()["changed"] == 1
    assert client.get("/v1/leads/A", headers=READ).json()["score"] == 80
    is_json_error(client.post("/v1/model/shadow/promote", headers=ADMIN), 409)
    is_json_error(client.get("/v1/model/shadow/impact", headers=ADMIN), 409)
    replaced = client.put("/v1/model", json={"text": SMALL, "filename": "small.score", "notify": False},
                          headers=ADMIN)
    assert replaced.status_code == 200 and client.get("/v1/leads/A", headers=READ).json()["score"] == 50
    transitions = client.get("/v1/transitions", headers=READ).json()
    assert [t["tier"] for t in transitions["transitions"]] == [{"from": "cold", "to": "hot"}]


# ---- auth and refusals --------------------------------------------------------------------------

def test_roles_and_tokens(service):
    client = service()
    assert client.get("/healthz").json() == {"status": "ok"}
    described = client.get("/openapi.json").json()
    events = described["paths"]["/v1/events"]["post"]
    assert {"401", "403", "413", "422"} <= set(events["responses"]) and "ErrorBody" in described["components"]["schemas"]
    assert described["paths"]["/v1/leads/{lead_id}"].keys() >= {"get", "put", "patch"}
    is_json_error(client.get("/v1/leads/L1"), 401)
    assert client.get("/v1/leads/L1").headers["www-authenticate"] == "Bearer"
    is_json_error(client.get("/v1/leads/L1", headers={"Authorization": "Bearer nope"}), 401)
    is_json_error(client.get("/v1/leads/L1", headers={"Authorization": "Basic r"}), 401)
    is_json_error(client.get("/metrics"), 401)
    is_json_error(client.post("/v1/events", json=[], headers=READ), 403)
    is_json_error(client.put("/v1/model", content=SMALL, headers=WRITE), 403)
    is_json_error(client.post("/v1/events", content=b"{not json", headers={"Authorization": "Bearer x"}), 401)
    assert client.post("/v1/events", json=[], headers=ADMIN).status_code == 200
    assert client.post("/v1/score", json={"lead": {"id": "X"}}, headers=READ).status_code == 200


def test_every_refusal_is_json(service):
    client = service(max_body=2000)
    is_json_error(client.post("/v1/events", content=b"{not json", headers=WRITE), 400)
    is_json_error(client.post("/v1/events", content=b"[1, 2", headers={**WRITE, "Content-Type": "text/plain"}), 400)
    is_json_error(client.post("/v1/events", json={"lead_id": "L1"}, headers=WRITE), 422)
    is_json_error(client.post("/v1/events", content=b"[" + b" " * 5000 + b"]", headers=WRITE), 413)
    streamed = client.post("/v1/events", content=(b"[" + b" " * 1000 + b"]" for _ in range(4)), headers=WRITE)
    is_json_error(streamed, 413)
    is_json_error(client.get("/nowhere", headers=WRITE), 404)
    is_json_error(client.get("/v1/nowhere", headers=WRITE), 404)
    answer = is_json_error(client.delete("/v1/events", headers=WRITE), 405)
    assert "DELETE" in answer["error"]
    is_json_error(client.put("/v1/model", content=b"\xff\xfe", headers=ADMIN), 400)
    is_json_error(client.put("/v1/model", content="  ", headers=ADMIN), 422)


def test_metrics_count_events(service):
    client = service()
    client.post("/v1/events", json=[{"id": "a", "lead_id": "L1", "type": "demo_request", "at": NOW},
                                    {"id": "a", "lead_id": "L1", "type": "demo_request", "at": NOW}, 7], headers=WRITE)
    text = client.get("/metrics", headers=READ).text
    for line in ("leadscore_events_accepted_total 1.0", "leadscore_events_duplicates_total 1.0",
                 "leadscore_events_rejected_total 1.0", "leadscore_outbox_depth 0.0"):
        assert line in text
    assert 'leadscore_scoring_seconds_count{route="events"} 1.0' in text
    assert "leadscore_sweep_seconds" in text


# ---- Segment -------------------------------------------------------------------------------------

TRACK = {"type": "track", "event": "Demo Request", "userId": "L7", "anonymousId": "anon-1",
         "messageId": "ajs-next-1f2e", "timestamp": "2026-11-19T10:00:00.000Z",
         "properties": {"plan": "Enterprise", "type": "ignored"},
         "context": {"ip": "8.8.8.8", "library": {"name": "analytics.js", "version": "2.11.1"}},
         "receivedAt": "2026-11-19T10:00:01.000Z", "sentAt": "2026-11-19T10:00:00.500Z"}
IDENTIFY = {"type": "identify", "userId": "L7", "messageId": "ajs-next-9a8b",
            "traits": {"title": "CTO", "Number of Employees": 900, "email": "ada@acme.com"},
            "timestamp": "2026-11-19T09:00:00.000Z", "context": {"ip": "8.8.8.8"}}


def test_segment_calls_map_to_events_and_fields(service):
    client = service()
    body = {"batch": [IDENTIFY, TRACK, {"type": "page", "userId": "L7", "name": "Pricing"},
                      {"type": "track", "event": "Signed Up", "anonymousId": "anon-2", "messageId": "m3"},
                      {"type": "track", "userId": "L7"}, {"type": "teleport", "userId": "L7"}],
            "context": {"library": {"name": "analytics-python"}}, "sentAt": "2026-11-19T10:00:02.000Z"}
    answer = client.post("/v1/segment", json=body, headers=WRITE)
    assert answer.status_code == 200
    found = answer.json()
    assert (found["accepted"], found["duplicates"], found["identified"], found["ignored"]) == (1, 0, 1, 1)
    assert [r["index"] for r in found["rejected"]] == [3, 4, 5]
    assert "anonymous" in found["rejected"][0]["reason"]
    assert client.post("/v1/segment", json=TRACK, headers=WRITE).json()["duplicates"] == 1
    lead = client.get("/v1/leads/L7", headers=READ).json()
    same = client.post("/v1/score", headers=READ, json={
        "lead": {"id": "L7", **IDENTIFY["traits"]},
        "events": [{"type": "demo_request", "at": TRACK["timestamp"], "plan": "Enterprise"}]}).json()
    assert lead == same and lead["score"] > 0
    is_json_error(client.post("/v1/segment", json=[TRACK], headers=WRITE), 422)
    is_json_error(client.post("/v1/segment", json={"batch": 3}, headers=WRITE), 422)


def test_segment_mapping_rules():
    assert [segment.snake_case(n) for n in ("Demo Requested", "demoRequested", "Order-Completed", " pdf  download ",
                                           "API_Call")] == \
        ["demo_requested", "demo_requested", "order_completed", "pdf_download", "api_call"]
    calls = segment.read({"type": "track", "userId": 42, "event": "Webinar Attended",
                          "originalTimestamp": "2026-11-01T00:00:00Z", "properties": {"webinar": "q3"}}, NOW)
    assert calls.events == [{"webinar": "q3", "lead_id": "42", "type": "webinar_attended",
                             "at": "2026-11-01T00:00:00Z"}]
    assert segment.read({"type": "track", "userId": "A", "event": "X"}, NOW).events[0]["at"] == NOW
    identify = segment.read({"type": "identify", "userId": "A", "anonymousId": "b", "traits": {"x": 1}}, NOW)
    assert identify.fields == [("A", {"x": 1}, True)]


# ---- pieces ------------------------------------------------------------------------------------------

def test_token_file_lines():
    assert parse("# ops\nabc\nxyz read\n\nadm admin\n") == {"abc": "write", "xyz": "read", "adm": "admin"}
    for bad in ("abc root\n", "a b c\n", "# nothing\n"):
        with pytest.raises(TokenFileError):
            parse(bad)
    tokens = Tokens({"abc": "read"})
    assert tokens.role("Bearer abc") == "read" and tokens.role("bearer  abc ") == "read"
    assert tokens.role("Bearer abd") is None and tokens.role(None) is None and Tokens(None).role(None) == "admin"


def test_backoff_doubles_with_jitter_and_a_cap():
    assert [backoff(n, rng=lambda: 0.5) for n in range(4)] == [1, 2, 4, 8]
    assert backoff(3, rng=lambda: 0.0) == 4 and backoff(3, rng=lambda: 0.999) < 12
    assert backoff(40, rng=lambda: 0.5) == 3600
    assert signature(b"k", b"{}") == "sha256=" + __import__("hmac").new(b"k", b"{}", "sha256").hexdigest()


def test_durations():
    assert [parse_duration(t) for t in ("30s", "5m", "1h", "1d", "90", "0.5s", "off")] == \
        [30, 300, 3600, 86400, 90, 0.5, None]
    for bad in ("5 minutes", "-1s", "0s", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_the_log_is_copied_back_beside_the_requests(service, small, tmp_path):
    """The service's writes leave SQLite's log to the checkpointer (leadscore/service/checkpoints.py):
    its connections copy the log back only at 64,000 pages, yet within a few seconds the events
    are in the database file itself (a copy of the file without its log holds them)."""
    import shutil
    import sqlite3
    import time

    client = service(model=small)
    store = client.app.state.store
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 64000
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -16384     # SERVICE_SQLITE
    events = [{"id": f"e{k}", "lead_id": f"L{k}", "type": "demo_request", "at": "2026-11-19T10:00:00Z"}
              for k in range(20)]
    assert client.post("/v1/events", json=events, headers=WRITE).json()["accepted"] == 20

    def in_the_file() -> int:
        shutil.copyfile(tmp_path / "live.db", tmp_path / "alone.db")     # the file, without its log
        copy = sqlite3.connect(tmp_path / "alone.db")
        try:
            return copy.execute("SELECT count(*) FROM events").fetchone()[0]
        except sqlite3.OperationalError:          # not even the tables are in the file yet
            return 0
        finally:
            copy.close()
    deadline = time.monotonic() + 10
    while in_the_file() < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert in_the_file() == 20


def test_the_models_are_compiled_when_the_store_opens_not_at_the_first_request(tmp_path):
    """A served store's active model and shadow are compiled by `open_store`, before any request
    (b2b takes about a second): the first request does not wait for it."""
    from leadscore.live.models import compile_text
    settings = Settings(f"sqlite:///{tmp_path / 'live.db'}", str(MODEL), Tokens(TOKENS), now=NOW)
    store, _note = open_store(settings)
    shadow = MODEL.read_text().replace('model "b2b-saas" version 2', 'model "b2b-saas" version 3')
    store.set_shadow(shadow, "next.score", str(MODEL.parent))
    store.close()
    compile_text.cache_clear()
    store, _note = open_store(Settings(settings.store_url, None, Tokens(TOKENS), now=NOW))
    try:
        assert compile_text.cache_info().currsize == 2          # the active model and the shadow
        hits = compile_text.cache_info().hits
        assert store.model().compiled.version != store.model("shadow_model").compiled.version
        assert compile_text.cache_info().hits == hits + 2 and compile_text.cache_info().misses == 2
    finally:
        store.close()
