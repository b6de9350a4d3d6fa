"""What the SQL tests share: a printed query's rows compared with `score --format csv`."""

from __future__ import annotations


def assert_rows_match_csv(rows: dict, expected: list, *context) -> None:
    """Each CSV row (`score --format csv`) equals the query's row for its id, column by column,
    as CSV shows a value; the query drops warnings (docs/sql.md), so they are not compared."""
    for want in expected:
        got = rows[want["id"]]
        for column, text in want.items():
            if column == "warnings":
                continue
            value = got[column]
            shown = "" if value is None else (repr(value) if isinstance(value, float) else str(value))
            assert shown == text, (want["id"], column, shown, text, *context)
