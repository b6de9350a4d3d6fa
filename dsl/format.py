"""`leadscore fmt`: one canonical layout for `.score` text, comments kept.

Two entry points:

- `format_source(text)` parses the text and returns it in canonical layout
  (or raises `FormatError` when it does not parse). It checks its own work:
  the result parses to the same AST and holds the same comments, or it
  raises rather than return a text that means something else.
- `format_tree(tree, source)` lays out an AST, taking from the `source` it
  was parsed from what the AST does not keep: comments, blank lines,
  parentheses, and literals as written. The tree may be edited first (with
  `attrs.evolve`, so that every other node keeps its span; `map_points`,
  `map_caps` and `map_thresholds` do this for points, `max N` caps and
  tier and stage thresholds): changing them and formatting again changes
  only the lines that hold them. Nothing in the layout depends on the
  width of a number.

The canonical layout (docs/format.md says the same, with examples):

- One item per line; blocks (`group`, `campaign`, `account`, a table rule's
  arms, a written list laid out over several lines) indent their contents
  by 4 spaces and close with `}` (or `]`) on a line of its own. An empty
  block is `{}`.
- Blank lines: a single blank line is kept where the source had one or more
  between two items (runs collapse to one); there is none at the start of
  the file, after an opening `{` or before a closing `}`. A group, campaign
  or account is always set off from its neighbours by a blank line. The
  file ends with one newline.
- `rule NAME: +P when COND`, `rule NAME: +P each STREAM` on one line;
  `rule NAME: by EXPR {`, one arm per line, `}`; options after a comma, in
  the order `max N per D`, `max N` (the order in which the caps apply),
  `distinct`, `decay`, `tag`, `because` (table rules: after the closing
  `}`). Group options in the order `min`, `max`, `decay`.
- A written list stays on one line unless the source breaks the line after
  its `[` or has comments inside it: then it has one value a line.
- Consecutive one-line rules whose points the source had aligned (in one
  column, with more than one space before them somewhere) stay aligned:
  their points start one space after the longest `rule NAME:` of the run.
  A run ends at a blank line, a comment line, or any other item.
- Table arms: the `=>` of the arms is aligned one space after the widest
  arm's values; an arm whose values are wider than 50 characters does not
  widen the column and takes a single space instead.
- Expressions: single spaces around operators and after commas, none
  inside brackets. Parentheses are kept as written; the layout adds only
  those that precedence needs (which text that parses always has).
- Literals are kept as written: strings with their escapes (`"\\d+"` stays
  a regex), numbers (`1_000`), durations (`6mo`), points with their sign
  (`+15`, `-20`, `0`). A literal with no source text (an edited tree) is
  written canonically.
- Comments: a comment on the line of an item (or an arm, or a list value)
  stays at the end of that item's line, in the column where it was (moved
  with the line when the line is indented anew), or two spaces after the
  code when the code now reaches further. A comment on the line of an
  opening `{` stays there. Comments on lines of their own stay above the
  item that follows them, at its indent, with their blank lines; those
  after the last item of a block stay before its `}`, and those at the end
  of the file at the end. A comment inside an item that is laid out on one
  line (inside a condition written over several lines, say) moves to a line
  of its own above that item. No comment is ever dropped; a comment's text
  is kept exactly (trailing spaces removed).
"""

from __future__ import annotations

import bisect
import collections
import decimal
import re
from typing import Callable

import attrs

from . import nodes as n
from .diagnostics import Reporter
from .parse import unescape
from .recover import parse
from .source import Source
from .visitor import NodeVisitor

INDENT = "    "
#: An arm whose values are wider than this does not widen its table's `=>` column.
ARM_ALIGN_LIMIT = 50
#: The least space between code and a comment that follows it on its line.
COMMENT_GAP = 2

OR, AND, NOT, PRED, MINUS, OPERAND = 1, 2, 3, 4, 5, 6

NUM_RE = re.compile(r"-?[0-9](_?[0-9])*(\.[0-9](_?[0-9])*)?")
POINTS_RE = re.compile(r"[+-][0-9](_?[0-9])*(\.[0-9](_?[0-9])*)?|0")
DURATION_RE = re.compile(r"[0-9](_?[0-9])*(\.[0-9](_?[0-9])*)?(h|d|w|mo|y)")
PERCENT_RE = re.compile(r"[0-9](_?[0-9])*(\.[0-9](_?[0-9])*)?%")
STRING_RE = re.compile(r'"([^"\\\n]|\\[^\n])*"')
RANGE_RE = re.compile(r"(?P<low>-?[0-9][0-9_.]*)?\.\.(?P<high>-?[0-9][0-9_.]*)?")
HEADER_RE = re.compile(r'model\s+(?P<name>"([^"\\\n]|\\[^\n])*")(\s+version\s+(?P<version>\S+))?')

TEXT_TESTS = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with"}
UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400, "y": 365 * 86400}


class FormatError(Exception):
    """The text cannot be formatted: it does not parse (see `diagnostics`), or,
    which would be a bug, the layout would change what it means."""

    def __init__(self, message: str, diagnostics: tuple = ()):
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


# ---- entry points -------------------------------------------------------------------

def format_source(text: str, filename: str = "<string>", verify: bool = True) -> str:
    """`text` in canonical layout. Raises `FormatError` if it does not parse."""
    source = Source(text, filename)
    tree = parse_tree(source)
    result = format_tree(tree, source)
    if verify:
        check_same(source, tree, result)
    return result


