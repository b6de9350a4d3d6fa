"""A Lark syntax error as a diagnostic: the machinery both grammars share.

The `.score` grammar (dsl/parse.py) and the `.tests` grammar
(leadscore/testing/parse.py) each decide which diagnostic a syntax error
is; this is what they decide with: the terminals the parser could take
(`expected_terminals`), those terminals as a person reads them (a
`Vocabulary` per grammar), the bracket left open before the error
(`unclosed_bracket`), the span an unexpected token is shown at, and the
diagnostics every grammar words alike (a string not closed on its line, an
unexpected character, a bracket never closed).
"""

from __future__ import annotations

import functools
import re

from lark import Token
from lark.exceptions import LarkError, UnexpectedInput

OPENERS = {"{": "}", "(": ")", "[": "]"}
NUMBER_LIKE = re.compile(r"[0-9][0-9A-Za-z_]*(\.[0-9][0-9A-Za-z_]*)?%?")


class Vocabulary:
    """A grammar's terminals as a person reads them: `=>`, `when`, "a number" — never `__ANON_3`.

    `descriptions`: words for terminals that are not literal text; `keywords`:
    terminal → its keyword; `parser`: a function giving the grammar's Lark
    parser (called when a terminal is first described, so building the
    vocabulary does not build the parser); `limit`: how many expected
    terminals are listed before "…" (None: all).
    """

    def __init__(self, descriptions: dict, keywords: dict, parser, limit: int | None = None):
        self.descriptions, self.keywords, self.parser, self.limit = descriptions, keywords, parser, limit

    @functools.cached_property
    def terminals(self) -> dict:
        """The grammar's terminals by name."""
        return {t.name: t for t in self.parser().terminals}

    def describe(self, name: str) -> str:
        if name in self.descriptions:
            return self.descriptions[name]
        if name in self.keywords:
            return f"`{self.keywords[name]}`"
        term = self.terminals.get(name)
        if term is not None and term.pattern.type == "str":
            return f"`{term.pattern.value}`"
        return name.lower()

    def describe_expected(self, names: set) -> str:
        """The expected terminals, described ones first (the end of the file last among them)."""
        order = sorted(names, key=lambda t: (t not in self.descriptions, t == "$END", self.describe(t)))
        words = [self.describe(t) for t in order]
        if self.limit is not None and len(words) > self.limit:
            words = words[:self.limit] + ["…"]
        return ", ".join(words)

    def hint(self, expected: set) -> str | None:
        return f"expected {self.describe_expected(expected)}" if expected else None


def expected_terminals(error: UnexpectedInput) -> set[str]:
    """The terminals the parser could take where it stopped.

    Lark's own `expected` set comes from the lexer, which a keyword
    post-lexer widens. The parse table's row is not exact either: LALR
    merges look-aheads, so after `1..` it lists `}` and `rule` although only
    `=>`, `,` or a number can follow in a table arm. The interactive parser
    tries each terminal of the row, which gives exactly the ones it accepts.
    """
    interactive = getattr(error, "interactive_parser", None)
    if interactive is not None:
        try:
            return set(interactive.accepts())
        except LarkError:  # pragma: no cover - fall back to the table row
            pass
    state = getattr(error, "state", None)
    try:
        return {t for t in state.parse_conf.parse_table.states[state.position] if t.isupper()}
    except AttributeError:
        return set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())


def unclosed_bracket(text: str, upto: int) -> tuple[str, int] | None:
    """The innermost bracket opened before `upto` and not closed by then.

    Strings and comments are skipped, so a `{` inside them does not count.
    """
    stack = scan_brackets(text, upto)
    return stack[-1] if stack else None


def scan_brackets(text: str, upto: int, balanced_lines: list | None = None) -> list[tuple[str, int]]:
    """The brackets open at `upto`; collects the line starts outside every bracket."""
    stack: list[tuple[str, int]] = []
    i = 0
    while i < upto:
        ch = text[i]
        if ch == "\n" and balanced_lines is not None and not stack:
            balanced_lines.append(i + 1)
        if ch == "#":
            end = text.find("\n", i)
            i = upto if end < 0 else end
            continue
        if ch == '"':
            i += 1
            while i < upto and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            if i < upto and text[i] == "\n":
                continue        # a string left open ends with its line
        elif ch in OPENERS:
            stack.append((ch, i))
        elif ch in OPENERS.values() and stack and OPENERS[stack[-1][0]] == ch:
            stack.pop()
        i += 1
    return stack


def token_position(text: str, token: Token) -> tuple[int, bool]:
    """(where an unexpected token is, whether it is the end of the file)."""
    at_end = token.type == "$END"
    return (len(text) if at_end else token.start_pos), at_end


def token_span(source, token: Token):
    """The span an unexpected token is shown at: itself, or the file's last visible character."""
    text = source.text
    pos, at_end = token_position(text, token)
    if at_end:
        return source.span(max(0, len(text.rstrip()) - 1), max(1, len(text.rstrip())))
    return source.span(pos, pos + max(1, len(str(token))))


def report_unclosed(source, reporter, opened: tuple[str, int], found: str | None, line: int | None) -> None:
    """E-unclosed: the bracket `opened` is never closed (`found`, if given, came on `line` instead)."""
    bracket, where = opened
    reporter.error(source.span(where, where + 1), "E-unclosed",
                   f"`{bracket}` is never closed" + ("" if found is None else f" (found {found} on line {line})"),
                   f"add `{OPENERS[bracket]}`")


def report_unexpected_character(source, reporter, pos: int, expected: set, vocabulary: Vocabulary,
                                number: re.Pattern, not_a_number: str, number_hint: str,
                                number_starts: str = "0123456789") -> None:
    """A character no token starts with: a string not closed on its line (E-string), a number
    that is not one (E-lex, `not_a_number` after the word, `number_hint`), or another (E-lex)."""
    text = source.text
    char = text[pos] if pos < len(text) else ""
    if char == '"':
        end = text.find("\n", pos)
        reporter.error(source.span(pos, len(text) if end < 0 else end), "E-string",
                       "this string is not closed on its line", "add the closing `\"`")
    elif char and char in number_starts and (word := number.match(text, pos)):
        reporter.error(source.span(pos, pos + len(word.group())), "E-lex",
                       f"`{word.group()}` {not_a_number}", number_hint)
    else:
        reporter.error(source.span(pos, pos + 1), "E-lex", f"unexpected character `{char}`",
                       vocabulary.hint(expected))
