"""`leadscore ingest`, `results`, `history` and `model` end to end, as subprocesses (LIVE.md §8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MODEL, LEADS, EVENTS = EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv", EXAMPLES / "b2b/events.csv"
NOW = "2026-11-20T00:00:00Z"


def leadscore(*args, cwd) -> subprocess.CompletedProcess:
    code = "import sys; from leadscore.cli import entry; sys.argv[0] = 'leadscore'; entry()"
    env = {k: v for k, v in os.environ.items() if k != "LEADSCORE_STORE"}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env=env)


def by_id(text: str) -> list:
    return sorted(text.splitlines(), key=lambda line: json.loads(line)["id"])


def test_ingest_results_history_in_the_working_directory(tmp_path):
    done = leadscore("ingest", MODEL, "--leads", LEADS, "--events", EVENTS, "--now", NOW, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "leads:  300 read, 300 stored, 0 rejected" in done.stderr
    assert "events: 3101 read, 3101 accepted, 0 duplicates, 0 rejected" in done.stderr
    assert (tmp_path / "leadscore.db").exists()
    again = leadscore("ingest", "--events", EVENTS, "--now", NOW, cwd=tmp_path)
    assert "3101 read, 0 accepted, 3101 duplicates" in again.stderr
    results = leadscore("results", "--now", NOW, cwd=tmp_path)
    batch = leadscore("score", MODEL, "--leads", LEADS, "--events", EVENTS, "--now", NOW, cwd=tmp_path)
    assert results.returncode == 0 and results.stdout.splitlines() == by_id(batch.stdout)
    csv = leadscore("results", "--now", NOW, "--format", "csv", "-o", "r.csv", cwd=tmp_path)
    assert csv.returncode == 0 and (tmp_path / "r.csv").read_text().startswith("id,score,tier")
    table = leadscore("history", "--lead", "L7", cwd=tmp_path)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:4] == ["at", "cause", "score", "tier"]
    entries = json.loads(leadscore("history", "--lead", "L7", "--format", "json", cwd=tmp_path).stdout)
    assert entries[0]["cause"]["kind"] == "model" and entries[0]["score"]["from"] is None
    missing = leadscore("history", "--lead", "nobody", cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no lead with id `nobody` in the store"


def test_rejects_file_and_event_id_column(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([
        json.dumps({"event": "e1", "lead_id": "L1", "type": "demo_request", "at": NOW}),
        json.dumps({"event": "e1", "lead_id": "L1", "type": "demo_request", "at": "2026-11-01T00:00:00Z"}),
        json.dumps({"event": "e2", "lead_id": "", "type": "demo_request", "at": NOW}),
        "{broken",
    ]) + "\n")
    store = f"sqlite:///{tmp_path / 's.db'}"
    done = leadscore("ingest", MODEL, "--store", store, "--events", events, "--event-id-column", "event",
                     "--rejects", tmp_path / "rejects.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "events: 4 read, 1 accepted, 1 duplicates, 2 rejected" in done.stderr
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [4, 3]
    assert rejects[1]["reason"] == "event: missing lead id (column `lead_id`)"


def test_ingest_rejects_lead_rows_by_the_batchs_rules(tmp_path):
    leads = tmp_path / "leads.jsonl"
    leads.write_text("\n".join(json.dumps(row) for row in [
        {"id": "L1", "events": "not a list"},
        {"id": " L1 ", "company_size": 10},     # stored: a rejected row's id is not taken as seen
        {"id": "L1"},
        {"id": 1.5},
        {"name": "no id"},
    ]) + "\n")
    done = leadscore("ingest", MODEL, "--store", f"sqlite:///{tmp_path / 's.db'}", "--leads", leads,
                     "--rejects", tmp_path / "rejects.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "leads:  5 read, 1 stored, 4 rejected" in done.stderr
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (1, "lead: `events` must be a list of events"),
        (3, "lead: duplicate id `L1` (first on line 2)"),
        (4, "lead: id must be text or a whole number, not 1.5 (column `id`)"),
        (5, "lead: missing id (column `id`)"),
    ]


def test_model_commands(tmp_path):
    store = ["--store", f"sqlite:///{tmp_path / 's.db'}"]
    assert leadscore("ingest", MODEL, *store, "--leads", LEADS, "--events", EVENTS, cwd=tmp_path).returncode == 0
    shadow = tmp_path / "next.score"
    shadow.write_text(MODEL.read_text().replace("qualify mql when score >= 65", "qualify mql when score >= 50"))
    (tmp_path / "target_accounts.txt").write_text((EXAMPLES / "target_accounts.txt").read_text())
    assert leadscore("model", "shadow", shadow, *store, cwd=tmp_path).returncode == 0
    impact = leadscore("model", "impact", *store, "--now", NOW, "--format", "json", cwd=tmp_path)
    assert impact.returncode == 0, impact.stderr
    report = json.loads(impact.stdout)
    mql = next(s for s in report["stages"] if s["name"] == "mql")
    assert mql["gained"] > 0 and mql["lost"] == 0
    assert "tier" in leadscore("model", "impact", *store, "--now", NOW, cwd=tmp_path).stdout.lower()
    promoted = leadscore("model", "promote", *store, cwd=tmp_path)
    assert promoted.returncode == 0 and "next.score" in promoted.stderr
    refused = leadscore("model", "set", tmp_path / "missing.score", *store, cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    broken = tmp_path / "broken.score"
    broken.write_text('model "b"\nrule x: +1 when nothing > 1\n')
    invalid = leadscore("model", "set", broken, *store, cwd=tmp_path)
    assert invalid.returncode == 1 and "is not a valid model" in invalid.stderr
    again = leadscore("model", "promote", *store, cwd=tmp_path)
    assert again.returncode == 1 and again.stderr.startswith("error: the store has no shadow")


def test_errors_are_one_line(tmp_path):
    for args in (["results", "--store", "mysql://x"], ["results", "--store", f"sqlite:///{tmp_path}/no/such/dir.db"],
                 ["results", "--store", f"sqlite:///{tmp_path / 'empty.db'}"],
                 ["ingest", "--store", f"sqlite:///{tmp_path / 'e.db'}", "--events", tmp_path / "missing.csv"]):
        done = leadscore(*args, cwd=tmp_path)
        assert done.returncode == 1, args
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_ingest_checks_its_model_before_storing_anything(tmp_path):
    broken = tmp_path / "broken.score"
    broken.write_text('model "b"\nrule x: +1 when nothing > 1\n')
    for model in ([broken], ["--model", broken]):
        done = leadscore("ingest", *model, "--store", f"sqlite:///{tmp_path / 'new.db'}", "--leads", LEADS,
                         "--events", EVENTS, cwd=tmp_path)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "is not a valid model" in done.stderr and "nothing" in done.stderr      # its diagnostics
        assert not (tmp_path / "new.db").exists()
