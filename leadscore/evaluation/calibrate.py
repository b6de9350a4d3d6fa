"""`leadscore calibrate`: fit a model's points to past outcomes (docs/calibrate.md).

Method, in short:

- Features, read off the real scoring engine. The model is compiled a
  second time as a *probe* in which every fitted rule is worth one unit:
  a condition rule +1, an each-rule +1 per event, arm i of a table rule
  i + 1 (so every arm, even one worth 0 today, shows in `contributions`;
  the arm is identified by its reason `REASON: ARM TEXT`, else by its
  probe value). A rule's `max N` and `max N per D` become N / |points| in
  the probe: the cap counted in events (or decayed units) instead of
  points. A feature's value for a lead is then its probe contribution
  (divided by i + 1 for an arm): 0/1 for a condition rule or an arm, the
  decay factor for one that decays, the (decayed, distinct, capped)
  number of events for an each-rule.
- Linear, so exact: today's contribution of every fitted rule is its
  points x its feature, and so is the contribution of the written model,
  because the caps written are scaled with the points (N' = N x |new| /
  |old|: the number of events that count is kept). What is fitted is what
  will be scored, up to the rounding of the scaled caps, and the command
  re-scores the written model with the engine to check it (`verify`).
- Fitted: global-scope condition, each and table rules (ungrouped or in a
  global group), with or without decay. Kept (points unchanged, listed):
  account and campaign rules, `--keep` rules, rules outside `--only`
  groups, table rules with `max` (a cap on arms is not linear in their
  points), rules worth 0 with a cap (no number of events to keep), and
  features with fewer than `--min-support` leads.
- Fit: scikit-learn `LogisticRegression(C=1.0, max_iter=1000)` on the
  features, each divided by its *reach* (the 99th percentile of its
  non-zero values: 1 for an indicator) so the L2 penalty does not depend on
  a feature's unit. New points = coefficient x scale, where the scale makes
  the highest total of the fitted rules (the sum over rules of their best
  positive points x reach) equal to today's, unless `--scale` gives the
  points per unit of log-odds. Rounded to `--decimals` (0: integers).
- Scores after calibration are computed like the engine does: group sums
  (fitted points x features plus the kept rules' real contributions),
  group min/max, the clamp, disqualified leads at the floor. With today's
  points this reproduces the engine's scores, which is checked.
- Cross-validation: `StratifiedKFold(k, shuffle=True, random_state=0)`;
  each fold is fitted on the others and scored held out. The AUCs reported
  are the mean over folds; per-tier and per-threshold figures pool the
  held-out leads. Thresholds (`--thresholds`, leadscore/evaluation/thresholds.py) are
  chosen in each fold on its training leads, as on all leads for the file.
"""

from __future__ import annotations

import attrs

from . import thresholds as thr
from .backtest import auc as _auc


class CalibrationError(Exception):
    """The data cannot be fitted (one class only, too few leads, nothing to fit)."""


@attrs.define
class Feature:
    scope: str
    rule: str
    arm: int | None          # None: a condition or each rule
    text: str                # the arm as written, "fires" or "per event"
    old: float
    group: str | None        # global group name, None when ungrouped
    kind: str = "condition"  # condition, each, arm
    decayed: bool = False
    caps: dict = attrs.Factory(dict)       # {per: N}: `max N` (per False), `max N per D` (per True)
    support: int = 0
    conversions: int = 0
    fitted: bool = True
    new: float = 0.0
    new_caps: dict = attrs.Factory(dict)

    @property
    def key(self) -> tuple:
        return (self.scope, self.rule, self.arm)

    @property
    def unit(self) -> int:
        """Its points in the probe model."""
        return 1 if self.arm is None else self.arm + 1

    def to_dict(self) -> dict:
        return {"scope": self.scope, "rule": self.rule, "arm": self.arm, "text": self.text, "kind": self.kind,
                "decayed": self.decayed, "old": self.old, "new": self.new, "fitted": self.fitted,
                "leads": self.support, "conversions": self.conversions,
                "caps": _caps_dict(self.caps), "new_caps": _caps_dict(self.new_caps)}


