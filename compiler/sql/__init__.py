"""The SQL backend: the checked model as one SQL query, built as a sqlglot tree (docs/sql.md).

- `build.py`: the small pieces everything here builds with (patterns, quoted
  names, typed literals, operators);
- `dialects.py`: what differs between engines, one `Dialect` subclass each;
- `isotime.py`: ISO text → µs by arithmetic, for an engine without TRY_CAST;
- `stage.py`: raw input relations → converted values, in SQL (staging);
- `jsonl.py`: a result's JSON Lines text, written by the query;
- `query.py`: the query itself, `QueryBuilder` (`to_sql`, `build_query`).

Imports point one way: build ← isotime ← dialects ← stage, jsonl ← query.
"""

from .build import col, ident, lit, source_table, table
from .dialects import DIALECTS, Dialect, SqlUnsupported, dialect, regex_gaps
from .jsonl import json_name, result_json
from .query import Columns, QueryBuilder, build_query, rule_column, to_sql
from .stage import checked_events, checked_leads

__all__ = ["DIALECTS", "Columns", "Dialect", "QueryBuilder", "SqlUnsupported", "build_query", "checked_events",
           "checked_leads", "col", "dialect", "ident", "json_name", "lit", "regex_gaps", "result_json",
           "rule_column", "source_table", "table", "to_sql"]
