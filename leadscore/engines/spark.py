"""`--engine spark`: the model's SQL run by Spark (local mode by default, `--master` for a cluster).

The same engine interface as `duckdb.DuckDBEngine`, over Spark SQL temp
views: the prepared leads and every event row reach Spark as CSV files
written by the engine batch (batch.py) (events parsed by the Python readers, so
every bad row is found and worded as the Python batch does), and the
model's query runs as Spark SQL. The session is pinned to UTC; ANSI mode
stays on (the query only ever casts with TRY_CAST and never divides by a
value from the data). For data already in a cluster's tables, print the
query with `leadscore sql --dialect spark` instead (docs/sql.md).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile

from .engine import EngineError, SqlEngine, machine_memory_mb

TYPES = {"VARCHAR": "string", "DOUBLE": "double", "BOOLEAN": "boolean", "BIGINT": "bigint"}


def import_pyspark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("the spark engine needs PySpark (and Java 17+): pip install 'leadscore[spark]'") from None
    return SparkSession


#: The name `python_pow` is registered under in each session.
POW_FUNCTION = "leadscore_pow"


def python_pow(base, exponent):
    """`base ** exponent` as the Python runtime computes a decay factor (C's pow). Spark's POWER is
    Java's, which differed in the last bit for 51 of the 300 b2b example leads (stop 11)."""
    if base is None or exponent is None:
        return None
    try:
        return base ** exponent
    except OverflowError:
        return float("inf")


#: The name `python_matches` is registered under in each session.
REGEX_FUNCTION = "leadscore_matches"


@functools.lru_cache(maxsize=1024)
def _search(pattern: str):
    import re2
    return re2.compile("(?i)" + pattern).search


def python_matches(text, pattern):
    """`text matches pattern` as the Python runtime runs it: RE2, in time linear in the text. Spark's
    RLIKE is Java's regex, which backtracks: `(a|aa)+$` on 30,000 characters overflowed its stack."""
    if text is None or pattern is None:
        return None
    return _search(pattern)(text) is not None


def scratch_warehouse() -> str:
    """A temporary folder for Spark's warehouse, removed at exit: Spark makes that folder when a
    session starts (the batch creates no table in it), by default in the working directory."""
    folder = tempfile.mkdtemp(prefix="leadscore-spark-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def use_this_python() -> None:
    """Local Spark's Python workers (which run `python_pow`, pickled by reference to this module)
    start `$PYSPARK_PYTHON`, else the first `python3` on PATH: outside an activated venv that is
    an interpreter without leadscore ("No module named 'leadscore'"). PySpark reads the variables
    when the session starts (the `spark.pyspark.python` setting reaches only spark-submit), so
    they are set here, to the interpreter running this process."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable


def driver_memory() -> str:
    """A quarter of this machine's memory, at least 1 GB (Spark's default)."""
    total = machine_memory_mb()
    return f"{max(1024, total // 4)}m" if total else "1g"


class SparkEngine(SqlEngine):
    dialect = "spark"
    native_formats: tuple = ()

    def __init__(self, master: str | None = None):
        SparkSession = import_pyspark()
        builder = (SparkSession.builder.appName("leadscore").master(master or "local[*]")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   # the output comes back to this process partition by partition: small ones
                   .config("spark.sql.shuffle.partitions", "16" if not master else "200"))
        if not master or master.startswith("local"):
            use_this_python()
            builder = builder.config("spark.sql.warehouse.dir", scratch_warehouse())
            # local mode runs in the driver's JVM, whose heap is 1 GB unless told: a million
            # result rows did not fit ("TaskResultLost")
            builder = builder.config("spark.driver.memory",
                                     os.environ.get("LEADSCORE_SPARK_DRIVER_MEMORY") or driver_memory())
        try:
            self.spark = builder.getOrCreate()
        except Exception as error:       # Java missing, master unreachable: one clear line
            raise EngineError(f"cannot start Spark: {str(error).splitlines()[0] if str(error) else error}") from None
        self.spark.sparkContext.setLogLevel("ERROR")
        from pyspark.sql.types import BooleanType, DoubleType
        self.spark.udf.register(POW_FUNCTION, python_pow, DoubleType())
        self.spark.udf.register(REGEX_FUNCTION, python_matches, BooleanType())
        self.pow_function, self.regex_function = POW_FUNCTION, REGEX_FUNCTION
        self.cached: list = []

    def load_typed_csv(self, name: str, path: str, columns: list) -> None:
        schema = ", ".join(f"`{c}` {TYPES[t]}" for c, t in columns)
        frame = self.spark.read.csv(path, schema=schema, header=False, nullValue="", quote='"', escape='"',
                                    multiLine=True, mode="FAILFAST")
        self._keep(name, frame)

    def _keep(self, name: str, frame) -> None:
        frame = frame.cache()
        frame.count()                    # read now: the files it came from are temporary
        frame.createOrReplaceTempView(name)
        self.cached.append(frame)

    def columns(self, name: str) -> list:
        return list(self.spark.table(f"`{name}`").columns)

    def tables(self) -> set:
        return {t.name for t in self.spark.catalog.listTables()}

    def drop(self, *names: str) -> None:
        for name in names:
            self.spark.catalog.dropTempView(name)

    def materialize(self, name: str, query) -> None:
        self._keep(name, self.spark.sql(self.sql(query)))

    def fetch(self, query) -> list:
        return [tuple(row) for row in self.spark.sql(self.sql(query)).collect()]

    def rows(self, query):
        frame = self.spark.sql(self.sql(query))
        for row in frame.toLocalIterator():
            yield row.asDict()

    def close(self) -> None:
        for frame in self.cached:
            frame.unpersist()
        self.cached = []
