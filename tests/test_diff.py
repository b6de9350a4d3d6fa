"""`leadscore diff`: the structural diff (leadscore/review/modeldiff.py), the impact report
(leadscore/review/impact.py) and the command (leadscore/cli/review.py)."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.api import compile_analysis
from leadscore.cli import main
from leadscore.dsl import analyze, analyze_file
from leadscore.review import modeldiff
from leadscore.dsl.format import format_source
from leadscore.review.impact import Outline, compare

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
B2B = EXAMPLES / "b2b.score"
LEADS = EXAMPLES / "b2b" / "leads.csv"
EVENTS = EXAMPLES / "b2b" / "events.csv"
NOW = "2026-11-20T00:00:00Z"


def model(text: str, tmp_path: Path | None = None, name: str = "m"):
    analysis = analyze(textwrap.dedent(text), f"{name}.score", tmp_path)
    assert analysis.model is not None, analysis.render()
    return analysis


def changes(old: str, new: str, tmp_path: Path | None = None) -> tuple:
    return modeldiff.diff(model(old, tmp_path, "old"), model(new, tmp_path, "new"))


def only(found: tuple) -> modeldiff.Change:
    assert len(found) == 1, modeldiff.text(found)
    return found[0]


def aspects(change: modeldiff.Change) -> dict:
    return {a.name: (a.old, a.new) for a in change.aspects}


BASE = """
    field level: text
    field size: number
    event visit(page: text)
    rule exec: +30 when level == "exec"
    rule big: +20 when size >= 100
    group engagement max 60, decay half_life 30d {
        rule visits: +10 each visit, max 30
        rule pricing: +5 when any visit[page == "/pricing"]
    }
    tiers: cold, warm >= 40, hot >= 60
    qualify mql when score >= 50
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ---- no changes ---------------------------------------------------------------------------

def test_a_model_against_itself_has_no_changes():
    analysis = analyze_file(B2B)
    assert modeldiff.diff(analysis, analysis) == ()
    assert modeldiff.text(()) == "no changes"


def test_a_reformatted_copy_with_other_comments_has_no_changes(tmp_path):
    text = B2B.read_text(encoding="utf-8")
    messy = re.sub(r" +=>", " =>", text)                      # table arms no longer aligned
    messy = edit(messy, 'rule head_of: +5 when title starts with "Head of"',
                 'rule head_of:   +5   when  title starts with   "Head of"')
    messy = edit(messy, "max 10, distinct email_campaign", "distinct email_campaign, max 10")   # option order
    messy = edit(messy, "# Bad signs.", "# Negative signals, reworded.\n# and a second comment line")
    messy = edit(messy, "clamp 0..100", "clamp 0..100   # kept in range")
    formatted = format_source(messy)
    assert messy != text and formatted != messy
    shutil.copy(EXAMPLES / "target_accounts.txt", tmp_path / "target_accounts.txt")
    original = analyze_file(B2B)
    for name, copy in (("messy.score", messy), ("formatted.score", formatted)):
        (tmp_path / name).write_text(copy, encoding="utf-8")
        assert modeldiff.diff(original, analyze_file(tmp_path / name)) == (), name


def test_spelling_of_a_literal_is_a_rewrite_with_the_same_meaning():
    change = only(changes(BASE, edit(BASE, '"exec"', '"EXEC"')))
    assert change.kind == "changed" and change.name == "exec"
    assert change.same_meaning
    (aspect,) = change.aspects
    assert aspect.name == "condition" and aspect.same_meaning
    assert (aspect.old, aspect.new) == ('level == "exec"', 'level == "EXEC"')


# ---- rules ---------------------------------------------------------------------------------

def test_a_points_only_change_is_reported_as_points():
    change = only(changes(BASE, edit(BASE, "+30 when", "+40 when")))
    assert (change.kind, change.what, change.scope, change.name) == ("changed", "rule", "global", "exec")
    assert aspects(change) == {"points": ("+30", "+40")}
    assert not change.same_meaning
    text = modeldiff.text((change,))
    assert "Rules (1 changed)" in text
    assert "~ exec [global]" in text and "points: +30 -> +40" in text


