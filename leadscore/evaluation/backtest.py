"""Backtest metrics (INTERFACE.md §7): how well a score ranks leads whose outcome is known.

Pure computation. It is handed one `Record` per scored lead — its score,
its outcome (True, False, or None when unknown), its tier, the stages it
reached and its place in the input — and returns a `Backtest` with
`to_dict()` (the JSON form) and `text()`. It knows nothing of files,
command lines or models; `read_outcome` is the one rule for what an
outcome value means. `measure` is the one door from a scoring run: it
takes a batch's (lead, result) pairs and the model, reads each lead's
outcome from its raw row and computes (what `leadscore backtest` prints).

Definitions (each is tested against a hand computation):

- Leads whose outcome is None are left out of every metric and counted
  (`excluded`), split into "no value" and "a value that reads as neither".
- ROC AUC is the Mann–Whitney statistic: the share of (converted, not
  converted) pairs in which the converted lead has the higher score, a tie
  counting half. Computed exactly, in O(n log n): leads grouped by equal
  score, counted in integers, divided once. None (with a note) when every
  lead has the same outcome.
- Deciles: leads sorted by score, highest first, ties kept in input order,
  cut into ten groups of equal size, the first `n % 10` groups one larger.
  Lift is a group's conversion rate over the overall rate.
- Per stage: precision (the stage's conversion rate) and recall (its share
  of all conversions); and the cut-off on the score alone that qualifies the
  same number of leads: the score of the k-th highest lead, where k is the
  stage's volume. Every lead tied at that score is in, so on tied scores the
  cut-off can qualify a few more than k; its volume is reported with it.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Iterable, Sequence

import attrs

from ..batch.io import detect_format
from ..runtime.values import BAD, format_time, is_blank, to_bool

#: An outcome is read as a bool (runtime/values.py's words), or as won/lost.
_OUTCOME_WORDS = {"won": True, "lost": False}


def read_outcome(raw) -> bool | None:
    """An outcome value → True (converted), False (not), or None (unknown).

    Read like a bool — true/false, yes/no, y/n, 1/0 in any case, with
    surrounding spaces ignored, or a JSON boolean or the numbers 1 and 0 —
    or as won/lost.
    """
    if isinstance(raw, str) and (word := raw.strip().casefold()) in _OUTCOME_WORDS:
        return _OUTCOME_WORDS[word]
    value = to_bool(raw)
    return None if value is BAD else value


#: No outcome at all: absent, null, blank text or NaN (as opposed to an unreadable one).
is_missing = is_blank


@attrs.frozen
class Record:
    """One scored lead, as the backtest sees it."""

    score: float
    outcome: bool | None
    tier: str | None = None
    stages: tuple = ()
    order: int = 0                   # its place in the input: ties keep this order
    raw_outcome: object = None       # what the file said, for counting the left-out leads
    disqualified: bool = False


@attrs.frozen
class Stage:
    """A `qualify` line of the model: its name and its condition as written."""

    name: str
    condition: str = ""


# ---- results ---------------------------------------------------------------------

@attrs.frozen
class Excluded:
    missing: int = 0
    unreadable: int = 0
    values: tuple = ()               # ((text, count), ...) of the unreadable values, most common first

    @property
    def leads(self) -> int:
        return self.missing + self.unreadable

    def to_dict(self) -> dict:
        return {"leads": self.leads, "missing": self.missing, "unreadable": self.unreadable,
                "values": dict(self.values)}


@attrs.frozen
class Segment:
    """A tier: its leads and how many converted."""

    name: str
    leads: int
    conversions: int
    rate: float | None
    share_of_leads: float | None
    share_of_conversions: float | None
    lift: float | None

    def to_dict(self) -> dict:
        return {"leads": self.leads, "conversions": self.conversions, "rate": self.rate,
                "share_of_leads": self.share_of_leads, "share_of_conversions": self.share_of_conversions,
                "lift": self.lift}


@attrs.frozen
class Cutoff:
    """`score >= score` on the score alone, and what it would qualify."""

    score: float
    leads: int
    conversions: int
    precision: float | None
    recall: float | None

    def to_dict(self) -> dict:
        return {"score": self.score, "leads": self.leads, "conversions": self.conversions,
                "precision": self.precision, "recall": self.recall}


@attrs.frozen
class StageResult:
    name: str
    condition: str
    leads: int
    conversions: int
    precision: float | None          # = the stage's conversion rate
    recall: float | None
    lift: float | None
    same_volume: Cutoff | None       # None when the stage qualifies no lead

    def to_dict(self) -> dict:
        return {"condition": self.condition, "leads": self.leads, "conversions": self.conversions,
                "rate": self.precision, "recall": self.recall, "lift": self.lift}

    def threshold_dict(self) -> dict:
        return {"condition": self.condition, "leads": self.leads, "precision": self.precision,
                "recall": self.recall,
                "same_volume": self.same_volume.to_dict() if self.same_volume else None}


@attrs.frozen
class Decile:
    decile: int                      # 1 = the highest scores
    leads: int
    conversions: int
    rate: float | None
    lift: float | None
    min_score: float | None
    max_score: float | None
    cumulative_leads: int
    cumulative_conversions: int
    gain: float | None               # cumulative share of all conversions

    def to_dict(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class Backtest:
    leads: int
    conversions: int
    rate: float | None
    auc: float | None
    excluded: Excluded
    disqualified: int
    tiers: tuple
    stages: tuple
    deciles: tuple
    notes: tuple
    meta: dict = attrs.field(factory=dict)
    # (score, outcome) of the included leads, highest score first, ties in input order
    ranked: tuple = attrs.field(default=(), repr=False, eq=False)

    # ---- curves for the report -----------------------------------------------------

    def gains(self) -> list:
        """The gains curve: (share of leads, share of conversions, score) at each distinct
        score, highest first, from (0, 0). Tied leads enter together."""
        n, positives = self.leads, self.conversions
        points = [(0.0, 0.0, None)]
        if not n:
            return points
        taken = converted = 0
        for score, group in groupby(self.ranked, key=lambda item: item[0]):
            for _, outcome in group:
                taken += 1
                converted += outcome
            points.append((taken / n, converted / positives if positives else 0.0, score))
        return points

    def scores(self, outcome: bool) -> list:
        """The scores of the leads with this outcome."""
        return [score for score, o in self.ranked if o is outcome]

    # ---- output --------------------------------------------------------------------

    def to_dict(self) -> dict:
        out = dict(self.meta)
        out.update({
            "leads": self.leads,
            "conversions": self.conversions,
            "rate": self.rate,
            "auc": self.auc,
            "excluded": self.excluded.to_dict(),
            "disqualified": self.disqualified,
            "tiers": {t.name: t.to_dict() for t in self.tiers},
            "stages": {s.name: s.to_dict() for s in self.stages},
            "thresholds": {s.name: s.threshold_dict() for s in self.stages},
            "deciles": [d.to_dict() for d in self.deciles],
            "notes": list(self.notes),
        })
        return out

    def text(self) -> str:
        return _text(self)


# ---- the computation -------------------------------------------------------------

def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _lift(rate: float | None, overall: float | None) -> float | None:
    return rate / overall if rate is not None and overall else None


def auc(ranked: Sequence) -> float | None:
    """Exact ROC AUC (Mann–Whitney, ties half) of (score, outcome) pairs sorted by score.

    Equal scores must be adjacent (any sort by score does that). None when
    either class is empty.
    """
    twice_u = negatives_below = positives = negatives = 0
    # walk from the lowest score up; each group is one score value
    for _, group in groupby(reversed(ranked), key=lambda item: item[0]):
        p = q = 0
        for _, outcome in group:
            if outcome:
                p += 1
            else:
                q += 1
        twice_u += 2 * p * negatives_below + p * q
        negatives_below += q
        positives += p
        negatives += q
    if not positives or not negatives:
        return None
    return twice_u / (2 * positives * negatives)


def decile_sizes(n: int) -> list:
    """Ten group sizes for n leads: equal, the first n % 10 one larger."""
    base, extra = divmod(n, 10)
    return [base + (1 if i < extra else 0) for i in range(10)]


def compute(records: Iterable[Record], *, tiers: Sequence[str] = (), stages: Sequence = (),
            meta: dict | None = None) -> Backtest:
    """The backtest of these records. `tiers` are the model's tier names in declared
    order; `stages` its `qualify` lines (`Stage`s, or names)."""
    stages = [s if isinstance(s, Stage) else Stage(str(s)) for s in stages]
    included = []
    missing = 0
    unreadable: Counter = Counter()
    disqualified = 0
    for record in records:
        if record.outcome is None:
            if is_missing(record.raw_outcome):
                missing += 1
            else:
                unreadable[_shown(record.raw_outcome)] += 1
            continue
        included.append(record)
        disqualified += bool(record.disqualified)
    excluded = Excluded(missing, sum(unreadable.values()), tuple(unreadable.most_common(5)))

    # highest score first, ties in input order (sort is stable on `order`)
    included.sort(key=lambda r: r.order)
    included.sort(key=lambda r: r.score, reverse=True)
    ranked = tuple((r.score, bool(r.outcome)) for r in included)
    n = len(ranked)
    positives = sum(outcome for _, outcome in ranked)
    overall = _ratio(positives, n)

    # cumulative conversions after the first i leads of the ranking
    cumulative = [0]
    for _, outcome in ranked:
        cumulative.append(cumulative[-1] + outcome)

    # tiers, in declared order, then any other tier seen
    names = list(dict.fromkeys(tiers))
    seen = Counter(r.tier for r in included)
    conv = Counter(r.tier for r in included if r.outcome)
    names += [t for t in seen if t is not None and t not in names]
    tier_rows = tuple(
        Segment(name, seen[name], conv[name], _ratio(conv[name], seen[name]), _ratio(seen[name], n),
                _ratio(conv[name], positives), _lift(_ratio(conv[name], seen[name]), overall))
        for name in names)

    # stages: precision, recall, and the same volume on the score alone
    stage_rows = []
    for stage in stages:
        k = sum(stage.name in r.stages for r in included)
        tp = sum(stage.name in r.stages for r in included if r.outcome)
        same = None
        if k:
            cut = ranked[k - 1][0]
            volume = k
            while volume < n and ranked[volume][0] == cut:
                volume += 1
            hits = cumulative[volume]
            same = Cutoff(cut, volume, hits, _ratio(hits, volume), _ratio(hits, positives))
        precision = _ratio(tp, k)
        stage_rows.append(StageResult(stage.name, stage.condition, k, tp, precision,
                                      _ratio(tp, positives), _lift(precision, overall), same))

    # deciles
    decile_rows = []
    start = 0
    for i, size in enumerate(decile_sizes(n)):
        end = start + size
        hits = cumulative[end] - cumulative[start]
        rate = _ratio(hits, size)
        decile_rows.append(Decile(
            i + 1, size, hits, rate, _lift(rate, overall),
            ranked[end - 1][0] if size else None, ranked[start][0] if size else None,
            end, cumulative[end], _ratio(cumulative[end], positives)))
        start = end

    value = auc(ranked)
    notes = []
    if not n:
        notes.append("no lead has a known outcome: there is nothing to measure")
    elif value is None:
        notes.append(f"ROC AUC is undefined: {'all' if positives else 'none'} of the {n} lead(s) "
                     "converted, and it needs both outcomes")
    if excluded.leads:
        shown = ", ".join(f"`{v}` ×{c}" for v, c in excluded.values)
        more = " …" if len(unreadable) > len(excluded.values) else ""
        notes.append(f"{excluded.leads} lead(s) left out of the metrics: {missing} with no outcome, "
                     f"{excluded.unreadable} with an outcome that reads as neither"
                     + (f" ({shown}{more})" if shown else ""))
    if disqualified:
        notes.append(f"{disqualified} disqualified lead(s) take part at their reported score")
    if not tier_rows:
        notes.append("the model declares no tiers on the total")
    if not stages:
        notes.append("the model has no `qualify` stages")

    return Backtest(n, positives, overall, value, excluded, disqualified, tier_rows,
                    tuple(stage_rows), tuple(decile_rows), tuple(notes), dict(meta or {}), ranked)


class NoOutcomeColumn(ValueError):
    """The leads have no outcome column; the message names the file's columns and a near miss."""

    def __init__(self, path: str, column: str, columns):
        names = ", ".join(f"`{c}`" for c in columns) or "none"
        close = [c for c in columns if c.strip().casefold() == column.strip().casefold()]
        hint = f"; did you mean `{close[0]}`?" if close else ""
        super().__init__(f"{path}: no outcome column `{column}` (the file has {names}){hint}")


