"""The `leadscore` command line (INTERFACE.md §1). Thin: it parses arguments,
calls the library and prints; exit codes 0 ok, 1 invalid/failed, 2 usage."""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .dsl import analyze_file
from .dsl.diagnostics import render_all

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Group(click.Group):
    """Usage errors exit 2 (click's default too); everything else is ours."""


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadscore")
def main():
    """leadscore: lead-scoring models as reviewable, testable text.

    \b
    Examples:
      leadscore validate examples/*.score
      leadscore score examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z
      leadscore explain examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z --lead L7
    """


def read_model(path: str):
    """Analyze one model file; None (with a message) when it cannot be read at all."""
    try:
        return analyze_file(path)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        click.echo(f"{path}: error: cannot read the model: {reason}", err=True)
        return None


@main.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for editors and CI")
@click.option("--strict", is_flag=True, help="warnings fail the run too (exit 1)")
def validate(models, fmt, strict):
    """Parse and check MODEL files; print every diagnostic.

    \b
    Examples:
      leadscore validate examples/*.score
      leadscore validate --format json --strict model.score
    """
    diagnostics, sources, unreadable = [], {}, False
    for path in models:
        analysis = read_model(path)
        if analysis is None:
            unreadable = True
            continue
        sources[analysis.source.filename] = analysis.source
        diagnostics.extend(analysis.diagnostics)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if fmt == "json":
        click.echo(json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2))
    else:
        if diagnostics:
            click.echo(render_all(diagnostics, sources))
            click.echo()
        click.echo(f"{len(models)} model(s) checked: {errors} error(s), {warnings} warning(s)",
                   err=bool(diagnostics))
    failed = unreadable or errors or (strict and warnings)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


def run():  # pragma: no cover - console entry point alias
    main()
