"""Raw row readers, rejects and writers (leadscore.batch.io)."""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import json
import sys

import pytest

from leadscore.batch.io import (
    BadRow,
    CsvWriter,
    DataError,
    JsonlWriter,
    ParquetWriter,
    ReadError,
    RejectsWriter,
    Row,
    WriteError,
    detect_format,
    id_problem,
    parse_id,
    read_rows,
    sniff_delimiter,
)


def write(tmp_path, name, content):
    p = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    p.write_bytes(content)
    return str(p)


def rows_of(path, **kw):
    return list(read_rows(path, **kw))


def good(rows):
    return [(r.line, r.data) for r in rows if isinstance(r, Row)]


def bad(rows):
    return [r for r in rows if isinstance(r, BadRow)]


# --------------------------------------------------------------------------- CSV


def test_csv_basic_lines_and_raw_values(tmp_path):
    p = write(tmp_path, "leads.csv", "id,name,employees\nL1, Acme ,1000\nL2,Beta,\n")
    assert rows_of(p) == [
        Row(2, {"id": "L1", "name": " Acme ", "employees": "1000"}),
        Row(3, {"id": "L2", "name": "Beta", "employees": ""}),
    ]


def test_csv_bom(tmp_path):
    p = write(tmp_path, "leads.csv", b"\xef\xbb\xbfid,name\nL1,Acme\n")
    assert good(rows_of(p)) == [(2, {"id": "L1", "name": "Acme"})]


def test_csv_crlf(tmp_path):
    p = write(tmp_path, "leads.csv", b"id,name\r\nL1,Acme\r\nL2,Beta\r\n")
    assert good(rows_of(p)) == [(2, {"id": "L1", "name": "Acme"}), (3, {"id": "L2", "name": "Beta"})]


def test_csv_quoted_newlines_keep_later_line_numbers(tmp_path):
    text = 'id,note\nL1,"line one\nline two\nline three"\nL2,plain\nL3,"a ""quoted"" word"\n'
    rows = rows_of(write(tmp_path, "leads.csv", text))
    assert good(rows) == [
        (2, {"id": "L1", "note": "line one\nline two\nline three"}),
        (5, {"id": "L2", "note": "plain"}),
        (6, {"id": "L3", "note": 'a "quoted" word'}),
    ]


def test_csv_old_mac_cr_line_ends(tmp_path):
    p = write(tmp_path, "leads.csv", b'id,note\rL1,"a\rb"\rL2,c\r')
    assert good(rows_of(p)) == [(2, {"id": "L1", "note": "a\rb"}), (4, {"id": "L2", "note": "c"})]


def test_csv_quoted_crlf_newline_kept_raw(tmp_path):
    p = write(tmp_path, "leads.csv", b'id,note\r\nL1,"a\r\nb"\r\nL2,c\r\n')
    assert good(rows_of(p)) == [(2, {"id": "L1", "note": "a\r\nb"}), (4, {"id": "L2", "note": "c"})]


@pytest.mark.parametrize(
    "header, delim",
    [
        ("id;name;x", ";"),
        ("id\tname\tx", "\t"),
        ("id|name|x", "|"),
        ("id;name|x;y", ";"),  # most frequent wins
        ("id|a|b;c", "|"),
        ("id,name;x", ","),  # a comma in the header means comma
        ("id", ","),
    ],
)
def test_sniff_delimiter(header, delim):
    assert sniff_delimiter(header) == delim


def test_csv_semicolon_autodetected(tmp_path):
    p = write(tmp_path, "leads.csv", "id;name;amount\nL1;Acme;1,5\n")
    assert good(rows_of(p)) == [(2, {"id": "L1", "name": "Acme", "amount": "1,5"})]


def test_csv_tab_autodetected(tmp_path):
    p = write(tmp_path, "leads.txt", "id\tname\nL1\tAcme, Inc\n")
    assert good(rows_of(p)) == [(2, {"id": "L1", "name": "Acme, Inc"})]


def test_tsv_extension_defaults_to_tab(tmp_path):
    p = write(tmp_path, "leads.tsv", "id\tRevenue, USD\nL1\t5\n")
    assert good(rows_of(p)) == [(2, {"id": "L1", "Revenue, USD": "5"})]


