"""What `validate` and `test` print for CI systems (`--format junit|github`).

- **junit**: one JUnit XML document (testsuites → testsuite → testcase, a
  `failure` for a failed check, an `error` for what could not be run), the
  format Jenkins, GitLab, Azure and most CI test widgets read.
- **github**: GitHub Actions workflow commands, one line per diagnostic or
  failed test case (`::error file=F,line=L,col=C,title=T::message`), which
  GitHub shows as annotations on the file and line.

Both are whole texts (every line ended), written to standard output, where
nothing else is (summaries go to standard error), so `> report.xml`
captures a well-formed document and a clean run prints no annotation.
The choices are recorded in docs/cli.md ("CI formats").
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from ..dsl.diagnostics import Diagnostic, render_all
from ..testing.report import failure_lines, failure_text

CI_FORMATS = ("junit", "github")

# ---- GitHub Actions annotations ----------------------------------------------------------

_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = _DATA_ESCAPES + ((":", "%3A"), (",", "%2C"))


def _escape(text: str, escapes) -> str:
    for raw, code in escapes:          # `%` first, so the codes themselves are not escaped again
        text = text.replace(raw, code)
    return text


def annotation(level: str, message: str, file: str | None = None, line: int | None = None,
               col: int | None = None, title: str | None = None) -> str:
    """One workflow command, escaped as GitHub's toolkit does (`%`, CR, LF everywhere;
    also `:` and `,` in the properties)."""
    properties = [(key, value) for key, value in (("file", file), ("line", line), ("col", col), ("title", title))
                  if value is not None]
    head = ",".join(f"{key}={_escape(str(value), _PROPERTY_ESCAPES)}" for key, value in properties)
    return f"::{level}{' ' + head if head else ''}::{_escape(message, _DATA_ESCAPES)}"


def diagnostic_annotation(d: Diagnostic) -> str:
    message = d.message + (f"\nhelp: {d.suggestion}" if d.suggestion else "")
    return annotation("error" if d.is_error else "warning", message, d.file, d.line, d.column, d.code)


def problem_annotation(path: str, message: str) -> str:
    """A file that could not be checked or run at all: an error on the file, no line."""
    return annotation("error", message, path)


def outcome_annotation(outcome) -> str:
    """A failed test case, at its first failed expectation (or at the case, when scoring failed)."""
    case = outcome.case
    failed = [c.expectation for c in outcome.failures]
    line, col = (failed[0].line, failed[0].column) if failed and outcome.error is None else (case.line, None)
    return annotation("error", "\n".join(failure_lines(outcome)), case.file, line, col,
                      f"test failed: {case.name}")


def github_lines(diagnostics: Iterable[Diagnostic] = (), problems: Iterable[tuple] = (), run=None) -> str:
    lines = [problem_annotation(path, message) for path, message in problems]
    lines += [diagnostic_annotation(d) for d in diagnostics]
    if run is not None:
        lines += [outcome_annotation(o) for o in run.outcomes if not o.passed]
    return "".join(line + "\n" for line in lines)


# ---- JUnit XML ---------------------------------------------------------------------------

# Characters XML 1.0 cannot hold at all (ElementTree writes them as they are)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _element(parent, tag: str, text: str | None = None, **attributes):
    child = ET.SubElement(parent, tag, {k: _text(v) for k, v in attributes.items() if v is not None})
    if text:
        child.text = _text(text)
    return child


def _count(suite) -> None:
    """A testsuite's (and so its parent's) tests/failures/errors attributes from its testcases."""
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    suite.set("skipped", "0")


def _document(name: str, suites: list, seconds: float | None = None) -> str:
    root = ET.Element("testsuites", {"name": name})
    for suite in suites:
        _count(suite)
        root.append(suite)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key)) for s in suites)))
    if seconds is not None:
        root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def validate_junit(models: list, diagnostics: list, sources: dict, unreadable: Iterable[str],
                   strict: bool) -> str:
    """`validate --format junit`: one testcase per model file; it fails on an error (or, with
    --strict, a warning), with every diagnostic of the file; warnings of a passing file are its output."""
    suite = ET.Element("testsuite", {"name": "leadscore validate"})
    unreadable = set(unreadable)
    for path in dict.fromkeys(models):
        case = _element(suite, "testcase", classname="validate", name=path, file=path)
        if path in unreadable:
            _element(case, "error", message="cannot read the model", type="unreadable")
            continue
        found = [d for d in diagnostics if d.file == path]
        errors = sum(d.is_error for d in found)
        text = render_all(found, sources)
        if errors or (strict and found):
            _element(case, "failure", text, message=f"{errors} error(s), {len(found) - errors} warning(s)",
                     type="invalid model" if errors else "warnings (--strict)")
        elif found:
            _element(case, "system-out", text)
    return _document("leadscore validate", [suite])


def tests_junit(run=None, problems: Iterable[tuple] = (), diagnostics: list = (), sources: dict = None) -> str:
    """`test --format junit`: a testsuite per test file, a testcase per case (a `failure` with the
    failed expectations and the explanation; an `error` when scoring failed). Files that could
    not be run are one testsuite of errors, each with its file's diagnostics."""
    suites = []
    problems = list(problems)
    if problems:
        suite = ET.Element("testsuite", {"name": "not run"})
        for path, message in problems:
            case = _element(suite, "testcase", classname="not run", name=path, file=path)
            text = render_all([d for d in diagnostics if d.file == path], sources or {})
            _element(case, "error", text, message=message, type="not run")
        suites.append(suite)
    by_file: dict[str, ET.Element] = {}
    for outcome in run.outcomes if run is not None else ():
        case = outcome.case
        suite = by_file.get(case.file)
        if suite is None:
            suite = by_file[case.file] = ET.Element("testsuite", {"name": case.file, "file": case.file})
            suites.append(suite)
        classname = os.path.splitext(os.path.basename(case.model or case.file))[0]
        element = _element(suite, "testcase", classname=classname, name=case.name, file=case.file,
                           line=case.line)
        if not outcome.passed:
            tag, kind = ("error", "scoring error") if outcome.error is not None else ("failure", "expectation")
            _element(element, tag, failure_text(outcome), message="; ".join(failure_lines(outcome)), type=kind)
    return _document("leadscore test", suites, run.seconds if run is not None else None)
