"""Code actions (quick fixes) for a model's diagnostics.

- a diagnostic whose suggestion is "did you mean `x`?" is fixed by writing `x`
  over the diagnostic's text;
- an unknown field or event is fixed by declaring it, after the last
  declaration of its kind (a field as `text`, the type to adjust).
"""

from __future__ import annotations

import re

import attrs

from ..dsl import nodes as n

DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
UNKNOWN = re.compile(r"unknown (field|event) `([A-Za-z_][A-Za-z0-9_]*)`$")
DECLARATIONS = (n.FieldDecl, n.EventDecl, n.ListDecl)


@attrs.frozen
class Fix:
    """One quick fix: a title, the diagnostic it fixes, and the text to put at [start, end)."""

    title: str
    diagnostic: object
    start: int
    end: int
    text: str


def fixes(analyzed, start: int, end: int) -> list[Fix]:
    """The fixes of the diagnostics that touch the offsets [start, end]."""
    found = []
    for diagnostic in analyzed.diagnostics:
        if diagnostic.span.start > end or diagnostic.span.end < start:
            continue
        found.extend(fixes_of(analyzed, diagnostic))
    return found


def fixes_of(analyzed, diagnostic) -> list[Fix]:
    out = []
    suggested = DID_YOU_MEAN.search(diagnostic.suggestion or "")
    if suggested:
        word = suggested.group(1)
        out.append(Fix(f"Replace with `{word}`", diagnostic, diagnostic.span.start, diagnostic.span.end, word))
    unknown = UNKNOWN.match(diagnostic.message)
    if unknown and analyzed.analysis is not None:
        kind, name = unknown.groups()
        text = f"field {name}: text\n" if kind == "field" else f"event {name}\n"
        declared = n.FieldDecl if kind == "field" else n.EventDecl
        at = insertion_point(analyzed.analysis.tree, analyzed.source.text, declared)
        if at == len(analyzed.source.text) and not analyzed.source.text.endswith("\n"):
            text = "\n" + text
        out.append(Fix(f"Declare {kind} `{name}`", diagnostic, at, at, text))
    return out


def insertion_point(tree, text: str, kind: type) -> int:
    """Where a new declaration of `kind` goes: after the last one of its kind, else after the
    last declaration, else after the `model` line, else at the top."""
    items = tree.items if tree is not None else ()
    same = [i for i in items if isinstance(i, kind)]
    anchors = same or [i for i in items if isinstance(i, DECLARATIONS)]
    if anchors:
        return line_after(text, anchors[-1].span.end)
    if tree is not None and tree.header is not None:
        return line_after(text, tree.header.span.end)
    return 0


def line_after(text: str, offset: int) -> int:
    newline = text.find("\n", offset)
    return len(text) if newline < 0 else newline + 1
