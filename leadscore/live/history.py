"""A history entry: what changed between two results of one lead, and why (LIVE.md §4).

A result's *state* is what a history entry is about: score, tier, stages
(global `qualify` and `disqualify` names, and each campaign's `qualify`
names), tags, and each campaign's score, tier and tags. Groups and
warnings are not in it: a change there alone appends nothing.

A stage is `{"scope", "name", "kind"}` as in `leadscore diff` (scope
`global` or `campaign NAME`, kind `qualify` or `disqualify`). An entry is a
*transition* when it enters or leaves a stage, or changes the tier of a
lead that had a result before (a new lead's first tier is no transition).
"""

from __future__ import annotations

import json

import attrs

GLOBAL = "global"


@attrs.frozen
class Change:
    """One history entry before it is stored."""

    lead_id: str
    cause: dict
    score_before: float | None
    score_after: float | None
    tier_before: str | None
    tier_after: str | None
    entered: list
    left: list
    transition: bool


def stages(result: dict) -> list:
    found = [(GLOBAL, name, "qualify") for name in result.get("qualified", ())]
    found += [(GLOBAL, name, "disqualify") for name in result.get("disqualified", ())]
    for campaign, value in (result.get("campaigns") or {}).items():
        found += [(f"campaign {campaign}", name, "qualify") for name in value.get("qualified", ())]
    return found


def state(result: dict | None):
    """What a history entry compares; None for no result."""
    if result is None:
        return None
    campaigns = {name: (c.get("score"), c.get("tier"), tuple(c.get("tags", ())))
                 for name, c in (result.get("campaigns") or {}).items()}
    return (result.get("score"), result.get("tier"), tuple(stages(result)), tuple(result.get("tags", ())),
            campaigns)


def change(lead_id: str, before_line: str | None, after_line: str, cause: dict) -> Change | None:
    """The entry for a lead whose result went from `before_line` to `after_line`, None if nothing changed."""
    if before_line == after_line:              # the usual case for an account's other leads, and a sweep's
        return None
    before = json.loads(before_line) if before_line else None
    after = json.loads(after_line)
    if state(before) == state(after):
        return None
    old = stages(before) if before else []
    new = stages(after)
    entered = [_stage(s) for s in new if s not in old]
    left = [_stage(s) for s in old if s not in new]
    tier_before = before.get("tier") if before else None
    tier_after = after.get("tier")
    transition = bool(entered or left) or (before is not None and tier_before != tier_after)
    return Change(lead_id, cause, before.get("score") if before else None, after.get("score"),
                  tier_before, tier_after, entered, left, transition)


def _stage(stage: tuple) -> dict:
    scope, name, kind = stage
    return {"scope": scope, "name": name, "kind": kind}