def test_points_keep_their_written_form():
    change = only(changes(BASE, edit(BASE, "+30 when", "+27.5 when")))
    assert aspects(change) == {"points": ("+30", "+27.5")}


def test_rule_added_and_removed():
    found = changes(BASE, edit(BASE, 'rule big: +20 when size >= 100', 'rule huge: +25 when size >= 1000'))
    kinds = {(c.kind, c.name): c for c in found}
    assert set(kinds) == {("added", "huge"), ("removed", "big")}
    assert kinds[("added", "huge")].summary == "+25 when size >= 1000"
    assert kinds[("removed", "big")].summary == "+20 when size >= 100"


def test_a_renamed_rule_is_added_and_removed_with_a_hint():
    found = changes(BASE, edit(BASE, "rule big:", "rule large:"))
    notes = {c.kind: c.note for c in found}
    assert notes == {"added": "the same as the removed rule `big`: renamed?",
                     "removed": "the same as the added rule `large`: renamed?"}


def test_condition_change():
    change = only(changes(BASE, edit(BASE, "size >= 100", "size >= 200")))
    assert aspects(change) == {"condition": ("size >= 100", "size >= 200")}


def test_condition_text_unchanged_but_its_list_changed():
    old = BASE + 'list vip = ["a.com", "b.com"]\nrule vip_rule: +5 when level in vip\n'
    new = edit(old, '["a.com", "b.com"]', '["a.com", "c.com", "d.com"]')
    found = changes(old, new)
    by_what = {c.what: c for c in found}
    assert set(by_what) == {"list", "rule"}
    values = by_what["list"].aspects[0]
    assert (values.name, values.old, values.new) == ("values", "2", "3")
    assert values.note == 'added "c.com", "d.com"; removed "b.com"'
    condition = by_what["rule"].aspects[0]
    assert condition.old == condition.new == "level in vip"
    assert condition.note == "text unchanged, but `vip` changed"


def test_rule_options_each_detected():
    old = BASE + 'rule clicks: +2 each visit within 30d, max 10, tag hot, because "visits"\n'
    cases = {
        "max": ("max 10", "max 12", ("10", "12")),
        "max per": ("max 10", "max 10, max 4 per 7d", (None, "4 per 7d")),
        "distinct": ("max 10", "max 10, distinct page", (None, "page")),
        "decay": ("max 10", "max 10, decay expire 90d", (None, "expire 90d")),
        "tag": ("tag hot", "tag priority", ("hot", "priority")),
        "because": ('because "visits"', 'because "pages viewed"', ('"visits"', '"pages viewed"')),
        "each": ("each visit within 30d", "each visit within 14d", ("visit within 30d", "visit within 14d")),
    }
    for name, (before, after, expected) in cases.items():
        change = only(changes(old, edit(old, before, after)))
        assert change.name == "clicks"
        assert aspects(change) == {name: expected}, name


def test_table_rule_arms_by_arm():
    old = BASE + textwrap.dedent("""
        rule seniority: by level {
            "exec"           => +15
            "vp", "director" => +10
            "intern"         => -5
            else             => 0
        }
    """)
    new = edit(old, '"vp", "director" => +10', '"director", "VP" => +12')   # same values, new points
    new = edit(new, '"intern"         => -5\n', "")
    new = edit(new, "else             => 0", '"manager" => +5\n    else => 0')
    change = only(changes(old, new))
    got = {a.name: (a.old, a.new, a.note) for a in change.aspects}
    assert got == {
        'arm "director", "VP"': ("+10", "+12", ""),
        'arm "manager"': (None, "+5", "new arm"),
        'arm "intern"': ("-5", None, "arm removed"),
    }


def test_table_rule_arm_order_and_by():
    old = BASE + 'rule band: by size {\n  100.. => +10\n  10..99 => +5\n}\n'
    swapped = 'rule band: by size {\n  10..99 => +5\n  100.. => +10\n}\n'
    change = only(changes(old, BASE + swapped))
    assert aspects(change) == {"arm order": ("100.. | 10..99", "10..99 | 100..")}
    change = only(changes(old, BASE + old[len(BASE):].replace("by size", "by count(visit)")))
    assert aspects(change) == {"by": ("size", "count(visit)")}


