"""`EventReader.usual`, the short way `Model.score` reads an event row in the usual form, gives
what `EventReader.fate` gives for it (runtime/schema.py), and leaves every other row to `fate`."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.runtime.schema import USED, Attribute, EventReader, EventType
from leadscore.runtime.values import parse_iso_time

READER = EventReader((EventType("visit", (Attribute("url", "text", "url"), Attribute("seconds", "number", "s"))),
                      EventType("call", ())))
NOW = parse_iso_time("2026-11-20T00:00:00Z")

TIMES = st.sampled_from(["2026-11-19T10:00:00Z", "2026-11-19T10:00:00", "2026-11-21T00:00:00Z",
                         "2026-11-19 10:00:00", "2026-11-19T10:00:00+01:00", "2026-02-30T10:00:00Z",
                         "2026-11-19T24:00:00Z", " 2026-11-19T10:00:00Z", "", "soon", 20261119, None])
ROWS = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["visit", " visit ", "call", "chat", "", None, 3, ["visit"]]),
                           "at": TIMES},
                          optional={"url": st.sampled_from([" /Pricing ", "", None, 7, True]),
                                    "s": st.sampled_from([5, "12", " 3.5 ", "x", None, float("nan"), True])}),
    st.sampled_from([None, "row", ["visit"], 5]))


@settings(max_examples=300, deadline=None)
@given(ROWS)
def test_usual_agrees_with_fate(row):
    warnings: list = []
    event = READER.usual(row, NOW, warnings)
    if event is None:
        return
    fate, expected, _reason, found = READER.fate(row, NOW)
    assert fate == USED and warnings == found
    assert (event.type, event.at, event.values, event.stripped) == \
        (expected.type, expected.at, expected.values, expected.stripped)


def test_usual_takes_the_usual_rows_and_only_them():
    assert READER.usual({"type": "visit", "at": "2026-11-19T10:00:00Z", "url": " /A "}, NOW, []).values == \
        {"url": "/a", "seconds": None}
    for row in ({"type": " visit", "at": "2026-11-19T10:00:00Z"}, {"type": "visit", "at": "2026-11-21T00:00:00Z"},
                {"type": "chat", "at": "2026-11-19T10:00:00Z"}, {"type": ["visit"], "at": "x"}, ["visit"]):
        assert READER.usual(row, NOW, []) is None
