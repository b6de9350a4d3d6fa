"""The Python API of INTERFACE.md §8: load/loads, ModelError, score (an
account of one), score_many (accounts across the leads), aware times,
to_dict/explain equal to the command line, immutable and thread-safe models."""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import leadscore
from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
B2B = ROOT / "examples" / "b2b.score"
LEADS = ROOT / "examples" / "b2b" / "leads.csv"
EVENTS = ROOT / "examples" / "b2b" / "events.csv"
NOW = "2026-11-20T00:00:00Z"
NOW_DT = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)

ACCOUNT_MODEL = """
model "accounts" version 3
field email: text
field job_level: text
event demo_request
list personal_domains = ["gmail.com"]
rule demo: +30 when any demo_request
account by domain(email) where domain(email) not in personal_domains {
    rule committee: +10 when count(leads) >= 3
    rule exec_sponsor: +10 when any leads[job_level == "C-level"]
    rule account_demo: +5 when any demo_request
}
"""


def read_csv(path) -> list:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def b2b():
    return leadscore.load(B2B)


@pytest.fixture(scope="module")
def b2b_data():
    return read_csv(LEADS), read_csv(EVENTS)


# ---- load / loads / ModelError ----------------------------------------------------------


def test_load_and_loads(b2b, tmp_path):
    assert (b2b.name, b2b.version) == ("b2b-saas", 2)
    text = B2B.read_text(encoding="utf-8")
    again = leadscore.loads(text, name="copy", base_dir=B2B.parent)      # `list … from` is relative to base_dir
    lead = {"id": "x", "email": "a@contoso.com", "job_level": "C-level"}
    assert again.score(lead, now=NOW) == b2b.score(lead, now=NOW)
    # the default name is the file's stem
    path = tmp_path / "my-model.score"
    path.write_text("field x: number\nrule r: +1 when x > 0\n", encoding="utf-8")
    model = leadscore.load(path)
    assert model.name == "my-model" and model.version is None
    assert model.score({"id": "1", "x": 2}, now=NOW).score == 1
    assert leadscore.load(str(path)).name == "my-model"
    assert leadscore.loads("field x: number\n", name="other").name == "other"


def test_model_error_lists_every_diagnostic(tmp_path):
    text = ("field employees: number\n"
            "rule big: +10 when employes >= 1000\n"
            "rule odd: +1 when employees contains \"x\"\n")
    with pytest.raises(leadscore.ModelError) as info:
        leadscore.loads(text, name="broken")
    diagnostics = info.value.diagnostics
    errors = [d for d in diagnostics if d.severity == "error"]
    assert len(errors) >= 2                                   # all errors, not only the first
    first = errors[0]
    assert isinstance(first, leadscore.Diagnostic)
    assert (first.file, first.line, first.column) == ("broken.score", 2, 20)
    assert (first.to_dict()["end_line"], first.to_dict()["end_column"]) == (2, 28)
    assert first.code == "E-unknown-name"
    assert "employes" in first.message and first.suggestion == "did you mean `employees`?"
    assert errors[1].line == 3
    assert set(first.to_dict()) == {"file", "line", "column", "end_line", "end_column", "severity",
                                    "code", "message", "suggestion"}
    assert "broken.score:2:20" in info.value.render()
    bad = tmp_path / "bad.score"
    bad.write_text("rule r: +1 when nothing\n", encoding="utf-8")
    with pytest.raises(leadscore.ModelError) as info:
        leadscore.load(bad)
    assert info.value.diagnostics[0].file == str(bad) or info.value.diagnostics[0].file.endswith("bad.score")


# ---- score and score_many -----------------------------------------------------------


def test_score_result_attributes(b2b):
    result = b2b.score({"id": " x1 ", "email": "a@contoso.com", "job_level": "C-level", "department": "IT"},
                       [{"type": "demo_request", "at": "2026-11-19T00:00:00Z"}], now=NOW)
    assert result.id == "x1"
    assert isinstance(result.score, float) and result.tier in ("cold", "warm", "hot")
    assert set(result.groups) == {"fit", "engagement"}
    assert isinstance(result.qualified, tuple) and set(result.campaigns) == {"webinar_q3"}
    assert isinstance(result.contributions, tuple)
    for c in result.contributions:
        assert isinstance(c, leadscore.Contribution)
        assert (c.rule, c.scope, c.points, c.reason) == tuple(attrs.astuple(c))
    assert {c.rule: c.points for c in result.contributions if c.scope == "fit"} == {
        "role": 15, "department_fit": 8, "decision_maker": 5}
    assert {c.rule: c.points for c in result.contributions if c.scope == "engagement"} == {"demo": 30}
    assert {c.rule: c.points for c in result.contributions if c.scope == "account"} == {
        "exec_sponsor": 10, "target_account": 25}


