"""DuckDB as an engine: embedded, in memory, the session time zone pinned to
UTC; it reads CSV and text-only Parquet files itself (`load_raw`) and, where
it writes doubles as Python does, the result lines too (`writes_json`).

Optional: DuckDB is in the `duckdb` extra; without it, a one-line error
names the extra.

A stop (SIGINT, SIGTERM) interrupts the statement running: the connection's
`interrupt` is registered for the engine's life (leadscore/batch/interrupts.py),
so a long query ends within a moment rather than when it is done. On an idle
connection it does nothing; the next statement starts afresh.
"""

from __future__ import annotations

import os
import weakref

from ..batch import interrupts
from ..dsl import ir
from .engine import EngineError, SqlEngine, machine_memory_mb
from .rows import RowReader

#: Doubles of every shape, for checking that an engine writes them as `repr` does.
FLOAT_SAMPLES = [0.0, -0.0, 1.0, -1.0, 21.0, 0.1, 2.392442435127517, 43.39244243512752, 1 / 3, 100.0,
                 1e15, 1e16, 1.2345678901234568e+17, 1e22, 1e-4, 1e-5, 1.5e-7, 5e-324, 2.2250738585072014e-308,
                 1.7976931348623157e+308, 123456789.125, -9999999999999998.0, 0.30000000000000004]


#: The longest line of a CSV file written by us that DuckDB reads (bytes).
OWN_LINE_LIMIT = 2**30


#: What DuckDB may hold by default before it spills (MB). Its buffers are not all of the process:
#: with 1 GB, 1M leads and 10M events peaked at 1.3 GB of RSS (benchmarks/duckdb_floor.py; the
#: target is under 2 GB), where half the machine let it reach 6 GB (docs/sql.md, "Engines").
DEFAULT_MEMORY_MB = 1024


def default_memory_limit() -> str:
    """DEFAULT_MEMORY_MB, or half this machine's memory where that is less."""
    total = machine_memory_mb()
    return f"{min(DEFAULT_MEMORY_MB, total // 2) if total else DEFAULT_MEMORY_MB}MB"


def import_duckdb():
    try:
        import duckdb
    except ImportError:
        raise EngineError("the duckdb engine needs DuckDB: pip install 'leadscore[duckdb]'") from None
    return duckdb


