"""`leadscore calibrate` (docs/calibrate.md): points fitted to outcomes, only the points rewritten."""

from __future__ import annotations

import csv
import math
import os
import random
import re

import pytest
from click.testing import CliRunner

pytest.importorskip("sklearn")

from leadscore.api import load  # noqa: E402
from leadscore.cli import main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODEL = '''\
# Synthetic: the outcomes are drawn from these very points.
model "synth" version 1

field a: bool from "a"
field b: bool from "b"
field plan: text from "plan"

clamp 0..100

# the group keeps its comment
group g max 100 {
    rule big:   +30 when a      # strong
    rule small: +10 when b
}

rule plan_level: by plan {
    "gold"   => +20   # best
    "silver" => +10
    "bronze" => 0
}, because "plan"

tiers: cold, warm >= 30, hot >= 50
'''

TRUE = {"big": 30, "small": 10, "gold": 20, "silver": 10, "bronze": 0}


def synth(path, n=3000, seed=1, missing=0, noise=2.0):
    rng = random.Random(seed)
    with open(path, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["id", "a", "b", "plan", "won"])
        for i in range(n):
            a, b = rng.random() < 0.4, rng.random() < 0.5
            plan = rng.choice(["gold", "silver", "bronze"])
            points = TRUE["big"] * a + TRUE["small"] * b + TRUE[plan] + rng.gauss(0, noise)
            won = rng.random() < 1 / (1 + math.exp(-(points - 30) / 10))
            outcome = "" if i < missing else ("yes" if won else "no")
            w.writerow([f"L{i}", "true" if a else "false", "true" if b else "false", plan, outcome])


@pytest.fixture
def setup(tmp_path):
    model = tmp_path / "synth.score"
    model.write_text(MODEL)
    leads = tmp_path / "leads.csv"
    synth(leads)
    return tmp_path, model, leads


def run(*args):
    return CliRunner().invoke(main, ["calibrate", *map(str, args), "--now", "2026-01-01"])


def points_of(text):
    """{name or arm value: points} of the synthetic model's text."""
    out = {}
    for name in ("big", "small"):
        out[name] = int(re.search(rf"rule {name}:\s+([+-]?\d+)", text).group(1))
    for arm in ("gold", "silver", "bronze"):
        out[arm] = int(re.search(rf'"{arm}"\s+=>\s+([+-]?\d+)', text).group(1))
    return out


def aucs(output):
    m = re.search(r"AUC before: (\S+)\s+after: (\S+)", output)
    return float(m.group(1)), float(m.group(2))


def test_recovers_order_and_ratios(setup):
    tmp, model, leads = setup
    out = tmp / "synth.calibrated.score"
    # start from wrong points: the fit must not depend on them except for the scale
    model.write_text(MODEL.replace("+30 when a", "+5 when a").replace('"gold"   => +20', '"gold"   => +40'))
    result = run(model, "--leads", leads, "--outcome", "won", "-o", out)
    assert result.exit_code == 0, result.output
    p = points_of(out.read_text())
    assert p["big"] > p["gold"] > p["silver"] > p["bronze"]
    assert p["gold"] > p["small"]
    assert 1.2 < p["big"] / p["gold"] < 1.9          # true ratio 1.5
    assert 2.2 < p["big"] / p["small"] < 4.0         # true ratio 3
    assert 1.5 < p["gold"] / p["silver"] < 2.6       # true ratio 2
    assert p["bronze"] == 0                          # an arm covering every lead is shifted to 0
    before, after = aucs(result.output)
    assert after > before - 0.01                     # the wrong start ranked worse


def test_only_points_change_and_the_file_validates(setup):
    tmp, model, leads = setup
    out = tmp / "out.score"
    result = run(model, "--leads", leads, "--outcome", "won", "-o", out)
    assert result.exit_code == 0, result.output
    old, new = model.read_text().splitlines(), out.read_text().splitlines()
    assert len(old) == len(new)
    points = re.compile(r"[+-]\d+(\.\d+)?|(?<=[ :])0(?=\s|$)")
    for a, b in zip(old, new):
        if a != b:
            assert points.sub("P", a) == points.sub("P", b), (a, b)
    for comment in ("# strong", "# best", "# the group keeps its comment", "# Synthetic"):
        assert comment in out.read_text()
    load(out)  # validates


def test_report_is_cross_validated_and_lists_evidence(setup):
    tmp, model, leads = setup
    result = run(model, "--leads", leads, "--outcome", "won", "-o", tmp / "o.score")
    assert "cross-validated (5-fold, seed 0)" in result.output
    assert "per tier" in result.output and "hot" in result.output
    assert re.search(r"g/big\s+\+30\s+[+-]?\d+\s+\d+\s+[\d.]+%", result.output)
    assert re.search(r'plan_level \["gold"\]\s+\+20', result.output)