def test_csv_delimiter_override(tmp_path):
    p = write(tmp_path, "leads.csv", "id;name|x\nL1;Acme|1\n")
    assert good(rows_of(p, delimiter="|")) == [(2, {"id;name": "L1;Acme", "x": "1"})]
    assert good(rows_of(p, delimiter=";")) == [(2, {"id": "L1", "name|x": "Acme|1"})]


def test_csv_delimiter_names(tmp_path):
    p = write(tmp_path, "leads.csv", "id\tname,x\nL1\tAcme,1\n")
    expected = [(2, {"id": "L1", "name,x": "Acme,1"})]
    assert good(rows_of(p, delimiter="\t")) == expected
    assert good(rows_of(p, delimiter="\\t")) == expected
    assert good(rows_of(p, delimiter="tab")) == expected


@pytest.mark.parametrize("delim", ["ab", "", '"', "\n"])
def test_csv_bad_delimiter(tmp_path, delim):
    p = write(tmp_path, "leads.csv", "id\nL1\n")
    with pytest.raises(ReadError, match="delimiter"):
        read_rows(p, delimiter=delim)


def test_csv_short_and_long_rows(tmp_path):
    p = write(tmp_path, "leads.csv", "id,a,b,c,d\nL1,1,2,3,4\nL2,1,2\nL3,1,2,3,4,5,6\nL4,1,2,3,4\nL5\n")
    rows = rows_of(p)
    assert good(rows) == [
        (2, {"id": "L1", "a": "1", "b": "2", "c": "3", "d": "4"}),
        (5, {"id": "L4", "a": "1", "b": "2", "c": "3", "d": "4"}),
    ]
    assert bad(rows) == [
        BadRow(p, 3, "row has 3 fields, the header has 5", ["L2", "1", "2"]),
        BadRow(p, 4, "row has 7 fields, the header has 5", ["L3", "1", "2", "3", "4", "5", "6"]),
        BadRow(p, 6, "row has 1 field, the header has 5", ["L5"]),
    ]


def test_csv_blank_lines_skipped(tmp_path):
    p = write(tmp_path, "leads.csv", "\nid,name\n\nL1,Acme\n\n   \n\r\nL2,Beta\n\n")
    rows = rows_of(p)
    assert rows == [Row(4, {"id": "L1", "name": "Acme"}), Row(8, {"id": "L2", "name": "Beta"})]


def test_csv_single_column_empty_values_are_rows(tmp_path):
    # with one column a quoted empty field is a row (its id is missing later), not a blank line
    p = write(tmp_path, "leads.csv", 'id\nL1\n""\n\nL2\n')
    assert rows_of(p) == [Row(2, {"id": "L1"}), Row(3, {"id": ""}), Row(5, {"id": "L2"})]


def test_csv_row_of_empty_fields_is_a_row(tmp_path):
    p = write(tmp_path, "leads.csv", "id,name\n,\n")
    assert rows_of(p) == [Row(2, {"id": "", "name": ""})]


def test_csv_header_stripped_and_unnamed_columns(tmp_path):
    p = write(tmp_path, "leads.csv", " id , Full Name ,\nL1,Acme,x\n")
    assert good(rows_of(p)) == [(2, {"id": "L1", "Full Name": "Acme", "column3": "x"})]


def test_csv_duplicate_header_is_read_error(tmp_path):
    p = write(tmp_path, "leads.csv", "id,email, email\nL1,a,b\n")
    with pytest.raises(ReadError, match=r"'email' twice \(columns 2 and 3\)"):
        read_rows(p)


def test_csv_empty_file_is_read_error(tmp_path):
    for content in ("", "\n\n  \n"):
        p = write(tmp_path, "leads.csv", content)
        with pytest.raises(ReadError, match="empty"):
            read_rows(p)


def test_csv_header_only_has_no_rows(tmp_path):
    assert rows_of(write(tmp_path, "leads.csv", "id,name\n")) == []
    assert rows_of(write(tmp_path, "leads2.csv", "id,name")) == []


def test_csv_no_trailing_newline(tmp_path):
    p = write(tmp_path, "leads.csv", "id,name\nL1,Acme")
    assert rows_of(p) == [Row(2, {"id": "L1", "name": "Acme"})]


