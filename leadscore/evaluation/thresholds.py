"""Tier and stage thresholds for `leadscore calibrate` (docs/calibrate.md, "Thresholds").

New points move scores, so today's thresholds no longer pick the same
leads. A *target* is one threshold `calibrate` can move: a boundary of the
global `tiers:` line, of a `tiers GROUP:` line of a global group, or the
number of a `qualify NAME when X >= N` (or `>`) line whose X is `score` or
a global group. Other stages (`score >= 80 and fit >= 30`, campaign stages)
are left as they are and listed.

A target keeps a *volume*: the number of leads that reach it, today's on
the leads used unless `--mql-volume` gives one for the first `qualify`
line. The new threshold is the one at which the calibrated scores give the
closest volume (scores tie, so it may differ by one tie group; on a tie of
distances the larger volume wins; never one that no lead reaches unless
the volume is 0), written as the number with the fewest decimals, the
highest of them, that picks exactly those leads. A tier line whose
thresholds come out equal has the later ones raised (to the next integer)
so that they increase, as the language requires, with a warning.
"""

from __future__ import annotations

import math

import attrs

from ..dsl import ir

OPS = (">=", ">")


class VolumeError(ValueError):
    """`--mql-volume` cannot be used with this model or is not a volume."""


@attrs.define
class Target:
    line: tuple              # as `map_thresholds` names it: ("tiers", GROUP | None, i) or ("qualify", NAME)
    label: str               # as the report shows it: "tier warm", "tier fit: C", "qualify mql"
    source: str | None       # None: the total; else the global group whose score it reads
    op: str                  # >= or >
    old: float
    count: int = 0           # the volume to keep, in leads
    new: float = 0.0
    before: int = 0          # leads that reach it today
    before_conversions: int = 0
    after: int = 0           # leads that reach `new` with the written points
    held_out: int = 0        # held-out leads that reach it in cross-validation
    held_out_conversions: int = 0

    @property
    def text(self) -> str:
        return f"{self.op} {number(self.old)}"

    @property
    def new_text(self) -> str:
        return f"{self.op} {number(self.new)}"

    def to_dict(self) -> dict:
        return {"threshold": self.label, "op": self.op, "old": self.old, "new": self.new, "volume_kept": self.count,
                "leads_before": self.before, "conversions_before": self.before_conversions,
                "leads_after": self.after, "held_out_leads": self.held_out,
                "held_out_conversions": self.held_out_conversions}


def targets(model: ir.Model) -> tuple[list, list]:
    """(targets, notes): the thresholds of the global scope that can move, and why others cannot."""
    found, notes = [], []
    for tier_set in (model.tiers, *model.group_tiers):
        if tier_set is None:
            continue
        prefix = "tier " if tier_set.group is None else f"tier {tier_set.group}: "
        for i, (name, value) in enumerate(zip(tier_set.names[1:], tier_set.thresholds)):
            found.append(Target(("tiers", tier_set.group, i), prefix + name, tier_set.group, ">=", value))
    for stage in model.qualify:
        plain = plain_threshold(stage.condition)
        if plain is None:
            notes.append(f"qualify {stage.name}: not a plain threshold (`{stage.text}`), kept")
        else:
            source, op, value = plain
            found.append(Target(("qualify", stage.name), f"qualify {stage.name}", source, op, value))
    if any(c.tiers or c.group_tiers or c.qualify for c in model.campaigns):
        notes.append("campaign tiers and stages: kept")
    return found, notes


def plain_threshold(condition) -> tuple | None:
    """(source, op, value) of `score >= N`, `score > N`, `GROUP >= N` or `GROUP > N` (a global group), else None."""
    if not (isinstance(condition, ir.Compare) and condition.op in OPS and isinstance(condition.right, ir.Const)
            and condition.right.type == ir.NUMBER):
        return None
    left = condition.left
    if isinstance(left, ir.ScoreRef):
        return None, condition.op, float(condition.right.value)
    if isinstance(left, ir.GroupScoreRef) and left.campaign is None:
        return left.group, condition.op, float(condition.right.value)
    return None


def parse_volume(text: str, leads: int) -> int:
    """`--mql-volume`: a number of leads (`1200`) or a share of the leads used (`12%`), as a count."""
    text = text.strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1])
            if not 0 <= share <= 100:
                raise VolumeError(f"--mql-volume {text}: a share is between 0% and 100%")
            return round(share / 100 * leads)
        count = int(text)
    except ValueError:
        raise VolumeError(f"--mql-volume {text}: write a number of leads (1200) or a share (12%)") from None
    if not 0 <= count <= leads:
        raise VolumeError(f"--mql-volume {text}: there are {leads} leads")
    return count


def reaches(scores, op: str, threshold: float):
    """Which scores reach the threshold (a disqualified lead's score is -inf: it never does)."""
    return scores >= threshold if op == ">=" else scores > threshold


def cut(scores, count: int, op: str) -> float | None:
    """The threshold at which `scores` give the volume closest to `count` (see the module docstring);
    None when no lead can reach any threshold (all disqualified)."""
    import numpy as np
    finite = np.sort(scores[np.isfinite(scores)])[::-1]
    if finite.size == 0:
        return None
    values = np.unique(finite)[::-1]                                   # distinct, highest first
    volumes = np.searchsorted(-finite, -values, side="right")          # leads at or above each value
    # candidate i > 0: the threshold at values[i - 1]; 0: above every score, only when no lead is asked for
    candidates = range(0 if count == 0 else 1, len(values) + 1)
    best = min(candidates, key=lambda i: _distance(0 if i == 0 else volumes[i - 1], count))
    if best == 0:                                                      # nobody: above the highest score
        return simplest(float(values[0]), math.inf, op)
    high = float(values[best - 1])
    low = float(values[best]) if best < len(values) else -math.inf
    return simplest(low, high, op)


def _distance(volume: int, count: int) -> tuple:
    return abs(volume - count), volume < count                         # ties: the larger volume


def simplest(low: float, high: float, op: str) -> float:
    """The number with the fewest decimals, the highest of them, that takes the scores
    at `high` and none at `low`: in (low, high] for `>=`, in [low, high) for `>`.
    `high` may be infinite (nobody reaches), `low` -inf (everybody does)."""
    if math.isinf(high):
        return float(math.floor(low) + 1 if op == ">=" else math.ceil(low))
    for decimals in range(7):
        scale = 10 ** decimals
        value = math.floor(high * scale + 1e-9) / scale      # the highest multiple of 10^-decimals <= high
        if value > high or (op == ">" and value >= high):
            value -= 1 / scale
        value = round(value, decimals)
        if value > low if op == ">=" else value >= low:
            return float(value)
    return high if op == ">=" else low


def increasing(values: list) -> tuple[list, list]:
    """A tier line's thresholds made strictly increasing (each at least the next integer
    above the one before); (values, the indices that had to be raised)."""
    out, raised = [], []
    for i, value in enumerate(values):
        if out and value <= out[-1]:
            value = float(math.floor(out[-1]) + 1)
            raised.append(i)
        out.append(value)
    return out, raised


def number(x: float) -> str:
    from ..dsl.format import number_text
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return number_text(int(x) if float(x).is_integer() else float(x))
