"""Raw row readers for lead and event files (INTERFACE.md sections 3, 4, 9).

``read_rows(path)`` turns a file into a stream of :class:`Row` (one parsed
row: the line it starts on and its column -> raw value mapping) and
:class:`BadRow` (a row that could not be parsed, with the reason, ready for
the rejects file).  Nothing here converts values or looks at ids: the model's
declared types do that later; ``parse_id`` / ``id_problem`` implement the id
rules of INTERFACE.md section 3 for whoever does.

Formats, chosen by the file's extension (case-insensitive), optionally
followed by ``.gz``, ``.bz2`` or ``.xz`` (``leads.csv.gz``):

``.csv`` ``.tsv`` ``.txt``
    CSV with a header row, UTF-8 with or without a BOM, LF, CRLF or CR line
    ends, ``"`` quoting with ``""`` escapes and quoted line breaks.
    ``Row.line`` is the 1-based physical line where the row starts (the
    header is normally line 1).  The delimiter is ``delimiter`` if given,
    else tab for ``.tsv``, else ``,`` -- unless the first (non-blank) line
    has no comma but does have ``;``, tab or ``|``: then the most frequent of
    those on that line (ties: ``;`` then tab then ``|``).  Header cells are
    stripped of surrounding whitespace; an empty header cell is named
    ``columnN`` (N = its 1-based position); a name used twice is a
    ReadError.  Values stay raw strings, unstripped.  A row with a different
    number of fields than the header, broken quoting (strict parsing: a quote
    never closed, text after a closing quote) or bytes that are not UTF-8 is
    a BadRow whose ``row`` is the list of fields as parsed (bad bytes shown
    as U+FFFD).  Blank lines -- empty, or only whitespace when the header has
    more than one column -- are skipped: they are not rows.
``.jsonl`` ``.ndjson``
    JSON Lines: every non-blank line one JSON object -> ``Row(line, obj)``.
    A line that is not JSON (or not UTF-8), or whose value is not an object,
    is a BadRow whose ``row`` is the line's text.  A BOM is tolerated.
``.json``
    A JSON array of objects (first non-blank character ``[``); if the first
    non-blank character is ``{`` the file is read as JSON Lines, and a
    blank file has no rows.  ``Row.line`` is the line where the element
    starts.  The file is read into memory.  A non-object element is a
    BadRow.  If the array breaks (invalid JSON, missing comma, text after
    the closing bracket), the elements before the break are rows and the
    rest of the file becomes ONE BadRow (reason says where the JSON broke,
    ``row`` is the unread text): there is no reliable way to resynchronise
    inside a broken JSON document.
``.parquet``
    Needs the optional extra ``leadscore[parquet]`` (pyarrow).  Streamed by
    record batches; values are pyarrow's Python values.  Parquet has no
    lines: ``Row.line`` is the 1-based row number (first row = 1).
``-``
    Standard input (``stdin`` argument, else ``sys.stdin``) as JSON Lines.

Errors: the call itself raises :class:`ReadError` for what makes the file
unreadable as a whole -- unknown extension, missing / unreadable file, empty
CSV, bad CSV header, a ``.json`` file that is neither an array nor JSON
Lines, a broken Parquet file, pyarrow missing.  Iterating can still raise
ReadError if the file breaks mid-way (I/O error, truncated ``.gz``).  Every
message is one line meant for the user.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import itertools
import json
import os
import re
import sys
import zlib
from decimal import Decimal
from typing import Any, Iterable, Iterator, NamedTuple

__all__ = [
    "Row",
    "BadRow",
    "DataError",
    "ReadError",
    "WriteError",
    "read_rows",
    "detect_format",
    "sniff_delimiter",
    "normalize_delimiter",
    "csv_layout",
    "CsvLayout",
    "parse_id",
    "id_problem",
    "read_id",
    "FORMATS",
    "PARQUET_EXTRA",
]


# ---------------------------------------------------------------------------
# records and errors


class Row(NamedTuple):
    """One parsed input row: ``line`` where it starts, ``data`` column -> raw value."""

    line: int
    data: dict


class BadRow(NamedTuple):
    """A row that could not be parsed; the fields of a rejects-file record."""

    file: str
    line: int
    reason: str
    row: object


class DataError(Exception):
    """Base of ReadError and WriteError: a one-line message for the user."""


class ReadError(DataError):
    """The input cannot be read at all (missing, unknown format, bad header...)."""


class WriteError(DataError):
    """An output cannot be written (e.g. Parquet without pyarrow)."""


PARQUET_EXTRA = "pip install 'leadscore[parquet]'"

#: extension -> format name
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}
_COMPRESSIONS = (".gz", ".bz2", ".xz")
_FORMAT_NAMES = {"csv", "tsv", "jsonl", "ndjson", "json", "parquet"}

_tuple_new = tuple.__new__  # builds NamedTuples without the Python-level __new__


# ---------------------------------------------------------------------------
# ids (INTERFACE.md section 3)


def read_id(value: Any) -> tuple[str | None, str | None]:
    """(the id ``value`` stands for, None), or (None, why it is not a usable id): ``parse_id`` and
    ``id_problem`` in one call."""
    if value is None:
        return None, "missing id"
    if isinstance(value, str):
        text = value.strip()
        return (text, None) if text else (None, "missing id")
    if isinstance(value, bool):  # before int: bool is an int
        return None, f"id must be text or a whole number, not {'true' if value else 'false'}"
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, Decimal):  # Parquet decimals: whole, without a fraction
        if value.is_finite() and value.as_tuple().exponent == 0:
            return str(int(value)), None
        return None, f"id must be text or a whole number, not {value}"
    if isinstance(value, float):
        return None, f"id must be text or a whole number, not {value!r}"
    if isinstance(value, (list, tuple)):
        return None, "id must be text or a whole number, not a list"
    if isinstance(value, dict):
        return None, "id must be text or a whole number, not an object"
    return None, f"id must be text or a whole number, not {type(value).__name__}"


def parse_id(value: Any) -> str | None:
    """The id a raw value stands for, or None if it is missing or not an id.

    Text is stripped (empty/blank -> None); an int (not a bool) is its decimal
    text, so ``17`` and ``"17"`` are the same id; floats (JSON ``17.0``,
    ``1e3``), booleans, lists, objects and None give None.
    """
    return read_id(value)[0]


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable id (a reason for the rejects file), or None.

    ``"missing id"`` for None / empty / blank text; otherwise e.g.
    ``"id must be text or a whole number, not 17.0"``.
    """
    return read_id(value)[1]


