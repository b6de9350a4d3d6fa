"""What the front end made of an open document, computed once per version.

A `.score` document is analyzed as `leadscore validate` analyzes a file
(`list ... from` paths relative to the document), parsing again only the
declarations a change touched (incremental.py), so the diagnostics are the
same. A `.tests` document is checked against its model,
the `.score` file beside it named like it: the open document if the editor
holds it, else the file on disk.
"""

from __future__ import annotations

import functools
import os

import attrs
from lsprotocol import types

from ..dsl import Analysis, analyze_bytes
from ..dsl.diagnostics import ERROR, Diagnostic
from ..dsl.source import Source
from ..testing.check import TestAnalysis, analyze_tests
from . import positions
from .incremental import Reparser
from .names import Index

SCORE, TESTS = "score", "tests"


def kind_of(path: str) -> str | None:
    return {".score": SCORE, ".tests": TESTS}.get(os.path.splitext(path)[1])


@attrs.frozen
class Analyzed:
    """One version of one document, analyzed."""

    uri: str
    path: str
    version: int | None
    kind: str
    source: Source
    diagnostics: tuple                       # dsl Diagnostic values
    analysis: Analysis | None = None         # a .score document's
    tests: TestAnalysis | None = None        # a .tests document's
    model_path: str | None = None            # a .tests document's model
    model: Analysis | None = None            # and what the front end made of it

    @functools.cached_property
    def index(self) -> Index:
        """The names of a model; of a test file, the names of its model."""
        analysis = self.analysis if self.kind == SCORE else self.model
        return Index(analysis.tree if analysis is not None else None)

    def lsp_diagnostics(self) -> list[types.Diagnostic]:
        return [to_lsp(self.source, self.uri, d) for d in self.diagnostics]


def to_lsp(source: Source, uri: str, diagnostic) -> types.Diagnostic:
    """A front-end diagnostic as the protocol's: its code, range and severity; the
    suggestion ends the message (every client shows that) and is related information."""
    d = diagnostic
    message = d.message + (f" ({d.suggestion})" if d.suggestion else "")
    where = positions.to_range(source, d.span)
    related = ([types.DiagnosticRelatedInformation(types.Location(uri, where), d.suggestion)]
               if d.suggestion else None)
    severity = types.DiagnosticSeverity.Error if d.severity == ERROR else types.DiagnosticSeverity.Warning
    return types.Diagnostic(range=where, message=message, severity=severity, code=d.code or None,
                            source="leadscore", related_information=related,
                            data={"suggestion": d.suggestion} if d.suggestion else None)


class Documents:
    """The analyses of the open documents, one per (uri, version)."""

    def __init__(self, read_open):
        #: uri -> (text, version) of an open document, or None (the server's workspace)
        self.read_open = read_open
        self.cache: dict[str, Analyzed] = {}
        self.reparsers: dict[str, Reparser] = {}

    def get(self, uri: str, path: str) -> Analyzed | None:
        opened = self.read_open(uri)
        if opened is None:
            return None
        text, version = opened
        cached = self.cache.get(uri)
        if cached is not None and cached.version == version and cached.source.text == text:
            return cached
        analyzed = self.analyze(uri, path, text, version)
        if analyzed is not None:
            self.cache[uri] = analyzed
        return analyzed

    def forget(self, uri: str) -> None:
        self.cache.pop(uri, None)

    def close(self, uri: str) -> None:
        self.forget(uri)
        self.reparsers.pop(uri, None)

    def analyze(self, uri: str, path: str, text: str, version) -> Analyzed | None:
        kind = kind_of(path)
        if kind == SCORE:
            reparser = self.reparsers.setdefault(uri, Reparser())
            analysis = reparser.analyze(text, path, os.path.dirname(os.path.abspath(path)))
            return Analyzed(uri, path, version, kind, analysis.source, analysis.diagnostics, analysis)
        if kind == TESTS:
            return self.analyze_tests(uri, path, text, version)
        return None

    def text_of(self, path: str) -> tuple[str | None, str | None]:
        """(uri, text) of a file as the editor holds it, else (None, its text on disk);
        (None, None) when it cannot be read."""
        for uri, analyzed in list(self.cache.items()):
            if os.path.abspath(analyzed.path) == os.path.abspath(path):
                opened = self.read_open(uri)
                if opened is not None:
                    return uri, opened[0]
        try:
            with open(path, encoding="utf-8-sig") as handle:
                return None, handle.read()
        except (OSError, UnicodeDecodeError):
            return None, None

    def model_of(self, tests_path: str) -> tuple[str, Analysis | None]:
        """The model beside a test file, as open in the editor or on disk (None: no such file)."""
        model_path = os.path.splitext(tests_path)[0] + ".score"
        for uri, analyzed in list(self.cache.items()):
            if analyzed.kind == SCORE and os.path.abspath(analyzed.path) == os.path.abspath(model_path):
                current = self.get(uri, analyzed.path)
                if current is not None:
                    return model_path, current.analysis
        try:
            with open(model_path, "rb") as handle:
                data = handle.read()
        except OSError:
            return model_path, None
        return model_path, analyze_bytes(data, model_path, os.path.dirname(os.path.abspath(model_path)))

    def analyze_tests(self, uri: str, path: str, text: str, version) -> Analyzed:
        model_path, analysis = self.model_of(path)
        source = Source(text, path)
        if analysis is None or analysis.model is None:
            why = "does not exist" if analysis is None else f"has {len(analysis.errors)} error(s)"
            problem = model_problem(source, f"the model {os.path.basename(model_path)} {why}; "
                                            "the tests are checked against it once it is valid")
            return Analyzed(uri, path, version, TESTS, source, (problem,), model_path=model_path, model=analysis)
        checked = analyze_tests(text, path, analysis.model)
        return Analyzed(uri, path, version, TESTS, checked.source, checked.diagnostics,
                        tests=checked, model_path=model_path, model=analysis)


def model_problem(source: Source, message: str):
    """A diagnostic at the top of a test file whose model cannot be used (no code: it is
    not one of the front end's)."""
    end = len(source.line_text(1))
    return Diagnostic(source.filename, source.span(0, end), ERROR, "", message)
