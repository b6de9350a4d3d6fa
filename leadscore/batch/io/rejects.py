"""The rejects file (INTERFACE.md section 9): one JSON line per rejected row.

Each line is ``{"file": ..., "line": ..., "reason": ..., "row": ...}``, where
``row`` is the raw text or the parsed value of the row as far as it is known.
Values JSON cannot hold are written as text (dates and times as ISO-8601,
decimals as their digits, bytes decoded as UTF-8 with U+FFFD for bad bytes,
sets as lists, anything else through ``str``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from decimal import Decimal
from typing import Any

from .atomic import AtomicTarget, WholeOrNothing
from .readers import BadRow, WriteError, _os_reason

__all__ = ["RejectsWriter", "json_default"]


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)``: a JSON-able stand-in for a value JSON cannot hold."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    if isinstance(value, tuple):  # pragma: no cover - json handles tuples itself
        return list(value)
    return str(value)


def _dumps(record: dict) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, default=json_default)
    except (ValueError, TypeError, RecursionError):
        # circular structure, non-string keys json cannot sort out, ...
        record = dict(record, row=repr(record.get("row")))
        return json.dumps(record, ensure_ascii=False, default=json_default)


class RejectsWriter(WholeOrNothing):
    """Writes rejected rows as JSON Lines; with ``path`` None it only counts them.

    The file is written atomically (atomic.py): ``close()`` replaces an
    earlier run's file with this run's (empty when nothing was rejected), so
    a rejects file never misleads; ``abort()``, or leaving the ``with`` block
    by an exception, leaves it as it was, beside the output the failed run
    also left as it was.  It is written UTF-8, one record per line.
    ``count`` is the number of records added.  Raises WriteError if the file
    cannot be created.
    """

    def __init__(self, path: str | os.PathLike | None):
        self.path = None if path is None else os.fspath(path)
        self.count = 0
        self._file = self._target = None
        if self.path is not None:
            try:
                self._target = AtomicTarget(self.path)
                # backslashreplace: a lone surrogate that slipped into a string
                # becomes a \\udcXX escape, which is still valid JSON
                self._file = self._target.open("w", encoding="utf-8", errors="backslashreplace", newline="\n")
            except OSError as e:
                raise WriteError(f"cannot write the rejects file {self.path}: {_os_reason(e)}") from None

    def add(self, bad: BadRow) -> None:
        """Record one rejected row."""
        self.count += 1
        if self._file is not None:
            record = {"file": bad.file, "line": bad.line, "reason": bad.reason, "row": bad.row}
            self._file.write(_dumps(record) + "\n")

    def reject(self, file: str, line: int, reason: str, row: object) -> None:
        """``add(BadRow(file, line, reason, row))``."""
        self.add(BadRow(file, line, reason, row))

    @property
    def closed(self) -> bool:
        return self._file is None or self._file.closed

    def close(self) -> None:
        """Finish the file (if any) and put it in place; calling it again does nothing."""
        if self._file is not None and not self._file.closed:
            try:
                self._file.close()
                self._target.commit()
            except OSError as e:
                self._target.discard()
                raise WriteError(f"cannot write the rejects file {self.path}: {_os_reason(e)}") from None
            except BaseException:
                self._target.discard()
                raise

    def abort(self) -> None:
        """Stop writing and leave an existing file as it was (a failed or interrupted run)."""
        if self._file is not None:
            self._file.close()
            self._target.discard()

    def __repr__(self) -> str:
        return f"RejectsWriter({self.path!r}, count={self.count})"