def records_of(pairs: Iterable, column: str, path: str, uniform: bool) -> list:
    """A `Record` per scored (lead, result) pair, its outcome read from the lead's raw row.

    Raises `NoOutcomeColumn` when no row has `column`: at the first row for a
    `uniform` file (CSV, Parquet: every row has the header's columns), after
    the last for JSON, whose rows each have their own keys (a row without
    the column is then a lead with no outcome).
    """
    records, columns, found = [], {}, False
    absent = object()
    for order, (lead, result) in enumerate(pairs):
        raw = lead.raw.get(column, absent)
        if raw is absent:
            if not found:
                columns.update(dict.fromkeys(lead.raw))
                if uniform:
                    raise NoOutcomeColumn(path, column, columns)
            raw = None
        else:
            found = True
        records.append(Record(result.score, read_outcome(raw), result.tier, tuple(result.qualified),
                              order, raw, bool(result.disqualified)))
    if records and not found:
        raise NoOutcomeColumn(path, column, columns)
    return records


def measure(model, pairs: Iterable, column: str, path: str, now: int, summary) -> Backtest:
    """`leadscore backtest` without the command line: the backtest of a batch's (lead, result)
    pairs (`run_pairs`, leads kept with their raw rows) over the leads file `path`, each lead's
    outcome in `column`. `summary`: the batch's, read once the pairs are consumed."""
    uniform = path != "-" and detect_format(path)[0] in ("csv", "parquet")
    records = records_of(pairs, column, path, uniform)
    tier_set = getattr(model.plan.model, "tiers", None)
    return compute(
        records,
        tiers=tier_set.names if tier_set is not None else (),
        stages=[Stage(name, text) for name, _test, text in model.plan.qualify],
        meta={"model": model.name, "version": model.version, "leads_file": path,
              "outcome": column, "now": format_time(now),
              "leads_read": summary.leads_read, "leads_rejected": summary.leads_rejected})


