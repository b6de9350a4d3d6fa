"""`leadscore score` and `leadscore explain`: a batch of leads scored, or one lead explained."""

from __future__ import annotations

import json

import click

from .options import (data_options, emit, evaluation_time, fail, load_model, make_batch, print_summary, rejects_path,
                      resolve_engine)


@click.command()
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
    from ..batch.io import DataError, RejectsWriter
    from ..batch.output import ResultWriter
    from ..batch.workers import CAN_FORK, WorkerError, default_jobs
    at = evaluation_time(now)
    loaded, options["checked"] = load_model(model, analyzed=True)
    resolve_engine(options, leads_path, jobs)
    try:
        with RejectsWriter(rejects_path(rejects, output)) as rejected:
            batch = make_batch(loaded, at, rejected, options)
            jobs = jobs or default_jobs()
            with ResultWriter(fmt, output, loaded.plan, explain, decimals) as writer:
                text = writer.text_of() if jobs > 1 and CAN_FORK and hasattr(batch, "write_forked") else None
                if text is not None:
                    batch.write_forked(leads_path, events_path, jobs, text, writer.write_raw)
                elif writer.takes_lines and hasattr(batch, "json_text"):
                    for chunk in batch.json_text(leads_path, events_path):
                        writer.write_raw(chunk)
                elif writer.takes_lines and hasattr(batch, "json_lines"):
                    for line in batch.json_lines(leads_path, events_path):
                        writer.write_line(line)
                else:
                    for result in batch.run(leads_path, events_path):
                        writer.write(result)
    except BrokenPipeError:
        raise
    except (DataError, ValueError, OSError, WorkerError) as error:
        fail(str(error))
    print_summary(batch.summary)


@click.command()
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
    from ..batch.io import DataError, RejectsWriter
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
        from ..runtime.suggest import did_you_mean
        pool = self.ids if self.count <= self.NEAR else [i for i in self.ids if i.casefold() == self.folded]
        hint = did_you_mean(self.wanted, pool)
        return f"; {hint}" if hint else ""