# ---------------------------------------------------------------------------
# format detection and opening


def detect_format(path: str, format: str | None = None) -> tuple[str, str | None]:
    """``(format, compression)`` for a path, e.g. ``("csv", ".gz")``; ReadError if unknown.

    ``format`` (csv, tsv, jsonl, ndjson, json, parquet) overrides the
    extension.  ``-`` is JSON Lines on standard input.
    """
    name = os.fspath(path)
    lower = name.lower()
    compression = None
    for ext in _COMPRESSIONS:
        if lower.endswith(ext):
            compression = ext
            lower = lower[: -len(ext)]
            break
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in _FORMAT_NAMES:
            raise ReadError(
                f"unknown input format {format!r}; supported: csv, tsv, jsonl, json, parquet"
            )
        fmt = {"tsv": "csv", "ndjson": "jsonl"}.get(fmt, fmt)
    elif name == "-":
        fmt = "jsonl"
    else:
        ext = os.path.splitext(lower)[1]
        fmt = FORMATS.get(ext)
        if fmt is None:
            if ext:
                what = f"unknown file extension {ext + (compression or '')!r}"
            else:
                what = "no file extension to tell the format by"
            raise ReadError(
                f"{name}: {what}; supported: {', '.join(FORMATS)} "
                "(also compressed: .gz, .bz2, .xz), or - for JSON Lines on standard input"
            )
    if fmt == "parquet" and compression:
        raise ReadError(f"{name}: a compressed Parquet file is not supported (Parquet compresses internally)")
    return fmt, compression


