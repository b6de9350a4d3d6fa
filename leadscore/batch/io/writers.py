"""Result writers: JSON Lines, CSV and Parquet (INTERFACE.md section 5).

Each writer has ``write(record: dict)`` and ``close()`` and is a context
manager.  ``JsonlWriter`` and ``CsvWriter`` write to a file object the caller
owns (text, or binary -- then UTF-8 is written): ``close()`` flushes it but
does not close it, so standard output stays usable.  ``ParquetWriter`` owns
the file it is given by path, and writes it atomically (atomic.py): ``close()``
puts the finished file in place, ``abort()`` (or leaving a ``with`` block by
an exception) leaves an existing file as it was.

Cell values for CSV and Parquet text columns (``format_cell``): None is
empty, text as is, floats through ``repr`` (shortest text that reads back as
the same float: no rounding), ints as digits, booleans ``true`` / ``false``,
lists and tuples joined by ``;`` (each item formatted the same way), objects
as compact JSON, dates and times ISO-8601.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
from decimal import Decimal
from typing import Any, Mapping, Self, Sequence

from .atomic import AtomicTarget, WholeOrNothing
from .readers import WriteError, _import_pyarrow_parquet, _os_reason
from .rejects import json_default

__all__ = ["JsonlWriter", "CsvWriter", "ParquetWriter", "format_cell"]


def _is_binary(fileobj) -> bool:
    if isinstance(fileobj, io.TextIOBase):
        return False
    if isinstance(fileobj, (io.RawIOBase, io.BufferedIOBase)):
        return True
    return "b" in getattr(fileobj, "mode", "")


def format_cell(value: Any) -> str:
    """The text of one CSV cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ";".join(format_cell(v) for v in value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=json_default)
    return str(value)


class _TextTarget:
    """A text stream over the caller's file object, detached (not closed) on close."""

    def __init__(self, fileobj, newline: str | None):
        self._owned = None
        if _is_binary(fileobj):
            self._owned = io.TextIOWrapper(fileobj, encoding="utf-8", newline=newline, write_through=False)
            self.stream = self._owned
        else:
            self.stream = fileobj

    def close(self) -> None:
        self.stream.flush()
        if self._owned is not None:
            self._owned.detach()
            self._owned = None


class _TextWriter:
    """What the JSON Lines and CSV writers share: the caller's file object as a `_TextTarget`,
    flushed (never closed) by `close()`, once; `with writer:` closes it however the block ends,
    as the file is the caller's to keep or drop."""

    def __init__(self, fileobj, newline: str):
        self._target = _TextTarget(fileobj, newline)
        self._closed = False
        self.count = 0

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._target.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class JsonlWriter(_TextWriter):
    """One JSON object per line (``ensure_ascii=False``, the spec's spacing)."""

    def __init__(self, fileobj):
        super().__init__(fileobj, "\n")
        self._write = self._target.stream.write

    def write(self, record: Mapping[str, Any]) -> None:
        self._write(self.text(record))
        self.count += 1

    @staticmethod
    def text(record: Mapping[str, Any]) -> str:
        """The record's line as `write` writes it, newline included."""
        return json.dumps(record, ensure_ascii=False, default=json_default) + "\n"

    def write_text(self, line: str) -> None:
        """A record already written as JSON text (one line, no newline)."""
        self._write(line + "\n")
        self.count += 1

    def write_raw(self, text: str) -> None:
        """Records already written as `text` gives them (any number, newlines included)."""
        self._write(text)


class CsvWriter(_TextWriter):
    """A header of ``columns``, then one line per record with those columns in order.

    A column missing from a record is empty; keys not in ``columns`` are not
    written.  Lines end with ``\\n``; quoting is minimal (RFC 4180 style).
    """

    def __init__(self, fileobj, columns: Sequence[str]):
        super().__init__(fileobj, "")
        self.columns = list(columns)
        self._writer = csv.writer(self._target.stream, lineterminator="\n")
        self._writer.writerow(self.columns)
        self._scratch = io.StringIO()
        self._text_writer = csv.writer(self._scratch, lineterminator="\n")

    def _cells(self, record: Mapping[str, Any]) -> list:
        get = record.get
        return [format_cell(get(c)) for c in self.columns]

    def write(self, record: Mapping[str, Any]) -> None:
        self._writer.writerow(self._cells(record))
        self.count += 1

    def text(self, record: Mapping[str, Any]) -> str:
        """The record's line(s) as `write` writes them (a quoted cell may hold newlines)."""
        self._text_writer.writerow(self._cells(record))
        text = self._scratch.getvalue()
        self._scratch.seek(0)
        self._scratch.truncate()
        return text

    def write_raw(self, text: str) -> None:
        """Records already written as `text` gives them."""
        self._target.stream.write(text)