def test_rule_kind_change():
    new = edit(BASE, 'rule big: +20 when size >= 100', 'rule big: by size {\n 100.. => +20\n}')
    change = only(changes(BASE, new))
    (aspect,) = change.aspects
    assert aspect.name == "rule" and aspect.note == "a condition rule became a table rule"


def test_a_rule_moved_between_groups():
    new = edit(BASE, "    rule pricing: +5 when any visit[page == \"/pricing\"]\n", "")
    new += 'group intent {\n    rule pricing: +8 when any visit[page == "/pricing"]\n}\n'
    found = changes(BASE, new)
    assert [(c.kind, c.what, c.name) for c in found] == [("moved", "rule", "pricing"), ("added", "group", "intent")]
    change = found[0]
    assert (change.kind, change.scope, change.name) == ("moved", "intent", "pricing")
    got = aspects(change)
    assert got["group"] == ("engagement", "intent")
    assert got["points"] == ("+5", "+8")
    assert got["decay"] == ("half_life 30d", None)   # it left the group whose decay it had
    assert "> pricing [intent] moved engagement -> intent" in modeldiff.text((change,))


# ---- groups, decay -------------------------------------------------------------------------

def test_group_changes_and_decay_reported_once():
    new = edit(BASE, "group engagement max 60, decay half_life 30d",
               "group engagement min -5, max 70, decay half_life 21d")
    change = only(changes(BASE, new))     # the rules' effective decay changed too, but via the group
    assert (change.what, change.name) == ("group", "engagement")
    assert aspects(change) == {"min": (None, "-5"), "max": ("60", "70"),
                               "decay": ("half_life 30d", "half_life 21d")}
    assert change.aspects[2].note == "applies to 2 rule(s) without a decay of their own"


def test_group_added_and_removed():
    new = BASE + "group fit max 20 {\n    rule sized: +5 when size is known\n}\n"
    found = changes(BASE, new)
    assert {(c.kind, c.what, c.name) for c in found} == {("added", "group", "fit"), ("added", "rule", "sized")}
    group = next(c for c in found if c.what == "group")
    assert group.summary == "max 20; 1 rule(s)"
    found = changes(new, BASE)
    assert {(c.kind, c.what, c.name) for c in found} == {("removed", "group", "fit"), ("removed", "rule", "sized")}


# ---- outputs -------------------------------------------------------------------------------

def test_tiers_thresholds_names_and_group_tiers():
    change = only(changes(BASE, edit(BASE, "warm >= 40", "warm >= 45")))
    assert (change.what, change.name) == ("tier", "score")
    assert aspects(change) == {"warm": (">= 40", ">= 45")}
    change = only(changes(BASE, edit(BASE, "hot >= 60", "hot >= 60, on_fire >= 90")))
    assert aspects(change) == {"tiers": ("cold, warm >= 40, hot >= 60", "cold, warm >= 40, hot >= 60, on_fire >= 90")}
    change = only(changes(BASE, BASE + "tiers engagement: low, high >= 20\n"))
    assert (change.kind, change.what, change.name) == ("added", "tier", "engagement")
    assert change.summary == "tiers engagement: low, high >= 20"


def test_stages():
    change = only(changes(BASE, edit(BASE, "score >= 50", "score >= 55 and engagement >= 10")))
    assert (change.what, change.name) == ("stage", "mql")
    assert aspects(change) == {"condition": ("score >= 50", "score >= 55 and engagement >= 10")}
    change = only(changes(BASE, BASE + 'disqualify junk when level == "spam"\n'))
    assert (change.kind, change.summary) == ("added", 'disqualify junk when level == "spam"')
    change = only(changes(BASE + "disqualify mql2 when size < 1\n", BASE + "qualify mql2 when size < 1\n"))
    assert aspects(change) == {"kind": ("disqualify", "qualify")}


def test_campaigns():
    campaign = 'campaign spring {\n    rule came: +10 when any visit\n    qualify hot_spring when score >= 40\n}\n'
    found = changes(BASE, BASE + campaign)
    assert {(c.kind, c.what, c.scope, c.name) for c in found} == {
        ("added", "campaign", "campaign spring", "spring"),
        ("added", "rule", "campaign spring", "came"),
        ("added", "stage", "campaign spring", "hot_spring")}
    change = only(changes(BASE + campaign, BASE + edit(campaign, "+10", "+15")))
    assert (change.scope, change.name, aspects(change)) == ("campaign spring", "came", {"points": ("+10", "+15")})


