"""A lead's score as lines that add up to it, for the page's explanation panel.

A result's contributions are each rule's points after decay and the rule's
own caps. The score is not always their sum: a group's `max`/`min` trims
what its rules gave, `clamp` keeps the total in range, and a knock-out puts
it at the floor. Each of those becomes a line of its own here, so the lines
shown always sum to the score shown. Campaign rules are listed apart: a
campaign's score never changes the lead's.
"""

from __future__ import annotations

EPSILON = 1e-9


def explain(result) -> dict:
    inputs: dict[str, list] = {}
    for item in result.inputs:
        inputs.setdefault(item.rule, []).append({"label": item.label, "value": item.value})
    own = [c for c in result.contributions if not c.scope.startswith("campaign ")]
    lines = [line(c.rule, c.scope, c.reason, c.points, inputs.get(c.rule, [])) for c in own]
    lines += limits(result, own)
    running = sum(item["points"] for item in lines)
    if abs(result.score - running) > EPSILON:
        lines.append(line(*final_step(result), result.score - running, [], kind="adjustment"))
    campaigns = [line(c.rule, c.scope, c.reason, c.points, inputs.get(c.rule, []))
                 for c in result.contributions if c.scope.startswith("campaign ")]
    return {"id": result.id, "score": result.score, "tier": result.tier, "lines": lines,
            "campaigns": campaigns, "campaign_scores": {n: c.score for n, c in result.campaigns.items()},
            "thresholds": [{"kind": t.kind, "name": t.name, "scope": t.scope, "condition": t.condition,
                            "met": t.met} for t in result.thresholds],
            "tags": list(result.tags), "warnings": list(result.warnings), "now": result.now}


def final_step(result) -> tuple:
    """(label, scope, reason) of what made the total the score: a knock-out or the clamp."""
    if result.disqualified:
        return "(disqualified)", "global", f"knocked out by {', '.join(result.disqualified)}: the score is the floor"
    return "(clamp)", "global", "the model's clamp keeps the total in range"


def limits(result, own: list) -> list:
    """One line per group whose `max`/`min` changed what its rules gave."""
    out = []
    for group, after in result.groups.items():
        given = sum(c.points for c in own if c.scope == group)
        if abs(after - given) > EPSILON:
            out.append(line(f"({group} limits)", group,
                            f"the group's limits: its rules gave {given:.2f}, it counts {after:.2f}",
                            after - given, [], kind="adjustment"))
    return out


def line(rule: str, scope: str, reason: str, points: float, inputs: list, kind: str = "rule") -> dict:
    return {"kind": kind, "rule": rule, "scope": scope, "points": points, "reason": reason, "inputs": inputs}
