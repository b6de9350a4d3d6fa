"""What every command shares: exit codes, reading a model, the data options,
the evaluation time, the batch (Python or an SQL engine), the progress bar,
reports to `-o FILE`, one-line failures and the summary.

Command modules import this, never the package (`leadscore.cli`), which
imports them to register their commands on the group.
"""

from __future__ import annotations

import os
import sys

import click

from . import console, signals
from ..dsl import analyze_file
from ..engines import ENGINES

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def read_model(path: str):
    """Analyze one model file; None (with a message) when it cannot be read at all."""
    try:
        return analyze_file(path)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        click.echo(f"{path}: error: cannot read the model: {reason}", err=True)
        return None


def data_options(command):
    """The options every command that reads lead data shares (INTERFACE.md §1)."""
    options = [
        click.option("--leads", "leads_path", required=True, type=click.Path(dir_okay=False, allow_dash=True),
                     help="leads file: .csv, .jsonl, .json, .parquet, or - for JSON Lines on stdin"),
        click.option("--events", "events_path", type=click.Path(dir_okay=False),
                     help="events file, same formats; any order"),
        click.option("--now", help="evaluation time, ISO-8601 (UTC without an offset); default: the current time"),
        click.option("--id-column", default="id", show_default=True, help="the leads' id column"),
        click.option("--event-lead-column", default="lead_id", show_default=True,
                     help="the events' column naming their lead"),
        click.option("--delimiter", help="CSV delimiter (default: `,`, or `;`/tab/`|` seen in the header)"),
        click.option("--line-ids", is_flag=True, help="use each lead's line number as its id (files without ids)"),
        click.option("--strict", is_flag=True,
                     help="reject rows with a value that does not convert, instead of warning"),
    ]
    if command.__name__ in ENGINE_COMMANDS:
        options += [
            click.option("--engine", type=click.Choice(ENGINES), default=None,
                         help="who scores: the Python runtime, embedded DuckDB, or Spark (same results); "
                              "default: duckdb, or python for standard input and --jobs"),
            click.option("--master", help="Spark master URL (--engine spark; default: local[*])"),
        ]
    for option in reversed(options):
        command = option(command)
    return command


def emit(text: str, output: str | None) -> None:
    """A report to `-o FILE`, or to standard output."""
    clear_progress()
    if not output:
        click.echo(text)
        return
    write_file(output, text + "\n")


def write_file(path: str, text: str, newline: str | None = None) -> None:
    """`text` written to `path` whole or not at all (leadscore/batch/io/atomic.py); a one-line failure."""
    from ..batch.io.atomic import atomic_output
    try:
        with atomic_output(path, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror or error}")


def fail(message: str) -> None:
    """One line on standard error and exit 1 — unless a signal caused the failure (signals.py)."""
    signals.check()
    clear_progress()
    console.echo(f"error: {message}", err=True, paint=console.paint_error)
    sys.exit(EXIT_FAILED)


def print_summary(summary, hint: bool = True, indent: str = "") -> None:
    """A batch's summary on standard error (not with -q), the progress bar cleared first.
    `hint`: the command takes --rejects."""
    clear_progress()
    console.note(indent + summary.text(hint).replace("\n", "\n" + indent))


def load_model(path: str, analyzed: bool = False):
    """The model of a `.score` file; with `analyzed`, (the model, its checked IR), which an SQL
    engine's batch needs (`make_batch`): the file is read and analyzed once either way."""
    from ..api import ModelError, load_analyzed
    try:
        model, analysis = load_analyzed(path)
        return (model, analysis.model) if analyzed else model
    except ModelError as error:
        console.echo(error.render(), err=True, paint=console.paint_diagnostics)
        fail(f"{path} is not a valid model ({len(error.analysis.errors)} error(s))")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the model {path}: {getattr(error, 'strerror', None) or error}")


def evaluation_time(now: str | None) -> int:
    from ..runtime.model import InputError, now_us
    try:
        return now_us(now)
    except InputError as error:
        raise click.BadParameter(str(error), param_hint="--now")


ENGINE_COMMANDS = ("score", "backtest", "diff")


def resolve_engine(options: dict, leads_path: str, jobs: int = 1) -> None:
    """`options["engine"]`: the engine asked for, else the default for this input
    (leadscore/engines/choice.py); with -v, one line says which and why."""
    from ..engines.choice import choose_engine
    engine, fallback = choose_engine(options.get("engine"), leads_path, jobs)
    options["engine"] = engine
    console.detail(f"engine: {engine}" + (f" ({fallback})" if fallback else ""))


def make_batch(model, now: int, rejects, options: dict):
    """The batch that reads and scores the files: the Python runtime's, or an SQL engine's
    (which also needs the model's checked IR, `options["checked"]`: `load_model(path, analyzed=True)`)."""
    settings = dict(id_column=options["id_column"], event_lead_column=options["event_lead_column"],
                    strict=options["strict"], delimiter=options["delimiter"], line_ids=options["line_ids"],
                    progress=terminal_progress())
    engine = options.get("engine") or "python"
    if engine == "python":
        from ..batch.batch import Batch
        return Batch(model, now, rejects, **settings)
    from ..engines import EngineError, open_engine
    try:
        runner = open_engine(engine, master=options.get("master"))
    except EngineError as error:
        fail(str(error))
    from ..engines.batch import EngineBatch     # needs sqlglot, which open_engine checked
    return EngineBatch(model, options["checked"], runner, now, rejects, **settings)


def terminal_progress():
    """The run's progress bar (progress.py): only on a terminal, and not with -q."""
    from .progress import shared
    return None if console.quiet() or not sys.stderr.isatty() else shared()


def clear_progress() -> None:
    """Clear the bar, if one is shown, before something is printed."""
    if "leadscore.cli.progress" in sys.modules:
        sys.modules["leadscore.cli.progress"].clear()


def rejects_path(explicit: str | None, output: str | None = None) -> str | None:
    """INTERFACE.md §9: --rejects, else rejects.jsonl beside the output, else only counted.

    Only `score` passes its `output`: the other commands write rejects only when asked."""
    if explicit:
        return explicit
    if output:
        return os.path.join(os.path.dirname(output), "rejects.jsonl")
    return None