def test_missing_outcomes_are_counted(tmp_path):
    model = tmp_path / "m.score"
    model.write_text(MODEL)
    leads = tmp_path / "l.csv"
    synth(leads, missing=100)
    result = run(model, "--leads", leads, "--outcome", "won", "-o", tmp_path / "o.score")
    assert result.exit_code == 0, result.output
    assert "used: 2900" in result.output
    assert "left out: 100 lead(s) with no readable outcome" in result.output


def test_keep_and_min_support(setup):
    tmp, model, leads = setup
    out = tmp / "o.score"
    result = run(model, "--leads", leads, "--outcome", "won", "-o", out, "--keep", "small", "--min-support", "5000")
    # every arm and rule fired for fewer than 5000 leads: nothing to fit
    assert result.exit_code != 0 and "no rule has enough leads" in result.output
    result = run(model, "--leads", leads, "--outcome", "won", "-o", out, "--keep", "small")
    assert result.exit_code == 0, result.output
    assert points_of(out.read_text())["small"] == 10
    assert "g/small: --keep" in result.output
    result = run(model, "--leads", leads, "--outcome", "won", "-o", out, "--only", "g")
    assert result.exit_code == 0, result.output
    p = points_of(out.read_text())
    assert (p["gold"], p["silver"], p["bronze"]) == (20, 10, 0)


