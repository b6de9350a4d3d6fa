"""Running the SQL backend (compiler/sql.py) in an embedded engine, and reading its rows back.

`DuckDBEngine` and `SparkEngine` take the checked model, load the input
(files read by the engine itself, or typed rows already converted by the
Python readers), run the model's query, and turn each output row into the
same `ScoreResult` the Python runtime returns: the row carries every score,
tier, stage, group, campaign and each rule's points (`rule.*` columns) and
table arm (`arm.*`), so explanations need no second pass.

Both engines are optional: DuckDB in the `duckdb` extra, PySpark in
`spark`; without them, a one-line error names the extra.
"""

from __future__ import annotations

import json
import os

import attrs

from ..dsl import ir
from . import values as v
from .results import CampaignResult, Contribution, ScoreResult

ENGINES = ("python", "duckdb", "spark")


class EngineError(ValueError):
    """The engine is not installed, or could not run the query."""


# ---- prepared (typed) relations ------------------------------------------------------

def prepared_columns(model: ir.Model) -> tuple[list, list]:
    """(lead columns, event columns) of the prepared relations, as (name, SQL type) pairs."""
    from ..compiler.sql import Columns
    names = Columns.of(model)
    sql_type = {ir.TEXT: "VARCHAR", ir.NUMBER: "DOUBLE", ir.BOOL: "BOOLEAN", ir.DATE: "BIGINT",
                ir.TIME: "BIGINT"}
    leads = [("__id", "VARCHAR"), ("__pos", "BIGINT")]
    for f in model.fields:
        leads.append((names.field(f.name), sql_type[f.type]))
        if f.type == ir.TEXT:
            leads.append((names.field(f.name, stripped=True), "VARCHAR"))
    events = [("__lead", "VARCHAR"), ("__type", "VARCHAR"), ("__at", "BIGINT")]
    for (name, type_), j in names.attributes.items():
        events.append((f"a{j}", sql_type[type_]))
        if type_ == ir.TEXT:
            events.append((f"t{j}", "VARCHAR"))
    return leads, events


def prepared_rows(model: ir.Model, leads, start: int = 0) -> tuple[list, list]:
    """Typed `Lead`s (with their usable events) → rows of the prepared relations (`__pos` from `start`)."""
    from ..compiler.sql import Columns
    names = Columns.of(model)
    lead_rows, event_rows = [], []
    for pos, lead in enumerate(leads, start):
        row = [lead.id, pos]
        for f in model.fields:
            row.append(lead.values.get(f.name))
            if f.type == ir.TEXT:
                row.append(lead.stripped.get(f.name))
        lead_rows.append(row)
        for event in lead.events:
            erow = [lead.id, event.type, event.at]
            for (name, type_), _j in names.attributes.items():
                declared = model.event_type(event.type)
                attribute = declared.attribute(name) if declared else None
                mine = attribute is not None and attribute.type == type_
                erow.append(event.values.get(name) if mine else None)
                if type_ == ir.TEXT:
                    erow.append(event.stripped.get(name) if mine else None)
            event_rows.append(erow)
    return lead_rows, event_rows


# ---- rows → results ---------------------------------------------------------------------

