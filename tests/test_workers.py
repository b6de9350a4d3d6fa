"""`leadscore score --jobs N` (leadscore/batch/workers.py): the same output, rejects and summary as one
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
from leadscore.batch import workers  # noqa: E402
from leadscore.batch.batch import Batch  # noqa: E402

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


#: the outputs a forked run writes: JSON Lines with and without explanations, and CSV
OUTPUTS = [(), ("--explain",), ("--format", "csv"), ("--format", "csv", "--explain")]


def same_in_every_process_count(tmp_path, model_text, leads, events, *extra):
    for output in OUTPUTS:
        one = run(tmp_path, model_text, leads, events, *extra, *output)
        for jobs in ("2", "3", "0"):
            assert run(tmp_path, model_text, leads, events, *extra, *output, "--jobs", jobs) == one, (jobs, output)
        assert one[0].count("\n") > 2
    return run(tmp_path, model_text, leads, events, *extra)


def test_csv_cells_with_newlines_and_quotes_are_copied_whole(tmp_path):
    """A CSV record may span lines (an id with a newline in it): children's output is copied as
    written, not line by line."""
    rows = "".join(f'"L{k}\nline two, ""quoted""",{k * 7}\n' for k in range(60))
    leads = bad.write_bytes(tmp_path / "leads.csv", "id,employees\n" + rows)
    one = run(tmp_path, bad.MODEL, leads, None, "--format", "csv", "--explain")
    assert one[0].count('\nline two, ""quoted""",') == 60
    assert run(tmp_path, bad.MODEL, leads, None, "--format", "csv", "--explain", "--jobs", "3") == one


def test_parquet_is_written_in_one_process(tmp_path):
    pytest.importorskip("pyarrow")
    leads = bad.write_bytes(tmp_path / "leads.csv", "id,employees\nA,150\nB,5\n")
    model = tmp_path / "model.score"
    model.write_text(bad.MODEL, encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(main, ["score", str(model), "--leads", str(leads), "--now", bad.NOW,
                                       "--format", "parquet", "-o", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq
    assert pq.read_table(out).column("id").to_pylist() == ["A", "B"]


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