def test_csv_broken_quoting_is_a_bad_row_and_reading_goes_on(tmp_path):
    p = write(tmp_path, "leads.csv", 'id,name\nL1,"Acme"Inc\nL2,5" screen\nL3,ok\n')
    rows = rows_of(p)
    assert [type(r).__name__ for r in rows] == ["BadRow", "Row", "Row"]
    assert rows[0].line == 2 and "closing quote" in rows[0].reason
    assert good(rows) == [(3, {"id": "L2", "name": '5" screen'}), (4, {"id": "L3", "name": "ok"})]


def test_csv_unclosed_quote_at_end(tmp_path):
    p = write(tmp_path, "leads.csv", 'id,name\nL1,Acme\nL2,"never closed\nL3,x\n')
    rows = rows_of(p)
    assert good(rows) == [(2, {"id": "L1", "name": "Acme"})]
    assert [(b.line, b.reason) for b in bad(rows)] == [(3, "cannot parse CSV: a quoted field is never closed")]


def test_csv_invalid_utf8_row_is_rejected(tmp_path):
    p = write(tmp_path, "leads.csv", b"id,name\nL1,Acme\nL2,Caf\xe9\nL3,Beta\n")
    rows = rows_of(p)
    assert good(rows) == [(2, {"id": "L1", "name": "Acme"}), (4, {"id": "L3", "name": "Beta"})]
    (b,) = bad(rows)
    assert b.line == 3 and "UTF-8" in b.reason and "0xE9" in b.reason
    assert b.row == ["L2", "Caf\ufffd"]
    json.dumps(b.row, ensure_ascii=False).encode("utf-8")  # writable


def test_csv_invalid_utf8_far_into_the_file(tmp_path):
    lines = [b"id,name"] + [b"L%d,name%d" % (i, i) for i in range(20000)]
    lines[15000] = b"L14999,bad\xff\xfe"
    p = write(tmp_path, "leads.csv", b"\n".join(lines) + b"\n")
    rows = rows_of(p)
    assert len(good(rows)) == 19999
    assert [(b.line, b.row) for b in bad(rows)] == [(15001, ["L14999", "bad\ufffd\ufffd"])]


def test_csv_invalid_utf8_header_is_read_error(tmp_path):
    p = write(tmp_path, "leads.csv", b"id,n\xe9me\nL1,x\n")
    with pytest.raises(ReadError, match="UTF-8"):
        read_rows(p)


def test_csv_streams(tmp_path):
    class Endless(io.TextIOBase):
        def __init__(self):
            self.n = 0

        def readable(self):
            return True

        def read(self, size=-1):
            return ""

        def __next__(self):
            self.n += 1
            if self.n > 1_000_000:
                raise AssertionError("the reader tried to read everything")
            return "id,x\n" if self.n == 1 else f"L{self.n},1\n"

    src = Endless()
    first = list(itertools.islice(read_rows("-", stdin=src, format="csv"), 3))
    assert [r.line for r in first] == [2, 3, 4]
    assert src.n < 100


# --------------------------------------------------------------------------- JSON Lines


def test_jsonl_rows_blank_lines_bom_crlf(tmp_path):
    p = write(tmp_path, "leads.jsonl", b'\xef\xbb\xbf{"id": "L1", "n": 1.5}\r\n\r\n  \n{"id": 2, "tags": ["a"]}\n')
    assert rows_of(p) == [Row(1, {"id": "L1", "n": 1.5}), Row(4, {"id": 2, "tags": ["a"]})]


def test_jsonl_broken_line(tmp_path):
    p = write(tmp_path, "leads.ndjson", '{"id": "L1"}\n{"id": "L2",\n{"id": "L3"}\n')
    rows = rows_of(p)
    assert good(rows) == [(1, {"id": "L1"}), (3, {"id": "L3"})]
    (b,) = bad(rows)
    assert b.file == p and b.line == 2 and b.row == '{"id": "L2",'
    assert b.reason.startswith("invalid JSON: ")


@pytest.mark.parametrize(
    "line, kind",
    [("[1, 2]", "a list"), ("17", "a number"), ("1.5", "a number"), ('"L1"', "a string"),
     ("true", "a boolean"), ("null", "null")],
)
def test_jsonl_non_object(tmp_path, line, kind):
    p = write(tmp_path, "leads.jsonl", '{"id": "L1"}\n' + line + "\n")
    rows = rows_of(p)
    assert rows[1] == BadRow(p, 2, f"a JSON row must be an object, not {kind}", line)


