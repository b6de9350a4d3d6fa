"""`leadscore diff OLD NEW`: what changed between two versions of a model and,
with `--leads`, what the change does to those leads (docs/diff.md)."""

from __future__ import annotations

import json
import sys

import click

from . import console
from .options import (EXIT_FAILED, EXIT_OK, data_options, emit, evaluation_time, fail, make_batch,
                   print_summary, read_model, resolve_engine)
from .console import note


def _leads_optional(command):
    """`data_options` makes `--leads` required; here it is what turns the impact report on."""
    for param in getattr(command, "__click_params__", ()):
        if param.name == "leads_path":
            param.required = False
            param.help = "score these leads with both models and report the impact (same formats as `score`)"
    return command


@click.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@_leads_optional
@data_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json for scripts")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="how many of the leads whose score changed most to list")
@click.option("--exit-code", "exit_code", is_flag=True,
              help="exit 1 when the models differ (like `git diff --exit-code`); default: exit 0 either way")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="write the report here (default: standard output)")
def diff(old, new, leads_path, events_path, now, fmt, top, exit_code, output, **options):
    """Show what changed from model OLD to model NEW: rules, groups, caps, decay,
    tiers, stages, declarations. With --leads (and --events), score the leads
    with both models at the same --now and report the impact: the tier
    transition matrix, stages gained and lost, the score change, and the
    leads whose score changed most with the rules responsible.

    Exit 0 whether or not the models differ (1 with --exit-code when they
    do); 1 when a model is invalid or the data cannot be read.

    \b
    Examples:
      leadscore diff model.score model.calibrated.score
      leadscore diff old/b2b.score examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv --now 2026-11-20T00:00:00Z
      leadscore diff a.score b.score --format json --exit-code
    """
    from ..review import modeldiff

    if "-" in (leads_path, events_path):
        raise click.UsageError("diff reads the data once for each model, so it cannot read standard input; "
                               "save it to a file and give its path")
    if leads_path is None:
        for given, flag in ((events_path, "--events"), (now, "--now"), (options.get("engine"), "--engine")):
            if given is not None:
                raise click.UsageError(f"{flag} needs --leads: the impact is measured on leads")
    at = evaluation_time(now) if leads_path is not None else None

    analyses = [read_model(path) for path in (old, new)]
    if any(a is None for a in analyses):
        sys.exit(EXIT_FAILED)
    invalid = [a for a in analyses if a.model is None]
    for analysis in invalid:
        console.echo(analysis.render(), err=True, paint=console.paint_diagnostics)
    if invalid:
        fail(" and ".join(f"{a.source.filename} is not a valid model ({len(a.errors)} error(s))" for a in invalid))
    old_analysis, new_analysis = analyses

    changes = modeldiff.diff(old_analysis, new_analysis)
    impact = summaries = None
    if leads_path is not None:
        impact, summaries = _impact(old_analysis, new_analysis, leads_path, events_path, at, top, options)

    if fmt == "json":
        report = {
            "old": _model_info(old, old_analysis.model), "new": _model_info(new, new_analysis.model),
            "differ": bool(changes), "counts": modeldiff.counts(changes),
            "changes": [c.to_dict() for c in changes],
            "impact": None if impact is None else {
                **impact.to_dict(), "leads_file": leads_path, "events_file": events_path,
                "runs": {side: _summary_dict(s) for side, s in zip(("old", "new"), summaries)}},
        }
        text = json.dumps(report, indent=2)
    else:
        text = _text(old, new, old_analysis.model, new_analysis.model, changes, impact, modeldiff)
    emit(text, output)
    if summaries is not None:
        for side, path, summary in zip(("old", "new"), (old, new), summaries):
            note(f"{side} model ({path}):")
            print_summary(summary, hint=False, indent="  ")
    if output:
        click.echo(f"wrote {output}", err=True)
    sys.exit(EXIT_FAILED if exit_code and changes else EXIT_OK)


def _impact(old_analysis, new_analysis, leads_path, events_path, at, top, options):
    from ..api import compile_analysis
    from ..review.impact import Outline, compare
    from ..batch.io import DataError, RejectsWriter
    from ..runtime.values import format_time

    try:
        with RejectsWriter(None) as old_rejects, RejectsWriter(None) as new_rejects:
            # Both batches read the files; the old run is consumed first, then the new one.
            resolve_engine(options, leads_path)
            old_batch = make_batch(compile_analysis(old_analysis), at, old_rejects,
                                   dict(options, checked=old_analysis.model))
            new_batch = make_batch(compile_analysis(new_analysis), at, new_rejects,
                                   dict(options, checked=new_analysis.model))
            impact = compare(old_batch.run(leads_path, events_path), new_batch.run(leads_path, events_path),
                             Outline.of(old_analysis.model), Outline.of(new_analysis.model),
                             top=top, now=format_time(at))
    except BrokenPipeError:
        raise
    except (DataError, ValueError, OSError) as error:
        fail(str(error))
    return impact, (old_batch.summary, new_batch.summary)


def _model_info(path: str, model) -> dict:
    return {"file": path, "name": model.name, "version": model.version}


def _summary_dict(summary) -> dict:
    return {"leads_read": summary.leads_read, "leads_scored": summary.leads_scored,
            "leads_rejected": summary.leads_rejected, "events_read": summary.events_read,
            "events_used": summary.events_used, "events_ignored": summary.events_ignored,
            "events_rejected": summary.events_rejected}


def _describe(path: str, model) -> str:
    version = f" version {model.version}" if model.version is not None else ""
    return f"{path} ({model.name}{version})"


def _text(old, new, old_model, new_model, changes, impact, modeldiff) -> str:
    tally = modeldiff.counts(changes)
    parts = ", ".join(f"{count} {kind}" for kind, count in tally.items() if count)
    lines = [f"--- {_describe(old, old_model)}", f"+++ {_describe(new, new_model)}",
             f"{len(changes)} change(s)" + (f": {parts}" if parts else ""), ""]
    if changes:
        lines += [modeldiff.text(changes), ""]
    if impact is not None:
        lines.append(impact.text())
    return "\n".join(lines).rstrip()
