"""A CSV field over 16 MiB quoted across lines is one reject at its line, on both engines (issue 17, point 4).

The csv module stops at a field over `MAX_CSV_FIELD` and drops the rest of
its line; without more, the lines after it, still inside the quoted field,
were read as rows of their own. Here those lines look like good rows (an
id, a number), so reading them as rows would score leads that are not in
the file; the rows after the field carry a reject whose line shows that the
line count went on through the skipped lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_bad_data import MODEL, NOW, summary  # tests/ is on sys.path (conftest.py)

from leadscore.batch.io import BadRow, read_rows
from leadscore.batch.io.readers import MAX_CSV_FIELD
from leadscore.cli import main

REASON = f"cannot parse CSV: field larger than field limit ({MAX_CSV_FIELD})"


def oversized(row, eol: str = "\n") -> tuple[str, int]:
    """A quoted field over MAX_CSV_FIELD characters across lines, and how many lines it spans. Its
    lines read as good rows, `row(i)` (with a `""` in them)."""
    body = [row(i) for i in range(MAX_CSV_FIELD // 1000 + 100)]
    text = '"start' + eol + eol.join(body) + eol + 'end"'
    assert len(text) > MAX_CSV_FIELD + 10_000
    return text, len(body) + 2


def lead(i: int) -> str:
    return f'Z{i},x""{"x" * 1000},150,'


def page_view(i: int) -> str:
    return f'A,page_view,2026-11-01T00:00:00Z,x""{i}{"x" * 1000},1'


def files(folder: Path) -> tuple[Path, Path, int, int]:
    """Leads and events files with an oversized field each; the lines of the rejects after them."""
    big, span = oversized(lead)
    leads = ["id,name,employees,signed_up", "A,a,150,", 'B,"b', 'two",5,',
             f'C,{big},7,"and', 'more"',                              # lines 5 … 5+span: one reject
             "D,d,200,", "G,short", "E,e,1,"]
    short_line = 5 + span + 1 + 1                                     # `G,short`, after `D`
    big, span = oversized(page_view)
    events = ["lead_id,type,at,url,seconds", "A,page_view,2026-11-01T00:00:00Z,u,1",
              f"B,page_view,2026-11-01T00:00:00Z,{big},2",            # line 3 … 3+span-1
              "D,demo_request,2026-11-01T00:00:00Z,,", ",page_view,2026-11-01T00:00:00Z,v,3",
              "E,page_view,2026-11-01T00:00:00Z,v,3"]
    no_lead_line = 3 + span - 1 + 2
    (folder / "leads.csv").write_text("\n".join(leads) + "\n", encoding="utf-8", newline="")
    (folder / "events.csv").write_text("\n".join(events) + "\n", encoding="utf-8", newline="")
    return folder / "leads.csv", folder / "events.csv", short_line, no_lead_line


def score(folder: Path, engine: str) -> tuple[str, bytes, dict]:
    model = folder / "model.score"
    model.write_text(MODEL, encoding="utf-8")
    rejects = folder / f"rejects-{engine}.jsonl"
    result = CliRunner().invoke(main, ["score", str(model), "--leads", str(folder / "leads.csv"),
                                       "--events", str(folder / "events.csv"), "--now", NOW,
                                       "--rejects", str(rejects), "--engine", engine])
    assert result.exit_code == 0, result.output
    return result.stdout, rejects.read_bytes(), summary(result.stderr)


def test_an_oversized_quoted_field_is_one_reject_on_both_engines(tmp_path):
    pytest.importorskip("duckdb")
    leads, events, short_line, no_lead_line = files(tmp_path)
    out, rejects, counts = score(tmp_path, "python")
    scores = {r["id"]: r["score"] for r in map(json.loads, out.splitlines())}
    assert scores == {"A": 11.0, "B": 0.0, "D": 40.0, "E": 1.0}       # no Z… lead from inside the field
    places = [(Path(r["file"]).name, r["line"], r["reason"]) for r in map(json.loads, rejects.splitlines())]
    assert sorted(places) == sorted([
        ("leads.csv", 5, REASON), ("leads.csv", short_line, "row has 2 fields, the header has 4"),
        ("events.csv", 3, REASON), ("events.csv", no_lead_line, "event: missing lead id (column `lead_id`)")]), places
    assert counts == {"leads_read": 6, "leads_scored": 4, "leads_rejected": 2, "events_read": 5, "events_used": 3,
                      "events_ignored": 0, "after_now": 0, "undeclared": 0, "events_rejected": 2, "warnings": 0,
                      "rejects": 4}
    assert score(tmp_path, "duckdb") == (out, rejects, counts)       # byte for byte


def reads(path: Path) -> list:
    return [(type(item).__name__, item.line, item.reason if isinstance(item, BadRow) else item.data["id"])
            for item in read_rows(path)]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_the_record_ends_where_the_csv_module_would_end_it(tmp_path, eol):
    big, span = oversized(lead, eol)
    one_line = '"' + "y" * (MAX_CSV_FIELD + 5)            # over the limit on its first line, then more lines
    lines = ["id,v",
             f"A,{big}",                                    # 2 … 1+span
             "B,1",
             f'C,"x",{big},"y""{eol}z"',                    # a second field quoted across lines after it
             "D,2",
             f'E,{one_line}{eol}F,3{eol}"',                 # 3 lines
             "G,4",
             f'H,{big}x',                                   # text after the closing quote: the line ends it
             "I,5",
             f"J,{big}"]                                    # the file ends with it, no line end
    path = tmp_path / "big.csv"
    path.write_text(eol.join(lines), encoding="utf-8", newline="")
    b = 2 + span
    d = b + 1 + span + 1
    g = d + 4
    i = g + 1 + span
    assert reads(path) == [("BadRow", 2, REASON), ("Row", b, "B"), ("BadRow", b + 1, REASON), ("Row", d, "D"),
                           ("BadRow", d + 1, REASON), ("Row", g, "G"), ("BadRow", g + 1, REASON), ("Row", i, "I"),
                           ("BadRow", i + 1, REASON)]