def _os_reason(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return "no such file"
    if isinstance(e, IsADirectoryError):
        return "it is a directory"
    if isinstance(e, PermissionError):
        return "permission denied"
    return e.strerror or str(e) or type(e).__name__


def _open_binary(name: str, compression: str | None):
    try:
        raw = open(name, "rb")
    except OSError as e:
        raise ReadError(f"cannot read {name}: {_os_reason(e)}") from None
    if os.path.isdir(name):  # some platforms open directories
        raw.close()
        raise ReadError(f"cannot read {name}: it is a directory")
    if compression is None:
        return raw
    raw.close()  # reopened by the decompressor, which then owns (and closes) it
    if compression == ".gz":
        import gzip

        return gzip.open(name, "rb")
    if compression == ".bz2":
        import bz2

        return bz2.open(name, "rb")
    try:
        import lzma
    except ImportError:  # pragma: no cover - Python built without lzma
        raise ReadError(f"cannot read {name}: this Python has no lzma support for .xz") from None
    return lzma.open(name, "rb")


def _stream_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the file broke while reading' (I/O, bad compression)."""
    errs: list[type[BaseException]] = [OSError, EOFError, zlib.error]
    try:
        import lzma

        errs.append(lzma.LZMAError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errs)


_STREAM_ERRORS = _stream_errors()


class _Detach:
    """Closing it detaches a TextIOWrapper from a stream it does not own."""

    def __init__(self, wrapper: io.TextIOWrapper):
        self.wrapper = wrapper

    def close(self) -> None:
        try:
            self.wrapper.detach()
        except ValueError:  # already detached
            pass


def _guarded(name: str, rows: Iterator, closer) -> Iterator:
    """Iterate ``rows``, turning mid-file I/O failures into ReadError; close at the end."""
    try:
        yield from rows
    except _STREAM_ERRORS as e:
        reason = _os_reason(e) if isinstance(e, OSError) else (str(e) or type(e).__name__)
        raise ReadError(f"cannot read {name}: {reason}") from None
    finally:
        if closer is not None:
            closer.close()


# ---------------------------------------------------------------------------
# invalid UTF-8
#
# Text files are decoded with a handler that works like surrogateescape (a bad
# byte b becomes U+DC00+b, which valid UTF-8 never produces) and also counts
# how often it was called.  The CSV loop checks the counter once per row: while
# it has not moved, rows are known clean and cost nothing extra; once it moves,
# each later row is checked for escaped bytes and rejected if it has any.

_decode_errors = [0]
_surrogateescape = codecs.lookup_error("surrogateescape")


def _counting_surrogateescape(exc: UnicodeError):
    _decode_errors[0] += 1
    return _surrogateescape(exc)


_ERRORS = "leadscore.surrogateescape"
codecs.register_error(_ERRORS, _counting_surrogateescape)


def _bad_byte(text: str) -> int | None:
    """The first escaped (invalid UTF-8) byte in ``text``, or None if it has none."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        code = ord(text[e.start])
        return code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else code
    return None


def _shown(text: str) -> str:
    """``text`` with escaped bytes (and any lone surrogate) as U+FFFD, so it can be written."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _bad_byte(text) is not None else text


def _not_utf8(byte: int) -> str:
    return f"not valid UTF-8 text (byte 0x{byte:02X}); is the file saved in another encoding?"


# ---------------------------------------------------------------------------
# CSV

_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def normalize_delimiter(delimiter: str) -> str:
    """The one character a `--delimiter` value names (``\\t``, ``tab``, ``comma`` ... too); ReadError if none."""
    d = _DELIMITER_NAMES.get(delimiter.lower(), delimiter) if len(delimiter) > 1 else delimiter
    if len(d) != 1 or d in "\r\n\"":
        raise ReadError(
            f"the delimiter must be one character other than a quote or line break, not {delimiter!r} "
            "(use \\t or tab for a tab)"
        )
    return d


def sniff_delimiter(header_line: str) -> str:
    """The delimiter a CSV header line shows: ``,`` unless it has no comma and has ``;``, tab or ``|``."""
    if "," in header_line:
        return ","
    best, best_count = ",", 0
    for cand in (";", "\t", "|"):
        c = header_line.count(cand)
        if c > best_count:
            best, best_count = cand, c
    return best


def _delimiter_of(header_line: str, delimiter: str | None, tsv: bool) -> str:
    """The delimiter a CSV file is read with: the one given, a tab for .tsv, else what its header shows."""
    if delimiter is not None:
        return normalize_delimiter(delimiter)
    return "\t" if tsv else sniff_delimiter(header_line)


class CsvLayout(NamedTuple):
    """How ``read_rows`` reads a CSV file: its delimiter and its columns."""

    delimiter: str
    columns: list


def csv_layout(path: str | os.PathLike, delimiter: str | None = None) -> CsvLayout | None:
    """The delimiter and columns ``read_rows`` reads a CSV file with, from the file's head (up to
    its first row that parses); None when no row parses. ReadError as ``read_rows`` raises it.

    For a reader of the file other than this module (an SQL engine), told how to read it
    without opening it more than once here.
    """
    name = os.fspath(path)
    fmt, compression = detect_format(name)
    if fmt != "csv" or name == "-":
        raise ReadError(f"{name}: not a CSV file")
    tsv = name.lower().removesuffix(compression or "").endswith(".tsv")
    text = io.TextIOWrapper(_open_binary(name, compression), encoding="utf-8-sig", errors=_ERRORS, newline="")
    with text:
        head: list[str] = []
        for line in text:
            head.append(line)
            if line.strip():
                break
        delim = _delimiter_of(head[-1] if head else "", delimiter, tsv)
        for item in _guarded(name, _csv_rows(name, itertools.chain(head, text), delim, tsv), None):
            if item.__class__ is Row:
                return CsvLayout(delim, list(item.data))
    return None


#: The largest CSV field read, in characters (Python's csv module stops at 128 KiB by default); a
#: larger one rejects its row. It must be at least what an engine reading a file itself reads:
#: DuckDB refuses a line over 2,000,000 bytes, and then this reader reads the whole file.
MAX_CSV_FIELD = 16 * 2**20
csv.field_size_limit(MAX_CSV_FIELD)


def _csv_reason(e: csv.Error) -> str:
    msg = str(e)
    if msg == "unexpected end of data":
        return "cannot parse CSV: a quoted field is never closed"
    if "expected after" in msg:
        return f"cannot parse CSV: text after a closing quote ({msg})"
    return f"cannot parse CSV: {msg}"


def _fields(n: int) -> str:
    return f"{n} field" if n == 1 else f"{n} fields"


def _csv_rows(name: str, text: io.TextIOBase, delimiter: str | None, tsv: bool) -> Iterator[Row | BadRow]:
    """Read the header now (errors raise here), return the row iterator."""
    # Pre-read physical lines up to the first non-blank one, to see the
    # delimiter; they are fed back to the csv reader so its line_num counts
    # every physical line of the file.
    errors_before = _decode_errors[0]
    head: list[str] = []
    for line in text:
        head.append(line)
        if line.strip():
            break
    if not head or not head[-1].strip():
        raise ReadError(f"{name}: the file is empty; a CSV file needs a header row")
    delim = _delimiter_of(head[-1], delimiter, tsv)
    # the line the reader is on, kept as it passes (C speed: deque.append returns None, so
    # filterfalse lets every line through): an oversized field's record is skipped from there
    last: collections.deque = collections.deque(maxlen=1)
    lines = itertools.filterfalse(last.append, itertools.chain(head, text))
    reader = csv.reader(lines, delimiter=delim, quotechar='"', doublequote=True, strict=True)
    try:
        header = None
        for cells in reader:
            if any(c.strip() for c in cells):
                header = cells
                break
    except csv.Error as e:
        raise ReadError(f"{name}: cannot parse the header (line {reader.line_num}): {_csv_reason(e)[len('cannot parse CSV: '):]}") from None
    if header is None:  # pragma: no cover - head guarantees a non-blank line
        raise ReadError(f"{name}: the file is empty; a CSV file needs a header row")
    header_line = reader.line_num
    if _decode_errors[0] != errors_before:
        bad = _bad_byte("".join(header))
        if bad is not None:
            raise ReadError(f"{name}: the header (line {header_line}) is {_not_utf8(bad)}")
    names = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header, 1):
        col = cell.strip() or f"column{i}"
        if col in seen:
            raise ReadError(f"{name}: the header names column {col!r} twice (columns {seen[col]} and {i}); column names must be unique")
        seen[col] = i
        names.append(col)
    return _csv_body(name, reader, names, header_line, errors_before, _Oversized(lines, last, delim))


