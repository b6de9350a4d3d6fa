"""`leadscore calibrate`: fit a model's points to past outcomes (docs/calibrate.md)."""

from __future__ import annotations

import os

import click

from ..cli import data_options, evaluation_time, fail, load_model, main, make_batch, rejects_path


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@data_options
@click.option("--outcome", "outcome_column", required=True,
              help="the column that says whether each lead converted (as for `backtest`)")
@click.option("-o", "--output", required=True, help="write the calibrated model here")
@click.option("--keep", "keep", multiple=True, metavar="RULE", help="keep this rule's points (repeatable)")
@click.option("--only", "only", multiple=True, metavar="GROUP",
              help="fit only the rules of this group (repeatable; `global` for ungrouped rules)")
@click.option("--min-support", default=1, show_default=True, type=click.IntRange(0),
              help="arms and rules that fired for fewer leads keep their points")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2), help="cross-validation folds")
@click.option("--scale", type=float, help="points per unit of log-odds (default: keep the highest possible total)")
@click.option("--decimals", default=0, show_default=True, type=click.IntRange(0, 6),
              help="decimal places of the new points")
@click.option("--rejects", "rejects", help="rejects file, JSON Lines (default: rejects.jsonl beside -o)")
def calibrate(model, leads_path, events_path, now, outcome_column, output, keep, only, min_support, folds,
              scale, decimals, rejects, **options):
    """Fit MODEL's points to leads whose outcome is known and write the same model with new points.

    Prints a cross-validated report: AUC and per-tier conversion before and
    after, and each rule's old and new points with its evidence. Needs the
    `calibrate` extra (scikit-learn).

    \b
    Example:
      leadscore calibrate examples/x-education.score \\
          --leads /work/shared/data/x-education-leads/Leads.csv \\
          --id-column "Prospect ID" --outcome Converted -o x-education.calibrated.score
    """
    try:
        import sklearn  # noqa: F401
    except ImportError:
        fail("calibrate needs scikit-learn: pip install 'leadscore[calibrate]'")
    from ..api import ModelError, loads
    from ..dsl.format import FormatError
    from ..runtime.calibrate import CalibrationError, calibrate as run, collect, probe_text, rewrite, select
    from ..runtime.io import DataError, RejectsWriter

    at = evaluation_time(now)
    loaded = load_model(model)
    from ..dsl import analyze_file
    ir_model = analyze_file(model).model   # the checked model: rules, arms, groups, scopes
    with open(model, encoding="utf-8") as handle:
        text = handle.read()
    features, kept = select(ir_model, keep, only)
    unknown = set(keep) - {r.name for r, _ in ir_model.all_rules()}
    if unknown:
        fail(f"--keep: no rule named {', '.join(sorted(unknown))}")
    if not features:
        fail("no rule to fit (see the rules kept: each-rules, decay, --keep, --only)")
    try:
        probe = loads(probe_text(text, model, features), model, base_dir=os.path.dirname(os.path.abspath(model)))
    except (FormatError, ModelError) as error:
        fail(f"internal error: cannot build the probe model: {error}")
    try:
        with RejectsWriter(rejects_path(rejects, output)) as rejected, RejectsWriter(None) as ignored:
            real = make_batch(loaded, at, rejected, options)
            probing = make_batch(probe, at, ignored, options)
            data, read, missing = collect(real.run_pairs(leads_path, events_path),
                                          probing.run_pairs(leads_path, events_path),
                                          features, ir_model, outcome_column)
        points, report = run(data, features, kept, ir_model, folds=folds, scale=scale, decimals=decimals,
                             min_support=min_support, leads_read=read, missing=missing)
    except CalibrationError as error:
        fail(str(error))
    except (DataError, ValueError, OSError) as error:
        fail(str(error))
    new = {f.key: f.new for f in features if f.fitted}
    out_text = rewrite(text, model, new)
    try:
        loads(out_text, output, base_dir=os.path.dirname(os.path.abspath(output)))
    except ModelError as error:
        fail(f"internal error: the calibrated model does not validate: {error}")
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(out_text)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")
    click.echo(report.text())
    click.echo(real.summary.text(), err=True)
    click.echo(f"wrote {os.path.normpath(output)}", err=True)
