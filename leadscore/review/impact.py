"""What a model change does to scored leads: old and new results, side by side.

`compare(old_results, new_results, old_outline, new_outline)` pairs the
results of two models for the same leads (by id) and reports:

- the score change: how many leads went up, down or stayed the same, the
  mean change, the mean size of a change, the largest rise and fall;
- the tier transition matrix, old tier x new tier, with counts (the
  declared tiers of each model in order; a model without tiers on the
  total has the one tier `None`);
- per stage (`qualify`, `disqualify`, and each campaign's `qualify`): how
  many leads reach it under each model, and how many gained or lost it;
- per campaign: its score change and tier matrix;
- the N leads whose score changed most (by |change|, ties in input order),
  each with the rules whose points changed most for that lead, from the
  results' contributions (matched by rule name and naming scope, so a rule
  that moved between groups is one rule).

A score change smaller than `EPSILON` counts as no change (two models that
add the same points in another order can differ in the last bit). It knows
nothing of the language: the model's shape comes in an `Outline`.
"""

from __future__ import annotations

from typing import Iterable

import attrs

from ..runtime.values import rounded

EPSILON = 1e-9
GLOBAL = "global"


@attrs.frozen
class Outline:
    """What the report needs to know of one model: its tier names in order (None
    without tiers on the total), its stages in order as (scope, name, kind),
    and each campaign's tier names."""

    tiers: tuple | None = None
    stages: tuple = ()
    campaign_tiers: dict = attrs.field(factory=dict)

    @classmethod
    def of(cls, model) -> "Outline":
        """The outline of a checked model (`dsl.ir.Model`) or anything shaped like one."""
        stages = [(GLOBAL, s.name, "qualify") for s in model.qualify]
        stages += [(GLOBAL, s.name, "disqualify") for s in model.disqualify]
        campaign_tiers = {}
        for campaign in model.campaigns:
            stages += [(f"campaign {campaign.name}", s.name, "qualify") for s in campaign.qualify]
            campaign_tiers[campaign.name] = campaign.tiers.names if campaign.tiers is not None else None
        return cls(model.tiers.names if model.tiers is not None else None, tuple(stages), campaign_tiers)


# ---- the report ------------------------------------------------------------------------

@attrs.frozen
class ScoreChange:
    leads: int
    up: int
    down: int
    same: int
    mean: float                   # mean of new - old
    mean_abs: float               # mean of |new - old|
    largest_rise: float           # the largest new - old (0 when none rose)
    largest_fall: float           # the most negative new - old (0 when none fell)

    @classmethod
    def of(cls, deltas: list) -> "ScoreChange":
        count = len(deltas)
        up = sum(1 for d in deltas if d > EPSILON)
        down = sum(1 for d in deltas if d < -EPSILON)
        return cls(count, up, down, count - up - down,
                   sum(deltas) / count if count else 0.0,
                   sum(abs(d) for d in deltas) / count if count else 0.0,
                   max([d for d in deltas if d > EPSILON], default=0.0),
                   min([d for d in deltas if d < -EPSILON], default=0.0))

    def to_dict(self) -> dict:
        return attrs.asdict(self)

    def text(self) -> str:
        return (f"{self.up} up, {self.down} down, {self.same} unchanged; "
                f"mean change {_signed(self.mean)}, largest rise {_signed(self.largest_rise)}, "
                f"largest fall {_signed(self.largest_fall)}")


@attrs.frozen
class Matrix:
    """Tier transitions: counts[i][j] leads went from old[i] to new[j]."""

    old: tuple
    new: tuple
    counts: tuple
    changed: int                  # leads whose tier name differs

    def to_dict(self) -> dict:
        return {"old": list(self.old), "new": list(self.new), "counts": [list(r) for r in self.counts],
                "changed": self.changed}

    def text(self, indent: str = "  ") -> list[str]:
        label = _tier_label
        corner = "old \\ new"
        first = max([len(corner)] + [len(label(t)) for t in self.old])
        widths = [max(len(label(t)), max((len(str(r[j])) for r in self.counts), default=1))
                  for j, t in enumerate(self.new)]
        lines = [indent + corner.ljust(first) + "".join(f"  {label(t):>{w}}" for t, w in zip(self.new, widths))]
        for t, row in zip(self.old, self.counts):
            lines.append(indent + label(t).ljust(first) + "".join(f"  {c:>{w}}" for c, w in zip(row, widths)))
        return lines


