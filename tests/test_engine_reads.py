"""`score --engine duckdb` analyses the model once and opens each input file once (issue 16).

The engine reads the data files itself; what Python opens is counted here:
the model (read and analysed once, for the compiled model and the query
alike) and each data file (the leads' head, to tell the engine how the
Python reader reads it; the events' head, for its delimiter). A file is
scanned once more only when one of its rows is rejected (exact lines for
the rejects file), which the clean files here do not have.
"""

from __future__ import annotations

import builtins
import collections
import importlib.util
import io
import os

import pytest
from click.testing import CliRunner

pytest.importorskip("sqlglot")
if importlib.util.find_spec("duckdb") is None:
    pytest.skip("needs DuckDB", allow_module_level=True)

from leadscore.cli import main  # noqa: E402
from leadscore.dsl import check  # noqa: E402

MODEL = """model "reads"
field plan: text
event visit(seconds: number)
rule paid: +10 when plan == "pro"
rule busy: +5 when count(visit within 30d) >= 2
"""


@pytest.fixture
def files(tmp_path):
    paths = {"model": tmp_path / "m.score", "leads": tmp_path / "leads.csv", "events": tmp_path / "events.csv"}
    paths["model"].write_text(MODEL, encoding="utf-8")
    paths["leads"].write_text("id,plan\nL1,pro\nL2,free\nL3,\n", encoding="utf-8")
    paths["events"].write_text("lead_id,type,at,seconds\nL1,visit,2026-01-02T00:00:00Z,5\n"
                               "L1,visit,2026-01-03T00:00:00Z,7\nL2,visit,2026-01-03T00:00:00Z,x\n"
                               "L3,signup,2026-01-03T00:00:00Z,\n", encoding="utf-8")
    return {name: str(path) for name, path in paths.items()}


def counted_run(monkeypatch, files, engine: str):
    """The command's output, how often each file was opened, and how many analyses ran."""
    opened: collections.Counter = collections.Counter()
    analyses = [0]
    real_open, real_io_open, real_check = builtins.open, io.open, check.check

    def counting_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            opened[os.path.abspath(os.fspath(file))] += 1
        return real_open(file, *args, **kwargs)

    def counting_check(*args, **kwargs):
        analyses[0] += 1
        return real_check(*args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(check, "check", counting_check)
    result = CliRunner().invoke(main, ["score", files["model"], "--leads", files["leads"], "--events",
                                       files["events"], "--now", "2026-01-10T00:00:00Z", "--engine", engine])
    monkeypatch.setattr(builtins, "open", real_open)
    monkeypatch.setattr(io, "open", real_io_open)
    assert result.exit_code == 0, result.output
    return result.stdout, {name: opened[os.path.abspath(path)] for name, path in files.items()}, analyses[0]


def test_the_engine_path_analyses_once_and_opens_each_file_once(monkeypatch, files):
    output, opened, analyses = counted_run(monkeypatch, files, "duckdb")
    assert analyses == 1
    assert opened == {"model": 1, "leads": 1, "events": 1}
    python_output, _, _ = counted_run(monkeypatch, files, "python")
    assert output == python_output
