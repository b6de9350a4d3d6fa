"""What changed between two checked models: a list of change records.

`diff(old, new)` takes two valid `Analysis` objects (the checked IR and the
source it came from) and returns `Change` records, one per item that was
added, removed, changed or moved. Items are matched by what names them:

- rules by (naming scope, name), where the naming scope is the global scope
  (ungrouped rules and every global group), the account, or one campaign; a
  rule whose group changed is `moved` (and may have other aspects changed);
- groups, stages (`qualify`/`disqualify`) by (naming scope, name); tiers by
  (campaign, group); fields, events and lists by name; the clamp, the
  account and the model header are one item each.

Whether something changed is decided on the checked IR, so layout, comments,
option order and the spelling of a literal never count (`"VP"` and `"vp"`
are the same text value). Conditions, streams and `by` expressions are shown
as the formatter writes them; when their text differs but their meaning does
not, the aspect is reported with `same_meaning` set (a reviewer may want to
know), and when the text is the same but the meaning is not (a list or a
field it reads changed) the aspect says which declaration to look at.

Nothing here reads data or scores a lead; the only I/O is reading the files
of `list ... from` declarations, as the checker does (pass `read_list` to
replace it).
"""

from __future__ import annotations

import os
from typing import Callable, Iterable

import attrs

from ..runtime import values as v
from ..dsl import ir
from ..dsl import nodes as n
from ..dsl.diagnostics import Reporter
from ..dsl.format import points_text
from ..dsl.recover import parse
from ..dsl.source import Source
from ..dsl.visitor import NodeVisitor

ADDED, REMOVED, CHANGED, MOVED = "added", "removed", "changed", "moved"
KINDS = (ADDED, REMOVED, CHANGED, MOVED)

#: Every `what`, in the order reports list them.
WHATS = ("model", "field", "event", "list", "clamp", "rule", "group", "account", "campaign", "tier", "stage")

NONE = "(none)"


@attrs.frozen
class Aspect:
    """One changed property of a changed item; `old`/`new` as text, None when absent."""

    name: str                        # points, arm "VP", condition, max, max per, decay, ...
    old: str | None
    new: str | None
    note: str = ""
    same_meaning: bool = False       # only the text differs (a rewrite); nothing scores differently

    def to_dict(self) -> dict:
        return {"aspect": self.name, "old": self.old, "new": self.new, "note": self.note or None,
                "same_meaning": self.same_meaning}

    def text(self) -> str:
        if self.old == self.new:
            line = f"{self.name}: {self.old}"
        else:
            line = f"{self.name}: {NONE if self.old is None else self.old} -> {NONE if self.new is None else self.new}"
        notes = [self.note] if self.note else []
        if self.same_meaning and not self.note:
            notes.append("same meaning")
        return line + (f"  ({'; '.join(notes)})" if notes else "")


@attrs.frozen
class Change:
    """One item added, removed, changed or moved.

    `scope` is where the item lives: for rules and groups the label results
    use (`global`, a group name, `account`, `campaign NAME`,
    `campaign NAME/GROUP`; for a removed rule its old one), for other items
    `global`, `account` or `campaign NAME`. `summary` is the item as
    written, on one line (for every kind). `aspects` lists what changed
    (changed and moved items).
    """

    kind: str
    what: str
    scope: str
    name: str
    summary: str = ""
    aspects: tuple = ()
    note: str = ""

    @property
    def same_meaning(self) -> bool:
        """A changed item whose every aspect is a rewrite with the same meaning."""
        return self.kind == CHANGED and bool(self.aspects) and all(a.same_meaning for a in self.aspects)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "what": self.what, "scope": self.scope, "name": self.name,
                "summary": self.summary, "aspects": [a.to_dict() for a in self.aspects],
                "note": self.note or None}


# ---- entry points -------------------------------------------------------------------

def diff(old, new, *, old_dir: str | os.PathLike | None = None, new_dir: str | os.PathLike | None = None,
         read_list: Callable[[str, str], tuple | None] | None = None) -> tuple:
    """The changes from `old` to `new`, two `dsl.Analysis` objects of valid models.

    `old_dir`/`new_dir`: where each model's `list ... from` paths are
    relative to (the `base_dir` it was analyzed with; default: the directory
    of its file name, which is what `analyze_file` uses).
    """
    for analysis in (old, new):
        if analysis.model is None:
            raise ValueError(f"{analysis.source.filename} is not a valid model")
    return diff_models(old.model, old.source, new.model, new.source, old_dir=old_dir, new_dir=new_dir,
                       read_list=read_list)


def diff_models(old: ir.Model, old_source: Source, new: ir.Model, new_source: Source, *,
                old_dir: str | os.PathLike | None = None, new_dir: str | os.PathLike | None = None,
                read_list: Callable[[str, str], tuple | None] | None = None) -> tuple:
    """The changes from `old` to `new`: checked models with the sources they were checked from.

    `read_list(path, base_dir)` returns the values of a `list ... from`
    file (None when it cannot be read); the default reads the file relative
    to `base_dir`, as the checker does.
    """
    reader = read_list or _read_list_file
    a = _Side(old, old_source, reader, _base_dir(old_dir, old_source))
    b = _Side(new, new_source, reader, _base_dir(new_dir, new_source))
    return _Differ(a, b).run()