def _caps_dict(caps: dict) -> dict:
    return {("max_per" if per else "max"): n for per, n in caps.items()}


@attrs.define
class Kept:
    scope: str
    rule: str
    why: str


# ---- what is fitted -----------------------------------------------------------------

def select(model, keep=(), only=()):
    """(features, kept rules) of an ir.Model."""
    features, kept = [], []
    for rule, _ in model.all_rules():
        why = kept_because(rule, set(keep), set(only))
        if why:
            kept.append(Kept(rule.scope.label, rule.name, why))
        else:
            features.extend(features_of(rule))
    return features, kept


def kept_because(rule, keep: set, only: set) -> str | None:
    """Why a rule keeps its points, or None when it is fitted."""
    capped = rule.max_total is not None or rule.max_per is not None
    if rule.scope.kind != "global":
        return f"{rule.scope.kind} rule"
    if rule.name in keep:
        return "--keep"
    if only and (rule.scope.group or "global") not in only:
        return "outside --only"
    if rule.kind == "table" and capped:
        return "table rule with `max` (a cap on arms is not linear in their points)"
    if capped and rule.points == 0:
        return "worth 0 with `max` (no number of events to keep)"
    return None


def features_of(rule) -> list:
    scope, group, decayed = rule.scope.label, rule.scope.group, rule.decay is not None
    if rule.kind == "table":
        return [Feature(scope, rule.name, i, arm.text, arm.points, group, "arm", decayed)
                for i, arm in enumerate(rule.arms)]
    caps = {}
    if rule.max_total is not None:
        caps[False] = rule.max_total
    if rule.max_per is not None:
        caps[True] = rule.max_per[0]
    text = "per event" if rule.kind == "each" else "fires"
    return [Feature(scope, rule.name, None, text, rule.points, group, rule.kind, decayed, caps)]


# ---- the model's text: the probe and the output ---------------------------------------

def edit(text: str, filename: str, points=None, caps=None, thresholds=None) -> str:
    """The model's text with points, caps and thresholds changed through the formatter
    (`map_points`, `map_caps`, `map_thresholds`: same callbacks); every other line kept."""
    from ..dsl.format import format_tree, map_caps, map_points, map_thresholds, parse_tree
    from ..dsl.source import Source
    source = Source(text, filename)
    tree = parse_tree(source)
    for change, mapper in ((points, map_points), (caps, map_caps), (thresholds, map_thresholds)):
        if change is not None:
            tree = mapper(tree, change)
    return format_tree(tree, source)


def probe_text(text: str, filename: str, features) -> str:
    """The model's text with every fitted rule worth its unit and its caps counted in units."""
    by_key = {f.key: f for f in features}

    def points(scope, rule, arm, p):
        f = by_key.get((scope, rule, arm))
        return None if f is None else f.unit

    def caps(scope, rule, per, limit):
        f = by_key.get((scope, rule, None))
        return None if f is None else limit / abs(f.old)
    return edit(text, filename, points, caps)


def rewrite(text: str, filename: str, features, targets=()) -> str:
    """The model's text with the fitted features' new points and caps and the targets' new thresholds."""
    by_key = {f.key: f for f in features if f.fitted}
    lines = {t.line: t.new for t in targets if t.new != t.old}

    def points(scope, rule, arm, p):
        f = by_key.get((scope, rule, arm))
        return None if f is None else f.new

    def caps(scope, rule, per, limit):
        f = by_key.get((scope, rule, None))
        return None if f is None else f.new_caps.get(per)

    def thresholds(scope, line, value):
        return _as_number(lines[line]) if scope == "global" and line in lines else None
    return edit(text, filename, points, caps, thresholds)


# ---- the data, from two runs of the engine -------------------------------------------