#: The start of the csv module's error for a field over `csv.field_size_limit()`.
_FIELD_LIMIT = "field larger than field limit"


class _Oversized:
    """Where the record of a field over MAX_CSV_FIELD ends, read past by the line.

    The csv module stops at such a field and drops the rest of the line it
    is on; its next row would begin on the next line, inside the field when
    the field is quoted across lines, so that the field's tail would be read
    as rows of its own. Instead the record's rest is scanned here as the csv
    module parses it (a quoted field ends at a `"` not followed by `"`; a
    record, at a line end outside quotes), one line at a time, so memory
    holds one line, never the field; the lines it takes from the reader's
    source are counted in `skipped`, for the line numbers of the rows after.

    The line the error came on is parsed from its start: there, a record
    that began on an earlier line is inside a quoted field (only a newline
    in quotes carries a record over), and one that began on it is at its
    start.
    """

    def __init__(self, lines: Iterator[str], last, delimiter: str):
        self.lines, self.last, self.delimiter = lines, last, delimiter
        self.skipped = 0

    def skip(self, first_line: bool) -> None:
        """Read to the end of the record the error came in (`first_line`: it began on that line)."""
        line = self.last[0] if self.last else ""
        quoted = not first_line
        while True:
            quoted = self._still_quoted(line, quoted)
            if not quoted:
                return
            line = next(self.lines, None)
            if line is None:            # the file ends in the quoted field: so does the record
                return
            self.skipped += 1

    def _still_quoted(self, line: str, quoted: bool) -> bool:
        """Is the record inside a quoted field at the end of `line`, parsed from the start of a field
        (or inside a quoted one, `quoted`)? Text the csv module refuses ends the record on its line."""
        delimiter, at, end = self.delimiter, 0, len(line)
        while True:
            if quoted:
                at = line.find('"', at)
                if at < 0:
                    return True
                if line.startswith('"', at + 1):        # `""`: a quote in the field
                    at += 2
                    continue
                at += 1                                 # the closing quote: a delimiter must follow
                if at < end and line[at] == delimiter:
                    at, quoted = at + 1, False
                    continue
                return False                            # a line end, the file's end, or refused text
            if at >= end or line[at] in "\r\n":
                return False
            if line[at] == '"':
                at, quoted = at + 1, True
                continue
            found = line.find(delimiter, at)           # an unquoted field: to the next delimiter
            if found < 0 or any(c in line[at:found] for c in "\r\n"):
                return False
            at = found + 1


