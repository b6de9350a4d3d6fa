"""Hover: what a name under the cursor declares, in words (Markdown), in a
model or in the test file beside it.

A field's type, column and sentinels; an event's attributes; a list's values
(the first ones and how many); a rule's points, options, scope and decay
("halves every 30 days"); a duration literal in days.
"""

from __future__ import annotations

import os
import re

from ..dsl import nodes as n
from ..dsl.format import format_expr
from ..dsl.parse import UNIT_SECONDS
from . import testnames
from .names import ATTRIBUTE, CAMPAIGN, EVENT, FIELD, GROUP, LIST, RULE, STAGE, Occurrence

#: List values shown before "… and N more".
SHOWN_VALUES = 8

DURATION = re.compile(r"(?<![A-Za-z0-9_.])([0-9][0-9_]*(?:\.[0-9][0-9_]*)?)(h|d|w|mo|y)(?![A-Za-z0-9_])")
DAY = 86400


def hover_text(analyzed, offset: int) -> tuple[str, tuple[int, int]] | None:
    """Markdown for the thing at `offset`, with the offsets it covers; None when nothing is there."""
    occurrence = analyzed.index.at(offset)
    if occurrence is not None:
        declared = analyzed.index.declaration(occurrence.key)
        if declared is not None:
            text = describe(declared, analyzed)
            if text:
                return text, (occurrence.span.start, occurrence.span.end)
    return duration_at(analyzed.source.text, offset)


def hover_in_tests(analyzed, offset: int) -> tuple[str, tuple[int, int]] | None:
    """In a `.tests` file: the model's words for a name the test uses, or a duration in days."""
    used = testnames.used_at(analyzed.source.text, analyzed.path, offset)
    if used is not None:
        declared = analyzed.index.declaration(used[0])
        text = describe(declared, analyzed) if declared is not None else None
        if text:
            return text, (used[1].start, used[1].end)
    return duration_at(analyzed.source.text, offset)


def describe(declared: Occurrence, analyzed) -> str | None:
    node, kind = declared.node, declared.key.kind
    if kind == FIELD:
        return field_text(node)
    if kind == EVENT:
        return event_text(node)
    if kind == ATTRIBUTE:
        return f"attribute `{node.name.id}` of event `{declared.parent.name.id}`: {column_text(node.type, node.column)}"
    if kind == LIST:
        return list_text(node, os.path.dirname(os.path.abspath(analyzed.path)))
    if kind == RULE:
        return rule_text(node, declared)
    if kind == GROUP:
        return group_text(node, declared.key.container)
    if kind == CAMPAIGN:
        return f"campaign `{node.name.id}`: {len(node.items)} item(s), scored on its own"
    if kind == STAGE:
        word = "qualify" if isinstance(node, n.Qualify) else "disqualify"
        return f"stage `{node.name.id}` ({word}) when `{format_expr(node.condition)}`"
    return None


def column_text(type_: str, column: n.Str | None) -> str:
    return f"{type_}" + (f", read from column `{column.value}`" if column is not None else "")


def field_text(node: n.FieldDecl) -> str:
    lines = [f"field `{node.name.id}`: {column_text(node.type, node.column)}"]
    if node.sentinels:
        shown = ", ".join(f"`{format_expr(s)}`" for s in node.sentinels)
        lines.append(f"unknown when it holds {shown}")
    return "\n\n".join(lines)


def event_text(node: n.EventDecl) -> str:
    if not node.attributes:
        return f"event `{node.name.id}`: no attributes"
    rows = "\n".join(f"- `{a.name.id}`: {column_text(a.type, a.column)}" for a in node.attributes)
    return f"event `{node.name.id}`, {len(node.attributes)} attribute(s):\n\n{rows}"


def list_text(node: n.ListDecl, base_dir: str) -> str:
    if node.values is not None:
        values, origin = [format_expr(v) for v in node.values.values], ""
    else:
        values, origin = list_file_values(os.path.join(base_dir, node.path.value)), f" from `{node.path.value}`"
        if values is None:
            return f"list `{node.name.id}`{origin} (the file cannot be read)"
    shown = ", ".join(values[:SHOWN_VALUES])
    more = f" … and {len(values) - SHOWN_VALUES} more" if len(values) > SHOWN_VALUES else ""
    return f"list `{node.name.id}`{origin}: {len(values)} value(s)\n\n{shown}{more}"