@attrs.define
class Data:
    """The features and what the engine said, for leads with a known outcome."""

    X: object                # n x features: each feature's value for each lead
    y: object                # n, 0/1
    before: object           # n, today's scores from the engine
    groups_before: dict      # global group name → n-vector of today's group scores
    fixed: dict              # scope label → n-vector of the kept rules' contributions
    disqualified: object     # n, bool
    tiers_before: list
    used: list = attrs.Factory(list)   # the read position of each lead used


def feature_values(probe_result, rules_by_key, index) -> list:
    """(feature index, value) of the features that are not 0 for one lead, from the probe's result."""
    out = []
    for c in probe_result.contributions:
        info = rules_by_key.get((c.scope, c.rule))
        if info is None:
            continue
        kind, reason, arms, decayed = info
        if kind != "table":
            out.append((index[(c.scope, c.rule, None)], c.points))
            continue
        arm = arm_of(c, reason, arms, decayed)
        j = index.get((c.scope, c.rule, arm))
        if j is not None:
            out.append((j, c.points / (arm + 1)))
    return out


def arm_of(contribution, reason: str, arms, decayed: bool) -> int:
    """The arm of a table rule a probe contribution came from: by its reason, else by its value."""
    hits = [i for i, a in enumerate(arms) if contribution.reason == f"{reason}: {a.text}"]
    if len(hits) == 1:
        return hits[0]
    if decayed:
        raise CalibrationError(f"cannot tell the arms of `{contribution.rule}` apart (arms written alike)")
    return round(contribution.points) - 1


def collect(real_pairs, probe_pairs, features, model, outcome_column):
    """Zip the two engine runs into `Data`; (data, leads read, leads without an outcome)."""
    import numpy as np

    from .backtest import read_outcome
    wanted = {(f.scope, f.rule) for f in features}
    rules_by_key = {(r.scope.label, r.name): (r.kind, r.reason, r.arms, r.decay is not None)
                    for r, _ in model.all_rules() if (r.scope.label, r.name) in wanted}
    index = {f.key: j for j, f in enumerate(features)}
    group_names = [g.name for g in model.groups]
    rows, ys, before, groups, fixed, disq, tiers, used = [], [], [], [], [], [], [], []
    read = missing = 0
    seen_column = False
    for (lead, result), (lead2, probe) in zip(real_pairs, probe_pairs):
        read += 1
        if lead.id != lead2.id:
            raise CalibrationError("internal error: the two scoring runs read the leads in different orders")
        seen_column = seen_column or outcome_column in lead.raw
        outcome = read_outcome(lead.raw.get(outcome_column))
        if outcome is None:
            missing += 1
            continue
        used.append(read - 1)
        rows.append(feature_values(probe, rules_by_key, index))
        ys.append(1 if outcome else 0)
        before.append(result.score)
        groups.append([result.groups.get(g, 0.0) for g in group_names])
        f = {}
        for c in result.contributions:
            if (c.scope, c.rule) not in wanted:
                f[c.scope] = f.get(c.scope, 0.0) + c.points
        fixed.append(f)
        disq.append(bool(result.disqualified))
        tiers.append(result.tier)
    if read and not seen_column:
        raise CalibrationError(f"no outcome column `{outcome_column}` in the leads")
    n = len(ys)
    X = np.zeros((n, len(features)))
    for i, values in enumerate(rows):
        for j, value in values:
            X[i, j] = value
    groups = np.array(groups, dtype=float).reshape(n, len(group_names))
    scopes = {s for f in fixed for s in f}
    data = Data(X, np.array(ys, dtype=int), np.array(before, dtype=float),
                {g: groups[:, k] for k, g in enumerate(group_names)},
                {s: np.array([f.get(s, 0.0) for f in fixed]) for s in scopes},
                np.array(disq, dtype=bool), tiers, used)
    return data, read, missing


# ---- scores as the engine adds them up ------------------------------------------------

@attrs.define
class Scores:
    total: object            # n
    groups: dict             # global group name → n


