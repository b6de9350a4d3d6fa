"""`leadscore studio` without a browser: its JSON routes in-process, what one edit
recomputes, explanations that sum to the score, the atomic save, the command's refusals.
(The page itself is tested in a real browser: test_studio_browser.py.)"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leadscore.batch.io import atomic  # noqa: E402
from leadscore.dsl.format import format_source  # noqa: E402
from leadscore.runtime.model import now_us  # noqa: E402
from leadscore.studio import analysis  # noqa: E402
from leadscore.studio.app import create_app  # noqa: E402
from leadscore.studio.explanation import explain  # noqa: E402
from leadscore.studio.workspace import Data, SaveRefused, Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = now_us("2026-11-20T00:00:00Z")
B2B_DATA = Data(str(EXAMPLES / "b2b/leads.csv"), str(EXAMPLES / "b2b/events.csv"), NOW)


@pytest.fixture
def b2b(tmp_path) -> Workspace:
    for name in ("b2b.score", "b2b.tests", "target_accounts.txt"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return Workspace(str(tmp_path / "b2b.score"), B2B_DATA)


@pytest.fixture
def client(b2b) -> TestClient:
    return TestClient(create_app(b2b), base_url="http://127.0.0.1")


def test_a_valid_edit_gives_everything_the_page_shows(client, b2b):
    report = client.post("/api/analyze", json={"text": b2b.saved_text()}).json()
    assert report["valid"] and report["diagnostics"] == []
    assert report["tiers"] == ["cold", "warm", "hot"]
    assert report["thresholds"] == [{"tier": "warm", "at": 40.0}, {"tier": "hot", "at": 70.0}]
    assert sum(report["tier_counts"].values()) == len(report["leads"]) == 300
    binned = [sum(column) for column in zip(*report["histogram"]["counts"].values())]
    assert sum(binned) == 300 and len(report["histogram"]["edges"]) == len(binned) + 1
    assert report["stage_counts"]["qualify"] == {
        "mql": sum("mql" in lead["stages"] for lead in report["leads"]),
        "sql": sum("sql" in lead["stages"] for lead in report["leads"])}
    assert report["tests"]["failed"] == 0 and report["tests"]["passed"] == len(report["tests"]["cases"]) > 0
    assert report["backtest"] is None


def test_an_invalid_edit_keeps_the_last_valid_results(client, b2b):
    text = b2b.saved_text()
    client.post("/api/analyze", json={"text": text})
    typo = text.replace("rule demo: +30 when any demo_request", "rule demo: +30 when any demo_reqest")
    report = client.post("/api/analyze", json={"text": typo}).json()
    line = text[:text.index("rule demo:")].count("\n") + 1
    assert not report["valid"] and "leads" not in report
    errors = [(d["line"], d["code"]) for d in report["diagnostics"] if d["severity"] == "error"]
    assert errors == [(line, "E-unknown-name")]
    assert client.get("/api/leads/L7").json()["score"] == 100.0       # the last valid model still explains


def test_every_explanation_sums_to_its_score(b2b):
    _report, scored = analysis.recompute(b2b, b2b.saved_text())
    kinds = set()
    for result in scored.results:
        lines = explain(result)["lines"]
        kinds.update(line["rule"] for line in lines if line["kind"] == "adjustment")
        assert sum(line["points"] for line in lines) == pytest.approx(result.score, abs=1e-9), result.id
    # the sample exercises every kind of step between the rules' points and the score
    assert {"(fit limits)", "(engagement limits)", "(clamp)", "(disqualified)"} <= kinds


def test_an_explanation_lists_rule_scope_points_reason_and_values(client, b2b):
    client.post("/api/analyze", json={"text": b2b.saved_text()})
    lead = client.get("/api/leads/L7").json()
    role = next(line for line in lead["lines"] if line["rule"] == "role")
    assert role == {"kind": "rule", "rule": "role", "scope": "fit", "points": 15.0,
                    "reason": "seniority: who can sign", "inputs": [{"label": "job_level", "value": "'C-level'"}]}
    assert {c["scope"] for c in lead["campaigns"]} <= {"campaign webinar_q3", "campaign webinar_q3/roadmap_interest"}
    assert client.get("/api/leads/nobody").status_code == 404


def test_compare_with_saved_gives_the_tier_transitions(client, b2b):
    edit = b2b.saved_text().replace("tiers: cold, warm >= 40, hot >= 70", "tiers: cold, warm >= 30, hot >= 70")
    impact = client.post("/api/compare", json={"text": edit}).json()
    matrix = impact["tiers"]
    assert matrix["old"] == matrix["new"] == ["cold", "warm", "hot"]
    assert matrix["changed"] == matrix["counts"][0][1] > 0           # only cold -> warm moves
    assert client.post("/api/compare", json={"text": "model"}).status_code == 422


def test_save_revalidates_formats_and_replaces_the_file(client, b2b):
    path = Path(b2b.model_path)
    messy = b2b.saved_text().replace("rule demo: +30 when", "rule demo:   +30   when")
    answer = client.post("/api/save", json={"text": messy}).json()
    assert answer["text"] == path.read_text(encoding="utf-8") == format_source(messy)
    assert "rule demo: +30 when" in answer["text"]
    refused = client.post("/api/save", json={"text": messy.replace("demo_request", "demo_reqest", 1)})
    assert refused.status_code == 422 and refused.json()["diagnostics"][0]["code"] == "E-unknown-name"
    assert path.read_text(encoding="utf-8") == answer["text"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["b2b.score", "b2b.tests", "target_accounts.txt"]


def test_save_refused_leaves_the_file(b2b):
    before = Path(b2b.model_path).read_bytes()
    with pytest.raises(SaveRefused):
        b2b.save("model \"x\"\nrule a: +1 when nothing_declared")
    assert Path(b2b.model_path).read_bytes() == before


def _disk_full(*_args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("fail", ["write", "commit"])
def test_a_failed_save_leaves_the_old_file_and_no_temporary(client, b2b, monkeypatch, fail):
    """The save is batch/io/atomic.py's: a disk that fills while writing, or a commit stopped
    (a signal, leadscore/cli/signals.py), leaves the old file as it was and nothing beside it."""
    path = Path(b2b.model_path)
    before = path.read_bytes()
    if fail == "write":
        monkeypatch.setattr(os, "fsync", _disk_full)
    else:
        monkeypatch.setattr(atomic, "commit_guards", [_disk_full])
    edit = b2b.saved_text().replace("rule demo: +30 when", "rule demo: +31 when")
    refused = client.post("/api/save", json={"text": edit})
    assert refused.status_code == 422 and "No space left" in refused.json()["error"]
    assert path.read_bytes() == before
    assert not [p.name for p in path.parent.iterdir() if atomic.is_temporary(p.name)]


def test_the_backtest_follows_the_outcome_column():
    workspace = Workspace(str(EXAMPLES / "x-education.score"),
                          Data(str(EXAMPLES / "data/x-education-sample.csv"), None, NOW, "Converted",
                               id_column="Prospect ID"))
    report, _scored = analysis.recompute(workspace, workspace.saved_text())
    backtest = report["backtest"]
    assert 0.5 < backtest["auc"] <= 1
    assert backtest["gains"][0] == [0.0, 0.0] and backtest["gains"][-1] == [1.0, 1.0]
    assert [d["decile"] for d in backtest["deciles"]] == list(range(1, 11))
    assert sum(t["leads"] for t in backtest["tiers"]) == backtest["leads"]


def test_the_page_and_its_bundle_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/static/studio.js">' in page.text
    script = client.get("/static/studio.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_the_page_is_package_data():
    """`pip install .` ships static/ (pyproject's package-data), so the page needs no node and no network."""
    import fnmatch
    import tomllib
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    globs = setup["package-data"]["leadscore.studio"]
    static = ROOT / "leadscore" / "studio" / "static"
    assert [p.name for p in static.iterdir() if not any(fnmatch.fnmatch(f"static/{p.name}", g) for g in globs)] == []


def test_requests_must_name_a_loopback_host(client):
    assert client.get("/api/workspace", headers={"host": "attacker.example:8765"}).status_code == 400
    assert client.get("/api/workspace", headers={"host": "localhost:8765"}).status_code == 200


def test_histogram_bins_have_a_round_width():
    assert analysis.bin_width(0, 100) == 5
    assert analysis.bin_width(0, 12) == 1
    assert analysis.bin_width(-50, 450) == 50


def studio(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadscore", "studio", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_the_command_refuses_a_host_beyond_loopback():
    done = studio(EXAMPLES / "b2b.score", "--leads", EXAMPLES / "b2b/leads.csv", "--host", "0.0.0.0", "--no-open")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --host 0.0.0.0 is not a loopback address: the studio can write the model file, "
        "so it listens on this machine only"]


def test_the_command_says_in_one_line_when_the_data_cannot_be_read(tmp_path):
    done = studio(EXAMPLES / "b2b.score", "--leads", tmp_path / "missing.csv", "--no-open")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "missing.csv" in done.stderr


def test_the_command_needs_an_outcome_column_the_leads_have():
    done = studio(EXAMPLES / "b2b.score", "--leads", EXAMPLES / "b2b/leads.csv", "--outcome", "converted",
                  "--no-open")
    assert done.returncode == 1
    assert "no outcome column `converted`" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_command_refuses_standard_input_for_leads():
    done = studio(EXAMPLES / "b2b.score", "--leads", "-", "--no-open")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "--leads -" in done.stderr


def test_a_browser_is_opened_only_when_there_is_one(monkeypatch):
    import webbrowser

    from leadscore.cli.studio import open_browser
    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)

    def none():
        raise webbrowser.Error("could not locate runnable browser")
    monkeypatch.setattr(webbrowser, "get", none)
    open_browser("http://127.0.0.1:8765/")
    assert opened == []
    monkeypatch.setattr(webbrowser, "get", lambda: object())
    open_browser("http://127.0.0.1:8765/")
    assert opened == ["http://127.0.0.1:8765/"]
