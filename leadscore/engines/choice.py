"""Which engine scores a batch when `--engine` is not given (docs/cli.md, "Engines").

DuckDB, for files: it gives the Python engine's results, rejects and
summary byte for byte (tests/test_engine_fuzz.py, tests/test_sql.py), and is
several times faster on large files. The Python runtime when the input or a
flag needs it — the one list of those cases is `choose_engine`. An engine
asked for by name is used as asked, whatever the input.

No construct of a valid model sends a batch to Python: the only ones the
DuckDB query refuses (`first leads`, `last leads`, `max N per D` over leads)
are errors of the checker.
"""

from __future__ import annotations

#: The engine of `score`, `backtest` and `diff --leads` when none is asked for.
DEFAULT_ENGINE = "duckdb"


def choose_engine(asked: str | None, leads_path: str, jobs: int = 1) -> tuple[str, str | None]:
    """(the engine to use, why it is not DuckDB when the default falls back; else None)."""
    if asked is not None:
        return asked, None
    if leads_path == "-":
        return "python", "standard input is scored as it is read"
    if jobs != 1:
        return "python", "--jobs scores in forked Python processes"
    if not duckdb_installed():
        return "python", "DuckDB or sqlglot is not installed"
    return DEFAULT_ENGINE, None


def duckdb_installed() -> bool:
    """Can the DuckDB engine be imported here? (Both are core dependencies; a trimmed install may
    lack them.)"""
    try:
        import duckdb  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        return False
    return True