def emulate(points, data: Data, features, model) -> Scores:
    """Each lead's total and global group scores with `points` (one per feature), as the engine adds them up."""
    import numpy as np
    X = data.X
    n = X.shape[0]
    by_group: dict = {}
    for j, f in enumerate(features):
        by_group.setdefault(f.group, []).append(j)

    def part(cols):
        return X[:, cols] @ points[cols] if cols else np.zeros(n)
    total, groups = np.zeros(n), {}
    for g in model.groups:
        raw = part(by_group.get(g.name, [])) + data.fixed.get(g.scope.label, 0.0)
        if g.min is not None:
            raw = np.maximum(raw, g.min)
        if g.max is not None:
            raw = np.minimum(raw, g.max)
        groups[g.name] = raw
        total += raw
    total += part(by_group.get(None, [])) + data.fixed.get("global", 0.0) + data.fixed.get("account", 0.0)
    if model.clamp:
        low, high = model.clamp
        if low is not None:
            total = np.maximum(total, low)
        if high is not None:
            total = np.minimum(total, high)
    return Scores(np.where(data.disqualified, model.floor, total), groups)


def auc_of(scores, y) -> float | None:
    pairs = sorted(zip((float(s) for s in scores), (bool(o) for o in y)), key=lambda p: -p[0])
    return _auc(pairs)


# ---- the fit --------------------------------------------------------------------------

def reach(X):
    """Per feature, the 99th percentile of its non-zero values (1 for an indicator; 1 if never non-zero)."""
    import numpy as np
    out = np.ones(X.shape[1])
    for j in range(X.shape[1]):
        values = X[:, j][X[:, j] > 0]
        if values.size:
            out[j] = float(np.percentile(values, 99))
    return out


def max_total(values, features, reaches) -> float:
    """The highest total the features' rules add: per rule its best positive points x reach."""
    best: dict = {}
    for v, f, r in zip(values, features, reaches):
        k = (f.scope, f.rule)
        best[k] = max(best.get(k, 0.0), float(v) * float(r))
    return sum(best.values())


def shift_exhaustive(coef, X, features):
    """`coef` with each table rule whose arms cover every lead (exactly one arm each, worth 1)
    shifted so that its lowest arm is 0.

    Adding one constant to every arm of such a rule adds it to every lead's
    score, so the ranking is the same; without the shift the fitted points
    are centred on 0 and many totals would fall under the clamp's floor. A
    rule that decays is not shifted: its arms are worth a decay factor, so
    the constant would not be the same for every lead.
    """
    import numpy as np
    coef = np.array(coef, dtype=float)
    by_rule: dict = {}
    for j, f in enumerate(features):
        if f.arm is not None:
            by_rule.setdefault((f.scope, f.rule), []).append(j)
    for cols in by_rule.values():
        if len(X) and np.all(X[:, cols].sum(axis=1) == 1):
            coef[cols] -= coef[cols].min()
    return coef


def fit_points(X, y, features, *, scale=None, decimals=0, C=1.0):
    """New points for every feature (held features keep theirs), from one fit."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    fitted = np.array([f.fitted for f in features], dtype=bool)
    old = np.array([f.old for f in features], dtype=float)
    points = old.copy()
    if not fitted.any():
        return points
    fitted_features = [f for f, on in zip(features, fitted) if on]
    Xf = X[:, fitted]
    reaches = reach(Xf)
    model = LogisticRegression(C=C, max_iter=1000)
    model.fit(Xf / reaches, y)
    coef = shift_exhaustive(model.coef_[0] / reaches, Xf, fitted_features)
    if scale is None:
        new_max = max_total(coef, fitted_features, reaches)
        old_max = max_total(old[fitted], fitted_features, reaches)
        scale = old_max / new_max if new_max > 0 and old_max > 0 else 10.0
    points[fitted] = np.round(coef * scale, decimals)
    return points


def scaled_caps(f: Feature, decimals: int) -> dict:
    """The caps to write with a fitted feature's new points: the same number of events count."""
    if not f.fitted or not f.new or not f.caps:
        return {}
    return {per: _as_number(round(n * abs(f.new) / abs(f.old), decimals)) for per, n in f.caps.items()}