#: column type names accepted by ParquetWriter(types=...)
PARQUET_TYPES = ("text", "number", "integer", "bool", "list")


def _infer(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (list, tuple)):
        return "list"
    return "text"


class ParquetWriter(WholeOrNothing):
    """Records to a Parquet file, ``batch_size`` rows per row group.

    Column types: ``types`` maps a column to one of ``text``, ``number``
    (float64), ``integer`` (int64), ``bool`` or ``list`` (list of text);
    a column not in ``types`` takes its type from the first non-null value in
    the first batch (bool -> bool, int/float -> number, list -> list, else
    text; all null -> text).  A later value is converted to the column's type
    (anything -> text through ``format_cell``; numeric text -> number); one
    that cannot be is a WriteError.  Needs the optional extra
    ``leadscore[parquet]``.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        columns: Sequence[str],
        *,
        types: Mapping[str, str] | None = None,
        batch_size: int = 10_000,
    ):
        self._pq = _import_pyarrow_parquet(WriteError, "writing")
        import pyarrow as pa

        self._pa = pa
        self.path = os.fspath(path)
        self.columns = list(columns)
        self.types = dict(types or {})
        for col, t in self.types.items():
            if t not in PARQUET_TYPES:
                raise ValueError(f"unknown Parquet column type {t!r} for {col!r}; use one of {PARQUET_TYPES}")
        self.batch_size = max(1, int(batch_size))
        self._buffer: list[list[Any]] = [[] for _ in self.columns]
        self._buffered = 0
        self._writer = None
        self._schema = None
        self._closed = False
        self.count = 0
        # fail now, not after the first batch, if the file cannot be created
        try:
            self._target = AtomicTarget(self.path)
        except OSError as e:
            raise WriteError(f"cannot write {self.path}: {_os_reason(e)}") from None

    def write(self, record: Mapping[str, Any]) -> None:
        get = record.get
        for col, buf in zip(self.columns, self._buffer):
            buf.append(get(col))
        self._buffered += 1
        self.count += 1
        if self._buffered >= self.batch_size:
            self._flush()

    def _arrow_type(self, kind: str):
        pa = self._pa
        return {
            "text": pa.string(),
            "number": pa.float64(),
            "integer": pa.int64(),
            "bool": pa.bool_(),
            "list": pa.list_(pa.string()),
        }[kind]

    def _settle_schema(self) -> None:
        for col, values in zip(self.columns, self._buffer):
            if col not in self.types:
                kind = next((k for k in map(_infer, values) if k is not None), None)
                self.types[col] = kind or "text"
        pa = self._pa
        self._schema = pa.schema([pa.field(c, self._arrow_type(self.types[c])) for c in self.columns])
        try:
            self._writer = self._pq.ParquetWriter(self._target.temp, self._schema)
        except (OSError, pa.ArrowException) as e:
            raise WriteError(f"cannot write {self.path}: {e}") from None

    def _convert(self, col: str, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "text":
            return value if isinstance(value, str) else format_cell(value)
        if kind == "list":
            items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
            return [None if v is None else format_cell(v) for v in items]
        if kind == "bool":
            if isinstance(value, bool):
                return value
        elif kind == "number":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, (str, Decimal)):
                try:
                    return float(value)
                except ValueError:
                    pass
        elif kind == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
        raise WriteError(f"cannot write {value!r} to the {kind} column {col!r} of {self.path}")

    def _flush(self) -> None:
        if self._schema is None:
            self._settle_schema()
        if self._buffered:
            pa = self._pa
            arrays = []
            for col, values in zip(self.columns, self._buffer):
                kind = self.types[col]
                conv = [self._convert(col, kind, v) for v in values]
                arrays.append(pa.array(conv, type=self._arrow_type(kind)))
            table = pa.Table.from_arrays(arrays, schema=self._schema)
            try:
                self._writer.write_table(table)
            except (OSError, pa.ArrowException) as e:
                raise WriteError(f"cannot write {self.path}: {e}") from None
        self._buffer = [[] for _ in self.columns]
        self._buffered = 0

    def close(self) -> None:
        """Write what is buffered and finish the file (an empty result still gets its schema)."""
        if self._closed:
            return
        try:
            self._flush()
            self._close_writer()
            self._target.commit()
        except OSError as e:
            self.abort()
            raise WriteError(f"cannot write {self.path}: {_os_reason(e)}") from None
        except BaseException:
            self.abort()
            raise
        self._closed = True

    def abort(self) -> None:
        """Stop writing and leave the target as it was (a failed or interrupted run)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._close_writer()
        finally:
            self._target.discard()

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
