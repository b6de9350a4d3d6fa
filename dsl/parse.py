"""Text → AST. Builds the Lark parser once, turns its tree into `nodes`, and
turns Lark's exceptions into diagnostics a rule author can act on."""

from __future__ import annotations

import functools
import math
import re
from importlib import resources

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex

from . import limits, nodes as n
from .diagnostics import Reporter
from .lalr import Driver
from .source import Source, Span
from .syntaxerrors import (NUMBER_LIKE, OPENERS, Vocabulary, expected_terminals, report_unclosed,  # noqa: F401
                           report_unexpected_character, scan_brackets, token_position, token_span,
                           unclosed_bracket)

#: LANGUAGE.md §2: reserved words. Each is a terminal of the grammar.
KEYWORDS = tuple("""
model version field event list from unknown known clamp rule when each by else
max min per distinct decay half_life expire tag because and or not in is
contains starts ends with matches within any no count sum first last now group
campaign account where leads key score tiers qualify disqualify text number
bool date time true false domain days_since
""".split())

TYPE_NAMES = ("text", "number", "bool", "date", "time")


def keyword_terminal(word: str) -> str:
    return f"TYPE_{word.upper()}" if word in TYPE_NAMES else word.upper()


KEYWORD_TERMINALS = {keyword_terminal(w): w for w in KEYWORDS}

UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400, "y": 365 * 86400}


class ReserveKeywords(PostLex):
    """Accept NAME and every keyword in every lexer state.

    Lark's contextual lexer otherwise only knows the terminals a state
    expects, so `wheny` would lex as `when y` and `rule when:` would parse.
    With all of them always in play an identifier is matched whole, and a
    keyword is a keyword everywhere.
    """

    always_accept = ("NAME", *KEYWORD_TERMINALS)

    def process(self, stream):
        return stream


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    grammar = resources.files("leadscore.grammar").joinpath("score.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", postlex=ReserveKeywords(),
                propagate_positions=True, maybe_placeholders=False, cache=True)


# ---- tokens as a person reads them -----------------------------------------------

TOKEN_DESCRIPTIONS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUM": "a number",
    "POINTS": "points (`+10`, `-5` or `0`)",
    "DURATION": "a duration (`30d`)",
    "PERCENT": "a percentage (`50%`)",
    "COMPARE": "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
    "$END": "the end of the file",
}


VOCABULARY = Vocabulary(TOKEN_DESCRIPTIONS, KEYWORD_TERMINALS, parser, limit=8)
describe_token, describe_expected = VOCABULARY.describe, VOCABULARY.describe_expected


# ---- the transformer -------------------------------------------------------------

#: Every whole number of at most MAX_NUMBER characters is a finite float (below 1e308).
SHORT_INTS_FIT = limits.MAX_NUMBER < 300


def number_of(text: str) -> int | float:
    """A number as written in either grammar (`1_000`, `2.5`): an int unless it has a point."""
    clean = text.replace("_", "")
    return float(clean) if "." in clean else int(clean)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPE = re.compile(r'\\(?:(["\\nt])|u([0-9a-fA-F]{4}))')
SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def unescape(body: str) -> str:
    """LANGUAGE.md §2: `\\"`, `\\\\`, `\\n`, `\\t`, `\\uXXXX`; any other backslash stays.

    One regex pass (a loop over characters held a list as long as the string), and
    none for a string without a backslash."""
    out = ESCAPE.sub(_escaped, body) if "\\" in body else body
    # `\ud83d\ude00` is one character written as a UTF-16 surrogate pair; a lone
    # surrogate stays one, for `ToAst._str` to report
    if not LONE_SURROGATE.search(out):
        return out
    return out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _escaped(match) -> str:
    return SIMPLE_ESCAPES[match[1]] if match[1] else chr(int(match[2], 16))


def _token_span(source: Source, token: Token) -> Span:
    return source.span(token.start_pos, token.end_pos)