# ---- declarations, clamp, account, header ----------------------------------------------------

def test_fields_and_events():
    found = changes(BASE, edit(BASE, "field size: number", 'field size: number from "Employees", unknown 0'))
    change = only(found)
    assert (change.what, aspects(change)) == ("field", {"column": ('"size"', '"Employees"'), "unknown": (None, "0")})
    change = only(changes(BASE, BASE + "field country: text\n"))
    assert (change.kind, change.what, change.summary) == ("added", "field", "country: text")
    change = only(changes(BASE, edit(BASE, "event visit(page: text)", "event visit(page: text, seconds: number)")))
    assert (change.what, aspects(change)) == ("event", {"attribute seconds": (None, "number")})
    change = only(changes(BASE, BASE + "event demo\n"))
    assert (change.kind, change.what, change.summary) == ("added", "event", "demo")


def test_a_field_type_change_shows_on_the_rules_that_read_it():
    old = BASE + "field score2: number\nrule s2: +1 when score2 is known\n"
    found = changes(old, edit(old, "field score2: number", "field score2: text"))
    field = next(c for c in found if c.what == "field")
    assert aspects(field) == {"type": ("number", "text")}
    rule = next(c for c in found if c.what == "rule")
    assert rule.aspects[0].note == "text unchanged, but `score2` changed"


def test_list_file_values(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "acc.txt").write_text("# accounts\na.com\nb.com\n", encoding="utf-8")
    (tmp_path / "new" / "acc.txt").write_text("a.com\nB.COM\nc.com\n", encoding="utf-8")
    text = BASE + 'list acc from "acc.txt"\n'
    found = modeldiff.diff(model(text, tmp_path / "old", "old"), model(text, tmp_path / "new", "new"),
                           old_dir=tmp_path / "old", new_dir=tmp_path / "new")
    change = only(found)
    assert (change.what, change.name) == ("list", "acc")
    assert aspects(change) == {"values": ("2", "3")}
    assert change.aspects[0].note == 'added "c.com"'        # B.COM is b.com
    for side in ("old", "new"):                              # as files, relative to each model file
        (tmp_path / side / "m.score").write_text(textwrap.dedent(text), encoding="utf-8")
    files = modeldiff.diff(analyze_file(tmp_path / "old" / "m.score"), analyze_file(tmp_path / "new" / "m.score"))
    assert files == found


def test_clamp_account_and_header():
    change = only(changes(BASE, BASE + "clamp 0..100\n"))
    assert (change.kind, change.what, change.summary) == ("added", "clamp", "clamp 0..100")
    change = only(changes(BASE + "clamp 0..100\n", BASE + "clamp ..120\n"))
    assert aspects(change) == {"range": ("0..100", "..120")}
    account = 'account by level where size > 1 {\n    rule many: +5 when count(leads) >= 2\n}\n'
    found = changes(BASE, BASE + account)
    assert {(c.kind, c.what) for c in found} == {("added", "account"), ("added", "rule")}
    change = only(changes(BASE + account, BASE + edit(account, "size > 1", "size > 2")))
    assert (change.what, aspects(change)) == ("account", {"where": ("size > 1", "size > 2")})
    change = only(changes('model "m" version 1\n' + BASE, 'model "m" version 2\n' + BASE))
    assert (change.what, aspects(change)) == ("model", {"version": ("1", "2")})


def test_change_records_as_json():
    found = changes(BASE, edit(BASE, "+30 when", "+40 when"))
    record = json.loads(json.dumps([c.to_dict() for c in found]))[0]
    assert record == {"kind": "changed", "what": "rule", "scope": "global", "name": "exec",
                      "summary": '+40 when level == "exec"',
                      "aspects": [{"aspect": "points", "old": "+30", "new": "+40", "note": None,
                                   "same_meaning": False}],
                      "note": None}


# ---- impact, by hand -------------------------------------------------------------------------

