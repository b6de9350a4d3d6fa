"""The sweep re-scores only the leads whose result can change with time alone
(leadscore/live/sweeping.py): those with events, or a value in a field the clock reads,
with their accounts; a clock read tied to neither makes every lead move."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from leadscore.live import Store  # noqa: E402
from leadscore.live.models import StoredModel  # noqa: E402
from leadscore.live.sweeping import clock_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-20T00:00:00Z"
BASE = """model "clock" version 1
field email: text
field signed_up: date
field plan: text
event page_view
rule fresh: +10 when days_since(signed_up) <= 14
rule pro: +5 when plan == "pro"
rule recent: +5 when any page_view within 7d
"""
ACCOUNT = BASE + 'account by domain(email) {\n    rule busy: +3 when count(page_view within 7d) >= 1\n}\n'


def stored(text):
    return StoredModel(1, "clock", None, "h", text, "clock.score", os.getcwd())


def test_the_fields_a_model_s_clock_reads():
    clock = clock_of(stored(BASE))
    assert not clock.every_lead and [column for column, _ in clock.columns] == ["signed_up"]
    assert clock.moves(False, '{"signed_up": "2026-11-10"}') and clock.moves(True, None)
    assert not clock.moves(False, '{"signed_up": "", "plan": "pro"}') and not clock.moves(False, None)
    b2b = (ROOT / "examples/b2b.score").read_text()
    assert {c for c, _ in clock_of(StoredModel(1, "b", None, "h", b2b, "b2b.score", str(ROOT / "examples"))).columns} \
        == {"signed_up", "last_login"}


def test_a_clock_read_tied_to_no_field_or_event_moves_every_lead():
    assert clock_of(stored(BASE + 'rule late: +1 when now >= "2027-01-01"\n')).every_lead
    assert clock_of(stored(BASE.replace("field plan: text", "field plan: text\nfield seen: time")
                           + "rule seen: +1 when now - seen <= 2d\n")).columns[-1][0] == "seen"


@pytest.mark.parametrize("text", [BASE, ACCOUNT], ids=["no-account", "account"])
def test_a_sweep_rescores_only_leads_that_can_move(text, tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'live.db'}", now=NOW) as store:
        store.set_model(text)
        store.write([("L1", {"email": "a@x.com", "signed_up": "2026-11-10"}, False),
                     ("L2", {"email": "b@y.com", "plan": "pro"}, False),
                     ("L3", {"email": "c@z.com"}, False),
                     ("L4", {"email": "d@z.com"}, False)],
                    [{"lead_id": "L3", "type": "page_view", "at": "2026-11-19T00:00:00Z"}])
        before = {lead: store.stored_result(lead) for lead in ("L1", "L2", "L3", "L4")}
        later = "2026-11-21T00:00:00Z"
        store.sweep(later)
        swept = {lead for lead in before if store.stored_result(lead) != before[lead]}
        # L2 cannot move; L4 moves only as L3's account mate
        assert swept == ({"L1", "L3", "L4"} if "account" in text else {"L1", "L3"})
        assert later[:10] in store.stored_result("L1")