def _as_number(x):
    x = float(x)
    return int(x) if x.is_integer() else x


# ---- the report -----------------------------------------------------------------------

@attrs.define
class Tier:
    name: str
    leads: int
    conversions: int

    @property
    def rate(self):
        return self.conversions / self.leads if self.leads else None

    def to_dict(self) -> dict:
        return {"tier": self.name, "leads": self.leads, "conversions": self.conversions}


@attrs.define
class Report:
    leads_read: int
    used: int
    missing_outcome: int
    conversions: int
    folds: int
    auc_before: float | None
    auc_after: float | None
    fold_aucs: list
    tiers_before: list
    tiers_after: list
    features: list
    kept: list
    warnings: list
    scale_note: str
    mismatches: int
    targets: list = attrs.Factory(list)
    threshold_notes: list = attrs.Factory(list)
    suggested: bool = False
    rescored: tuple | None = None        # (leads differing, largest difference) of `verify`

    def text(self) -> str:
        out = []
        out.append(f"leads read: {self.leads_read}; used: {self.used} "
                   f"({self.conversions} converted, {_pct(self.conversions / self.used if self.used else None)})")
        if self.missing_outcome:
            out.append(f"left out: {self.missing_outcome} lead(s) with no readable outcome")
        out.append(f"cross-validated ({self.folds}-fold, seed 0), held-out leads only:")
        out.append(f"  AUC before: {_num(self.auc_before)}   after: {_num(self.auc_after)}")
        out.append("  per fold (before → after): " + ", ".join(f"{_num(b)}→{_num(a)}" for b, a in self.fold_aucs))
        if self.tiers_before:
            out.append("per tier (after: held-out scores of the fold models):")
            out.append(f"  {'tier':<12} {'before leads':>12} {'conv':>7} {'after leads':>12} {'conv':>7}")
            for b, a in zip(self.tiers_before, self.tiers_after):
                out.append(f"  {b.name:<12} {b.leads:>12} {_pct(b.rate):>7} {a.leads:>12} {_pct(a.rate):>7}")
        out.extend(self.threshold_lines())
        out.append(f"points ({self.scale_note}):")
        width = max((len(_label(f)) for f in self.features), default=10)
        out.append(f"  {'rule / arm':<{width}} {'old':>6} {'new':>6} {'leads':>6} {'conv':>7}")
        for f in self.features:
            rate = f.conversions / f.support if f.support else None
            out.append(f"  {_label(f):<{width}} {_pts(f.old):>6} {_pts(f.new):>6} {f.support:>6} {_pct(rate):>7}"
                       f"{_note(f)}")
        if self.kept:
            out.append("kept as they are:")
            for k in self.kept:
                out.append(f"  {k.scope}/{k.rule}: {k.why}")
        if self.rescored is not None and not self.rescored[0]:
            out.append(f"re-scored by the engine: the written model gives the fitted scores for all {self.used} leads")
        for w in self.warnings:
            out.append(f"warning: {w}")
        return "\n".join(out)

    def add_rescored(self, differ: int, largest: float) -> None:
        """What `verify` found."""
        self.rescored = (differ, largest)
        if differ:
            self.warnings.append(f"re-scored by the engine, the written model differs from the fitted scores for "
                                 f"{differ} lead(s), by up to {largest:.2f} points (scaled caps are rounded to --decimals); "
                                 "the figures after calibration are approximate for them")

    def threshold_lines(self) -> list:
        if not self.targets and not self.threshold_notes:
            return []
        how = "moved to keep the volume" if self.suggested else "kept; --thresholds moves them to keep the volume"
        out = [f"thresholds ({how}; leads at or above them; conv after: cross-validated):"]
        width = max((len(t.label) for t in self.targets), default=10)
        out.append(f"  {'threshold':<{width}} {'old':>8} {'new':>8} {'leads before':>14} {'leads after':>14} "
                   f"{'conv before':>11} {'conv after':>10}")
        for t in self.targets:
            out.append(f"  {t.label:<{width}} {t.text:>8} {t.new_text:>8} {self._volume(t.before):>14} "
                       f"{self._volume(t.after):>14} {_pct(_rate(t.before_conversions, t.before)):>11} "
                       f"{_pct(_rate(t.held_out_conversions, t.held_out)):>10}")
        out.extend(f"  {t.label}: volume asked {self._volume(t.count)}" for t in self.targets
                   if self.suggested and t.count != t.before)
        out.extend(f"  {note}" for note in self.threshold_notes)
        return out

    def _volume(self, count: int) -> str:
        return f"{count} ({_pct(count / self.used if self.used else None)})"

    def to_dict(self) -> dict:
        return {
            "leads_read": self.leads_read, "leads_used": self.used, "left_out": self.missing_outcome,
            "conversions": self.conversions, "folds": self.folds,
            "cross_validated": {"auc_before": self.auc_before, "auc_after": self.auc_after,
                                "folds": [{"auc_before": b, "auc_after": a} for b, a in self.fold_aucs]},
            "tiers_before": [t.to_dict() for t in self.tiers_before],
            "tiers_after": [t.to_dict() for t in self.tiers_after],
            "thresholds": {"moved": self.suggested, "targets": [t.to_dict() for t in self.targets],
                           "notes": list(self.threshold_notes)},
            "scale": self.scale_note,
            "points": [f.to_dict() for f in self.features],
            "kept": [{"scope": k.scope, "rule": k.rule, "why": k.why} for k in self.kept],
            "rescored": None if self.rescored is None else {"leads_differing": self.rescored[0],
                                                            "largest_difference": self.rescored[1]},
            "warnings": list(self.warnings),
        }