def parse_tree(source: Source) -> n.Model:
    """The AST of `source`, or `FormatError` with the syntax diagnostics."""
    reporter = Reporter(source)
    tree = parse(source, reporter)
    errors = tuple(d for d in reporter.sorted() if d.is_error)
    if tree is None or errors:
        raise FormatError(f"{source.filename} does not parse", errors or tuple(reporter.sorted()))
    return tree


def format_tree(tree: n.Model, source: Source | None = None) -> str:
    """Lay out `tree`; comments, blank lines, parentheses and literal spellings
    come from `source`, the text the tree was parsed from (none without it)."""
    return Formatter(tree, Layout(source or Source(""))).render()


def format_expr(node, source: Source | None = None) -> str:
    """One expression (or stream) on one line, as `fmt` writes it."""
    formatter = Formatter(n.Model(None, ()), Layout(source or Source("")))
    if isinstance(node, n.Stream):
        return formatter.visit(node)
    return formatter.expr(node)


def check_same(source: Source, tree: n.Model, result: str) -> None:
    """Raise `FormatError` unless `result` parses to `tree` and keeps every comment of `source`."""
    again = Source(result, source.filename)
    try:
        other = parse_tree(again)
    except FormatError:
        raise FormatError(f"internal error: the layout of {source.filename} does not parse "
                          "(a bug in `leadscore fmt`; the file is left as it is)") from None
    if normalized(other) != normalized(tree):
        raise FormatError(f"internal error: the layout of {source.filename} would change its meaning "
                          "(a bug in `leadscore fmt`; the file is left as it is)")
    before = collections.Counter(c.text for c in scan(source.text)[0])
    after = collections.Counter(c.text for c in scan(result)[0])
    if before != after:
        raise FormatError(f"internal error: the layout of {source.filename} would lose a comment "
                          "(a bug in `leadscore fmt`; the file is left as it is)")


def comment_texts(text: str) -> list[str]:
    """The text of every comment in `text`, in order (`#` to end of line, outside strings)."""
    return [c.text for c in scan(text)[0]]


# ---- option order -------------------------------------------------------------------

def _rule_option_rank(option) -> int:
    if isinstance(option, n.MaxOption):
        return 0 if option.per is not None else 1
    return {n.DistinctOption: 2, n.DecayOption: 3, n.TagOption: 4, n.BecauseOption: 5}.get(type(option), 6)


def sorted_options(options) -> tuple:
    """A rule's options in canonical order: `max N per D`, `max N`, `distinct`,
    `decay`, `tag`, `because` (the two caps in the order they apply)."""
    return tuple(sorted(options, key=_rule_option_rank))


def sorted_group_options(options) -> tuple:
    """A group's options in canonical order: `min`, `max`, `decay`."""
    order = {n.MinOption: 0, n.GroupMaxOption: 1, n.DecayOption: 2}
    return tuple(sorted(options, key=lambda o: order.get(type(o), 3)))


def normalized(node):
    """`node` with every rule's and group's options in canonical order: the
    AST `fmt` must give back (option order means nothing)."""
    if isinstance(node, tuple):
        return tuple(normalized(x) for x in node)
    if not attrs.has(type(node)):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        if field.name in ("span", "source_span"):
            continue
        value = getattr(node, field.name)
        new = normalized(value)
        if isinstance(node, n.Rule) and field.name == "options":
            new = sorted_options(new)
        elif isinstance(node, n.Group) and field.name == "options":
            new = sorted_group_options(new)
        if new is not value:
            changes[field.name] = new
    return attrs.evolve(node, **changes) if changes else node


# ---- editing points -----------------------------------------------------------------

def points_text(value: float | int) -> str:
    """Points as the language writes them: `+15`, `-2.5`, `0`."""
    if value == 0:
        return "0"
    return ("+" if value > 0 else "-") + number_text(abs(value))


def map_points(tree: n.Model, change: Callable[[str, str, "int | None", n.Points], "float | int | None"]) -> n.Model:
    """A copy of `tree` with some points changed, every other node (and span) kept.

    `change(scope, rule, arm, points)` is called for the points of every rule
    (`arm` None) and of every table arm (`arm` its 0-based index); `scope` is
    the rule's scope label as results write it (`global`, a group name,
    `account`, `campaign NAME`, `campaign NAME/GROUP`). It returns the new
    value, or None to keep the points as they are.
    """
    return PointsEdit(change).apply(tree)


def map_caps(tree: n.Model, change: Callable[[str, str, bool, "float | int"], "float | int | None"]) -> n.Model:
    """A copy of `tree` with some rules' caps changed, as `map_points` changes points.

    `change(scope, rule, per, limit)` is called for every `max N` (`per`
    False) and `max N per D` (`per` True) of a rule; it returns the new N,
    or None to keep it.
    """
    return CapsEdit(change).apply(tree)


def map_thresholds(tree: n.Model, change: Callable[[str, tuple, "float | int"], "float | int | None"]) -> n.Model:
    """A copy of `tree` with some tier and stage thresholds changed, as `map_points` changes points.

    `change(scope, line, value)` is called for every threshold of a `tiers`
    line, `line` being `("tiers", GROUP or None, i)` for its i-th threshold
    (0-based: the one that starts the second tier is 0), and for every
    `qualify NAME when X >= N` (or `>`, X a name or `score`), `line` being
    `("qualify", NAME)`; `scope` is `global` or `campaign NAME`. It returns
    the new value, or None to keep it.
    """
    return ThresholdsEdit(change).apply(tree)


