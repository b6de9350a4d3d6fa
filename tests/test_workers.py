"""`leadscore score --jobs N` (runtime/workers.py): the same output, rejects and summary as one
process, byte for byte, on every kind of bad row and on account models; a failing child is an
error, not a traceback; nothing is left behind."""

from __future__ import annotations

import os
import sys

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import test_bad_data as bad  # noqa: E402
import test_batch_accounts as accounts  # noqa: E402

from leadscore.cli import main  # noqa: E402
from leadscore.runtime import workers  # noqa: E402
from leadscore.runtime.batch import Batch  # noqa: E402

pytestmark = pytest.mark.skipif(not workers.CAN_FORK, reason="needs os.fork")


@given(st.integers(0, 200), st.integers(1, 9))
def test_split_cuts_in_order_into_near_equal_ranges(count, jobs):
    ranges = workers.split(count, jobs)
    assert [p for r in ranges for p in r] == list(range(count))
    sizes = [len(r) for r in ranges]
    assert sizes == sorted(sizes, reverse=True) and max(sizes) - min(sizes) <= 1
    assert len(ranges) == (min(jobs, count) if count else 1)


def run(tmp_path, model_text: str, leads, events, *extra) -> tuple:
    """(stdout, rejects file, summary without its time) of one `score` run."""
    model = tmp_path / "model.score"
    model.write_text(model_text, encoding="utf-8")
    rejects = tmp_path / "rejects-out.jsonl"
    args = ["score", str(model), "--leads", str(leads), "--now", bad.NOW, "--rejects", str(rejects), *extra]
    if events is not None:
        args += ["--events", str(events)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("time:"))
    return result.stdout, rejects.read_text(encoding="utf-8"), summary


def same_in_every_process_count(tmp_path, model_text, leads, events, *extra):
    one = run(tmp_path, model_text, leads, events, *extra)
    for jobs in ("2", "3", "0"):
        assert run(tmp_path, model_text, leads, events, *extra, "--jobs", jobs) == one, jobs
    assert one[0].count("\n") > 2
    return one


@pytest.mark.parametrize("strict", [(), ("--strict",)])
def test_bad_csv_rows_end_where_they_do_in_one_process(tmp_path, strict):
    leads = bad.write_bytes(tmp_path / "leads.csv", bad.LEADS_CSV)
    events = bad.write_bytes(tmp_path / "events.csv", bad.EVENTS_CSV)
    _, rejects, _ = same_in_every_process_count(tmp_path, bad.MODEL, leads, events, *strict)
    assert rejects.count("\n") >= 15


@pytest.mark.parametrize("strict", [(), ("--strict",)])
def test_bad_jsonl_rows_and_inline_events_end_where_they_do_in_one_process(tmp_path, strict):
    same_in_every_process_count(tmp_path, bad.MODEL, *bad.jsonl_files(tmp_path), *strict)


@pytest.mark.parametrize("text", [accounts.MODEL, accounts.SHARED_MODEL], ids=["own-fields", "shared"])
def test_account_models_score_alike_in_several_processes(tmp_path, text):
    leads, events = accounts.write_files(tmp_path, leads=300, events=3000)
    out, _, _ = same_in_every_process_count(tmp_path, text, leads, events)
    assert out.count("\n") == 300


def test_without_events_and_with_few_leads(tmp_path):
    leads = bad.write_bytes(tmp_path / "leads.csv", "id,employees\nA,150\nB,5\n")
    one = run(tmp_path, bad.MODEL, leads, None)
    assert run(tmp_path, bad.MODEL, leads, None, "--jobs", "8") == one


def test_a_failing_process_is_an_error_and_nothing_is_left(tmp_path, monkeypatch):
    leads, events = accounts.write_files(tmp_path, leads=50, events=200)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(workers.tempfile, "tempdir", str(scratch))
    score_held = Batch.score_held

    def failing(self, held, index, positions=None):
        if positions is not None and positions.start > 0:
            raise ValueError("boom in a child")
        return score_held(self, held, index, positions)

    model = tmp_path / "model.score"
    model.write_text(accounts.MODEL, encoding="utf-8")
    args = ["score", str(model), "--leads", str(leads), "--events", str(events), "--now", bad.NOW,
            "--jobs", "2", "-o", str(tmp_path / "out.jsonl")]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert list(scratch.iterdir()) == []
    monkeypatch.setattr(Batch, "score_held", failing)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "a scoring process failed (ValueError: boom in a child)" in result.stderr
    assert "Traceback" not in result.output
    assert list(scratch.iterdir()) == []
