"""INTERFACE.md §9, bad data: every input row ends up in exactly one place —
used (a scored lead, an event a lead got), ignored and counted (an event after
`now`, an event of an undeclared type), or the rejects file with its file,
line and a reason — and the summary's counts add up.

Each test builds files with every kind of bad row, then checks the fate of
each row: the rejects by (file, line), the ignored by the summary's counts
of each kind, and the used through the scores they produce (each used event
moves its lead's score by a known amount)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.cli import main

NOW = "2026-11-20T00:00:00Z"

MODEL = """
field name: text
field employees: number
field signed_up: date
event page_view(url: text, seconds: number)
event demo_request
rule demo: +30 when any demo_request
rule visits: +1 each page_view
rule big: +10 when employees >= 100
"""

SUMMARY = re.compile(
    r"leads:\s+(?P<leads_read>\d+) read, (?P<leads_scored>\d+) scored, (?P<leads_rejected>\d+) rejected\n"
    r"(?:events: (?P<events_read>\d+) read, (?P<events_used>\d+) used, (?P<events_ignored>\d+) ignored "
    r"\((?P<after_now>\d+) after now, (?P<undeclared>\d+) of undeclared types\), "
    r"(?P<events_rejected>\d+) rejected\n)?"      # only when events were read
    r"warnings: (?P<warnings>\d+)\n"
    r"rejects: (?P<rejects>\d+)\b")


def summary(stderr: str) -> dict:
    match = SUMMARY.search(stderr)
    assert match, stderr
    c = {k: int(v or 0) for k, v in match.groupdict().items()}
    # the counts add up, exactly
    assert c["leads_read"] == c["leads_scored"] + c["leads_rejected"]
    assert c["events_read"] == c["events_used"] + c["events_ignored"] + c["events_rejected"]
    assert c["events_ignored"] == c["after_now"] + c["undeclared"]
    assert c["rejects"] == c["leads_rejected"] + c["events_rejected"]
    return c


def score(tmp_path: Path, leads: Path, events: Path | None = None, *extra):
    model = tmp_path / "model.score"
    model.write_text(MODEL, encoding="utf-8")
    rejects = tmp_path / "rejects-out.jsonl"
    args = ["score", str(model), "--leads", str(leads), "--now", NOW, "--rejects", str(rejects), *extra]
    if events is not None:
        args += ["--events", str(events)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output          # a batch finishes whatever it rejects
    out = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    records = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    for r in records:
        assert set(r) == {"file", "line", "reason", "row"}
        assert isinstance(r["line"], int) and r["line"] >= 1 and r["reason"]
    return out, records, summary(result.stderr)


def by_place(records) -> dict:
    """(file name, line) -> [reasons]; several records may share a line (inline events)."""
    places: dict = {}
    for r in records:
        places.setdefault((Path(r["file"]).name, r["line"]), []).append(r["reason"])
    return places


def write_bytes(path: Path, text: str, bom: bool = False, eol: str = "\n") -> Path:
    data = text.replace("\n", eol)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


# =============================================================================
# CSV
# =============================================================================

LEADS_CSV = (
    "id,name,employees,signed_up\n"          # 1
    "L1,Ann,150,2026-01-01\n"                # 2  scored
    ",NoId,10,\n"                            # 3  rejected: missing id
    '"   ",Blank,10,\n'                      # 4  rejected: blank id
    "L1,Dup,10,\n"                           # 5  rejected: duplicate of line 2
    'L2,"two\n'                              # 6  scored (a quoted newline: the row spans 6-7)
    'lines",50,\n'                           # 7
    "L3,Short\n"                             # 8  rejected: too few fields
    "L4,Long,1,,extra\n"                     # 9  rejected: too many fields
    "L5,Bad,lots,\n"                         # 10 scored with a warning (strict: rejected)
    "L6,Ok,5,\n"                             # 11 scored
    "L7,Cy,200,2026-02-30\n"                 # 12 scored with a warning (strict: rejected)
)

EVENTS_CSV = (
    "lead_id,type,at,url,seconds\n"          # 1
    "L1,page_view,2026-11-19T00:00:00Z,/,10\n"     # 2  used
    "L1,page_view,not-a-time,/,10\n"               # 3  rejected: unparseable at
    "L1,page_view,,/,10\n"                         # 4  rejected: missing at
    "L1,,2026-11-19T00:00:00Z,/,10\n"              # 5  rejected: missing type
    "L99,page_view,2026-11-19T00:00:00Z,/,10\n"    # 6  rejected: unknown lead
    "L3,demo_request,2026-11-19T00:00:00Z,,\n"     # 7  rejected: its lead row was rejected
    "L1,chat_started,2026-11-19T00:00:00Z,,\n"     # 8  ignored: undeclared type
    "L99,chat_started,2026-11-19T00:00:00Z,,\n"    # 9  rejected: unknown lead (checked first)
    "L1,page_view,2026-12-01T00:00:00Z,/,10\n"     # 10 ignored: after now
    "L1,page_view,2026-11-18T00:00:00Z,/,abc\n"    # 11 used, warning (strict: rejected)
    "L5,demo_request,2026-11-19T00:00:00Z,,\n"     # 12 used (strict: rejected with its lead)
    "L1,chat_started,2026-12-01T00:00:00Z,,\n"     # 13 ignored: undeclared (and after now)
    "L6,demo_request,2026-11-19T00:00:00Z\n"       # 14 rejected: too few fields
    "L6,demo_request,2026-11-19T00:00:00Z,,,x\n"   # 15 rejected: too many fields
    ",demo_request,2026-11-19T00:00:00Z,,\n"       # 16 rejected: missing lead id
    'L2,page_view,2026-11-19T00:00:00Z,"/a\n'      # 17 used (quoted newline: 17-18)
    'b",5\n'                                       # 18
    "L2,demo_request,yesterday,,\n"                # 19 rejected: unparseable at
    "L6,page_view,2026-11-19T00:00:00Z,/x,5\n"     # 20 used
    '"  ",demo_request,2026-11-19T00:00:00Z,,\n'   # 21 rejected: blank lead id
)

CSV_REJECTS = {
    ("leads.csv", 3): "missing id",
    ("leads.csv", 4): "missing id",
    ("leads.csv", 5): "duplicate id `L1`",
    ("leads.csv", 8): "2 fields",
    ("leads.csv", 9): "5 fields",
    ("events.csv", 3): "`at`",
    ("events.csv", 4): "`at`",
    ("events.csv", 5): "`type`",
    ("events.csv", 6): "L99",
    ("events.csv", 7): "L3",
    ("events.csv", 9): "L99",
    ("events.csv", 14): "3 fields",
    ("events.csv", 15): "6 fields",
    ("events.csv", 16): "lead id",
    ("events.csv", 19): "`at`",
    ("events.csv", 21): "lead id",
}


@pytest.mark.parametrize("bom, eol", [(True, "\r\n"), (False, "\n"), (True, "\n"), (False, "\r\n")])
def test_csv_every_row_accounted_for(tmp_path, bom, eol):
    leads = write_bytes(tmp_path / "leads.csv", LEADS_CSV, bom, eol)
    events = write_bytes(tmp_path / "events.csv", EVENTS_CSV, bom, eol)
    out, records, counts = score(tmp_path, leads, events)

    # scored leads, in input order, and the events each one got
    assert list(out) == ["L1", "L2", "L5", "L6", "L7"]
    assert out["L1"]["score"] == 10 + 2          # big; page views of lines 2 and 11 (not 3, 4, 10)
    assert out["L2"]["score"] == 1               # line 17's view; line 19 rejected
    assert out["L5"]["score"] == 30              # "lots" is unknown; line 12's demo
    assert out["L6"]["score"] == 1               # line 20; lines 14, 15 rejected
    assert out["L7"]["score"] == 10
    assert [w for w in out["L1"]["warnings"] if "seconds" in w] and len(out["L1"]["warnings"]) == 1
    assert len(out["L5"]["warnings"]) == 1 and "employees" in out["L5"]["warnings"][0]
    assert len(out["L7"]["warnings"]) == 1 and "signed_up" in out["L7"]["warnings"][0]
    assert out["L2"]["warnings"] == [] and out["L6"]["warnings"] == []

    places = by_place(records)
    assert set(places) == set(CSV_REJECTS)
    for place, needle in CSV_REJECTS.items():
        (reason,) = places[place]
        assert needle in reason, (place, reason)
    # the row as read is kept in the record
    row = next(r["row"] for r in records if r["line"] == 5 and r["file"].endswith("leads.csv"))
    assert row == {"id": "L1", "name": "Dup", "employees": "10", "signed_up": ""}
    assert counts == {"leads_read": 10, "leads_scored": 5, "leads_rejected": 5,
                      "events_read": 19, "events_used": 5, "events_ignored": 3, "after_now": 1,
                      "undeclared": 2, "events_rejected": 11, "warnings": 3, "rejects": 16}


def test_csv_strict(tmp_path):
    leads = write_bytes(tmp_path / "leads.csv", LEADS_CSV, True, "\r\n")
    events = write_bytes(tmp_path / "events.csv", EVENTS_CSV)
    out, records, counts = score(tmp_path, leads, events, "--strict")
    assert list(out) == ["L1", "L2", "L6"]
    assert out["L1"]["score"] == 10 + 1          # line 11's view is rejected now
    assert all(r["warnings"] == [] for r in out.values())
    places = by_place(records)
    extra = {("leads.csv", 10): "employees", ("leads.csv", 12): "signed_up",
             ("events.csv", 11): "seconds", ("events.csv", 12): "L5"}
    assert set(places) == set(CSV_REJECTS) | set(extra)
    for place, needle in extra.items():
        (reason,) = places[place]
        assert needle in reason, (place, reason)
    assert "rejected" in places[("events.csv", 12)][0]
    assert counts == {"leads_read": 10, "leads_scored": 3, "leads_rejected": 7,
                      "events_read": 19, "events_used": 3, "events_ignored": 3, "after_now": 1,
                      "undeclared": 2, "events_rejected": 13, "warnings": 0, "rejects": 20}


def test_csv_line_ids_after_a_quoted_newline(tmp_path):
    leads = write_bytes(tmp_path / "leads.csv", "name,employees\n\"a\nb\",150\nc,5\n\n\"d\r\ne\",200\n",
                        True, "\r\n")
    out, records, counts = score(tmp_path, leads, None, "--line-ids")
    assert {k: v["score"] for k, v in out.items()} == {"2": 10, "4": 0, "6": 10}
    assert counts["leads_read"] == 3 and records == []


# =============================================================================
# JSON Lines
# =============================================================================

AT = "2026-11-19T00:00:00Z"
DEMO = {"type": "demo_request", "at": AT}

LEAD_LINES = [
    '{"name": "no id, and the first line"}',                         # 1  rejected: missing id
    '{"id": "J1", "employees": 150}',                                # 2  scored
    '{"id": "", "name": "empty"}',                                   # 3  rejected: missing id
    '{"id": "   "}',                                                 # 4  rejected: blank id
    '{"id": null}',                                                  # 5  rejected: missing id
    json.dumps({"id": "J1", "events": [DEMO]}),                      # 6  rejected: duplicate; its event too
    '{"id": "J2", broken',                                           # 7  rejected: broken JSON
    '[1, 2]',                                                        # 8  rejected: not an object
    '"text"',                                                        # 9  rejected: not an object
    '{"id": 17, "employees": "200"}',                                # 10 scored as "17"
    '{"id": "17"}',                                                  # 11 rejected: duplicate of 17
    '{"id": " 17 "}',                                                # 12 rejected: duplicate (stripped)
    '{"id": 17.0}',                                                  # 13 rejected: not an id
    '{"id": 1e3}',                                                   # 14 rejected: not an id
    '{"id": true}',                                                  # 15 rejected: not an id
    '{"id": ["J3"]}',                                                # 16 rejected: not an id
    json.dumps({"id": "J8", "events": [
        dict(DEMO, lead_id="someone-else"),                          #    used (its lead_id is ignored)
        {"type": "page_view", "at": "soon"},                         #    rejected: bad at
        5,                                                           #    rejected: not an object
        {"type": "chat_started", "at": AT},                          #    ignored: undeclared
        {"type": "page_view", "at": "2026-12-24T00:00:00Z"}]}),      #    ignored: after now
    '{"id": "J9", "events": 5}',                                     # 18 rejected: events not a list
    json.dumps({"id": "J10", "employees": "lots", "events": [DEMO]}),  # 19 scored, warning (strict: rejected)
    '',                                                              # 20 blank: not a row
    '{"id": "J11", "events": []}',                                   # 21 scored
]

EVENT_LINES = [
    json.dumps({"lead_id": "J9", **DEMO}),                           # 1  rejected: its lead was rejected
    json.dumps({"lead_id": 17, **DEMO}),                             # 2  used by "17"
    json.dumps({"lead_id": 17.0, **DEMO}),                           # 3  rejected: not a lead id
    json.dumps({"lead_id": "J10", "type": "page_view", "at": AT, "url": "/", "seconds": "x"}),  # 4 used, warning
    '{"lead_id": "J1", broken',                                      # 5  rejected: broken JSON
    '42',                                                            # 6  rejected: not an object
    json.dumps({"lead_id": "J404", "type": "nope", "at": AT}),       # 7  rejected: unknown lead
    json.dumps({"lead_id": "J1", "type": "page_view", "at": "2026-11-19T10:00:00+02:00",
                "url": "/", "seconds": 5}),                          # 8  used
    json.dumps({"lead_id": "J1", "type": "demo_request"}),           # 9  rejected: missing at
    json.dumps({"lead_id": "J1", "at": AT}),                         # 10 rejected: missing type
    json.dumps({"lead_id": "J1", "type": 5, "at": AT}),              # 11 rejected: type not text
    json.dumps({"lead_id": "J1", "type": "demo_request", "at": None}),  # 12 rejected: missing at
]

JSONL_REJECTS = {
    ("leads.jsonl", 1): ["missing id"],
    ("leads.jsonl", 3): ["missing id"],
    ("leads.jsonl", 4): ["missing id"],
    ("leads.jsonl", 5): ["missing id"],
    ("leads.jsonl", 6): ["duplicate id `J1`", "rejected"],
    ("leads.jsonl", 7): ["JSON"],
    ("leads.jsonl", 8): ["object"],
    ("leads.jsonl", 9): ["object"],
    ("leads.jsonl", 11): ["duplicate id `17`"],
    ("leads.jsonl", 12): ["duplicate id `17`"],
    ("leads.jsonl", 13): ["17.0"],
    ("leads.jsonl", 14): ["id"],
    ("leads.jsonl", 15): ["true"],
    ("leads.jsonl", 16): ["list"],
    ("leads.jsonl", 17): ["`at`", "object"],
    ("leads.jsonl", 18): ["events"],
    ("events.jsonl", 1): ["J9"],
    ("events.jsonl", 3): ["17.0"],
    ("events.jsonl", 5): ["JSON"],
    ("events.jsonl", 6): ["object"],
    ("events.jsonl", 7): ["J404"],
    ("events.jsonl", 9): ["`at`"],
    ("events.jsonl", 10): ["`type`"],
    ("events.jsonl", 11): ["`type`"],
    ("events.jsonl", 12): ["`at`"],
}


def check_places(records, expected: dict) -> None:
    places = by_place(records)
    assert set(places) == set(expected)
    for place, needles in expected.items():
        reasons = places[place]
        assert len(reasons) == len(needles), (place, reasons)
        for needle in needles:
            assert any(needle in reason for reason in reasons), (place, needle, reasons)


def jsonl_files(tmp_path, bom=True, eol="\r\n"):
    leads = write_bytes(tmp_path / "leads.jsonl", "\n".join(LEAD_LINES) + "\n", bom, eol)
    events = write_bytes(tmp_path / "events.jsonl", "\n".join(EVENT_LINES) + "\n", bom, eol)
    return leads, events


@pytest.mark.parametrize("bom, eol", [(True, "\r\n"), (False, "\n")])
def test_jsonl_every_row_accounted_for(tmp_path, bom, eol):
    out, records, counts = score(tmp_path, *jsonl_files(tmp_path, bom, eol))
    assert list(out) == ["J1", "17", "J8", "J10", "J11"]
    assert out["J1"]["score"] == 10 + 1          # big; line 8's view
    assert out["17"]["score"] == 10 + 30         # "200" employees; line 2's demo (lead_id 17 is "17")
    assert out["J8"]["score"] == 30              # the inline demo only
    assert out["J10"]["score"] == 30 + 1         # inline demo; line 4's view
    assert out["J11"]["score"] == 0
    assert len(out["J10"]["warnings"]) == 2      # "lots", and the view's "x" seconds
    check_places(records, JSONL_REJECTS)
    # an inline event's record names the leads file and its lead's line, and keeps the event
    inline = [r for r in records if r["file"].endswith("leads.jsonl") and r["line"] == 17]
    assert sorted(json.dumps(r["row"]) for r in inline) == sorted(
        [json.dumps({"type": "page_view", "at": "soon"}), "5"])
    broken = next(r for r in records if r["line"] == 7 and r["file"].endswith("leads.jsonl"))
    assert broken["row"] == '{"id": "J2", broken'
    # events: 12 in the file + 1 (line 6) + 5 (line 17) + 1 (line 19) inline
    assert counts == {"leads_read": 20, "leads_scored": 5, "leads_rejected": 15,
                      "events_read": 19, "events_used": 5, "events_ignored": 2, "after_now": 1,
                      "undeclared": 1, "events_rejected": 12, "warnings": 2, "rejects": 27}


def test_jsonl_strict(tmp_path):
    out, records, counts = score(tmp_path, *jsonl_files(tmp_path), "--strict")
    assert list(out) == ["J1", "17", "J8", "J11"]
    expected = dict(JSONL_REJECTS)
    expected[("leads.jsonl", 19)] = ["employees", "rejected lead"]     # the lead and its inline event
    # its file event has a bad attribute of its own, so strict rejects it for that first
    expected[("events.jsonl", 4)] = ["seconds"]
    check_places(records, expected)
    assert counts == {"leads_read": 20, "leads_scored": 4, "leads_rejected": 16,
                      "events_read": 19, "events_used": 3, "events_ignored": 2, "after_now": 1,
                      "undeclared": 1, "events_rejected": 14, "warnings": 0, "rejects": 30}


def test_event_attribute_strict_rejects_only_the_event(tmp_path):
    leads = write_bytes(tmp_path / "leads.jsonl", '{"id": "a"}\n')
    events = write_bytes(tmp_path / "events.jsonl",
                         json.dumps({"lead_id": "a", "type": "page_view", "at": AT, "seconds": "many"}) + "\n"
                         + json.dumps({"lead_id": "a", "type": "page_view", "at": AT, "seconds": "3"}) + "\n")
    out, records, counts = score(tmp_path, leads, events)
    assert out["a"]["score"] == 2 and len(out["a"]["warnings"]) == 1
    assert records == [] and counts["warnings"] == 1
    out, records, counts = score(tmp_path, leads, events, "--strict")
    assert out["a"]["score"] == 1 and out["a"]["warnings"] == []
    assert [(Path(r["file"]).name, r["line"]) for r in records] == [("events.jsonl", 1)]
    assert "seconds" in records[0]["reason"]
    assert (counts["events_used"], counts["events_rejected"]) == (1, 1)


def test_json_array_with_inline_events(tmp_path):
    text = ('[\n'
            '  {"id": "A", "events": [\n'
            '     {"type": "demo_request", "at": "2026-11-19T00:00:00Z"},\n'
            '     {"type": "demo_request"}]},\n'
            '  {"id": "A"},\n'
            '  7,\n'
            '  {"id": "B", "employees": 100}\n'
            ']\n')
    leads = write_bytes(tmp_path / "leads.json", text)
    out, records, counts = score(tmp_path, leads)
    assert {k: v["score"] for k, v in out.items()} == {"A": 30, "B": 10}
    check_places(records, {("leads.json", 2): ["`at`"], ("leads.json", 5): ["duplicate"],
                           ("leads.json", 6): ["object"]})
    assert (counts["events_read"], counts["events_used"], counts["events_rejected"]) == (2, 1, 1)


def test_csv_events_column_is_not_inline_events(tmp_path):
    leads = write_bytes(tmp_path / "leads.csv", "id,employees,events\nE1,150,3\n")
    out, records, counts = score(tmp_path, leads)
    assert out["E1"]["score"] == 10 and records == []
    assert counts["events_read"] == 0


def test_rejects_only_counted_on_standard_output(tmp_path):
    leads = write_bytes(tmp_path / "leads.jsonl", '{"id": "a"}\n{"id": "a"}\nnope\n')
    model = tmp_path / "model.score"
    model.write_text(MODEL, encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(model), "--leads", str(leads), "--now", NOW])
    assert result.exit_code == 0
    c = summary(result.stderr)
    assert (c["leads_read"], c["leads_scored"], c["leads_rejected"], c["rejects"]) == (3, 1, 2, 2)
    assert "2 (counted only; --rejects PATH keeps them)" in result.stderr
    assert not list(tmp_path.glob("rejects*.jsonl"))
