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