def _base_dir(given, source: Source) -> str:
    if given is not None:
        return os.fspath(given)
    return os.path.dirname(os.path.abspath(source.filename))


def counts(changes: Iterable[Change]) -> dict:
    """How many changes of each kind: {"added": n, "removed": n, "changed": n, "moved": n}."""
    out = dict.fromkeys(KINDS, 0)
    for change in changes:
        out[change.kind] += 1
    return out


SECTION_TITLES = {"model": "Model", "field": "Fields", "event": "Events", "list": "Lists", "clamp": "Clamp",
                  "rule": "Rules", "group": "Groups", "account": "Account", "campaign": "Campaigns",
                  "tier": "Tiers", "stage": "Stages"}
#: Kinds whose summary starts with the item's name (or keyword), printed as it is.
SELF_NAMED = {"field", "event", "list", "stage", "tier", "clamp", "account"}
MARKS = {ADDED: "+", REMOVED: "-", CHANGED: "~", MOVED: ">"}


def text(changes: Iterable[Change]) -> str:
    """The changes for a person: one section per kind of item, one line per item,
    its changed aspects indented below it."""
    changes = tuple(changes)
    if not changes:
        return "no changes"
    lines: list[str] = []
    for what in WHATS:
        items = [c for c in changes if c.what == what]
        if not items:
            continue
        tally = counts(items)
        parts = ", ".join(f"{count} {kind}" for kind, count in tally.items() if count)
        if lines:
            lines.append("")
        lines.append(f"{SECTION_TITLES[what]} ({parts})")
        for change in items:
            lines.extend(_change_lines(change))
    return "\n".join(lines)


def _change_lines(change: Change) -> list[str]:
    mark = MARKS[change.kind]
    where = _where(change)
    if change.kind in (ADDED, REMOVED):
        if change.what in SELF_NAMED:
            scope = f" [{change.scope}]" if change.scope not in ("global", "account") else ""
            head = f"  {mark} {change.summary}{scope}"
        else:
            head = f"  {mark} {where}: {change.summary}" if change.summary else f"  {mark} {where}"
    elif change.kind == MOVED:
        move = next((a for a in change.aspects if a.name == "group"), None)
        head = f"  {mark} {where}" + (f" moved {move.old} -> {move.new}" if move else " moved")
    else:
        head = f"  {mark} {where}" + ("  (same meaning)" if change.same_meaning else "")
    lines = [head]
    if change.note:
        lines.append(f"      note: {change.note}")
    for aspect in change.aspects:
        if change.kind == MOVED and aspect.name == "group":
            continue
        lines.append(f"      {aspect.text()}")
    return lines


def _where(change: Change) -> str:
    if change.what == "tier":
        head = "tiers" if change.name == "score" else f"tiers {change.name}"
        return head + (f" [{change.scope}]" if change.scope != "global" else "")
    if change.what == "rule":
        return f"{change.name} [{change.scope}]"
    name = change.name
    if change.what == "stage" and change.summary:
        name = " ".join(change.summary.split()[:2])          # `qualify mql`, `disqualify competitor`
    if change.what in ("group", "stage") and change.scope != "global":
        return f"{name} [{change.scope}]"
    return name


# ---- one side: the IR with its AST, indexed --------------------------------------------

def _naming_scope(scope: ir.Scope) -> str:
    if scope.kind == "campaign":
        return f"campaign {scope.campaign}"
    return scope.kind


@attrs.frozen
class _RuleView:
    rule: ir.Rule
    group: ir.Group | None
    node: n.Rule | None
    group_node: n.Group | None


def _rule_decay_text(view: _RuleView) -> str | None:
    """A rule's effective decay as written: its own option, else its group's."""
    if view.rule.decay is None:
        return None
    spec = _own_decay_node(view.node) or _own_decay_node(view.group_node)
    if spec is not None and canon(_decay_of(spec)) == canon(view.rule.decay):
        return _spec_text(spec)
    return decay_text(view.rule.decay)


def _rule_max_per_text(view: _RuleView) -> str | None:
    if view.rule.max_per is None:
        return None
    for option in (view.node.options if view.node is not None else ()):
        if isinstance(option, n.MaxOption) and option.per is not None:
            return f"{v.number_text(float(option.limit.value))} per {option.per.text}"
    return _max_per(view.rule.max_per)


