"""The SQL engines behind `score --engine duckdb|spark`: the model's query
(compiler/sql/) run by an embedded DuckDB (duckdb.py) or Spark SQL
(spark.py), fed by the engine batch (batch.py) with the same rejects,
warnings and counts as the Python batch.

Above the batch and the compiler; the generated module never imports it.
"""

from __future__ import annotations

from .engine import ENGINES, EngineError, require_sqlglot


def open_engine(name: str, master: str | None = None):
    """The engine `--engine NAME` asks for, ready to load tables. Raises EngineError."""
    require_sqlglot(f"--engine {name}", name)
    if name == "duckdb":
        from .duckdb import DuckDBEngine
        return DuckDBEngine()
    if name == "spark":
        from .spark import SparkEngine
        return SparkEngine(master)
    raise EngineError(f"unknown engine `{name}`; choose one of: {', '.join(ENGINES)}")
