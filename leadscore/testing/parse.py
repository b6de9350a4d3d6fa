"""`.tests` text → the AST of a test file (docs/testing.md).

The grammar is grammar/tests.lark. Like dsl/parse.py this builds the Lark
parser once and turns Lark's exceptions into diagnostics; unlike `.score`
its words are not reserved, so a field may be called `lead` or `events`.
After a syntax error the broken test is blanked out and the rest parsed
again, so one run reports a syntax error per broken test and still checks
every test that parses.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import attrs
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex

from ..dsl.diagnostics import Reporter, did_you_mean
from ..dsl.parse import UNIT_SECONDS, number_of, unescape
from ..dsl.syntaxerrors import (NUMBER_LIKE, Vocabulary, expected_terminals, report_unclosed,
                                report_unexpected_character, scan_brackets, token_position, token_span,
                                unclosed_bracket)
from ..dsl.source import NO_SPAN, Source, Span

node = attrs.frozen


def _span():
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


# ---- the AST ---------------------------------------------------------------------

@node
class Word:
    """A name as written: a field, event, attribute, expectation word, tier, stage, ..."""

    text: str
    span: Span = _span()


@node
class Text:
    value: str
    span: Span = _span()


@node
class Value:
    """A lead field's or an event attribute's value, as a CSV/JSON would hold it."""

    kind: str                        # string, number, offset, true, false, unknown
    value: object                    # str, int/float, offset µs (int), bool, None
    text: str                        # as written
    span: Span = _span()


@node
class Entry:
    key: Word | Text                 # a Word names a field/attribute; a Text is a raw column
    value: Value
    span: Span = _span()


@node
class Moment:
    kind: str                        # offset, absolute, now
    value: object                    # offset µs (int), the ISO text, or None
    text: str
    span: Span = _span()


@node
class EventLine:
    type: Word
    moments: tuple
    attributes: tuple                # of Entry
    times: Value | None = None       # `times N`: each moment N times
    span: Span = _span()


@node
class LeadBlock:
    entries: tuple
    span: Span = _span()


@node
class EventsBlock:
    events: tuple
    span: Span = _span()


@node
class Colleague:
    items: tuple                     # LeadBlock and EventsBlock
    span: Span = _span()


@node
class NowDecl:
    time: Text
    span: Span = _span()


@node
class Expected:
    kind: str                        # number, range, name, string, true, false, list
    value: object                    # float, (low, high), str, bool, tuple of Word
    text: str
    decimals: int = 0                # of a number (or the ends of a range) as written
    span: Span = _span()


@node
class Expect:
    words: tuple                     # of Word: `score`, `group fit`, `campaign c rule r`, ...
    op: str                          # ==, ~=, in, contains, not contains
    op_span: Span
    expected: Expected
    span: Span = _span()


@node
class Case:
    name: Text
    items: tuple                     # NowDecl, LeadBlock, EventsBlock, Colleague, Expect
    span: Span = _span()


@node
class TestFile:
    items: tuple                     # NowDecl and Case, in file order
    span: Span = _span()


# ---- the parser --------------------------------------------------------------------

class SoftKeywords(PostLex):
    """Accept NAME in every lexer state.

    A word is a keyword only where the parser expects that keyword (there it
    is one, as `in` after an expectation); elsewhere it is a NAME, so a lead
    field called `lead` is fine, and a misspelt keyword (`expcet`) is one NAME
    that the syntax error can name whole, with a suggestion.
    """

    always_accept = ("NAME",)

    def process(self, stream):
        return stream


def grammar_text() -> str:
    return resources.files("leadscore.grammar").joinpath("tests.lark").read_text("utf-8")


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=SoftKeywords(),
                propagate_positions=True, maybe_placeholders=False, cache=True)


#: The words the grammar uses, by terminal name (Lark names `"now"` NOW and so on).
KEYWORDS = ("now", "test", "lead", "events", "colleague", "at", "times", "expect", "true", "false",
            "unknown", "in", "contains", "not")

TOKEN_DESCRIPTIONS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUM": "a number",
    "OFFSET": "a time relative to now (`-2d`, `-1.5h`, `0h`)",
    "EQ": "`==`",
    "APPROX": "`~=`",
    "DOTDOT": "`..`",
    "$END": "the end of the file",
}


VOCABULARY = Vocabulary(TOKEN_DESCRIPTIONS, {k.upper(): k for k in KEYWORDS}, parser)
describe_token, describe_expected = VOCABULARY.describe, VOCABULARY.describe_expected


# ---- the transformer -------------------------------------------------------------

def decimals_of(text: str) -> int:
    clean = text.replace("_", "")
    return len(clean) - clean.index(".") - 1 if "." in clean else 0


def offset_of(text: str) -> int:
    """`-2d`, `+1.5h`, `0h` → signed microseconds."""
    unit = "mo" if text.endswith("mo") else text[-1]
    amount = float(text[:-len(unit)].replace("_", ""))
    return int(round(amount * UNIT_SECONDS[unit] * 1_000_000))


class ToAst(Transformer):
    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return NO_SPAN
        return self.source.span(meta.start_pos, meta.end_pos)

    def _tok(self, token: Token) -> Span:
        return self.source.span(token.start_pos, token.end_pos)

    def _word(self, token: Token) -> Word:
        return Word(str(token), span=self._tok(token))

    def _text(self, token: Token) -> Text:
        return Text(unescape(token[1:-1]), span=self._tok(token))

    @v_args(meta=True)
    def start(self, meta, children):
        return TestFile(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def now_decl(self, meta, children):
        return NowDecl(self._text(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def case(self, meta, children):
        return Case(self._text(children[0]), tuple(children[1:]), span=self._span(meta))

    @v_args(meta=True)
    def lead_block(self, meta, children):
        return LeadBlock(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def colleague(self, meta, children):
        return Colleague(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def entry(self, meta, children):
        return Entry(children[0], children[1], span=self._span(meta))

    def name_key(self, children):
        return self._word(children[0])

    def column_key(self, children):
        return self._text(children[0])

    # values
    def string_value(self, children):
        text = self._text(children[0])
        return Value("string", text.value, str(children[0]), span=text.span)

    def number_value(self, children):
        token = children[0]
        return Value("number", number_of(token), str(token), span=self._tok(token))

    def offset_value(self, children):
        token = children[0]
        return Value("offset", offset_of(token), str(token), span=self._tok(token))

    @v_args(meta=True)
    def true_value(self, meta, children):
        return Value("true", True, "true", span=self._span(meta))

    @v_args(meta=True)
    def false_value(self, meta, children):
        return Value("false", False, "false", span=self._span(meta))

    @v_args(meta=True)
    def unknown_value(self, meta, children):
        return Value("unknown", None, "unknown", span=self._span(meta))

    # events
    @v_args(meta=True)
    def events_block(self, meta, children):
        return EventsBlock(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def event(self, meta, children):
        kind, *rest = children
        attributes = rest.pop() if rest and isinstance(rest[-1], tuple) else ()
        times = rest.pop() if rest and isinstance(rest[-1], Value) else None
        return EventLine(self._word(kind), tuple(rest), attributes, times, span=self._span(meta))

    def repeat(self, children):
        token = children[0]
        return Value("number", number_of(token), str(token), span=self._tok(token))

    def attributes(self, children):
        return tuple(children)

    def offset_moment(self, children):
        token = children[0]
        return Moment("offset", offset_of(token), str(token), span=self._tok(token))

    def absolute_moment(self, children):
        text = self._text(children[0])
        return Moment("absolute", text.value, str(children[0]), span=text.span)

    @v_args(meta=True)
    def now_moment(self, meta, children):
        return Moment("now", None, "now", span=self._span(meta))

    # expectations
    @v_args(meta=True)
    def expect(self, meta, children):
        *words, op, expected = children
        return Expect(tuple(self._word(w) for w in words), op[0], op[1], expected, span=self._span(meta))

    @v_args(meta=True)
    def op(self, meta, children):
        return (" ".join(str(t) for t in children), self._span(meta))

    def number_expected(self, children):
        token = children[0]
        return Expected("number", float(number_of(token)), str(token), decimals_of(token),
                        span=self._tok(token))

    @v_args(meta=True)
    def range_expected(self, meta, children):
        low, high, text, decimals = children[0]
        return Expected("range", (low, high), text, decimals, span=self._span(meta))

    def closed_range(self, children):
        low, _dots, high = children
        return (float(number_of(low)), float(number_of(high)), f"{low}..{high}",
                max(decimals_of(low), decimals_of(high)))

    def at_least(self, children):
        low = children[0]
        return (float(number_of(low)), None, f"{low}..", decimals_of(low))

    def at_most(self, children):
        high = children[1]
        return (None, float(number_of(high)), f"..{high}", decimals_of(high))

    def name_expected(self, children):
        word = self._word(children[0])
        return Expected("name", word.text, word.text, span=word.span)

    def string_expected(self, children):
        text = self._text(children[0])
        return Expected("string", text.value, str(children[0]), span=text.span)

    @v_args(meta=True)
    def true_expected(self, meta, children):
        return Expected("true", True, "true", span=self._span(meta))

    @v_args(meta=True)
    def false_expected(self, meta, children):
        return Expected("false", False, "false", span=self._span(meta))

    @v_args(meta=True)
    def list_expected(self, meta, children):
        words = tuple(self._word(t) for t in children if isinstance(t, Token) and t.type == "NAME")
        text = "[" + ", ".join(w.text for w in words) + "]"
        return Expected("list", words, text, span=self._span(meta))


# ---- syntax errors ----------------------------------------------------------------

#: A number, or a time relative to now, that is not one: where the `.score` grammar's starts, or at a sign.
SIGNED_NUMBER_LIKE = re.compile(r"[+-]?" + NUMBER_LIKE.pattern)
#: A line that starts a test: where parsing resumes after a syntax error.
CASE_START = re.compile(r'^[ \t]*test[ \t]+"', re.MULTILINE)
MAX_SYNTAX_ERRORS = 20



def report_syntax_error(error: UnexpectedInput, source: Source, reporter: Reporter) -> int:
    """Report one syntax error; returns the offset the error is attributed to."""
    text = source.text
    expected = expected_terminals(error)
    if isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream
        report_unexpected_character(
            source, reporter, pos, expected, VOCABULARY, SIGNED_NUMBER_LIKE,
            "is not a number or a time relative to now",
            "numbers are written `15`, `2.5` or `1_000`; a relative time is a signed "
            "number and a unit with no space: `-2d`, `-1.5h`, `-2w`, `-6mo`, `-1y`, `0h`",
            number_starts="0123456789+-")
        return pos

    assert isinstance(error, UnexpectedToken)
    token = error.token
    pos, at_end = token_position(text, token)
    span = token_span(source, token)
    opened = unclosed_bracket(text, pos)
    starts_case = token.type == "NAME" and str(token) == "test" and CASE_START.match(text, _line_start(text, pos))
    found_word = str(token)
    if opened and not at_end and not starts_case and _runs_into_next_item(text, pos, opened):
        starts_case = True
        found_word = ITEM_WORD.match(text, _line_start(text, pos)).group(1)
    if opened and (at_end or starts_case):
        report_unclosed(source, reporter, opened, None if at_end else f"`{found_word}`", token.line)
        return opened[1]
    if at_end:
        reporter.error(span, "E-syntax", "unexpected end of file", VOCABULARY.hint(expected))
        return pos
    hint = VOCABULARY.hint(expected)
    keywords = [t.lower() for t in expected if t.lower() in KEYWORDS]
    close = did_you_mean(str(token), keywords) if token.type == "NAME" and keywords else None
    if close:
        hint = close
    elif token.type == "NAME" and "NAME" not in expected and {"EXPECT", "LEAD"} <= expected:
        hint = ("a test holds `lead { ... }`, `events { ... }`, `colleague { ... }`, `now \"...\"` "
                "and `expect ...` lines")
    reporter.error(span, "E-syntax", f"unexpected `{token}`", hint)
    return pos


ITEM_WORD = re.compile(r"[ \t]*(lead|events|colleague|expect|now|test)\b")


def _runs_into_next_item(text: str, pos: int, opened: tuple[str, int]) -> bool:
    """Did a bracket left open run into the next line of the test?

    True when the error is on a line that starts an item of a test (`expect`,
    `lead`, ...), the innermost open bracket is on an earlier line, and the
    brackets of this test do not balance: `lead { a: 1` then `expect ...`.
    """
    line_start = _line_start(text, pos)
    if not ITEM_WORD.match(text, line_start) or opened[1] >= line_start:
        return False
    _begin, end = chunk_bounds(text, pos)
    return bool(scan_brackets(text, end))


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def chunk_bounds(text: str, pos: int) -> tuple[int, int]:
    """The region of the test that holds `pos`: from its `test` line to the next one."""
    starts = [m.start() for m in CASE_START.finditer(text)]
    begin = max((s for s in starts if s <= pos), default=0)
    end = min((s for s in starts if s > pos), default=len(text))
    return begin, end


def blank(text: str, begin: int, end: int) -> str:
    return text[:begin] + re.sub(r"[^\n]", " ", text[begin:end]) + text[end:]


def parse(source: Source, reporter: Reporter) -> TestFile:
    """Parse a test file. A test with a syntax error is reported and left out; the rest is returned."""
    text = source.text
    for _ in range(MAX_SYNTAX_ERRORS):
        attempt = Source(text, source.filename)
        try:
            tree = parser().parse(text)
        except UnexpectedInput as error:
            where = report_syntax_error(error, attempt, reporter)
            begin, end = chunk_bounds(text, min(where, max(0, len(text) - 1)))
            if not text[begin:end].strip():
                break
            text = blank(text, begin, end)
            continue
        except LarkError as error:  # pragma: no cover - Lark's other failures
            reporter.error(source.span(0, 1), "E-syntax", f"cannot parse: {error}")
            break
        return ToAst(source).transform(tree)
    return TestFile(())
