"""The outline (document symbols) and folding ranges of a document.

A model's outline holds its declarations, groups with their rules,
campaigns with theirs, and the account; a test file's holds its cases.
Every declaration that spans lines folds.
"""

from __future__ import annotations

from lsprotocol import types

from ..dsl import nodes as n
from ..dsl.diagnostics import Reporter
from ..testing.parse import Case, parse
from . import positions
from .documents import TESTS

KIND = types.SymbolKind
NODE_KIND = {n.FieldDecl: ("field", KIND.Field), n.EventDecl: ("event", KIND.Event),
             n.ListDecl: ("list", KIND.Enum), n.Rule: ("rule", KIND.Function),
             n.Group: ("group", KIND.Module), n.Campaign: ("campaign", KIND.Namespace),
             n.Qualify: ("qualify", KIND.Boolean), n.Disqualify: ("disqualify", KIND.Boolean)}


def outline(analyzed) -> list[types.DocumentSymbol]:
    if analyzed.kind == TESTS:
        return [symbol(analyzed.source, case.name.value, "test", KIND.Method, case.span, case.name.span)
                for case in test_cases(analyzed)]
    tree = analyzed.analysis.tree if analyzed.analysis is not None else None
    return [s for item in (tree.items if tree is not None else ()) if (s := item_symbol(analyzed.source, item))]


def item_symbol(source, item) -> types.DocumentSymbol | None:
    if isinstance(item, n.Account):
        return symbol(source, "account", "account", KIND.Namespace, item.span, item.span,
                      [item_symbol(source, rule) for rule in item.rules])
    found = NODE_KIND.get(type(item))
    if found is None:
        return None
    children = (item.rules if isinstance(item, n.Group) else
                item.items if isinstance(item, n.Campaign) else ())
    inner = [s for child in children if (s := item_symbol(source, child))]
    return symbol(source, item.name.id, found[0], found[1], item.span, item.name.span, inner)


def symbol(source, name, detail, kind, span, name_span, children=()) -> types.DocumentSymbol:
    return types.DocumentSymbol(name=name, detail=detail, kind=kind, range=positions.to_range(source, span),
                                selection_range=positions.to_range(source, name_span),
                                children=list(children) or None)


def test_cases(analyzed) -> list[Case]:
    """The test cases of a `.tests` document, as parsed (with their spans)."""
    tree = parse(analyzed.source, Reporter(analyzed.source))
    return [item for item in tree.items if isinstance(item, Case)]


def folding(analyzed) -> list[types.FoldingRange]:
    spans = ([case.span for case in test_cases(analyzed)] if analyzed.kind == TESTS
             else [s for item in tree_items(analyzed) for s in item_spans(item)])
    return [types.FoldingRange(start_line=span.line - 1, end_line=span.end_line - 1)
            for span in spans if span.end_line > span.line]


def tree_items(analyzed):
    tree = analyzed.analysis.tree if analyzed.analysis is not None else None
    return tree.items if tree is not None else ()


def item_spans(item):
    """The span of a declaration and of each declaration inside it."""
    yield item.span
    for child in getattr(item, "rules", ()) or getattr(item, "items", ()):
        yield from item_spans(child)
