"""`leadscore calibrate`: fit a model's points to past outcomes (docs/calibrate.md).

Method, in short:

- Features. One 0/1 indicator per condition rule (it fired) and per table
  arm (that arm matched). They are read off the real scoring engine: the
  model is compiled a second time as a *probe* in which every fitted
  condition rule is worth +1 and arm i of every fitted table rule is worth
  i + 1, so every arm (even one worth 0 today) shows in `contributions`;
  the arm is identified by its reason (`REASON: ARM TEXT`), else by its
  probe value.
- Fitted: global-scope condition and table rules (ungrouped or in a global
  group) without `decay`. Kept (points unchanged, listed): each-rules,
  rules with decay, account and campaign rules, `--keep` rules, rules
  outside `--only` groups, and arms with fewer than `--min-support` leads.
- Fit: scikit-learn `LogisticRegression(C=1.0, max_iter=1000)` on the
  fitted indicators. New points = coefficient x scale, where the scale
  makes the highest possible total of the fitted rules (the sum over rules
  of their best positive points) equal to today's, unless `--scale` gives
  the points per unit of log-odds. Rounded to `--decimals` (0: integers).
- Scores after calibration are computed like the engine does: group sums
  (fitted points plus the kept rules' real contributions), group min/max,
  the clamp, disqualified leads at the floor. With today's points this
  reproduces the engine's scores, which is checked (`check_mismatches`).
- Cross-validation: `StratifiedKFold(k, shuffle=True, random_state=0)`;
  each fold is fitted on the others and scored held out. The AUCs reported
  are the mean over folds; per-tier figures pool the held-out scores.
"""

from __future__ import annotations

import attrs

from .backtest import auc as _auc


class CalibrationError(Exception):
    """The data cannot be fitted (one class only, too few leads, nothing to fit)."""


@attrs.define
class Feature:
    scope: str
    rule: str
    arm: int | None          # None: a condition rule
    text: str                # the arm as written, or "fires"
    old: float
    group: str | None        # global group name, None when ungrouped
    support: int = 0
    conversions: int = 0
    fitted: bool = True
    new: float = 0.0

    @property
    def key(self) -> tuple:
        return (self.scope, self.rule, self.arm)


@attrs.define
class Kept:
    scope: str
    rule: str
    why: str


def select(model, keep=(), only=()):
    """(features, kept rules) of an ir.Model."""
    keep, only = set(keep), set(only)
    features, kept = [], []
    for rule, group in model.all_rules():
        scope = rule.scope.label
        why = None
        if rule.scope.kind != "global":
            why = f"{rule.scope.kind} rule"
        elif rule.kind == "each":
            why = "each-rule (not fitted in this version)"
        elif rule.decay is not None:
            why = "has decay"
        elif rule.name in keep:
            why = "--keep"
        elif only and (rule.scope.group or "global") not in only:
            why = "outside --only"
        if why:
            kept.append(Kept(scope, rule.name, why))
            continue
        gname = rule.scope.group
        if rule.kind == "condition":
            features.append(Feature(scope, rule.name, None, "fires", rule.points, gname))
        else:
            for i, arm in enumerate(rule.arms):
                features.append(Feature(scope, rule.name, i, arm.text, arm.points, gname))
    return features, kept


def probe_text(text: str, filename: str, features) -> str:
    """The model's text with every fitted rule's points replaced by probe values."""
    from ..dsl.format import format_tree, parse_tree
    from ..dsl.source import Source
    source = Source(text, filename)
    wanted = {(f.scope, f.rule, f.arm) for f in features}

    def change(scope, rule, arm, p):
        if (scope, rule, arm) not in wanted:
            return None
        return 1 if arm is None else arm + 1
    from ..dsl.format import map_points
    return format_tree(map_points(parse_tree(source), change), source)


def rewrite(text: str, filename: str, points: dict) -> str:
    """The model's text with new points, {(scope, rule, arm): value}; every other line kept."""
    from ..dsl.format import format_tree, map_points, parse_tree
    from ..dsl.source import Source
    source = Source(text, filename)
    return format_tree(map_points(parse_tree(source), lambda s, r, a, p: points.get((s, r, a))), source)


@attrs.define
class Data:
    """The design matrix and what the engine said, for leads with a known outcome."""

    X: object                # n x features, 0/1
    y: object                # n, 0/1
    before: object           # n, today's scores from the engine
    fixed: dict              # scope label → n-vector of the kept rules' contributions
    disqualified: object     # n, bool
    tiers_before: list