@attrs.frozen
class RowReader:
    """Turns the query's output rows (dicts by column name) into `ScoreResult`s."""

    model: ir.Model
    now: int
    rules: tuple = attrs.field(init=False)       # (index, column, arm column, name, label, reason, arm texts)
    now_text: str = attrs.field(init=False)

    def __attrs_post_init__(self):
        from ..compiler.sql import rule_column
        rules = []
        for rule, _group in self.model.all_rules():
            column = rule_column(rule)
            by_arm = rule.kind == "table" and not rule.reason_given
            rules.append((rule.index, column, "arm." + column[len("rule."):] if by_arm else None, rule.name,
                          rule.scope.label, rule.reason,
                          tuple(f"{rule.reason}: {arm.text}" for arm in rule.arms) if by_arm else ()))
        rules.sort(key=lambda r: r[0])
        object.__setattr__(self, "rules", tuple(rules))
        object.__setattr__(self, "now_text", v.format_time(self.now))

    @staticmethod
    def names(text) -> tuple:
        return tuple(text.split(";")) if text else ()

    def result(self, row: dict, warnings: tuple = ()) -> ScoreResult:
        m = self.model
        groups = {g.name: float(row[f"group.{g.name}"]) for g in m.groups}
        group_tiers = {t.group: row[f"group_tier.{t.group}"] for t in m.group_tiers}
        campaigns = {}
        for c in m.campaigns:
            prefix = f"campaign.{c.name}"
            campaigns[c.name] = CampaignResult(
                score=float(row[f"{prefix}.score"]), tier=row[f"{prefix}.tier"],
                qualified=self.names(row[f"{prefix}.qualified"]),
                groups={g.name: float(row[f"{prefix}.group.{g.name}"]) for g in c.groups},
                group_tiers={t.group: row[f"{prefix}.group_tier.{t.group}"] for t in c.group_tiers},
                tags=self.names(row[f"{prefix}.tags"]))
        return ScoreResult(
            id=row["id"], score=float(row["score"]), tier=row["tier"], groups=groups, group_tiers=group_tiers,
            qualified=self.names(row["qualified"]), disqualified=self.names(row["disqualified"]),
            tags=self.names(row["tags"]), campaigns=campaigns, clamped=bool(row["clamped"]),
            warnings=tuple(warnings), now=self.now_text, contributions=self.contributions(row))

    def contributions(self, row: dict) -> tuple:
        """Each rule's non-zero points, in declaration order, with the reason of the arm taken."""
        found = []
        for _index, column, arm_column, name, label, reason, arm_reasons in self.rules:
            points = row[column]
            if not points:
                continue
            if arm_column is not None and row[arm_column] is not None:
                reason = arm_reasons[int(row[arm_column])]
            found.append(Contribution(name, label, float(points), reason))
        return tuple(found)


def json_line(lead_id: str, text: str, warnings, now_json: str) -> str:
    """A result's JSON Lines text from the part the query wrote (compiler/sqljson.py) and the
    parts Python knows (`now_json`: `json.dumps` of the `now` text): exactly
    `json.dumps(result.to_dict(), ensure_ascii=False)`."""
    head = ('{"id": "' + lead_id + '", ' if lead_id.isascii() and lead_id.isprintable()
            and '"' not in lead_id and "\\" not in lead_id
            else '{"id": ' + json.dumps(lead_id, ensure_ascii=False) + ", ")
    return (head + text + ', "warnings": ' + (json.dumps(list(warnings), ensure_ascii=False) if warnings else "[]")
            + ', "now": ' + now_json + "}")


# ---- DuckDB ---------------------------------------------------------------------------

#: Doubles of every shape, for checking that an engine writes them as `repr` does.
FLOAT_SAMPLES = [0.0, -0.0, 1.0, -1.0, 21.0, 0.1, 2.392442435127517, 43.39244243512752, 1 / 3, 100.0,
                 1e15, 1e16, 1.2345678901234568e+17, 1e22, 1e-4, 1e-5, 1.5e-7, 5e-324, 2.2250738585072014e-308,
                 1.7976931348623157e+308, 123456789.125, -9999999999999998.0, 0.30000000000000004]


