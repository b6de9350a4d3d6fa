"""`leadscore backtest` (INTERFACE.md §7): the metrics, the command, the HTML report.

The metrics are checked against hand computations on small synthetic
cases, and the AUC against two independent computations (every pair
compared, O(n²); and Mann–Whitney U from average ranks). The command runs
on the samples shipped in examples/data/ and, when the shared data folder
is beside the repository, on both full real datasets.
"""

from __future__ import annotations

import csv
import html.parser
import json
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.cli import main
from leadscore.evaluation.backtest import Record, Stage, compute, decile_sizes, read_outcome

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SAMPLES = EXAMPLES / "data"
SHARED = ROOT.parent / "shared" / "data"
X_FULL = SHARED / "x-education-leads" / "Leads.csv"
BANK_FULL = SHARED / "uci-bank-marketing" / "bank-additional-full.csv"
NOW = "2026-11-20T00:00:00Z"

X_ARGS = ["--id-column", "Prospect ID", "--outcome", "Converted", "--now", NOW]
BANK_ARGS = ["--line-ids", "--outcome", "y", "--now", NOW]


# ---- independent computations ------------------------------------------------------

def auc_pairs(scores, outcomes):
    """Mann–Whitney by definition: every (converted, not converted) pair, ties half. O(n²)."""
    pos = [s for s, o in zip(scores, outcomes) if o]
    neg = [s for s, o in zip(scores, outcomes) if not o]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def auc_ranks(scores, outcomes):
    """Mann–Whitney U from average ranks (1-based; tied scores share their mean rank)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    n1 = sum(1 for o in outcomes if o)
    n0 = len(outcomes) - n1
    u = sum(r for r, o in zip(ranks, outcomes) if o) - n1 * (n1 + 1) / 2
    return u / (n1 * n0)


def records(scores, outcomes, tiers=None, stages=None):
    return [Record(s, o, tiers[i] if tiers else None, tuple(stages[i]) if stages else (), i)
            for i, (s, o) in enumerate(zip(scores, outcomes))]


# ---- reading the outcome -----------------------------------------------------------

@pytest.mark.parametrize("raw", ["true", "TRUE", "Yes", "y", "Y", "1", " yes ", "won", "WON", True, 1, 1.0])
def test_outcome_reads_as_converted(raw):
    assert read_outcome(raw) is True


@pytest.mark.parametrize("raw", ["false", "False", "NO", "n", "0", "lost", "Lost", False, 0, 0.0])
def test_outcome_reads_as_not_converted(raw):
    assert read_outcome(raw) is False


@pytest.mark.parametrize("raw", [None, "", "  ", "maybe", "2", "1.0", "open", 2, -1, 0.5, float("nan"), [], {}])
def test_outcome_reads_as_neither(raw):
    assert read_outcome(raw) is None


# ---- the metrics, by hand ----------------------------------------------------------

def test_auc_by_hand_with_a_tie():
    # converted 10, 8, 5; not 8, 3. Pairs: 10>8, 10>3, 8=8 (half), 8>3, 5<8, 5>3 -> 4.5 of 6
    result = compute(records([10, 8, 8, 5, 3], [True, False, True, True, False]))
    assert result.auc == 0.75
    assert (result.leads, result.conversions) == (5, 3)


def test_auc_extremes_and_all_tied():
    assert compute(records([3, 2, 1, 0], [True, True, False, False])).auc == 1.0
    assert compute(records([3, 2, 1, 0], [False, False, True, True])).auc == 0.0
    assert compute(records([7] * 6, [True, False] * 3)).auc == 0.5


@pytest.mark.parametrize("seed", range(8))
def test_auc_equals_mann_whitney(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 400)
    scores = [rng.choice([0, 5, 5.5, 10, 12.25, 40, 40, 70, 100]) if rng.random() < 0.7 else rng.uniform(0, 100)
              for _ in range(n)]
    outcomes = [rng.random() < 0.3 for _ in range(n)]
    outcomes[0], outcomes[1] = True, False
    result = compute(records(scores, outcomes))
    assert abs(result.auc - auc_pairs(scores, outcomes)) <= 1e-12
    assert abs(result.auc - auc_ranks(scores, outcomes)) <= 1e-12


def test_auc_is_not_quadratic():
    rng = random.Random(1)
    n = 300_000
    scores = [float(rng.randint(0, 100)) for _ in range(n)]
    outcomes = [rng.random() < 0.2 for _ in range(n)]
    started = time.process_time()                 # CPU time: a loaded machine or a parallel test worker does not count
    result = compute(records(scores, outcomes))
    assert time.process_time() - started < 20     # O(n²) would be hours
    assert abs(result.auc - auc_ranks(scores, outcomes)) <= 1e-12


def test_one_class_only_has_no_auc_and_says_why():
    for outcome in (True, False):
        result = compute(records([1, 2, 3], [outcome] * 3))
        assert result.auc is None
        assert any("AUC is undefined" in note for note in result.notes)
        assert result.to_dict()["auc"] is None
        assert "ROC AUC:      undefined" in result.text()


def test_no_leads_at_all():
    result = compute([])
    assert (result.leads, result.conversions, result.auc, result.rate) == (0, 0, None, None)
    assert [d.leads for d in result.deciles] == [0] * 10
    assert any("nothing to measure" in note for note in result.notes)
    json.dumps(result.to_dict())
    result.text()


def test_decile_sizes():
    assert decile_sizes(23) == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    assert decile_sizes(20) == [2] * 10
    assert decile_sizes(5) == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert decile_sizes(0) == [0] * 10
    assert sum(decile_sizes(9241)) == 9241


def test_deciles_of_23_keep_ties_in_input_order():
    # all 23 leads tie; only the input order decides. Converted: input positions 0, 1, 3, 6, 22.
    converted = {0, 1, 3, 6, 22}
    result = compute(records([50] * 23, [i in converted for i in range(23)]))
    # groups: [0,1,2] [3,4,5] [6,7,8] [9,10] ... [21,22]
    assert [d.leads for d in result.deciles] == [3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    assert [d.conversions for d in result.deciles] == [2, 1, 1, 0, 0, 0, 0, 0, 0, 1]
    overall = 5 / 23
    assert result.deciles[0].rate == 2 / 3
    assert result.deciles[0].lift == pytest.approx((2 / 3) / overall, abs=1e-15)
    assert result.deciles[9].lift == pytest.approx(0.5 / overall, abs=1e-15)
    assert result.deciles[3].lift == 0
    assert [d.cumulative_leads for d in result.deciles] == [3, 6, 9, 11, 13, 15, 17, 19, 21, 23]
    assert result.deciles[-1].gain == 1.0


def test_deciles_sort_by_score_highest_first():
    scores = [1, 9, 5, 9, 3, 7, 2, 8, 6, 4, 0]      # 11 leads: the first decile has 2
    outcomes = [False, True, False, False, False, True, False, True, False, False, False]
    result = compute(records(scores, outcomes))
    d = result.deciles
    # ranking: 9 (pos 1, yes), 9 (pos 3, no), 8 yes, 7 yes, 6, 5, 4, 3, 2, 1, 0
    assert [x.leads for x in d] == [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert [x.conversions for x in d] == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert (d[0].max_score, d[0].min_score) == (9, 9)
    assert (d[1].max_score, d[1].min_score) == (8, 8)
    assert d[0].lift == pytest.approx(0.5 / (3 / 11))


def test_empty_deciles_have_no_rate_or_lift():
    result = compute(records([4, 3, 2], [True, False, False]))
    assert [d.leads for d in result.deciles] == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert result.deciles[5].rate is None and result.deciles[5].lift is None
    assert result.deciles[5].min_score is None


def test_tiers_in_declared_order_with_empty_ones():
    result = compute(records([10, 50, 80, 20, 55], [False, True, True, False, False],
                             tiers=["cold", "warm", "hot", "cold", "warm"]),
                     tiers=["cold", "warm", "hot", "vip"])
    tiers = {t.name: t for t in result.tiers}
    assert list(tiers) == ["cold", "warm", "hot", "vip"]
    assert (tiers["cold"].leads, tiers["cold"].conversions, tiers["cold"].rate) == (2, 0, 0.0)
    assert (tiers["warm"].leads, tiers["warm"].conversions, tiers["warm"].rate) == (2, 1, 0.5)
    assert (tiers["hot"].leads, tiers["hot"].conversions, tiers["hot"].rate) == (1, 1, 1.0)
    assert (tiers["vip"].leads, tiers["vip"].rate, tiers["vip"].lift) == (0, None, None)
    assert tiers["warm"].share_of_conversions == 0.5
    assert tiers["hot"].lift == 1.0 / 0.4
    assert result.to_dict()["tiers"]["warm"] == {"leads": 2, "conversions": 1, "rate": 0.5, "share_of_leads": 0.4,
                                                 "share_of_conversions": 0.5, "lift": 1.25}


def test_stage_precision_recall_and_the_same_volume_on_the_score():
    # `sql` is reached by 3 leads that are not the 3 best scores; the score alone would take 90, 80, 70.
    scores = [90, 80, 70, 70, 60, 50, 40, 30]
    outcomes = [True, False, True, False, True, False, True, False]
    stages = [["mql"], ["mql"], ["mql"], ["mql"], ["mql", "sql"], ["sql"], ["sql"], []]
    result = compute(records(scores, outcomes, stages=stages),
                     stages=[Stage("mql", "score >= 60"), Stage("sql", "fit >= 30")])
    mql, sql = result.stages
    assert (mql.leads, mql.conversions, mql.precision, mql.recall) == (5, 3, 0.6, 0.75)
    assert mql.same_volume.score == 60 and mql.same_volume.leads == 5 and mql.same_volume.precision == 0.6
    assert (sql.leads, sql.conversions, sql.precision, sql.recall) == (3, 2, 2 / 3, 0.5)
    # the 3rd best score is 70, tied with the 4th: `score >= 70` qualifies 4, two of them converted
    cut = sql.same_volume
    assert (cut.score, cut.leads, cut.conversions, cut.precision, cut.recall) == (70, 4, 2, 0.5, 0.5)
    thresholds = result.to_dict()["thresholds"]
    assert thresholds["sql"]["same_volume"] == {"score": 70, "leads": 4, "conversions": 2, "precision": 0.5,
                                                "recall": 0.5}
    assert thresholds["mql"]["condition"] == "score >= 60"
    assert result.to_dict()["stages"]["mql"] == {"condition": "score >= 60", "leads": 5, "conversions": 3,
                                                 "rate": 0.6, "recall": 0.75, "lift": 0.6 / 0.5}


def test_a_stage_nobody_reaches():
    result = compute(records([1, 2], [True, False]), stages=["sql"])
    (sql,) = result.stages
    assert (sql.leads, sql.precision, sql.recall, sql.same_volume) == (0, None, 0.0, None)
    assert "no lead reaches the stage" in result.text()


def test_left_out_leads_are_counted_not_measured():
    raws = ["1", "", None, "maybe", "0", "MAYBE", "maybe", "yes"]
    recs = [Record(float(i), read_outcome(raw), None, (), i, raw) for i, raw in enumerate(raws)]
    result = compute(recs)
    assert (result.leads, result.conversions) == (3, 2)
    assert result.excluded.to_dict() == {"leads": 5, "missing": 2, "unreadable": 3,
                                         "values": {"maybe": 2, "MAYBE": 1}}
    assert sum(d.leads for d in result.deciles) == 3
    assert any("5 lead(s) left out" in note for note in result.notes)


def test_disqualified_leads_take_part_at_their_score():
    recs = [Record(0.0, True, "cold", (), 0, "1", disqualified=True), Record(50.0, False, "warm", (), 1, "0"),
            Record(0.0, False, "cold", (), 2, "0")]
    result = compute(recs)
    assert result.leads == 3 and result.disqualified == 1
    assert result.auc == 0.25         # the converted 0 ties one 0 (half) and loses to 50
    assert any("disqualified" in note for note in result.notes)


def test_json_form_has_the_interface_keys():
    result = compute(records([3, 1, 2], [True, False, False], tiers=["a", "b", "a"], stages=[["s"], [], []]),
                     tiers=["a", "b"], stages=["s"], meta={"model": "m", "version": 2})
    data = json.loads(json.dumps(result.to_dict()))
    assert {"leads", "conversions", "auc", "tiers", "stages", "deciles", "excluded", "thresholds"} <= set(data)
    assert data["model"] == "m" and data["version"] == 2
    assert len(data["deciles"]) == 10
    assert data["deciles"][0] == {"decile": 1, "leads": 1, "conversions": 1, "rate": 1.0, "lift": 3.0,
                                  "min_score": 3, "max_score": 3, "cumulative_leads": 1,
                                  "cumulative_conversions": 1, "gain": 1.0}


def test_text_form():
    result = compute(records([3, 1, 2], [True, False, False], tiers=["hot", "cold", "cold"], stages=[["s"], [], []]),
                     tiers=["cold", "hot"], stages=[Stage("s", "score >= 3")], meta={"model": "m", "version": 1})
    text = result.text()
    assert text.startswith("backtest of m v1")
    assert "ROC AUC:      1.0000" in text
    assert re.search(r"hot\s+1\s+33\.3%\s+1\s+100\.0%\s+3\.00", text)
    assert re.search(r"s\s+score >= 3\s+1\s+1\s+100\.0%\s+100\.0%", text)
    assert "by score decile" in text


def test_gains_curve_takes_tied_leads_together():
    result = compute(records([5, 5, 3, 1], [True, False, True, False]))
    assert result.gains() == [(0.0, 0.0, None), (0.5, 0.5, 5), (0.75, 1.0, 3), (1.0, 1.0, 1)]


# ---- the command -------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, ["backtest", *map(str, args)])


def independent_metrics(model: Path, leads: Path, id_column: str | None, outcome: str, delimiter=","):
    """Scores from `leadscore score`, outcomes read with the csv module: no backtest code involved."""
    args = ["score", str(model), "--leads", str(leads), "--now", NOW]
    args += ["--id-column", id_column] if id_column else ["--line-ids"]
    scored = CliRunner().invoke(main, args)
    assert scored.exit_code == 0, scored.output
    results = [json.loads(line) for line in scored.stdout.splitlines()]
    with open(leads, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    assert len(rows) == len(results)
    outcomes = [row[outcome].strip().lower() in ("1", "yes") for row in rows]
    scores = [r["score"] for r in results]
    tiers: dict = {}
    for r, o in zip(results, outcomes):
        leads_, conv = tiers.get(r["tier"], (0, 0))
        tiers[r["tier"]] = (leads_ + 1, conv + o)
    return scores, outcomes, tiers


def check_against_independent(report: dict, model, leads, id_column, outcome, delimiter=",", pairs=True):
    scores, outcomes, tiers = independent_metrics(model, leads, id_column, outcome, delimiter)
    assert report["leads"] == len(scores)
    assert report["conversions"] == sum(outcomes)
    assert abs(report["auc"] - auc_ranks(scores, outcomes)) <= 1e-12
    if pairs:
        assert abs(report["auc"] - auc_pairs(scores, outcomes)) <= 1e-12
    for name, (n, conv) in tiers.items():
        assert (report["tiers"][name]["leads"], report["tiers"][name]["conversions"]) == (n, conv)
    assert sum(t["leads"] for t in report["tiers"].values()) == len(scores)


def test_x_education_sample():
    sample = SAMPLES / "x-education-sample.csv"
    result = run(EXAMPLES / "x-education.score", "--leads", sample, *X_ARGS, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["leads"] == 500 and report["excluded"]["leads"] == 0
    assert list(report["tiers"]) == ["cold", "warm", "hot"]
    assert list(report["stages"]) == ["mql"]
    assert report["now"] == "2026-11-20T00:00:00+00:00"
    assert report["auc"] > 0.7
    check_against_independent(report, EXAMPLES / "x-education.score", sample, "Prospect ID", "Converted")
    assert "leads:  500 read, 500 scored, 0 rejected" in result.stderr


def test_bank_marketing_sample_semicolons_unknown_and_999():
    sample = SAMPLES / "bank-marketing-sample.csv"
    assert sample.read_bytes().startswith(b'"age";"job";')
    result = run(EXAMPLES / "bank-marketing.score", "--leads", sample, *BANK_ARGS, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["leads"] == 500
    assert list(report["stages"]) == ["call_list", "priority_call"]
    check_against_independent(report, EXAMPLES / "bank-marketing.score", sample, None, "y", delimiter=";")
    # the text form of the same run
    text = run(EXAMPLES / "bank-marketing.score", "--leads", sample, *BANK_ARGS)
    assert text.exit_code == 0
    assert f"ROC AUC:      {report['auc']:.4f}" in text.stdout
    assert "priority_call" in text.stdout and "score >= 50 and history >= 30" in text.stdout


def test_samples_are_what_their_generator_writes(tmp_path):
    """examples/data/make_samples.py is deterministic and the shipped X Education sample is its output."""
    sys.path.insert(0, str(SAMPLES))
    try:
        import make_samples
    finally:
        sys.path.remove(str(SAMPLES))
    assert make_samples.x_education_sample() == (SAMPLES / "x-education-sample.csv").read_bytes()
    if BANK_FULL.exists():
        assert make_samples.bank_sample(SHARED) == (SAMPLES / "bank-marketing-sample.csv").read_bytes()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALL_MODEL = """model "small" version 3
