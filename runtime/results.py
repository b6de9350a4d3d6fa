"""Score results, their JSON form (INTERFACE.md §5) and their explanation text."""

from __future__ import annotations

import attrs

from .values import rounded


@attrs.frozen
class Contribution:
    """One rule's non-zero points for one lead, after decay and caps."""

    rule: str
    scope: str
    points: float
    reason: str

    def to_dict(self) -> dict:
        return {"rule": self.rule, "scope": self.scope, "points": self.points, "reason": self.reason}


@attrs.frozen
class CampaignResult:
    score: float
    tier: str | None
    qualified: tuple
    groups: dict
    group_tiers: dict
    tags: tuple

    def to_dict(self) -> dict:
        return {"score": self.score, "tier": self.tier, "qualified": list(self.qualified),
                "groups": dict(self.groups), "group_tiers": dict(self.group_tiers),
                "tags": list(self.tags)}


@attrs.frozen
class Threshold:
    """A tier boundary or a stage, and whether the lead met it — for explanations."""

    kind: str          # tier, stage, disqualify
    name: str
    scope: str         # total, a group name, or "campaign NAME"
    condition: str
    met: bool


@attrs.frozen
class Input:
    """A value a rule read, as shown in explanations."""

    rule: str
    label: str
    value: str


@attrs.frozen
class ScoreResult:
    id: str | None
    score: float
    tier: str | None
    groups: dict
    group_tiers: dict
    qualified: tuple
    disqualified: tuple
    tags: tuple
    campaigns: dict
    clamped: bool
    warnings: tuple
    now: str
    contributions: tuple = ()
    thresholds: tuple = attrs.field(default=(), eq=False, repr=False)
    inputs: tuple = attrs.field(default=(), eq=False, repr=False)

    def to_dict(self, explain: bool = False) -> dict:
        """The JSON object of INTERFACE.md §5; `explain` adds `contributions`."""
        out = {
            "id": self.id, "score": self.score, "tier": self.tier,
            "groups": dict(self.groups), "group_tiers": dict(self.group_tiers),
            "qualified": list(self.qualified), "disqualified": list(self.disqualified),
            "tags": list(self.tags),
            "campaigns": {name: c.to_dict() for name, c in self.campaigns.items()},
            "clamped": self.clamped, "warnings": list(self.warnings), "now": self.now,
        }
        if explain:
            out["contributions"] = [c.to_dict() for c in self.contributions]
        return out

    def explain(self) -> str:
        return explain_text(self)


def explain_text(result: ScoreResult) -> str:
    """The breakdown `leadscore explain` prints; numbers rounded to 2 decimals."""
    lines = [f"lead {result.id}: score {rounded(result.score)}"
             + (f", tier {result.tier}" if result.tier is not None else "")
             + (" (clamped)" if result.clamped else "")]
    if result.disqualified:
        lines.append(f"  disqualified by: {', '.join(result.disqualified)} "
                     "(score set to the floor, lowest tier, no stages)")
    lines.append("")
    lines.append("contributions (points after decay and caps):")
    if not result.contributions:
        lines.append("  (no rule contributed)")
    by_rule = {}
    for item in result.inputs:
        by_rule.setdefault((item.rule), []).append(item)
    width = max((len(c.rule) for c in result.contributions), default=0)
    scope_width = max((len(c.scope) for c in result.contributions), default=0)
    for c in result.contributions:
        sign = "+" if c.points > 0 else ""
        lines.append(f"  {sign + rounded(c.points):>8}  {c.rule:<{width}}  [{c.scope:<{scope_width}}]  {c.reason}")
        for item in by_rule.get(c.rule, ()):
            lines.append(f"  {'':>8}  {'':<{width}}     {item.label} = {item.value}")
    sums = _scope_sums(result.contributions)
    if sums:
        lines.append("")
        lines.append("scores:")
        for scope, total in sums.items():
            shown = result.groups.get(scope)
            suffix = ""
            if shown is not None and shown != total:
                suffix = f" → {rounded(shown)} after the group's limits"
            lines.append(f"  {scope}: {rounded(total)}{suffix}")
    for name, campaign in result.campaigns.items():
        lines.append(f"  campaign {name}: {rounded(campaign.score)}"
                     + (f", tier {campaign.tier}" if campaign.tier else "")
                     + (f", qualified: {', '.join(campaign.qualified)}" if campaign.qualified else ""))
    if result.thresholds:
        lines.append("")
        lines.append("thresholds:")
        for t in result.thresholds:
            mark = "met   " if t.met else "missed"
            lines.append(f"  {mark} {t.kind} {t.name} ({t.scope}): {t.condition}")
    if result.tags:
        lines.append("")
        lines.append(f"tags: {', '.join(result.tags)}")
    if result.warnings:
        lines.append("")
        lines.append("warnings:")
        lines.extend(f"  {w}" for w in result.warnings)
    return "\n".join(lines)


def _scope_sums(contributions) -> dict:
    sums: dict[str, float] = {}
    for c in contributions:
        sums[c.scope] = sums.get(c.scope, 0.0) + c.points
    return sums
