"""Batches of an account model (leadscore/batch/batch.py, docs/batch.md): leads held
compactly, each account built when one of its leads is scored, results the
same whatever the order of the file or how long accounts are kept open."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random

import attrs
import pytest

import leadscore
from leadscore.runtime import schema
from leadscore.runtime import values as v
from leadscore.batch.batch import Batch, OpenAccounts
from leadscore.batch.eventstore import EventStore, HeldEvent, HeldLeads
from leadscore.batch.io import RejectsWriter
from leadscore.runtime.model import now_us

NOW = "2026-11-20T00:00:00Z"

# Account streams of every shape: windowed, not windowed, over every event
# type, filtered on an attribute, and `leads` filtered on fields; a bare
# field is the scored lead's own.
MODEL = """
model "accounts" version 1
field email: text
field job_level: text
field employees: number
event page_view(url: text, seconds: number)
event demo_request
event form_submit(form: text)
list personal = ["gmail.com"]
rule demo: +30 when any demo_request
rule views: +1 each page_view within 30d, max 10
account by domain(email) where domain(email) not in personal {
    rule committee: +10 when count(leads) >= 3
    rule exec: +10 when any leads[job_level == "C-level"]
    rule busy: +5 when count(page_view within 7d) > 4
    rule pricing: +3 when any page_view[url contains "/pricing"]
    rule seconds: +2 when sum(page_view, seconds) >= 900
    rule lively: +1 each event within 14d, max 6
    rule big_and_busy: +4 when employees >= 500 and count(form_submit[form == "trial"]) >= 1
    rule newest: +2 when now - last demo_request <= 10d
}
"""

DOMAINS = ["acme.com", "beta.io", "gmail.com", "zeta.org", "omega.net", "ACME.com"]
TYPES = ["page_view", "page_view", "demo_request", "form_submit", "chat"]


def write_files(folder, leads: int = 120, events: int = 1500, seed: int = 3, order=None):
    rng = random.Random(seed)
    rows = [{"id": f"L{k}", "email": f"p{k}@{rng.choice(DOMAINS)}",
             "job_level": rng.choice(["C-level", "VP", "", "N/A"]),
             "employees": rng.choice(["", "800", "40", "lots"])} for k in range(1, leads + 1)]
    if order is not None:
        rows = order(rows)
    with open(folder / "leads.csv", "w", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    with open(folder / "events.csv", "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["lead_id", "type", "at", "url", "seconds", "form"])
        for _ in range(events):
            day = rng.randint(-2, 60)
            at = (dt.datetime(2026, 11, 20, tzinfo=dt.UTC) - dt.timedelta(days=day, hours=rng.randint(0, 3)))
            # a few ties in time and type, with different content
            text = at.strftime("%Y-%m-%dT%H:00:00Z")
            out.writerow([f"L{rng.randint(1, leads + 5)}", rng.choice(TYPES), text,
                          rng.choice(["/", "/pricing", "/Pricing ", "/docs"]), rng.choice(["", "30", "400", "x"]),
                          rng.choice(["trial", "newsletter", ""])])
    return folder / "leads.csv", folder / "events.csv"


def run_batch(model, leads, events):
    with RejectsWriter(None) as rejects:
        batch = Batch(model, now_us(NOW), rejects)
        results = [json.dumps(r.to_dict(explain=True), sort_keys=True) for r in batch.run(str(leads), str(events))]
    return results, attrs.evolve(batch.summary, seconds=0.0)


@pytest.fixture(scope="module")
def model():
    return leadscore.loads(MODEL)


def by_id(results):
    return {json.loads(r)["id"]: r for r in results}


def test_results_do_not_depend_on_how_long_accounts_stay_open(model, tmp_path, monkeypatch):
    leads, events = write_files(tmp_path)
    kept, summary = run_batch(model, leads, events)
    monkeypatch.setattr(OpenAccounts, "WINDOW", 0)          # every account built for each lead
    monkeypatch.setattr(OpenAccounts, "LARGE", 10**9)
    rebuilt, summary_rebuilt = run_batch(model, leads, events)
    monkeypatch.setattr(OpenAccounts, "LARGE", 1)           # every account built once
    once, summary_once = run_batch(model, leads, events)
    assert kept == rebuilt == once
    assert summary == summary_rebuilt == summary_once
    assert any('"scope": "account"' in r for r in kept)


def test_results_do_not_depend_on_the_order_of_the_leads(model, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = run_batch(model, *write_files(tmp_path / "a"))[0]
    by_domain = run_batch(model, *write_files(tmp_path / "b", order=lambda rows: sorted(
        rows, key=lambda row: row["email"].rsplit("@", 1)[1].lower())))[0]
    assert by_id(plain) == by_id(by_domain)
    assert [json.loads(r)["id"] for r in by_domain] != [json.loads(r)["id"] for r in plain]   # input order kept


def test_batch_agrees_with_score_many(model, tmp_path):
    leads, events = write_files(tmp_path)
    results = [json.loads(r) for r in run_batch(model, leads, events)[0]]
    with open(leads, newline="") as handle:
        lead_rows = list(csv.DictReader(handle))
    with open(events, newline="") as handle:
        event_rows = list(csv.DictReader(handle))
    expected = [r.to_dict(explain=True) for r in model.score_many(lead_rows, event_rows, now=NOW)]
    # warnings differ by design (the API also warns of events after now, sorted)
    for got, want in zip(results, expected, strict=True):
        got.pop("warnings")
        want.pop("warnings")
        assert got == want


def test_held_leads_give_back_what_was_read(model):
    held = HeldLeads(model.fields, keep_raw=True)
    rows = [{"id": f"L{k}", "email": f" P{k}@Acme.com ", "job_level": ["VP", "", "C-level"][k % 3],
             "employees": ["0", "-0", "12", "lots"][k % 4], "extra": k} for k in range(40)]
    originals = []
    for k, row in enumerate(rows):
        lead = model.read_lead(row, row["id"], k + 2)
        originals.append((dict(lead.values), dict(lead.stripped), list(lead.warnings)))
        held.add(lead, "acme.com", -1, [])
    for position, (values, stripped, warnings) in enumerate(originals):
        lead = held.lead(position)
        assert (lead.values, lead.stripped, lead.warnings) == (values, stripped, warnings)
        assert [repr(x) for x in lead.values.values()] == [repr(x) for x in values.values()]   # -0.0 stays
        assert list(lead.stripped) == list(stripped) and lead.raw == rows[position]
        assert lead.line == position + 2
    assert held.members(0) == list(range(40)) and held.size[0] == 40


def test_held_events_read_like_typed_events(model, tmp_path):
    _, events = write_files(tmp_path)
    store = EventStore(model.events, now_us(NOW))
    with open(events, newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                store.add(row["lead_id"], row, line)
            except schema.EventProblem:
                pass

    class Counts:
        events_used = events_undeclared = events_after_now = 0

    for lead_id in list(store.heads):
        head = store.heads[lead_id]
        lazy = store.read(head)
        typed = store.use(store.claim(lead_id), Counts(), [])
        assert all(isinstance(e, HeldEvent) for e in lazy)
        assert [(e.type, e.at, e.values, e.stripped, e.order) for e in lazy] == \
               [(e.type, e.at, e.values, e.stripped, e.order) for e in typed]


@pytest.mark.parametrize("text", [
    "2026-11-18T10:00:00Z", "2026-11-18T10:00:00", "1969-12-31T23:59:59Z", "2026-02-30T10:00:00Z",
    "2026-11-18T24:00:00Z", "2026-11-18T10:60:00Z", "2026-11-18T10:00:60Z", "2026-W47-3T10:00:00Z",
    "2026-11-18 10:00:00Z", "2026-11-18t10:00:00Z", "2026-11-18T10:00:00+01:00", " 2026-11-18T10:00:00Z",
    "2026-11-18T10:00:00.5Z", "2026-11-18T1١:00:00Z",
])
def test_event_times_read_as_before(text):
    expected = v.parse_iso_time(text)
    try:
        got = schema.time_of(text)
    except schema.EventProblem:
        got = None
    assert got == expected


def test_open_accounts_stay_few(model, tmp_path, monkeypatch):
    """Leads of an account spread through the file: accounts are built per lead, not held."""
    leads, events = write_files(tmp_path, leads=300, events=2000)
    most = [0]
    after = OpenAccounts.after

    def watch(self, number, account, gap):
        after(self, number, account, gap)
        most[0] = max(most[0], len(self.accounts))

    monkeypatch.setattr(OpenAccounts, "WINDOW", 3)
    monkeypatch.setattr(OpenAccounts, "LARGE", 10**9)
    monkeypatch.setattr(OpenAccounts, "after", watch)
    run_batch(model, leads, events)
    assert 0 < most[0] <= 3
    # large accounts stay open from their first lead to their last: here all four
    monkeypatch.setattr(OpenAccounts, "LARGE", 50)
    most[0] = 0
    run_batch(model, leads, events)
    assert most[0] == 4


def test_account_model_without_events_file(model, tmp_path):
    leads, _ = write_files(tmp_path)
    with RejectsWriter(None) as rejects:
        batch = Batch(model, now_us(NOW), rejects)
        results = list(batch.run(str(leads)))
    assert len(results) == batch.summary.leads_scored == 120
    assert any(c.rule == "committee" for r in results for c in r.contributions)


def test_run_pairs_keeps_raw_rows_and_run_does_not_hold_them(model, tmp_path, monkeypatch):
    leads, events = write_files(tmp_path)
    seen = []
    add = HeldLeads.add

    def spy(self, *args):
        seen.append(self.raw is not None)
        add(self, *args)

    monkeypatch.setattr(HeldLeads, "add", spy)
    with RejectsWriter(None) as rejects:
        pairs = list(Batch(model, now_us(NOW), rejects).run_pairs(str(leads), str(events)))
        assert pairs[0][0].raw["email"].startswith("p1@")
        list(Batch(model, now_us(NOW), rejects).run(str(leads), str(events)))
    assert seen[0] is True and seen[-1] is False


# The same account rules without the one that reads the scored lead's own
# field (`employees`): every lead of an account gets the same account points.
SHARED_MODEL = MODEL.replace(
    '    rule big_and_busy: +4 when employees >= 500 and count(form_submit[form == "trial"]) >= 1\n', "")


@pytest.mark.parametrize("backend", ["codegen", "closures"])
def test_plan_says_when_account_points_are_shared(backend):
    assert SHARED_MODEL != MODEL
    assert leadscore.loads(SHARED_MODEL, backend=backend).plan.account_rules_shared
    assert not leadscore.loads(MODEL, backend=backend).plan.account_rules_shared
    assert not leadscore.loads(MODEL, backend=backend).plan.key_reads_events
    by_events = MODEL.replace("where domain(email) not in personal", "where any demo_request")
    assert leadscore.loads(by_events, backend=backend).plan.key_reads_events


def explained(model, leads, events):
    """Every result of a batch with what explanations show: contributions, inputs and the text."""
    with RejectsWriter(None) as rejects:
        batch = Batch(model, now_us(NOW), rejects)
        return [(json.dumps(r.to_dict(explain=True), sort_keys=True), r.inputs, r.explain())
                for _lead, r in batch.run_pairs(str(leads), str(events))], attrs.evolve(batch.summary, seconds=0.0)


@pytest.mark.parametrize("backend", ["codegen", "closures"])
def test_shared_account_points_are_what_building_the_account_gives(backend, tmp_path, monkeypatch):
    """An account built once for all its leads (`AccountPart`) scores and explains each lead as
    an account built again for each lead does, and as score_many does."""
    shared = leadscore.loads(SHARED_MODEL, backend=backend)
    rebuilt = attrs.evolve(shared, plan=attrs.evolve(shared.plan, account_rules_shared=False))
    monkeypatch.setattr(OpenAccounts, "WINDOW", 0)          # the other path builds for each lead
    leads, events = write_files(tmp_path, leads=200, events=2500)
    once, summary_once = explained(shared, leads, events)
    again, summary_again = explained(rebuilt, leads, events)
    assert once == again
    assert summary_once == summary_again
    assert sum('"scope": "account"' in r for r, _, _ in once) > 50
    assert any(i.rule == "committee" for _, inputs, _ in once for i in inputs)
    with open(leads, newline="") as handle:
        lead_rows = list(csv.DictReader(handle))
    with open(events, newline="") as handle:
        event_rows = list(csv.DictReader(handle))
    expected = [r.to_dict(explain=True) for r in shared.score_many(lead_rows, event_rows, now=NOW)]
    for (got, _, _), want in zip(once, expected, strict=True):
        got = json.loads(got)
        got.pop("warnings")
        want.pop("warnings")
        assert got == want