def test_jsonl_spacing_and_extra_data(tmp_path):
    p = write(tmp_path, "leads.jsonl", '  {"id": "L1"}  \n\t{"id": "L2"}\r\n{"id": "L3"} {"id": "L4"}\n{"id": 5}')
    rows = rows_of(p)
    assert good(rows) == [(1, {"id": "L1"}), (2, {"id": "L2"}), (4, {"id": 5})]
    assert bad(rows) == [BadRow(p, 3, "invalid JSON: Extra data (column 14)", '{"id": "L3"} {"id": "L4"}')]


def test_jsonl_invalid_utf8_line(tmp_path):
    p = write(tmp_path, "leads.jsonl", b'{"id": "L1"}\n{"id": "Caf\xe9"}\n{"id": "L3"}\n')
    rows = rows_of(p)
    assert good(rows) == [(1, {"id": "L1"}), (3, {"id": "L3"})]
    assert bad(rows)[0].line == 2 and "UTF-8" in bad(rows)[0].reason


def test_jsonl_empty_file(tmp_path):
    assert rows_of(write(tmp_path, "leads.jsonl", "")) == []


# --------------------------------------------------------------------------- JSON array


def test_json_array_element_lines(tmp_path):
    text = '[\n  {"id": "L1"},\n  {\n    "id": "L2",\n    "x": [1,\n 2]\n  }, {"id": 3}\n,\n\n{"id": "L4"}]\n'
    assert rows_of(write(tmp_path, "leads.json", text)) == [
        Row(2, {"id": "L1"}),
        Row(3, {"id": "L2", "x": [1, 2]}),
        Row(7, {"id": 3}),
        Row(10, {"id": "L4"}),
    ]


def test_json_array_one_line_and_empty(tmp_path):
    assert rows_of(write(tmp_path, "a.json", '[{"id": 1}, {"id": 2}]')) == [Row(1, {"id": 1}), Row(1, {"id": 2})]
    assert rows_of(write(tmp_path, "b.json", " [ ] ")) == []
    assert rows_of(write(tmp_path, "c.json", b"\xef\xbb\xbf[\n{\"id\": 1}]")) == [Row(2, {"id": 1})]


def test_json_array_non_object_element(tmp_path):
    p = write(tmp_path, "leads.json", '[\n{"id": "L1"},\n[1],\n"x",\n{"id": "L2"}\n]')
    rows = rows_of(p)
    assert good(rows) == [(2, {"id": "L1"}), (5, {"id": "L2"})]
    assert bad(rows) == [
        BadRow(p, 3, "a JSON row must be an object, not a list", [1]),
        BadRow(p, 4, "a JSON row must be an object, not a string", "x"),
    ]


def test_json_array_broken_keeps_rows_before_the_break(tmp_path):
    p = write(tmp_path, "leads.json", '[\n{"id": "L1"},\n{"id": "L2",, },\n{"id": "L3"}\n]\n')
    rows = rows_of(p)
    assert good(rows) == [(2, {"id": "L1"})]
    (b,) = bad(rows)
    assert b.line == 3
    assert b.reason.startswith("invalid JSON: ") and "line 3" in b.reason and "rest of the file" in b.reason
    assert b.row == '{"id": "L2",, },\n{"id": "L3"}\n]\n'


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('[{"id": 1}\n{"id": 2}]', 2, "expected ','"),
        ('[{"id": 1},\n', 2, "ends inside the array"),
        ('[{"id": 1}', 1, "ends inside the array"),
        ('[{"id": 1}]\n[{"id": 2}]', 2, "text after the end"),
        ('[{"id": 1},\n]', 2, "Expecting value"),
    ],
)
def test_json_array_structure_errors(tmp_path, text, line, words):
    rows = rows_of(write(tmp_path, "leads.json", text))
    assert good(rows) == [(1, {"id": 1})]
    (b,) = bad(rows)
    assert b.line == line and words in b.reason


def test_json_file_starting_with_object_is_json_lines(tmp_path):
    p = write(tmp_path, "leads.json", '\n{"id": "L1"}\n{"id": "L2"}\n')
    assert rows_of(p) == [Row(2, {"id": "L1"}), Row(3, {"id": "L2"})]


def test_json_file_blank_and_other(tmp_path):
    assert rows_of(write(tmp_path, "a.json", " \n")) == []
    with pytest.raises(ReadError, match="not a JSON array"):
        read_rows(write(tmp_path, "b.json", "17"))


