"""`leadscore backtest`: score leads whose outcome is known and measure the ranking (INTERFACE.md §7)."""

from __future__ import annotations

import json
import os

import click

from ..cli import (clear_progress, data_options, emit, evaluation_time, fail, load_model, main, make_batch,
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
    from ..evaluation.backtest import Record, Stage, compute, read_outcome
    from ..batch.io import DataError, RejectsWriter, detect_format

    render = None
    if report_path:
        from ..evaluation.report import ReportUnavailable, require
        try:
            render = require()
        except ReportUnavailable as error:
            fail(str(error))
    at = evaluation_time(now)
    loaded = load_model(model)
    uniform = leads_path != "-" and detect_format(leads_path)[0] in ("csv", "parquet")
    columns: dict = {}
    found = [False]
    absent = object()

    def no_outcome_column():
        names = ", ".join(f"`{c}`" for c in columns) or "none"
        close = [c for c in columns if c.strip().casefold() == outcome_column.strip().casefold()]
        hint = f"; did you mean `{close[0]}`?" if close else ""
        fail(f"{leads_path}: no outcome column `{outcome_column}` (the file has {names}){hint}")

    records = []
    try:
        with RejectsWriter(rejects_path(rejects)) as rejected:
            options["model_path"] = model
            batch = make_batch(loaded, at, rejected, options)
            for order, (lead, result) in enumerate(batch.run_pairs(leads_path, events_path)):
                # each lead keeps its raw row: its outcome is read from there
                raw = lead.raw.get(outcome_column, absent)
                if raw is absent:
                    if not found[0]:
                        columns.update(dict.fromkeys(lead.raw))
                        if uniform:   # every row has the header's columns
                            no_outcome_column()
                    raw = None
                else:
                    found[0] = True
                records.append(Record(result.score, read_outcome(raw), result.tier, tuple(result.qualified),
                                      order, raw, bool(result.disqualified)))
    except BrokenPipeError:
        raise
    except (DataError, ValueError, OSError) as error:
        fail(str(error))
    if records and not found[0]:
        no_outcome_column()

    plan = loaded.plan
    tier_set = getattr(plan.model, "tiers", None)
    result = compute(
        records,
        tiers=tier_set.names if tier_set is not None else (),
        stages=[Stage(name, text) for name, _test, text in plan.qualify],
        meta={"model": loaded.name, "version": loaded.version, "leads_file": leads_path,
              "outcome": outcome_column, "now": _iso(at),
              "leads_read": batch.summary.leads_read, "leads_rejected": batch.summary.leads_rejected})

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


def _iso(at: int) -> str:
    from ..runtime.values import format_time
    return format_time(at)
