"""`leadscore serve` on the command line: what it refuses to start with, in one line; the scheduled sweep."""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leadscore.service.app import Settings, create_app, open_store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples/b2b.score"


def serve(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadscore", "serve", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, code, message", [
    (["--host", "0.0.0.0"], 2, "error: --host 0.0.0.0 is beyond loopback: give --token-file"),
    (["--host", "192.168.1.20"], 2, "error: --host 192.168.1.20 is beyond loopback"),
    (["--webhook", "http://127.0.0.1:9/hook"], 2, "error: --webhook needs --webhook-secret-file"),
    (["--sweep", "often"], 2, "error: --sweep: invalid duration 'often'"),
    (["--max-body", "lots"], 2, "error: --max-body: invalid size 'lots'"),
    (["--token-file", "missing.txt"], 1, "error: cannot read the token file missing.txt"),
    (["--token-file", "empty.txt"], 1, "error: the token file empty.txt holds no token"),
    (["--store", "mysql://x"], 1, "error: unknown store URL"),
])
def test_refusals_are_one_line(tmp_path, args, code, message):
    (tmp_path / "empty.txt").write_text("# nobody yet\n")
    done = serve(MODEL, *args, cwd=tmp_path)
    assert done.returncode == code
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_empty_store_without_a_model_is_refused(tmp_path):
    done = serve(cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.strip() == \
        "error: the store has no model yet: give one (leadscore serve MODEL)"


def test_the_sweep_runs_on_its_schedule_and_never_with_a_fixed_clock(tmp_path):
    settings = Settings(f"sqlite:///{tmp_path / 'live.db'}", str(MODEL), sweep=0.2)
    store, _note = open_store(settings)
    store.ingest_events([{"id": "e1", "lead_id": "L1", "type": "demo_request", "at": "2026-11-19T10:00:00Z"}])
    with TestClient(create_app(settings, store)) as client:
        deadline = time.monotonic() + 30
        while "leadscore_sweep_seconds_count 0.0" in client.get("/metrics").text and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "leadscore_sweep_seconds_count 0.0" not in client.get("/metrics").text
    fixed = Settings(settings.store_url, str(MODEL), sweep=0.2, now="2026-11-20T00:00:00Z")
    store, _note = open_store(fixed)
    app = create_app(fixed, store)
    with TestClient(app) as client:
        time.sleep(0.5)
        assert app.state.sweeper is None and "leadscore_sweep_seconds_count 0.0" in client.get("/metrics").text


def test_the_served_process_runs_no_full_collection_under_load(tmp_path):
    """collector.py: with CPython's default thresholds the service ran a full collection every few
    hundred one-event POSTs (80-145 ms each on a 20,000-lead store: the paced p99); `leadscore
    serve` freezes what lives at start and raises the thresholds, so 1,200 POSTs from 4 clients
    into b2b's leads run none (python_gc_* in /metrics)."""
    import concurrent.futures
    import socket

    import httpx
    url = f"sqlite:///{tmp_path / 'live.db'}"
    subprocess.run([sys.executable, "-m", "leadscore", "ingest", MODEL, "--store", url, "--leads",
                    ROOT / "examples/b2b/leads.csv", "--events", ROOT / "examples/b2b/events.csv",
                    "--now", "2026-11-20T00:00:00Z"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "leadscore", "serve", "--store", url, "--port", str(port),
                                "--now", "2026-11-20T00:00:00Z", "--sweep", "off"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)

        def full_collections() -> float:
            line = next(line for line in httpx.get(base + "/metrics").text.splitlines()
                        if line.startswith('python_gc_collections_total{generation="2"}'))
            return float(line.rsplit(" ", 1)[1])

        def post(client: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                for k in range(300):
                    event = {"id": f"e{client}-{k}", "lead_id": f"L{(k * 7 + client) % 300 + 1}",
                             "type": "page_view", "at": f"2026-11-{k % 19 + 1:02d}T10:00:00Z",
                             "url": "/pricing", "seconds": "30"}
                    answer = http.post("/v1/events", json=[event])
                    assert answer.status_code == 200 and answer.json()["accepted"] == 1

        before = full_collections()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(post, range(4)))
        assert full_collections() == before
    finally:
        process.terminate()
        process.wait(timeout=30)