def test_json_array_invalid_utf8_element(tmp_path):
    p = write(tmp_path, "leads.json", b'[{"id": "L1"},\n{"id": "Caf\xe9"},\n{"id": "L3"}]')
    rows = rows_of(p)
    assert good(rows) == [(1, {"id": "L1"}), (3, {"id": "L3"})]
    assert bad(rows)[0].line == 2 and "UTF-8" in bad(rows)[0].reason


# --------------------------------------------------------------------------- stdin


def test_stdin_text_is_json_lines():
    src = io.StringIO('{"id": "L1"}\n\nnot json\n{"id": 2}\n')
    rows = list(read_rows("-", stdin=src))
    assert good(rows) == [(1, {"id": "L1"}), (4, {"id": 2})]
    assert bad(rows)[0].file == "<stdin>" and bad(rows)[0].line == 3


def test_stdin_bytes():
    src = io.BytesIO(b'\xef\xbb\xbf{"id": "L1"}\n{"id": "L2"}')
    assert list(read_rows("-", stdin=src)) == [Row(1, {"id": "L1"}), Row(2, {"id": "L2"})]


def test_stdin_defaults_to_sys_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": "L9"}\n'), encoding="utf-8"))
    assert list(read_rows("-")) == [Row(1, {"id": "L9"})]


def test_stdin_as_csv_with_format():
    src = io.BytesIO(b"id;name\nL1;Acme\n")
    assert list(read_rows("-", stdin=src, format="csv")) == [Row(2, {"id": "L1", "name": "Acme"})]
    assert not src.closed  # standard input is not closed by reading it


# --------------------------------------------------------------------------- errors, formats, compression


def test_unknown_extension(tmp_path):
    p = write(tmp_path, "leads.xlsx", "x")
    with pytest.raises(ReadError) as e:
        read_rows(p)
    msg = str(e.value)
    assert "'.xlsx'" in msg and ".csv" in msg and ".jsonl" in msg and ".parquet" in msg and "\n" not in msg


def test_no_extension(tmp_path):
    with pytest.raises(ReadError, match="extension"):
        read_rows(write(tmp_path, "leads", "x"))