class _Side:
    """One model: the checked IR, the AST it was checked from, and indexes by name."""

    def __init__(self, model: ir.Model, source: Source, read_list, base_dir: str):
        self.base_dir = base_dir
        self.model = model
        self.source = source
        self.tree = parse(source, Reporter(source)) or n.Model(None, ())
        self.read_list = read_list
        items = self.tree.items
        self.field_nodes = {i.name.id: i for i in items if isinstance(i, n.FieldDecl)}
        self.event_nodes = {i.name.id: i for i in items if isinstance(i, n.EventDecl)}
        self.list_nodes = {i.name.id: i for i in items if isinstance(i, n.ListDecl)}
        account_nodes = [i for i in items if isinstance(i, n.Account)]
        self.account_node = account_nodes[0] if account_nodes else None

        rule_nodes: dict = {}
        group_nodes: dict = {}
        stage_nodes: dict = {}

        def scope_items(scope: str, body) -> None:
            for item in body:
                if isinstance(item, n.Group):
                    group_nodes.setdefault((scope, item.name.id), item)
                    for rule in item.rules:
                        rule_nodes.setdefault((scope, rule.name.id), (rule, item))
                elif isinstance(item, n.Rule):
                    rule_nodes.setdefault((scope, item.name.id), (item, None))
                elif isinstance(item, (n.Qualify, n.Disqualify)):
                    stage_nodes.setdefault((scope, item.name.id), item)

        scope_items("global", items)
        for campaign in (i for i in items if isinstance(i, n.Campaign)):
            scope_items(f"campaign {campaign.name.id}", campaign.items)
        if self.account_node is not None:
            scope_items("account", self.account_node.rules)

        self.rules: dict = {}
        for rule, group in model.all_rules():
            key = (_naming_scope(rule.scope), rule.name)
            node, group_node = rule_nodes.get(key, (None, None))
            self.rules[key] = _RuleView(rule, group, node, group_node)
        self.groups: dict = {}
        for group in model.groups:
            self.groups[("global", group.name)] = group
        for campaign in model.campaigns:
            for group in campaign.groups:
                self.groups[(f"campaign {campaign.name}", group.name)] = group
        self.group_nodes = group_nodes
        self.stages: dict = {}
        for kind, stages, scope in (("qualify", model.qualify, "global"),
                                    ("disqualify", model.disqualify, "global")):
            for stage in stages:
                self.stages[(scope, stage.name)] = (kind, stage)
        for campaign in model.campaigns:
            for stage in campaign.qualify:
                self.stages[(f"campaign {campaign.name}", stage.name)] = ("qualify", stage)
        self.stage_nodes = stage_nodes
        self.campaigns = {c.name: c for c in model.campaigns}
        self.tiers: dict = {}
        for scope, tiers, group_tiers in ([("global", model.tiers, model.group_tiers)]
                                          + [(f"campaign {c.name}", c.tiers, c.group_tiers)
                                             for c in model.campaigns]):
            for tier_set in ((tiers,) if tiers is not None else ()) + tuple(group_tiers):
                self.tiers[(scope, tier_set.group)] = tier_set

    # ---- text of AST pieces ----

    def expr_text(self, node) -> str:
        if node is None:
            return ""
        try:
            from ..dsl.format import format_expr
            return format_expr(node, self.source)
        except Exception:  # noqa: BLE001 - the formatter is a nicety here; fall back to the text
            return _collapse(self.source.snippet(node.span))

    def list_values(self, name: str):
        """(source text, values folded for comparison, values as written) of a list."""
        node = self.list_nodes.get(name)
        if node is None:
            return None
        if node.values is not None:
            written = tuple(node.values.values)
            shown = tuple(_literal_text(x) for x in written)
            keys = tuple(_literal_key(x) for x in written)
            return "[...]", keys, shown
        values = self.read_list(node.path.value, self.base_dir)
        if values is None:
            return f"from {_quote(node.path.value)}", None, None
        return f"from {_quote(node.path.value)}", tuple(v.fold(x) for x in values), tuple(_quote(x) for x in values)