def _csv_body(name: str, reader, header: list[str], header_line: int, errors_seen: int,
              oversized: _Oversized) -> Iterator[Row | BadRow]:
    # errors_seen: the decode-error counter before the file was first read, so
    # bad bytes decoded along with the header (same chunk) are noticed too.
    n = len(header)
    errors = _decode_errors
    check_utf8 = False
    prev = header_line
    skipped = 0             # lines read past by `oversized`, which the reader's line_num does not count
    R = Row
    new = _tuple_new
    while True:
        try:
            for row in reader:
                start = prev + 1
                prev = reader.line_num + skipped
                if errors[0] != errors_seen:
                    check_utf8 = True
                    errors_seen = errors[0]
                if len(row) == n and not check_utf8:
                    yield new(R, (start, dict(zip(header, row))))
                    continue
                if not row or (n > 1 and len(row) == 1 and not row[0].strip()):
                    continue  # a blank line is not a row
                if check_utf8:
                    bad = _bad_byte("".join(row))
                    if bad is not None:
                        yield BadRow(name, start, _not_utf8(bad), [_shown(c) for c in row])
                        continue
                    if len(row) == n:
                        yield new(R, (start, dict(zip(header, row))))
                        continue
                yield BadRow(name, start, f"row has {_fields(len(row))}, the header has {n}", row)
            return
        except csv.Error as e:
            start = prev + 1
            if str(e).startswith(_FIELD_LIMIT):
                oversized.skip(first_line=reader.line_num + oversized.skipped == start)
                skipped = oversized.skipped
            prev = reader.line_num + skipped
            yield BadRow(name, start, _csv_reason(e), None)


