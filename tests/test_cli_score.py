"""`leadscore score` and `leadscore explain` (INTERFACE.md §1, §3–§5, §9), run
with click's CliRunner on `leadscore.cli.main`, plus one run of the installed
executable."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import leadscore
from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples" / "b2b.score"
LEADS = ROOT / "examples" / "b2b" / "leads.csv"
EVENTS = ROOT / "examples" / "b2b" / "events.csv"
NOW = "2026-11-20T00:00:00Z"
NOW_OUT = "2026-11-20T00:00:00+00:00"
#: the console script installed beside the interpreter running these tests (its venv's bin/)
EXECUTABLE = Path(sys.executable).parent / "leadscore"

RESULT_KEYS = {"id", "score", "tier", "groups", "group_tiers", "qualified", "disqualified", "tags",
               "campaigns", "clamped", "warnings", "now"}
CAMPAIGN_KEYS = {"score", "tier", "qualified", "groups", "group_tiers", "tags"}
CSV_COLUMNS = ["id", "score", "tier", "qualified", "disqualified", "tags", "group.fit", "group.engagement",
               "campaign.webinar_q3.score", "campaign.webinar_q3.qualified", "warnings"]
DECLARED = {"page_view", "email_open", "email_click", "form_submit", "demo_request", "webinar_attended"}

SUMMARY = re.compile(
    r"leads:\s+(?P<leads_read>\d+) read, (?P<leads_scored>\d+) scored, (?P<leads_rejected>\d+) rejected\n"
    r"events: (?P<events_read>\d+) read, (?P<events_used>\d+) used, (?P<events_ignored>\d+) ignored "
    r"\((?P<after_now>\d+) after now, (?P<undeclared>\d+) of undeclared types\), "
    r"(?P<events_rejected>\d+) rejected\n")


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def b2b(*extra, now=NOW):
    args = ["score", MODEL, "--leads", LEADS, "--events", EVENTS]
    if now is not None:
        args += ["--now", now]
    return run(*args, *extra)


def summary(stderr: str) -> dict:
    match = SUMMARY.search(stderr)
    assert match, stderr
    counts = {k: int(v) for k, v in match.groupdict().items()}
    assert counts["leads_read"] == counts["leads_scored"] + counts["leads_rejected"]
    assert counts["events_read"] == counts["events_used"] + counts["events_ignored"] + counts["events_rejected"]
    assert counts["events_ignored"] == counts["after_now"] + counts["undeclared"]
    return counts


def jsonl(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_csv(path) -> list:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def b2b_jsonl():
    result = b2b()
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def b2b_api():
    model = leadscore.load(MODEL)
    return {r.id: r for r in model.score_many(read_csv(LEADS), read_csv(EVENTS), now=NOW)}


SMALL = """
field name: text
field employees: number
event demo_request
event page_view(url: text)
rule demo: +30 when any demo_request
rule visits: +1 each page_view
rule big: +10 when employees >= 100
"""


@pytest.fixture
def small(tmp_path):
    return write(tmp_path / "small.score", SMALL)


# ---- the JSON Lines output -------------------------------------------------------


def test_one_object_per_lead_in_input_order(b2b_jsonl):
    out = jsonl(b2b_jsonl.stdout)
    assert [r["id"] for r in out] == [row["id"] for row in read_csv(LEADS)]
    for r in out:
        assert set(r) == RESULT_KEYS
        assert r["now"] == NOW_OUT
        assert set(r["campaigns"]) == {"webinar_q3"}
        assert set(r["campaigns"]["webinar_q3"]) == CAMPAIGN_KEYS
        assert set(r["groups"]) == {"fit", "engagement"}
        assert set(r["group_tiers"]) == {"fit"}
        assert r["tier"] in ("cold", "warm", "hot")
        assert 0 <= r["score"] <= 100
        assert isinstance(r["clamped"], bool)
        assert "contributions" not in r


def test_results_match_the_api(b2b_jsonl, b2b_api):
    for r in jsonl(b2b_jsonl.stdout):
        assert r == b2b_api[r["id"]].to_dict()


def test_explain_adds_contributions(b2b_api):
    result = b2b("--explain")
    assert result.exit_code == 0
    scopes = {"global", "fit", "engagement", "account", "campaign webinar_q3",
              "campaign webinar_q3/roadmap_interest"}
    seen = set()
    for r in jsonl(result.stdout):
        assert set(r) == RESULT_KEYS | {"contributions"}
        for c in r["contributions"]:
            assert set(c) == {"rule", "scope", "points", "reason"}
            assert c["scope"] in scopes and c["points"] != 0 and c["reason"]
            seen.add(c["scope"])
        expected = [c.to_dict() for c in b2b_api[r["id"]].contributions]
        assert r["contributions"] == expected
    assert seen == scopes


def test_explain_with_csv_adds_a_contributions_column(b2b_api):
    result = b2b("--explain", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == CSV_COLUMNS + ["contributions"]
    for row in rows:
        assert json.loads(row["contributions"]) == [c.to_dict() for c in b2b_api[row["id"]].contributions]


def test_summary_counts_add_up_and_match_the_files(b2b_jsonl):
    counts = summary(b2b_jsonl.stderr)
    leads, events = read_csv(LEADS), read_csv(EVENTS)
    now = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    after = sum(1 for e in events if e["type"] in DECLARED
                and dt.datetime.fromisoformat(e["at"].replace("Z", "+00:00")) > now)
    undeclared = sum(1 for e in events if e["type"] not in DECLARED)
    assert counts == {"leads_read": len(leads), "leads_scored": len(leads), "leads_rejected": 0,
                      "events_read": len(events), "events_used": len(events) - after - undeclared,
                      "events_ignored": after + undeclared, "after_now": after, "undeclared": undeclared,
                      "events_rejected": 0}
    assert after > 0 and undeclared > 0
    assert "\nrejects: 0\n" in b2b_jsonl.stderr                # nothing rejected: nothing more to say
    assert NOW_OUT in b2b_jsonl.stderr                   # the summary records `now` too


# ---- CSV -------------------------------------------------------------------------


def test_csv_columns_and_values(b2b_api):
    result = b2b("--format", "csv")
    assert result.exit_code == 0, result.output
    reader = csv.reader(io.StringIO(result.stdout))
    assert next(reader) == CSV_COLUMNS
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == [row["id"] for row in read_csv(LEADS)]
    multi = 0
    for row in rows:
        r = b2b_api[row["id"]]
        assert float(row["score"]) == r.score
        assert row["tier"] == r.tier
        assert row["qualified"] == ";".join(r.qualified)
        assert row["disqualified"] == ";".join(r.disqualified)
        assert row["tags"] == ";".join(r.tags)
        assert float(row["group.fit"]) == r.groups["fit"]
        assert float(row["group.engagement"]) == r.groups["engagement"]
        camp = r.campaigns["webinar_q3"]
        assert float(row["campaign.webinar_q3.score"]) == camp.score
        assert row["campaign.webinar_q3.qualified"] == ";".join(camp.qualified)
        multi += ";" in row["qualified"]
    assert multi > 0                                     # some lead reached both mql and sql
    assert any(row["disqualified"] == "competitor" for row in rows)
    assert NOW_OUT in result.stderr


def test_csv_without_tiers_or_groups(tmp_path, small):
    leads = write(tmp_path / "leads.jsonl", '{"id": "a", "employees": 150}\n{"id": "b"}\n')
    result = run("score", small, "--leads", leads, "--format", "csv", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["id,score,tier,qualified,disqualified,tags,warnings",
                                          "a,10.0,,,,,", "b,0.0,,,,,"]


# ---- files: -o, rejects ------------------------------------------------------------

BAD_LEADS = "id,name,employees\nL1,Ann,150\n,NoId,10\nL1,Dup,10\nL2,Bo\n"
BAD_EVENTS = "lead_id,type,at,url\nL1,demo_request,2026-11-19T00:00:00Z,\nL9,demo_request,2026-11-19T00:00:00Z,\n"


def test_output_file_and_rejects_beside_it(tmp_path, small):
    leads = write(tmp_path / "leads.csv", BAD_LEADS)
    events = write(tmp_path / "events.csv", BAD_EVENTS)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run("score", small, "--leads", leads, "--events", events, "--now", NOW, "-o", out_dir / "scores.jsonl")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert [(r["id"], r["score"]) for r in jsonl((out_dir / "scores.jsonl").read_text())] == [("L1", 40.0)]
    rejects = jsonl((out_dir / "rejects.jsonl").read_text())
    assert sorted((r["file"], r["line"]) for r in rejects) == sorted(
        [(str(leads), 3), (str(leads), 4), (str(leads), 5), (str(events), 3)])
    for r in rejects:
        assert set(r) == {"file", "line", "reason", "row"} and r["reason"]
    counts = summary(result.stderr)
    assert (counts["leads_rejected"], counts["events_rejected"]) == (3, 1)
    assert str(out_dir / "rejects.jsonl") in result.stderr


def test_rejects_option(tmp_path, small):
    leads = write(tmp_path / "leads.csv", BAD_LEADS)
    elsewhere = tmp_path / "kept" / "bad.jsonl"
    elsewhere.parent.mkdir()
    result = run("score", small, "--leads", leads, "--now", NOW, "-o", tmp_path / "s.csv",
                 "--format", "csv", "--rejects", elsewhere)
    assert result.exit_code == 0, result.output
    assert len(jsonl(elsewhere.read_text())) == 3
    assert not (tmp_path / "rejects.jsonl").exists()
    assert read_csv(tmp_path / "s.csv")[0]["id"] == "L1"
    # with standard output and --rejects, the rejects are written too
    result = run("score", small, "--leads", leads, "--now", NOW, "--rejects", tmp_path / "r.jsonl")
    assert result.exit_code == 0
    assert len(jsonl((tmp_path / "r.jsonl").read_text())) == 3
    assert "counted only" not in result.stderr


# ---- --now ----------------------------------------------------------------------


def test_now_without_offset_is_utc():
    plain = b2b(now="2026-11-20T00:00:00")
    offset = b2b(now="2026-11-20T01:00:00+01:00")
    zulu = b2b(now=NOW)
    assert plain.exit_code == offset.exit_code == zulu.exit_code == 0
    assert plain.stdout == offset.stdout == zulu.stdout
    assert all(r["now"] == NOW_OUT for r in jsonl(plain.stdout))
    # an hour later is a different evaluation time, and says so
    later = jsonl(b2b(now="2026-11-20T01:00:00").stdout)
    assert {r["now"] for r in later} == {"2026-11-20T01:00:00+00:00"}


def test_default_now_is_the_current_time_and_is_recorded(tmp_path, small):
    leads = write(tmp_path / "leads.jsonl", '{"id": "a"}\n')
    before = dt.datetime.now(dt.timezone.utc)
    result = run("score", small, "--leads", leads)
    after = dt.datetime.now(dt.timezone.utc)
    assert result.exit_code == 0
    (r,) = jsonl(result.stdout)
    assert before <= dt.datetime.fromisoformat(r["now"]) <= after
    assert f"now: {r['now']}" in result.stderr


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "", "20/11/2026"])
def test_bad_now_is_a_usage_error(bad):
    result = b2b(now=bad)
    assert result.exit_code == 2
    assert "--now" in result.stderr
    assert result.stdout == ""


# ---- errors -----------------------------------------------------------------------


def test_invalid_model_exits_1_with_diagnostics(tmp_path):
    bad = write(tmp_path / "bad.score", "field employees: number\nrule big: +10 when employes >= 1000\n"
                                        "rule worse: +1 when nothing\n")
    result = run("score", bad, "--leads", LEADS, "--now", NOW)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"{bad}:2:20: error: unknown field `employes`" in result.stderr
    assert "did you mean `employees`?" in result.stderr
    assert f"{bad}:3:" in result.stderr                      # every error, not only the first
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_leads_file_exits_1_with_one_line(tmp_path):
    result = run("score", MODEL, "--leads", tmp_path / "nope.csv", "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.csv" in lines[0] and "no such file" in lines[0]


def test_missing_model_file_exits_1(tmp_path):
    result = run("score", tmp_path / "nope.score", "--leads", LEADS, "--now", NOW)
    assert result.exit_code == 1
    assert "nope.score" in result.stderr and "Traceback" not in result.output


def test_no_id_column(tmp_path, small):
    leads = write(tmp_path / "leads.csv", 'name,employees\nAnn,150\n"Bo\nBo",20\nCy,300\n')
    result = run("score", small, "--leads", leads, "--now", NOW)
    assert result.exit_code == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "`id`" in message and "`name`" in message and "`employees`" in message
    # --line-ids: each id is the line where the row starts (the quoted newline counts)
    result = run("score", small, "--leads", leads, "--now", NOW, "--line-ids")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["score"]) for r in jsonl(result.stdout)] == [("2", 10.0), ("3", 0.0), ("5", 10.0)]
    # a JSON Lines file without the id in any row is the same error
    leads = write(tmp_path / "leads.jsonl", '{"name": "Ann"}\n{"name": "Bo", "employees": 3}\n')
    result = run("score", small, "--leads", leads, "--now", NOW)
    assert result.exit_code == 1
    assert "`id`" in result.stderr and "`name`" in result.stderr and "`employees`" in result.stderr


def test_id_column_and_event_lead_column(tmp_path, small):
    leads = write(tmp_path / "leads.csv", "ref,employees\nA-1,150\nA-2,5\n")
    events = write(tmp_path / "events.csv", "who,type,at,url\nA-2,demo_request,2026-11-19T00:00:00Z,\n"
                                            "A-1,page_view,2026-11-19T00:00:00Z,/\n")
    result = run("score", small, "--leads", leads, "--events", events, "--now", NOW,
                 "--id-column", "ref", "--event-lead-column", "who")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["score"]) for r in jsonl(result.stdout)] == [("A-1", 11.0), ("A-2", 30.0)]
    counts = summary(result.stderr)
    assert (counts["events_used"], counts["events_rejected"]) == (2, 0)
    # without --event-lead-column the events have no lead id: all rejected, none lost
    result = run("score", small, "--leads", leads, "--events", events, "--now", NOW, "--id-column", "ref")
    assert result.exit_code == 0
    assert [r["score"] for r in jsonl(result.stdout)] == [10.0, 0.0]
    assert summary(result.stderr)["events_rejected"] == 2


def test_leads_from_stdin(small):
    lines = ('{"id": "s1", "employees": 500, "events": [{"type": "demo_request", "at": "2026-11-01T00:00:00Z"}]}\n'
             '{"id": "s2", "employees": "7"}\n'
             'not json\n')
    result = run("score", small, "--leads", "-", "--now", NOW, input=lines)
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["score"]) for r in jsonl(result.stdout)] == [("s1", 40.0), ("s2", 0.0)]
    counts = summary(result.stderr)
    assert (counts["leads_read"], counts["leads_rejected"], counts["events_used"]) == (3, 1, 1)


# ---- explain --------------------------------------------------------------------

SCOPE_LINE = re.compile(r"^(?P<scope>[a-z][\w /]*): (?P<total>-?[\d.]+)(?:, (?P<after>-?[\d.]+) after the group's limits)?$")
POINTS_LINE = re.compile(r"^\s+(?P<points>[+-]?\d+(?:\.\d+)?)\s{2}(?P<rule>\w+)\s+\S")


def parse_explain(text: str) -> dict:
    """scope -> (shown total, shown total after limits, [(rule, shown points)])."""
    scopes, current = {}, None
    for line in text.splitlines():
        m = SCOPE_LINE.match(line)
        if m and not line.startswith("campaign webinar_q3 score"):
            current = m["scope"]
            scopes[current] = (float(m["total"]), m["after"] and float(m["after"]), [])
            continue
        m = POINTS_LINE.match(line)
        if m and current is not None:
            scopes[current][2].append((m["rule"], float(m["points"])))
        elif not line.startswith(" "):
            current = None
    return scopes


def explain(lead_id, *extra):
    return run("explain", MODEL, "--leads", LEADS, "--events", EVENTS, "--now", NOW, "--lead", lead_id, *extra)


def test_explain_L7_sums_per_scope(b2b_api):
    result = explain("L7")
    assert result.exit_code == 0, result.output
    text = result.stdout
    r = b2b_api["L7"]
    assert text.startswith("lead L7: score 100, tier hot (clamped)\n")
    assert f"evaluated at {NOW_OUT}" in text
    scopes = parse_explain(text)
    expected_scopes = {c.scope for c in r.contributions}
    assert set(scopes) == expected_scopes
    for scope, (total, after, items) in scopes.items():
        mine = [c for c in r.contributions if c.scope == scope]
        assert [rule for rule, _ in items] == [c.rule for c in mine]
        for (_, shown), c in zip(items, mine):
            assert shown == round(c.points, 2)
        # the scope's total is the sum of its contributions (shown rounded) ...
        assert total == round(sum(c.points for c in mine), 2)
        assert abs(sum(p for _, p in items) - total) <= 0.005 * (len(items) + 1)
        # ... and a group says what its limits made of it
        if scope in r.groups:
            assert after == (None if r.groups[scope] == sum(c.points for c in mine) else round(r.groups[scope], 2))
    assert scopes["engagement"][1] == 60
    assert scopes["fit"][:2] == (43, None)


def test_explain_names_thresholds_met_and_missed(b2b_api):
    text = explain("L7").stdout
    section = text[text.index("thresholds:"):]
    assert re.search(r"met\s+stage mql \(total\): score >= 65", section)
    assert re.search(r"met\s+stage sql \(total\): score >= 80 and fit >= 30", section)
    assert re.search(r"missed\s+disqualify competitor", section)
    assert re.search(r"met\s+tier hot \(total\)", section)
    assert re.search(r"met\s+stage webinar_followup \(campaign webinar_q3\)", section)
    cold = next(r for r in b2b_api.values() if r.tier == "cold" and not r.disqualified)
    text = explain(cold.id).stdout
    section = text[text.index("thresholds:"):]
    assert re.search(r"missed\s+tier warm \(total\): total >= 40", section)
    assert re.search(r"missed\s+stage mql \(total\)", section)


def test_explain_equals_the_api_text(b2b_api):
    assert explain("L7").stdout == b2b_api["L7"].explain() + "\n"
    assert explain("  L7 ").stdout == b2b_api["L7"].explain() + "\n"


def test_explain_json():
    result = explain("L7", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == RESULT_KEYS | {"contributions"} and data["id"] == "L7"


def test_explain_unknown_lead():
    result = explain("L9999")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "L9999" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


# ---- contributions add up, for every lead of the example ---------------------------------------


def clamp(value, low=None, high=None):
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def test_every_b2b_lead_adds_up(b2b_api):
    limits = {"fit": (None, 50), "engagement": (None, 60)}
    assert len(b2b_api) == 300
    clamped = 0
    for r in b2b_api.values():
        by_scope = {}
        for c in r.contributions:
            by_scope[c.scope] = by_scope.get(c.scope, 0.0) + c.points
        for group, (low, high) in limits.items():
            # the group's contributions sum to its score before its limits
            assert r.groups[group] == pytest.approx(clamp(by_scope.get(group, 0.0), low, high), abs=1e-9)
        total = (r.groups["fit"] + r.groups["engagement"] + by_scope.get("global", 0.0)
                 + by_scope.get("account", 0.0))
        assert r.clamped == (clamp(total, 0, 100) != total)
        clamped += r.clamped
        assert r.score == (0 if r.disqualified else pytest.approx(clamp(total, 0, 100), abs=1e-9))
        camp = r.campaigns["webinar_q3"]
        roadmap = clamp(by_scope.get("campaign webinar_q3/roadmap_interest", 0.0), 0, 15)
        assert camp.groups["roadmap_interest"] == pytest.approx(roadmap, abs=1e-9)
        part = roadmap + by_scope.get("campaign webinar_q3", 0.0)
        assert camp.score == (0 if r.disqualified else pytest.approx(clamp(total + part, 0, 100), abs=1e-9))
    assert clamped > 0


# ---- the installed executable ---------------------------------------------------------


def test_installed_executable(b2b_jsonl):
    assert EXECUTABLE.exists()
    proc = subprocess.run([str(EXECUTABLE), "score", str(MODEL), "--leads", str(LEADS), "--events", str(EVENTS),
                           "--now", NOW], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b2b_jsonl.stdout
    assert summary(proc.stderr)["leads_scored"] == 300
    proc = subprocess.run([str(EXECUTABLE), "score", str(MODEL), "--leads", "/nonexistent/leads.csv"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    proc = subprocess.run([str(EXECUTABLE), "score", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Example" in proc.stdout


def test_explain_writes_to_output_file(tmp_path):
    target = tmp_path / "explained.txt"
    result = CliRunner().invoke(main, ["explain", str(MODEL), "--leads", str(LEADS), "--events", str(EVENTS),
                                       "--now", NOW, "--lead", "L7", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text().startswith("lead L7: score")