def _label(f: Feature) -> str:
    name = f"{f.rule}" if f.scope == "global" else f"{f.scope}/{f.rule}"
    if f.arm is None:
        return name + (" [each]" if f.kind == "each" else "")
    text = f.text if len(f.text) <= 40 else f.text[:39] + "…"
    return f"{name} [{text}]"


def _note(f: Feature) -> str:
    notes = []
    if not f.fitted:
        notes.append("kept: too few leads")
    if f.decayed:
        notes.append("decays")
    for per, n in f.caps.items():
        cap = "max per period" if per else "max"
        new = f.new_caps.get(per)
        notes.append(f"{cap} {_pts(n).lstrip('+')}" + (f" → {_pts(new).lstrip('+')}" if new is not None else ""))
    return f"  ({'; '.join(notes)})" if notes else ""


def _rate(conversions: int, leads: int):
    return conversions / leads if leads else None


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def _pts(x) -> str:
    from ..dsl.format import points_text
    return points_text(_as_number(x))


# ---- calibrate ------------------------------------------------------------------------

def check_outcomes(y, folds: int) -> list:
    """Warnings about the outcomes; CalibrationError when they cannot be fitted."""
    n, positives = len(y), int(y.sum())
    smaller = min(positives, n - positives)
    if smaller == 0:
        raise CalibrationError("every lead has the same outcome: there is nothing to fit")
    if smaller < folds:
        raise CalibrationError(f"only {smaller} lead(s) in the smaller class: too few for {folds}-fold cross-validation")
    warnings = []
    if n < 200 or smaller < 30:
        warnings.append(f"small data ({n} leads, {smaller} in the smaller class): the fitted points are unreliable")
    if smaller / n < 0.05:
        warnings.append(f"unbalanced outcome ({_pct(positives / n)} converted): the fit may be unreliable")
    return warnings


def measure_support(features, X, y, min_support: int) -> None:
    """Each feature's leads (value not 0) and conversions; below `min_support` it keeps its points."""
    for j, f in enumerate(features):
        on = X[:, j] > 0
        f.support = int(on.sum())
        f.conversions = int(y[on].sum())
        f.fitted = f.support >= max(min_support, 1)
    if not any(f.fitted for f in features):
        raise CalibrationError("no rule has enough leads to fit")


