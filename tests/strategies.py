"""Hypothesis strategies: well-typed `.score` models, and leads and events to score.

`models()` draws a small model (at most about 8 rules) that uses the whole
language: fields of the five types (with `from` columns, keyword columns and
sentinels), events with attributes, lists (written and read from files),
clamp, condition / each / table rules with every option, groups with
min / max / decay, campaigns with rules, groups, tiers and qualify lines, an
account scope with `leads` and `key` (its key a field, `domain(...)` or read
from the lead's events), tiers on the total and on groups, qualify and
disqualify, and every operator and function of LANGUAGE.md §5; bool lists
and table arms of several bool values; a `model` header with or without
`version`, or none. Strings are spelled every way LANGUAGE.md §2 allows
(`\\uXXXX`, surrogate pairs, a backslash kept as written, `#` inside), and
`#` comments stand on lines of their own and at line ends, between
declarations and inside blocks and tables. Types are right by construction;
`checked()` asserts that the checker accepts the text, so a generator
mistake (or a checker bug) shows at once. tests/test_strategy_coverage.py
says which grammar rules a sample reaches.

Not generated, because the checker refuses them although LANGUAGE.md does
not: `max N per D` on a `leads` stream (E-option, "leads have no time"); a
number tested against an empty list literal (`n in []`); a bool tested
against an empty list, literal or declared (an empty list is a text list).

A drawn `GenModel` can be rendered without its decay options, without some
campaigns or without its `disqualify` lines, for the properties that compare
a model with a variant of itself.

`lead_dicts(schema)` and `event_lists(schema)` draw input for a model:
unknowns of every kind (missing keys, None, "", "  ", NaN, sentinels in odd
case), odd case and whitespace, values that do not convert; events out of
order, with equal times, at the boundaries of every duration the models use,
after `now`, of undeclared types, with attributes missing or bad. `cases()`
is a model with a few (lead, events) pairs, `batches()` a model with an
account scope and several leads sharing account keys.

Every model, lead and event list takes its choices from one drawn byte
string (`Entropy`): per-choice hypothesis draws cost several times more than
the scoring they feed. `now` is fixed: NOW_TEXT / NOW_US.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import re
import tempfile

import attrs
from hypothesis import strategies as st

from leadscore.api import compile_analysis
from leadscore.dsl import analyze
from leadscore.runtime import values as v

NOW_TEXT = "2026-11-20T00:00:00Z"
NOW_DT = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
NOW_US = v.datetime_to_us(NOW_DT)
HOUR = 3_600 * v.US_PER_SECOND
DAY = v.US_PER_DAY

# ---- list files, written once per test session ---------------------------------------

LIST_DIR = tempfile.mkdtemp(prefix="leadscore-strategies-")
with open(os.path.join(LIST_DIR, "accounts.txt"), "w", encoding="utf-8") as _f:
    _f.write("# named accounts\nacme.com\n\n  Rival.com  \nGMAIL.com\n   # indented comment\nstraße.de\n")
with open(os.path.join(LIST_DIR, "numbers.txt"), "w", encoding="utf-8") as _f:
    _f.write("1\n2.5\n # not a value\n999\n-3\n")


# ---- the language's building blocks ------------------------------------------------

TEXT, NUMBER, BOOL, DATE, TIME, DURATION = "text", "number", "bool", "date", "time", "duration"
TEMPORAL = (DATE, TIME)

TEXT_WORDS = ["alpha", "Alpha", " ALPHA ", "beta", "gamma delta", "Straße", "STRASSE", "c-level",
              "C-Level", "select", "n/a", "é", "x", "/pricing", "/docs/a", "q3-roadmap", "İ"]
EMAILS = ["ann@acme.com", "Bob@ACME.com ", "carol@rival.com", "dan@gmail.com", "info@acme.com",
          "eve@straße.de", "no-at-sign", "frank@", "gus@sub.acme.com", "  hal@Acme.Com"]
TEXT_LITERALS = TEXT_WORDS + ["acme.com", "rival.com", "gmail.com", "@", "", " ", "a\"b", "back\\slash",
                              "tab\tline", "\u00e9t\u00e9", "a # b", "#1", "back\\d", "\U0001f600"]
NUMBER_LITERALS = ["0", "1", "2", "3", "2.5", "10", "50", "100", "500", "999", "-1", "-5", "1_000",
                   "0.5", "30", "-2.5"]
TIME_LITERALS = ['"2026-01-01"', '"2026-11-19"', '"2025-12-31"', '"2026-11-19T12:00:00Z"',
                 '"2026-06-01T00:00:00+02:00"', '"2026-11-20"']
DURATIONS = ["1h", "12h", "0.5h", "1d", "1.5d", "3d", "7d", "14d", "30d", "2w", "1mo", "6mo", "1y",
             "1_0d", "90d", "400d"]
POINTS = ["+15", "-20", "0", "+2.5", "-0.5", "+1", "+0.1", "-0.3", "+7", "+1_0", "-1", "+0.7", "+0.2", "-0.1",
          "+0.3", "+1.1"]
CAPS = ["0", "1", "2.5", "5", "10", "20", "0.5"]
PATTERNS = ['"^a"', '"a$"', '"\\d+"', '"(alpha|beta)"', '"[[:alpha:]]+ [a-z]"', '"ß"', '"^(info|sales)@"',
            '"acme\\.com$"', '"(a+)+$"', '"É"', '"pricing"']
KEYWORD_COLUMNS = ["score", "key", "count", "campaign", "from", "event"]

ATTRIBUTE_POOL = [("u", TEXT, None), ("s", NUMBER, None), ("f", BOOL, None), ("w", TIME, None),
                  ("c", TEXT, "campaign"), ("dd", DATE, "day of")]
EVENT_NAMES = ["visit", "mail", "form", "call"]

OR, AND, NOT, PRED, MINUS, OPERAND = 1, 2, 3, 4, 5, 6


def q(text: str) -> str:
    """A `.score` string literal for `text`."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


SIMPLE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}
PLAIN, UNICODE_LOWER, UNICODE_UPPER, UNICODE_ALL, LAX = range(5)


def _u_escape(ch: str, upper: bool = False) -> str:
    """`\\uXXXX` for one character; beyond the BMP, its UTF-16 surrogate pair."""
    units = ch.encode("utf-16-be")
    text = "".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2))
    return text.upper().replace("\\U", "\\u") if upper else text