def list_file_values(path: str) -> list[str] | None:
    """A list file's values as the checker reads them: one a line, blanks and `#` lines skipped."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = [line.strip() for line in handle]
    except (OSError, UnicodeDecodeError):
        return None
    return [line for line in lines if line and not line.startswith("#")]


def rule_text(rule: n.Rule, declared: Occurrence) -> str:
    lines = [f"rule `{rule.name.id}`: {points_text(rule.body)}", f"scope: {scope_text(declared)}"]
    group_decay = None
    if isinstance(declared.parent, n.Group):
        group_decay = next((o.spec for o in declared.parent.options if isinstance(o, n.DecayOption)), None)
    for option in rule.options:
        lines.append(option_text(option))
    if not any(isinstance(o, n.DecayOption) for o in rule.options) and group_decay is not None:
        lines.append(f"decay (from group `{declared.parent.name.id}`): {decay_words(group_decay)}")
    return "\n\n".join(lines)


def points_text(body) -> str:
    if isinstance(body, n.ConditionBody):
        return f"{body.points.text} when `{format_expr(body.condition)}`"
    if isinstance(body, n.EachBody):
        return f"{body.points.text} for each event of `{format_expr(body.stream)}`"
    arms = ", ".join(arm.points.text for arm in body.arms)
    return f"a table by `{format_expr(body.by)}` of {len(body.arms)} arm(s): {arms}"


def scope_text(declared: Occurrence) -> str:
    campaign = declared.key.container
    group = declared.parent.name.id if isinstance(declared.parent, n.Group) else None
    if declared.parent == "account":
        return "the account (its points go to every lead of the account)"
    where = f"campaign `{campaign}`" if campaign else "the model's total"
    return f"group `{group}` of {where}" if group else where


def option_text(option) -> str:
    if isinstance(option, n.MaxOption):
        per = f" per {duration_words(option.per)}" if option.per is not None else ""
        return f"at most {format_expr(option.limit)} points{per}"
    if isinstance(option, n.DistinctOption):
        return f"counts each distinct `{option.attribute.id}` once"
    if isinstance(option, n.DecayOption):
        return f"decay: {decay_words(option.spec)}"
    if isinstance(option, n.TagOption):
        return f"tags the lead `{option.tag.id}`"
    if isinstance(option, n.BecauseOption):
        return f"reason: {option.reason.value}"
    return ""


def decay_words(spec) -> str:
    if isinstance(spec, n.HalfLife):
        return f"halves every {duration_words(spec.period)}"
    if isinstance(spec, n.LinearDecay):
        return f"loses {spec.percent.value:g}% of its points every {duration_words(spec.period)}"
    return f"counts only events of the last {duration_words(spec.period)}, then expires"


def group_text(group: n.Group, campaign: str | None) -> str:
    where = f" of campaign `{campaign}`" if campaign else ""
    options = [f"min {format_expr(o.limit)}" if isinstance(o, n.MinOption) else
               f"max {format_expr(o.limit)}" if isinstance(o, n.GroupMaxOption) else
               f"decay: {decay_words(o.spec)}" for o in group.options]
    extra = f"; {', '.join(options)}" if options else ""
    return f"group `{group.name.id}`{where}: {len(group.rules)} rule(s){extra}"


def days(seconds: float) -> str:
    value = seconds / DAY
    return f"{value:g} day" + ("" if value == 1 else "s")


def duration_words(duration: n.Duration) -> str:
    return days(duration.seconds)


def duration_at(text: str, offset: int) -> tuple[str, tuple[int, int]] | None:
    """A duration literal under the cursor, in days (`6mo` is 180 days)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    for match in DURATION.finditer(text, line_start, line_end):
        if match.start() <= offset <= match.end():
            seconds = float(match.group(1).replace("_", "")) * UNIT_SECONDS[match.group(2)]
            return f"`{match.group(0)}` = {days(seconds)}", (match.start(), match.end())
    return None