class TreeEdit(NodeVisitor):
    """A copy of a tree with some items replaced, every other node (and span) kept.

    `item_<Node>(node, scope)` gives an item's replacement, `scope` being its
    scope label as results write it (`global`, a group name, `account`,
    `campaign NAME`, `campaign NAME/GROUP`). Here the blocks hand their items
    on with their label and every other item is kept; an edit overrides the
    handlers of the items it changes (`map_points`, `map_caps`, `map_thresholds`).
    """

    stage_name = "the tree edit"

    def __init__(self, change: Callable):
        self.change = change

    def apply(self, tree: n.Model) -> n.Model:
        return attrs.evolve(tree, items=self.items(tree.items, "global"))

    def items(self, items: tuple, scope: str) -> tuple:
        return tuple(self.dispatch("item", x, scope) for x in items)

    def item_Group(self, node: n.Group, scope: str) -> n.Group:
        label = node.name.id if scope == "global" else f"{scope}/{node.name.id}"
        return attrs.evolve(node, rules=self.items(node.rules, label))

    def item_Account(self, node: n.Account, _scope: str) -> n.Account:
        return attrs.evolve(node, rules=self.items(node.rules, "account"))

    def item_Campaign(self, node: n.Campaign, _scope: str) -> n.Campaign:
        return attrs.evolve(node, items=self.items(node.items, f"campaign {node.name.id}"))

    def keep(self, node, *_):
        return node

    item_ModelHeader = item_FieldDecl = item_EventDecl = item_ListDecl = item_ClampDecl = keep
    item_Rule = item_Tiers = item_Qualify = item_Disqualify = keep


class PointsEdit(TreeEdit):
    """`map_points`: `points_<Body>(body, scope, rule)` gives a rule's body with its points changed."""

    def item_Rule(self, node: n.Rule, scope: str) -> n.Rule:
        return attrs.evolve(node, body=self.dispatch("points", node.body, scope, node))

    def points_ConditionBody(self, body, scope: str, rule: n.Rule):
        return attrs.evolve(body, points=self.points(scope, rule, None, body.points))

    points_EachBody = points_ConditionBody

    def points_TableBody(self, body: n.TableBody, scope: str, rule: n.Rule) -> n.TableBody:
        arms = tuple(attrs.evolve(a, points=self.points(scope, rule, i, a.points)) for i, a in enumerate(body.arms))
        return attrs.evolve(body, arms=arms)

    def points(self, scope: str, rule: n.Rule, arm: int | None, old: n.Points) -> n.Points:
        value = self.change(scope, rule.name.id, arm, old)
        if value is None or (value == old.value and type(value) is type(old.value)):
            return old
        return attrs.evolve(old, value=value, text=points_text(value))


class CapsEdit(TreeEdit):
    """`map_caps`: `cap_<Option>(option, scope, rule)` gives a rule's option with its cap changed."""

    def item_Rule(self, node: n.Rule, scope: str) -> n.Rule:
        return attrs.evolve(node, options=tuple(self.dispatch("cap", o, scope, node) for o in node.options))

    def cap_MaxOption(self, option: n.MaxOption, scope: str, rule: n.Rule) -> n.MaxOption:
        value = self.change(scope, rule.name.id, option.per is not None, option.limit.value)
        return option if value is None else attrs.evolve(option, limit=_num(option.limit, value))

    cap_DistinctOption = cap_DecayOption = cap_TagOption = cap_BecauseOption = TreeEdit.keep


class ThresholdsEdit(TreeEdit):
    """`map_thresholds`: the thresholds of `tiers` lines and of `qualify` lines that compare with a number."""

    def item_Tiers(self, node: n.Tiers, scope: str) -> n.Tiers:
        group = node.group.id if node.group is not None else None
        tiers = list(node.tiers)
        for i, tier in enumerate(tiers[1:]):
            if tier.threshold is not None:
                value = self.change(scope, ("tiers", group, i), tier.threshold.value)
                if value is not None:
                    tiers[i + 1] = attrs.evolve(tier, threshold=_num(tier.threshold, value))
        return attrs.evolve(node, tiers=tuple(tiers))

    def item_Qualify(self, node: n.Qualify, scope: str) -> n.Qualify:
        cond = node.condition
        if not (isinstance(cond, n.Compare) and cond.op in (">=", ">") and isinstance(cond.right, n.Num)
                and isinstance(cond.left, (n.ScoreRef, n.Name))):
            return node
        value = self.change(scope, ("qualify", node.name.id), cond.right.value)
        if value is None:
            return node
        return attrs.evolve(node, condition=attrs.evolve(cond, right=_num(cond.right, value)))


def _num(node: n.Num, value: float | int) -> n.Num:
    """`node` with a new value; its span is kept, so the layout writes the value
    canonically unless it is the same number as the text there."""
    if value == node.value and type(value) is type(node.value):
        return node
    return attrs.evolve(node, value=value)


# ---- canonical literals (for nodes with no source text) -----------------------------

