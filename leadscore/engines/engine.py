"""What an SQL engine is to the rest of leadscore: `SqlEngine`, the interface the
engine batch (batch.py) drives, `EngineError`, and the checks every engine
shares (sqlglot installed, the machine's memory). DuckDB (duckdb.py) and
Spark (spark.py) are its subclasses; `open_engine` (the package) picks one.
"""

from __future__ import annotations

import os

from ..dsl import ir
from .prepared import prepared_columns, prepared_rows, write_prepared_csv

#: Who can score a batch (`--engine`): the Python runtime, or one of the SQL engines here.
ENGINES = ("python", "duckdb", "spark")


class EngineError(ValueError):
    """The engine is not installed, or could not run the query."""


def machine_memory_mb() -> int | None:
    """This machine's physical memory in MB, if the system says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return None


def require_sqlglot(user: str, extra: str = "sql") -> None:
    """sqlglot, which writes every query, is in the `sql` extra (and those that include it), not
    in a core install: a path that needs it says so in one line. `user`: who needs it."""
    try:
        import sqlglot  # noqa: F401
    except ImportError:
        raise EngineError(f"{user} needs the SQL extra: pip install 'leadscore[{extra}]'") from None


class SqlEngine:
    """What the engine batch (batch.py) needs of an engine; queries are sqlglot trees or SQL text."""

    dialect = "duckdb"
    native_formats: tuple = ()

    #: Does `view` leave a query to be run where it is read (so its tables must stay)?
    lazy_views = False
    #: The engine's function for `x ** y` as Python computes it, if its POWER differs
    pow_function: str | None = None
    #: The engine's function for `matches` as Python runs it (RE2), if its regex search differs
    regex_function: str | None = None

    def writes_json(self) -> bool:
        """Can the query write result lines itself (compiler/sql/jsonl.py)? Only where doubles come
        out as Python writes them."""
        return False

    #: Can the engine write a query's rows to a file itself (`copy_lines`)?
    writes_files = False

    def copy_lines(self, query, path: str) -> None:
        """Write a one-column query's rows to `path`, one a line, as they are (`writes_files`)."""
        raise NotImplementedError

    def view(self, name: str, query) -> None:
        """A relation read once, by the scoring query: a view where the engine runs it there."""
        self.materialize(name, query)

    def sql(self, query) -> str:
        return query if isinstance(query, str) else query.sql(dialect=self.dialect)

    def load_prepared(self, model: ir.Model, leads: list, names=("leads", "events")) -> None:
        """Typed leads (from the Python readers) as the prepared relations."""
        import tempfile
        lead_cols, event_cols = prepared_columns(model)
        lead_rows, event_rows = prepared_rows(model, leads)
        with tempfile.TemporaryDirectory(prefix="leadscore-") as scratch:
            for name, columns, rows in ((names[0], lead_cols, lead_rows), (names[1], event_cols, event_rows)):
                path = os.path.join(scratch, name + ".csv")
                write_prepared_csv(path, rows)
                self.load_typed_csv(name, path, columns)
