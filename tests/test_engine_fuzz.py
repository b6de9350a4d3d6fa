"""The engines agree on dirty data (issue 17, points 4-5): hypothesis writes lead and event files
mixing good rows with every kind of bad row of INTERFACE.md §9 and the values that once split the
engines, and `score --engine duckdb` must write the same bytes as `--engine python`: results,
rejects (in the same order) and the summary on standard error, with and without `--explain`.

The rows: missing, blank, repeated and non-text ids; rows with too few or too many fields, broken
quoting, bytes that are not UTF-8, a 200,000-character field, a quoted field across lines; broken
JSON lines, values that are not objects, a lone surrogate, inline events (good, bad, not a list);
impossible dates and year 0000, huge integers, `1e400`, `inf`, `nan`; an empty events file; a BOM
and CRLF line ends; as CSV, JSON Lines and (with pyarrow) Parquet, whose timezone-naive timestamps
are UTC.

CI runs a few dozen files (well under a minute); LEADSCORE_FUZZ_EXAMPLES=500 runs more.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from leadscore.cli import main  # noqa: E402

EXAMPLES = int(os.environ.get("LEADSCORE_FUZZ_EXAMPLES", 30))
PARQUET = importlib.util.find_spec("pyarrow") is not None
NOW = "2026-11-20T00:00:00Z"

MODEL = """\
field name: text
field employees: number, unknown "N/A"
field active: bool
field joined: date
field seen: time
event visit(seconds: number, page: text, opened: time, ok: bool)
event demo
rule big: +10 when employees > 100
rule unknown_size: +1 when employees is unknown
rule named: +2 when name == "Straße"
rule on: +4 when active
rule new: +8 when days_since(joined) < 400
rule recent: +16 when seen > "2026-01-01"
rule long: +1 each visit[seconds > 10]
rule paged: +3 each visit[page == "pricing"]
rule opened: +5 each visit[opened > "2026-06-01"]
rule fine: +6 each visit[ok]
rule asked: +30 when any demo
"""

LONG = "@LONG@"             # written as 200,000 characters (a short name keeps hypothesis's reports short)
#: raw values of every kind: good, blank, unconvertible, and the ones that once split the engines
VALUES = st.sampled_from([
    "", " ", "Straße", "STRASSE", "İstanbul", "pricing", " pricing ", "N/A", "n/a", "12", " 500 ", "-3.5",
    "1e400", "-1e400", "inf", "nan", "Infinity", "9" * 400, "99999999999999999999", "lots", "yes", "no", "TRUE",
    "ja", "2026-11-01", "2026-02-30", "0000-01-01", "0001-01-01", "9999-12-31", "2026-13-01",
    "2026-11-19T10:00:00Z", "2026-11-19T10", "2026-11-19T24:00", "2026-11-19 10:00:00+05:30",
    "0000-01-01T00:00:00Z", "2026-06-02T00:00:00.1234567Z", "20261119T100000Z", "2027-01-01T00:00:00Z",
    "line\nbreak", 'say "hi"', "a,b", LONG])
IDS = st.sampled_from(["L1", "L2", "L3", " L1 ", "", " ", None, "Ü1", "17", "L\u00e9"])
JSON_IDS = st.sampled_from(["L1", "L2", "L3", " L1 ", "", None, 17, 17.0, 1e3, True, [1], "B\ud800"])
LEAD_KEYS = ["name", "employees", "active", "joined", "seen"]
EVENT_KEYS = ["seconds", "page", "opened", "ok"]
TYPES = st.sampled_from(["visit", "demo", "Visit", " visit ", "unknown", "", None])

lead_values = st.fixed_dictionaries({k: VALUES for k in LEAD_KEYS})
event_values = st.fixed_dictionaries({"type": TYPES, "at": VALUES, **{k: VALUES for k in EVENT_KEYS}})


@st.composite
def event_rows(draw, json_values: bool = False):
    row = draw(event_values)
    row["lead_id"] = draw(JSON_IDS if json_values else IDS)
    if json_values and draw(st.booleans()):
        row["seconds"] = draw(st.sampled_from([12, 3.5, 10**400, 1e300, -0.0, True, None]))
    if json_values and draw(st.integers(0, 3)) == 0:          # a JSON row may leave keys out
        row.pop(draw(st.sampled_from(sorted(row))))
    return row


# ---- writing files -------------------------------------------------------------------------

def long(value):
    return "x" * 200_000 if value == LONG else value


def csv_text(header: list, rows: list, damage: list, crlf: bool) -> str:
    """Rows as CSV; `damage` (one item per row) bends a row: too few or too many fields, a quote never
    closed is left for the last row only (it swallows the rest of the file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    for row, bend in zip(rows, damage):
        cells = ["" if row.get(k) is None else long(str(row[k])) for k in header]
        if bend == "short":
            cells = cells[:-2]
        elif bend == "long":
            cells = cells + ["extra"]
        elif bend == "quote":
            writer.writerow(cells[:1] + ['x "y" z'] + cells[2:])   # text after a quote: written escaped
            out.write('bad,"open"text' + ("\r\n" if crlf else "\n"))
            continue
        writer.writerow(cells)
    return out.getvalue()


def write_csv(path: Path, header: list, rows: list, damage: list, bom: bool, crlf: bool, bad_bytes: bool) -> None:
    data = csv_text(header, rows, damage, crlf).encode("utf-8")
    if bad_bytes:
        data += b"L9,\xff\xfe" + b"," * (len(header) - 2) + b"\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def json_line(row: dict, bend: str) -> str:
    if bend == "broken":
        return '{"id": "L1", "name": '
    if bend == "not_object":
        return '["L1", 1]'
    return json.dumps({k: long(x) for k, x in row.items()}, ensure_ascii=bend != "raw")


def write_jsonl(path: Path, rows: list, damage: list, crlf: bool) -> None:
    end = "\r\n" if crlf else "\n"
    path.write_text("".join(json_line(r, b) + end for r, b in zip(rows, damage)), encoding="utf-8",
                    errors="surrogatepass", newline="")


def write_parquet(path: Path, rows: list, naive_time: str | None) -> None:
    """Text columns (DuckDB reads them itself), plus a timezone-naive timestamp column `naive_time`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    columns = sorted({k for r in rows for k in r if k != naive_time and k != "events"})
    table = {c: [None if r.get(c) is None else long(str(r[c])) for r in rows] for c in columns}
    if naive_time:
        table[naive_time] = [dt.datetime(2026, 1 + i % 12, 1 + i % 28, i % 24) for i in range(len(rows))]
    pq.write_table(pa.table(table), path)


DAMAGE = st.sampled_from(["ok"] * 6 + ["short", "long", "quote", "broken", "not_object", "raw"])


@st.composite
def lead_file(draw):
    fmt = draw(st.sampled_from(["csv", "jsonl"] + (["parquet"] if PARQUET else [])))
    n = draw(st.integers(1, 7))
    rows = []
    for _ in range(n):
        row = draw(lead_values)
        row["id"] = draw(JSON_IDS if fmt == "jsonl" else IDS)
        if fmt == "jsonl" and draw(st.integers(0, 3)) == 0:
            row["events"] = draw(st.one_of(st.lists(event_rows(json_values=True), max_size=3),
                                           st.sampled_from([5, "x", [1, {"type": "demo"}]])))
        if fmt == "jsonl" and draw(st.booleans()):
            row["employees"] = draw(st.sampled_from([150, 1e400, 10**30, 10**400, 2.5, None, True, "inf"]))
        rows.append(row)
    damage = [draw(DAMAGE) for _ in rows]
    return fmt, rows, damage, draw(st.booleans()), draw(st.booleans()), draw(st.booleans())


@st.composite
def event_file(draw):
    kind = draw(st.sampled_from(["none", "csv", "csv", "jsonl", "empty"] + (["parquet"] if PARQUET else [])))
    rows = draw(st.lists(event_rows(json_values=kind == "jsonl"), max_size=8))
    damage = [draw(DAMAGE) for _ in rows]
    return kind, rows, damage, draw(st.booleans()), draw(st.booleans())


def write_leads(folder: Path, spec) -> Path:
    fmt, rows, damage, bom, crlf, extra = spec
    path = folder / f"leads.{fmt}"
    if fmt == "csv":
        damage = [d if d in ("ok", "short", "long", "quote") else "ok" for d in damage]
        write_csv(path, ["id"] + LEAD_KEYS, rows, damage, bom, crlf, bad_bytes=extra)
    elif fmt == "jsonl":
        write_jsonl(path, rows, [d if d in ("ok", "broken", "not_object", "raw") else "ok" for d in damage], crlf)
    else:
        write_parquet(path, rows, "seen" if extra else None)
    return path


def write_events(folder: Path, spec) -> Path | None:
    kind, rows, damage, crlf, extra = spec
    if kind == "none":
        return None
    path = folder / f"events.{'csv' if kind == 'empty' else kind}"
    if kind == "empty":
        path.write_bytes(b"" if extra else b"lead_id,type,at\n")
    elif kind == "csv":
        damage = [d if d in ("ok", "short", "long", "quote") else "ok" for d in damage]
        write_csv(path, ["lead_id", "type", "at"] + EVENT_KEYS, rows, damage, False, crlf, bad_bytes=extra)
    elif kind == "jsonl":
        write_jsonl(path, rows, [d if d in ("ok", "broken", "not_object", "raw") else "ok" for d in damage], crlf)
    else:
        write_parquet(path, rows, "at" if extra else None)
    return path


# ---- running both engines ------------------------------------------------------------------

def score(engine: str, folder: Path, leads: Path, events: Path | None, extra: list) -> tuple:
    out, rejects = folder / f"out-{engine}.jsonl", folder / f"rejects-{engine}.jsonl"
    args = ["score", str(folder / "model.score"), "--leads", str(leads), "--now", NOW, "-o", str(out),
            "--rejects", str(rejects), "--engine", engine, *extra]
    if events is not None:
        args += ["--events", str(events)]
    result = CliRunner().invoke(main, args)
    summary = [line for line in result.stderr.replace(str(rejects), "REJECTS").splitlines()
               if not line.startswith("time:")]
    files = [p.read_bytes() if p.exists() else None for p in (out, rejects)]
    for p in (out, rejects):
        p.unlink(missing_ok=True)
    return result.exit_code, summary, *files


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(lead_file(), event_file(), st.booleans(), st.booleans())
def test_duckdb_writes_what_python_writes_on_dirty_files(leads_spec, events_spec, explain, strict):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "model.score").write_text(MODEL, encoding="utf-8")
        leads, events = write_leads(folder, leads_spec), write_events(folder, events_spec)
        extra = ["--explain"] * explain + ["--strict"] * strict
        python = score("python", folder, leads, events, extra)
        duck = score("duckdb", folder, leads, events, extra)
        assert python[0] in (0, 1), python[1]             # finished, or a file unreadable as a whole
        assert duck[1] == python[1]                       # the summary (or the one-line error)
        assert duck[0] == python[0]
        assert duck[3] == python[3]                       # the rejects, in the same order
        assert duck[2] == python[2]                       # the results, byte for byte


def test_a_one_megabyte_json_lines_value_is_read_by_both_engines(tmp_path):
    """DuckDB's `Maximum line size` stops neither the batch nor prints the line."""
    (tmp_path / "model.score").write_text(MODEL, encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text(json.dumps({"id": "A", "name": "p" * 1_100_000}) + "\n" + json.dumps({"id": "B"}) + "\n")
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"lead_id": "B", "type": "visit", "at": "2026-11-01", "page": "p" * 1_100_000})
                      + "\n")
    python = score("python", tmp_path, leads, events, [])
    duck = score("duckdb", tmp_path, leads, events, [])
    assert python[0] == duck[0] == 0
    assert duck == python
    assert "Maximum line size" not in "\n".join(duck[1])


def test_a_record_too_long_for_duckdb_is_read_by_the_python_reader(tmp_path):
    """A CSV line DuckDB refuses (over 2,000,000 bytes) hands the whole file to the Python reader."""
    (tmp_path / "model.score").write_text(MODEL, encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text('id,name\nA,"' + "y" * 1_000_000 + "\n" + "z" * 1_100_000 + '"\nB,Straße\n')
    python = score("python", tmp_path, leads, None, [])
    duck = score("duckdb", tmp_path, leads, None, [])
    assert duck == python
    assert python[1][0] == "leads:  2 read, 2 scored, 0 rejected"