@attrs.frozen
class StageChange:
    scope: str                    # global or campaign NAME
    name: str
    kind: str                     # qualify, disqualify
    old: int                      # leads at the stage under the old model
    new: int
    gained: int                   # at the stage now, not before
    lost: int

    def to_dict(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class CampaignImpact:
    name: str
    score: ScoreChange
    tiers: Matrix | None

    def to_dict(self) -> dict:
        return {"name": self.name, "score": self.score.to_dict(),
                "tiers": self.tiers.to_dict() if self.tiers is not None else None}


@attrs.frozen
class RuleChange:
    rule: str
    scope: str                    # the contribution's scope label (the new one when both have it)
    old: float                    # points for this lead under the old model (0 when it did not fire)
    new: float
    change: float

    def to_dict(self) -> dict:
        return attrs.asdict(self)

    def text(self) -> str:
        return f"{self.rule} [{self.scope}] {_signed(self.change)}"


@attrs.frozen
class LeadChange:
    id: str
    old_score: float
    new_score: float
    change: float
    old_tier: str | None
    new_tier: str | None
    gained: tuple                 # stages reached now and not before, as (scope, name, kind)
    lost: tuple
    rules: tuple                  # RuleChange, largest |change| first

    def to_dict(self) -> dict:
        return {"id": self.id, "old_score": self.old_score, "new_score": self.new_score,
                "change": self.change, "old_tier": self.old_tier, "new_tier": self.new_tier,
                "gained": [_stage_dict(s) for s in self.gained], "lost": [_stage_dict(s) for s in self.lost],
                "rules": [r.to_dict() for r in self.rules]}


@attrs.frozen
class Impact:
    leads: int                    # leads scored by both models
    only_old: tuple               # ids scored by the old model only (rejected by the new)
    only_new: tuple
    score: ScoreChange
    tiers: Matrix
    stages: tuple                 # StageChange
    campaigns: tuple              # CampaignImpact
    top: tuple                    # LeadChange
    top_limit: int
    now: str | None = None
    changed_leads: int = 0        # leads whose score, tier or stages changed

    def to_dict(self) -> dict:
        return {"now": self.now, "leads": self.leads, "changed_leads": self.changed_leads,
                "only_old": list(self.only_old), "only_new": list(self.only_new),
                "score": self.score.to_dict(), "tiers": self.tiers.to_dict(),
                "stages": [s.to_dict() for s in self.stages],
                "campaigns": [c.to_dict() for c in self.campaigns],
                "top": [t.to_dict() for t in self.top]}

    def text(self, rules_shown: int = 3) -> str:
        when = f" (now {self.now})" if self.now else ""
        lines = [f"Impact on {self.leads} lead(s) scored by both models{when}"]
        if self.only_old or self.only_new:
            lines.append(f"  scored by one model only: {len(self.only_old)} by the old, {len(self.only_new)} by the new"
                         + _ids(self.only_old + self.only_new))
        if not self.changed_leads:
            lines.append("  no lead changes score, tier or stage")
            return "\n".join(lines)
        lines.append(f"  {self.changed_leads} lead(s) change score, tier or stage")
        lines += ["", f"Score: {self.score.text()}"]
        if self.tiers.old == self.tiers.new == (None,):
            lines += ["", "Tiers: neither model has tiers on the total"]
        else:
            lines += ["", f"Tiers: {self.tiers.changed} lead(s) change tier"]
            lines += self.tiers.text()
        moving = [s for s in self.stages if s.gained or s.lost]
        if self.stages:
            lines += ["", "Stages (leads at each stage, old -> new):"]
            names = [_stage_label(s) for s in self.stages]
            width = max(len(x) for x in names)
            for label, s in zip(names, self.stages):
                if s in moving:
                    detail = f"{s.old} -> {s.new}  ({s.gained} gained, {s.lost} lost)"
                else:
                    detail = f"{s.old} -> {s.new}"
                lines.append(f"  {label:<{width}}  {detail}")
        for c in self.campaigns:
            if not (c.score.up or c.score.down or (c.tiers is not None and c.tiers.changed)):
                continue
            lines += ["", f"Campaign {c.name}: score {c.score.text()}"]
            if c.tiers is not None and c.tiers.changed:
                lines.append(f"  {c.tiers.changed} lead(s) change campaign tier")
                lines += c.tiers.text()
        if self.top:
            moved = self.score.up + self.score.down
            lines += ["", f"Largest score changes ({len(self.top)} of the {moved} lead(s) whose score changed):"]
            rows = [("lead", "old", "new", "change", "tier", "stages", "rules")]
            for t in self.top:
                tier = (t.new_tier or "") if t.old_tier == t.new_tier else (
                    f"{_tier_label(t.old_tier)} -> {_tier_label(t.new_tier)}")
                stages = " ".join([f"+{_stage_label_of(s)}" for s in t.gained]
                                  + [f"-{_stage_label_of(s)}" for s in t.lost])
                shown = [r.text() for r in t.rules[:rules_shown]]
                if len(t.rules) > rules_shown:
                    shown.append(f"and {len(t.rules) - rules_shown} more")
                rows.append((t.id, rounded(t.old_score), rounded(t.new_score), _signed(t.change), tier, stages,
                             ", ".join(shown) or "(no rule's points changed)"))
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
            right = {1, 2, 3}
            for r in rows:
                cells = [(c.rjust(w) if i in right else c.ljust(w)) for i, (c, w) in enumerate(zip(r, widths))]
                lines.append(("  " + "  ".join(cells) + "  " + r[-1]).rstrip())
        return "\n".join(lines)


def _tier_label(tier: str | None) -> str:
    return "(none)" if tier is None else tier


def _stage_label(s: StageChange) -> str:
    label = s.name if s.kind == "qualify" else f"{s.name} (disqualify)"
    return label if s.scope == GLOBAL else f"{label} [{s.scope}]"


def _ids(ids: tuple, limit: int = 5) -> str:
    if not ids:
        return ""
    shown = ", ".join(ids[:limit])
    return f" ({shown}{', ...' if len(ids) > limit else ''})"


def _signed(value: float) -> str:
    text = rounded(value)
    return text if text.startswith("-") or text == "0" else "+" + text


# ---- computing it ------------------------------------------------------------------------

@attrs.frozen
class _Snapshot:
    """The little of one result that the comparison needs."""

    score: float
    tier: str | None
    stages: frozenset             # (scope, name, kind)
    campaigns: dict               # name -> (score, tier)
    points: dict                  # (naming scope, rule) -> (label, points); campaign rules left out


def _naming_scope(label: str) -> str:
    if label == "account":
        return "account"
    if label.startswith("campaign "):
        return label.split("/", 1)[0]
    return GLOBAL


def snapshot(result) -> _Snapshot:
    stages = {(GLOBAL, name, "qualify") for name in result.qualified}
    stages |= {(GLOBAL, name, "disqualify") for name in result.disqualified}
    campaigns = {}
    for name, c in result.campaigns.items():
        stages |= {(f"campaign {name}", stage, "qualify") for stage in c.qualified}
        campaigns[name] = (c.score, c.tier)
    points: dict = {}
    for c in result.contributions:
        scope = _naming_scope(c.scope)
        if scope.startswith("campaign "):
            continue            # campaign rules never change the total
        key = (scope, c.rule)
        label, total = points.get(key, (c.scope, 0.0))
        points[key] = (label, total + c.points)
    return _Snapshot(result.score, result.tier, frozenset(stages), campaigns, points)


def _matrix(pairs: list, old_names, new_names) -> Matrix:
    old_order = list(old_names) if old_names is not None else [None]
    new_order = list(new_names) if new_names is not None else [None]
    for a, b in pairs:       # a tier neither model declares (cannot happen with checked models) still counts
        if a not in old_order:
            old_order.append(a)
        if b not in new_order:
            new_order.append(b)
    index_old = {t: i for i, t in enumerate(old_order)}
    index_new = {t: i for i, t in enumerate(new_order)}
    counts = [[0] * len(new_order) for _ in old_order]
    for a, b in pairs:
        counts[index_old[a]][index_new[b]] += 1
    return Matrix(tuple(old_order), tuple(new_order), tuple(tuple(r) for r in counts),
                  sum(1 for a, b in pairs if a != b))


def _stage_dict(stage: tuple) -> dict:
    scope, name, kind = stage
    return {"scope": scope, "name": name, "kind": kind}


def _stage_label_of(stage: tuple) -> str:
    scope, name, kind = stage
    label = name if kind == "qualify" else f"disqualified {name}"
    return label if scope == GLOBAL else f"{label} [{scope}]"


def compare(old_results: Iterable, new_results: Iterable, old_outline: Outline | None = None,
            new_outline: Outline | None = None, *, top: int = 10, now: str | None = None) -> Impact:
    """Pair old and new results by lead id and report what changed (see the module's docstring)."""
    old_outline = old_outline or Outline()
    new_outline = new_outline or Outline()
    old: dict = {}
    for result in old_results:
        old.setdefault(result.id, snapshot(result))
    order: list = []                 # ids scored by both, in the old results' order
    pairs: dict = {}
    only_new: list = []
    for result in new_results:
        if result.id in pairs:
            continue
        before = old.get(result.id)
        if before is None:
            only_new.append(result.id)
            continue
        pairs[result.id] = (before, snapshot(result))
    for lead_id in old:
        if lead_id in pairs:
            order.append(lead_id)
    only_old = tuple(i for i in old if i not in pairs)

    deltas, tier_pairs, changed_leads = [], [], 0
    stage_old: dict = {}
    stage_new: dict = {}
    gained: dict = {}
    lost: dict = {}
    campaign_deltas: dict = {}
    campaign_tiers: dict = {}
    moved = []
    for position, lead_id in enumerate(order):
        a, b = pairs[lead_id]
        delta = b.score - a.score
        deltas.append(delta)
        tier_pairs.append((a.tier, b.tier))
        for s in a.stages:
            stage_old[s] = stage_old.get(s, 0) + 1
        for s in b.stages:
            stage_new[s] = stage_new.get(s, 0) + 1
        for s in b.stages - a.stages:
            gained[s] = gained.get(s, 0) + 1
        for s in a.stages - b.stages:
            lost[s] = lost.get(s, 0) + 1
        for name in dict.fromkeys(list(a.campaigns) + list(b.campaigns)):
            if name in a.campaigns and name in b.campaigns:
                (sa, ta), (sb, tb) = a.campaigns[name], b.campaigns[name]
                campaign_deltas.setdefault(name, []).append(sb - sa)
                campaign_tiers.setdefault(name, []).append((ta, tb))
        if abs(delta) > EPSILON or a.tier != b.tier or a.stages != b.stages:
            changed_leads += 1
        if abs(delta) > EPSILON:
            moved.append((-abs(delta), position, lead_id))

    stages_order = list(old_outline.stages) + [s for s in new_outline.stages if s not in old_outline.stages]
    for s in list(stage_old) + list(stage_new):
        if s not in stages_order:
            stages_order.append(s)
    stages = tuple(StageChange(scope, name, kind, stage_old.get((scope, name, kind), 0),
                               stage_new.get((scope, name, kind), 0), gained.get((scope, name, kind), 0),
                               lost.get((scope, name, kind), 0))
                   for scope, name, kind in stages_order)

    campaigns = []
    for name in campaign_deltas:
        old_names = old_outline.campaign_tiers.get(name)
        new_names = new_outline.campaign_tiers.get(name)
        tiers = None
        if old_names is not None or new_names is not None:
            tiers = _matrix(campaign_tiers[name], old_names, new_names)
        campaigns.append(CampaignImpact(name, ScoreChange.of(campaign_deltas[name]), tiers))

    leads = []
    for _, _, lead_id in sorted(moved)[:max(top, 0)]:
        a, b = pairs[lead_id]
        rules = []
        for key in dict.fromkeys(list(b.points) + list(a.points)):
            label_a, pa = a.points.get(key, (None, 0.0))
            label_b, pb = b.points.get(key, (None, 0.0))
            if abs(pb - pa) > EPSILON:
                rules.append(RuleChange(key[1], label_b or label_a, pa, pb, pb - pa))
        rules.sort(key=lambda r: (-abs(r.change), r.rule))
        leads.append(LeadChange(lead_id, a.score, b.score, b.score - a.score, a.tier, b.tier,
                                tuple(_ordered(b.stages - a.stages, stages_order)),
                                tuple(_ordered(a.stages - b.stages, stages_order)),
                                tuple(rules)))

    return Impact(len(order), only_old, tuple(only_new), ScoreChange.of(deltas),
                  _matrix(tier_pairs, old_outline.tiers, new_outline.tiers), stages, tuple(campaigns),
                  tuple(leads), top, now, changed_leads)


def _ordered(stages, order: list) -> list:
    rank = {s: i for i, s in enumerate(order)}
    return sorted(stages, key=lambda s: rank.get(s, len(rank)))