def test_min_support_holds_rare_arms(tmp_path):
    model = tmp_path / "m.score"
    model.write_text(MODEL.replace('"bronze" => 0', '"bronze" => 0\n    "platinum" => +7'))
    leads = tmp_path / "l.csv"
    synth(leads, n=1000)
    rows = list(csv.reader(open(leads)))
    for row in rows[1:4]:
        row[3] = "platinum"
    with open(leads, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    out = tmp_path / "o.score"
    result = run(model, "--leads", leads, "--outcome", "won", "-o", out, "--min-support", "10")
    assert result.exit_code == 0, result.output
    assert '"platinum" => +7' in out.read_text()
    assert "(kept: too few leads)" in result.output


def test_refuses_one_class_and_warns_on_small_data(tmp_path):
    model = tmp_path / "m.score"
    model.write_text(MODEL)
    leads = tmp_path / "l.csv"
    synth(leads, n=120)
    result = run(model, "--leads", leads, "--outcome", "won", "-o", tmp_path / "o.score")
    assert result.exit_code == 0, result.output
    assert "warning: small data" in result.output
    rows = list(csv.reader(open(leads)))
    for row in rows[1:]:
        row[4] = "no"
    with open(leads, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = run(model, "--leads", leads, "--outcome", "won", "-o", tmp_path / "o.score")
    assert result.exit_code != 0 and "same outcome" in result.output
    result = run(model, "--leads", leads, "--outcome", "nope", "-o", tmp_path / "o.score")
    assert result.exit_code != 0 and "no outcome column" in result.output


def test_x_education_cross_validated_auc(tmp_path, shared_data):
    out = tmp_path / "x.calibrated.score"
    result = run(os.path.join(ROOT, "examples", "x-education.score"), "--leads", shared_data("x-education-leads/Leads.csv"),
                 "--id-column", "Prospect ID", "--outcome", "Converted", "-o", out)
    assert result.exit_code == 0, result.output
    before, after = aucs(result.output)
    assert after >= 0.85
    assert "could not reproduce" not in result.output   # the emulated scores match the engine's
    load(out)


# ---- each-rules and decay: synthetic leads and events drawn from known points ------------

EVENTS_MODEL = '''\
model "events" version 1

field a: bool from "a"

event visit
event demo
event call

rule fit_a:  +{fit_a} when a
rule visits: +{visits} each visit within 90d
rule demos:  +{demos} each demo, max {demos_cap}
rule called: +{called} when any call, decay half_life 30d

tiers: cold, warm >= 30, hot >= 50
qualify mql when score >= 40
'''

#: The points the outcomes are drawn from; `demos` counts at most DEMO_CAP demos.
TRUE_EVENTS = {"fit_a": 20, "visits": 3, "demos": 8, "called": 12}
DEMO_CAP = 2
NOW = "2026-01-01T00:00:00Z"


def events_model(fit_a, visits, demos, called, demo_events=DEMO_CAP):
    return EVENTS_MODEL.format(fit_a=fit_a, visits=visits, demos=demos, called=called,
                               demos_cap=demos * demo_events)


def synth_events(folder, n=3000, seed=7):
    """leads.csv and events.csv; each lead's true score is computed here from LANGUAGE.md's rules
    (a window of 90 days, a cap of DEMO_CAP demos, a half-life of 30 days), not by the engine."""
    rng = random.Random(seed)
    now = 1767225600.0            # 2026-01-01T00:00:00Z
    day = 86400.0

    def at(age_days):
        import datetime
        return datetime.datetime.fromtimestamp(now - age_days * day, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    leads, events = [["id", "a", "won"]], [["lead_id", "type", "at"]]
    for i in range(n):
        lead, a = f"L{i}", rng.random() < 0.4
        visits, demos = rng.randint(0, 8), rng.randint(0, 3)
        stale = rng.randint(0, 3)                               # visits too old to count
        call_age = rng.uniform(0, 90) if rng.random() < 0.5 else None
        events += [[lead, "visit", at(rng.uniform(0, 89))] for _ in range(visits)]
        events += [[lead, "visit", at(rng.uniform(91, 300))] for _ in range(stale)]
        events += [[lead, "demo", at(rng.uniform(0, 200))] for _ in range(demos)]
        if call_age is not None:
            events.append([lead, "call", at(call_age)])
        score = (TRUE_EVENTS["fit_a"] * a + TRUE_EVENTS["visits"] * visits
                 + TRUE_EVENTS["demos"] * min(demos, DEMO_CAP)
                 + (TRUE_EVENTS["called"] * 0.5 ** (call_age / 30) if call_age is not None else 0))
        won = rng.random() < 1 / (1 + math.exp(-(score - 35) / 7))
        leads.append([lead, "true" if a else "false", "yes" if won else "no"])
    for name, rows in (("leads.csv", leads), ("events.csv", events)):
        with open(folder / name, "w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder / "leads.csv", folder / "events.csv"


def rule_points(text, name):
    """(points, caps) of a one-line rule of the text."""
    line = next(x for x in text.splitlines() if x.strip().startswith(f"rule {name}:"))
    points = float(re.search(r":\s+([+-]?[\d.]+)", line).group(1))
    return points, [float(c) for c in re.findall(r"max ([\d.]+)", line)]


@pytest.fixture(scope="module")
def events_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("events")
    leads, events = synth_events(folder)
    return folder, leads, events


def test_each_rules_and_decay_recovered(events_data):
    folder, leads, events = events_data
    model = folder / "wrong.score"
    # wrong points, but the same number of demos counted (a cap of 2 demos' worth)
    model.write_text(events_model(fit_a=10, visits=1, demos=20, called=3))
    out = folder / "recovered.score"
    result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "-o", out, "--decimals", "1")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    p = {name: rule_points(text, name)[0] for name in TRUE_EVENTS}
    assert p["fit_a"] > p["called"] > p["demos"] > p["visits"] > 0
    for x, y in (("fit_a", "visits"), ("called", "demos"), ("demos", "visits"), ("fit_a", "called")):
        true = TRUE_EVENTS[x] / TRUE_EVENTS[y]
        assert 0.7 * true < p[x] / p[y] < 1.4 * true, (x, y, p)
    # the demos' cap is scaled with their points: still DEMO_CAP demos count
    points, caps = rule_points(text, "demos")
    assert caps and abs(caps[0] - DEMO_CAP * points) <= 0.1
    assert "demos [each]" in result.output
    assert "re-scored by the engine: the written model gives the fitted scores" in result.output
    before, after = aucs(result.output)
    assert after > before


def test_each_rules_keep_only_and_min_support(events_data):
    folder, leads, events = events_data
    model = folder / "start.score"
    model.write_text(events_model(**TRUE_EVENTS))
    out = folder / "kept.score"
    result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "-o", out,
                 "--keep", "visits", "--keep", "called")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert rule_points(text, "visits") == (3, []) and rule_points(text, "called") == (12, [])
    assert "global/visits: --keep" in result.output
    # no call at all: the decayed rule has no lead, so it keeps its points
    rows = [r for r in csv.reader(open(events)) if r[1] != "call"]
    no_calls = folder / "no_calls.csv"
    with open(no_calls, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = run(model, "--leads", leads, "--events", no_calls, "--outcome", "won", "-o", out)
    assert result.exit_code == 0, result.output
    assert rule_points(out.read_text(), "called") == (12, [])
    assert re.search(r"called\s+\+12\s+\+12\s+0\s+-\s+\(kept: too few leads", result.output)


# ---- --thresholds ------------------------------------------------------------------------

def counts(model_path, leads, events=None):
    """(scores, qualified as mql, tiers) of every lead, scored by the engine through the API."""
    model = load(model_path)
    rows = list(csv.DictReader(open(leads)))
    by_lead: dict = {}
    if events:
        for e in csv.DictReader(open(events)):
            by_lead.setdefault(e.pop("lead_id"), []).append(e)
    results = [model.score(r, by_lead.get(r["id"], ()), now=NOW, lead_id=r["id"]) for r in rows]
    return [r.score for r in results], ["mql" in r.qualified for r in results], [r.tier for r in results]


def within_one_tie_group(scores, threshold, volume, target):
    """`volume` leads reach `threshold`: is it the volume closest to `target` that a threshold can give?"""
    above = sorted({s for s in scores if s >= threshold})
    below = sorted({s for s in scores if s < threshold})
    lower = sum(s >= above[1] for s in scores) if len(above) > 1 else 0   # one tie group fewer
    higher = sum(s >= below[-1] for s in scores) if below else volume       # one tie group more
    return abs(volume - target) <= min(abs(lower - target), abs(higher - target))


def thresholds_of(text):
    tiers = re.search(r"^tiers: cold, warm >= ([\d.]+), hot >= ([\d.]+)", text, re.M)
    mql = re.search(r"^qualify mql when score >= ([\d.]+)", text, re.M)
    return float(tiers.group(1)), float(tiers.group(2)), float(mql.group(1))


def test_thresholds_keep_the_volume(events_data):
    folder, leads, events = events_data
    model = folder / "start.score"
    model.write_text(events_model(fit_a=10, visits=1, demos=20, called=3))
    out = folder / "moved.score"
    result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "-o", out, "--thresholds")
    assert result.exit_code == 0, result.output
    _, mql_before, tiers_before = counts(model, leads, events)
    scores, mql_after, tiers_after = counts(out, leads, events)
    warm, hot, mql = thresholds_of(out.read_text())
    assert thresholds_of(model.read_text()) != (warm, hot, mql)
    assert within_one_tie_group(scores, mql, sum(mql_after), sum(mql_before))
    reach_warm = lambda tiers: sum(t in ("warm", "hot") for t in tiers)   # noqa: E731
    assert within_one_tie_group(scores, warm, reach_warm(tiers_after), reach_warm(tiers_before))
    assert within_one_tie_group(scores, hot, tiers_after.count("hot"), tiers_before.count("hot"))
    line = re.search(r"qualify mql\s+>= 40\s+>= (\S+)\s+(\d+) \([\d.]+%\)\s+(\d+)", result.output)
    assert line and float(line.group(1)) == mql
    assert int(line.group(2)) == sum(mql_before) and int(line.group(3)) == sum(mql_after)


def test_mql_volume_share_and_count(events_data):
    folder, leads, events = events_data
    model = folder / "start.score"
    model.write_text(events_model(**TRUE_EVENTS))
    out = folder / "share.score"
    for volume, target in (("10%", 300), ("450", 450)):
        result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "-o", out,
                     "--mql-volume", volume)
        assert result.exit_code == 0, result.output
        scores, mql_after, _ = counts(out, leads, events)
        assert within_one_tie_group(scores, thresholds_of(out.read_text())[2], sum(mql_after), target)
    result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "-o", out, "--mql-volume", "lots")
    assert result.exit_code != 0 and "--mql-volume lots" in result.output


