"""Source text, file names and spans: where a node or a diagnostic sits."""

from __future__ import annotations

import bisect
from bisect import bisect_right

import attrs


@attrs.define(unsafe_hash=True)
class Span:
    """A half-open region of one source: 1-based lines and columns, 0-based offsets.

    Compared and hashed by value, and never changed once made, but not a frozen class:
    the parser makes one per AST node, and a frozen class's `__init__` (a call of
    `object.__setattr__` per field) made that three times slower (dsl/nodes.py)."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    @classmethod
    def point(cls, line: int, column: int, offset: int = 0) -> "Span":
        return cls(line, column, line, column + 1, offset, offset + 1)

    def to(self, other: "Span") -> "Span":
        """The span from the start of this one to the end of `other`."""
        return Span(self.line, self.column, other.end_line, other.end_column,
                    self.start, other.end)


NO_SPAN = Span(1, 1, 1, 1)


@attrs.frozen
class Source:
    """One `.score` text with its file name and a line index."""

    text: str
    filename: str = "<string>"
    _line_starts: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        newline = self.text.find("\n")
        while newline >= 0:         # str.find, not a loop over every character
            starts.append(newline + 1)
            newline = self.text.find("\n", newline + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        begin = self._line_starts[line - 1]
        end = self.text.find("\n", begin)
        return self.text[begin:] if end < 0 else self.text[begin:end].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a 0-based offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        starts = self._line_starts
        if not 0 <= start <= end <= len(self.text):
            return Span(*self.position(start), *self.position(end), start, end)
        # `position` twice, inlined: the parser asks for a span per node and token
        line = bisect_right(starts, start)
        end_line = line if line == len(starts) or end < starts[line] else bisect_right(starts, end)
        return Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1, start, end)

    def spanner(self):
        """`span` as one function over this source's line index, for the parser, which asks
        for a span per node and token (12,000 for a 1,000-rule model): its reads of the
        index, the length and the names it calls are a closure's, not attribute lookups."""
        starts, length, count, whole = self._line_starts, len(self.text), len(self._line_starts), self.span

        def span(start: int, end: int, Span=Span, bisect_right=bisect_right) -> Span:
            if not 0 <= start <= end <= length:
                return whole(start, end)
            line = bisect_right(starts, start)
            end_line = line if line == count or end < starts[line] else bisect_right(starts, end)
            return Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1, start, end)
        return span

    def snippet(self, span: Span) -> str:
        return self.text[span.start:span.end]


@attrs.frozen
class Excerpt:
    """A stretch of a source, parsed on its own (one declaration, after a syntax
    error elsewhere). Offsets into `text` are offsets into the excerpt; its spans
    are mapped back to the whole file, so lines, columns and carets stay exact."""

    whole: Source
    start: int
    end: int
    text: str = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "text", self.whole.text[self.start:self.end])

    @property
    def filename(self) -> str:
        return self.whole.filename

    def span(self, start: int, end: int) -> Span:
        return self.whole.span(self.start + start, self.start + end)


def universal_newlines(text: str) -> str:
    """`\\r\\n` and a lone `\\r` as `\\n`, as Python's text files read them."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


@attrs.frozen
class BadByte:
    """The first byte of a file that is not UTF-8: where it sits in the decoded text, and why."""

    offset: int
    byte: int
    reason: str


def decode(data: bytes) -> tuple[str, BadByte | None]:
    """A file's text (UTF-8, a BOM dropped, universal newlines) and its first bad byte, if any.

    A file that is not UTF-8 is still decoded (each bad byte a U+FFFD), so the
    diagnostic at the bad byte shows its line.
    """
    try:
        return universal_newlines(data.decode("utf-8-sig")), None
    except UnicodeDecodeError as error:
        # error.object is the data without its BOM; error.start is an offset into it
        good = universal_newlines(error.object[:error.start].decode("utf-8"))
        text = universal_newlines(data.decode("utf-8-sig", "replace"))
        return text, BadByte(len(good), error.object[error.start], error.reason)
