"""The `leadscore` command line (INTERFACE.md §1). Thin: it parses arguments,
calls the library and prints; exit codes 0 ok, 1 invalid/failed, 2 usage,
3 internal error (a bug), 130 interrupted (SIGINT), 143 terminated (SIGTERM),
as docs/cli.md says.

The group `main` is defined here and every command is registered on it
below; the commands live one module per group (models, scoring, testing,
evaluation, review, sql, live, serve, editor, studio) and share `options.py`.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from . import console, editor, evaluation, live, models, review, scoring, serve, signals, sql, studio, testing
from .options import EXIT_FAILED, EXIT_INTERNAL, clear_progress


class Leadscore(click.Group):
    """The group: a bug in any command is one line on standard error and exit 3."""

    def invoke(self, ctx):
        try:
            done = super().invoke(ctx)
            signals.check()         # a signal whose exception a library swallowed
            return done
        except (click.ClickException, click.exceptions.Exit, click.Abort, EOFError, BrokenPipeError):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence
            signals.check()         # an error a signal caused (DuckDB's "Query interrupted") is the signal
            internal_error(error)


def internal_error(error: Exception):
    """Report a bug in one line (LEADSCORE_DEBUG=1: the traceback) and exit 3."""
    if os.environ.get("LEADSCORE_DEBUG"):
        raise error
    click.echo(f"leadscore: internal error: {type(error).__name__}: {error} "
               "(a bug; rerun with LEADSCORE_DEBUG=1 for details)", err=True)
    sys.exit(EXIT_INTERNAL)


@click.group(cls=Leadscore, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadscore")
@click.option("--color", "color", type=click.Choice(console.COLOR_MODES), default="auto",
              show_default=True, help="colour diagnostics and test results: auto (on a terminal, "
                                      "unless NO_COLOR is set), always, never")
@click.option("-q", "--quiet", is_flag=True, help="no summary and no progress bar on standard error")
@click.option("-v", "--verbose", is_flag=True, help="say how a run is done: the engine that scores, and why")
def main(color, quiet, verbose):
    """leadscore: lead-scoring models as reviewable, testable text.

    \b
    Examples:
      leadscore validate examples/*.score
      leadscore score examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z
      leadscore explain examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z --lead L7
      leadscore --color never -q score model.score --leads leads.csv -o scores.jsonl
    """
    console.configure(color, quiet, verbose)


def entry() -> None:
    """The console script: a closed pipe ends quietly, SIGINT and SIGTERM end the command cleanly
    in one line (signals.py), and a bug is reported in one line (set LEADSCORE_DEBUG=1 for the
    traceback)."""
    signals.install()
    try:
        run()
    except signals.Stopped as stopped:
        clear_progress()
        click.echo(str(stopped), err=True)
        sys.exit(stopped.exit_code)


def run() -> None:
    try:
        main(standalone_mode=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FAILED)
    except Exception as error:  # noqa: BLE001 - the last line of defence
        signals.check()
        internal_error(error)


for command in (models.validate, models.fmt_command, models.compile_command, scoring.score, scoring.explain,
                testing.tests_command, evaluation.backtest, evaluation.calibrate, review.diff, sql.sql_command,
                live.ingest, live.results, live.history, live.model, serve.serve, editor.lsp,
                studio.studio):
    main.add_command(command)