def _read_list_file(path: str, base_dir: str) -> tuple | None:
    full = os.path.join(base_dir, path)
    try:
        with open(full, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


# ---- canonical forms: the IR without what carries no meaning ------------------------------

def canon(value):
    """A comparable form of an IR expression, stream or value: stream ids (which
    number streams in declaration order) and spans left out."""
    if isinstance(value, ir.StreamDef):
        return ("stream", value.source, value.is_leads, canon(value.filter), value.window, value.account)
    if isinstance(value, tuple):
        return tuple(canon(x) for x in value)
    if attrs.has(type(value)):
        return (type(value).__name__,) + tuple(
            canon(getattr(value, f.name)) for f in attrs.fields(type(value)) if f.eq)
    return value


def _arm_key(arm: ir.Arm):
    return (arm.kind, arm.values, frozenset(arm.ranges))


def _body_canon(rule: ir.Rule):
    if rule.kind == "condition":
        return canon(rule.condition)
    if rule.kind == "each":
        return canon(rule.stream)
    return canon(rule.by)


# ---- formatting values --------------------------------------------------------------------

def _collapse(text: str) -> str:
    """Runs of whitespace outside strings become one space."""
    out, in_string, escaped, space = [], False, False, False
    for ch in text.strip():
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch.isspace():
            space = True
            continue
        if space and out:
            out.append(" ")
        space = False
        out.append(ch)
        if ch == '"':
            in_string = True
    return "".join(out)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Pieces(NodeVisitor):
    """The AST pieces the diff reads by their kind (dsl/visitor.py): `text_<Node>` a literal or
    decay spec as the diff writes it, `key_<Node>` a literal's value as compared, `decay_<Node>`
    a decay spec's IR `Decay`, as the checker computes it."""

    stage_name = "the diff"

    def text_Str(self, node: n.Str) -> str:
        return _quote(node.value)

    def text_Num(self, node: n.Num) -> str:
        return v.number_text(float(node.value))

    def text_Bool(self, node: n.Bool) -> str:
        return "true" if node.value else "false"

    def key_Str(self, node: n.Str):
        return v.fold(node.value)

    def key_Num(self, node: n.Num):
        return float(node.value)

    def key_Bool(self, node: n.Bool):
        return node.value

    def text_HalfLife(self, spec: n.HalfLife) -> str:
        return f"half_life {spec.period.text}"

    def text_Expire(self, spec: n.Expire) -> str:
        return f"expire {spec.period.text}"

    def text_LinearDecay(self, spec: n.LinearDecay) -> str:
        return f"{v.number_text(spec.percent.value)}% per {spec.period.text}"

    def decay_HalfLife(self, spec: n.HalfLife) -> ir.Decay:
        return ir.Decay("half_life", _us(spec.period))

    def decay_Expire(self, spec: n.Expire) -> ir.Decay:
        return ir.Decay("expire", _us(spec.period))

    def decay_LinearDecay(self, spec: n.LinearDecay) -> ir.Decay:
        return ir.Decay("linear", _us(spec.period), spec.percent.value / 100.0)


_PIECES = _Pieces()


def _us(duration: n.Duration) -> int:
    return max(1, round(duration.seconds * v.US_PER_SECOND))


def _literal_text(node) -> str:
    return _PIECES.dispatch("text", node)


def _literal_key(node):
    return _PIECES.dispatch("key", node)


def _points(value: float, node: n.Points | None) -> str:
    if node is not None and float(node.value) == value:
        return node.text
    return points_text(value)


def decay_text(decay: ir.Decay | None) -> str | None:
    if decay is None:
        return None
    period = v.format_duration(decay.period)
    if decay.kind == "half_life":
        return f"half_life {period}"
    if decay.kind == "expire":
        return f"expire {period}"
    return f"{v.number_text(round(decay.rate * 100, 10))}% per {period}"


def _decay_of(spec) -> ir.Decay:
    """The IR decay of an AST decay spec (as the checker computes it)."""
    return _PIECES.dispatch("decay", spec)


def _spec_text(spec) -> str:
    """A decay spec as written: `half_life 30d`, `50% per 30d`, `expire 90d`."""
    return _PIECES.dispatch("text", spec)


def _own_decay_node(node: n.Rule | n.Group | None):
    if node is None:
        return None
    return next((o.spec for o in node.options if isinstance(o, n.DecayOption)), None)


def _own_decay(node: n.Rule | n.Group | None) -> ir.Decay | None:
    if node is None:
        return None
    for option in node.options:
        if isinstance(option, n.DecayOption):
            return _decay_of(option.spec)
    return None


def _number(value: float | None) -> str | None:
    return None if value is None else v.number_text(value)


def _max_per(max_per) -> str | None:
    if max_per is None:
        return None
    limit, period = max_per
    return f"{v.number_text(limit)} per {v.format_duration(period)}"


def _range_text(low, high) -> str:
    return f"{'' if low is None else v.number_text(low)}..{'' if high is None else v.number_text(high)}"


def _tiers_text(tiers: ir.TierSet) -> str:
    parts = [tiers.names[0]] + [f"{name} >= {v.number_text(t)}"
                                for name, t in zip(tiers.names[1:], tiers.thresholds)]
    return ", ".join(parts)


def _names_in(node) -> set:
    """Every declared name an AST expression mentions: fields, lists, events."""
    found: set = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
            continue
        if not attrs.has(type(item)):
            continue
        if isinstance(item, n.Name):
            found.add(item.id)
        elif isinstance(item, n.Stream) and item.source:
            found.add(item.source)
        for f in attrs.fields(type(item)):
            if f.name not in ("span", "source_span"):
                stack.append(getattr(item, f.name))
    return found


def _shorten(values: list, limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


# ---- the diff --------------------------------------------------------------------------------

class _Differ:
    def __init__(self, old: _Side, new: _Side):
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.changed_names: set = set()     # declarations (fields, events, lists) that changed

    def add(self, change: Change) -> None:
        self.changes.append(change)

    def run(self) -> tuple:
        self.model_header()
        self.fields()
        self.events()
        self.lists()
        self.clamp()
        self.rules()
        self.groups()
        self.account()
        self.campaigns()
        self.tiers()
        self.stages()
        order = {what: i for i, what in enumerate(WHATS)}
        return tuple(sorted(self.changes, key=lambda c: order[c.what]))

    @staticmethod
    def keyed(old: dict, new: dict):
        """(key, old item | None, new item | None): the new model's order, then what only the old has."""
        for key, item in new.items():
            yield key, old.get(key), item
        for key, item in old.items():
            if key not in new:
                yield key, item, None

    # ---- header and declarations ----

    def model_header(self) -> None:
        a, b = self.old.model, self.new.model
        aspects = []
        declared = self.old.tree.header is not None or self.new.tree.header is not None
        if a.name != b.name and declared:     # a name taken from the file's stem is no change
            aspects.append(Aspect("name", _quote(a.name), _quote(b.name)))
        if a.version != b.version:
            aspects.append(Aspect("version", _number(a.version), _number(b.version)))
        if aspects:
            self.add(Change(CHANGED, "model", "global", b.name, aspects=tuple(aspects)))

    def field_summary(self, side: _Side, field: ir.Field) -> str:
        text = f"{field.name}: {field.type}"
        if field.column != field.name:
            text += f" from {_quote(field.column)}"
        sentinels = self.sentinels_text(side, field)
        if sentinels:
            text += f", unknown {sentinels}"
        return text

    @staticmethod
    def sentinels_text(side: _Side, field: ir.Field) -> str | None:
        node = side.field_nodes.get(field.name)
        if node is not None and node.sentinels:
            return ", ".join(_literal_text(s) for s in node.sentinels)
        values = [_quote(t) for t in sorted(field.sentinel_texts)]
        values += [v.number_text(x) for x in sorted(field.sentinel_numbers)]
        return ", ".join(values) or None

    def fields(self) -> None:
        old = {f.name: f for f in self.old.model.fields}
        new = {f.name: f for f in self.new.model.fields}
        for name, a, b in self.keyed(old, new):
            if a is None or b is None:
                self.changed_names.add(name)
                side, item = (self.new, b) if a is None else (self.old, a)
                self.add(Change(ADDED if a is None else REMOVED, "field", "global", name,
                                self.field_summary(side, item)))
                continue
            aspects = []
            if a.type != b.type:
                aspects.append(Aspect("type", a.type, b.type))
            if a.column != b.column:
                aspects.append(Aspect("column", _quote(a.column), _quote(b.column)))
            if (a.sentinel_texts, a.sentinel_numbers) != (b.sentinel_texts, b.sentinel_numbers):
                aspects.append(Aspect("unknown", self.sentinels_text(self.old, a),
                                      self.sentinels_text(self.new, b)))
            if aspects:
                self.changed_names.add(name)
                self.add(Change(CHANGED, "field", "global", name, self.field_summary(self.new, b),
                                tuple(aspects)))

    @staticmethod
    def attribute_text(attribute: ir.Attribute) -> str:
        text = attribute.type
        if attribute.column != attribute.name:
            text += f" from {_quote(attribute.column)}"
        return text

    def event_summary(self, event: ir.EventType) -> str:
        if not event.attributes:
            return event.name
        inner = ", ".join(f"{a.name}: {self.attribute_text(a)}" for a in event.attributes)
        return f"{event.name}({inner})"

    def events(self) -> None:
        old = {e.name: e for e in self.old.model.events}
        new = {e.name: e for e in self.new.model.events}
        for name, a, b in self.keyed(old, new):
            if a is None or b is None:
                self.changed_names.add(name)
                self.add(Change(ADDED if a is None else REMOVED, "event", "global", name,
                                self.event_summary(b or a)))
                continue
            attrs_a = {x.name: x for x in a.attributes}
            attrs_b = {x.name: x for x in b.attributes}
            aspects = []
            for attr_name, x, y in self.keyed(attrs_a, attrs_b):
                tx = None if x is None else self.attribute_text(x)
                ty = None if y is None else self.attribute_text(y)
                if tx != ty:
                    aspects.append(Aspect(f"attribute {attr_name}", tx, ty))
            if aspects:
                self.changed_names.add(name)
                self.add(Change(CHANGED, "event", "global", name, self.event_summary(b), tuple(aspects)))

    def lists(self) -> None:
        old = {name: self.old.list_values(name) for name in self.old.list_nodes}
        new = {name: self.new.list_values(name) for name in self.new.list_nodes}
        for name, a, b in self.keyed(old, new):
            if a is None or b is None:
                self.changed_names.add(name)
                source, keys, shown = b or a
                summary = f"{name} = [{_shorten(list(shown))}]" if source == "[...]" else (
                    f"{name} {source}" + (f" ({len(keys)} values)" if keys is not None else " (unreadable)"))
                self.add(Change(ADDED if a is None else REMOVED, "list", "global", name, summary))
                continue
            (source_a, keys_a, shown_a), (source_b, keys_b, shown_b) = a, b
            aspects = []
            same_values = keys_a is not None and keys_b is not None and set(keys_a) == set(keys_b)
            if source_a != source_b:
                aspects.append(Aspect("source", source_a, source_b, same_meaning=same_values,
                                      note="same values" if same_values else ""))
            if keys_a is None or keys_b is None:
                if keys_a != keys_b:
                    aspects.append(Aspect("values", None if keys_a is None else f"{len(keys_a)} values",
                                          None if keys_b is None else f"{len(keys_b)} values",
                                          note="a list file could not be read"))
            elif not same_values:
                in_a, in_b = set(keys_a), set(keys_b)
                added = [s for k, s in zip(keys_b, shown_b) if k not in in_a]
                removed = [s for k, s in zip(keys_a, shown_a) if k not in in_b]
                notes = ([f"added {_shorten(list(dict.fromkeys(added)))}"] if added else []) + (
                    [f"removed {_shorten(list(dict.fromkeys(removed)))}"] if removed else [])
                aspects.append(Aspect("values", f"{len(in_a)}", f"{len(in_b)}",
                                      note="; ".join(notes)))
            if aspects:
                if not all(x.same_meaning for x in aspects):
                    self.changed_names.add(name)
                self.add(Change(CHANGED, "list", "global", name, aspects=tuple(aspects)))

    def clamp(self) -> None:
        a, b = self.old.model.clamp, self.new.model.clamp
        if a == b:
            return
        ta = None if a is None else _range_text(*a)
        tb = None if b is None else _range_text(*b)
        if a is None or b is None:
            self.add(Change(ADDED if a is None else REMOVED, "clamp", "global", "clamp", f"clamp {ta or tb}"))
        else:
            self.add(Change(CHANGED, "clamp", "global", "clamp", f"clamp {tb}", (Aspect("range", ta, tb),)))

    # ---- rules ----

    def body_text(self, side: _Side, view: _RuleView) -> str:
        node = view.node
        if node is None:
            return view.rule.reason
        body = node.body
        if isinstance(body, n.ConditionBody):
            return side.expr_text(body.condition)
        if isinstance(body, n.EachBody):
            return side.expr_text(body.stream)
        return side.expr_text(body.by)

    def arm_points(self, view: _RuleView) -> list:
        nodes = list(view.node.body.arms) if view.node is not None and isinstance(view.node.body, n.TableBody) else []
        out = []
        for i, arm in enumerate(view.rule.arms):
            node = nodes[i].points if i < len(nodes) else None
            out.append(_points(arm.points, node))
        return out

    def rule_summary(self, side: _Side, view: _RuleView) -> str:
        rule, node = view.rule, view.node
        body_node = node.body if node is not None else None
        points_node = getattr(body_node, "points", None)
        body = self.body_text(side, view)
        if rule.kind == "condition":
            text = f"{_points(rule.points, points_node)} when {body}"
        elif rule.kind == "each":
            text = f"{_points(rule.points, points_node)} each {body}"
        else:
            arms = "; ".join(f"{arm.text} => {p}" for arm, p in zip(rule.arms, self.arm_points(view)))
            text = f"by {body} {{ {arms} }}"
        options = []
        if rule.max_per is not None:
            options.append(f"max {_rule_max_per_text(view)}")
        if rule.max_total is not None:
            options.append(f"max {v.number_text(rule.max_total)}")
        if rule.distinct:
            options.append(f"distinct {rule.distinct}")
        own = _own_decay_node(node)
        if own is not None:
            options.append(f"decay {_spec_text(own)}")
        if rule.tag:
            options.append(f"tag {rule.tag}")
        if rule.reason_given:
            options.append(f"because {_quote(rule.reason)}")
        return ", ".join([text] + options)

    @staticmethod
    def rule_signature(view: _RuleView):
        r = view.rule
        return (r.kind, r.points, _body_canon(r), canon(r.arms), r.max_total, r.max_per, r.distinct,
                canon(r.decay), r.tag, r.reason if r.reason_given else None)

    def meaning_note(self, side: _Side, node) -> str:
        touched = sorted(_names_in(node) & self.changed_names) if node is not None else []
        if touched:
            return "text unchanged, but " + ", ".join(f"`{x}`" for x in touched) + " changed"
        return "text unchanged, meaning changed"

    def expression_aspect(self, name: str, canon_a, canon_b, text_a: str, text_b: str, node_b) -> Aspect | None:
        if canon_a != canon_b:
            note = self.meaning_note(self.new, node_b) if text_a == text_b else ""
            return Aspect(name, text_a, text_b, note=note)
        if _collapse(text_a) != _collapse(text_b):
            return Aspect(name, text_a, text_b, same_meaning=True)
        return None

    def rules(self) -> None:
        old, new = self.old.rules, self.new.rules
        removed_signatures = {}
        for key, view in old.items():
            if key not in new:
                removed_signatures.setdefault((key[0], self.rule_signature(view)), key[1])
        added_signatures = {}
        for key, view in new.items():
            if key not in old:
                added_signatures.setdefault((key[0], self.rule_signature(view)), key[1])
        for key, a, b in self.keyed(old, new):
            scope, name = key
            if a is None:
                twin = removed_signatures.get((scope, self.rule_signature(b)))
                self.add(Change(ADDED, "rule", b.rule.scope.label, name, self.rule_summary(self.new, b),
                                note=f"the same as the removed rule `{twin}`: renamed?" if twin else ""))
                continue
            if b is None:
                twin = added_signatures.get((scope, self.rule_signature(a)))
                self.add(Change(REMOVED, "rule", a.rule.scope.label, name, self.rule_summary(self.old, a),
                                note=f"the same as the added rule `{twin}`: renamed?" if twin else ""))
                continue
            aspects = self.rule_aspects(a, b)
            moved = a.rule.scope.label != b.rule.scope.label
            if moved:
                aspects.insert(0, Aspect("group", a.rule.scope.label, b.rule.scope.label))
            if aspects:
                self.add(Change(MOVED if moved else CHANGED, "rule", b.rule.scope.label, name,
                                self.rule_summary(self.new, b), tuple(aspects)))

    def rule_aspects(self, a: _RuleView, b: _RuleView) -> list:
        ra, rb = a.rule, b.rule
        aspects: list[Aspect] = []
        if ra.kind != rb.kind:
            aspects.append(Aspect("rule", self.rule_summary(self.old, a), self.rule_summary(self.new, b),
                                  note=f"a {ra.kind} rule became a {rb.kind} rule"))
        else:
            node_a = a.node.body if a.node is not None else None
            node_b = b.node.body if b.node is not None else None
            if ra.kind in ("condition", "each") and ra.points != rb.points:
                aspects.append(Aspect("points", _points(ra.points, getattr(node_a, "points", None)),
                                      _points(rb.points, getattr(node_b, "points", None))))
            label = {"condition": "condition", "each": "each", "table": "by"}[ra.kind]
            body_b = (getattr(node_b, "condition", None) or getattr(node_b, "stream", None)
                      or getattr(node_b, "by", None)) if node_b is not None else None
            aspect = self.expression_aspect(label, _body_canon(ra), _body_canon(rb),
                                            self.body_text(self.old, a), self.body_text(self.new, b), body_b)
            if aspect:
                aspects.append(aspect)
            if ra.kind == "table":
                aspects.extend(self.arm_aspects(a, b))
        for name, x, y in (("max", _number(ra.max_total), _number(rb.max_total)),
                           ("max per", ra.max_per, rb.max_per),
                           ("distinct", ra.distinct, rb.distinct)):
            if name == "max per" and x != y:
                aspects.append(Aspect(name, _rule_max_per_text(a), _rule_max_per_text(b)))
            elif x != y:
                aspects.append(Aspect(name, x, y))
        if canon(ra.decay) != canon(rb.decay):
            own_a, own_b = _own_decay(a.node), _own_decay(b.node)
            same_group = ra.scope == rb.scope
            group_made_it = (canon(own_a) == canon(own_b) and own_b is None and same_group)
            if not group_made_it:     # a change of the group's decay is reported once, on the group
                note = "" if own_b is not None or rb.decay is None else f"its group's ({rb.scope.label})"
                aspects.append(Aspect("decay", _rule_decay_text(a), _rule_decay_text(b), note=note))
        if ra.tag != rb.tag:
            aspects.append(Aspect("tag", ra.tag, rb.tag))
        if (ra.reason_given or rb.reason_given) and (ra.reason_given, ra.reason) != (rb.reason_given, rb.reason):
            aspects.append(Aspect("because", _quote(ra.reason) if ra.reason_given else None,
                                  _quote(rb.reason) if rb.reason_given else None))
        return aspects

    def arm_aspects(self, a: _RuleView, b: _RuleView) -> list:
        arms_a, arms_b = a.rule.arms, b.rule.arms
        points_a, points_b = self.arm_points(a), self.arm_points(b)
        index_a = {}
        for i, arm in enumerate(arms_a):
            index_a.setdefault(_arm_key(arm), i)
        keys_b = {_arm_key(arm) for arm in arms_b}
        aspects = []
        matched_order_b = []
        for j, arm in enumerate(arms_b):
            i = index_a.get(_arm_key(arm))
            if i is None:
                aspects.append(Aspect(f"arm {arm.text}", None, points_b[j], note="new arm"))
                continue
            matched_order_b.append(i)
            if arms_a[i].points != arm.points:
                aspects.append(Aspect(f"arm {arm.text}", points_a[i], points_b[j]))
        for i, arm in enumerate(arms_a):
            if _arm_key(arm) not in keys_b:
                aspects.append(Aspect(f"arm {arm.text}", points_a[i], None, note="arm removed"))
        if matched_order_b != sorted(matched_order_b):
            common_a = [arms_a[i].text for i in sorted(matched_order_b)]
            common_b = [arms_a[i].text for i in matched_order_b]
            aspects.append(Aspect("arm order", " | ".join(common_a), " | ".join(common_b),
                                  note="the first arm that matches wins"))
        return aspects

    # ---- groups, account, campaigns ----

    def group_summary(self, side: _Side, key, group: ir.Group) -> str:
        options = []
        if group.min is not None:
            options.append(f"min {v.number_text(group.min)}")
        if group.max is not None:
            options.append(f"max {v.number_text(group.max)}")
        decay = _own_decay_node(side.group_nodes.get(key))
        if decay is not None:
            options.append(f"decay {_spec_text(decay)}")
        text = ", ".join(options) or "no options"
        return f"{text}; {len(group.rules)} rule(s)"

    def groups(self) -> None:
        old, new = self.old.groups, self.new.groups
        for key, a, b in self.keyed(old, new):
            scope, name = key
            if a is None or b is None:
                side, group = (self.new, b) if a is None else (self.old, a)
                self.add(Change(ADDED if a is None else REMOVED, "group", scope, name,
                                self.group_summary(side, key, group)))
                continue
            aspects = []
            for option, x, y in (("min", a.min, b.min), ("max", a.max, b.max)):
                if x != y:
                    aspects.append(Aspect(option, _number(x), _number(y)))
            da, db = _own_decay(self.old.group_nodes.get(key)), _own_decay(self.new.group_nodes.get(key))
            if canon(da) != canon(db):
                affected = sum(1 for r in b.rules
                               if (scope, r.name) in self.old.rules and (scope, r.name) in self.new.rules
                               and _own_decay(self.new.rules[(scope, r.name)].node) is None
                               and canon(self.old.rules[(scope, r.name)].rule.decay) != canon(r.decay))
                spec_a = _own_decay_node(self.old.group_nodes.get(key))
                spec_b = _own_decay_node(self.new.group_nodes.get(key))
                aspects.append(Aspect("decay", spec_a and _spec_text(spec_a), spec_b and _spec_text(spec_b),
                                      note=f"applies to {affected} rule(s) without a decay of their own"))
            if aspects:
                self.add(Change(CHANGED, "group", scope, name, self.group_summary(self.new, key, b),
                                tuple(aspects)))

    def account(self) -> None:
        a, b = self.old.model.account, self.new.model.account
        if a is None and b is None:
            return
        node_a, node_b = self.old.account_node, self.new.account_node

        def summary(side, account, node) -> str:
            key = side.expr_text(node.key) if node is not None else ""
            where = (f" where {side.expr_text(node.where)}" if node is not None and node.where is not None else "")
            return f"account by {key}{where}; {len(account.rules)} rule(s)"

        if a is None or b is None:
            side, account, node = (self.new, b, node_b) if a is None else (self.old, a, node_a)
            self.add(Change(ADDED if a is None else REMOVED, "account", "account", "account",
                            summary(side, account, node)))
            return
        aspects = []
        key_aspect = self.expression_aspect("key", canon(a.key), canon(b.key), self.old.expr_text(node_a.key),
                                            self.new.expr_text(node_b.key), node_b.key)
        if key_aspect:
            aspects.append(key_aspect)
        where_a = self.old.expr_text(node_a.where) if node_a.where is not None else None
        where_b = self.new.expr_text(node_b.where) if node_b.where is not None else None
        if (a.where is None) != (b.where is None):
            aspects.append(Aspect("where", where_a, where_b))
        elif a.where is not None:
            where_aspect = self.expression_aspect("where", canon(a.where), canon(b.where), where_a, where_b,
                                                  node_b.where)
            if where_aspect:
                aspects.append(where_aspect)
        if aspects:
            self.add(Change(CHANGED, "account", "account", "account", summary(self.new, b, node_b),
                            tuple(aspects)))

    def campaigns(self) -> None:
        old, new = self.old.campaigns, self.new.campaigns
        for name, a, b in self.keyed(old, new):
            if a is None or b is None:
                c = b or a
                rules = len(c.rules) + sum(len(g.rules) for g in c.groups)
                summary = f"{rules} rule(s), {len(c.groups)} group(s), {len(c.qualify)} stage(s)"
                self.add(Change(ADDED if a is None else REMOVED, "campaign", f"campaign {name}", name, summary))

    # ---- outputs ----

    def tiers(self) -> None:
        old, new = self.old.tiers, self.new.tiers
        for key, a, b in self.keyed(old, new):
            scope, group = key
            name = group or "score"
            if a is None or b is None:
                self.add(Change(ADDED if a is None else REMOVED, "tier", scope, name,
                                f"tiers{' ' + group if group else ''}: {_tiers_text(b or a)}"))
                continue
            if (a.names, a.thresholds) == (b.names, b.thresholds):
                continue
            aspects = []
            if a.names == b.names:
                for tier, x, y in zip(a.names[1:], a.thresholds, b.thresholds):
                    if x != y:
                        aspects.append(Aspect(tier, f">= {v.number_text(x)}", f">= {v.number_text(y)}"))
            else:
                aspects.append(Aspect("tiers", _tiers_text(a), _tiers_text(b)))
            self.add(Change(CHANGED, "tier", scope, name,
                            f"tiers{' ' + group if group else ''}: {_tiers_text(b)}", tuple(aspects)))

    def stage_text(self, side: _Side, key, stage: ir.Stage) -> str:
        node = side.stage_nodes.get(key)
        return side.expr_text(node.condition) if node is not None else _collapse(stage.text)

    def stages(self) -> None:
        old, new = self.old.stages, self.new.stages
        for key, a, b in self.keyed(old, new):
            scope, name = key
            if a is None or b is None:
                side, (kind, stage) = (self.new, b) if a is None else (self.old, a)
                self.add(Change(ADDED if a is None else REMOVED, "stage", scope, name,
                                f"{kind} {name} when {self.stage_text(side, key, stage)}"))
                continue
            (kind_a, stage_a), (kind_b, stage_b) = a, b
            aspects = []
            if kind_a != kind_b:
                aspects.append(Aspect("kind", kind_a, kind_b))
            node_b = self.new.stage_nodes.get(key)
            aspect = self.expression_aspect("condition", canon(stage_a.condition), canon(stage_b.condition),
                                            self.stage_text(self.old, key, stage_a),
                                            self.stage_text(self.new, key, stage_b),
                                            node_b.condition if node_b is not None else None)
            if aspect:
                aspects.append(aspect)
            if aspects:
                self.add(Change(CHANGED, "stage", scope, name,
                                f"{kind_b} {name} when {self.stage_text(self.new, key, stage_b)}", tuple(aspects)))