# ---------------------------------------------------------------------------
# JSON


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__  # pragma: no cover


def _not_object(value: Any) -> str:
    return f"a JSON row must be an object, not {_json_kind(value)}"


def _line_text(line: bytes | str) -> str:
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    return line.rstrip("\r\n")


_EOLS = ("\n", "\r\n", "")


def _whole_number(digits: str) -> int | float:
    """A JSON integer; one too long for ``int()`` (4,300 digits) is the float it
    overflows to, ±inf, which reads as a number that does not convert (unknown,
    with a warning), as ``1e400`` does."""
    return int(digits) if len(digits) <= 4000 else float(digits)


#: JSON's non-standard `NaN`, `Infinity` and `-Infinity` read as the text written,
#: as a CSV file's `nan` and `inf` are: a number field gives unknown with a warning.
_DECODER = json.JSONDecoder(parse_constant=str)
#: Decodes what `_DECODER` refused for an integer too long.
_TOLERANT = json.JSONDecoder(parse_constant=str, parse_int=_whole_number)


def decode_json(text: str) -> Any:
    """One JSON value as the JSON readers read it (NaN and Infinity as text, an
    integer too long as ±inf): what anything that keeps raw JSON rows, such as
    the live store, decodes them with, so its rows mean what a file's do."""
    return _TOLERANT.decode(text)


def _not_unicode(text: str, start: int, end: int, value: Any) -> str | None:
    """Why a JSON value decoded from ``text[start:end]`` cannot be written as UTF-8
    (a ``\\uD800`` escape without its other half), or None. Only text with a
    ``\\u`` escape can hold one, so other rows cost one substring search."""
    if text.find("\\u", start, end) < 0:
        return None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        return f"not valid Unicode text: the escape \\u{ord(e.object[e.start]):04x} is half of a surrogate pair"
    return None


def _jsonl_line(text: str) -> tuple[Any, str | None]:
    """The slow, exact path for one JSON line: ``(value, None)``, ``(None, reason)``, or blank."""
    if not text.strip(" \t\r\n"):
        return _BLANK, None
    try:
        return _TOLERANT.decode(text), None
    except json.JSONDecodeError as e:
        return None, f"invalid JSON: {e.msg} (column {e.colno})"
    except (ValueError, RecursionError) as e:  # e.g. an integer too long, nesting too deep
        return None, f"invalid JSON: {e}"


_BLANK = object()


def _jsonl_body(name: str, lines: Iterable[bytes | str], first_line: int = 1) -> Iterator[Row | BadRow]:
    # Fast path: raw_decode from column 1 and a bare line end after the value;
    # anything else (leading blanks, errors, extra data) goes through
    # json.loads for the exact verdict and message.
    decode = _DECODER.raw_decode
    eols = _EOLS
    R = Row
    new = _tuple_new
    lineno = first_line - 1
    for line in lines:
        lineno += 1
        if type(line) is bytes:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:
                yield BadRow(name, lineno, _not_utf8(e.object[e.start]), _line_text(line))
                continue
        else:
            text = line
        if lineno == first_line and text.startswith("\ufeff"):
            text = text[1:]
        try:
            obj, end = decode(text)
            if text[end:] not in eols:
                raise ValueError
        except (ValueError, RecursionError):
            obj, reason = _jsonl_line(text)
            if obj is _BLANK:
                continue
            if reason is not None:
                yield BadRow(name, lineno, reason, _line_text(text))
                continue
        if type(obj) is not dict:
            yield BadRow(name, lineno, _not_object(obj), _line_text(text))
        elif (problem := _not_unicode(text, 0, len(text), obj)) is not None:
            yield BadRow(name, lineno, problem, _line_text(text))
        else:
            yield new(R, (lineno, obj))


_WS = re.compile(r"[ \t\n\r]*")


