"""`Model.read_events` and `Model.score` read a lead's event rows the short way (runtime/schema.py
`event_typer`, `iso_time`, `sort_events`; runtime/model.py): per-type readers that remember the
raw values they have converted, the time read by `datetime.fromisoformat`, undeclared types
counted without `fate`, and only the rows not read as usual scanned for undeclared-type warnings.
Each test compares that with the generic path — `EventReader.fate` for every row, its events
sorted by their whole canonical key — on dirty rows, so any difference in an event, its order, a
warning or a count fails here."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadscore
from leadscore.runtime import schema
from leadscore.runtime.model import EventCounts, InputError, decide_event
from leadscore.runtime.schema import iso_time
from leadscore.runtime.values import parse_iso_time

SOURCE = """
model "reading" version 1
field email: text
event visit(url: text, seconds: number)
event call(length: number from "minutes")
event note(topic: text from "subject")
event signup(plan: text, trial: bool, started: date, renews: time)
event click
event enquiry(name: text, page: text from "url", size: number from "seconds")
event reading(gauge: number from "minutes", ok: bool from "trial")
rule visits: +1 each visit
rule calls: +2 each call[length > 3]
rule notes: +1 when any note[topic == "pricing"]
"""
MODEL = leadscore.loads(SOURCE)          # one model for every example: its readers' memory carries over
NOW = parse_iso_time("2026-11-20T00:00:00Z")
NOW_TEXT = "2026-11-20T00:00:00Z"

TIMES = st.one_of(
    st.sampled_from(["2026-11-19T10:00:00Z", "2026-11-19T10:00:00", "2026-11-19T10:00:00Z",   # ties
                     "2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z", "2026-11-20T00:00:00.000001Z",
                     "2026-11-19 10:00:00", "2026-11-19T10:00:00+01:00", "2026-11-19T11:00:00+01:00",
                     "2026-11-19T10:00:00.250-05:30", "2026-11-19", "20261119T100000", "2026-W47-4",
                     "2026-02-30T10:00:00Z", "2026-11-19T24:00:00Z", " 2026-11-19T10:00:00Z",
                     "2026-11-19T10:00:00Z ", "2026-11-19T10:00:00Z\n", "", "   ", "soon", "２０２６-11-19",
                     "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
    st.sampled_from([20261119, 1.5, float("nan"), True, None, ["2026-11-19"],
                     dt.datetime(2026, 11, 19, 10, tzinfo=dt.timezone.utc),
                     dt.datetime(2026, 11, 19, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                     dt.date(2026, 11, 19)]),
    st.datetimes(min_value=dt.datetime(2026, 11, 18), max_value=dt.datetime(2026, 11, 21))
    .map(lambda d: d.isoformat() + "Z"))
TYPES = st.sampled_from(["visit", "call", "note", "signup", "click", "enquiry", "reading"] * 3 +
                        [" visit", "visit ", "Visit", "chat", "chat ", "", " ", None, 3, ["visit"]])
TEXTS = st.sampled_from([" /Pricing ", "/pricing", "PRICING", "", "   ", "n/a", "null", "-", "Straße", "ǅ", "x" * 300])
NUMBERS = st.sampled_from(["12", " 3.5 ", "1e3", "1_000", "0x10", "x", "n/a", "", "-0", "1e400", "NaN", "inf"])
RAW = st.one_of(TEXTS, NUMBERS, st.integers(-10, 10), st.sampled_from([
    0, 2**53, 2**80, 10**40, 10**400, -0.0, 0.0, 1.0, 2.5, float("nan"), float("inf"), -float("inf"),
    True, False, None, [1], {"a": 1}, dt.date(2026, 1, 2), "2026-01-02", "2026-11-19T10:00:00Z", "yes", "N"]))
ATTRIBUTES = ["url", "seconds", "minutes", "length", "subject", "topic", "plan", "trial", "started", "renews",
              "name"]
ROWS = st.one_of(
    st.fixed_dictionaries({"type": TYPES, "at": TIMES},
                          optional={name: RAW for name in ATTRIBUTES}),
    st.builds(lambda row: {k: row[k] for k in reversed(row)},   # another key order, the same row
              st.fixed_dictionaries({"type": TYPES, "at": TIMES}, optional={"url": RAW, "seconds": RAW})),
    st.sampled_from([None, "row", ["visit"], 5]))


def generic_read(rows, now=NOW):
    """The generic path: `fate` decides every row; events sorted by the whole canonical key."""
    counts, warnings, events = EventCounts(), [], []
    for row in rows:
        event = decide_event(MODEL.event_reader.fate, row, now, counts, warnings)
        if event is not None:
            counts.used += 1
            events.append(event)
    return sorted(events, key=lambda e: e.order), sorted(warnings), counts


def shown(events):
    return [(e.type, e.at, e.values, e.stripped) for e in events]


def same(a, b) -> bool:
    """Equal, NaN and the sign of zero included (`==` takes -0.0 for 0.0)."""
    return repr(a) == repr(b)


#: rows, some of them again (the same values remembered, the same time and content tied)
LEAD_ROWS = st.lists(ROWS, max_size=12).map(lambda rows: rows + rows[::3])


@settings(max_examples=400, deadline=None)
@given(LEAD_ROWS)
def test_read_events_agrees_with_the_generic_path(rows):
    try:
        expected = generic_read(rows)
    except (InputError, OverflowError) as error:
        # OverflowError: an infinite float or a huge integer as text (`values.to_text`), which
        # neither path reads yet; both must fail alike
        with pytest.raises(type(error), match=str(error)):
            MODEL.read_events(rows, NOW, [])
        return
    warnings, counts, odd = [], EventCounts(), []
    events = MODEL.read_events(rows, NOW, warnings, counts, odd)
    assert same(shown(events), shown(expected[0]))
    assert warnings == expected[1]
    assert counts == expected[2]
    # the rows left out of `odd` are exactly those read as usual: a declared type as declared
    assert all(isinstance(r, dict) and r.get("type") in MODEL.event_reader.types for r in rows if r not in odd)


@settings(max_examples=200, deadline=None)
@given(LEAD_ROWS, st.one_of(st.none(), st.lists(ROWS, max_size=4)),
       st.dictionaries(st.sampled_from(["email", "emial", "id", "Email", "visit"]),
                       st.one_of(TEXTS, NUMBERS, st.integers(-10, 10)), max_size=3))
def test_score_warns_as_the_generic_path(rows, inline, lead):
    """Every warning `score` gives — the events', and the undeclared types' and keys' — as when the
    undeclared types are looked for among all the rows, and the same score."""
    if inline is not None:
        lead = {**lead, "events": inline}
    all_rows = (inline or []) + rows
    try:
        events, event_warnings, _counts = generic_read(all_rows)
    except (InputError, OverflowError) as error:
        with pytest.raises(type(error)):
            MODEL.score(lead, rows, NOW_TEXT)
        return
    result = MODEL.score(lead, rows, NOW_TEXT)
    prepared = MODEL.read_lead(lead, None)
    assert list(result.warnings) == prepared.warnings + event_warnings + MODEL.undeclared(lead, rows)
    prepared.events = events
    assert result.score == MODEL.score_prepared([prepared], NOW)[0].score


@pytest.mark.parametrize("kind, column, name, raw, type_", [
    ("visit", "seconds", "seconds", "n/a", "number"),      # a type of two attributes
    ("enquiry", "seconds", "size", "n/a", "number"),       # of three, two of them text
    ("reading", "trial", "ok", "perhaps", "bool"),         # of two, neither text
    ("call", "minutes", "length", "n/a", "number"),        # of one
    ("call", "minutes", "length", 10**400, "number"),      # an integer beyond a double, not remembered
    ("signup", "trial", "trial", "perhaps", "bool"),
    ("signup", "started", "started", "2026-02-30", "date")])
def test_a_remembered_value_that_does_not_convert_warns_every_time(kind, column, name, raw, type_):
    rows = [{"type": kind, "at": f"2026-11-19T10:00:0{k}Z", column: raw} for k in range(3)]
    shown_raw = schema.describe_raw(raw)
    for _ in range(2):
        warnings: list = []
        events = MODEL.read_events(rows, NOW, warnings)
        assert [e.values[name] for e in events] == [None] * 3
        assert warnings == [f"event `{kind}` at 2026-11-19T10:00:0{k}+00:00: attribute `{name}`: "
                            f"cannot read {shown_raw!r} as {type_}" for k in range(3)]


def test_events_of_one_raw_value_share_their_dicts():
    """A type of one attribute keeps the two dicts of each raw value it has read, and a type
    without attributes one empty dict: its events share them (one object per event, not three)."""
    rows = [{"type": "note", "at": f"2026-11-19T10:00:0{k}Z", "subject": " Pricing "} for k in range(3)]
    rows += [{"type": "click", "at": f"2026-11-19T10:00:0{k}Z"} for k in range(2)]
    events = MODEL.read_events(rows, NOW, []) + MODEL.read_events(rows[:1], NOW, [])
    notes = [e for e in events if e.type == "note"]
    clicks = [e for e in events if e.type == "click"]
    assert len({id(e.values) for e in notes}) == 1 and len({id(e.stripped) for e in notes}) == 1
    assert (notes[0].values, notes[0].stripped) == ({"topic": "pricing"}, {"topic": "Pricing"})
    assert clicks[0].values is clicks[1].values and clicks[0].values == {} == clicks[0].stripped


def test_memory_is_bounded_and_keys_that_compare_equal_stay_apart():
    model = leadscore.loads(SOURCE)
    rows = [{"type": "note", "at": "2026-11-19T10:00:00Z", "subject": f"topic {k}"}
            for k in range(schema.REMEMBERED + 50)]
    rows.append({"type": "note", "at": "2026-11-19T10:00:00Z", "subject": "y" * (schema.REMEMBERED_SIZE + 1)})
    events = model.read_events(rows, NOW, [])
    assert sorted(e.stripped["topic"] for e in events) == sorted(r["subject"] for r in rows)
    remembered = model.event_reader.readers["note"].remembered["topic"]
    assert len(remembered) == schema.REMEMBERED and "y" * (schema.REMEMBERED_SIZE + 1) not in remembered
    # 1, True and 1.0 are one dict key; 0.0 and -0.0 too: each is still converted as itself
    rows = [{"type": "call", "at": "2026-11-19T10:00:00Z", "minutes": raw} for raw in (1, True, 1.0, 0.0, -0.0, 0)]
    warnings: list = []
    values = [e.values["length"] for e in model.read_events(rows, NOW, warnings)]
    assert sorted(map(repr, values)) == sorted(map(repr, [1.0, None, 1.0, 0.0, -0.0, 0.0]))
    assert len(warnings) == 1 and "cannot read 'true' as number" in warnings[0]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40),
                 st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(dt.datetime.isoformat),
                 st.datetimes().map(lambda d: d.isoformat(sep=" ", timespec="seconds")),
                 st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
                 st.datetimes().map(lambda d: d.isoformat() + " ")))
def test_iso_time_is_parse_iso_time_or_leaves_the_text_to_it(text):
    found = iso_time(text)
    assert found is None or found == parse_iso_time(text)
    if found is None and text == text.strip():
        assert parse_iso_time(text) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["visit", "call", "note"]),
                          st.sampled_from([None, "a", "b", "B"]), st.sampled_from([None, 1.0, -0.0, 0.0, 2.0])),
                max_size=30))
def test_sort_events_is_the_canonical_order(specs):
    """Time, then type, then content; events equal in all three keep their input order."""
    events = [schema.Event(kind, at, {"text": text, "number": number}, {}) for at, kind, text, number in specs]
    expected = sorted(events, key=lambda e: e.order)
    for e in events:
        e._content = None
    assert [id(e) for e in schema.sort_events(events)] == [id(e) for e in expected]


def test_number_converter_fast_paths_are_convert():
    number = schema.converter("number")
    for raw in (0, -0.0, 1, 2**53 + 1, 10**400, 1.5, float("nan"), float("inf"), -float("inf"), True, False,
                "1", " 2.5 ", "", "x", None):
        assert same(number(raw) if raw is not None else None, schema.convert(raw, "number")), raw
    assert math.copysign(1.0, number(-0.0)) == -1.0