IMPACT_OLD = """
    field level: text
    field size: number
    event visit
    clamp 0..100
    rule exec: +30 when level == "exec"
    rule big: +20 when size >= 100
    rule visits: +10 each visit, max 30
    tiers: cold, warm >= 40, hot >= 60
    qualify mql when score >= 50
"""
IMPACT_NEW = (IMPACT_OLD.replace("+30 when", "+40 when").replace("max 30", "max 20")
              + "    disqualify tiny when size < 5\n")

# id, level, size, visits:  old score / tier / stages       new score / tier / stages
LEADS_6 = [
    ("L1", "exec", 200, 0),   # 50 warm mql                  60 hot mql           +10 (exec +10)
    ("L2", "exec", 10, 3),    # 60 hot mql                   60 hot mql             0 (exec +10, visits -10)
    ("L3", "other", 200, 4),  # 50 warm mql                  40 warm              -10 (visits -10), loses mql
    ("L4", "other", 2, 1),    # 10 cold                      0 cold, tiny         -10 (disqualified)
    ("L5", "exec", 50, 0),    # 30 cold                      40 warm              +10 (exec +10)
    ("L6", None, None, 0),    # 0 cold                       0 cold                 0
]


def six_leads():
    leads, events = [], []
    for lead_id, level, size, visits in LEADS_6:
        leads.append({"id": lead_id, "level": level, "size": size})
        events += [{"lead_id": lead_id, "type": "visit", "at": f"2026-11-0{i + 1}T00:00:00Z"} for i in range(visits)]
    return leads, events


def score_all(text: str, leads, events):
    analysis = model(text)
    return analysis, list(compile_analysis(analysis).score_many(leads, events, now=NOW))


def hand_impact(top=10):
    leads, events = six_leads()
    old, old_results = score_all(IMPACT_OLD, leads, events)
    new, new_results = score_all(IMPACT_NEW, leads, events)
    assert [r.score for r in old_results] == [50, 60, 50, 10, 30, 0]
    assert [r.score for r in new_results] == [60, 60, 40, 0, 40, 0]
    return compare(old_results, new_results, Outline.of(old.model), Outline.of(new.model), top=top, now=NOW)


def test_impact_numbers_by_hand():
    impact = hand_impact()
    assert impact.leads == 6 and impact.only_old == () and impact.only_new == ()
    assert impact.changed_leads == 4                       # L1, L3, L4, L5; L2's rules change but its score does not
    s = impact.score
    assert (s.up, s.down, s.same) == (2, 2, 2)
    assert s.mean == 0 and s.mean_abs == pytest.approx(40 / 6)
    assert (s.largest_rise, s.largest_fall) == (10, -10)
    assert impact.tiers.old == impact.tiers.new == ("cold", "warm", "hot")
    assert impact.tiers.counts == ((2, 1, 0),             # cold: L4, L6 stay; L5 -> warm
                                   (0, 1, 1),             # warm: L3 stays; L1 -> hot
                                   (0, 0, 1))             # hot: L2 stays
    assert impact.tiers.changed == 2
    stages = {(st.name, st.kind): (st.old, st.new, st.gained, st.lost) for st in impact.stages}
    assert stages == {("mql", "qualify"): (3, 2, 0, 1), ("tiny", "disqualify"): (0, 1, 1, 0)}

    top = {t.id: t for t in impact.top}
    assert [t.id for t in impact.top] == ["L1", "L3", "L4", "L5"]     # all |10|: input order
    assert (top["L1"].old_tier, top["L1"].new_tier, top["L1"].change) == ("warm", "hot", 10)
    assert [(r.rule, r.scope, r.old, r.new, r.change) for r in top["L1"].rules] == [("exec", "global", 30, 40, 10)]
    assert [(r.rule, r.change) for r in top["L3"].rules] == [("visits", -10)]
    assert top["L3"].lost == (("global", "mql", "qualify"),) and top["L3"].gained == ()
    assert top["L4"].rules == () and top["L4"].gained == (("global", "tiny", "disqualify"),)
    assert [(r.rule, r.change) for r in top["L5"].rules] == [("exec", 10)]


def test_impact_text_names_a_disqualification():
    text = hand_impact().text()
    assert "  L4     10    0     -10  cold          +disqualified tiny  (no rule's points changed)\n" in text


