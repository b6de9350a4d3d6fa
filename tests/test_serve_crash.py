"""Nothing lost (LIVE.md §9), with the real service in a subprocess: SIGKILL during a stream of ingests,
then a restart and every unacknowledged batch sent again; and two service processes on one PostgreSQL
store receiving interleaved events for the same leads. Each ends compared with `leadscore score`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import EVENTS, LEADS, MODEL, NOW, Service  # noqa: E402


def leadscore(*args, cwd) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "leadscore", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def events(count: int = 1500) -> list:
    """The first `count` b2b events (a bound on the tests' time), each with an id."""
    with open(EVENTS, newline="", encoding="utf-8") as handle:
        rows = [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)][:count]
    for number, row in enumerate(rows):
        row["id"] = f"e{number}"
    return rows


def batches(rows: list, size: int) -> list:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def send(url: str, batch: list, headers=None) -> dict | None:
    """The answer to one POST, or None when none came (the service died)."""
    try:
        answer = httpx.post(url + "/v1/events", json=batch, headers=headers or {}, timeout=60)
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None


def assert_store_equals_batch(tmp_path, store_args: list, rows: list) -> None:
    """`leadscore results` == `leadscore score` on the leads and each distinct event once."""
    unique = {row["id"]: row for row in rows}
    (tmp_path / "distinct.jsonl").write_text("".join(json.dumps(r) + "\n" for r in unique.values()))
    live = leadscore("results", *store_args, "--now", NOW, cwd=tmp_path).stdout
    batch = leadscore("score", MODEL, "--leads", LEADS, "--events", "distinct.jsonl", "--now", NOW,
                      cwd=tmp_path).stdout
    expected = sorted(batch.splitlines(), key=lambda line: json.loads(line)["id"])
    assert live.splitlines() == expected


def test_sigkill_during_ingests_loses_nothing_acknowledged(tmp_path):
    leadscore("ingest", MODEL, "--leads", LEADS, "--now", NOW, cwd=tmp_path)
    rows = events()
    work = batches(rows, 40)
    acknowledged, lock = {}, threading.Lock()
    service = Service("--now", NOW, cwd=tmp_path).start()

    def sender(mine):
        for index in mine:
            answer = send(service.url, work[index])
            if answer is None:
                return
            with lock:
                acknowledged[index] = answer
    threads = [threading.Thread(target=sender, args=(range(k, len(work), 3),)) for k in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    service.kill()                                  # SIGKILL, with requests in flight
    for thread in threads:
        thread.join(timeout=120)
    assert 8 <= len(acknowledged) < len(work), "the kill came too late to interrupt the stream"

    with Service("--now", NOW, cwd=tmp_path) as again:
        stored = {row["id"] for index in acknowledged for row in work[index]}
        resent = [index for index in range(len(work)) if index not in acknowledged]
        for index in resent:
            answer = send(again.url, work[index])
            assert answer is not None and answer["rejected"] == []
            acknowledged[index] = answer
        repeat = send(again.url, work[min(acknowledged)])         # an acknowledged batch again: all duplicates
        assert repeat == {"accepted": 0, "duplicates": len(work[min(acknowledged)]), "rejected": []}
    accepted = sum(answer["accepted"] for answer in acknowledged.values())
    assert accepted <= len(rows) and stored                     # an interrupted batch may be in the store already
    assert_store_equals_batch(tmp_path, [], rows)


def test_two_services_on_one_postgres_store(postgres_server, tmp_path):
    url = postgres_server.new_database("serve_two")
    leadscore("ingest", MODEL, "--store", url, "--leads", LEADS, "--now", NOW, cwd=tmp_path)
    rows = events()
    work = batches(rows, 30)
    one = Service("--store", url, "--now", NOW, cwd=tmp_path).start()
    try:
        with Service("--store", url, "--now", NOW, cwd=tmp_path) as two:
            answers = []

            def sender(target, mine):
                for index in mine:
                    answers.append(send(target.url, work[index]))
            # the same batches go to both services (every event delivered twice, at the same time),
            # interleaved: one walks forward, the other backward
            threads = [threading.Thread(target=sender, args=(one, range(len(work)))),
                       threading.Thread(target=sender, args=(two, range(len(work) - 1, -1, -1)))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            with two.client() as client:
                listed = paged_transitions(client)
                depth = next(line for line in client.get("/metrics").text.splitlines()
                             if line.startswith("leadscore_outbox_depth"))
    finally:
        one.stop()
    assert None not in answers and len(answers) == 2 * len(work)
    assert sum(a["accepted"] for a in answers) == len(rows)
    assert sum(a["duplicates"] for a in answers) == len(rows)
    assert_store_equals_batch(tmp_path, ["--store", url], rows)
    ids = [int(t["id"]) for t in listed]
    assert ids == sorted(set(ids)) and float(depth.split()[1]) == len(ids) > 0


def paged_transitions(client) -> list:
    found, since = [], 0
    for _page in range(1000):
        page = client.get("/v1/transitions", params={"since": since, "limit": 50}).json()
        if not page["transitions"]:
            return found
        found += page["transitions"]
        since = page["next"]
    raise AssertionError("the transitions never ended")
