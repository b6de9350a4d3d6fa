"""What a rule's explanation shows: the fields and aggregates it read.

Both backends (closures.py, codegen.py) list the same inputs under the same
labels; this module decides which and how they are called, so neither
backend imports the other.
"""

from __future__ import annotations

import attrs

from ..dsl import ir
from ..runtime.values import format_duration


def input_nodes(rule: ir.Rule) -> list:
    """(label, node) for each field and aggregate a rule reads, once each, in reading order.

    Text fields are shown as written (stripped), not case-folded.
    """
    root = rule.condition if rule.kind == "condition" else rule.by
    found, seen = [], set()
    for node in (ir.walk(root) if root is not None else ()):
        label = input_label(node)
        if label is None or label in seen:
            continue
        seen.add(label)
        if isinstance(node, ir.FieldRef) and node.type == "text":
            node = attrs.evolve(node, stripped=True)
        found.append((label, node))
    return found


def input_label(node) -> str | None:
    """The label an input is shown under: the field's name, or the aggregate as written; None: not an input."""
    if isinstance(node, ir.FieldRef):
        return node.name
    if isinstance(node, ir.Aggregate):
        source = "leads" if node.stream.is_leads else (node.stream.source or "event")
        extra = " (filtered)" if node.stream.filter is not None else ""
        window = "" if node.stream.window is None else f" within {format_duration(node.stream.window)}"
        attribute = f", {node.attribute}" if node.attribute else ""
        return f"{node.kind}({source}{extra}{window}{attribute})"
    return None