def test_missing_file_raises_on_call(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_rows(str(tmp_path / "missing.csv"))  # raised by the call, before iterating
    with pytest.raises(ReadError, match="no such file"):
        read_rows(str(tmp_path / "missing.jsonl"))


def test_directory(tmp_path):
    d = tmp_path / "dir.csv"
    d.mkdir()
    with pytest.raises(ReadError, match="directory"):
        read_rows(str(d))


def test_read_error_is_a_data_error():
    assert issubclass(ReadError, DataError) and issubclass(WriteError, DataError)


def test_detect_format():
    assert detect_format("a.CSV") == ("csv", None)
    assert detect_format("a.tsv.gz") == ("csv", ".gz")
    assert detect_format("a.ndjson") == ("jsonl", None)
    assert detect_format("a.json.bz2") == ("json", ".bz2")
    assert detect_format("-") == ("jsonl", None)
    assert detect_format("a.dat", "jsonl") == ("jsonl", None)
    with pytest.raises(ReadError):
        detect_format("a.parquet.gz")
    with pytest.raises(ReadError):
        detect_format("a.csv", "xml")


def test_format_override(tmp_path):
    p = write(tmp_path, "export.dat", '{"id": 1}\n')
    assert list(read_rows(p, format="jsonl")) == [Row(1, {"id": 1})]


def test_gzip_csv_and_jsonl(tmp_path):
    p = tmp_path / "leads.csv.gz"
    p.write_bytes(gzip.compress(b'\xef\xbb\xbfid;name\r\nL1;"a\nb"\r\nL2;c\r\n'))
    assert rows_of(str(p)) == [Row(2, {"id": "L1", "name": "a\nb"}), Row(4, {"id": "L2", "name": "c"})]
    q = tmp_path / "events.jsonl.gz"
    q.write_bytes(gzip.compress(b'{"lead_id": "L1"}\n[]\n'))
    rows = rows_of(str(q))
    assert rows[0] == Row(1, {"lead_id": "L1"}) and rows[1].line == 2
    r = tmp_path / "leads.json.gz"
    r.write_bytes(gzip.compress(b'[\n{"id": 1}]'))
    assert rows_of(str(r)) == [Row(2, {"id": 1})]


def test_bz2(tmp_path):
    p = tmp_path / "leads.csv.bz2"
    p.write_bytes(bz2.compress(b"id\nL1\n"))
    assert rows_of(str(p)) == [Row(2, {"id": "L1"})]


def test_bad_gzip(tmp_path):
    p = write(tmp_path, "leads.csv.gz", "id\nL1\n")
    with pytest.raises(ReadError, match="cannot read"):
        read_rows(p)
    data = gzip.compress(b"".join(b'{"id": %d}\n' % i for i in range(10000)))
    q = write(tmp_path, "leads.jsonl.gz", data[: len(data) // 2])
    with pytest.raises(ReadError, match="cannot read"):
        list(read_rows(q))


# --------------------------------------------------------------------------- Parquet


def test_parquet_needs_the_extra(tmp_path, monkeypatch):
    p = write(tmp_path, "leads.parquet", b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ReadError) as e:
        read_rows(p)
    assert str(e.value) == "reading Parquet needs the optional extra: pip install 'leadscore[parquet]'"
    with pytest.raises(WriteError, match=r"leadscore\[parquet\]"):
        ParquetWriter(str(tmp_path / "out.parquet"), ["id"])


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    p = str(tmp_path / "out.parquet")
    with ParquetWriter(p, ["id", "score", "tier", "qualified"], batch_size=2) as w:
        for i in range(5):
            w.write({"id": f"L{i}", "score": i + 0.5 if i % 2 else i, "tier": None if i < 3 else "hot",
                     "qualified": ["mql", "sql"][: i % 3]})
    rows = rows_of(p)
    assert [r.line for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1].data == {"id": "L1", "score": 1.5, "tier": None, "qualified": ["mql"]}
    assert rows[4].data == {"id": "L4", "score": 4.0, "tier": "hot", "qualified": ["mql"]}


def test_parquet_not_a_parquet_file(tmp_path):
    pytest.importorskip("pyarrow")
    with pytest.raises(ReadError, match="not a Parquet file"):
        read_rows(write(tmp_path, "leads.parquet", "id\nL1\n"))


def test_parquet_missing_file(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_rows(str(tmp_path / "missing.parquet"))


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    "value, expected",
    [
        (17, "17"),
        ("17", "17"),
        (" L1 ", "L1"),
        ("L1", "L1"),
        (-3, "-3"),
        (10**30, str(10**30)),
        (17.0, None),
        (1e3, None),
        (True, None),
        (False, None),
        ("", None),
        ("   ", None),
        (None, None),
        ([1], None),
        ({"id": 1}, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def test_parse_id_json_numbers():
    assert parse_id(json.loads("17")) == "17"
    assert parse_id(json.loads("17.0")) is None
    assert parse_id(json.loads("1e3")) is None


@pytest.mark.parametrize(
    "value, problem",
    [
        (None, "missing id"),
        ("", "missing id"),
        (" \t", "missing id"),
        (17.0, "id must be text or a whole number, not 17.0"),
        (True, "id must be text or a whole number, not true"),
        ([1], "id must be text or a whole number, not a list"),
        ({}, "id must be text or a whole number, not an object"),
        (17, None),
        ("L1", None),
    ],
)
def test_id_problem(value, problem):
    assert id_problem(value) == problem


# --------------------------------------------------------------------------- rejects


def test_rejects_file_content(tmp_path):
    out = tmp_path / "rejects.jsonl"
    with RejectsWriter(str(out)) as rj:
        rj.add(BadRow("leads.csv", 3, "row has 3 fields, the header has 5", ["L2", "1", "2"]))
        rj.add(BadRow("leads.jsonl", 7, "invalid JSON: Expecting value (column 1)", "{oops é"))
        rj.add(BadRow("leads.parquet", 2, "missing id", {"id": None, "seen": __import__("datetime").date(2026, 1, 2),
                                                         "x": object.__new__(object)}))
        assert rj.count == 3
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    first, second, third = map(json.loads, lines)
    assert first == {"file": "leads.csv", "line": 3, "reason": "row has 3 fields, the header has 5", "row": ["L2", "1", "2"]}
    assert list(first) == ["file", "line", "reason", "row"]
    assert second["row"] == "{oops é"
    assert third["row"]["seen"] == "2026-01-02" and third["row"]["x"].startswith("<object")
    assert rj.closed


def test_rejects_from_reader(tmp_path):
    p = write(tmp_path, "leads.csv", "id,name\nL1\n")
    out = tmp_path / "rejects.jsonl"
    with RejectsWriter(out) as rj:
        for r in read_rows(p):
            if isinstance(r, BadRow):
                rj.add(r)
    assert json.loads(out.read_text()) == {"file": p, "line": 2, "reason": "row has 1 field, the header has 2", "row": ["L1"]}


def test_rejects_without_path_only_counts():
    rj = RejectsWriter(None)
    for i in range(3):
        rj.add(BadRow("x.csv", i, "r", "row"))
    rj.close()
    assert rj.count == 3 and rj.path is None


def test_rejects_file_is_created_even_when_empty(tmp_path):
    out = tmp_path / "rejects.jsonl"
    out.write_text("stale\n")
    RejectsWriter(str(out)).close()
    assert out.read_text() == ""


def test_rejects_unwritable(tmp_path):
    with pytest.raises(WriteError, match="rejects"):
        RejectsWriter(str(tmp_path / "no" / "such" / "dir.jsonl"))


# --------------------------------------------------------------------------- writers


def test_jsonl_writer():
    buf = io.StringIO()
    with JsonlWriter(buf) as w:
        w.write({"id": "L1", "score": 72.5, "tags": [], "name": "Café"})
        w.write({"id": "L2", "score": 0.1 + 0.2})
    lines = buf.getvalue().splitlines()
    assert lines[0] == '{"id": "L1", "score": 72.5, "tags": [], "name": "Café"}'
    assert json.loads(lines[1])["score"] == 0.1 + 0.2
    assert not buf.closed  # the caller owns the stream


def test_jsonl_writer_binary():
    buf = io.BytesIO()
    w = JsonlWriter(buf)
    w.write({"id": "é"})
    w.close()
    assert buf.getvalue() == '{"id": "é"}\n'.encode("utf-8")
    assert not buf.closed


def test_csv_writer():
    buf = io.StringIO()
    with CsvWriter(buf, ["id", "score", "tier", "qualified", "group.fit", "note"]) as w:
        w.write({"id": "L1", "score": 0.1 + 0.2, "tier": None, "qualified": ["mql", "sql"], "group.fit": 40,
                 "extra": "ignored", "note": 'say "hi", bye'})
        w.write({"id": "L2", "score": 1e-20, "tier": "hot", "qualified": [], "group.fit": 2.5})
    assert buf.getvalue().splitlines() == [
        "id,score,tier,qualified,group.fit,note",
        'L1,0.30000000000000004,,mql;sql,40,"say ""hi"", bye"',
        "L2,1e-20,hot,,2.5,",
    ]


def test_csv_writer_round_trips_through_reader(tmp_path):
    p = tmp_path / "out.csv"
    with open(p, "w", newline="", encoding="utf-8") as f, CsvWriter(f, ["id", "note"]) as w:
        w.write({"id": "L1", "note": "two\nlines"})
        w.write({"id": "L2", "note": True})
    assert rows_of(str(p)) == [Row(2, {"id": "L1", "note": "two\nlines"}), Row(4, {"id": "L2", "note": "true"})]


def test_parquet_writer_types_and_conversion(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    p = str(tmp_path / "out.parquet")
    with ParquetWriter(p, ["id", "score", "campaign.x.score", "tags"], types={"campaign.x.score": "number"},
                       batch_size=1) as w:
        w.write({"id": "L1", "score": 1, "campaign.x.score": None, "tags": None})
        w.write({"id": 2, "score": 2.5, "campaign.x.score": 97.5, "tags": ("a", 1)})
    table = pq.read_table(p)
    assert [str(t) for t in table.schema.types] == ["string", "double", "double", "string"]
    assert table.to_pylist()[1] == {"id": "2", "score": 2.5, "campaign.x.score": 97.5, "tags": "a;1"}
    w = ParquetWriter(str(tmp_path / "bad.parquet"), ["score"], batch_size=1)
    w.write({"score": 1.0})
    with pytest.raises(WriteError, match="score"):
        w.write({"score": "high"})


def test_jsonl_writer_non_json_values():
    import datetime as dt

    buf = io.StringIO()
    JsonlWriter(buf).write({"now": dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)})
    assert json.loads(buf.getvalue()) == {"now": "2026-11-20T00:00:00+00:00"}
