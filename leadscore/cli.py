"""The `leadscore` command line (INTERFACE.md §1). Thin: it parses arguments,
calls the library and prints; exit codes 0 ok, 1 invalid/failed, 2 usage,
3 internal error (a bug), as docs/cli.md says."""

from __future__ import annotations

import json
import os
import sys

import click

from . import __version__, console
from .ciformats import CI_FORMATS, github_lines, validate_junit
from .dsl import analyze_file
from .dsl.diagnostics import render_all

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class Leadscore(click.Group):
    """The group: a bug in any command is one line on standard error and exit 3."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, EOFError, BrokenPipeError):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence
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
def main(color, quiet):
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
    console.configure(color, quiet)


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
@click.option("--format", "fmt", type=click.Choice(["text", "json", *CI_FORMATS]), default="text",
              show_default=True, help="text for people; json for editors; junit (JUnit XML) or github "
                                      "(GitHub Actions annotations) for CI; written to standard output")
@click.option("--strict", is_flag=True, help="warnings fail the run too (exit 1)")
def validate(models, fmt, strict):
    """Parse and check MODEL files; print every diagnostic.

    \b
    Examples:
      leadscore validate examples/*.score
      leadscore validate --format json --strict model.score
      leadscore validate --format junit examples/*.score > validate.xml
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
    elif fmt in CI_FORMATS:
        unread = [p for p in models if p not in sources]
        click.echo(validate_junit(models, diagnostics, sources, unread, strict) if fmt == "junit" else
                   github_lines(diagnostics, [(p, "cannot read the model") for p in unread]), nl=False)
    else:
        if diagnostics:
            console.echo(render_all(diagnostics, sources), paint=console.paint_diagnostics)
            click.echo()
        unread = f", {len(models) - len(sources)} could not be read" if unreadable else ""
        click.echo(f"{len(sources)} model(s) checked: {errors} error(s), {warnings} warning(s){unread}",
                   err=bool(diagnostics) or unreadable)
    failed = unreadable or errors or (strict and warnings)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@main.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="the Python file to write (default: standard output)")
def compile_command(model, output):
    """Write a standalone Python module that scores with MODEL (no parser, no checker).

    The module exposes score(lead, events=(), now=None), score_many(...),
    total(lead) (the score alone), NAME and VERSION.

    \b
    Example:
      leadscore compile examples/b2b.score -o b2b_scorer.py
      python -c "import b2b_scorer; print(b2b_scorer.score({'id': 'L1'}, now='2026-11-20T00:00:00Z').score)"
    """
    from .compiler.codegen import generate
    analysis = read_model(model)
    if analysis is None:
        sys.exit(EXIT_FAILED)
    if analysis.model is None:
        console.echo(analysis.render(), err=True, paint=console.paint_diagnostics)
        fail(f"{model} is not a valid model ({len(analysis.errors)} error(s))")
    source = generate(analysis.model).source
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(source)
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror or error}")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(source, nl=False)


# ---- scoring files -------------------------------------------------------------------

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
            click.option("--engine", type=click.Choice(ENGINES), default="python", show_default=True,
                         help="who scores: the Python runtime, embedded DuckDB, or Spark (same results)"),
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
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")


def fail(message: str) -> None:
    clear_progress()
    console.echo(f"error: {message}", err=True, paint=console.paint_error)
    sys.exit(EXIT_FAILED)


def print_summary(summary, hint: bool = True, indent: str = "") -> None:
    """A batch's summary on standard error (not with -q), the progress bar cleared first.
    `hint`: the command takes --rejects."""
    clear_progress()
    console.note(indent + summary.text(hint).replace("\n", "\n" + indent))


def load_model(path: str):
    from .api import ModelError, load
    try:
        return load(path)
    except ModelError as error:
        console.echo(error.render(), err=True, paint=console.paint_diagnostics)
        fail(f"{path} is not a valid model ({len(error.analysis.errors)} error(s))")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the model {path}: {getattr(error, 'strerror', None) or error}")


def evaluation_time(now: str | None) -> int:
    from .runtime.model import InputError, now_us
    try:
        return now_us(now)
    except InputError as error:
        raise click.BadParameter(str(error), param_hint="--now")


ENGINES = ("python", "duckdb", "spark")
ENGINE_COMMANDS = ("score", "backtest")


def make_batch(model, now: int, rejects, options: dict):
    """The batch that reads and scores the files: the Python runtime's, or an SQL engine's."""
    settings = dict(id_column=options["id_column"], event_lead_column=options["event_lead_column"],
                    strict=options["strict"], delimiter=options["delimiter"], line_ids=options["line_ids"],
                    progress=terminal_progress())
    engine = options.get("engine") or "python"
    if engine == "python":
        from .batch.batch import Batch
        return Batch(model, now, rejects, **settings)
    from .dsl import analyze_file
    from .engines import EngineError, open_engine
    try:
        runner = open_engine(engine, master=options.get("master"))
    except EngineError as error:
        fail(str(error))
    from .engines.batch import EngineBatch     # needs sqlglot, which open_engine checked
    return EngineBatch(model, analyze_file(options["model_path"]).model, runner, now, rejects, **settings)


def terminal_progress():
    """The run's progress bar (leadscore/progress.py): only on a terminal, and not with -q."""
    from .progress import shared
    return None if console.quiet() or not sys.stderr.isatty() else shared()


def clear_progress() -> None:
    """Clear the bar, if one is shown, before something is printed."""
    if "leadscore.progress" in sys.modules:
        sys.modules["leadscore.progress"].clear()


def rejects_path(explicit: str | None, output: str | None = None) -> str | None:
    """INTERFACE.md §9: --rejects, else rejects.jsonl beside the output, else only counted.

    Only `score` passes its `output`: the other commands write rejects only when asked."""
    if explicit:
        return explicit
    if output:
        return os.path.join(os.path.dirname(output), "rejects.jsonl")
    return None


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@data_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True, help="jsonl: one JSON object per lead; csv or parquet: flat columns "
                                      "(parquet needs -o)")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="output file (default: standard output)")
@click.option("--explain", is_flag=True, help="add each lead's contributions (jsonl)")
@click.option("--decimals", type=click.IntRange(0, 15), metavar="N",
              help="round shown scores, group and campaign scores and points to N decimals "
                   "(default: full precision)")
@click.option("--rejects", "rejects", type=click.Path(dir_okay=False),
              help="rejects file, JSON Lines (default: rejects.jsonl beside -o)")
@click.option("--jobs", type=click.IntRange(min=0), default=1, show_default=True,
              help="processes that score (--engine python; not with --format parquet); 0: one per core")
def score(model, leads_path, events_path, now, fmt, output, explain, decimals, rejects, jobs, **options):
    """Score a batch of leads; one result per lead, in input order.

    \b
    Examples:
      leadscore score examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z
      leadscore score model.score --leads leads.csv --format csv --decimals 1 -o scores.csv
    """
    from .batch.io import DataError, RejectsWriter
    from .batch.output import ResultWriter
    from .batch.workers import CAN_FORK, WorkerError, default_jobs
    at = evaluation_time(now)
    loaded = load_model(model)
    options["model_path"] = model
    try:
        with RejectsWriter(rejects_path(rejects, output)) as rejected:
            batch = make_batch(loaded, at, rejected, options)
            writer = ResultWriter(fmt, output, loaded.plan, explain, decimals)
            jobs = jobs or default_jobs()
            try:
                text = writer.text_of() if jobs > 1 and CAN_FORK and hasattr(batch, "write_forked") else None
                if text is not None:
                    batch.write_forked(leads_path, events_path, jobs, text, writer.write_raw)
                elif writer.takes_lines and hasattr(batch, "json_lines"):
                    for line in batch.json_lines(leads_path, events_path):
                        writer.write_line(line)
                else:
                    for result in batch.run(leads_path, events_path):
                        writer.write(result)
            finally:
                writer.close()
    except BrokenPipeError:
        raise
    except (DataError, ValueError, OSError, WorkerError) as error:
        fail(str(error))
    print_summary(batch.summary)


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@data_options
@click.option("--lead", "lead_id", required=True, help="the id of the lead to explain")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json: the result with its contributions")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="write the explanation here (default: standard output)")
def explain(model, leads_path, events_path, now, lead_id, fmt, output, **options):
    """Explain one lead's score: every rule that contributed, and the thresholds met or missed.

    \b
    Example:
      leadscore explain examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z --lead L7
    """
    from .batch.io import DataError, RejectsWriter
    at = evaluation_time(now)
    loaded = load_model(model)
    found, ids = None, LeadIds(lead_id.strip())
    try:
        with RejectsWriter(None) as rejected:
            for result in make_batch(loaded, at, rejected, options).run(leads_path, events_path):
                if result.id == lead_id.strip():
                    found = result
                ids.add(result.id)
    except (DataError, ValueError, OSError) as error:
        fail(str(error))
    if found is None:
        fail(f"no scored lead with id `{lead_id}` in {leads_path}" + ids.hint())
    emit(json.dumps(found.to_dict(explain=True), indent=2) if fmt == "json" else found.explain(), output)


class LeadIds:
    """The lead ids `explain` read, for a did-you-mean when the asked one is missing.

    Up to NEAR ids are compared by edit distance (`L71` for `L17`); a larger
    file keeps only the ids equal to the asked one but for case (`A2` for `a2`),
    so a million leads are neither held nor compared.
    """

    NEAR = 5_000

    def __init__(self, wanted: str):
        self.wanted = wanted
        self.folded = wanted.casefold()
        self.ids: list[str] = []
        self.count = 0

    def add(self, lead_id: str) -> None:
        self.count += 1
        if self.count <= self.NEAR or lead_id.casefold() == self.folded:
            self.ids.append(lead_id)

    def hint(self) -> str:
        from .runtime.suggest import did_you_mean
        pool = self.ids if self.count <= self.NEAR else [i for i in self.ids if i.casefold() == self.folded]
        hint = did_you_mean(self.wanted, pool)
        return f"; {hint}" if hint else ""


def entry() -> None:
    """The console script: a closed pipe ends quietly, and a bug is reported in one line
    (set LEADSCORE_DEBUG=1 for the traceback)."""
    try:
        main(standalone_mode=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FAILED)
    except Exception as error:  # noqa: BLE001 - the last line of defence
        internal_error(error)


# Commands that live in their own modules register themselves on `main`.
from . import commands  # noqa: E402,F401
