"""Webhooks (LIVE.md §5) against a real receiver on a loopback port: signed, retried, and none lost
across a service killed while deliveries were pending."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import EVENTS, LEADS, MODEL, NOW, Service  # noqa: E402

SECRET = b"s3cret-for-tests"


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers 503 while `down`."""

    def __init__(self):
        self.down = True
        self.posts = []              # (signature header, raw body, answered status)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 503 if receiver.down else 204
                with receiver.lock:
                    receiver.posts.append((self.headers.get("X-Leadscore-Signature"), raw, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def taken(self) -> dict:
        """id → bodies the receiver answered 2xx to."""
        with self.lock:
            found = {}
            for _sig, raw, status in self.posts:
                if status == 204:
                    found.setdefault(json.loads(raw)["id"], []).append(json.loads(raw))
            return found

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def ingest_leads(tmp_path):
    done = subprocess.run([sys.executable, "-m", "leadscore", "ingest", str(MODEL), "--leads", str(LEADS),
                           "--now", NOW], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def event_batches(size=200) -> list:
    with open(EVENTS, newline="", encoding="utf-8") as handle:
        rows = [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]
    for number, row in enumerate(rows):
        row["id"] = f"e{number}"
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def all_transitions(client) -> list:
    found, since = [], 0
    for _page in range(1000):
        page = client.get("/v1/transitions", params={"since": since, "limit": 500}).json()
        found += page["transitions"]
        if not page["transitions"]:
            return found
        since = page["next"]
    raise AssertionError("the transitions never ended")


def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_every_transition_arrives_signed_and_none_is_lost_across_a_restart(tmp_path, receiver):
    ingest_leads(tmp_path)
    (tmp_path / "secret.txt").write_bytes(SECRET + b"\n")
    args = ["--webhook", receiver.url, "--webhook-secret-file", "secret.txt", "--webhook-backoff", "0.2s",
            "--now", NOW]
    first = Service(*args, cwd=tmp_path).start()
    try:
        with first.client() as client:
            for batch in event_batches():
                assert client.post("/v1/events", json=batch).status_code == 200
            expected = all_transitions(client)
        assert len(expected) > 10
        assert wait_for(lambda: len(receiver.posts) >= 3, 30), "no delivery was tried"
    finally:
        first.kill()                           # SIGKILL with deliveries pending: the receiver took none
    assert receiver.taken() == {}
    receiver.down = False
    with Service(*args, cwd=tmp_path) as second:
        ids = {t["id"] for t in expected}
        assert wait_for(lambda: ids <= set(receiver.taken()), 60), \
            f"{len(ids - set(receiver.taken()))} transitions never arrived"
        with second.client() as client:
            depth = [line for line in client.get("/metrics").text.splitlines()
                     if line.startswith("leadscore_outbox_depth")]
            assert wait_for(lambda: client.get("/metrics").text.count("leadscore_outbox_depth 0.0") == 1, 10), depth
    failed = [raw for _sig, raw, status in receiver.posts if status != 204]
    assert failed, "the receiver refused nothing: the retries were not tested"
    for signature, raw, _status in receiver.posts:
        assert signature == "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    for transition in expected:
        body = receiver.taken()[transition["id"]][0]
        assert {k: body[k] for k in ("lead_id", "at", "cause", "entered", "left", "tier", "score", "model")} == \
            {k: transition[k] for k in ("lead_id", "at", "cause", "entered", "left", "tier", "score", "model")}
        assert body["model"]["name"] and body["result"]["id"] == body["lead_id"]


def test_two_services_on_postgres_deliver_every_transition(postgres_server, tmp_path, receiver):
    url = postgres_server.new_database("serve_hooks")
    done = subprocess.run([sys.executable, "-m", "leadscore", "ingest", str(MODEL), "--store", url, "--leads",
                           str(LEADS), "--now", NOW], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (tmp_path / "secret.txt").write_bytes(SECRET)
    receiver.down = False
    args = ["--store", url, "--webhook", receiver.url, "--webhook-secret-file", "secret.txt", "--now", NOW]
    with Service(*args, cwd=tmp_path) as one, Service(*args, cwd=tmp_path) as two:
        work = event_batches(100)[:10]
        for number, batch in enumerate(work):
            target = one if number % 2 else two
            with target.client() as client:
                assert client.post("/v1/events", json=batch).status_code == 200
        with one.client() as client:
            expected = {t["id"] for t in all_transitions(client)}
        assert expected
        assert wait_for(lambda: expected <= set(receiver.taken()), 60), \
            f"{len(expected - set(receiver.taken()))} transitions never arrived"
    twice = sum(len(bodies) - 1 for bodies in receiver.taken().values())
    assert twice <= len(expected) // 10, f"{twice} deliveries repeated: the claims did not keep the services apart"
