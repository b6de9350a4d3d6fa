"""Diagnostics: stable codes, suggestions, and text and JSON rendering.

Every problem the front end finds is a `Diagnostic` value; they are
collected, sorted and returned, never raised one by one.
"""

from __future__ import annotations

from typing import Iterable

import attrs

from ..runtime.suggest import did_you_mean, edit_distance  # noqa: F401 - one implementation, used here
from .source import Source, Span

ERROR = "error"
WARNING = "warning"

#: Every diagnostic code, with what it means. Documented in docs/diagnostics.md.
CODES = {
    "E-syntax": "the text does not follow the grammar",
    "E-lex": "a character or token that cannot start anything here",
    "E-unclosed": "a bracket that is opened and never closed",
    "E-reserved": "a keyword used where a name is expected",
    "E-chained-comparison": "comparisons do not chain (`1 < x < 5`)",
    "E-assign-in-condition": "`=` where a comparison `==` was meant",
    "E-string": "a string literal that is not closed on its line, has a bad escape or is too long",
    "E-unknown-name": "a name that is not declared in its scope",
    "E-unknown-attribute": "an event attribute that the event does not declare",
    "E-duplicate": "a name declared twice in one scope",
    "E-type": "an operand of the wrong type for its operator or function",
    "E-scope": "a name or construct used where it is not available",
    "E-option": "a rule or group option that does not apply here",
    "E-duration": "a duration that is not greater than zero",
    "E-number": "a number that is out of range for its place",
    "E-time-literal": "a text literal compared with a date or time that is not ISO-8601",
    "E-regex": "a `matches` pattern that RE2 cannot compile",
    "E-list-file": "a `list ... from` file that cannot be read",
    "E-tiers": "tier thresholds that do not increase strictly",
    "E-arm": "a table arm whose values do not have the type of its `by` expression",
    "E-model-header": "`model` that is not the first item of the file",
    "E-nesting": "an expression nested more deeply than the front end accepts",
    "E-encoding": "a model file that is not UTF-8",
    "E-too-large": "a model file larger than the front end reads",
    "W-unreachable-arm": "a table arm that no value can reach",
    "W-decay-unused": "`decay` on a rule that reads no events",
    "W-first-tier-threshold": "a threshold on the first tier, which takes everything below the next",
    "W-empty-list": "a list with no values",
}


@attrs.frozen
class Diagnostic:
    file: str
    span: Span
    severity: str
    code: str
    message: str
    suggestion: str | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def end_line(self) -> int:
        return self.span.end_line

    @property
    def end_column(self) -> int:
        return self.span.end_column

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self) -> tuple:
        return (self.file, self.span.line, self.span.column, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "suggestion": self.suggestion,
        }


class Reporter:
    """Collects the diagnostics of one source."""

    def __init__(self, source: Source):
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(self, span: Span, code: str, message: str, suggestion: str | None = None) -> None:
        self._add(span, ERROR, code, message, suggestion)

    def warning(self, span: Span, code: str, message: str, suggestion: str | None = None) -> None:
        self._add(span, WARNING, code, message, suggestion)

    def _add(self, span, severity, code, message, suggestion) -> None:
        assert code in CODES, code
        self.diagnostics.append(
            Diagnostic(self.source.filename, span, severity, code, message, suggestion))

    def has_errors_at(self, node) -> bool:
        return node is not None and any(d.is_error and d.span == node.span for d in self.diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.diagnostics), key=Diagnostic.sort_key)


def render_text(diagnostic: Diagnostic, source: Source | None) -> str:
    """rustc-style text: location, message, the source line and a caret."""
    d = diagnostic
    head = f"{d.file}:{d.line}:{d.column}: {d.severity}: {d.message}"
    code = f" = code: {d.code}"
    if source is None:
        help_line = [f" = help: {d.suggestion}"] if d.suggestion else []
        return "\n".join([head, *help_line, code])
    text = source.line_text(d.line).expandtabs(1)
    gutter = " " * len(str(d.line))
    if d.span.end_line == d.line:
        width = max(1, d.span.end_column - d.column)
    else:
        width = max(1, len(text) - d.column + 1)
    caret = " " * (d.column - 1) + "^" * width
    tail = f" {d.suggestion}" if d.suggestion else ""
    return "\n".join([
        head,
        f"{gutter} |",
        f"{d.line} | {text}",
        f"{gutter} | {caret}{tail}",
        f"{gutter}{code}",
    ])


def render_all(diagnostics: Iterable[Diagnostic], sources: dict[str, Source]) -> str:
    return "\n\n".join(render_text(d, sources.get(d.file)) for d in diagnostics)
