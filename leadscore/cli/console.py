"""What the terminal gets: colour or plain text, and whether to be quiet.

One decision, made once per run by the `leadscore` group's options:
`--color always` colours, `--color never` does not, and `--color auto` (the
default) colours a stream only when it is a terminal and `NO_COLOR` is not
set to a non-empty value (no-color.org). `-q/--quiet` silences the summary
and the progress bar; `-v/--verbose` adds how a run was done (which engine
scored, and why); errors and diagnostics are always printed.

Painting is done on finished text (`paint_diagnostics`, `paint_tests`), so
the library renders plain text and only the CLI knows about colour.
"""

from __future__ import annotations

import os
import re
import sys

import click

COLOR_MODES = ("auto", "always", "never")

_settings = {"color": "auto", "quiet": False, "verbose": False}


def configure(color: str = "auto", quiet: bool = False, verbose: bool = False) -> None:
    _settings.update(color=color, quiet=quiet, verbose=verbose)


def quiet() -> bool:
    return _settings["quiet"]


def coloured(err: bool = False) -> bool:
    """Does standard output (or error, `err`) get colour in this run?"""
    mode = _settings["color"]
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def echo(text: str, err: bool = False, paint=None) -> None:
    """`click.echo`, with `paint(text)` applied when that stream gets colour."""
    on = coloured(err)
    click.echo(paint(text) if on and paint is not None else text, err=err, color=on)


def note(text: str) -> None:
    """Information on standard error that `-q` silences (the summary)."""
    if not quiet():
        click.echo(text, err=True)


def detail(text: str) -> None:
    """Information on standard error only with `-v` (and not `-q`): how the run was done."""
    if _settings["verbose"] and not quiet():
        click.echo(text, err=True)


SEVERITY_COLOURS = {"error": "red", "warning": "yellow"}
_HEAD = re.compile(r"^(\S.*?:\d+:\d+): (error|warning): ")
_CARET = re.compile(r"^( *\d* \| *)(\^+)")


def paint_diagnostics(text: str) -> str:
    """Rendered diagnostics (dsl/diagnostics.py) with the location bold, the severity and
    the caret in its colour."""
    lines, colour = [], "red"
    for line in text.split("\n"):
        head = _HEAD.match(line)
        if head:
            colour = SEVERITY_COLOURS[head.group(2)]
            line = (click.style(head.group(1), bold=True) + ": "
                    + click.style(head.group(2), fg=colour, bold=True) + ": " + line[head.end():])
        else:
            caret = _CARET.match(line)
            if caret:
                line = caret.group(1) + click.style(caret.group(2), fg=colour, bold=True) + line[caret.end():]
        lines.append(line)
    return "\n".join(lines)


_MARK = re.compile(r"^(\s*)(PASS|FAIL|ERROR)\b", re.MULTILINE)


def paint_tests(text: str) -> str:
    """A test run's text (leadscore/testing/report.py) with PASS green and FAIL/ERROR red."""
    return _MARK.sub(lambda m: m.group(1) + click.style(m.group(2), fg="green" if m.group(2) == "PASS"
                                                         else "red", bold=True), text)


def paint_error(text: str) -> str:
    """`error: ...` with `error` red."""
    return re.sub(r"^error", lambda m: click.style("error", fg="red", bold=True), text)