def _spelled_char(ch: str, following: str, style: int) -> str:
    if style == UNICODE_ALL or (style in (UNICODE_LOWER, UNICODE_UPPER) and ord(ch) > 0x7E):
        return _u_escape(ch, upper=style == UNICODE_UPPER)
    if style == LAX and ch == "\t":
        return ch                                      # a raw tab is allowed in a string
    if style == LAX and ch == "\\" and following[:1] not in ("", *SIMPLE_ESCAPES, "u"):
        return ch                                      # `\\d` is kept as written (LANGUAGE.md §2)
    return SIMPLE_ESCAPES.get(ch, ch)


def spelled(text: str, style: int) -> str:
    """A `.score` string literal for `text`, written in one of the ways LANGUAGE.md §2 allows:
    plain (as `q`), non-ASCII as `\\uXXXX` (lower or upper hex digits), every character as
    `\\uXXXX`, or with a lone backslash and a raw tab where they are kept as written."""
    return '"' + "".join(_spelled_char(ch, text[i + 1:], style) for i, ch in enumerate(text)) + '"'



# ---- cheap draws: prebuilt strategies, so generating a model costs little ---------------

@functools.lru_cache(maxsize=None)
def _ints(low: int, high: int):
    strategy = st.integers(low, high)
    _RANGES[id(strategy)] = (low, high)
    return strategy


_RANGES: dict = {}


class Entropy:
    """A `draw` that takes its choices from one drawn byte string.

    Hypothesis spends far more time per choice than building a model does,
    so each model, lead and event list takes all of its choices from a
    single `st.binary` draw: an integer in [low, high] is low + (the next
    bytes) mod the span, and low once the bytes run out. Shrinking the bytes
    toward zero shrinks every choice toward its first option.
    """

    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def __call__(self, strategy):
        low, high = _RANGES[id(strategy)]
        span = high - low + 1
        size = 1 if span <= 1 << 8 else 2 if span <= 1 << 16 else 3
        chunk = self.data[self.at:self.at + size]
        self.at += size
        if len(chunk) < size:
            return low
        return low + int.from_bytes(chunk, "big") % span


MODEL_SIZE = 512                                         # a model uses about 170 (at most ~400)
MODEL_BYTES = st.binary(min_size=MODEL_SIZE, max_size=MODEL_SIZE)
DATA_BYTES = st.binary(min_size=128, max_size=128)       # a lead or an event list: under 80


def pick(draw, seq):
    seq = seq if isinstance(seq, (list, tuple)) else list(seq)
    return seq[draw(_ints(0, len(seq) - 1))]


def chance(draw, percent: int) -> bool:
    """True with this probability; the smallest choice (what shrinking aims for) is False."""
    return draw(_ints(0, 99)) >= 100 - percent


def coin(draw) -> bool:
    return draw(_ints(0, 1)) == 1


def some(draw, seq, min_size: int = 0, max_size: int = 3, unique: bool = False) -> list:
    pool = list(seq)
    count = draw(_ints(min_size, max_size))
    if not unique:
        return [pick(draw, pool) for _ in range(count)]
    out = []
    for _ in range(min(count, len(pool))):
        out.append(pool.pop(draw(_ints(0, len(pool) - 1))))
    return out


def literal(draw, text: str) -> str:
    """`text` as a string literal, plain half of the time, else in another spelling (`spelled`)."""
    return spelled(text, pick(draw, STYLES))


STYLES = [PLAIN] * 4 + [UNICODE_LOWER, UNICODE_UPPER, UNICODE_ALL, LAX]


def shuffled(draw, seq) -> list:
    """The items in an order drawn with one choice (0, what shrinking aims for: as given)."""
    items = list(seq)
    seed = draw(_ints(0, 2**20))
    if seed:
        random.Random(seed).shuffle(items)
    return items

# ---- markers: parts a variant of the model can leave out -----------------------------

D_OPEN, D_CLOSE = "\x01", "\x02"          # a decay option
C_OPEN, C_CLOSE = "\x03", "\x04"          # a campaign block: C_OPEN name \x00 body C_CLOSE
Q_OPEN, Q_CLOSE = "\x05", "\x06"          # a disqualify line


def render(marked: str, drop_decay=False, drop_campaigns=(), drop_disqualify=False) -> str:
    text = marked
    if drop_decay:
        text = re.sub("\x01[^\x01\x02]*\x02", "", text)
    for name in drop_campaigns:
        text = re.sub(f"\x03{re.escape(name)}\x00[^\x03\x04]*\x04", "", text)
    if drop_disqualify:
        text = re.sub("\x05[^\x05\x06]*\x06", "", text)
    text = re.sub("\x03[^\x00]*\x00", "", text)
    return re.sub("[\x01\x02\x04\x05\x06]", "", text)


# ---- what a model declares ---------------------------------------------------------

@attrs.frozen
class FieldSpec:
    name: str
    type: str
    column: str
    sentinel_texts: tuple = ()
    sentinel_numbers: tuple = ()


@attrs.frozen
class EventSpec:
    name: str
    attributes: tuple               # of (name, type, column)

    def attrs_of(self, type_=None) -> dict:
        return {a: t for a, t, _ in self.attributes if type_ is None or t == type_}


@attrs.frozen
class Schema:
    fields: tuple
    events: tuple
    lists: dict                     # name -> element type (text / number / number-as-text / bool)

    def fields_of(self, *types) -> list:
        return [f.name for f in self.fields if f.type in types]

    def common_attributes(self) -> dict:
        if not self.events:
            return {}
        common = self.events[0].attrs_of()
        for e in self.events[1:]:
            mine = e.attrs_of()
            common = {k: t for k, t in common.items() if mine.get(k) == t}
        return common


@attrs.frozen
class GenModel:
    marked: str
    schema: Schema
    campaigns: tuple                # campaign names
    has_account: bool
    has_disqualify: bool

    @property
    def text(self) -> str:
        return render(self.marked)

    def __repr__(self) -> str:
        return "GenModel(text=\n" + self.text + ")"

    def _repr_pretty_(self, printer, cycle) -> None:        # how hypothesis prints a failing case
        printer.text(repr(self))

    def variant(self, **drop) -> str:
        return render(self.marked, **drop)


