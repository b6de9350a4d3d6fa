"""Every name of a model, where it is declared and where it is used.

Built from the AST (what parsed, so a model with errors elsewhere still has
its names), with the checker's rules for what a name means where it stands:
inside `[ ]` a name is the stream's attribute (a field in `leads[...]`), in a
`qualify` a group before a field, after `in` a list. Hover, completion,
navigation, rename and the outline all read this one index.

A name is identified by a `Key`: its kind, the event that holds it (an
attribute) or the campaign that holds it (groups, rules, stages), and the name.
"""

from __future__ import annotations

import attrs

from ..dsl import nodes as n
from ..dsl.source import Span

FIELD, EVENT, ATTRIBUTE, LIST, GROUP, RULE, CAMPAIGN, STAGE = (
    "field", "event", "attribute", "list", "group", "rule", "campaign", "stage")

#: Kinds that share one namespace in a scope (the checker's `declare`): a new
#: name must not be taken by any of them.
SHARED = (FIELD, EVENT, LIST, GROUP)


@attrs.frozen
class Key:
    kind: str
    container: str | None            # the event of an attribute; the campaign of a group, rule or stage
    name: str


@attrs.frozen
class Occurrence:
    key: Key
    span: Span
    declaration: bool
    node: object = attrs.field(default=None, eq=False, repr=False)   # the declaring node
    parent: object = attrs.field(default=None, eq=False, repr=False)  # a rule's group, an attribute's event


class Index:
    """The occurrences of one AST, in text order."""

    def __init__(self, tree: n.Model | None):
        self.occurrences: list[Occurrence] = []
        self.declarations: dict[Key, Occurrence] = {}
        self.campaigns: dict[str, n.Campaign] = {}
        if tree is not None:
            self._declare_all(tree)
            Walker(self).model(tree)
        self.occurrences.sort(key=lambda o: o.span.start)

    # ---- queries -----------------------------------------------------------------

    def at(self, offset: int) -> Occurrence | None:
        """The occurrence whose span holds the offset (its end counts: a cursor after a name)."""
        for occurrence in self.occurrences:
            if occurrence.span.start <= offset <= occurrence.span.end:
                return occurrence
        return None

    def declaration(self, key: Key) -> Occurrence | None:
        return self.declarations.get(key)

    def uses(self, key: Key) -> list[Occurrence]:
        return [o for o in self.occurrences if o.key == key]

    def names(self, kind: str, container: str | None = None) -> list[str]:
        return [k.name for k in self.declarations if k.kind == kind and k.container == container]

    def event(self, name: str) -> n.EventDecl | None:
        found = self.declarations.get(Key(EVENT, None, name))
        return found.node if found else None

    def taken(self, key: Key, new: str) -> Occurrence | None:
        """A declaration that already holds `new` where `key` would be renamed to it."""
        kinds = SHARED if key.kind in SHARED else (key.kind,)
        for kind in kinds:
            found = self.declarations.get(Key(kind, key.container if kind == key.kind else None, new))
            if found is not None:
                return found
        return None

    # ---- building ----------------------------------------------------------------

    def add(self, kind: str, container, name: n.Name, declaration: bool = False, node=None, parent=None) -> None:
        key = Key(kind, container, name.id)
        occurrence = Occurrence(key, name.span, declaration, node, parent)
        self.occurrences.append(occurrence)
        if declaration:
            self.declarations.setdefault(key, occurrence)

    def _declare_all(self, tree: n.Model) -> None:
        """Declarations first, so that uses before them (a rule above its field) resolve."""
        for item in tree.items:
            if isinstance(item, n.FieldDecl):
                self.add(FIELD, None, item.name, True, item)
            elif isinstance(item, n.EventDecl):
                self.add(EVENT, None, item.name, True, item)
                for attribute in item.attributes:
                    self.add(ATTRIBUTE, item.name.id, attribute.name, True, attribute, item)
            elif isinstance(item, n.ListDecl):
                self.add(LIST, None, item.name, True, item)
            elif isinstance(item, n.Campaign):
                self.campaigns[item.name.id] = item
                self.add(CAMPAIGN, None, item.name, True, item)
                self._declare_scope(item.items, item.name.id)
            elif isinstance(item, n.Account):
                self._declare_scope(item.rules, None, "account")
            else:
                self._declare_scope((item,), None)

    def _declare_scope(self, items, campaign: str | None, where: str | None = None) -> None:
        for item in items:
            if isinstance(item, n.Rule):
                self.add(RULE, campaign, item.name, True, item, where)
            elif isinstance(item, n.Group):
                self.add(GROUP, campaign, item.name, True, item)
                for rule in item.rules:
                    self.add(RULE, campaign, rule.name, True, rule, item)
            elif isinstance(item, (n.Qualify, n.Disqualify)):
                self.add(STAGE, campaign, item.name, True, item)


