"""Where things are, in the protocol's terms: 0-based lines and UTF-16 columns.

The front end's spans count 1-based lines and code points (`dsl/source.py`);
an editor counts UTF-16 code units. The two differ only on a line with a
character outside the Basic Multilingual Plane (an emoji in a string), and
every conversion goes through here so that no feature gets it wrong.
"""

from __future__ import annotations

from lsprotocol import types

from ..dsl.source import Source, Span


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position(source: Source, offset: int) -> types.Position:
    """The protocol position of a 0-based offset into the source."""
    line, column = source.position(offset)
    prefix = source.line_text(line)[:column - 1]
    return types.Position(line=line - 1, character=utf16_length(prefix))


def to_range(source: Source, span: Span) -> types.Range:
    return types.Range(start=position(source, span.start), end=position(source, span.end))


def offset(source: Source, where: types.Position) -> int:
    """The 0-based offset of a protocol position (clamped to its line and the text)."""
    line = where.line + 1
    if line > source.text.count("\n") + 1:
        return len(source.text)
    start = _line_start(source, line)
    text, units, index = source.line_text(line), 0, 0
    while index < len(text) and units < where.character:
        units += 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    return start + index


def _line_start(source: Source, line: int) -> int:
    """The offset where a 1-based line begins."""
    found, at = 1, 0
    while found < line:
        at = source.text.index("\n", at) + 1
        found += 1
    return at


def whole(source: Source) -> types.Range:
    """The range of the whole text (a formatting edit replaces it)."""
    return types.Range(start=types.Position(line=0, character=0), end=position(source, len(source.text)))