def source_scores(target, scores: Scores, disqualified):
    """The scores a target reads; -inf for the leads that cannot reach it (disqualified ones)."""
    import numpy as np
    values = scores.total if target.source is None else scores.groups[target.source]
    knocked_out = target.source is None or target.line[0] == "qualify"
    return np.where(disqualified, -np.inf, values) if knocked_out else values


def prepare_targets(model, data: Data, mql_volume: str | None) -> tuple[list, list]:
    """The thresholds, each with today's volume on these leads (or `--mql-volume` for the first stage)."""
    targets, notes = thr.targets(model)
    today = Scores(data.before, data.groups_before)
    for t in targets:
        hit = thr.reaches(source_scores(t, today, data.disqualified), t.op, t.old)
        t.before, t.before_conversions = int(hit.sum()), int(data.y[hit].sum())
        t.count = t.before
    if mql_volume is not None:
        first = model.qualify[0].name if model.qualify else None
        stage = next((t for t in targets if t.line == ("qualify", first)), None)
        if stage is None:
            raise CalibrationError("--mql-volume: the model's first `qualify` line must be a plain threshold "
                                   "(`qualify NAME when score >= N`)")
        try:
            stage.count = thr.parse_volume(mql_volume, len(data.y))
        except thr.VolumeError as error:
            raise CalibrationError(str(error)) from None
    return targets, notes


def place_thresholds(targets, scores: Scores, data: Data, rows, move: bool) -> dict:
    """{line: threshold} for `rows` of `scores`: moved to each target's volume (as a share of the rows), or kept."""
    out = {}
    for t in targets:
        value = None
        if move:
            values = source_scores(t, scores, data.disqualified)[rows]
            value = thr.cut(values, round(t.count * len(values) / len(data.y)), t.op)
        out[t.line] = t.old if value is None else value
    return out


def make_increasing(targets, placed: dict) -> list:
    """Raise the thresholds of a tier line that do not increase; warnings for those raised."""
    warnings, lines = [], {}
    for t in targets:
        if t.line[0] == "tiers":
            lines.setdefault(t.line[1], []).append(t)
    for tiers in lines.values():
        values, raised = thr.increasing([placed[t.line] for t in tiers])
        for t, value in zip(tiers, values):
            placed[t.line] = value
        warnings.extend(f"{tiers[i].label}: no calibrated score between it and the tier below at this volume; "
                        f"its threshold is set to {thr.number(values[i])}" for i in raised)
    return warnings


def calibrate(data: Data, features, kept, model, *, folds=5, scale=None, decimals=0, min_support=0,
              leads_read=0, missing=0, thresholds=False, mql_volume=None):
    """Fit on all of `data` (the points written) and cross-validate (the figures reported).

    Returns the written model's scores of the leads (as `emulate` adds them
    up, for `verify`) and the `Report`."""
    X, y = data.X, data.y
    warnings = check_outcomes(y, folds)
    measure_support(features, X, y, min_support)
    targets, notes = prepare_targets(model, data, mql_volume)
    move = thresholds or mql_volume is not None
    fit = {"scale": scale, "decimals": decimals}
    fold_aucs, held = cross_validate(data, features, model, targets, folds, move, fit)
    final = fit_points(X, y, features, **fit)
    warnings += set_points(features, final, decimals)
    written = emulate(final, data, features, model)
    warnings += set_thresholds(targets, written, data, held, move)
    mismatches = unreproduced(data, features, model)
    if mismatches:
        warnings.append(f"{mismatches} lead(s) whose score today the calibration could not reproduce "
                        "(the figures after calibration are approximate for them)")
    tiers_before, tiers_after = tier_tables(model, data, targets, held)
    report = Report(leads_read, len(y), missing, int(y.sum()), folds, _mean(b for b, _ in fold_aucs),
                    _mean(a for _, a in fold_aucs), fold_aucs, tiers_before, tiers_after, features,
                    kept, warnings, scale_note(scale, X, features), mismatches, targets, notes, move)
    return written.total, report


