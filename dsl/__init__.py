"""The language front end: parse, check, diagnose, format."""

from __future__ import annotations

import functools
import gc
import os

import attrs

from . import ir, limits
from .diagnostics import Diagnostic, Reporter, render_all
from .source import BadByte, Source, decode


@attrs.frozen
class Analysis:
    """What the front end made of one source: the checked model, if valid, and every diagnostic."""

    source: Source
    model: ir.Model | None
    diagnostics: tuple
    #: The declarations that parsed (an AST, `nodes.Model`), for tools that map text to
    #: names, such as the language server; None when the source was refused unread.
    tree: object = attrs.field(default=None, eq=False, repr=False)

    @property
    def errors(self) -> tuple:
        return tuple(d for d in self.diagnostics if d.is_error)

    def render(self) -> str:
        return render_all(self.diagnostics, {self.source.filename: self.source})


def without_gc(function):
    """Parsing, checking and loading build many objects that all live on; the cyclic
    collector would walk them again and again (a third of `analyze` for 10,000 rules,
    superlinear in model size), so it pauses meanwhile. Reference counting still
    frees what does not live on."""

    @functools.wraps(function)
    def paused(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return paused


@without_gc
def analyze(text: str, filename: str = "<string>", base_dir: str | os.PathLike | None = None) -> Analysis:
    """Parse and check `.score` text. Never raises for any input text.

    After a syntax error the declarations that parsed are still checked, so
    one run reports every problem (the model is then None).
    """
    source = Source(text, filename)
    if len(text) > limits.MAX_MODEL:
        return too_large(source)
    reporter = Reporter(source)
    from .check import check                 # the parser and checker (and Lark) load only here, so
    from .recover import parse_declarations  # `from leadscore.dsl import ir` stays light
    parsed = parse_declarations(source, reporter)
    model = check(parsed.model, source, reporter, base_dir, parsed.lost)
    return Analysis(source, model, tuple(reporter.sorted()), parsed.model)


def analyze_file(path: str | os.PathLike) -> Analysis:
    """Read and analyze a `.score` file; `list ... from` paths are relative to it.

    Raises OSError when the file cannot be read at all; a file too large or not
    UTF-8 is a diagnostic, at line 1 or at the bad byte.
    """
    path = os.fspath(path)
    try:
        data = limits.read_bounded(path, limits.MAX_MODEL, regular_only=False)
    except limits.TooLarge:
        return too_large(Source("", path))
    return analyze_bytes(data, path, os.path.dirname(os.path.abspath(path)))


def analyze_bytes(data: bytes, filename: str = "<string>",
                  base_dir: str | os.PathLike | None = None) -> Analysis:
    """A model file's bytes, decoded as `analyze_file` reads them, and analyzed.
    Never raises; bytes that are not UTF-8 are a diagnostic at the first bad one."""
    if len(data) > limits.MAX_MODEL:
        return too_large(Source("", filename))
    text, bad = decode(data)
    if bad is not None:
        return not_utf8(Source(text, filename), bad)
    return analyze(text, filename, base_dir)


def too_large(source: Source) -> Analysis:
    return one_error(source, 0, "E-too-large", f"the model is larger than {limits.size_text(limits.MAX_MODEL)}",
                     "the front end reads models of up to that size; split the file")


def not_utf8(source: Source, bad: BadByte) -> Analysis:
    return one_error(source, bad.offset, "E-encoding",
                     f"the file is not UTF-8 here: byte 0x{bad.byte:02x} ({bad.reason})",
                     "save the model as UTF-8")


def one_error(source: Source, offset: int, code: str, message: str, suggestion: str) -> Analysis:
    """A source refused before parsing: one diagnostic, no model."""
    reporter = Reporter(source)
    reporter.error(source.span(offset, offset + 1), code, message, suggestion)
    return Analysis(source, None, tuple(reporter.sorted()))


__all__ = ["Analysis", "Diagnostic", "Source", "analyze", "analyze_bytes", "analyze_file", "ir"]
