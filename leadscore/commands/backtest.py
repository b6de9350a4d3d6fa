"""`leadscore backtest`: score leads whose outcome is known and measure the ranking (INTERFACE.md §7)."""

from __future__ import annotations

import json
import os

import click

from ..cli import (data_options, emit, evaluation_time, fail, load_model, main, make_batch,
                   print_summary, rejects_path)
from ..console import note


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@data_options
@click.option("--outcome", "outcome_column", required=True,
              help="the column that says whether each lead converted "
                   "(true/false, yes/no, y/n, 1/0 in any case, or won/lost)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json for scripts")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="write the text or JSON here (default: standard output)")
@click.option("--report", "report_path", metavar="FILE.html", type=click.Path(dir_okay=False),
              help="also write a self-contained HTML page with charts (needs the `report` extra)")
@click.option("--rejects", "rejects", type=click.Path(dir_okay=False),
              help="write the rejected rows here, JSON Lines (default: only counted)")
def backtest(model, leads_path, events_path, now, outcome_column, fmt, output, report_path, rejects,
             **options):
    """Score historical leads whose outcome is known and report how well MODEL ranks them.

    Reports the leads and conversions, the ROC AUC of the score (ties count
    half), conversion rate and lead count per tier and per stage, lift per
    score decile, and for each `qualify` stage its precision and recall and
    the cut-off on the score alone that qualifies as many leads. Leads whose
    outcome is empty, or reads as neither yes nor no, are left out and
    counted.

    \b
    Examples:
      leadscore backtest examples/x-education.score \\
          --leads examples/data/x-education-sample.csv \\
          --id-column "Prospect ID" --outcome Converted
      leadscore backtest examples/bank-marketing.score \\
          --leads examples/data/bank-marketing-sample.csv --line-ids --outcome y \\
          --format json --report backtest.html
    """
    from ..batch.io import DataError, RejectsWriter
    from ..evaluation.backtest import measure

    render = None
    if report_path:
        from ..evaluation.report import ReportUnavailable, require
        try:
            render = require()
        except ReportUnavailable as error:
            fail(str(error))
    at = evaluation_time(now)
    loaded = load_model(model)
    try:
        with RejectsWriter(rejects_path(rejects)) as rejected:
            options["model_path"] = model
            batch = make_batch(loaded, at, rejected, options)
            result = measure(loaded, batch.run_pairs(leads_path, events_path), outcome_column, leads_path, at,
                             batch.summary)
    except BrokenPipeError:
        raise
    except (DataError, ValueError, OSError) as error:
        fail(str(error))

    text = json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.text()
    emit(text, output)
    if render is not None:
        try:
            render(result, report_path)
        except OSError as error:
            fail(f"cannot write {report_path}: {error.strerror or error}")
    print_summary(batch.summary)
    if result.excluded.leads:
        note(f"outcome: {result.excluded.leads} lead(s) left out ({result.excluded.missing} with no "
             f"outcome, {result.excluded.unreadable} unreadable)")
    for path in (output, report_path):
        if path:
            click.echo(f"wrote {os.path.normpath(path)}", err=True)

