"""Re-checking a model after a change without parsing it all again.

Parsing is most of the front end's time (on a 1,000-rule model, about 15
times the checking), and a keystroke changes one declaration. So the
document is cut into its top-level declarations, as the front end's syntax
recovery cuts it (`dsl.recover.by_declaration`), and each declaration whose
text was parsed before is taken from the last version, its spans moved to
where it now stands; only the changed ones are parsed. The whole model is
then checked as `dsl.analyze` checks it, so the diagnostics are the same
(tests/test_lsp_incremental.py compares them).

A declaration starts at a line start, so moving it changes its lines and
offsets, never its columns.
"""

from __future__ import annotations

import attrs

from ..dsl import Analysis, analyze, limits
from ..dsl.check import check
from ..dsl.diagnostics import Reporter
from ..dsl.parse import to_ast
from ..dsl.recover import by_declaration
from ..dsl.source import Source, Span


class Reparser:
    """The parsed declarations of one document's last version, by their text."""

    def __init__(self):
        self.parsed: dict[str, tuple] = {}      # declaration text -> (AST at line 1, its diagnostics)
        self.placed: dict[tuple, object] = {}   # (text, offset, line) -> the AST where it stands

    def analyze(self, text: str, filename: str, base_dir) -> Analysis:
        """What `dsl.analyze(text, filename, base_dir)` gives, parsing only what changed."""
        if len(text) > limits.MAX_MODEL:
            return analyze(text, filename, base_dir)
        source = Source(text, filename)
        reporter = Reporter(source)
        used, placed = {}, {}
        parsed = by_declaration(source, reporter, lambda excerpt, r: self.parse(excerpt, r, used, placed))
        self.parsed, self.placed = used, placed
        model = check(parsed.model, source, reporter, base_dir, parsed.lost)
        return Analysis(source, model, tuple(reporter.sorted()), parsed.model)

    def parse(self, excerpt, reporter: Reporter, used: dict, placed: dict):
        """One declaration's AST where it stands, and the diagnostics its parse reported.
        A declaration that does not parse raises, as `to_ast` does (nothing is kept)."""
        known = self.parsed.get(excerpt.text)
        if known is None:
            alone = Source(excerpt.text, excerpt.filename)
            local = Reporter(alone)
            known = (to_ast(alone, local), tuple(local.diagnostics))
        used[excerpt.text] = known
        tree, diagnostics = known
        line = excerpt.whole.position(excerpt.start)[0] - 1
        where = (excerpt.text, excerpt.start, line)
        moved = self.placed.get(where)
        if moved is None:
            moved = move(tree, excerpt.start, line) if excerpt.start or line else tree
        placed[where] = moved
        for d in diagnostics:
            reporter.diagnostics.append(attrs.evolve(d, span=moved_span(d.span, excerpt.start, line)))
        return moved


def moved_span(span: Span, offset: int, lines: int) -> Span:
    return Span(span.line + lines, span.column, span.end_line + lines, span.end_column,
                span.start + offset, span.end + offset)


def move(node, offset: int, lines: int):
    """A copy of an AST node (and all below it) `lines` lines and `offset` characters further on.

    The copy is made field by field, without `attrs.evolve` (which validates and
    calls `__init__`): a 1,000-rule model has some 12,000 nodes, and moving them
    is what a keystroke early in the file costs."""
    kind = type(node)
    if kind is Span:
        return moved_span(node, offset, lines)
    if kind is tuple:
        return tuple(move(item, offset, lines) for item in node)
    names = FIELDS.get(kind)
    if names is None:
        names = FIELDS[kind] = tuple(f.name for f in attrs.fields(kind)) if attrs.has(kind) else ()
    if not names:
        return node
    copy = object.__new__(kind)
    for name in names:
        value = getattr(node, name)
        if type(value) is Span or type(value) is tuple or type(value) in FIELDS or attrs.has(type(value)):
            value = move(value, offset, lines)
        object.__setattr__(copy, name, value)
    return copy


#: The field names of each node class met (none: not a node).
FIELDS: dict = {}
