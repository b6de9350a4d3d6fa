"""An engine's output rows read back: `RowReader` turns a row (every score,
tier, stage, group, campaign, and each rule's points and arm) into the same
`ScoreResult` the Python runtime returns, so explanations need no second
pass; `json_line` completes the JSON text the query wrote itself.
"""

from __future__ import annotations

import json

import attrs

from ..dsl import ir
from ..runtime import values as v
from ..runtime.results import CampaignResult, Contribution, ScoreResult


@attrs.frozen
class RowReader:
    """Turns the query's output rows (dicts by column name) into `ScoreResult`s."""

    model: ir.Model
    now: int
    rules: tuple = attrs.field(init=False)       # (index, column, arm column, name, label, reason, arm texts)
    now_text: str = attrs.field(init=False)

    def __attrs_post_init__(self):
        from ..compiler.sql import rule_column
        rules = []
        for rule, _group in self.model.all_rules():
            column = rule_column(rule)
            by_arm = rule.kind == "table" and not rule.reason_given
            rules.append((rule.index, column, "arm." + column[len("rule."):] if by_arm else None, rule.name,
                          rule.scope.label, rule.reason,
                          tuple(f"{rule.reason}: {arm.text}" for arm in rule.arms) if by_arm else ()))
        rules.sort(key=lambda r: r[0])
        object.__setattr__(self, "rules", tuple(rules))
        object.__setattr__(self, "now_text", v.format_time(self.now))

    @staticmethod
    def names(text) -> tuple:
        return tuple(text.split(";")) if text else ()

    def result(self, row: dict, warnings: tuple = ()) -> ScoreResult:
        m = self.model
        groups = {g.name: float(row[f"group.{g.name}"]) for g in m.groups}
        group_tiers = {t.group: row[f"group_tier.{t.group}"] for t in m.group_tiers}
        campaigns = {}
        for c in m.campaigns:
            prefix = f"campaign.{c.name}"
            campaigns[c.name] = CampaignResult(
                score=float(row[f"{prefix}.score"]), tier=row[f"{prefix}.tier"],
                qualified=self.names(row[f"{prefix}.qualified"]),
                groups={g.name: float(row[f"{prefix}.group.{g.name}"]) for g in c.groups},
                group_tiers={t.group: row[f"{prefix}.group_tier.{t.group}"] for t in c.group_tiers},
                tags=self.names(row[f"{prefix}.tags"]))
        return ScoreResult(
            id=row["id"], score=float(row["score"]), tier=row["tier"], groups=groups, group_tiers=group_tiers,
            qualified=self.names(row["qualified"]), disqualified=self.names(row["disqualified"]),
            tags=self.names(row["tags"]), campaigns=campaigns, clamped=bool(row["clamped"]),
            warnings=tuple(warnings), now=self.now_text, contributions=self.contributions(row))

    def contributions(self, row: dict) -> tuple:
        """Each rule's non-zero points, in declaration order, with the reason of the arm taken."""
        found = []
        for _index, column, arm_column, name, label, reason, arm_reasons in self.rules:
            points = row[column]
            if not points:
                continue
            if arm_column is not None and row[arm_column] is not None:
                reason = arm_reasons[int(row[arm_column])]
            found.append(Contribution(name, label, float(points), reason))
        return tuple(found)


def json_line(lead_id: str, text: str, warnings, now_json: str) -> str:
    """A result's JSON Lines text from the part the query wrote (compiler/sql/jsonl.py) and the
    parts Python knows (`now_json`: `json.dumps` of the `now` text): exactly
    `json.dumps(result.to_dict(), ensure_ascii=False)`."""
    head = ('{"id": "' + lead_id + '", ' if lead_id.isascii() and lead_id.isprintable()
            and '"' not in lead_id and "\\" not in lead_id
            else '{"id": ' + json.dumps(lead_id, ensure_ascii=False) + ", ")
    return (head + text + ', "warnings": ' + (json.dumps(list(warnings), ensure_ascii=False) if warnings else "[]")
            + ', "now": ' + now_json + "}")