def machine_memory_mb() -> int | None:
    """This machine's physical memory in MB, if the system says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return None


def default_memory_limit() -> str:
    """Half of this machine's memory, at least 2 GB: DuckDB's own default (80%) leaves little for
    the Python side of the batch."""
    total = machine_memory_mb()
    return f"{max(2048, total // 2)}MB" if total else "2GB"


def require_sqlglot(user: str, extra: str = "sql") -> None:
    """sqlglot, which writes every query, is in the `sql` extra (and those that include it), not
    in a core install: a path that needs it says so in one line. `user`: who needs it."""
    try:
        import sqlglot  # noqa: F401
    except ImportError:
        raise EngineError(f"{user} needs the SQL extra: pip install 'leadscore[{extra}]'") from None


def import_duckdb():
    try:
        import duckdb
    except ImportError:
        raise EngineError("the duckdb engine needs DuckDB: pip install 'leadscore[duckdb]'") from None
    return duckdb


class SqlEngine:
    """What runtime/enginebatch.py needs of an engine; queries are sqlglot trees or SQL text."""

    dialect = "duckdb"
    native_formats: tuple = ()

    #: Does `view` leave a query to be run where it is read (so its tables must stay)?
    lazy_views = False
    #: The engine's function for `x ** y` as Python computes it, if its POWER differs
    pow_function: str | None = None

    def writes_json(self) -> bool:
        """Can the query write result lines itself (compiler/sqljson.py)? Only where doubles come
        out as Python writes them."""
        return False

    def view(self, name: str, query) -> None:
        """A relation read once, by the scoring query: a view where the engine runs it there."""
        self.materialize(name, query)

    def sql(self, query) -> str:
        return query if isinstance(query, str) else query.sql(dialect=self.dialect)

    def load_prepared(self, model: ir.Model, leads: list, names=("leads", "events")) -> None:
        """Typed leads (from the Python readers) as the prepared relations."""
        import tempfile
        from .enginebatch import write_prepared_csv
        lead_cols, event_cols = prepared_columns(model)
        lead_rows, event_rows = prepared_rows(model, leads)
        with tempfile.TemporaryDirectory(prefix="leadscore-") as scratch:
            for name, columns, rows in ((names[0], lead_cols, lead_rows), (names[1], event_cols, event_rows)):
                path = os.path.join(scratch, name + ".csv")
                write_prepared_csv(path, rows)
                self.load_typed_csv(name, path, columns)


class DuckDBEngine(SqlEngine):
    """An embedded, in-memory DuckDB with the session time zone pinned to UTC."""

    dialect = "duckdb"
    native_formats = ("csv", "parquet")       # Parquet with text columns only (`load_raw`)

    def __init__(self, threads: int | None = None, memory_limit: str | None = None):
        """`memory_limit`: what DuckDB may hold before it spills to a temporary directory
        (default: $LEADSCORE_DUCKDB_MEMORY, else half the machine's memory, at least 2 GB)."""
        import tempfile
        memory_limit = memory_limit or os.environ.get("LEADSCORE_DUCKDB_MEMORY") or default_memory_limit()
        duckdb = import_duckdb()
        self.error = duckdb.Error
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.spill = tempfile.TemporaryDirectory(prefix="leadscore-duckdb-")
        self.con.execute("SET temp_directory = ?", [self.spill.name])
        self.con.execute("SET memory_limit = ?", [memory_limit])
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    # ---- tables ----------------------------------------------------------------------

    def load_typed_csv(self, name: str, path: str, columns: list) -> None:
        """A headerless CSV written by us (enginebatch.write_prepared_csv), with declared types."""
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_csv($1, header=false, '
                         "columns=$2, nullstr='', quote='\"', escape='\"', delim=',', auto_detect=false)",
                         [path, dict(columns)])

    def load_raw(self, path: str, fmt: str, name: str, delimiter: str | None) -> int | None:
        """A user's CSV or Parquet file as text columns plus `__epos`; returns how many rows it
        refused, or None (nothing loaded) for a Parquet file whose rows DuckDB would not give as
        the Python reader does: a column that is not text, names DuckDB changed (duplicates), or
        a file it cannot read (the Python reader then words the error)."""
        from ..batch.io.readers import _normalize_delimiter, sniff_delimiter
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
                delim = _normalize_delimiter(delimiter)
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


def open_engine(name: str, master: str | None = None):
    """The engine `--engine NAME` asks for, ready to load tables. Raises EngineError."""
    require_sqlglot(f"--engine {name}", name)
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        from .sparkengine import SparkEngine
        return SparkEngine(master)
    raise EngineError(f"unknown engine `{name}`; choose one of: {', '.join(ENGINES)}")
