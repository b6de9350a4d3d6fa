"""What a backend hands the runtime: each rule compiled to `env → points`,
and the little the result assembly needs to know about the model.

The checker's IR objects satisfy these shapes directly; a module written by
`leadscore compile` builds the small `*Info` records below instead, so it
needs neither the front end nor its IR.
"""

from __future__ import annotations

import json

import attrs


@attrs.frozen
class TierSet:
    """`tiers [GROUP]: a, b >= 10, …` — thresholds[i] starts names[i + 1]."""

    group: str | None                # None: the total (or the campaign score)
    names: tuple
    thresholds: tuple

    def tier_of(self, score: float) -> str:
        name = self.names[0]
        for threshold, next_name in zip(self.thresholds, self.names[1:]):
            if score >= threshold:
                name = next_name
            else:
                break
        return name


@attrs.frozen
class RuleInfo:
    name: str
    index: int
    reason: str
    tag: str | None


@attrs.frozen
class GroupInfo:
    name: str
    label: str
    min: float | None
    max: float | None


@attrs.frozen
class CampaignInfo:
    name: str
    tiers: TierSet | None
    group_tiers: tuple


@attrs.frozen
class ModelInfo:
    clamp: tuple | None
    tiers: TierSet | None
    group_tiers: tuple

    @property
    def floor(self) -> float:
        if self.clamp and self.clamp[0] is not None:
            return float(self.clamp[0])
        return 0.0


@attrs.frozen
class TableReason:
    """A table rule's reason when it was not written (`because`): the reason, then the arm the
    rule's value took, as `reason: arm` (the closure backend's `arm_reason` says the same)."""

    by: object                       # (env, item) → the rule's value
    reason: str
    arms: tuple                      # (kind, values, ranges, text) of each arm, in order

    def __call__(self, env) -> str:
        value = self.by(env, None)
        for kind, values, ranges, text in self.arms:
            if kind == "else" or (kind == "unknown" and value is None) or (
                    kind == "values" and value is not None and _takes(value, values, ranges)):
                return f"{self.reason}: {text}"
        return self.reason


def _takes(value, values: frozenset, ranges: tuple) -> bool:
    """Whether an arm's values or ranges (both ends included, None open) take a known value."""
    return value in values or any((low is None or low <= value) and (high is None or value <= high)
                                  for low, high in ranges)


def rules_from_json(namespace: dict, text: str) -> tuple:
    """The `PlanRule`s of a module written by compiler/codegen.py, from JSON text: for each rule
    `[name, index, reason, tag, points, [[label, reader], ...], table]`, where `points` and the
    readers name functions in `namespace` and `table` is null or `[reader, reason, arms]` (a
    `TableReason`, each arm `[kind, values, ranges, text]`). Data, not code, so that a big
    model's module has little to compile: Python compiles a string constant at almost no cost
    per character, and code at a cost per token."""
    from .scoring import PlanRule
    return tuple(
        PlanRule(RuleInfo(name, index, reason, tag), namespace[points],
                 tuple((label, namespace[reader], None) for label, reader in inputs),
                 None if table is None else TableReason(
                     namespace[table[0]], table[1],
                     tuple((kind, frozenset(values), tuple(map(tuple, ranges)), arm)
                           for kind, values, ranges, arm in table[2])))
        for name, index, reason, tag, points, inputs, table in json.loads(text))


def ranges_from_json(text: str) -> tuple:
    """A generated module's LINE_MAP (compiler/codegen.py `line_ranges`) from its JSON text."""
    return tuple(map(tuple, json.loads(text)))