@functools.lru_cache(maxsize=4096)
def checked(text: str):
    """The analysis of a generated text; fails loudly if the checker rejects it."""
    analysis = analyze(text, "generated.score", LIST_DIR)
    assert analysis.errors == (), "generated model does not validate:\n" + analysis.render() + "\n" + text
    return analysis


#: The backends the property and differential tests run every generated case on.
BACKENDS = ("closures", "codegen")


def per_backend(examples: int) -> int:
    """Hypothesis examples for each backend of a test that once ran `examples` on one backend:
    fewer, so that running on both costs at most about twice what one did."""
    return max(1, examples * 3 // 4)


@functools.lru_cache(maxsize=4096)
def compiled(text: str, backend: str = "closures"):
    """The generated text compiled by one backend (the IR is `checked(text).model`)."""
    return compile_analysis(checked(text), backend)


# ---- the model generator -------------------------------------------------------------

@attrs.frozen
class Ctx:
    """Where an expression stands (mirrors the checker's contexts)."""

    scope: str = "global"           # global, campaign, account, key, where, qualify, disqualify
    campaign: str | None = None
    subject: object = None          # inside `[ ]`: an EventSpec, "all" or "leads"
    in_account: bool = False
    qualify: bool = False
    groups: tuple = ()              # group names `qualify` may read


class Gen:
    def __init__(self, draw, schema: Schema, key_type: str | None = None):
        self.draw = draw
        self.schema = schema
        self.key_type = key_type

    # helpers
    def pick(self, seq):
        return pick(self.draw, seq)

    def chance(self, percent: int) -> bool:
        return chance(self.draw, percent)

    def lit(self, text: str) -> str:
        """A string literal for `text`, spelled one of the ways the language allows."""
        return literal(self.draw, text)

    def paren(self, expr, level):
        text, have = expr
        return f"({text})" if have < level or self.chance(5) else text

    # ---- typed values --------------------------------------------------------------
    def names_of(self, ctx: Ctx, *types) -> list:
        """Field (or, in a filter, attribute) names of these types."""
        if ctx.subject is None:
            return self.schema.fields_of(*types)
        if ctx.subject == "leads":
            return self.schema.fields_of(*types)
        attributes = (ctx.subject.attrs_of() if isinstance(ctx.subject, EventSpec)
                      else self.schema.common_attributes())
        return [a for a, t in attributes.items() if t in types]

    def value(self, ctx: Ctx, type_: str, depth: int):
        """(text, level) of an expression of this type."""
        choices = []
        names = self.names_of(ctx, type_) if type_ != TIME else self.names_of(ctx, DATE, TIME)
        aggregates_ok = ctx.subject is None and depth > 0
        if names:
            choices += ["name"] * 3
        if ctx.in_account and self.key_type == type_:
            choices.append("key")
        if type_ == TEXT:
            choices += ["literal", "literal"]
            if depth > 0:
                choices.append("domain")
        elif type_ == NUMBER:
            choices += ["literal"]
            if aggregates_ok:
                choices += ["count", "sum", "count"]
            if depth > 0:
                choices.append("days_since")
            if ctx.qualify:
                choices += ["score", "score"] + (["group"] if ctx.groups else [])
        elif type_ == BOOL:
            choices += ["literal"]
            if depth > 0:
                choices.append("paren")
        elif type_ == TIME:
            choices += ["now"]
            if aggregates_ok:
                choices += ["first", "last", "last"]
        elif type_ == DURATION:
            choices += ["literal"]
            if depth > 0:
                choices += ["diff", "diff"]
        kind = self.pick(choices)
        if kind == "name":
            return self.pick(names), OPERAND
        if kind == "key":
            return "key", OPERAND
        if kind == "literal":
            if type_ == TEXT:
                return self.lit(self.pick(TEXT_LITERALS)), OPERAND
            if type_ == NUMBER:
                return self.pick(NUMBER_LITERALS), OPERAND
            if type_ == BOOL:
                return self.pick(["true", "false"]), OPERAND
            return self.pick(DURATIONS), OPERAND
        if kind == "domain":
            return f"domain({self.value(ctx, TEXT, depth - 1)[0]})", OPERAND
        if kind == "days_since":
            return f"days_since({self.value(ctx, TIME, depth - 1)[0]})", OPERAND
        if kind == "paren":
            return f"({self.condition(ctx, depth - 1)[0]})", OPERAND
        if kind == "now":
            return "now", OPERAND
        if kind == "score":
            return "score", OPERAND
        if kind == "group":
            return self.pick(ctx.groups), OPERAND
        if kind == "diff":
            left = self.paren(self.value(ctx, TIME, depth - 1), MINUS)
            right = self.paren(self.value(ctx, TIME, depth - 1), OPERAND)
            return f"{left} - {right}", MINUS
        if kind in ("count", "sum", "first", "last"):
            return self.aggregate_value(ctx, kind, depth)
        raise AssertionError(kind)

    def aggregate_value(self, ctx: Ctx, kind: str, depth: int):
        if kind == "sum":
            stream, attributes, is_leads = self.stream(ctx, depth, want_number=True)
            numbers = [a for a, t in attributes.items() if t == NUMBER]
            if not numbers:
                return f"count({stream})", OPERAND
            return f"sum({stream}, {self.pick(numbers)})", OPERAND
        if kind == "count":
            stream, _, _ = self.stream(ctx, depth)
            return f"count({stream})", OPERAND
        stream, _, _ = self.stream(ctx, depth, timed=True)
        return f"{kind} {stream}", OPERAND

    # ---- streams -------------------------------------------------------------------
    def stream(self, ctx: Ctx, depth: int, timed=False, want_number=False):
        """(text, attributes, is_leads) of a stream readable here."""
        sources = [e.name for e in self.schema.events] * 2 + ["event"]
        if ctx.in_account and not timed:
            sources += ["leads", "leads"] if want_number else ["leads"]
        source = self.pick(sources)
        if source == "leads":
            subject, attributes = "leads", {f.name: f.type for f in self.schema.fields}
        elif source == "event":
            subject, attributes = "all", self.schema.common_attributes()
        else:
            subject = next(e for e in self.schema.events if e.name == source)
            attributes = subject.attrs_of()
        text = source
        if self.chance(45):
            inner = attrs.evolve(ctx, subject=subject, qualify=False, groups=())
            text += f"[{self.condition(inner, max(0, min(depth - 1, 1)))[0]}]"
        if source != "leads" and self.chance(40):
            text += f" within {self.pick(DURATIONS)}"
        return text, attributes, source == "leads"

    # ---- conditions ----------------------------------------------------------------
    def condition(self, ctx: Ctx, depth: int):
        """(text, level) of a bool expression."""
        kinds = ["compare", "compare", "member", "text", "presence"]
        if self.names_of(ctx, BOOL):
            kinds.append("flag")
        if ctx.subject is None:
            kinds += ["any", "any"]
        if depth > 0:
            kinds += ["and", "or", "not", "matches"]
        else:
            kinds.append("literal")
        kind = self.pick(kinds)
        if kind == "and":
            left = self.paren(self.condition(ctx, depth - 1), AND)
            right = self.paren(self.condition(ctx, depth - 1), NOT)
            return f"{left} and {right}", AND
        if kind == "or":
            left = self.paren(self.condition(ctx, depth - 1), OR)
            right = self.paren(self.condition(ctx, depth - 1), AND)
            return f"{left} or {right}", OR
        if kind == "not":
            return f"not {self.paren(self.condition(ctx, depth - 1), NOT)}", NOT
        if kind == "literal":
            return self.pick(["true", "false"]), OPERAND
        if kind == "flag":
            return self.pick(self.names_of(ctx, BOOL)), OPERAND
        if kind == "any":
            stream, _, _ = self.stream(ctx, depth)
            return f"{self.pick(['any', 'no'])} {stream}", OPERAND
        if kind == "presence":
            type_ = self.pick([TEXT, NUMBER, BOOL, TIME, DURATION])
            operand = self.paren(self.value(ctx, type_, depth), MINUS)
            return f"{operand} is {self.pick(['known', 'unknown'])}", PRED
        if kind == "matches":
            operand = self.paren(self.value(ctx, TEXT, depth - 1), MINUS)
            return f"{operand} matches {self.pick(PATTERNS)}", PRED
        if kind == "text":
            operand = self.paren(self.value(ctx, TEXT, depth), MINUS)
            needle = (self.lit(self.pick(TEXT_LITERALS)) if self.chance(75)
                      else self.paren(self.value(ctx, TEXT, 0), MINUS))
            op = self.pick(["contains", "starts with", "ends with"])
            return f"{operand} {op} {needle}", PRED
        if kind == "member":
            return self.membership(ctx, depth)
        return self.comparison(ctx, depth)

    def comparison(self, ctx: Ctx, depth: int):
        type_ = self.pick([TEXT, NUMBER, NUMBER, BOOL, TIME, DURATION])
        if type_ in (TEXT, BOOL):
            op = self.pick(["==", "!="])
        else:
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
        left = self.paren(self.value(ctx, type_, depth), MINUS)
        if type_ == TIME and self.chance(40):
            right = self.pick(TIME_LITERALS)
        else:
            right = self.paren(self.value(ctx, type_, depth), MINUS)
        if self.chance(20):
            left, right = right, left
        return f"{left} {op} {right}", PRED

    def membership(self, ctx: Ctx, depth: int):
        negated = "not in" if self.chance(35) else "in"
        type_ = self.pick([TEXT, TEXT, NUMBER, NUMBER, BOOL])
        operand = self.paren(self.value(ctx, type_, depth), MINUS)
        if type_ == TEXT:
            named = [n for n, t in self.schema.lists.items() if t in (TEXT, "numtext")]
            if named and self.chance(50):
                target = self.pick(named)
            else:
                values = some(self.draw, TEXT_LITERALS, 0, 3, False)
                target = "[" + ", ".join(self.lit(x) for x in values) + "]"
        elif type_ == NUMBER:
            named = [n for n, t in self.schema.lists.items() if t in (NUMBER, "numtext")]
            choice = self.pick(["range", "range", "list"] + (["named"] if named else []))
            if choice == "range":
                target = self.number_range()
            elif choice == "named":
                target = self.pick(named)
            else:
                values = some(self.draw, NUMBER_LITERALS, 1, 3, False)
                target = "[" + ", ".join(values) + "]"
        else:
            named = [n for n, t in self.schema.lists.items() if t == BOOL]
            target = self.pick(["[true]", "[false]", "[true, false]"] + named * 2)
        return f"{operand} {negated} {target}", PRED

    def number_range(self) -> str:
        a, b = sorted(some(self.draw, [-5, -1, 0, 1, 2, 2.5, 3, 10, 99, 100, 999], 2, 2, False))
        form = self.pick(["closed", "closed", "low", "high"])
        if form == "closed":
            return f"{a}..{b}"
        if form == "low":
            return f"{a}.."
        return f"..{b}"

    # ---- rules ---------------------------------------------------------------------
    def decay_spec(self) -> str:
        form = self.pick(["half_life", "linear", "expire"])
        if form == "half_life":
            return f"half_life {self.pick(DURATIONS)}"
        if form == "expire":
            return f"expire {self.pick(DURATIONS)}"
        return f"{self.pick(['50%', '100%', '12.5%', '1%', '75%'])} per {self.pick(DURATIONS)}"

    def because(self) -> str:
        return self.lit(self.pick(["a reason", "# not a comment", "quote \" and backslash \\", "__import__('os').system('touch leadscore-pwned')",
                            "line\nbreak", "caf\u00e9", "{0}{1}%s"]))

    def rule(self, name: str, ctx: Ctx) -> str:
        kind = self.pick(["condition", "condition", "each", "each", "table"])
        options = []
        if kind == "condition":
            condition = self.event_condition(ctx) if self.chance(55) else self.condition(ctx, 2)[0]
            body = f"{self.pick(POINTS)} when {condition}"
        elif kind == "each":
            stream, attributes, is_leads = self.stream(ctx, 2)
            body = f"{self.pick(POINTS)} each {stream}"
            if attributes and self.chance(35):
                options.append(f"distinct {self.pick(sorted(attributes))}")
            if not is_leads and self.chance(40):   # on `leads`: refused by the checker (docstring)
                options.append(f"max {self.pick(CAPS)} per {self.pick(DURATIONS)}")
        else:
            body = self.table(ctx)
        if self.chance(40):
            options.append(f"max {self.pick(CAPS)}")
        if self.chance(50):
            options.append(D_OPEN + f", decay {self.decay_spec()}" + D_CLOSE)
        if self.chance(25):
            options.append(f"tag {self.pick(['priority', 'hot_lead', 'fit', 'x'])}")
        if self.chance(20):
            options.append(f"because {self.because()}")
        options = shuffled(self.draw, options)
        rendered = "".join(o if o.startswith(D_OPEN) else ", " + o for o in options)
        return f"rule {name}: {body}{rendered}"

    def event_condition(self, ctx: Ctx) -> str:
        """A condition over events: what decay of a condition rule acts on."""
        form = self.pick(["any", "count", "count", "last", "both"])
        if form == "any":
            return f"any {self.stream(ctx, 1)[0]}"
        if form == "count":
            return f"count({self.stream(ctx, 1)[0]}) >= {self.pick(['1', '2', '3'])}"
        if form == "last":
            return f"now - last {self.stream(ctx, 1, timed=True)[0]} <= {self.pick(DURATIONS)}"
        first = f"first {self.stream(ctx, 1, timed=True)[0]}"
        return f"any {self.stream(ctx, 1)[0]} {self.pick(['and', 'or'])} {first} < now"

    def table(self, ctx: Ctx) -> str:
        type_ = self.pick([TEXT, NUMBER, NUMBER, BOOL])
        if type_ == NUMBER and self.chance(50):
            stream, attributes, is_leads = self.stream(ctx, 1, timed=self.chance(50))
            numbers = [a for a, t in attributes.items() if t == NUMBER]
            forms = [f"count({stream})"] + ([] if is_leads else [f"days_since(last {stream})"])
            by = self.pick(forms + [f"sum({stream}, {a})" for a in numbers[:1]])
        else:
            by = self.value(ctx, type_, 2)[0]
        arms = []
        for _ in range(self.draw(_ints(1, 4))):
            form = self.pick(["values", "values", "values", "unknown", "else"])
            if form == "values":
                if type_ == TEXT:
                    values = [self.lit(x) for x in some(self.draw, TEXT_LITERALS + EMAILS, 1, 3, False)]
                elif type_ == NUMBER:
                    values = [self.number_range() if self.chance(50) else self.pick(NUMBER_LITERALS)
                              for _ in range(self.draw(_ints(1, 2)))]
                else:
                    values = some(self.draw, ["true", "false"], 1, 2, False)
                arms.append(f"{', '.join(values)} => {self.pick(POINTS)}")
            else:
                arms.append(f"{form} => {self.pick(POINTS)}")
        return f"by {by} {{\n        " + "\n        ".join(arms) + "\n    }"

    def event_key(self) -> str:
        """An account key read from the lead's own events (LANGUAGE.md §7): a number."""
        ctx = Ctx(scope="key")
        kind = self.pick(["count", "sum", "days_since"])
        if kind == "days_since":
            return f"days_since(last {self.stream(ctx, 1, timed=True)[0]})"
        return self.aggregate_value(ctx, kind, 1)[0]

    def group_options(self) -> str:
        options = []
        low = high = None
        if self.chance(40):
            low = self.pick([-10, -1, 0, 1, 2.5])
            options.append(f"min {low}")
        if self.chance(50):
            high = self.pick([0, 1, 3, 5, 10, 20, 2.5])
            if low is not None and high < low:
                high = low
            options.append(f"max {high}")
        options = list(shuffled(self.draw, options))
        text = ", ".join(options)
        if self.chance(40):
            spec = f"decay {self.decay_spec()}"
            if options and self.chance(50):
                text = D_OPEN + spec + ", " + D_CLOSE + text
            elif options:
                text = text + D_OPEN + ", " + spec + D_CLOSE
            else:
                text = D_OPEN + spec + D_CLOSE
        return text

    def tiers(self, target: str | None) -> str:
        count = self.draw(_ints(1, 3))
        thresholds = sorted(some(self.draw, [-5, 0, 1, 2.5, 5, 10, 20, 40, 70, 100], count - 1, count - 1, True))
        names = ["cold", "warm", "hot"][:count]
        parts = [names[0] + (f" >= {self.pick([0, -1])}" if self.chance(10) else "")]
        parts += [f"{n} >= {t}" for n, t in zip(names[1:], thresholds)]
        head = "tiers" + (f" {target}" if target else "")
        return f"{head}: " + ", ".join(parts)


# ---- the schema --------------------------------------------------------------------

FIELD_SPECS = [("title", TEXT, ["title", "Job Title"]), ("email", TEXT, ["email", "E-mail"]),
               ("level", TEXT, ["level", "key"]),
               ("employees", NUMBER, ["employees", "Number of Employees", "count"]),
               ("pdays", NUMBER, ["pdays", "score"]), ("opt_out", BOOL, ["opt_out", "Do Not Email"]),
               ("signed_up", DATE, ["signed_up", "from"]), ("last_login", TIME, ["last_login", "event"])]
REQUIRED_FIELDS = {"title", "email", "employees", "opt_out", "signed_up", "last_login"}
SENTINEL_TEXTS = {TEXT: ["Select", "N/A", "-"], NUMBER: ["none", "N/A"], BOOL: ["unknown", "?"],
                  DATE: ["0000-00-00", "never"], TIME: ["never"]}
SENTINEL_NUMBERS = {NUMBER: [999, -1, 0], TEXT: [0], BOOL: [2], DATE: [0], TIME: [0]}


@functools.lru_cache(maxsize=None)
def _field_variants(name: str, type_: str, columns: tuple) -> tuple:
    """Every way to declare one field (None: left out), the plain ones first and most often."""
    sentinel_sets = [((), ())] * 6
    texts, numbers = SENTINEL_TEXTS[type_], SENTINEL_NUMBERS[type_]
    sentinel_sets += [((t,), ()) for t in texts] + [((), (n,)) for n in numbers]
    sentinel_sets += [(tuple(texts[:2]), tuple(numbers[:2]))]
    variants = [FieldSpec(name, type_, c, t, n) for c in columns for t, n in sentinel_sets]
    if name not in REQUIRED_FIELDS:
        variants = [None] + variants[:len(variants) // 2] + [None] * (len(variants) // 2)
    return tuple(variants)


def _fields(draw) -> tuple:
    fields = [pick(draw, _field_variants(name, type_, tuple(columns))) for name, type_, columns in FIELD_SPECS]
    return tuple(shuffled(draw, [f for f in fields if f is not None]))


@functools.lru_cache(maxsize=None)
def _attribute_sets() -> tuple:
    """Attribute lists for an event type: none, one, or a few, some bound with `from`."""
    import itertools
    out = [()]
    for size in (1, 2, 3, 4):
        out += list(itertools.combinations(ATTRIBUTE_POOL, size))
    renamed = []
    for attributes in out:
        if attributes and attributes[0][2] is None:
            first = (attributes[0][0], attributes[0][1], "key" if len(attributes) % 2 else "URL")
            renamed.append((first,) + attributes[1:])
    return tuple(out + renamed)


def _events(draw) -> tuple:
    names = some(draw, EVENT_NAMES, 1, 3, True)
    shared = coin(draw)
    events = []
    for name in names:
        chosen = list(pick(draw, _attribute_sets()))
        if shared and not any(a == "u" for a, _, _ in chosen):
            chosen.append(("u", TEXT, None))
        events.append(EventSpec(name, tuple((a, t, c or a) for a, t, c in chosen)))
    return tuple(events)


def _field_decl(f: FieldSpec, draw) -> str:
    text = f"field {f.name}: {f.type}"
    if f.column != f.name:
        text += f" from {literal(draw, f.column)}"
    sentinels = [literal(draw, t) for t in f.sentinel_texts] + [str(n) for n in f.sentinel_numbers]
    if sentinels:
        text += ", unknown " + ", ".join(sentinels)
    return text


def _event_decl(e: EventSpec, draw) -> str:
    if not e.attributes and len(e.name) % 2:
        return f"event {e.name}"
    parts = [f"{a}: {t}" + (f" from {literal(draw, c)}" if c != a else "") for a, t, c in e.attributes]
    return f"event {e.name}(" + ", ".join(parts) + ")" if parts else f"event {e.name}"


HEADERS = [[], [], ['model "generated"'], ['model "generated" version 3'],
           ['model "gen\\u00e9rated" version 12  # a comment']]
COMMENTS = ["# a comment", "#", '# "quoted" rule r: +1 when x == "a"', "#no space", "# ünïcode ✓ {0} %s",
            "## }", "# \\ backslash"]


def commented(draw, text: str) -> str:
    """The text with `#` comments on lines of their own (indented as the next line) and at line
    ends, and blank lines: between declarations, inside blocks and inside tables. No string
    spans a line, so a comment may end any line. One choice (0: none) seeds the placement."""
    seed = draw(_ints(0, 2**20))
    if not seed:
        return text
    rng = random.Random(seed)
    out = []
    for line in text.split("\n"):
        if line and rng.random() < 0.12:
            out.append(line[:len(line) - len(line.lstrip(" "))] + rng.choice(COMMENTS))
        elif line and rng.random() < 0.05:
            out.append("")
        if line.strip() and rng.random() < 0.12:
            line += rng.choice([" ", "  ", "\t"]) + rng.choice(COMMENTS)
        out.append(line)
    return "\n".join(out)


@st.composite
def models(draw, max_rules: int = 8, require: frozenset = frozenset()) -> GenModel:
    """A well-typed model text (see the module docstring).

    `require` may hold "account", "campaign" and "disqualify": parts the
    model must have.
    """
    return model_from(draw(MODEL_BYTES), max_rules, require)


def model_from(data: bytes, max_rules: int = 8, require: frozenset = frozenset()) -> GenModel:
    """The model that `models()` draws from these bytes (deterministic; for fixed samples)."""
    draw = Entropy(data)
    fields = _fields(draw)
    events = _events(draw)
    lists = {}
    if coin(draw):
        lists["words"] = TEXT
    if coin(draw):
        lists["nums"] = NUMBER
    if coin(draw):
        lists["accounts"] = TEXT
    if coin(draw):
        lists["numfile"] = "numtext"
    if coin(draw):
        lists["flags"] = BOOL
    schema = Schema(fields, events, lists)
    items = [_field_decl(f, draw) for f in fields] + [_event_decl(e, draw) for e in events]
    for name, kind in lists.items():
        if name == "words":
            values = some(draw, TEXT_LITERALS + EMAILS, 0, 4, False)
            items.append(f"list words = [{', '.join(literal(draw, x) for x in values)}]")
        elif name == "nums":
            values = some(draw, NUMBER_LITERALS, 0, 4, False)
            items.append(f"list nums = [{', '.join(values)}]")
        elif name == "flags":
            values = some(draw, ["true", "false"], 1, 2, False)   # `[]` is a text list (docstring)
            items.append(f"list flags = [{', '.join(values)}]")
        elif name == "accounts":
            items.append('list accounts from "accounts.txt"')
        else:
            items.append('list numfile from "numbers.txt"')

    budget = [draw(_ints(1, max_rules))]
    planned = budget[0]

    def take() -> bool:
        if budget[0] <= 0:
            return False
        budget[0] -= 1
        return True

    # the account scope first: its key type decides what `key` means
    gen = Gen(draw, schema)
    key_type = None
    account_text = None
    if "account" in require or chance(draw, 45):
        key_choice = pick(draw, ["domain(email)", "domain(email)", "title", "employees", "level", "events"])
        key_choice = key_choice if key_choice != "level" or "level" in [f.name for f in fields] else "title"
        key_type = NUMBER if key_choice in ("employees", "events") else TEXT
        if key_choice == "events":
            key_choice = gen.event_key()
        gen.key_type = key_type
    if key_type is not None:
        head = f"account by {key_choice}"
        if coin(draw):
            head += f" where {gen.condition(Ctx(scope='where'), 1)[0]}"
        rules = []
        for i in range(draw(_ints(1, 2))):
            if take():
                rules.append("    " + gen.rule(f"r{i + 1}", Ctx(scope="account", in_account=True)))
        account_text = head + " {\n" + "\n".join(rules) + "\n}"
        items.append(account_text)

    rule_no = [0]

    def next_rule() -> str:
        rule_no[0] += 1
        return f"r{rule_no[0]}"

    # global groups and rules
    global_groups = []
    for g in range(draw(_ints(0, 2))):
        name = f"g{g + 1}"
        global_groups.append(name)
        rules = []
        for _ in range(draw(_ints(0, 3))):
            if take():
                rules.append("    " + gen.rule(next_rule(), Ctx()))
        options = gen.group_options()
        items.append(f"group {name} {options} {{\n" + "\n".join(rules) + "\n}")
    for _ in range(draw(_ints(0, 3))):
        if take():
            items.append(gen.rule(next_rule(), Ctx()))

    if budget[0] == planned:                      # nothing so far: one global rule at least
        items.append(gen.rule(next_rule(), Ctx()))
        budget[0] -= 1

    # campaigns: their own scopes, so rule names may repeat the global ones
    campaigns = []
    for c in range(draw(_ints(1 if "campaign" in require else 0, 2))):
        cname = f"camp{c + 1}"
        campaigns.append(cname)
        ctx = Ctx(scope="campaign", campaign=cname)
        body, cgroups, local = [], [], [0]

        def local_rule() -> str:
            local[0] += 1
            return f"r{local[0]}"
        if coin(draw):
            gname = "cg1"
            cgroups.append(gname)
            rules = []
            for _ in range(draw(_ints(1, 2))):
                if take():
                    rules.append("        " + gen.rule(local_rule(), ctx))
            body.append(f"    group {gname} {gen.group_options()} {{\n" + "\n".join(rules) + "\n    }")
        for _ in range(draw(_ints(0, 2))):
            if take():
                body.append("    " + gen.rule(local_rule(), ctx))
        if coin(draw):
            body.append("    " + gen.tiers(None))
        if cgroups and coin(draw):
            body.append("    " + gen.tiers(cgroups[0]))
        qctx = Ctx(scope="qualify", campaign=cname, qualify=True, groups=tuple(cgroups + global_groups))
        for s in range(draw(_ints(0, 2))):
            body.append(f"    qualify cs{s + 1} when {gen.condition(qctx, 1)[0]}")
        body = list(shuffled(draw, body))
        items.append(C_OPEN + cname + "\x00" + f"campaign {cname} {{\n" + "\n".join(body) + "\n}" + C_CLOSE)

    # outputs
    if coin(draw):
        clamp = pick(draw, ["0..100", "-10..50", "..80", "0..", "0..10", "-5..5", "2.5..7.5"])
        items.append(f"clamp {clamp}")
    if coin(draw):
        items.append(gen.tiers(None))
    if global_groups and coin(draw):
        items.append(gen.tiers(pick(draw, global_groups)))
    qctx = Ctx(scope="qualify", qualify=True, groups=tuple(global_groups))
    stage = 0
    for _ in range(draw(_ints(0, 2))):
        stage += 1
        items.append(f"qualify s{stage} when {gen.condition(qctx, 1)[0]}")
    disqualify = "disqualify" in require or chance(draw, 35)
    if disqualify:
        for _ in range(draw(_ints(1, 2))):
            stage += 1
            items.append(Q_OPEN + f"disqualify s{stage} when {gen.condition(Ctx(scope='disqualify'), 1)[0]}"
                         + Q_CLOSE)

    items = list(shuffled(draw, items))
    header = pick(draw, HEADERS)
    marked = commented(draw, "\n".join(header + items) + "\n")
    model = GenModel(marked, schema, tuple(campaigns), key_type is not None, disqualify)
    checked(model.text)
    return model


# ---- input data ----------------------------------------------------------------------

NAN = float("nan")


def _raw_values(field: FieldSpec) -> list:
    """Raw values a CRM export might hold for a field: good, odd, unknown and unconvertible."""
    unknown = [None, "", "  ", NAN]
    sentinels = []
    for t in field.sentinel_texts:
        sentinels += [t, f"  {t.upper()} ", t.lower()]
    for n in field.sentinel_numbers:
        sentinels += [n, f"{float(n)}", f" {n} "]
    if field.name == "email":
        good = EMAILS * 3 + TEXT_WORDS[:4] + [15]
        bad = [[1, 2]]
    elif field.type == TEXT:
        good = TEXT_WORDS + EMAILS + [15, 2.5, True, "999", "0"]
        bad = [[1, 2], {"a": 1}]
    elif field.type == NUMBER:
        good = [0, 1, 2.5, -3, 50, 100, 500, 999, 1000, "999.0", " 42 ", "1e3", "-0", 7.0, "2.5", 3]
        bad = ["1_000", "abc", True, float("inf"), "1,5", "N/A"]
    elif field.type == BOOL:
        good = [True, False, "yes", "No", " Y ", "n", "1", "0", 1, 0, "TRUE", "false"]
        bad = [2, "maybe", 0.5, "ja"]
    elif field.type == DATE:
        good = ["2026-01-01", "2026-11-19", "2025-06-30", " 2026-02-28 ", "2026-11-20", dt.date(2026, 5, 1),
                "2026-11-21"]
        bad = ["2026-13-01", "2026-02-30", "01/02/2026", 20260101, dt.datetime(2026, 1, 1)]
    else:
        good = ["2026-11-19T10:00:00Z", "2026-11-01T00:00:00", "2026-11-18 23:59:59+02:00", "2026-10-01",
                NOW_DT - dt.timedelta(days=3), "2026-11-20T00:00:00+00:00", "2026-12-01T00:00:00Z"]
        bad = ["yesterday", dt.datetime(2026, 1, 1), 12345, "2026-11-19T25:00:00"]
    return good * 3 + unknown + sentinels + bad


MISSING = object()                     # in a value pool: leave the key out


@functools.lru_cache(maxsize=None)
def _field_pool(field: FieldSpec, garbage: bool) -> tuple:
    if garbage:
        pool = [MISSING, None, "", "  ", NAN, "\t", [1], {"x": 1}]
        pool += list(field.sentinel_texts) + list(field.sentinel_numbers)
        pool += {TEXT: [], NUMBER: ["garbage", "1_0", "--", True, float("inf")],
                 BOOL: ["garbage", 2, 0.5], DATE: ["garbage", 20260101, "2026-02-30"],
                 TIME: ["garbage", 12345, "2026-11-19T25:00:00"]}[field.type]
        return tuple(pool)
    values = _raw_values(field)
    return tuple(values + [MISSING] * max(1, len(values) // 8))


@st.composite
def lead_dicts(draw, schema: Schema, garbage: bool = False, lead_id=None) -> dict:
    """A raw lead row; `garbage`: every value unknown or unconvertible."""
    draw = Entropy(draw(DATA_BYTES))
    row = {}
    for f in schema.fields:
        value = pick(draw, _field_pool(f, garbage))
        if value is not MISSING:
            row[f.column] = value
    extra = draw(_ints(0, 3))
    if extra:
        row["unrelated column"] = ["x", 1, None][extra - 1]
    if lead_id is not None:
        row["id"] = lead_id
    return row


UNIT_US = {"h": HOUR, "d": DAY, "w": 7 * DAY, "mo": 30 * DAY, "y": 365 * DAY}


def duration_us(text: str) -> int:
    unit = "mo" if text.endswith("mo") else text[-1]
    return round(float(text[: -len(unit)].replace("_", "")) * UNIT_US[unit])


# ages at and around every duration the models use (windows, periods, decays): the boundaries
AGES = sorted({0, 1} | {duration_us(d) + k for d in DURATIONS for k in (-1, 0, 1)} | {2 * DAY, 60 * DAY})


def _age(draw) -> int:
    """An event's age: often a boundary (0, exactly 1d, 7d, 30d, ...), sometimes after now, else any time in 400 days."""
    choice = draw(_ints(0, 99))
    if choice < 50:
        return AGES[draw(_ints(0, len(AGES) - 1))]
    if choice < 55:
        return [-1, -HOUR, -3 * DAY, -1, -HOUR][choice - 50]
    hours = draw(_ints(0, 400 * 24))
    return hours * HOUR + (hours * 2_654_435_761) % HOUR      # with a scattered sub-hour part


def _attr_values(type_: str) -> list:
    if type_ == TEXT:
        return TEXT_WORDS + ["/pricing/plans", "/docs", "acme.com"]
    if type_ == NUMBER:
        return [0, 1, 2.5, 10, 60, 600, -1, "30", " 7.5 ", 1e6]
    if type_ == BOOL:
        return [True, False, "yes", "0"]
    if type_ == DATE:
        return ["2026-11-01", "2026-01-01", " 2026-11-20 "]
    return ["2026-11-19T00:00:00Z", "2026-01-01", "2026-11-25T00:00:00Z"]


def _bad_attr(type_: str) -> list:
    return {TEXT: [[1]], NUMBER: ["many", True], BOOL: ["perhaps"], DATE: ["tomorrow"],
            TIME: ["soon"]}[type_]


@functools.lru_cache(maxsize=None)
def _attr_pool(type_: str, garbage: bool) -> tuple:
    if garbage:
        return tuple([MISSING, None, "", "  ", NAN, [1], {"x": 1}] + _bad_attr(type_))
    good = _attr_values(type_) * 4
    return tuple(good + [MISSING] * 3 + [None, "", "  "] + _bad_attr(type_))


def _at_text(age: int, form: int):
    """An event time `age` µs before now, written in one of several ways."""
    at = NOW_DT - dt.timedelta(microseconds=age)
    if form == 0:
        return at.isoformat().replace("+00:00", "Z")
    if form == 1:
        return at.replace(tzinfo=None).isoformat()            # no offset: UTC
    if form == 2:
        return at.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()
    if form == 3:
        return at                                              # an aware datetime
    return at.isoformat()


@st.composite
def event_lists(draw, schema: Schema, max_size: int = 10, lead_id=None, garbage: bool = False) -> list:
    """Raw event rows for one lead (in no particular order); `garbage`: no attribute readable."""
    draw = Entropy(draw(DATA_BYTES))
    rows = []
    kinds = [(e, e.name) for e in schema.events] * 8 + [(e, f" {e.name} ") for e in schema.events] + [
        (None, "ghost"), (None, "Visit"), (None, "page_view")]
    for _ in range(draw(_ints(0, max_size))):
        age = _age(draw)
        choice = draw(_ints(0, 5 * len(kinds) - 1))
        spec, kind = kinds[choice // 5]
        row = {"type": kind, "at": _at_text(age, choice % 5)}
        if spec is not None:
            for _attr, type_, column in spec.attributes:
                value = pick(draw, _attr_pool(type_, garbage))
                if value is not MISSING:
                    row[column] = value
        if lead_id is not None:
            row["lead_id"] = lead_id
        rows.append(row)
    extra = draw(_ints(0, 19))
    if rows and extra < 5:                                     # an exact duplicate
        rows.append(dict(rows[draw(_ints(0, len(rows) - 1))]))
    elif extra == 19:                                          # a row that cannot be used
        bad = pick(draw, [{"type": "", "at": NOW_TEXT}, {"type": schema.events[0].name},
                          {"type": schema.events[0].name, "at": "not a time"}, "not an object"])
        if isinstance(bad, dict) and lead_id is not None:
            bad = {**bad, "lead_id": lead_id}
        rows.append(bad)
    return rows


@st.composite
def cases(draw, max_leads: int = 3, max_rules: int = 8, max_events: int = 10, require=frozenset()):
    """A model and a few (lead, events) pairs to score with it, one at a time."""
    model = draw(models(max_rules=max_rules, require=frozenset(require)))
    pairs = draw(st.lists(st.tuples(lead_dicts(model.schema), event_lists(model.schema, max_events)),
                          min_size=1, max_size=max_leads))
    return model, pairs


@st.composite
def batches(draw, max_leads: int = 5, max_rules: int = 6):
    """A model with an account scope, and several leads (sharing account keys) with their events."""
    model = draw(models(max_rules=max_rules, require=frozenset({"account"})))
    count = draw(_ints(2, max_leads))
    leads, events = [], []
    for i in range(count):
        lead_id = f"L{i}"
        row = draw(lead_dicts(model.schema, lead_id=lead_id))
        email_field = next(f for f in model.schema.fields if f.name == "email")
        if chance(draw, 70):       # shared company domains
            row[email_field.column] = pick(draw, ["a@acme.com", " B@Acme.com", "c@rival.com",
                                                            "d@gmail.com"])
        leads.append(row)
        events += draw(event_lists(model.schema, 6, lead_id=lead_id))
    events = list(shuffled(draw, events))
    return model, leads, events


def reorder_keys(draw, row):
    """The same dict with its keys in another order (dict key order must not matter)."""
    if not isinstance(row, dict):
        return row
    keys = list(shuffled(draw, list(row)))
    return {k: row[k] for k in keys}