def test_impact_top_n_and_text():
    impact = hand_impact(top=2)
    assert [t.id for t in impact.top] == ["L1", "L3"]
    text = impact.text()
    assert "Impact on 6 lead(s) scored by both models (now 2026-11-20T00:00:00Z)" in text
    assert "Score: 2 up, 2 down, 2 unchanged; mean change 0, largest rise +10, largest fall -10" in text
    assert "Tiers: 2 lead(s) change tier" in text
    assert ("  old \\ new  cold  warm  hot\n"
            "  cold          2     1    0\n"
            "  warm          0     1    1\n"
            "  hot           0     0    1\n") in text
    assert "mql                3 -> 2  (0 gained, 1 lost)" in text
    assert "tiny (disqualify)  0 -> 1  (1 gained, 0 lost)" in text
    assert "Largest score changes (2 of the 4 lead(s) whose score changed):" in text
    assert "  lead  old  new  change  tier         stages  rules\n" in text
    assert "  L1     50   60     +10  warm -> hot          exec [global] +10\n" in text
    assert text.endswith("  L3     50   40     -10  warm         -mql    visits [global] -10")


def test_impact_with_leads_only_one_model_scored():
    leads, events = six_leads()
    _, old_results = score_all(IMPACT_OLD, leads, events)
    _, new_results = score_all(IMPACT_OLD, leads[1:] + [{"id": "L9"}], events)
    impact = compare(old_results, new_results)
    assert impact.only_old == ("L1",) and impact.only_new == ("L9",)
    assert impact.leads == 5 and impact.changed_leads == 0
    assert "no lead changes score, tier or stage" in impact.text()


def test_impact_json_shape():
    data = json.loads(json.dumps(hand_impact().to_dict()))
    assert set(data) == {"now", "leads", "changed_leads", "only_old", "only_new", "score", "tiers", "stages",
                         "campaigns", "top"}
    assert set(data["score"]) == {"leads", "up", "down", "same", "mean", "mean_abs", "largest_rise", "largest_fall"}
    assert data["tiers"] == {"old": ["cold", "warm", "hot"], "new": ["cold", "warm", "hot"],
                             "counts": [[2, 1, 0], [0, 1, 1], [0, 0, 1]], "changed": 2}
    assert data["stages"][0] == {"scope": "global", "name": "mql", "kind": "qualify", "old": 3, "new": 2,
                                 "gained": 0, "lost": 1}
    assert data["top"][1]["lost"] == [{"scope": "global", "name": "mql", "kind": "qualify"}]
    assert data["top"][2]["gained"] == [{"scope": "global", "name": "tiny", "kind": "disqualify"}]
    assert data["top"][0] == {"id": "L1", "old_score": 50, "new_score": 60, "change": 10, "old_tier": "warm",
                              "new_tier": "hot", "gained": [], "lost": [],
                              "rules": [{"rule": "exec", "scope": "global", "old": 30, "new": 40, "change": 10}]}


# ---- the command -------------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, ["diff", *[str(a) for a in args]])


def write_pair(tmp_path, old: str, new: str):
    a, b = tmp_path / "old.score", tmp_path / "new.score"
    a.write_text(textwrap.dedent(old), encoding="utf-8")
    b.write_text(textwrap.dedent(new), encoding="utf-8")
    return a, b


def write_six(tmp_path):
    leads, events = six_leads()
    lead_file = tmp_path / "leads.jsonl"
    lead_file.write_text("".join(json.dumps(x) + "\n" for x in leads), encoding="utf-8")
    event_file = tmp_path / "events.csv"
    event_file.write_text("lead_id,type,at\n" + "".join(f"{e['lead_id']},{e['type']},{e['at']}\n" for e in events),
                          encoding="utf-8")
    return lead_file, event_file