def test_score_is_an_account_of_one():
    m = leadscore.loads(ACCOUNT_MODEL, name="acc")
    lead = {"id": "1", "email": "boss@acme.com", "job_level": "C-level"}
    result = m.score(lead, [{"type": "demo_request", "at": "2026-11-01T00:00:00Z"}], now=NOW)
    # count(leads) is 1; the lead itself is the C-level sponsor; its own demo is the account's
    assert {c.rule: c.points for c in result.contributions} == {"demo": 30, "exec_sponsor": 10, "account_demo": 5}
    # webmail, or no e-mail: no account at all
    for email in ["boss@gmail.com", None]:
        result = m.score(dict(lead, email=email), now=NOW)
        assert result.contributions == ()


def test_score_many_groups_leads_into_accounts():
    m = leadscore.loads(ACCOUNT_MODEL, name="acc")
    leads = [{"id": "a1", "email": "x@acme.com"}, {"id": "a2", "email": "y@ACME.com", "job_level": "C-level"},
             {"id": "b1", "email": "z@beta.io"}, {"id": "a3", "email": "w@acme.com"},
             {"id": "g1", "email": "p@gmail.com"}, {"id": "g2", "email": "q@gmail.com"},
             {"id": "g3", "email": "r@gmail.com", "job_level": "C-level"}]
    events = [{"lead_id": "a3", "type": "demo_request", "at": "2026-11-01T00:00:00Z"},
              {"lead_id": "nobody", "type": "demo_request", "at": "2026-11-01T00:00:00Z"}]
    results = list(m.score_many(leads, events, now=NOW))
    assert [r.id for r in results] == ["a1", "a2", "b1", "a3", "g1", "g2", "g3"]     # input order
    got = {r.id: {c.rule: c.points for c in r.contributions} for r in results}
    acme = {"committee": 10, "exec_sponsor": 10, "account_demo": 5}
    assert got["a1"] == acme and got["a2"] == acme
    assert got["a3"] == {"demo": 30, **acme}               # the demo is a3's own, and the account's
    assert got["b1"] == {}
    assert got["g1"] == got["g2"] == got["g3"] == {}       # webmail: three leads, no account
    # the same lead alone is an account of one
    alone = m.score(leads[0], now=NOW)
    assert alone.contributions == ()


def test_score_many_with_custom_columns():
    m = leadscore.loads(ACCOUNT_MODEL, name="acc")
    results = list(m.score_many([{"ref": 7, "email": "a@gmail.com"}],
                                [{"who": "7", "type": "demo_request", "at": "2026-11-01T00:00:00Z"}],
                                now=NOW, id_column="ref", event_lead_column="who"))
    assert [(r.id, r.score) for r in results] == [("7", 30)]


# ---- times ----------------------------------------------------------------------------


def test_naive_now_raises(b2b):
    with pytest.raises(leadscore.InputError):
        b2b.score({"id": "1"}, now=dt.datetime(2026, 11, 20))
    with pytest.raises(ValueError):
        list(b2b.score_many([{"id": "1"}], now=dt.datetime(2026, 11, 20)))


def test_naive_event_datetime_raises(b2b):
    naive = {"type": "demo_request", "at": dt.datetime(2026, 11, 19)}
    with pytest.raises(leadscore.InputError):
        b2b.score({"id": "1"}, [naive], now=NOW)
    with pytest.raises(leadscore.InputError):
        list(b2b.score_many([{"id": "1"}], [dict(naive, lead_id="1")], now=NOW))
    with pytest.raises(leadscore.InputError):
        b2b.score({"id": "1", "events": [naive]}, now=NOW)


def test_aware_datetimes_work(b2b):
    lead = {"id": "1", "email": "a@contoso.com", "last_login": "2026-11-19T12:00:00"}
    text_events = [{"type": "demo_request", "at": "2026-11-19T00:00:00"},            # no offset: UTC
                   {"type": "page_view", "at": "2026-11-10T08:00:00+02:00", "url": "/pricing", "seconds": 40}]
    cet = dt.timezone(dt.timedelta(hours=1))
    aware_events = [{"type": "demo_request", "at": dt.datetime(2026, 11, 19, 1, 0, tzinfo=cet)},
                    {"type": "page_view", "at": dt.datetime(2026, 11, 10, 6, 0, tzinfo=dt.timezone.utc),
                     "url": "/pricing", "seconds": 40}]
    by_text = b2b.score(lead, text_events, now=NOW)
    by_datetime = b2b.score(lead, aware_events, now=dt.datetime(2026, 11, 20, 1, 0, tzinfo=cet))
    assert by_text == by_datetime
    assert by_text.to_dict(explain=True) == by_datetime.to_dict(explain=True)
    assert by_datetime.now == "2026-11-20T00:00:00+00:00"
    assert by_text.score != b2b.score(lead, now=NOW).score                          # the events counted
    # a text `now` without an offset is UTC too
    assert b2b.score(lead, text_events, now="2026-11-20T00:00:00") == by_text