class Walker:
    """The uses: every name in an expression, stream, option or `tiers` line."""

    def __init__(self, index: Index):
        self.index = index

    def model(self, tree: n.Model) -> None:
        for item in tree.items:
            self.item(item, None)

    def item(self, item, campaign: str | None) -> None:
        if isinstance(item, n.Rule):
            self.rule(item, campaign)
        elif isinstance(item, n.Group):
            for rule in item.rules:
                self.rule(rule, campaign)
        elif isinstance(item, n.Campaign):
            for inner in item.items:
                self.item(inner, item.name.id)
        elif isinstance(item, n.Account):
            self.expr(item.key, None, None, False)
            if item.where is not None:
                self.expr(item.where, None, None, False)
            for rule in item.rules:
                self.rule(rule, None)
        elif isinstance(item, (n.Qualify, n.Disqualify)):
            self.expr(item.condition, campaign, None, isinstance(item, n.Qualify))
        elif isinstance(item, n.Tiers) and item.group is not None:
            self.index.add(GROUP, campaign, item.group)

    def rule(self, rule: n.Rule, campaign: str | None) -> None:
        body = rule.body
        if isinstance(body, n.ConditionBody):
            self.expr(body.condition, campaign, None, False)
        elif isinstance(body, n.EachBody):
            self.stream(body.stream, campaign)
        elif isinstance(body, n.TableBody):
            self.expr(body.by, campaign, None, False)
        for option in rule.options:
            if isinstance(option, n.DistinctOption):
                source = body.stream.source if isinstance(body, n.EachBody) else None
                self.attribute(option.attribute, source)

    def attribute(self, name: n.Name, event: str | None) -> None:
        """An attribute of a named event; of `leads`, a field; of every event, no one declaration."""
        if event is not None and Key(ATTRIBUTE, event, name.id) in self.index.declarations:
            self.index.add(ATTRIBUTE, event, name)

    def stream(self, stream: n.Stream, campaign: str | None) -> None:
        if stream.source is not None:
            self.index.add(EVENT, None, n.Name(stream.source, span=stream.source_span))
        if stream.filter is not None:
            subject = "leads" if stream.is_leads else stream.source
            self.expr(stream.filter, campaign, subject or "all", False)

    def expr(self, node, campaign: str | None, filter_of: str | None, qualify: bool) -> None:
        if node is None:
            return
        if isinstance(node, n.Name):
            self.name(node, campaign, filter_of, qualify)
        elif isinstance(node, n.Aggregate):
            self.stream(node.stream, campaign)
            if node.attribute is not None:
                self.attribute(node.attribute, None if node.stream.is_leads else node.stream.source)
        elif isinstance(node, n.Membership):
            self.expr(node.operand, campaign, filter_of, qualify)
            if isinstance(node.target, n.Name):
                self.index.add(LIST, None, node.target)
        else:
            for child in attrs.astuple(node, recurse=False):
                if isinstance(child, (tuple, Span)) or not attrs.has(type(child)):
                    continue
                self.expr(child, campaign, filter_of, qualify)

    def name(self, node: n.Name, campaign, filter_of, qualify) -> None:
        declarations = self.index.declarations
        if filter_of == "leads":
            self.index.add(FIELD, None, node)
        elif filter_of == "all":
            return
        elif filter_of is not None:
            self.attribute(node, filter_of)
        elif qualify and Key(GROUP, campaign, node.id) in declarations:
            self.index.add(GROUP, campaign, node)
        elif qualify and Key(GROUP, None, node.id) in declarations:
            self.index.add(GROUP, None, node)
        else:
            self.index.add(FIELD, None, node)
