"""What one edit recomputes: the diagnostics and, when the model is valid, what it
makes of the sample — the score distribution, tier and stage counts, the table
of leads, the `.tests` run and the backtest. On request: the impact of the
edit against the saved file (the tier transition matrix of `diff --leads`).

`Scored` is one valid model with its results; the app keeps the last one, so
the page can still explain leads while the text being typed is invalid.
"""

from __future__ import annotations

import math
from collections import Counter

import attrs

from ..api import compile_analysis
from ..batch.batch import Batch, Summary
from ..batch.filescore import RejectsList
from ..dsl import Analysis
from ..evaluation.backtest import Backtest, measure
from ..review.impact import Outline, compare
from ..runtime.model import Model
from ..runtime.values import format_time
from ..testing.check import analyze_tests_file
from ..testing.run import run_cases
from .workspace import Workspace

MAX_BINS = 25
GAINS_POINTS = 101


@attrs.frozen
class Scored:
    analysis: Analysis
    model: Model
    results: tuple
    summary: Summary
    backtest: Backtest | None = None

    def result(self, lead_id: str):
        return next((r for r in self.results if r.id == lead_id), None)


def score(workspace: Workspace, analysis: Analysis) -> Scored:
    """Score the sample with a valid analysis (and backtest it when an outcome column is set).
    Raises the batch's `DataError`/`ValueError`/`OSError` when the files cannot be read."""
    model = compile_analysis(analysis)
    data = workspace.data
    batch = Batch(model, data.now, RejectsList(), **data.batch_settings())
    if data.outcome is None:
        return Scored(analysis, model, tuple(batch.run(data.leads, data.events)), batch.summary)
    pairs = list(batch.run_pairs(data.leads, data.events))
    backtest = measure(model, iter(pairs), data.outcome, data.leads, data.now, batch.summary)
    return Scored(analysis, model, tuple(result for _, result in pairs), batch.summary, backtest)


def recompute(workspace: Workspace, text: str) -> tuple[dict, Scored | None]:
    """The page's view of `text`, and the `Scored` it came from (None when the text is invalid)."""
    analysis = workspace.analyze(text)
    report = {"valid": analysis.model is not None, "diagnostics": [d.to_dict() for d in analysis.diagnostics]}
    if analysis.model is None:
        return report, None
    scored = score(workspace, analysis)
    report.update(results_view(scored), tests=tests_view(workspace, scored),
                  backtest=backtest_view(scored.backtest))
    return report, scored


# ---- the sample's results --------------------------------------------------------------

def results_view(scored: Scored) -> dict:
    tiers = scored.analysis.model.tiers
    names = list(tiers.names) if tiers is not None else []
    results = scored.results
    summary = scored.summary
    return {
        "tiers": names,
        "thresholds": [{"tier": name, "at": at} for name, at in zip(names[1:], tiers.thresholds)] if tiers else [],
        "histogram": histogram(results, names),
        "tier_counts": {name: sum(1 for r in results if r.tier == name) for name in names},
        "stage_counts": stage_counts(scored),
        "leads": [{"id": r.id, "score": r.score, "tier": r.tier, "stages": list(r.qualified),
                   "disqualified": list(r.disqualified), "tags": list(r.tags)} for r in results],
        "summary": {"leads_read": summary.leads_read, "leads_scored": summary.leads_scored,
                    "leads_rejected": summary.leads_rejected, "events_read": summary.events_read,
                    "events_used": summary.events_used, "events_rejected": summary.events_rejected,
                    "warnings": summary.warnings, "now": summary.now},
    }


def stage_counts(scored: Scored) -> dict:
    checked = scored.analysis.model
    reached = Counter(name for r in scored.results for name in r.qualified)
    knocked = Counter(name for r in scored.results for name in r.disqualified)
    return {"qualify": {s.name: reached[s.name] for s in checked.qualify},
            "disqualify": {s.name: knocked[s.name] for s in checked.disqualify}}


def histogram(results, tiers: list) -> dict:
    """Scores in equal bins of a round width (1, 2, 5, 10, 20, 50, …), at most `MAX_BINS`,
    counted per tier (one series, "", without tiers)."""
    scores = [r.score for r in results]
    if not scores:
        return {"edges": [], "counts": {}}
    width = bin_width(min(scores), max(scores))
    start = math.floor(min(scores) / width) * width
    bins = int((max(scores) - start) // width) + 1
    counts = {name: [0] * bins for name in (tiers or [""])}
    for result in results:
        counts[result.tier if tiers else ""][min(bins - 1, int((result.score - start) // width))] += 1
    return {"edges": [start + i * width for i in range(bins + 1)], "counts": counts}


def bin_width(low: float, high: float) -> float:
    span = max(high - low, 1.0)
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            if span / (step * factor) < MAX_BINS:
                return step * factor
        step *= 10


# ---- tests and backtest ----------------------------------------------------------------

def tests_view(workspace: Workspace, scored: Scored) -> dict:
    """The model's `.tests` (beside it, same stem) run against the edit, case by case."""
    path = workspace.tests_path
    if path is None:
        return {"file": None, "errors": [], "cases": []}
    checked = analyze_tests_file(path, scored.analysis.model)
    if checked.errors:
        return {"file": path, "errors": [d.to_dict() for d in checked.errors], "cases": []}
    run = run_cases([(scored.model, checked.cases)], workspace.data.now)
    cases = [{"name": o.case.name, "line": o.case.line, "status": o.status, "error": o.error,
              "failures": [{"expect": c.expectation.text, "actual": c.to_dict()["actual"]} for c in o.failures]}
             for o in run.outcomes]
    return {"file": path, "errors": [], "cases": cases, "passed": run.passed, "failed": run.failed}


def backtest_view(backtest: Backtest | None) -> dict | None:
    if backtest is None:
        return None
    gains = backtest.gains()
    step = max(1, len(gains) // GAINS_POINTS)
    curve = gains[::step] + ([gains[-1]] if (len(gains) - 1) % step else [])
    return {"auc": backtest.auc, "leads": backtest.leads, "conversions": backtest.conversions,
            "rate": backtest.rate, "gains": [[x, y] for x, y, _ in curve],
            "deciles": [{"decile": d.decile, "leads": d.leads, "rate": d.rate, "lift": d.lift}
                        for d in backtest.deciles],
            "tiers": [{"name": t.name, "leads": t.leads, "conversions": t.conversions, "rate": t.rate}
                      for t in backtest.tiers]}


# ---- compare with saved ----------------------------------------------------------------

def impact(saved: Scored, edited: Scored, now: int) -> dict:
    """How the edit scores the sample differently from the saved file (`diff --leads`)."""
    return compare(saved.results, edited.results, Outline.of(saved.analysis.model),
                   Outline.of(edited.analysis.model), top=10, now=format_time(now)).to_dict()
