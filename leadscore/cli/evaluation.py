"""`leadscore backtest` (score leads whose outcome is known and measure the ranking,
INTERFACE.md §7) and `leadscore calibrate` (fit a model's points to past outcomes,
docs/calibrate.md)."""

from __future__ import annotations

import json
import os
import shlex

import click

from .console import note
from .options import (data_options, emit, evaluation_time, fail, load_model, make_batch, print_summary,
                      rejects_path, resolve_engine, write_file)


@click.command()
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
    loaded, options["checked"] = load_model(model, analyzed=True)
    try:
        with RejectsWriter(rejects_path(rejects)) as rejected:
            resolve_engine(options, leads_path)
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


@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@data_options
@click.option("--outcome", "outcome_column", required=True,
              help="the column that says whether each lead converted (as for `backtest`)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="write the calibrated model here")
@click.option("--keep", "keep", multiple=True, metavar="RULE", help="keep this rule's points (repeatable)")
@click.option("--only", "only", multiple=True, metavar="GROUP",
              help="fit only the rules of this group (repeatable; `global` for ungrouped rules)")
@click.option("--min-support", default=1, show_default=True, type=click.IntRange(0),
              help="arms and rules that fired for fewer leads keep their points")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2), help="cross-validation folds")
@click.option("--scale", type=float, help="points per unit of log-odds (default: keep the highest possible total)")
@click.option("--decimals", default=0, show_default=True, type=click.IntRange(0, 6),
              help="decimal places of the new points")
@click.option("--thresholds", "thresholds", is_flag=True,
              help="also move the `tiers` and `qualify` thresholds so that as many leads reach them as today")
@click.option("--mql-volume", "mql_volume", metavar="N|P%",
              help="the volume the first `qualify` stage keeps: a number of leads or a share of those used "
                   "(implies --thresholds)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="the report on standard output: text for people, json for scripts")
@click.option("--rejects", "rejects", type=click.Path(dir_okay=False),
              help="write the rejected rows here, JSON Lines (default: only counted)")
def calibrate(model, leads_path, events_path, now, outcome_column, output, keep, only, min_support, folds,
              scale, decimals, thresholds, mql_volume, fmt, rejects, **options):
    """Fit MODEL's points to leads whose outcome is known and write the same model with new points.

    Prints a cross-validated report: AUC and per-tier conversion before and
    after, each threshold's volume and conversion, and each rule's old and
    new points with its evidence. With --thresholds (or --mql-volume) the
    thresholds written are moved too. Needs the `calibrate` extra
    (scikit-learn).

    \b
    Example:
      leadscore calibrate examples/x-education.score \\
          --leads Leads.csv \\
          --id-column "Prospect ID" --outcome Converted --thresholds -o x-education.calibrated.score
    """
    try:
        import sklearn  # noqa: F401
    except ImportError:
        fail("calibrate needs scikit-learn: pip install 'leadscore[calibrate]'")
    from ..api import ModelError, loads
    from ..dsl import analyze_file
    from ..dsl.format import FormatError
    from ..evaluation.calibrate import CalibrationError, calibrate as run, collect, probe_text, rewrite, select, verify
    from ..batch.io import DataError, RejectsWriter

    at = evaluation_time(now)
    loaded = load_model(model)
    ir_model = analyze_file(model).model   # the checked model: rules, arms, groups, scopes
    with open(model, encoding="utf-8") as handle:
        text = handle.read()
    unknown = set(keep) - {r.name for r, _ in ir_model.all_rules()}
    if unknown:
        fail(f"--keep: no rule named {', '.join(sorted(unknown))}")
    features, kept = select(ir_model, keep, only)
    if not features:
        fail("no rule to fit (see the rules kept: account and campaign rules, --keep, --only)")
    base_dir = os.path.dirname(os.path.abspath(model))
    try:
        probe = loads(probe_text(text, model, features), model, base_dir=base_dir)
    except (FormatError, ModelError) as error:
        fail(f"internal error: cannot build the probe model: {error}")
    try:
        with RejectsWriter(rejects_path(rejects)) as rejected, RejectsWriter(None) as ignored:
            real = make_batch(loaded, at, rejected, options)
            probing = make_batch(probe, at, ignored, options)
            data, read, missing = collect(real.run_pairs(leads_path, events_path),
                                          probing.run_pairs(leads_path, events_path),
                                          features, ir_model, outcome_column)
        expected, report = run(data, features, kept, ir_model, folds=folds, scale=scale, decimals=decimals,
                               min_support=min_support, leads_read=read, missing=missing,
                               thresholds=thresholds, mql_volume=mql_volume)
        out_text = rewrite(text, model, features, report.targets if report.suggested else ())
        try:
            written = loads(out_text, output, base_dir=base_dir)
        except ModelError as error:
            fail(f"internal error: the calibrated model does not validate: {error}")
        with RejectsWriter(None) as ignored:
            report.add_rescored(*verify(make_batch(written, at, ignored, options).run_pairs(leads_path, events_path),
                                        data, expected))
        report.warnings.extend(file_warnings(text, out_text, model, output))
    except CalibrationError as error:
        fail(str(error))
    except (DataError, ValueError, OSError) as error:
        fail(str(error))
    write_file(output, out_text)
    click.echo(json.dumps(report.to_dict(), indent=2) if fmt == "json" else report.text())
    print_summary(real.summary)
    click.echo(f"wrote {os.path.normpath(output)}", err=True)
    click.echo(f"review it: {review_command(model, output, leads_path, events_path, now, options)}", err=True)


def file_warnings(text: str, out_text: str, model: str, output: str) -> list:
    """What the user should know about the file written: a layout changed, `list … from` files not beside it."""
    from ..api import ModelError, loads
    from ..dsl.format import format_source
    warnings = []
    if format_source(text, model, verify=False) != text:
        warnings.append(f"{model} is not in `leadscore fmt` layout, so {output} is laid out anew "
                        "(run `leadscore fmt` on the model first to see only points and thresholds change)")
    out_dir = os.path.dirname(os.path.abspath(output))
    if out_dir != os.path.dirname(os.path.abspath(model)):
        try:
            loads(out_text, output, base_dir=out_dir)
        except ModelError:
            warnings.append(f"{output} does not validate where it is written: its `list … from` files "
                            "are read beside it; copy them there")
    return warnings


def review_command(model, output, leads_path, events_path, now, options) -> str:
    """The `leadscore diff` command that shows what the calibrated model changes, on the same leads."""
    words = ["leadscore", "diff", model, output, "--leads", leads_path]
    if events_path:
        words += ["--events", events_path]
    if now:
        words += ["--now", now]
    if options.get("line_ids"):
        words.append("--line-ids")
    elif options.get("id_column") not in (None, "id"):
        words += ["--id-column", options["id_column"]]
    return " ".join(shlex.quote(str(w)) for w in words)