field visits: number
event demo_request
rule busy: +10 when visits >= 5
rule demo: +50 when count(demo_request) >= 1
tiers: cold, hot >= 50
qualify mql when score >= 50
"""


def test_outcome_column_absent_names_it_and_the_columns(tmp_path):
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,won\nA,1,yes\n")
    result = run(model, "--leads", leads, "--outcome", "Won", "--now", NOW)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "\n" not in message
    assert "no outcome column `Won`" in message and "`id`, `visits`, `won`" in message
    assert "did you mean `won`?" in message
    # JSON Lines: absent from every row
    jsonl = write(tmp_path, "leads.jsonl", '{"id": "A", "visits": 1}\n{"id": "B"}\n')
    result = run(model, "--leads", jsonl, "--outcome", "won", "--now", NOW)
    assert result.exit_code == 1 and "no outcome column `won`" in result.stderr


def test_outcome_values_and_left_out_leads(tmp_path):
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,outcome\nA,9,Won\nB,1,lost\nC,8,\nD,2,pending\nE,7,TRUE\n"
                                         "F,0,n\nG,6,Y\nH,5,No\n")
    result = run(model, "--leads", leads, "--outcome", "outcome", "--now", NOW, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # kept: A 10 yes, B 0 no, E 10 yes, F 0 no, G 10 yes, H 10 no
    assert (report["leads"], report["conversions"]) == (6, 3)
    assert report["excluded"] == {"leads": 2, "missing": 1, "unreadable": 1, "values": {"pending": 1}}
    assert report["auc"] == auc_pairs([10, 0, 10, 0, 10, 10], [1, 0, 1, 0, 1, 0])
    assert "2 lead(s) left out (1 with no outcome, 1 unreadable)" in result.stderr
    # JSON Lines: a row without the key is a lead without an outcome
    jsonl = write(tmp_path, "leads.jsonl", '{"id": "A", "visits": 9, "won": true}\n{"id": "B", "visits": 1}\n'
                                           '{"id": "C", "visits": 1, "won": 0}\n')
    report = json.loads(run(model, "--leads", jsonl, "--outcome", "won", "--now", NOW, "--format", "json").stdout)
    assert (report["leads"], report["conversions"], report["excluded"]["missing"], report["auc"]) == (2, 1, 1, 1.0)


def test_measure_is_the_command_without_the_command_line(tmp_path):
    """The library does what `leadscore backtest` prints: records from a batch's pairs, the outcome
    column found (or refused, naming a near miss) and the metrics, with no CLI involved."""
    import leadscore
    from leadscore.batch.batch import Batch
    from leadscore.batch.io import RejectsWriter
    from leadscore.evaluation.backtest import NoOutcomeColumn, measure
    from leadscore.runtime.model import now_us

    model_path = write(tmp_path, "m.score", SMALL_MODEL)
    model, at = leadscore.load(model_path), now_us(NOW)

    def measured(leads, column):
        with RejectsWriter(None) as rejected:
            batch = Batch(model, at, rejected)
            return measure(model, batch.run_pairs(str(leads), None), column, str(leads), at, batch.summary)

    leads = write(tmp_path, "leads.csv", "id,visits,outcome\nA,9,Won\nB,1,lost\nC,8,\n")
    got = measured(leads, "outcome")
    assert got.to_dict() == json.loads(run(model_path, "--leads", leads, "--outcome", "outcome", "--now", NOW,
                                           "--format", "json").stdout)
    assert (got.leads, got.conversions, got.excluded.missing, got.meta["outcome"]) == (2, 1, 1, "outcome")
    with pytest.raises(NoOutcomeColumn, match=r"no outcome column `Outcome` .*did you mean `outcome`\?"):
        measured(leads, "Outcome")
    jsonl = write(tmp_path, "leads.jsonl", '{"id": "A", "visits": 9}\n{"id": "B", "visits": 1, "won": 0}\n')
    assert measured(jsonl, "won").excluded.missing == 1
    with pytest.raises(NoOutcomeColumn):
        measured(jsonl, "lost")


def test_events_count_as_in_score(tmp_path):
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,won\nA,1,yes\nB,1,no\nC,1,yes\nD,1,no\n")
    events = write(tmp_path, "events.csv", "lead_id,type,at\nA,demo_request,2026-11-01T00:00:00Z\n"
                                           "C,demo_request,2026-11-02T00:00:00Z\nD,demo_request,2027-01-01T00:00:00Z\n"
                                           "Z,demo_request,2026-11-01T00:00:00Z\n")
    without = json.loads(run(model, "--leads", leads, "--outcome", "won", "--now", NOW, "--format", "json").stdout)
    assert without["auc"] == 0.5
    result = run(model, "--leads", leads, "--events", events, "--outcome", "won", "--now", NOW, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["auc"] == 1.0                          # D's demo is after `now`: ignored
    assert report["tiers"]["hot"] == {"leads": 2, "conversions": 2, "rate": 1.0, "share_of_leads": 0.5,
                                      "share_of_conversions": 1.0, "lift": 2.0}
    assert report["stages"]["mql"]["leads"] == 2
    assert "events: 4 read, 2 used, 1 ignored (1 after now" in result.stderr and "1 rejected" in result.stderr


def test_rejected_lead_rows_are_not_in_the_metrics(tmp_path):
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,won\nA,9,yes\nA,1,no\n,1,no\nB,1,no\n")
    result = run(model, "--leads", leads, "--outcome", "won", "--now", NOW, "--format", "json",
                 "--rejects", tmp_path / "rejects.jsonl")
    report = json.loads(result.stdout)
    assert (report["leads"], report["leads_read"], report["leads_rejected"]) == (2, 4, 2)
    assert len((tmp_path / "rejects.jsonl").read_text().splitlines()) == 2


def test_output_file_and_help(tmp_path):
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,won\nA,9,yes\nB,1,no\n")
    out = tmp_path / "bt.json"
    result = run(model, "--leads", leads, "--outcome", "won", "--now", NOW, "--format", "json", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["auc"] == 1.0
    helped = run("--help")
    assert helped.exit_code == 0 and "--outcome" in helped.stdout and "Examples:" in helped.stdout


def test_missing_outcome_option_is_a_usage_error(tmp_path):
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,won\nA,9,yes\n")
    assert run(model, "--leads", leads).exit_code == 2


def test_an_invalid_model_or_unreadable_leads_exit_1(tmp_path):
    bad = write(tmp_path, "bad.score", 'model "x" version 1\nrule r: +1 when nothere > 1\n')
    leads = write(tmp_path, "leads.csv", "id,won\nA,yes\n")
    assert run(bad, "--leads", leads, "--outcome", "won").exit_code == 1
    model = write(tmp_path, "m.score", SMALL_MODEL)
    result = run(model, "--leads", tmp_path / "nope.csv", "--outcome", "won")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_report_without_the_extra_fails_in_one_line(tmp_path, monkeypatch):
    for name in [n for n in sys.modules if n == "plotly" or n.startswith("plotly.")] + ["plotly"]:
        monkeypatch.setitem(sys.modules, name, None)
    model = write(tmp_path, "m.score", SMALL_MODEL)
    leads = write(tmp_path, "leads.csv", "id,visits,won\nA,9,yes\nB,1,no\n")
    result = run(model, "--leads", leads, "--outcome", "won", "--report", tmp_path / "r.html")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "`report` extra" in result.stderr and "pip install 'leadscore[report]'" in result.stderr
    assert not (tmp_path / "r.html").exists()


# ---- the HTML report ---------------------------------------------------------------

class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.scripts, self.external = set(), [], [], []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("src", "href"):
            if attrs.get(key) and re.match(r"(https?:)?//", attrs[key]):
                self.external.append(attrs[key])
        if tag == "script":
            self._in_script = attrs
            self.scripts.append([attrs, ""])

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts[-1][1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def _report(tmp_path, model, leads, args):
    pytest.importorskip("plotly", reason="the `report` extra (plotly) is not installed: pip install -e '.[report]'")
    page = tmp_path / "backtest.html"
    result = run(model, "--leads", leads, *args, "--report", page, "--format", "json")
    assert result.exit_code == 0, result.output
    return page, json.loads(result.stdout)


def test_report_page_has_the_charts(tmp_path):
    page, report = _report(tmp_path, EXAMPLES / "bank-marketing.score", SAMPLES / "bank-marketing-sample.csv",
                           BANK_ARGS)
    assert page.exists() and page.stat().st_size > 100_000
    text = page.read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(text)
    parser.close()
    assert parser.tags[0] == "html" and "head" in parser.tags and "body" in parser.tags
    assert {"gains", "distribution", "lift", "backtest-data"} <= parser.ids
    assert parser.external == []                           # self-contained: opens offline
    assert not any(attrs.get("src") for attrs, _ in parser.scripts)
    bundle = max((body for _, body in parser.scripts), key=len)
    assert "plotly.js v" in bundle[:2000] or "Plotly" in bundle[:5000]
    for div in ("gains", "distribution", "lift"):
        assert re.search(r'Plotly\.newPlot\(\s*"%s"' % div, text), div
    data = next(body for attrs, body in parser.scripts if attrs.get("id") == "backtest-data")
    assert json.loads(data) == report
    assert "Gains curve (ROC AUC %.3f)" % report["auc"] in text
    assert "call_list" in text and "priority_call" in text


def test_report_distribution_bins_hold_every_lead():
    pytest.importorskip("plotly", reason="the `report` extra (plotly) is not installed: pip install -e '.[report]'")
    from leadscore.evaluation.report import distribution_figure, score_bins
    edges, a, b = score_bins([0, 0, 1, 99, 100], [50, 50.5])
    assert sum(a) == 5 and sum(b) == 2
    assert edges[1] - edges[0] == 2 and edges[0] == 0 and edges[-1] > 100
    result = compute(records([3, 1, 2, 2], [True, False, False, True]))
    fig = distribution_figure(result)
    assert [t.name for t in fig.data] == ["converted (2)", "not converted (2)"]
    assert sum(fig.data[0].y) == pytest.approx(100)


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium to open the page (apt-get install chromium)")
def test_report_page_opens_and_draws_in_a_browser(tmp_path):
    page, _ = _report(tmp_path, EXAMPLES / "x-education.score", SAMPLES / "x-education-sample.csv", X_ARGS)
    dom = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    # Plotly draws each chart as SVG inside a `plot-container`; all three were drawn
    assert dom.count('class="plot-container plotly"') == 3
    assert "main-svg" in dom


# ---- the full real datasets --------------------------------------------------------

needs_x = pytest.mark.skipif(not X_FULL.exists(), reason=f"{X_FULL} is not here (the shared data folder)")
needs_bank = pytest.mark.skipif(not BANK_FULL.exists(), reason=f"{BANK_FULL} is not here (the shared data folder)")


def readme_results():
    """The AUC and per-tier conversion recorded in examples/README.md's backtest section."""
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Backtest results"):]
    found = {}
    for name, body in re.findall(r"<!-- backtest:(\S+) -->(.*?)<!-- /backtest -->", section, re.S):
        auc = float(re.search(r"ROC AUC \*\*([0-9.]+)\*\*", body).group(1))
        tiers = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"^\| ([A-Za-z_]\w*) \| ([0-9]+) \| ([0-9]+) \|",
                                                                   body.replace(",", ""), re.M)}
        found[name] = (auc, tiers)
    return found