def _json_array_body(name: str, text: str, check_utf8: bool) -> Iterator[Row | BadRow]:
    decoder = _DECODER
    ws = _WS.match
    end_of_text = len(text)
    pos = ws(text, 0).end()
    assert text[pos] == "["
    pos += 1
    line, counted = 1, 0  # line of position `counted`

    def line_at(p: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, p)
        counted = p
        return line

    def broken(p: int, reason: str) -> BadRow:
        return BadRow(name, line_at(p), reason + "; the rest of the file is not read", _shown(text[p:]))

    pos = ws(text, pos).end()
    if pos < end_of_text and text[pos] == "]":
        pos += 1
    else:
        while True:
            pos = ws(text, pos).end()
            if pos >= end_of_text:
                yield broken(pos, "invalid JSON: the file ends inside the array")
                return
            start_line = line_at(pos)
            try:
                try:
                    obj, end = decoder.raw_decode(text, pos)
                except ValueError as e:
                    if isinstance(e, json.JSONDecodeError):
                        raise
                    obj, end = _TOLERANT.raw_decode(text, pos)      # an integer too long
            except json.JSONDecodeError as e:
                yield broken(pos, f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}")
                return
            except (ValueError, RecursionError) as e:
                yield broken(pos, f"invalid JSON: {e}")
                return
            bad = _bad_byte(text[pos:end]) if check_utf8 else None
            if bad is not None:
                yield BadRow(name, start_line, _not_utf8(bad), _shown(text[pos:end]))
            elif type(obj) is not dict:
                yield BadRow(name, start_line, _not_object(obj), obj)
            elif (problem := _not_unicode(text, pos, end, obj)) is not None:
                yield BadRow(name, start_line, problem, _shown(text[pos:end]))
            else:
                yield Row(start_line, obj)
            pos = ws(text, end).end()
            if pos < end_of_text and text[pos] == ",":
                pos += 1
                continue
            if pos < end_of_text and text[pos] == "]":
                pos += 1
                break
            if pos >= end_of_text:
                yield broken(pos, "invalid JSON: the file ends inside the array")
            else:
                yield broken(pos, f"invalid JSON: expected ',' or ']' after the element at line {start_line}")
            return
    pos = ws(text, pos).end()
    if pos < end_of_text:
        yield broken(pos, "invalid JSON: text after the end of the array")


def _first_char(binary) -> str:
    """The first non-blank character of a binary stream (BOM skipped), '' if blank; rewinds."""
    skipped = b""
    while True:
        chunk = binary.read(65536)
        if not chunk:
            binary.seek(0)
            return ""
        if not skipped and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[3:]
        skipped = b"x"
        stripped = chunk.lstrip(b" \t\r\n")
        if stripped:
            binary.seek(0)
            return chr(stripped[0]) if stripped[0] < 0x80 else "\ufffd"


def _json_file(name: str, binary) -> Iterator[Row | BadRow]:
    first = _first_char(binary)
    if first == "{":
        return _jsonl_body(name, binary)
    if first == "":
        return iter(())
    if first != "[":
        raise ReadError(
            f"{name}: not a JSON array of objects nor JSON Lines (the first character is {first!r}, not '[' or '{{')"
        )
    data = binary.read()
    try:
        text = data.decode("utf-8-sig")
        check = False
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", "surrogateescape")
        check = True
    del data
    return _json_array_body(name, text, check)


# ---------------------------------------------------------------------------
# Parquet


def _import_pyarrow_parquet(error: type[DataError], verb: str):
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ImportError:
        raise error(f"{verb} Parquet needs the optional extra: {PARQUET_EXTRA}") from None
    return pq