def cross_validate(data: Data, features, model, targets, folds: int, move: bool, fit: dict):
    """Each fold's points fitted on the other folds, its leads scored held out:
    ([(AUC before, AUC after)], {threshold line: held-out leads that reach it})."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold
    X, y = data.X, data.y
    fold_aucs, held = [], {t.line: np.zeros(len(y), dtype=bool) for t in targets}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
        after = emulate(fit_points(X[train], y[train], features, **fit), data, features, model)
        fold_aucs.append((auc_of(data.before[test], y[test]), auc_of(after.total[test], y[test])))
        placed = place_thresholds(targets, after, data, train, move)
        for t in targets:
            held[t.line][test] = thr.reaches(source_scores(t, after, data.disqualified)[test], t.op, placed[t.line])
    return fold_aucs, held


def set_points(features, final, decimals: int) -> list:
    """Give each feature its new points and caps; warnings for the signs that flipped."""
    warnings = []
    for f, p in zip(features, final):
        f.new = _as_number(p)
        f.new_caps = scaled_caps(f, decimals)
        if f.fitted and f.old and f.new and (f.old > 0) != (f.new > 0):
            warnings.append(f"{_label(f)}: sign flipped ({_pts(f.old)} → {_pts(f.new)})")
    return warnings


def set_thresholds(targets, written: Scores, data: Data, held: dict, move: bool) -> list:
    """Give each target its new threshold and its volumes; warnings for tier thresholds raised."""
    import numpy as np
    placed = place_thresholds(targets, written, data, np.arange(len(data.y)), move)
    warnings = make_increasing(targets, placed)
    for t in targets:
        t.new = placed[t.line]
        t.after = int(thr.reaches(source_scores(t, written, data.disqualified), t.op, t.new).sum())
        t.held_out, t.held_out_conversions = int(held[t.line].sum()), int(data.y[held[t.line]].sum())
    return warnings


def unreproduced(data: Data, features, model) -> int:
    """The leads whose engine score today `emulate` does not give with today's points (0 expected)."""
    import numpy as np
    old = np.array([f.old for f in features], dtype=float)
    return int((np.abs(emulate(old, data, features, model).total - data.before) > 1e-6).sum())


def scale_note(scale, X, features) -> str:
    """How the points were scaled, for the report."""
    if scale is not None:
        return f"{scale} per unit of log-odds"
    fitted = [f.fitted for f in features]
    top = max_total([f.old for f in features if f.fitted], [f for f in features if f.fitted], reach(X[:, fitted]))
    return f"scaled so the highest total of the fitted rules stays {_pts(round(top, 2))}"


def tier_tables(model, data: Data, targets, held: dict) -> tuple[list, list]:
    """Leads and conversions per tier of the total: today's, and the held-out leads' after calibration."""
    import numpy as np
    if not model.tiers:
        return [], []
    names = model.tiers.names
    boundaries = [t for t in targets if t.line[:2] == ("tiers", None)]
    index_after = sum((held[t.line].astype(int) for t in boundaries), np.zeros(len(data.y), dtype=int))
    before, after = [], []
    for i, name in enumerate(names):
        b = [t == name for t in data.tiers_before]
        a = index_after == i
        before.append(Tier(name, sum(b), int(sum(o for o, m in zip(data.y, b) if m))))
        after.append(Tier(name, int(a.sum()), int(data.y[a].sum())))
    return before, after


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def verify(pairs, data: Data, expected) -> tuple[int, float]:
    """(leads whose engine score differs from `expected`, the largest difference): the written
    model re-scored by the engine, on the leads used."""
    used = dict(zip(data.used, expected))
    differ, largest = 0, 0.0
    for position, (_, result) in enumerate(pairs):
        if position in used:
            gap = abs(result.score - float(used[position]))
            if gap > 1e-6:
                differ += 1
                largest = max(largest, gap)
    return differ, largest
