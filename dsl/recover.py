"""Parsing that goes on after a syntax error: every broken declaration gets
its own diagnostic, and the declarations that parsed are still checked.

A file without errors is parsed whole, exactly as `parse.to_ast` does. Only
when that fails is the file cut into top-level declarations and each parsed
on its own, as an `Excerpt` whose spans are those of the file. LALR(1) has
no context between top-level items (`start: model_header? _item*`), so a
declaration parsed alone fails exactly where it failed in the whole file.
"""

from __future__ import annotations

import re

import attrs
from lark import Token
from lark.exceptions import LarkError, UnexpectedInput, UnexpectedToken

from . import nodes as n
from .diagnostics import Reporter
from .parse import TooDeep, keyword_terminal, report_syntax_error, to_ast
from .syntaxerrors import expected_terminals, scan_brackets
from .source import Excerpt, Source

#: A line that starts a top-level item (a keyword in column 1): where a
#: declaration begins when the file is cut after a syntax error.
ITEM_START = re.compile(
    r"^(model|field|event|list|clamp|rule|group|campaign|account|tiers|qualify|disqualify)\b",
    re.MULTILINE)

#: A name a broken declaration declares, on any of its lines (a `{` left open
#: swallows the declarations after it): uses of it are not reported as unknown.
DECLARED = re.compile(r"^[ \t]*(?:field|event|list|group)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)

#: Syntax errors reported for one file; the declarations after are still checked.
MAX_SYNTAX_ERRORS = 20

EMPTY = n.Model(None, ())


@attrs.frozen
class Parsed:
    """What parsing gave: the declarations that parsed (all of them when
    `complete`), and the names declared by those that did not."""

    model: n.Model
    complete: bool
    lost: frozenset = frozenset()


def parse_declarations(source: Source, reporter: Reporter) -> Parsed:
    """Parse a whole source; on a syntax error, each top-level declaration alone."""
    try:
        return Parsed(to_ast(source, reporter), complete=True)
    except (UnexpectedInput, TooDeep):
        pass
    except LarkError as error:  # pragma: no cover - Lark's other failures
        reporter.error(source.span(0, 1), "E-syntax", f"cannot parse: {error}")
        return Parsed(EMPTY, complete=False)
    return by_declaration(source, reporter)


def parse(source: Source, reporter: Reporter) -> n.Model | None:
    """Parse one source; on syntax errors report every one and return None.

    (`parse_declarations` also gives the declarations that parsed.)
    """
    parsed = parse_declarations(source, reporter)
    return parsed.model if parsed.complete else None


def by_declaration(source: Source, reporter: Reporter, parse_excerpt=to_ast) -> Parsed:
    """Each top-level declaration parsed alone by `parse_excerpt` (`to_ast`, or one that
    remembers declarations it has parsed, as the language server's does)."""
    header, items, lost, reported = None, [], set(), 0
    broken = False          # a declaration before this one did not parse
    for excerpt, part in declarations(source, reporter, parse_excerpt):
        if isinstance(part, Exception):
            if reported < MAX_SYNTAX_ERRORS:
                report(part, excerpt, source, reporter)
                reported += 1
            lost.update(DECLARED.findall(excerpt.text))
            broken = True
            continue
        if part.header is not None:
            if header is not None or items or broken:
                reporter.error(excerpt.span(0, len("model")), "E-model-header",
                               "`model` must be the first item of the file, and given once",
                               "move the `model` line to the top of the file")
            header = header or part.header
        items.extend(part.items)
    return Parsed(n.Model(header, tuple(items), span=source.span(0, len(source.text))),
                  complete=False, lost=frozenset(lost))


def declarations(source: Source, reporter: Reporter, parse_excerpt=to_ast):
    """Each declaration's excerpt with its AST, or with the error that stopped it.

    A keyword in column 1 may go on the declaration before it (`no` at the end
    of a line, `event` as the stream on the next): when the declaration stops
    short just there and the parser would take that keyword, the two are one.
    """
    ends = declaration_starts(source.text)[1:] + [len(source.text)]
    begin = 0
    for index, end in enumerate(ends):
        excerpt = Excerpt(source, begin, end)
        try:
            part = parse_excerpt(excerpt, reporter)
        except (UnexpectedInput, TooDeep) as error:
            if index + 1 < len(ends) and goes_on(error, source, end):
                continue
            part = error
        yield excerpt, part
        begin = end


def goes_on(error: Exception, source: Source, end: int) -> bool:
    """Did a declaration stop short where the parser would take the next line's keyword?"""
    if not (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        return False
    word = ITEM_START.match(source.text, end).group(1)
    return keyword_terminal(word) in expected_terminals(error)


def declaration_starts(text: str) -> list[int]:
    """Where each top-level declaration begins: 0, then every line outside all
    brackets (and comments, strings) that starts with an item keyword."""
    balanced = [0]
    scan_brackets(text, len(text), balanced)
    at_top = set(balanced)
    return [0] + [m.start() for m in ITEM_START.finditer(text) if m.start() in at_top and m.start() > 0]


def report(error: Exception, excerpt: Excerpt, source: Source, reporter: Reporter) -> None:
    if isinstance(error, TooDeep):
        error.report(excerpt, reporter)
        return
    if isinstance(error, UnexpectedToken) and error.token.type == "$END" and excerpt.end < len(source.text):
        error.token = next_keyword(excerpt, source)
    report_syntax_error(error, excerpt, reporter)


def next_keyword(excerpt: Excerpt, source: Source) -> Token:
    """The keyword that starts the next declaration, as a token of this excerpt.

    A declaration that stops short (`rule a: +1 when`) ends its excerpt; in the
    whole file the parser met the next declaration's keyword there, and that is
    what the diagnostic names (`unexpected `rule``). The parser's state is the
    same either way, so what it expected is too.
    """
    word = ITEM_START.match(source.text, excerpt.end).group(1)
    line, column = source.position(excerpt.end)
    return Token(keyword_terminal(word), word, start_pos=excerpt.end - excerpt.start,
                 line=line, column=column, end_pos=excerpt.end - excerpt.start + len(word))
