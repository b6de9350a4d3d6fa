"""`score --engine duckdb --format jsonl` has DuckDB write the result lines itself (issue 18
point 3): no result comes back through Python on the common path, and the file is the same
bytes as `--engine python`'s, ids that JSON escapes and leads with warnings included.
"""

from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner

pytest.importorskip("sqlglot")
if importlib.util.find_spec("duckdb") is None:
    pytest.skip("needs DuckDB", allow_module_level=True)

from leadscore.cli import main  # noqa: E402
from leadscore.engines import rows  # noqa: E402
from leadscore.engines.batch import EngineBatch  # noqa: E402

MODEL = """model "lines"
field plan: text
field size: number
event visit(seconds: number)
rule paid: +10 when plan == "pro"
rule big: +1 when size > 1000
rule busy: +5 when count(visit within 30d) >= 2
rule long: +1 when sum(visit, seconds) > 10
"""

NOW = "2026-01-10T00:00:00Z"


def run(tmp_path, engine: str, leads: str, events: str) -> bytes:
    model, lead_file, event_file = tmp_path / "m.score", tmp_path / "leads.csv", tmp_path / "events.csv"
    model.write_text(MODEL, encoding="utf-8")
    lead_file.write_text(leads, encoding="utf-8")
    event_file.write_text(events, encoding="utf-8")
    out = tmp_path / f"{engine}.jsonl"
    result = CliRunner().invoke(main, ["score", str(model), "--leads", str(lead_file), "--events", str(event_file),
                                       "--now", NOW, "--engine", engine, "-o", str(out),
                                       "--rejects", str(tmp_path / "rejects.jsonl")])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def no_results_in_python(monkeypatch):
    """Fail if any result comes back through Python (a row read, a line built)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a result went through Python")
    monkeypatch.setattr(rows.RowReader, "result", refuse)
    monkeypatch.setattr(rows, "json_line", refuse)
    monkeypatch.setattr(EngineBatch, "json_lines", refuse)


EVENTS = "lead_id,type,at,seconds\nL1,visit,2026-01-02T00:00:00Z,5\nL1,visit,2026-01-03T00:00:00Z,7\n"


def test_duckdb_writes_the_result_lines_itself(tmp_path, monkeypatch):
    leads = "".join(["id,plan,size\n"] + [f"L{k},{'pro' if k % 2 else 'free'},{k}\n" for k in range(1, 50)])
    python = run(tmp_path, "python", leads, EVENTS)
    no_results_in_python(monkeypatch)
    assert run(tmp_path, "duckdb", leads, EVENTS) == python


def test_escaped_ids_and_warnings_are_the_same_bytes(tmp_path):
    """An id JSON escapes (a quote, a backslash, a control character) or with non-ASCII text is
    written by Python among DuckDB's lines; a lead's warnings reach its line."""
    leads = ('id,plan,size\nL1,pro,1\n"Q""uote",pro,2\nB\\ack,free,3\nStraße,pro,4\n"T\tab",free,5\n'
             "W1,pro,lots\nBIG,pro,2000\nBIG2,pro,3000\nL9,free,9\n")
    events = EVENTS + "W1,visit,2026-01-04T00:00:00Z,many\n"
    python = run(tmp_path, "python", leads, events)
    assert b'"warnings": ["' in python
    assert run(tmp_path, "duckdb", leads, events) == python


def test_duckdb_is_bounded_by_default_and_spills_to_its_own_folder(monkeypatch):
    """Issue 17 point 6: by default DuckDB holds at most 1 GB (the process stays under 2 GB at 1M
    leads and 10M events) and spills to a `leadscore-duckdb-*` folder removed when it closes."""
    import os

    from leadscore.engines.duckdb import DuckDBEngine
    monkeypatch.delenv("LEADSCORE_DUCKDB_MEMORY", raising=False)
    engine = DuckDBEngine()
    limit, folder = engine.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    number, unit = limit.split()
    assert unit in ("KiB", "MiB") and float(number) <= 1024
    assert os.path.basename(folder).startswith("leadscore-duckdb-") and os.path.isdir(folder)
    engine.spill.cleanup()
    assert not os.path.exists(folder)