def _parquet_rows(name: str, batch_size: int = 65536) -> Iterator[Row]:
    _open_binary(name, None).close()  # "no such file" before "needs pyarrow"
    pq = _import_pyarrow_parquet(ReadError, "reading")
    import pyarrow as pa

    try:
        pf = pq.ParquetFile(name)
    except OSError as e:
        if isinstance(e, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise ReadError(f"cannot read {name}: {_os_reason(e)}") from None
        raise ReadError(f"cannot read {name}: not a Parquet file ({e})") from None
    except pa.ArrowException as e:
        raise ReadError(f"cannot read {name}: not a Parquet file ({e})") from None
    names = pf.schema_arrow.names
    seen: set[str] = set()
    for col in names:
        if col in seen:
            pf.close()
            raise ReadError(f"{name}: the file has two columns named {col!r}; column names must be unique")
        seen.add(col)

    naive = [i for i, field in enumerate(pf.schema_arrow)
             if pa.types.is_timestamp(field.type) and field.type.tz is None]

    def body():
        line = 0
        R = Row
        new = _tuple_new
        try:
            for batch in pf.iter_batches(batch_size=batch_size):
                for data in _utc_timestamps(batch, naive).to_pylist():
                    line += 1
                    yield new(R, (line, data))
        except pa.ArrowException as e:
            raise ReadError(f"cannot read {name}: {e}") from None
        finally:
            pf.close()

    return body()


def _utc_timestamps(batch, naive: list):
    """A record batch whose timestamp columns without a time zone (`naive`: their positions) are
    UTC: a file's time without an offset is UTC (INTERFACE.md §1), as in a text column."""
    if not naive:
        return batch
    import pyarrow as pa
    columns = list(batch.columns)
    for i in naive:
        columns[i] = columns[i].cast(pa.timestamp(columns[i].type.unit, tz="UTC"))
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


# ---------------------------------------------------------------------------
# the entry point


def read_rows(
    path: str | os.PathLike,
    *,
    delimiter: str | None = None,
    stdin=None,
    format: str | None = None,
) -> Iterator[Row | BadRow]:
    """Stream the rows of a leads or events file as :class:`Row` / :class:`BadRow`.

    ``path``: a file name (format by extension, see the module docstring) or
    ``-`` for JSON Lines on standard input.  ``delimiter``: the CSV delimiter
    (one character; ``\\t`` or ``tab`` also mean a tab), overriding detection.
    ``stdin``: the stream ``-`` reads (text or binary; default ``sys.stdin``).
    ``format``: force a format (csv, tsv, jsonl, json, parquet) whatever the
    extension, also for ``-``.

    ``BadRow.file`` is ``path`` as given, or ``<stdin>`` for ``-``.
    ReadError is raised by this call for a file that cannot be read at all,
    and by iteration if the file breaks mid-way.  The returned generator
    closes the file when exhausted or closed (``close()``).
    """
    name = os.fspath(path)
    fmt, compression = detect_format(name, format)
    lower = name.lower().removesuffix(compression or "")
    tsv = (format or "").lower().lstrip(".") == "tsv" or (format is None and lower.endswith(".tsv"))
    if delimiter is not None:
        normalize_delimiter(delimiter)  # reject a bad delimiter early, for any format
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin
        source = getattr(stream, "buffer", stream)  # prefer bytes: no locale decoding
        label = "<stdin>"
        if fmt == "jsonl":
            return _guarded(label, _jsonl_body(label, source), None)
        if fmt == "csv":
            if isinstance(source, io.TextIOBase) or isinstance(source.read(0), str):
                text, closer = source, None
            else:
                text = io.TextIOWrapper(source, encoding="utf-8-sig", errors=_ERRORS, newline="")
                closer = _Detach(text)  # leave standard input open
            return _guarded(label, _csv_rows(label, text, delimiter, tsv), closer)
        if fmt == "json":
            data = source.read()
            binary = io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data)
            return _guarded(label, _json_file(label, binary), None)
        raise ReadError("Parquet cannot be read from standard input; give a file name")
    if fmt == "parquet":
        return _parquet_rows(name)
    binary = _open_binary(name, compression)
    try:
        if fmt == "csv":
            text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors=_ERRORS, newline="")
            rows = _csv_rows(name, text, delimiter, tsv)
            closer = text
        elif fmt == "json":
            rows = _json_file(name, binary)
            closer = binary
        else:
            rows = _jsonl_body(name, binary)
            closer = binary
    except ReadError:
        binary.close()
        raise
    except _STREAM_ERRORS as e:
        binary.close()
        reason = _os_reason(e) if isinstance(e, OSError) else (str(e) or type(e).__name__)
        raise ReadError(f"cannot read {name}: {reason}") from None
    return _guarded(name, rows, closer)