def _shown(raw) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


# ---- text --------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _score(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cutoff(value: float) -> str:
    """A score cut-off as the language writes the condition (`score >= 57`): the one notation
    of the text output and the HTML report."""
    return f"score >= {_score(value)}"


def _table(header: list, rows: list, left: int = 1) -> list:
    """Rows of cells as aligned lines: the first `left` columns left-aligned, the rest right."""
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]

    def line(row):
        cells = [str(c).ljust(w) if i < left else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  " + "  ".join(cells).rstrip()
    return [line(header)] + [line(row) for row in rows]


def _text(b: Backtest) -> str:
    m = b.meta
    lines = []
    if m:
        what = m.get("model", "model")
        if m.get("version") is not None:
            what += f" v{m['version']}"
        bits = [f"backtest of {what}"]
        if m.get("leads_file"):
            bits.append(f"on {m['leads_file']}")
        if m.get("outcome"):
            bits.append(f"outcome `{m['outcome']}`")
        lines.append(", ".join(bits))
        if m.get("now"):
            lines.append(f"scored at {m['now']}")
        lines.append("")
    lines.append(f"leads:        {b.leads} with a known outcome, {b.conversions} converted ({_pct(b.rate)})")
    if b.excluded.leads:
        lines.append(f"left out:     {b.excluded.leads} ({b.excluded.missing} with no outcome, "
                     f"{b.excluded.unreadable} unreadable)")
    auc_text = "undefined" if b.auc is None else f"{b.auc:.4f}"
    lines.append(f"ROC AUC:      {auc_text}   (1 = every conversion scored above every other lead; 0.5 = chance)")

    if b.tiers:
        lines += ["", "by tier:"]
        lines += _table(["tier", "leads", "share", "converted", "rate", "lift"],
                        [[t.name, t.leads, _pct(t.share_of_leads), t.conversions, _pct(t.rate), _num(t.lift)]
                         for t in b.tiers])

    if b.stages:
        lines += ["", "by stage (precision = the stage's conversion rate; recall = its share of all conversions):"]
        lines += _table(["stage", "condition", "leads", "converted", "precision", "recall", "lift"],
                        [[s.name, s.condition, s.leads, s.conversions, _pct(s.precision), _pct(s.recall),
                          _num(s.lift)] for s in b.stages], left=2)
        lines += ["", "the same volume on the score alone (the score of the k-th best lead, k = the stage's leads):"]
        rows = []
        for s in b.stages:
            c = s.same_volume
            if c is None:
                rows.append([s.name, "-", 0, 0, "-", "-", "no lead reaches the stage"])
                continue
            delta = "" if c.precision is None or s.precision is None else (
                f"{(c.precision - s.precision) * 100:+.1f} points")
            rows.append([s.name, cutoff(c.score), c.leads, c.conversions, _pct(c.precision),
                         _pct(c.recall), delta])
        lines += _table(["stage", "cut-off", "leads", "converted", "precision", "recall", "vs the stage"],
                        rows, left=2)

    lines += ["", "by score decile (highest scores first; lift = the decile's rate / the overall rate):"]
    lines += _table(["decile", "leads", "scores", "converted", "rate", "lift", "cum. converted", "gain"],
                    [[d.decile, d.leads,
                      "-" if d.leads == 0 else f"{_score(d.min_score)}..{_score(d.max_score)}",
                      d.conversions, _pct(d.rate), _num(d.lift), d.cumulative_conversions, _pct(d.gain)]
                     for d in b.deciles])
    if b.notes:
        lines += ["", "notes:"] + [f"  {note}" for note in b.notes]
    return "\n".join(lines)