def indicators(features, probe_result, rules_by_key) -> list:
    """The feature indices that are on for one lead, from the probe model's result."""
    index = {f.key: j for j, f in enumerate(features)}
    on = []
    for c in probe_result.contributions:
        info = rules_by_key.get((c.scope, c.rule))
        if info is None:
            continue
        kind, reason, arms = info
        if kind == "condition":
            on.append(index[(c.scope, c.rule, None)])
            continue
        arm = None
        hits = [i for i, a in enumerate(arms) if c.reason == f"{reason}: {a.text}"]
        if len(hits) == 1:
            arm = hits[0]
        else:
            arm = int(round(c.points)) - 1
        if (c.scope, c.rule, arm) in index:
            on.append(index[(c.scope, c.rule, arm)])
    return on


def emulate(points, data: Data, features, model):
    """Each lead's total with `points` (one per feature), as the engine adds it up."""
    import numpy as np
    X = data.X
    n = X.shape[0]
    total = np.zeros(n)
    groups = {g.name: g for g in model.groups}
    by_group: dict = {}
    for j, f in enumerate(features):
        by_group.setdefault(f.group, []).append(j)
    for name, g in groups.items():
        cols = by_group.get(name, [])
        raw = (X[:, cols] @ points[cols] if cols else np.zeros(n)) + data.fixed.get(g.scope.label, 0.0)
        if g.min is not None:
            raw = np.maximum(raw, g.min)
        if g.max is not None:
            raw = np.minimum(raw, g.max)
        total += raw
    cols = by_group.get(None, [])
    if cols:
        total += X[:, cols] @ points[cols]
    total += data.fixed.get("global", 0.0) + data.fixed.get("account", 0.0)
    if model.clamp:
        low, high = model.clamp
        if low is not None:
            total = np.maximum(total, low)
        if high is not None:
            total = np.minimum(total, high)
    return np.where(data.disqualified, model.floor, total)


def auc_of(scores, y) -> float | None:
    pairs = sorted(zip((float(s) for s in scores), (bool(o) for o in y)), key=lambda p: -p[0])
    return _auc(pairs)


def max_total(values, features) -> float:
    """The highest total the features' rules can add: per rule its best positive points."""
    best: dict = {}
    for v, f in zip(values, features):
        k = (f.scope, f.rule)
        best[k] = max(best.get(k, 0.0), float(v))
    return sum(best.values())