def test_cli_exit_codes(tmp_path):
    a, b = write_pair(tmp_path, IMPACT_OLD, IMPACT_NEW)
    same = run(a, a)
    assert same.exit_code == 0 and "0 change(s)" in same.stdout
    assert run(a, a, "--exit-code").exit_code == 0
    differ = run(a, b)
    assert differ.exit_code == 0, differ.output
    assert run(a, b, "--exit-code").exit_code == 1
    broken = tmp_path / "broken.score"
    broken.write_text("rule r: +5 when nosuch == 1\n", encoding="utf-8")
    invalid = run(a, broken)
    assert invalid.exit_code == 1
    assert "unknown field `nosuch`" in invalid.stderr and "is not a valid model" in invalid.stderr
    assert run(a, tmp_path / "missing.score").exit_code == 1
    unreadable = run(a, b, "--leads", tmp_path / "missing.csv", "--now", NOW)
    assert unreadable.exit_code == 1 and "cannot read" in unreadable.stderr
    assert run(a, b, "--events", tmp_path / "e.csv").exit_code == 2      # --events needs --leads
    assert run(a, b, "--top", "-1").exit_code == 2
    assert run(a, b, "--leads", "-").exit_code == 2                      # the data is read twice


def test_cli_json_with_impact(tmp_path):
    a, b = write_pair(tmp_path, IMPACT_OLD, IMPACT_NEW)
    leads, events = write_six(tmp_path)
    result = run(a, b, "--leads", leads, "--events", events, "--now", NOW, "--format", "json", "--top", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"old", "new", "differ", "counts", "changes", "impact"}
    assert data["old"] == {"file": str(a), "name": "old", "version": None}
    assert data["differ"] is True
    assert data["counts"] == {"added": 1, "removed": 0, "changed": 2, "moved": 0}
    assert {(c["what"], c["name"]) for c in data["changes"]} == {("rule", "exec"), ("rule", "visits"),
                                                                ("stage", "tiny")}
    impact = data["impact"]
    assert impact["now"] == "2026-11-20T00:00:00+00:00"
    assert impact["tiers"]["counts"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert [t["id"] for t in impact["top"]] == ["L1", "L3", "L4"]
    assert impact["runs"]["old"]["leads_scored"] == impact["runs"]["new"]["leads_scored"] == 6
    assert impact["leads_file"] == str(leads) and impact["events_file"] == str(events)
    assert "old model (" in result.stderr        # each run's summary goes to standard error


def test_cli_json_without_data(tmp_path):
    a, b = write_pair(tmp_path, IMPACT_OLD, IMPACT_NEW)
    data = json.loads(run(a, b, "--format", "json").stdout)
    assert data["impact"] is None and data["differ"] is True


def test_cli_output_file(tmp_path):
    a, b = write_pair(tmp_path, IMPACT_OLD, IMPACT_NEW)
    out = tmp_path / "diff.txt"
    result = run(a, b, "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert "points: +30 -> +40" in out.read_text(encoding="utf-8")


def test_cli_new_model_may_declare_more_fields(tmp_path):
    extra = '    field region: text\n    rule eu: +5 when region == "eu"\n'
    a, b = write_pair(tmp_path, IMPACT_OLD, IMPACT_OLD + extra)
    leads, events = write_six(tmp_path)
    result = run(a, b, "--leads", leads, "--events", events, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "no lead changes score, tier or stage" in result.stdout


# ---- examples/b2b.score: demo +30 -> +40 ------------------------------------------------------------

@pytest.fixture(scope="module")
def b2b_demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("b2b")
    shutil.copy(EXAMPLES / "target_accounts.txt", folder / "target_accounts.txt")
    text = edit(B2B.read_text(encoding="utf-8"), "rule demo: +30 when", "rule demo: +40 when")
    (folder / "b2b.score").write_text(text, encoding="utf-8")
    return folder / "b2b.score"


def test_b2b_demo_points_text(b2b_demo):
    result = run(B2B, b2b_demo, "--leads", LEADS, "--events", EVENTS, "--now", NOW)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 change(s): 1 changed" in out
    assert "Rules (1 changed)\n  ~ demo [engagement]\n      points: +30 -> +40\n" in out
    assert "Impact on 300 lead(s) scored by both models (now 2026-11-20T00:00:00+00:00)" in out
    assert "Largest score changes (10 of the " in out


def test_b2b_demo_impact_agrees_with_scoring(b2b_demo):
    result = run(B2B, b2b_demo, "--leads", LEADS, "--events", EVENTS, "--now", NOW, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["aspects"] for c in data["changes"]] == [
        [{"aspect": "points", "old": "+30", "new": "+40", "note": None, "same_meaning": False}]]
    impact = data["impact"]
    assert impact["leads"] == 300

    # The same leads scored independently with each model.
    from leadscore.batch.batch import Batch
    from leadscore.batch.io import RejectsWriter
    from leadscore.runtime.model import now_us
    scores = []
    for path in (B2B, b2b_demo):
        with RejectsWriter(None) as rejects:
            loaded = compile_analysis(analyze_file(path))
            scores.append({r.id: r for r in Batch(loaded, now_us(NOW), rejects).run(str(LEADS), str(EVENTS))})
    old, new = scores
    deltas = {i: new[i].score - old[i].score for i in old}
    assert impact["score"]["up"] == sum(d > 1e-9 for d in deltas.values())
    assert impact["score"]["down"] == 0                  # more points for a demo never lowers a score
    assert impact["score"]["up"] + impact["score"]["same"] == 300
    assert impact["score"]["mean"] == pytest.approx(sum(deltas.values()) / 300)
    tiers = impact["tiers"]
    assert tiers["old"] == tiers["new"] == ["cold", "warm", "hot"]
    assert sum(map(sum, tiers["counts"])) == 300
    for i, row in enumerate(tiers["counts"]):            # only upwards
        assert all(count == 0 for count in row[:i])
    assert tiers["changed"] == sum(old[i].tier != new[i].tier for i in old)
    expected_top = sorted((i for i in deltas if abs(deltas[i]) > 1e-9), key=lambda i: -abs(deltas[i]))[:10]
    assert [abs(deltas[t["id"]]) for t in impact["top"]] == [abs(deltas[i]) for i in expected_top]
    for lead in impact["top"]:
        assert lead["change"] == pytest.approx(deltas[lead["id"]])
        assert 0 < lead["change"] <= 10
        demo = [r for r in lead["rules"] if r["rule"] == "demo"]
        assert demo == [{"rule": "demo", "scope": "engagement", "old": 30, "new": 40, "change": 10}]
        assert all(r["rule"] == "demo" for r in lead["rules"])
    mql = next(s for s in impact["stages"] if s["name"] == "mql")
    assert mql["lost"] == 0
    assert mql["new"] - mql["old"] == mql["gained"]


# ---- docs/diff.md: the example is the output of a real run -------------------------------------------

DOC_EDITS = [
    ("rule demo: +30 when", "rule demo: +40 when"),
    ("rule web_visits: +1 each page_view, max 5 per 7d, max 20",
     "rule web_visits: +1 each page_view, max 5 per 7d, max 15"),
    ('    rule docs_reader: +5 when any page_view[url starts with "/docs"] within 14d\n',
     '    rule docs_reader: +5 when any page_view[url starts with "/docs"] within 14d\n'
     '    rule case_studies: +5 when any page_view[url contains "/customers"] within 30d, '
     'because "read a customer story this month"\n'),
    ("tiers: cold, warm >= 40, hot >= 70", "tiers: cold, warm >= 45, hot >= 70"),
]


def test_docs_example_is_a_real_run(tmp_path, monkeypatch):
    doc = (ROOT / "docs" / "diff.md").read_text(encoding="utf-8")
    expected = doc.split("<!-- example-output -->\n```text\n", 1)[1].split("\n```", 1)[0]
    (tmp_path / "examples").symlink_to(EXAMPLES, target_is_directory=True)
    shutil.copy(EXAMPLES / "target_accounts.txt", tmp_path / "target_accounts.txt")
    text = B2B.read_text(encoding="utf-8")
    for before, after in DOC_EDITS:
        text = edit(text, before, after)
    (tmp_path / "b2b-next.score").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("examples/b2b.score", "b2b-next.score", "--leads", "examples/b2b/leads.csv",
                 "--events", "examples/b2b/events.csv", "--now", NOW, "--top", "5")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == expected


def test_points_without_their_source_text_are_written_as_fmt_writes_them():
    """The diff spells points by dsl/format.py's points_text, never an exponent the language lacks."""
    assert [modeldiff._points(x, None) for x in (15.0, -2.5, 0.0, 1e-7)] == ["+15", "-2.5", "0", "+0.0000001"]