def test_default_now_is_the_current_time(b2b):
    before = dt.datetime.now(dt.timezone.utc)
    result = b2b.score({"id": "1"})
    after = dt.datetime.now(dt.timezone.utc)
    assert before <= dt.datetime.fromisoformat(result.now) <= after


# ---- the same as the command line -------------------------------------------------------


def test_to_dict_equals_the_cli_json(b2b, b2b_data):
    leads, events = b2b_data
    cli = CliRunner().invoke(main, ["score", str(B2B), "--leads", str(LEADS), "--events", str(EVENTS),
                                    "--now", NOW, "--explain"])
    assert cli.exit_code == 0, cli.output
    lines = [json.loads(line) for line in cli.stdout.splitlines()]
    api = list(b2b.score_many(leads, events, now=NOW))
    assert len(lines) == len(api) == 300
    for line, result in zip(lines, api):
        assert line == result.to_dict(explain=True)
        without = dict(line)
        del without["contributions"]
        assert without == result.to_dict()
        assert json.loads(json.dumps(result.to_dict())) == result.to_dict()      # JSON as it is


def test_explain_equals_the_cli_text(b2b, b2b_data):
    leads, events = b2b_data
    results = {r.id: r for r in b2b.score_many(leads, events, now=NOW)}
    for lead_id in ["L7", "L1", "L42", "L300"]:
        cli = CliRunner().invoke(main, ["explain", str(B2B), "--leads", str(LEADS), "--events", str(EVENTS),
                                        "--now", NOW, "--lead", lead_id])
        assert cli.exit_code == 0, cli.output
        assert cli.stdout == results[lead_id].explain() + "\n"
    text = results["L7"].explain()
    assert text.startswith("lead L7: score 100")


# ---- immutable, and safe to share between threads -----------------------------------------


def test_model_and_results_are_immutable(b2b):
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        b2b.name = "other"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        b2b.plan = None
    with pytest.raises(AttributeError):
        b2b.brand_new_attribute = 1
    result = b2b.score({"id": "1", "job_level": "C-level"}, now=NOW)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.score = 100.0
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.contributions[0].points = 0.0
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.campaigns["webinar_q3"].score = 0.0
    # a plan is frozen too
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        b2b.plan.groups = ()


def test_model_is_safe_to_share_between_threads(b2b, b2b_data):
    leads, events = b2b_data
    expected_many = [r.to_dict(explain=True) for r in b2b.score_many(leads, events, now=NOW)]
    by_lead: dict = {}
    for e in events:
        by_lead.setdefault(e["lead_id"], []).append(e)
    expected_one = [b2b.score(lead, by_lead.get(lead["id"], ()), now=NOW).to_dict(explain=True)
                    for lead in leads[:60]]
    explained = b2b.score_many(leads[:1], events, now=NOW)
    expected_text = next(iter(explained)).explain()
    outcomes: list = [None] * 4
    barrier = threading.Barrier(4)

    def work(k: int) -> None:
        try:
            barrier.wait()
            many = [r.to_dict(explain=True) for r in b2b.score_many(leads, events, now=NOW)]
            one = [b2b.score(lead, by_lead.get(lead["id"], ()), now=NOW).to_dict(explain=True)
                   for lead in (leads[:60] if k % 2 else reversed(leads[:60]))]
            if k % 2 == 0:
                one.reverse()
            text = next(iter(b2b.score_many(leads[:1], events, now=NOW))).explain()
            outcomes[k] = (many, one, text)
        except BaseException as error:  # noqa: BLE001 - reported below
            outcomes[k] = error

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for outcome in outcomes:
        assert not isinstance(outcome, BaseException), outcome
        many, one, text = outcome
        assert many == expected_many
        assert one == expected_one
        assert text == expected_text


# ---- contributions ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    """
field email: text
rule one: +1 when email is known
account by domain(email) {
    rule two: +1 when count(leads) >= 1
}
rule three: +1 when email is known
""",
    """
field email: text
rule one: +1 when email is known
campaign c {
    rule two: +1 when email is known
}
rule three: +1 when email is known
"""])
def test_contributions_are_in_declaration_order(text):
    m = leadscore.loads(text, name="order")
    result = m.score({"id": "1", "email": "a@acme.com"}, now=NOW)
    assert [c.rule for c in result.contributions] == ["one", "two", "three"]


def test_contributions_of_groups_in_declaration_order():
    m = leadscore.loads("""
field x: number
rule a: +1 when x > 0
group g {
    rule b: +1 when x > 0
}
rule e: +1 when x > 0
group h {
    rule f: +1 when x > 0
}
""", name="order")
    result = m.score({"id": "1", "x": 1}, now=NOW)
    assert [(c.rule, c.scope) for c in result.contributions] == [
        ("a", "global"), ("b", "g"), ("e", "global"), ("f", "h")]
