"""The store's frequent statements, run on the database driver's own cursor.

SQLAlchemy builds, caches and runs a Core statement in about 0.3 ms of
CPU; the driver runs a short SQLite statement in about 0.02 ms. A
one-event ingest runs some ten statements, so the store's reads and writes
of leads, events, results and history go through `Driver` (inside the
transaction SQLAlchemy began), and SQLAlchemy keeps what it is good at:
engines, the schema and its upgrades, the rare statements.

The SQL is plain and the same for SQLite and PostgreSQL; only the
parameter mark differs (`?` for sqlite3, `%s` for psycopg), so statements
are written with `?` and translated once per text.
"""

from __future__ import annotations

import functools

#: rows per multi-row statement: SQLite allows 32,766 parameters, and a long
#: IN list or VALUES list costs one parse instead of one statement a row
CHUNK = 500


class Driver:
    """The DBAPI cursor of a SQLAlchemy connection (in its transaction)."""

    def __init__(self, connection):
        self.cursor = connection.connection.driver_connection.cursor()
        self.postgres = connection.dialect.name == "postgresql"

    def sql(self, text: str) -> str:
        return _percent(text) if self.postgres else text

    def rows(self, text: str, params=()) -> list:
        """What `text` returns ([] for a statement that returns nothing)."""
        self.cursor.execute(self.sql(text), params)
        return self.cursor.fetchall() if self.cursor.description is not None else []

    def run(self, text: str, params=()) -> None:
        self.cursor.execute(self.sql(text), params)

    def many(self, text: str, rows: list) -> None:
        if rows:
            self.cursor.executemany(self.sql(text), rows)

    def where_in(self, text: str, values: list, extra=()) -> list:
        """Rows of `text` whose `IN ({})` is filled with `values`, in chunks; `extra` parameters first."""
        found = []
        for start in range(0, len(values), CHUNK):
            chunk = values[start:start + CHUNK]
            found += self.rows(text.format(marks(len(chunk))), (*extra, *chunk))
        return found

    def values(self, text: str, rows: list, width: int) -> list:
        """Run `text` (an INSERT whose `VALUES {}` takes `rows` of `width` values) in chunks;
        what its RETURNING clause returns, if any."""
        found = []
        one = "(" + marks(width) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            found += self.rows(text.format(",".join([one] * len(chunk))), [value for row in chunk for value in row])
        return found


def marks(count: int) -> str:
    return ",".join("?" * count)


@functools.lru_cache(maxsize=256)
def _percent(text: str) -> str:
    return text.replace("?", "%s")
