"""The language front end: parse, check, diagnose, format."""

from __future__ import annotations

import os

import attrs

from . import ir
from .check import check
from .diagnostics import Diagnostic, Reporter, render_all
from .recover import parse_declarations
from .source import Source


@attrs.frozen
class Analysis:
    """What the front end made of one source: the checked model, if valid, and every diagnostic."""

    source: Source
    model: ir.Model | None
    diagnostics: tuple

    @property
    def errors(self) -> tuple:
        return tuple(d for d in self.diagnostics if d.is_error)

    def render(self) -> str:
        return render_all(self.diagnostics, {self.source.filename: self.source})


def analyze(text: str, filename: str = "<string>", base_dir: str | os.PathLike | None = None) -> Analysis:
    """Parse and check `.score` text. Never raises for any input text.

    After a syntax error the declarations that parsed are still checked, so
    one run reports every problem (the model is then None).
    """
    source = Source(text, filename)
    reporter = Reporter(source)
    parsed = parse_declarations(source, reporter)
    model = check(parsed.model, source, reporter, base_dir, parsed.lost)
    return Analysis(source, model, tuple(reporter.sorted()))


def analyze_file(path: str | os.PathLike) -> Analysis:
    """Read and analyze a `.score` file; `list ... from` paths are relative to it."""
    path = os.fspath(path)
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    return analyze(text, path, os.path.dirname(os.path.abspath(path)))


__all__ = ["Analysis", "Diagnostic", "Source", "analyze", "analyze_file", "ir"]