class ToAst(Transformer):
    """Lark tree → `nodes`. Each method builds one node with its span."""

    def __init__(self, source: Source, reporter: Reporter):
        super().__init__()
        self.source = source
        self.reporter = reporter
        # (the methods below run some 25,000 times for 1,000 rules)
        self.span_of = source.spanner() if isinstance(source, Source) else source.span

    def _span(self, meta) -> Span:
        if meta.empty:          # (Lark's `Meta` and the driver's both have it)
            return Span(1, 1, 1, 1)
        return self.span_of(meta.start_pos, meta.end_pos)

    def _tok(self, token: Token) -> Span:
        return self.span_of(token.start_pos, token.end_pos)

    def _name(self, token: Token) -> n.Name:
        return n.Name(str(token), span=self.span_of(token.start_pos, token.end_pos))

    def _str(self, token: Token) -> n.Str:
        if len(token) - 2 > limits.MAX_STRING:
            self.reporter.error(self._tok(token), "E-string",
                                f"this string is longer than {limits.size_text(limits.MAX_STRING)} "
                                f"({limits.MAX_STRING:,} characters)", "keep long lists of values in a `list ... from` file")
            return n.Str("", span=self._tok(token))
        value = unescape(token[1:-1])
        if LONE_SURROGATE.search(value):
            self.reporter.error(self._tok(token), "E-string",
                                "a `\\uXXXX` escape in this string is half of a surrogate pair, not a character",
                                "write the character itself, or both halves (`\\ud83d\\ude00`)")
            value = LONE_SURROGATE.sub("\ufffd", value)
        return n.Str(value, span=self._tok(token))

    # literals (a STRING token is kept as it is: no method, so no call per token)
    @v_args(meta=True)
    def string(self, meta, children):
        return self._str(children[0])

    @v_args(meta=True)
    def number(self, meta, children):
        return n.Num(self._value(children[0]), span=self._tok(children[0]))

    def _num(self, token) -> n.Num:
        return n.Num(self._value(token), span=self._tok(token))

    def _value(self, token: Token, text: str | None = None) -> int | float:
        """A number token's value; one too large for a float is reported, and read as 0."""
        if len(token) > limits.MAX_NUMBER and self._too_long(token):
            return 0
        value = number_of(str(token) if text is None else text)
        if value.__class__ is int and SHORT_INTS_FIT:
            return value
        try:
            if math.isfinite(float(value)):
                return value
        except OverflowError:
            pass
        self._too_large(token)
        return 0

    def _too_large(self, token: Token) -> None:
        self.reporter.error(self._tok(token), "E-number", f"`{token}` is too large a number")

    def _too_long(self, token: Token) -> bool:
        """Is a number written with more than MAX_NUMBER characters? Reported, and
        never converted (`int()` itself refuses 4,300 digits)."""
        if len(token) <= limits.MAX_NUMBER:
            return False
        self.reporter.error(self._tok(token), "E-number",
                            f"`{token[:12]}…{token[-6:]}` is too long a number "
                            f"(more than {limits.MAX_NUMBER} characters)")
        return True

    @v_args(meta=True)
    def true(self, meta, children):
        return n.Bool(True, span=self._span(meta))

    @v_args(meta=True)
    def false(self, meta, children):
        return n.Bool(False, span=self._span(meta))

    def _duration(self, token) -> n.Duration:
        text = str(token)
        if self._too_long(token):
            return n.Duration(1.0, text, span=self._tok(token))
        unit = "mo" if text.endswith("mo") else text[-1]
        seconds = float(text[: -len(unit)].replace("_", "")) * UNIT_SECONDS[unit]
        if not math.isfinite(seconds * 1e6):    # kept in whole microseconds
            self._too_large(token)
            seconds = 1.0
        return n.Duration(seconds, text, span=self._tok(token))

    @v_args(meta=True)
    def duration(self, meta, children):
        return self._duration(children[0])

    def _percent(self, token) -> n.Percent:
        if self._too_long(token):
            return n.Percent(100.0, span=self._tok(token))
        value = float(str(token)[:-1].replace("_", ""))
        if not math.isfinite(value):
            self._too_large(token)
            value = 100.0
        return n.Percent(value, span=self._tok(token))

    def _points(self, token) -> n.Points:
        return n.Points(self._value(token, str(token).lstrip("+")), str(token), span=self._tok(token))

    @v_args(meta=True)
    def closed_range(self, meta, children):
        return n.Range(self._value(children[0]), self._value(children[2]), span=self._span(meta))

    @v_args(meta=True)
    def at_least(self, meta, children):
        return n.Range(self._value(children[0]), None, span=self._span(meta))

    @v_args(meta=True)
    def at_most(self, meta, children):
        return n.Range(None, self._value(children[1]), span=self._span(meta))

    @v_args(meta=True)
    def list_literal(self, meta, children):
        return n.ListLiteral(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def name(self, meta, children):
        token = children[0]         # (`_name`, inlined: some 2,500 names in 1,000 rules)
        return n.Name(token.value, span=self.span_of(token.start_pos, token.end_pos))

    # declarations
    @v_args(meta=True)
    def start(self, meta, children):
        header = children[0] if children and isinstance(children[0], n.ModelHeader) else None
        items = tuple(children[1:] if header else children)
        return n.Model(header, items, span=self._span(meta))

    @v_args(meta=True)
    def model_header(self, meta, children):
        name = self._str(children[0])
        version = self._value(children[1]) if len(children) > 1 else None
        return n.ModelHeader(name.value, version, span=self._span(meta))

    def type(self, children):
        return str(children[0])

    def from_column(self, children):
        return self._str(children[0])

    def sentinels(self, children):
        return tuple(children)

    @v_args(meta=True)
    def field_decl(self, meta, children):
        name, type_, *rest = children
        column = next((c for c in rest if isinstance(c, n.Str)), None)
        sentinels = next((c for c in rest if isinstance(c, tuple)), ())
        return n.FieldDecl(self._name(name), type_, column, sentinels, span=self._span(meta))

    @v_args(meta=True)
    def attr_decl(self, meta, children):
        name, type_, *rest = children
        return n.AttrDecl(self._name(name), type_, rest[0] if rest else None, span=self._span(meta))

    @v_args(meta=True)
    def event_decl(self, meta, children):
        return n.EventDecl(self._name(children[0]), tuple(children[1:]), span=self._span(meta))

    @v_args(meta=True)
    def list_values(self, meta, children):
        return n.ListDecl(self._name(children[0]), children[1], None, span=self._span(meta))

    @v_args(meta=True)
    def list_file(self, meta, children):
        path = self._str(children[1])
        return n.ListDecl(self._name(children[0]), None, path, span=self._span(meta))

    @v_args(meta=True)
    def clamp_decl(self, meta, children):
        return n.ClampDecl(children[0], span=self._span(meta))

    # rules
    @v_args(meta=True)
    def rule(self, meta, children):
        name, body, options = children
        return n.Rule(self._name(name), body, options, span=self._span(meta))

    @v_args(meta=True)
    def condition_body(self, meta, children):
        return n.ConditionBody(self._points(children[0]), children[1], span=self._span(meta))

    @v_args(meta=True)
    def each_body(self, meta, children):
        return n.EachBody(self._points(children[0]), children[1], span=self._span(meta))

    @v_args(meta=True)
    def table_body(self, meta, children):
        return n.TableBody(children[0], tuple(children[1:]), span=self._span(meta))

    @v_args(meta=True)
    def value_arm(self, meta, children):
        *values, _arrow, points = children
        return n.Arm("values", tuple(values), self._points(points), span=self._span(meta))

    @v_args(meta=True)
    def else_arm(self, meta, children):
        return n.Arm("else", (), self._points(children[-1]), span=self._span(meta))

    @v_args(meta=True)
    def unknown_arm(self, meta, children):
        return n.Arm("unknown", (), self._points(children[-1]), span=self._span(meta))

    def rule_options(self, children):
        return tuple(children)

    @v_args(meta=True)
    def max_option(self, meta, children):
        per = self._duration(children[1]) if len(children) > 1 else None
        return n.MaxOption(self._num(children[0]), per, span=self._span(meta))

    @v_args(meta=True)
    def distinct_option(self, meta, children):
        return n.DistinctOption(self._name(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def decay_option(self, meta, children):
        return n.DecayOption(children[0], span=self._span(meta))

    @v_args(meta=True)
    def tag_option(self, meta, children):
        return n.TagOption(self._name(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def because_option(self, meta, children):
        return n.BecauseOption(self._str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def half_life(self, meta, children):
        return n.HalfLife(self._duration(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def linear_decay(self, meta, children):
        return n.LinearDecay(self._percent(children[0]), self._duration(children[1]),
                             span=self._span(meta))

    @v_args(meta=True)
    def expire(self, meta, children):
        return n.Expire(self._duration(children[0]), span=self._span(meta))

    # scopes
    def group_options(self, children):
        return tuple(children)

    @v_args(meta=True)
    def min_option(self, meta, children):
        return n.MinOption(self._num(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def group_max_option(self, meta, children):
        return n.GroupMaxOption(self._num(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def group(self, meta, children):
        name, *rest = children
        options = rest[0] if rest and isinstance(rest[0], tuple) else ()
        rules = tuple(r for r in rest if isinstance(r, n.Rule))
        return n.Group(self._name(name), options, rules, span=self._span(meta))

    @v_args(meta=True)
    def campaign(self, meta, children):
        return n.Campaign(self._name(children[0]), tuple(children[1:]), span=self._span(meta))

    def account_where(self, children):
        return ("where", children[0])

    @v_args(meta=True)
    def account(self, meta, children):
        key, *rest = children
        where = next((c[1] for c in rest if isinstance(c, tuple)), None)
        rules = tuple(r for r in rest if isinstance(r, n.Rule))
        return n.Account(key, where, rules, span=self._span(meta))

    # outputs
    @v_args(meta=True)
    def tier(self, meta, children):
        threshold = self._num(children[2]) if len(children) > 1 else None
        return n.Tier(self._name(children[0]), threshold, span=self._span(meta))

    @v_args(meta=True)
    def tiers(self, meta, children):
        group = self._name(children[0]) if isinstance(children[0], Token) else None
        tiers = tuple(c for c in children if isinstance(c, n.Tier))
        return n.Tiers(group, tiers, span=self._span(meta))

    @v_args(meta=True)
    def qualify(self, meta, children):
        return n.Qualify(self._name(children[0]), children[1], span=self._span(meta))

    @v_args(meta=True)
    def disqualify(self, meta, children):
        return n.Disqualify(self._name(children[0]), children[1], span=self._span(meta))

    # conditions
    @v_args(meta=True)
    def or_op(self, meta, children):
        return n.Or(children[0], children[1], span=self._span(meta))

    @v_args(meta=True)
    def and_op(self, meta, children):
        return n.And(children[0], children[1], span=self._span(meta))

    @v_args(meta=True)
    def not_op(self, meta, children):
        return n.Not(children[0], span=self._span(meta))

    @v_args(meta=True)
    def compare(self, meta, children):
        return n.Compare(str(children[1]), children[0], children[2], span=self._span(meta))

    @v_args(meta=True)
    def in_op(self, meta, children):
        return n.Membership(children[0], children[1], False, span=self._span(meta))

    @v_args(meta=True)
    def not_in_op(self, meta, children):
        return n.Membership(children[0], children[1], True, span=self._span(meta))

    def _text_test(op):
        @v_args(meta=True)
        def build(self, meta, children):
            return n.TextTest(op, children[0], children[1], span=self._span(meta))
        return build

    contains = _text_test("contains")
    starts_with = _text_test("starts_with")
    ends_with = _text_test("ends_with")

    @v_args(meta=True)
    def matches(self, meta, children):
        return n.Matches(children[0], children[1], span=self._span(meta))

    @v_args(meta=True)
    def is_known(self, meta, children):
        return n.Presence(children[0], True, span=self._span(meta))

    @v_args(meta=True)
    def is_unknown(self, meta, children):
        return n.Presence(children[0], False, span=self._span(meta))

    @v_args(meta=True)
    def minus(self, meta, children):
        return n.Minus(children[0], children[2], span=self._span(meta))

    @v_args(meta=True)
    def now(self, meta, children):
        return n.Now(span=self._span(meta))

    @v_args(meta=True)
    def key(self, meta, children):
        return n.Key(span=self._span(meta))

    @v_args(meta=True)
    def score(self, meta, children):
        return n.ScoreRef(span=self._span(meta))

    def _call(function):
        @v_args(meta=True)
        def build(self, meta, children):
            return n.Call(function, children[0], span=self._span(meta))
        return build

    domain = _call("domain")
    days_since = _call("days_since")

    def _aggregate(kind):
        @v_args(meta=True)
        def build(self, meta, children):
            attribute = self._name(children[1]) if len(children) > 1 else None
            return n.Aggregate(kind, children[0], attribute, span=self._span(meta))
        return build

    any_agg = _aggregate("any")
    no_agg = _aggregate("no")
    count_agg = _aggregate("count")
    sum_agg = _aggregate("sum")
    first_agg = _aggregate("first")
    last_agg = _aggregate("last")

    @v_args(meta=True)
    def named_stream(self, meta, children):
        return ("named", str(children[0]), self._tok(children[0]))

    @v_args(meta=True)
    def all_events(self, meta, children):
        return ("event", None, self._span(meta))

    @v_args(meta=True)
    def all_leads(self, meta, children):
        return ("leads", None, self._span(meta))

    def stream_filter(self, children):
        return ("filter", children[0])

    def stream_window(self, children):
        return ("window", self._duration(children[0]))

    @v_args(meta=True)
    def stream(self, meta, children):
        kind, name, source_span = children[0]
        parts = dict(children[1:])
        return n.Stream(name, kind == "leads", parts.get("filter"), parts.get("window"),
                        source_span, span=self._span(meta))


# ---- syntax errors ----------------------------------------------------------------

CLOSER_TERMINALS = {"}": "RBRACE", ")": "RPAR", "]": "RSQB"}
RULE_OPTIONS = {"MAX", "DISTINCT", "DECAY", "TAG", "BECAUSE"}
ITEM_KEYWORDS = {"MODEL", "FIELD", "EVENT", "LIST", "CLAMP", "RULE", "GROUP", "CAMPAIGN", "ACCOUNT",
                 "TIERS", "QUALIFY", "DISQUALIFY"}


def report_syntax_error(error: UnexpectedInput, source: Source, reporter: Reporter) -> None:
    text = source.text
    expected = expected_terminals(error)
    if isinstance(error, UnexpectedCharacters):
        report_unexpected_character(
            source, reporter, error.pos_in_stream, expected, VOCABULARY, NUMBER_LIKE,
            "is not a number, a duration or a percentage",
            "numbers are written `15`, `2.5` or `1_000`; a duration is a number and a unit "
            "with no space: `12h`, `30d`, `2w`, `6mo`, `1y`")
        return

    assert isinstance(error, UnexpectedToken)
    token = error.token
    kind = token.type
    pos, at_end = token_position(text, token)
    span = token_span(source, token)

    opened = unclosed_bracket(text, pos)
    closers = {CLOSER_TERMINALS[OPENERS[opened[0]]]} if opened else set()
    # the closer is expected, and what came instead cannot go on inside the brackets
    # (after a rule in a group `}` is expected too, but so is the rest of the rule)
    if opened and (at_end or (closers & expected and (
            expected <= closers or kind in ITEM_KEYWORDS or kind in CLOSER_TERMINALS.values()))):
        report_unclosed(source, reporter, opened, None if at_end else describe_found(token),
                        source.span(pos, pos).line)
        return
    if kind == "MODEL":
        reporter.error(span, "E-model-header", "`model` must be the first item of the file, and given once",
                       "move the `model` line to the top of the file")
        return
    if kind in KEYWORD_TERMINALS and "NAME" in expected and not (kind in ITEM_KEYWORDS and "STRING" in expected):
        word = KEYWORD_TERMINALS[kind]
        reporter.error(span, "E-reserved", f"`{word}` is a reserved keyword and cannot be used as a name",
                       f"choose another name, such as `{word}_`; a column named `{word}` is bound with `from \"{word}\"`")
        return
    if kind == "EQUAL" and "COMPARE" in expected:
        reporter.error(span, "E-assign-in-condition", "`=` is not a comparison",
                       "did you mean `==`?")
        return
    if kind in {"COMPARE", "IN", "CONTAINS", "STARTS", "ENDS", "MATCHES", "IS"} and kind not in expected \
            and ("AND" in expected or "OR" in expected):
        reporter.error(span, "E-chained-comparison",
                       "comparisons do not chain",
                       "join two comparisons with `and`: `1 < x and x < 5`")
        return
    found = describe_found(token)
    hint = VOCABULARY.hint(expected)
    if kind in RULE_OPTIONS and "COMMA" in expected:
        hint = f"options follow a comma: `, {KEYWORD_TERMINALS[kind]} ...`"
    reporter.error(span, "E-syntax", f"unexpected {found}", hint)


def describe_found(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    return f"`{token}`"


class TooDeep(Exception):
    """A parse tree nested beyond MAX_NESTING: reported like a syntax error."""

    def __init__(self, node: Tree):
        super().__init__("nested too deeply")
        self.node = node

    def report(self, source, reporter: Reporter) -> None:
        meta = self.node.meta
        reporter.error(source.span(meta.start_pos, meta.end_pos), "E-nesting",
                       f"this expression is nested too deeply (more than {MAX_NESTING} levels)",
                       "split it into several rules, or test membership with `x in [...]`")


def to_ast(source, reporter: Reporter) -> n.Model:
    """The AST of a source or an `Excerpt` of one; raises Lark's `UnexpectedInput` or `TooDeep`.

    Valid text is built in one pass by `lalr.Driver`; text it declines is parsed
    again by Lark into a tree, whose errors are the diagnostics'."""
    model = quick_ast(source, reporter)
    if model is not None:
        return model
    tree = parser().parse(source.text)
    deep = too_deep(tree)
    if deep is not None:
        raise TooDeep(deep)
    return ToAst(source, reporter).transform(tree)


@functools.lru_cache(maxsize=1)
def driver() -> Driver | None:
    return Driver.of(parser(), ToAst, MAX_NESTING)


def quick_ast(source, reporter: Reporter) -> n.Model | None:
    """The AST by `lalr.Driver`, or None where it declines (what it reported is taken back)."""
    quick = driver()
    if quick is None:
        return None
    reported = len(reporter.diagnostics)
    try:
        return quick.parse(source.text, ToAst(source, reporter))
    except Exception:       # Declined, or a transformer method that raised: Lark's path decides
        del reporter.diagnostics[reported:]
        return None


#: The deepest parse tree accepted. The transformer, the checker and the
#: compilers recurse over expressions; this keeps them far from Python's
#: recursion limit (and generated code from its 200 nested parentheses).
MAX_NESTING = 100


def too_deep(tree: Tree) -> Tree | None:
    """The first subtree, left to right, at a depth beyond MAX_NESTING (found without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            return node
        stack.extend((child, depth + 1) for child in reversed(node.children) if isinstance(child, Tree))
    return None