def shift_exhaustive(coef, X, features):
    """`coef` with each table rule whose arms cover every lead (exactly one arm each)
    shifted so that its lowest arm is 0.

    Adding one constant to every arm of such a rule adds it to every lead's
    score, so the ranking is the same; without the shift the fitted points
    are centred on 0 and many totals would fall under the clamp's floor.
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
    model = LogisticRegression(C=C, max_iter=1000)
    model.fit(X[:, fitted], y)
    coef = model.coef_[0]
    fitted_features = [f for f, on in zip(features, fitted) if on]
    coef = shift_exhaustive(coef, X[:, fitted], fitted_features)
    if scale is None:
        new_max = max_total(coef, fitted_features)
        old_max = max_total(old[fitted], fitted_features)
        scale = old_max / new_max if new_max > 0 and old_max > 0 else 10.0
    new = coef * scale
    new = np.round(new, decimals) if decimals else np.round(new)
    points[fitted] = new
    return points


@attrs.define
class Tier:
    name: str
    leads: int
    conversions: int

    @property
    def rate(self):
        return self.conversions / self.leads if self.leads else None


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
        out.append(f"points ({self.scale_note}):")
        width = max((len(_label(f)) for f in self.features), default=10)
        out.append(f"  {'rule / arm':<{width}} {'old':>6} {'new':>6} {'leads':>6} {'conv':>7}")
        for f in self.features:
            rate = f.conversions / f.support if f.support else None
            note = "" if f.fitted else "  (kept: too few leads)"
            out.append(f"  {_label(f):<{width}} {_pts(f.old):>6} {_pts(f.new):>6} {f.support:>6} {_pct(rate):>7}{note}")
        if self.kept:
            out.append("kept as they are:")
            for k in self.kept:
                out.append(f"  {k.scope}/{k.rule}: {k.why}")
        for w in self.warnings:
            out.append(f"warning: {w}")
        return "\n".join(out)


def _label(f: Feature) -> str:
    name = f"{f.rule}" if f.scope == "global" else f"{f.scope}/{f.rule}"
    if f.arm is None:
        return name
    text = f.text if len(f.text) <= 40 else f.text[:39] + "…"
    return f"{name} [{text}]"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def _pts(x) -> str:
    from ..dsl.format import points_text
    return points_text(int(x) if float(x).is_integer() else float(x))


def calibrate(data: Data, features, kept, model, *, folds=5, scale=None, decimals=0, min_support=0,
              leads_read=0, missing=0):
    """Fit on all of `data` (the points written) and cross-validate (the figures reported)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold
    X, y = data.X, data.y
    n = len(y)
    positives = int(y.sum())
    negatives = n - positives
    warnings = []
    if positives == 0 or negatives == 0:
        raise CalibrationError("every lead has the same outcome: there is nothing to fit")
    if min(positives, negatives) < folds:
        raise CalibrationError(f"only {min(positives, negatives)} lead(s) in the smaller class: "
                               f"too few for {folds}-fold cross-validation")
    if n < 200 or min(positives, negatives) < 30:
        warnings.append(f"small data ({n} leads, {min(positives, negatives)} in the smaller class): "
                        "the fitted points are unreliable")
    if min(positives, negatives) / n < 0.05:
        warnings.append(f"unbalanced outcome ({_pct(positives / n)} converted): the fit may be unreliable")
    for j, f in enumerate(features):
        col = X[:, j].astype(bool)
        f.support = int(col.sum())
        f.conversions = int(y[col].sum())
        f.fitted = f.support >= max(min_support, 1)
    if not any(f.fitted for f in features):
        raise CalibrationError("no rule has enough leads to fit")

    fold_aucs, held_out = [], np.zeros(n)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    for train, test in splitter.split(X, y):
        points = fit_points(X[train], y[train], features, scale=scale, decimals=decimals)
        after = emulate(points, data, features, model)
        held_out[test] = after[test]
        fold_aucs.append((auc_of(data.before[test], y[test]), auc_of(after[test], y[test])))
    final = fit_points(X, y, features, scale=scale, decimals=decimals)
    for f, p in zip(features, final):
        f.new = int(p) if float(p).is_integer() else float(p)
        if f.fitted and f.old and f.new and (f.old > 0) != (f.new > 0):
            warnings.append(f"{_label(f)}: sign flipped ({_pts(f.old)} → {_pts(f.new)})")

    old = np.array([f.old for f in features], dtype=float)
    mismatches = int((np.abs(emulate(old, data, features, model) - data.before) > 1e-6).sum())
    if mismatches:
        warnings.append(f"{mismatches} lead(s) whose score today the calibration could not reproduce "
                        "(the figures after calibration are approximate for them)")

    tiers_before, tiers_after = [], []
    if model.tiers:
        names = model.tiers.names
        after_tiers = [model.tiers.tier_of(s) if not d else names[0] for s, d in zip(held_out, data.disqualified)]
        for name in names:
            b = [t == name for t in data.tiers_before]
            a = [t == name for t in after_tiers]
            tiers_before.append(Tier(name, sum(b), int(sum(o for o, m in zip(y, b) if m))))
            tiers_after.append(Tier(name, sum(a), int(sum(o for o, m in zip(y, a) if m))))

    def mean(xs):
        xs = [x for x in xs if x is not None]
        return sum(xs) / len(xs) if xs else None

    scale_note = (f"{scale} per unit of log-odds" if scale is not None
                  else "scaled so the highest possible total of the fitted rules stays "
                       f"{_pts(max_total(old[[f.fitted for f in features]], [f for f in features if f.fitted]))}")
    return final, Report(leads_read, n, missing, positives, folds, mean(b for b, _ in fold_aucs),
                         mean(a for _, a in fold_aucs), fold_aucs, tiers_before, tiers_after, features,
                         kept, warnings, scale_note, mismatches)


def collect(real_pairs, probe_pairs, features, model, outcome_column):
    """Zip the two engine runs into `Data`; (data, leads read, leads without an outcome)."""
    import numpy as np
    from .backtest import read_outcome
    rules_by_key = {(r.scope.label, r.name): (r.kind, r.reason, r.arms) for r, _ in model.all_rules()}
    wanted = {(f.scope, f.rule) for f in features}
    rules_by_key = {k: v for k, v in rules_by_key.items() if k in wanted}
    rows, ys, before, fixed, disq, tiers = [], [], [], [], [], []
    read = missing = 0
    seen_column = False
    for (lead, result), (lead2, probe) in zip(real_pairs, probe_pairs):
        read += 1
        if lead.id != lead2.id:
            raise CalibrationError("internal error: the two scoring runs read the leads in different orders")
        raw = lead.raw.get(outcome_column)
        seen_column = seen_column or outcome_column in lead.raw
        outcome = read_outcome(raw)
        if outcome is None:
            missing += 1
            continue
        rows.append(indicators(features, probe, rules_by_key))
        ys.append(1 if outcome else 0)
        before.append(result.score)
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
    for i, on in enumerate(rows):
        X[i, on] = 1.0
    scopes = {s for f in fixed for s in f}
    fixed_vectors = {s: np.array([f.get(s, 0.0) for f in fixed]) for s in scopes}
    data = Data(X, np.array(ys, dtype=int), np.array(before, dtype=float), fixed_vectors,
                np.array(disq, dtype=bool), tiers)
    return data, read, missing