class DuckDBEngine(SqlEngine):
    """An embedded, in-memory DuckDB with the session time zone pinned to UTC."""

    dialect = "duckdb"
    native_formats = ("csv", "parquet")       # Parquet with text columns only (`load_raw`)

    def __init__(self, threads: int | None = None, memory_limit: str | None = None):
        """`memory_limit`: what DuckDB may hold before it spills to a temporary directory
        (default: $LEADSCORE_DUCKDB_MEMORY, else `default_memory_limit()`)."""
        import tempfile
        memory_limit = memory_limit or os.environ.get("LEADSCORE_DUCKDB_MEMORY") or default_memory_limit()
        duckdb = import_duckdb()
        self.error = duckdb.Error
        self.con = duckdb.connect(":memory:")
        weakref.finalize(self, interrupts.on_interrupt(self.con.interrupt).cancel)
        self.con.execute("SET TimeZone = 'UTC'")
        self.spill = tempfile.TemporaryDirectory(prefix="leadscore-duckdb-")
        self.con.execute("SET temp_directory = ?", [self.spill.name])
        self.con.execute("SET memory_limit = ?", [memory_limit])
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    # ---- tables ----------------------------------------------------------------------

    def load_typed_csv(self, name: str, path: str, columns: list) -> None:
        """A headerless CSV written by us (prepared.write_prepared_csv), with declared types. Its
        lines may be longer than DuckDB's default limit (2 MB): a JSON value has no size limit, and a
        text field is written twice (as given and folded). An empty cell is NULL, a quoted one (`""`)
        the empty text."""
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_csv($1, header=false, '
                         "columns=$2, nullstr='', allow_quoted_nulls=false, quote='\"', escape='\"', delim=',', "
                         "auto_detect=false, max_line_size=$3)", [path, dict(columns), OWN_LINE_LIMIT])

    def load_raw(self, path: str, fmt: str, name: str, delimiter: str | None) -> int | None:
        """A user's CSV or Parquet file as text columns plus `__epos`; returns how many rows it
        refused, or None (nothing loaded) for a Parquet file whose rows DuckDB would not give as
        the Python reader does: a column that is not text, names DuckDB changed (duplicates), or
        a file it cannot read (the Python reader then words the error)."""
        from ..batch.io import normalize_delimiter, sniff_delimiter
        if fmt == "parquet":
            try:
                columns = self.con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [path]).fetchall()
                stored = [row[0] for row in self.con.execute(
                    "SELECT name FROM parquet_schema($1) WHERE num_children IS NULL", [path]).fetchall()]
            except self.error:              # missing, unreadable, not Parquet: the Python reader says why
                return None
            if any(row[1] != "VARCHAR" for row in columns) or [row[0] for row in columns] != stored:
                return None
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}_file" AS SELECT * FROM read_parquet($1)', [path])
            self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT rowid AS "__epos", * FROM "{name}_file"')
            return 0
        try:
            if delimiter:
                delim = normalize_delimiter(delimiter)
            else:
                with open(path, encoding="utf-8-sig", errors="replace") as handle:
                    delim = sniff_delimiter(handle.readline())
            self.con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}_file" AS SELECT * FROM read_csv($1, header=true, '
                             "all_varchar=true, store_rejects=true, nullstr=$2, quote='\"', escape='\"', "
                             "delim=$3, strict_mode=true)", [path, "\x00", delim])
        except (OSError, self.error):       # the Python reader reads it, or says why it cannot
            return None
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT rowid AS "__epos", * FROM "{name}_file"')
        return self.con.execute("SELECT COUNT(DISTINCT line) FROM reject_errors").fetchone()[0]

    def columns(self, name: str) -> list:
        return [row[0] for row in self.con.execute(f'DESCRIBE "{name}"').fetchall()]

    def writes_json(self) -> bool:
        """DuckDB writes a DOUBLE as its shortest round-trip text; checked here against `repr` on
        values of every shape (exponents, subnormals, signed zero) rather than assumed."""
        if not hasattr(self, "_writes_json"):
            values = FLOAT_SAMPLES
            got = self.con.execute("SELECT CAST(x AS VARCHAR) FROM UNNEST(CAST($1 AS DOUBLE[])) AS t(x)",
                                   [values]).fetchall()
            self._writes_json = [row[0] for row in got] == [repr(x) for x in values]
        return self._writes_json

    def tables(self) -> set:
        return {row[0] for row in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    def drop(self, *names: str) -> None:
        """Free tables no longer needed (a view's table too: `NAME_file`)."""
        for name in names:
            for kind, target in (("VIEW", name), ("TABLE", name), ("TABLE", name + "_file")):
                try:
                    self.con.execute(f'DROP {kind} IF EXISTS "{target}"')
                except self.error:
                    pass

    lazy_views = True

    def materialize(self, name: str, query) -> None:
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS ' + self.sql(query))

    def view(self, name: str, query) -> None:
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS ' + self.sql(query))

    def fetch(self, query) -> list:
        return self.con.execute(self.sql(query)).fetchall()

    writes_files = True

    def copy_lines(self, query, path: str) -> None:
        """A one-column query's rows written to `path` by DuckDB, one a line, as they are: no
        quoting (QUOTE ''), a delimiter no line holds (JSON text escapes control characters)."""
        target = path.replace("'", "''")
        self.con.execute(f"COPY ({self.sql(query)}) TO '{target}' "
                         "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')")

    def rows(self, query, as_tuples: bool = False):
        """The output rows as dicts (or tuples), in order, fetched in batches."""
        cursor = self.con.execute(self.sql(query))
        columns = [d[0] for d in cursor.description]
        while True:
            batch = cursor.fetchmany(10_000)
            if not batch:
                return
            if as_tuples:
                yield from batch
                continue
            for values in batch:
                yield dict(zip(columns, values))


def score_prepared(model: ir.Model, leads: list, now: int, engine=None) -> list:
    """Score typed leads (an account per shared key, as `Model.score_prepared`) through SQL."""
    from ..compiler.sql import to_sql
    engine = engine or DuckDBEngine()
    engine.load_prepared(model, leads)
    sql = to_sql(model, engine.dialect, now, prepared=True, pretty=False, pow_function=engine.pow_function)
    reader = RowReader(model, now)
    by_id = {lead.id: lead for lead in leads}
    return [reader.result(row, tuple(by_id[row["id"]].warnings)) for row in engine.rows(sql)]
