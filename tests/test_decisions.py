"""One decision, one place (issue 16): an event's fate, a lead row's acceptance, a CSV file's layout.

The batches and the engines are tested end to end elsewhere; these pin the
shared functions they all call.
"""

from __future__ import annotations

from decimal import Decimal

import leadscore
from leadscore.batch.acceptance import LeadAcceptance, event_owner, id_of
from leadscore.batch.io import CsvLayout, csv_layout, read_id
from leadscore.runtime.schema import AFTER_NOW, REJECTED, UNDECLARED, USED
from leadscore.runtime.values import parse_iso_time

MODEL = leadscore.loads('''model "decisions"
field size: number
event visit(seconds: number)
rule big: +1 when size > 10
''')
NOW = parse_iso_time("2026-01-10T00:00:00Z")


def fate(row, strict=False):
    return MODEL.event_reader.fate(row, NOW, strict)


def test_an_event_row_is_used_ignored_or_rejected_with_its_reason():
    assert fate(["visit"])[::2] == (REJECTED, "an event must be an object, not list")
    assert fate({"at": "2026-01-01"})[::2] == (REJECTED, "missing event `type`")
    assert fate({"type": "visit"})[::2] == (REJECTED, "missing event time `at`")
    assert fate({"type": "signup", "at": "2026-01-01"}).fate == UNDECLARED
    used = fate({"type": "visit", "at": "2026-01-01", "seconds": "x"})
    assert used.fate == USED and used.event.values == {"seconds": None}
    assert used.warnings == ["event `visit` at 2026-01-01T00:00:00+00:00: attribute `seconds`: "
                             "cannot read 'x' as number"]
    assert fate({"type": "visit", "at": "2026-01-01", "seconds": "x"}, strict=True)[::2] == (
        REJECTED, used.warnings[0])
    later = fate({"type": "visit", "at": "2026-02-01", "seconds": "x"}, strict=True)
    assert later.fate == AFTER_NOW and len(later.warnings) == 1    # typed, never rejected for it


def test_a_lead_row_is_accepted_once_by_a_usable_id():
    gate = LeadAcceptance(MODEL, strict=True)
    assert gate.decide({"id": "  "}, 2).reason == "lead: missing id (column `id`)"
    first = gate.decide({"id": " L1 ", "size": "12"}, 3)
    assert first.lead.id == "L1" and first.reason is None
    assert gate.decide({"id": "L1"}, 4)[1:] == (None, "lead: duplicate id `L1` (first on line 3)")
    assert gate.decide({"id": "L2"}, 5, first=1).reason == "lead: duplicate id `L2` (first on line 1)"
    assert gate.decide({"id": "L3"}, 6, inline={"type": "visit"})[1:] == (
        "L3", "lead: `events` must be a list of events")
    assert gate.decide({"id": "L4", "size": "big"}, 7)[1:] == (
        "L4", "lead: field `size`: cannot read 'big' as number")
    assert LeadAcceptance(MODEL, line_ids=True).decide({}, 9).lead.id == "9"
    assert event_owner(17, "lead_id") == ("17", None)
    assert event_owner(1.5, "owner") == (None, "event: lead id must be text or a whole number, not 1.5 "
                                               "(column `owner`)")


def test_an_id_is_read_by_the_readers_rule():
    # a Parquet decimal -0 is the id "0", as the live store and `parse_id` read it (was "-0" in a batch)
    assert id_of(Decimal("-0")) == read_id(Decimal("-0")) == ("0", None)
    assert id_of(" L1 ") == ("L1", None) and id_of(True) == read_id(True)


def test_a_lead_rows_id_is_identified_without_taking_it_as_seen():
    gate = LeadAcceptance()                   # no model: what the live store's ingest asks
    assert gate.identify({"id": " L1 "}, 2) == ("L1", None)
    assert gate.identify({"id": "L1"}, 3) == ("L1", None)
    gate.seen["L1"] = 2
    assert gate.identify({"id": "L1"}, 3) == (None, "lead: duplicate id `L1` (first on line 2)")
    assert gate.identify({}, 4) == (None, "lead: missing id (column `id`)")


def test_a_csv_files_layout_is_what_the_reader_reads(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("\nid; plan ;\nL1;pro;x\n", encoding="utf-8")
    assert csv_layout(path) == CsvLayout(";", ["id", "plan", "column3"])
    assert csv_layout(path, "tab") == CsvLayout("\t", ["id; plan ;"])
    path.write_text("id,plan\n", encoding="utf-8")
    assert csv_layout(path) is None                # no row