def test_only_points_caps_and_thresholds_change(events_data):
    folder, leads, events = events_data
    model = folder / "start.score"
    model.write_text(events_model(fit_a=10, visits=1, demos=20, called=3))
    out = folder / "diffed.score"
    result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "-o", out,
                 "--thresholds", "--decimals", "1")
    assert result.exit_code == 0, result.output
    old, new = model.read_text().splitlines(), out.read_text().splitlines()
    assert len(old) == len(new)
    number = re.compile(r"[+-]?\d+(\.\d+)?")
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(changed) == 6            # four rules, the tiers, the stage
    for a, b in changed:
        assert a.startswith(("rule ", "tiers:", "qualify ")), a
        assert number.sub("N", a) == number.sub("N", b), (a, b)
    load(out)


def test_json_report(setup):
    import json
    tmp, model, leads = setup
    result = run(model, "--leads", leads, "--outcome", "won", "-o", tmp / "o.score", "--format", "json",
                 "--thresholds")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["leads_used"] == 3000 and report["thresholds"]["moved"] is True
    assert {t["threshold"] for t in report["thresholds"]["targets"]} == {"tier warm", "tier hot"}
    assert report["cross_validated"]["auc_after"] > 0.5
    assert {p["rule"] for p in report["points"]} == {"big", "small", "plan_level"}