def number_text(value: float | int) -> str:
    """A number as `.score` text: `15`, `2.5`, `-0.001` (never an exponent)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} cannot be written in a .score file")
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(decimal.Decimal(text), "f")
        return text
    return str(value)


def escape(value: str) -> str:
    """A `.score` string literal whose value is `value`."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def duration_text(seconds: float) -> str:
    for unit in ("y", "w", "d"):
        if seconds % UNIT_SECONDS[unit] == 0:
            return number_text(seconds // UNIT_SECONDS[unit]) + unit
    return number_text(seconds / 3600) + "h"


def _value(text: str) -> float | int:
    clean = text.replace("_", "")
    return float(clean) if "." in clean else int(clean)


def _same_number(text: str, value) -> bool:
    try:
        parsed = _value(text)
    except ValueError:
        return False
    return parsed == value and type(parsed) is type(value)


# ---- what the source says about layout ----------------------------------------------

@attrs.frozen
class Comment:
    start: int            # offset of `#`
    text: str             # `#` to end of line, trailing whitespace removed
    line: int             # 1-based
    column: int           # 0-based
    own_line: bool        # nothing but whitespace before it on its line
    indent: int = 0       # the indentation of its line


def scan(text: str):
    """(comments, code offsets, string mask): one pass over the text, strings skipped."""
    comments, code = [], []
    in_string = bytearray(len(text))
    i, size, line, line_start = 0, len(text), 1, 0
    while i < size:
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
        elif ch == '"':
            j = i + 1
            while j < size and text[j] not in '"\n':
                j += 2 if text[j] == "\\" and j + 1 < size and text[j + 1] != "\n" else 1
            end = min(j + 1, size) if j < size and text[j] == '"' else j
            code.extend(range(i, end))
            in_string[i:end] = b"\x01" * (end - i)
            i = end
        elif ch == "#":
            j = text.find("\n", i)
            j = size if j < 0 else j
            before = text[line_start:i]
            comments.append(Comment(i, text[i:j].rstrip(), line, i - line_start, not before.strip(),
                                    len(before) - len(before.lstrip())))
            i = j
        elif ch in " \t\r\f\v":
            i += 1
        else:
            code.append(i)
            i += 1
    return comments, code, in_string


def has_span(node) -> bool:
    span = getattr(node, "span", None)
    return span is not None and span.end > span.start


class Layout:
    """Comments, brackets and literal spellings of one source text."""

    def __init__(self, source: Source):
        self.source = source
        self.text = source.text
        self.comments, self.code, self.in_string = scan(self.text)
        self.match: dict[int, int] = {}
        stack: list[int] = []
        pairs = {")": "(", "]": "[", "}": "{"}
        for i in self.code:
            ch = self.text[i]
            if self.in_string[i]:
                continue
            if ch in "([{":
                stack.append(i)
            elif ch in pairs:
                if stack and self.text[stack[-1]] == pairs[ch]:
                    j = stack.pop()
                    self.match[j] = i
                    self.match[i] = j

    # -- navigation
    def prev_code(self, offset: int) -> int | None:
        k = bisect.bisect_left(self.code, offset) - 1
        return self.code[k] if k >= 0 else None

    def next_code(self, offset: int) -> int | None:
        k = bisect.bisect_left(self.code, offset)
        return self.code[k] if k < len(self.code) else None

    def line_of(self, offset: int) -> int:
        return self.source.position(offset)[0]

    def column_of(self, offset: int) -> int:
        return self.source.position(offset)[1]

    def opener(self, node, ch: str) -> tuple[int, int] | None:
        """The first `ch` bracket (outside strings) inside node's span and its match."""
        if not has_span(node):
            return None
        k = bisect.bisect_left(self.code, node.span.start)
        while k < len(self.code) and self.code[k] < node.span.end:
            i = self.code[k]
            if self.text[i] == ch and not self.in_string[i]:
                j = self.match.get(i)
                return (i, j) if j is not None and j < node.span.end else None
            k += 1
        return None

    def wraps(self, node) -> int:
        """How many pairs of parentheses enclose exactly this node in the source."""
        if not has_span(node):
            return 0
        count, start, end = 0, node.span.start, node.span.end
        while True:
            p, q = self.prev_code(start), self.next_code(end)
            if p is None or q is None or self.text[p] != "(" or self.text[q] != ")" \
                    or self.in_string[p] or self.match.get(p) != q:
                return count
            count += 1
            start, end = p, q + 1

    def written(self, node) -> str | None:
        return self.text[node.span.start:node.span.end] if has_span(node) else None

    # -- literals as written, when the source still says the same
    def string(self, node: n.Str) -> str:
        text = self.written(node)
        if text is not None and STRING_RE.fullmatch(text) and unescape(text[1:-1]) == node.value:
            return text
        return escape(node.value)

    def number(self, node: n.Num) -> str:
        text = self.written(node)
        if text is not None and NUM_RE.fullmatch(text) and _same_number(text, node.value):
            return text
        return number_text(node.value)

    def percent(self, node: n.Percent) -> str:
        text = self.written(node)
        if text is not None and PERCENT_RE.fullmatch(text) and float(text[:-1].replace("_", "")) == node.value:
            return text
        return number_text(node.value) + "%"

    def range(self, node: n.Range) -> str:
        text = self.written(node)
        if text is not None and "#" not in text:
            compact = re.sub(r"\s+", "", text)
            m = RANGE_RE.fullmatch(compact)
            if m and self._end_ok(m.group("low"), node.low) and self._end_ok(m.group("high"), node.high):
                return compact
        low = "" if node.low is None else number_text(node.low)
        high = "" if node.high is None else number_text(node.high)
        return f"{low}..{high}"

    @staticmethod
    def _end_ok(text: str | None, value) -> bool:
        if text is None or value is None:
            return text is None and value is None
        return NUM_RE.fullmatch(text) is not None and _same_number(text, value)


def duration(node: n.Duration) -> str:
    if DURATION_RE.fullmatch(node.text or ""):
        unit = "mo" if node.text.endswith("mo") else node.text[-1]
        if float(node.text[: -len(unit)].replace("_", "")) * UNIT_SECONDS[unit] == node.seconds:
            return node.text
    return duration_text(node.seconds)


def points(node: n.Points) -> str:
    text = node.text or ""
    if POINTS_RE.fullmatch(text) and _value(text.lstrip("+")) == node.value:
        return text
    return points_text(node.value)


PRECEDENCE = {n.Or: OR, n.And: AND, n.Not: NOT, n.Compare: PRED, n.Membership: PRED, n.TextTest: PRED,
              n.Matches: PRED, n.Presence: PRED, n.Minus: MINUS}


def precedence(node) -> int:
    """How tightly an expression binds; names, literals, calls and aggregates bind tightest."""
    return PRECEDENCE.get(type(node), OPERAND)


# ---- output lines -------------------------------------------------------------------

@attrs.define
class Line:
    depth: int
    text: str
    comment: Comment | None = None

    def render(self) -> str:
        code = INDENT * self.depth + self.text
        if self.comment is None:
            return code
        # the comment's place relative to its line's indentation, unless the code now reaches it
        column = max(len(INDENT) * self.depth + self.comment.column - self.comment.indent,
                     len(code) + COMMENT_GAP)
        return code + " " * (column - len(code)) + self.comment.text


BLANK = None


@attrs.define
class Notes:
    """The comments that belong to one unit (an item, a rule, an arm, a list value)."""

    leading: list = attrs.field(factory=list)      # own-line comments above it
    inner: list = attrs.field(factory=list)        # inside it; written above it
    trailing: Comment | None = None                # at the end of its line
    blank_before: bool = False


@attrs.define
class Block:
    """The comments of a container that belong to no unit."""

    header: Comment | None = None                  # on the line of the opening bracket
    end: list = attrs.field(factory=list)          # after the last unit
    blank: dict = attrs.field(factory=dict)        # comment start -> a blank line before it


def is_block(node) -> bool:
    return isinstance(node, (n.Group, n.Campaign, n.Account))


# ---- the formatter ------------------------------------------------------------------

class Formatter(NodeVisitor):
    """Lays out one tree. Comments are given to units by position first
    (`distribute`); notes and blocks are keyed by node identity, as equal
    nodes (two `else => 0` arms) are distinct places.

    Handlers (dsl/visitor.py): `item_<Node>` lays out a unit of a block as
    lines; `visit_<Node>` writes an expression, literal or stream as text;
    `option_<Node>`, `decay_<Node>` and `rule_<Body>` write the parts of a
    rule or group; `inside_<Node>` says what units a container holds.
    """

    stage_name = "the formatter"

    def __init__(self, tree: n.Model, layout: Layout):
        self.tree = tree
        self.layout = layout
        self.notes: dict[int, Notes] = {}
        self.blocks: dict[int, Block] = {}
        self.expanded: set[int] = set()     # ids of list declarations laid out one value a line
        self.distribute(tree, self.units(tree), list(layout.comments), None)

    # ---- comments to units -------------------------------------------------------
    def units(self, node) -> list:
        """What a container holds, each unit given its comments and laid out in turn."""
        if node is self.tree:
            return ([node.header] if node.header is not None else []) + list(node.items)
        inside = self.dispatch("inside", node)
        return [] if inside is None else list(inside[0])

    def interior(self, node) -> tuple[int, int] | None:
        """The offsets just inside a container's brackets."""
        inside = self.dispatch("inside", node)
        found = None if inside is None else self.layout.opener(inside[1], inside[2])
        return None if found is None else (found[0] + 1, found[1])

    # `inside_<Node>`: a container's units, the node whose bracket opens them and the bracket;
    # None for a unit that holds none
    def inside_Group(self, node: n.Group) -> tuple:
        return node.rules, node, "{"

    inside_Account = inside_Group

    def inside_Campaign(self, node: n.Campaign) -> tuple:
        return node.items, node, "{"

    def inside_Rule(self, node: n.Rule) -> tuple | None:
        return self.dispatch("inside", node.body)

    def inside_TableBody(self, node: n.TableBody) -> tuple:
        return node.arms, node, "{"

    def inside_ListDecl(self, node: n.ListDecl) -> tuple | None:
        return None if node.values is None else (node.values.values, node.values, "[")

    def holds_none(self, _node) -> None:
        return None

    inside_ModelHeader = inside_FieldDecl = inside_EventDecl = inside_ClampDecl = holds_none
    inside_Tiers = inside_Qualify = inside_Disqualify = holds_none
    inside_ConditionBody = inside_EachBody = inside_Arm = holds_none
    inside_Str = inside_Num = inside_Bool = holds_none      # a written list's values

    def note(self, node) -> Notes:
        key = id(node)
        if key not in self.notes:
            self.notes[key] = Notes()
        return self.notes[key]

    def block(self, node) -> Block:
        key = id(node)
        if key not in self.blocks:
            self.blocks[key] = Block()
        return self.blocks[key]

    def distribute(self, container, units: list, comments: list, open_line: int | None) -> None:
        block = self.block(container)
        placed = sorted((u for u in units if has_span(u)), key=lambda u: u.span.start)
        starts = [u.span.start for u in placed]
        inside: dict[int, list] = collections.defaultdict(list)
        for c in comments:
            k = bisect.bisect_right(starts, c.start) - 1          # the last unit starting before c
            if open_line is not None and c.line == open_line and not c.own_line and k < 0:
                block.header = c
            elif k >= 0 and c.start < placed[k].span.end:
                inside[id(placed[k])].append(c)
            elif k >= 0 and placed[k].span.end_line == c.line and self.note(placed[k]).trailing is None:
                self.note(placed[k]).trailing = c
            elif k + 1 < len(placed):
                self.note(placed[k + 1]).leading.append(c)
            else:
                block.end.append(c)
        # blank lines, from the source lines of what stands one after the other
        sequence = []
        for u in placed:
            sequence.extend((c.line, c.line, c) for c in self.note(u).leading)
            sequence.append((u.span.line, u.span.end_line, u))
        sequence.extend((c.line, c.line, c) for c in block.end)
        sequence.sort(key=lambda item: item[0])
        previous_end = None
        for first, last, what in sequence:
            blank = previous_end is not None and first - previous_end >= 2
            if isinstance(what, Comment):
                block.blank[what.start] = blank
            else:
                self.note(what).blank_before = blank
            previous_end = last
        for u in placed:
            self.descend(u, inside.get(id(u), []))

    def descend(self, unit, comments: list) -> None:
        region = self.interior(unit)
        if isinstance(unit, n.ListDecl) and not self.list_expanded(unit, comments):
            region = None
        if region is None:
            self.note(unit).inner.extend(comments)
            return
        if isinstance(unit, n.ListDecl):
            self.expanded.add(id(unit))
        lo, hi = region
        within = [c for c in comments if lo <= c.start < hi]
        self.note(unit).inner.extend(c for c in comments if not lo <= c.start < hi)
        self.distribute(unit, self.units(unit), within, self.layout.line_of(lo - 1))

    def list_expanded(self, decl: n.ListDecl, comments) -> bool:
        """A written list is laid out one value a line when the source breaks the
        line after its `[`, or has comments between its brackets."""
        if decl.values is None:
            return False
        found = self.layout.opener(decl.values, "[")
        if found is None:
            return False
        lo, hi = found
        if any(lo < c.start < hi for c in comments):
            return True
        after = self.layout.next_code(lo + 1)
        return after is not None and self.layout.line_of(after) > self.layout.line_of(lo)

    # ---- assembling a container ----------------------------------------------------
    def render(self) -> str:
        lines = self.assemble(self.tree, self.units(self.tree), 0, self.item)
        return "".join(("" if line is BLANK else line.render()) + "\n" for line in lines)

    def assemble(self, container, units: list, depth: int, render_unit) -> list:
        block = self.block(container)
        out: list = []
        previous = None
        pads = self.rule_pads(units) if not isinstance(container, (n.Rule, n.ListDecl)) else {}
        for index, unit in enumerate(units):
            notes = self.note(unit)
            forced = previous is not None and (is_block(previous) or is_block(unit))
            first = True
            for c in notes.leading:
                if out and (block.blank.get(c.start) or (first and forced)):
                    out.append(BLANK)
                out.append(Line(depth, c.text))
                first = False
            if out and (notes.blank_before or (first and forced)):
                out.append(BLANK)
            out.extend(Line(depth, c.text) for c in notes.inner)
            lines = render_unit(unit, depth, index=index, units=units, pad=pads.get(id(unit)))
            if notes.trailing is not None:
                lines[-1].comment = notes.trailing
            out.extend(lines)
            previous = unit
        for c in block.end:
            if out and block.blank.get(c.start):
                out.append(BLANK)
            out.append(Line(depth, c.text))
        return out

    def body(self, container, units: list, depth: int, render_unit, head: str, close: str,
             opening: str = "{") -> list:
        """`head {`, the units one level in, then `close` (the closing bracket, and
        what follows it); `head {close}` on one line when there is nothing inside."""
        block = self.block(container)
        inner = self.assemble(container, units, depth + 1, render_unit)
        if not inner and block.header is None:
            return [Line(depth, f"{head}{opening}{close}")]
        return [Line(depth, f"{head}{opening}", block.header), *inner, Line(depth, close)]

    def rule_pads(self, units: list) -> dict:
        """Width of `rule NAME:` for each one-line rule in a run the source aligned."""
        pads: dict[int, int] = {}
        run: list = []

        def flush():
            groups: list[list] = []
            for rule, column, spread in run:
                if groups and column is not None and groups[-1][-1][1] == column:
                    groups[-1].append((rule, column, spread))
                else:
                    groups.append([(rule, column, spread)])
            for group in groups:
                if len(group) > 1 and any(spread for _, _, spread in group):
                    width = max(len(f"rule {r.name.id}:") for r, _, _ in group)
                    for r, _, _ in group:
                        pads[id(r)] = width
            run.clear()

        for unit in units:
            notes = self.note(unit)
            one_line = isinstance(unit, n.Rule) and not isinstance(unit.body, n.TableBody)
            if not one_line or notes.blank_before or notes.leading or notes.inner:
                flush()
            if not one_line:
                continue
            column, spread = None, False
            if has_span(unit.body) and has_span(unit.name):
                column = self.layout.column_of(unit.body.span.start)
                colon = self.layout.next_code(unit.name.span.end)
                spread = colon is not None and unit.body.span.start - colon > 2 \
                    and self.layout.line_of(colon) == self.layout.line_of(unit.body.span.start)
            run.append((unit, column, spread))
        flush()
        return pads

    # ---- items ---------------------------------------------------------------------
    def item(self, node, depth: int, **extra) -> list:
        """The lines of one unit of a block: `item_<Node>(node, depth, index=, units=, pad=)`."""
        return self.dispatch("item", node, depth, **extra)

    def item_Rule(self, node: n.Rule, depth: int, pad: int | None = None, **_) -> list:
        return self.dispatch("rule", node.body, node, depth, pad)

    def item_Group(self, node: n.Group, depth: int, **_) -> list:
        options = sorted_group_options(node.options)
        head = f"group {node.name.id} "
        if options:
            head += ", ".join(self.dispatch("option", o) for o in options) + " "
        return self.body(node, node.rules, depth, self.item, head, "}")

    def item_Campaign(self, node: n.Campaign, depth: int, **_) -> list:
        return self.body(node, node.items, depth, self.item, f"campaign {node.name.id} ", "}")

    def item_Account(self, node: n.Account, depth: int, **_) -> list:
        head = f"account by {self.expr(node.key, MINUS)}"
        if node.where is not None:
            head += f" where {self.expr(node.where)}"
        return self.body(node, node.rules, depth, self.item, head + " ", "}")

    def item_ListDecl(self, node: n.ListDecl, depth: int, **_) -> list:
        if id(node) in self.expanded:
            return self.body(node, list(node.values.values), depth, self.list_value,
                             f"list {node.name.id} = ", "]", "[")
        if node.values is None:
            return [Line(depth, f"list {node.name.id} from {self.layout.string(node.path)}")]
        return [Line(depth, f"list {node.name.id} = {self.visit(node.values)}")]

    def item_ModelHeader(self, node: n.ModelHeader, depth: int, **_) -> list:
        name, version = escape(node.name), None
        if node.version is not None:
            version = number_text(node.version)
        written = self.layout.written(node)
        m = HEADER_RE.fullmatch(written) if written is not None else None
        if m:
            if unescape(m.group("name")[1:-1]) == node.name:
                name = m.group("name")
            text = m.group("version")
            if text is not None and node.version is not None and NUM_RE.fullmatch(text) \
                    and _same_number(text, node.version):
                version = text
        return [Line(depth, f"model {name}" + (f" version {version}" if version is not None else ""))]

    def item_FieldDecl(self, node: n.FieldDecl, depth: int, **_) -> list:
        text = f"field {node.name.id}: {node.type}"
        if node.column is not None:
            text += f" from {self.layout.string(node.column)}"
        if node.sentinels:
            text += ", unknown " + ", ".join(self.visit(s) for s in node.sentinels)
        return [Line(depth, text)]

    def item_EventDecl(self, node: n.EventDecl, depth: int, **_) -> list:
        text = f"event {node.name.id}"
        if node.attributes:
            parts = [f"{a.name.id}: {a.type}" + (f" from {self.layout.string(a.column)}" if a.column else "")
                     for a in node.attributes]
            text += "(" + ", ".join(parts) + ")"
        return [Line(depth, text)]

    def item_ClampDecl(self, node: n.ClampDecl, depth: int, **_) -> list:
        return [Line(depth, f"clamp {self.layout.range(node.range)}")]

    def item_Tiers(self, node: n.Tiers, depth: int, **_) -> list:
        head = "tiers" + (f" {node.group.id}" if node.group is not None else "")
        parts = [t.name.id + (f" >= {self.layout.number(t.threshold)}" if t.threshold is not None else "")
                 for t in node.tiers]
        return [Line(depth, f"{head}: " + ", ".join(parts))]

    def item_Qualify(self, node: n.Qualify, depth: int, **_) -> list:
        return [Line(depth, f"qualify {node.name.id} when {self.expr(node.condition)}")]

    def item_Disqualify(self, node: n.Disqualify, depth: int, **_) -> list:
        return [Line(depth, f"disqualify {node.name.id} when {self.expr(node.condition)}")]

    def list_value(self, node, depth: int, index: int, units: list, **_) -> list:
        return [Line(depth, self.visit(node) + ("," if index < len(units) - 1 else ""))]

    # ---- rules: `rule_<Body>(body, rule, depth, pad)` ----------------------------------
    def rule_TableBody(self, body: n.TableBody, node: n.Rule, depth: int, pad: int | None) -> list:
        return self.body(node, list(body.arms), depth, self.arm_line,
                         f"rule {node.name.id}: by {self.expr(body.by, MINUS)} ", "}" + self.options(node.options))

    def rule_ConditionBody(self, body: n.ConditionBody, node: n.Rule, depth: int, pad: int | None) -> list:
        text = f"{self.rule_head(node, pad)}{points(body.points)} when {self.expr(body.condition)}"
        return [Line(depth, text + self.options(node.options))]

    def rule_EachBody(self, body: n.EachBody, node: n.Rule, depth: int, pad: int | None) -> list:
        text = f"{self.rule_head(node, pad)}{points(body.points)} each {self.visit(body.stream)}"
        return [Line(depth, text + self.options(node.options))]

    @staticmethod
    def rule_head(node: n.Rule, pad: int | None) -> str:
        """`rule NAME:` padded to the run's column, and the space before the points."""
        return f"rule {node.name.id}:".ljust(pad or 0) + " "

    def options(self, options) -> str:
        return "".join(", " + self.dispatch("option", o) for o in sorted_options(options))

    # ---- options of rules and groups: `option_<Node>(option)` -------------------------
    def option_MaxOption(self, option: n.MaxOption) -> str:
        text = f"max {self.layout.number(option.limit)}"
        return text + (f" per {duration(option.per)}" if option.per is not None else "")

    def option_DistinctOption(self, option: n.DistinctOption) -> str:
        return f"distinct {option.attribute.id}"

    def option_DecayOption(self, option: n.DecayOption) -> str:
        return f"decay {self.dispatch('decay', option.spec)}"

    def option_TagOption(self, option: n.TagOption) -> str:
        return f"tag {option.tag.id}"

    def option_BecauseOption(self, option: n.BecauseOption) -> str:
        return f"because {self.layout.string(option.reason)}"

    def option_MinOption(self, option: n.MinOption) -> str:
        return f"min {self.layout.number(option.limit)}"

    def option_GroupMaxOption(self, option: n.GroupMaxOption) -> str:
        return f"max {self.layout.number(option.limit)}"

    # ---- decay specs: `decay_<Node>(spec)` ---------------------------------------------
    def decay_HalfLife(self, spec: n.HalfLife) -> str:
        return f"half_life {duration(spec.period)}"

    def decay_LinearDecay(self, spec: n.LinearDecay) -> str:
        return f"{self.layout.percent(spec.percent)} per {duration(spec.period)}"

    def decay_Expire(self, spec: n.Expire) -> str:
        return f"expire {duration(spec.period)}"

    def arm_values(self, arm: n.Arm) -> str:
        if arm.kind == "else":
            return "else"
        if arm.kind == "unknown":
            return "unknown"
        return ", ".join(self.visit(v) for v in arm.values)

    def arm_line(self, arm: n.Arm, depth: int, units: list, **_) -> list:
        widths = [len(self.arm_values(a)) for a in units]
        column = max((w for w in widths if w <= ARM_ALIGN_LIMIT), default=0)
        values = self.arm_values(arm)
        return [Line(depth, f"{values.ljust(column)} => {points(arm.points)}")]

    # ---- expressions, literals and streams: `visit_<Node>(node)` → text ---------------
    def expr(self, node, need: int = 0, own_parens: int = 0) -> str:
        """`node` as text, in a place that needs precedence `need`; `own_parens`:
        pairs of parentheses around it that belong to the enclosing construct."""
        text = self.visit(node)
        wraps = max(0, self.layout.wraps(node) - own_parens)
        if wraps == 0 and precedence(node) < need:
            wraps = 1
        return "(" * wraps + text + ")" * wraps

    def visit_Str(self, node: n.Str) -> str:
        return self.layout.string(node)

    def visit_Num(self, node: n.Num) -> str:
        return self.layout.number(node)

    def visit_Bool(self, node: n.Bool) -> str:
        return "true" if node.value else "false"

    def visit_Range(self, node: n.Range) -> str:
        return self.layout.range(node)

    def visit_ListLiteral(self, node: n.ListLiteral) -> str:
        return "[" + ", ".join(self.visit(v) for v in node.values) + "]"

    def visit_Name(self, node: n.Name) -> str:
        return node.id

    def visit_Duration(self, node: n.Duration) -> str:
        return duration(node)

    def visit_Now(self, node: n.Now) -> str:
        return "now"

    def visit_Key(self, node: n.Key) -> str:
        return "key"

    def visit_ScoreRef(self, node: n.ScoreRef) -> str:
        return "score"

    def visit_Or(self, node: n.Or) -> str:
        return f"{self.expr(node.left, OR)} or {self.expr(node.right, AND)}"

    def visit_And(self, node: n.And) -> str:
        return f"{self.expr(node.left, AND)} and {self.expr(node.right, NOT)}"

    def visit_Not(self, node: n.Not) -> str:
        return f"not {self.expr(node.operand, NOT)}"

    def visit_Compare(self, node: n.Compare) -> str:
        return f"{self.expr(node.left, MINUS)} {node.op} {self.expr(node.right, MINUS)}"

    def visit_Membership(self, node: n.Membership) -> str:
        word = "not in" if node.negated else "in"
        return f"{self.expr(node.operand, MINUS)} {word} {self.visit(node.target)}"

    def visit_TextTest(self, node: n.TextTest) -> str:
        return f"{self.expr(node.operand, MINUS)} {TEXT_TESTS[node.op]} {self.expr(node.needle, MINUS)}"

    def visit_Matches(self, node: n.Matches) -> str:
        return f"{self.expr(node.operand, MINUS)} matches {self.layout.string(node.pattern)}"

    def visit_Presence(self, node: n.Presence) -> str:
        return f"{self.expr(node.operand, MINUS)} is {'known' if node.known else 'unknown'}"

    def visit_Minus(self, node: n.Minus) -> str:
        return f"{self.expr(node.left, MINUS)} - {self.expr(node.right, OPERAND)}"

    def visit_Call(self, node: n.Call) -> str:
        return f"{node.function}({self.expr(node.argument, 0, own_parens=1)})"

    def visit_Aggregate(self, node: n.Aggregate) -> str:
        stream = self.visit(node.stream)
        if node.kind == "count":
            return f"count({stream})"
        if node.kind == "sum":
            return f"sum({stream}, {node.attribute.id})"
        return f"{node.kind} {stream}"

    def visit_Stream(self, node: n.Stream) -> str:
        text = "leads" if node.is_leads else ("event" if node.source is None else node.source)
        if node.filter is not None:
            text += f"[{self.expr(node.filter)}]"
        if node.window is not None:
            text += f" within {duration(node.window)}"
        return text