@needs_x
def test_x_education_full_dataset(tmp_path):
    result = run(EXAMPLES / "x-education.score", "--leads", X_FULL, *X_ARGS, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["leads"], report["conversions"]) == (9240, 3561)
    check_against_independent(report, EXAMPLES / "x-education.score", X_FULL, "Prospect ID", "Converted",
                              pairs=False)
    mql = report["thresholds"]["mql"]
    assert mql["same_volume"]["leads"] == report["stages"]["mql"]["leads"]   # `score >= 60` is a score cut-off
    auc, tiers = readme_results()["x-education"]
    assert round(report["auc"], 4) == auc
    assert {k: (v["leads"], v["conversions"]) for k, v in report["tiers"].items()} == tiers


@needs_bank
def test_bank_marketing_full_dataset():
    result = run(EXAMPLES / "bank-marketing.score", "--leads", BANK_FULL, *BANK_ARGS, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["leads"], report["conversions"]) == (41188, 4640)
    assert [d["leads"] for d in report["deciles"]] == [4119] * 8 + [4118] * 2
    check_against_independent(report, EXAMPLES / "bank-marketing.score", BANK_FULL, None, "y", delimiter=";",
                              pairs=False)
    auc, tiers = readme_results()["bank-marketing"]
    assert round(report["auc"], 4) == auc
    assert {k: (v["leads"], v["conversions"]) for k, v in report["tiers"].items()} == tiers


def test_readme_records_both_datasets():
    results = readme_results()
    assert set(results) == {"x-education", "bank-marketing"}
    for auc, tiers in results.values():
        assert 0.5 < auc < 1 and set(tiers) == {"cold", "warm", "hot"}
