"""`leadscore ingest`, `results`, `history` and `model`: the live store from the command line (LIVE.md §8)."""

from __future__ import annotations

import contextlib
import json
import os

import click

from .options import emit, evaluation_time, fail

STORE_HELP = "the store: sqlite:///PATH or postgresql://USER@HOST:PORT/DB (default: sqlite:///leadscore.db)"


def store_option(command):
    return click.option("--store", "url", default="sqlite:///leadscore.db", envvar="LEADSCORE_STORE",
                        show_default=False, help=STORE_HELP)(command)


@contextlib.contextmanager
def opened(url: str, now=None):
    """The store, with every store, model and data error turned into one line and exit 1."""
    try:
        from ..live import ModelRefused, Store, StoreError
    except ImportError as error:
        fail(f"the live store needs its extra: pip install 'leadscore[live]' ({error})")
    from ..batch.io import DataError
    try:
        with Store.open(url, now=now) as store:
            yield store
    except BrokenPipeError:
        raise
    except ModelRefused as error:
        click.echo(error.diagnostics, err=True)
        fail(str(error))
    except (StoreError, DataError, OSError) as error:
        fail(str(error))


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the model {path}: {getattr(error, 'strerror', None) or error}")


def check_model(path: str) -> None:
    """Refuse a model that does not validate (its diagnostics, exit 1) before a store is opened."""
    try:
        from ..live.models import ModelRefused, compile_text
    except ImportError as error:
        fail(f"the live store needs its extra: pip install 'leadscore[live]' ({error})")
    try:
        compile_text(read_text(path), os.path.basename(path), os.path.dirname(os.path.abspath(path)))
    except ModelRefused as error:
        click.echo(error.diagnostics, err=True)
        fail(str(error))


def set_model(store, path: str, shadow: bool = False, notify: bool = True) -> None:
    text = read_text(path)
    place = os.path.dirname(os.path.abspath(path))
    if shadow:
        changed = store.set_shadow(text, os.path.basename(path), place)
    else:
        changed = store.set_model(text, os.path.basename(path), place, notify=notify)
    role = "shadow" if shadow else "model"
    click.echo(f"{role}: {os.path.basename(path)} ({store.model('shadow_model' if shadow else 'active_model').hash}); "
               f"{changed} lead(s) changed", err=True)


@click.command()
@click.argument("model_path", metavar="[MODEL]", required=False, type=click.Path(dir_okay=False))
@store_option
@click.option("--model", "explicit_model", type=click.Path(dir_okay=False),
              help="make this the store's model (MODEL alone is used only when the store has none)")
@click.option("--leads", "leads_path", type=click.Path(dir_okay=False), help="leads file: .csv, .jsonl, .json, .parquet")
@click.option("--events", "events_path", type=click.Path(dir_okay=False), help="events file, same formats; any order")
@click.option("--id-column", default="id", show_default=True, help="the leads' id column")
@click.option("--event-id-column", default="id", show_default=True,
              help="the events' id column (an event without one gets an id from its content)")
@click.option("--event-lead-column", default="lead_id", show_default=True, help="the events' column naming their lead")
@click.option("--delimiter", help="CSV delimiter (default: `,`, or `;`/tab/`|` seen in the header)")
@click.option("--rejects", type=click.Path(dir_okay=False), help="rejects file, JSON Lines (default: only counted)")
@click.option("--now", help="the store's time for this ingest, ISO-8601 (default: the current time)")
def ingest(model_path, url, explicit_model, leads_path, events_path, id_column, event_id_column,
           event_lead_column, delimiter, rejects, now):
    """Load lead and event files into a store; its leads are re-scored as they change.

    \b
    Examples:
      leadscore ingest examples/b2b.score --leads examples/b2b/leads.csv --events examples/b2b/events.csv
      leadscore ingest --store postgresql://app@db/leads --events today.jsonl
    """
    from ..live.loading import Loader
    from ..batch.io import RejectsWriter
    if now is not None:
        evaluation_time(now)
    if explicit_model or model_path:
        check_model(explicit_model or model_path)     # before anything is stored, or the store created
    with opened(url, now) as store:
        pending = explicit_model or (model_path if store.model() is None else None)
        if model_path and not explicit_model and store.model() is not None:
            click.echo(f"note: the store has a model already; {model_path} is not used (--model replaces it)",
                       err=True)
        if pending and store.counts()["leads"]:
            set_model(store, pending)      # a store with leads: they move to the new model now
            pending = None
        with RejectsWriter(rejects) as rejected:
            summary = Loader(store, rejected, id_column=id_column, event_id_column=event_id_column,
                             event_lead_column=event_lead_column, delimiter=delimiter, now=now
                             ).run(leads_path, events_path)
        if pending:
            set_model(store, pending)      # a new store: every lead scored once, at the end
    click.echo(summary.text(), err=True)


@click.command()
@store_option
@click.option("--now", help="evaluation time, ISO-8601 (default: the current time)")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="jsonl: one JSON object per lead; csv: flat columns (as `score` writes them)")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="output file (default: standard output)")
def results(url, now, fmt, output):
    """Every lead's result at NOW, ordered by lead id, exactly as `leadscore score` writes it.

    \b
    Example:
      leadscore results --now 2026-11-20T00:00:00Z | head -3
    """
    from ..batch.output import ResultWriter
    at = evaluation_time(now)
    with opened(url) as store:
        active = store.model()
        if active is None:
            fail("the store has no model yet (leadscore model set MODEL)")
        with ResultWriter(fmt, output, active.compiled.plan) as writer:
            for result in store.results(at):
                writer.write(result)


@click.command()
@store_option
@click.option("--lead", "lead_id", required=True, help="the lead's id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people; json for scripts")
def history(url, lead_id, fmt):
    """A lead's history: every change of its result, when and why, oldest first.

    \b
    Example:
      leadscore history --lead L7
    """
    with opened(url) as store:
        entries = store.history(lead_id)
        if not entries and store.stored_result(lead_id) is None:
            fail(f"no lead with id `{lead_id.strip()}` in the store")
    if fmt == "json":
        emit(json.dumps(entries, ensure_ascii=False, indent=2), None)
        return
    emit(history_table(entries), None)


def history_table(entries: list) -> str:
    rows = [("at", "cause", "score", "tier", "entered", "left")]
    for e in entries:
        rows.append((e["at"], cause_text(e["cause"]), f"{_num(e['score']['from'])} -> {_num(e['score']['to'])}",
                     f"{e['tier']['from'] or '-'} -> {e['tier']['to'] or '-'}",
                     ", ".join(stage_text(s) for s in e["entered"]) or "-",
                     ", ".join(stage_text(s) for s in e["left"]) or "-"))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def cause_text(cause: dict) -> str:
    kind = cause["kind"]
    if kind == "events":
        return f"events ({len(cause.get('ids', ()))})" + (" of its account" if "account" in cause else "")
    if kind == "fields":
        names = cause.get("names", ())
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        return f"fields ({shown})" + (" of its account" if "account" in cause else "")
    if kind == "model":
        return f"model {(cause.get('to') or '')[7:19]}"
    return kind


def stage_text(stage: dict) -> str:
    label = stage["name"] if stage["kind"] == "qualify" else f"disqualified {stage['name']}"
    return label if stage["scope"] == "global" else f"{label} [{stage['scope']}]"


def _num(value) -> str:
    return "-" if value is None else f"{value:g}"


@click.group()
def model():
    """The store's models: set the active one, run a shadow beside it, see the impact, promote it.

    \b
    Examples:
      leadscore model set examples/b2b.score
      leadscore model shadow next.score && leadscore model impact
      leadscore model promote
    """


NOTIFY = click.option("--notify/--no-notify", default=True, show_default=True,
                      help="send the transitions this change causes to the outbox (else history only)")


@model.command("set")
@click.argument("path", metavar="MODEL", type=click.Path(dir_okay=False))
@store_option
@NOTIFY
def model_set(path, url, notify):
    """Validate MODEL and make it the store's model; every lead is re-scored.

    \b
    Example:
      leadscore model set examples/b2b.score --store sqlite:///leads.db
    """
    with opened(url) as store:
        set_model(store, path, notify=notify)


@model.command("shadow")
@click.argument("path", metavar="MODEL", type=click.Path(dir_okay=False))
@store_option
def model_shadow(path, url):
    """Run MODEL beside the active one: it scores every change and notifies no one.

    \b
    Example:
      leadscore model shadow next.score
    """
    with opened(url) as store:
        set_model(store, path, shadow=True)


@model.command("promote")
@store_option
@NOTIFY
def model_promote(url, notify):
    """Make the shadow model the active one; every lead is re-scored.

    \b
    Example:
      leadscore model impact && leadscore model promote
    """
    with opened(url) as store:
        changed = store.promote(notify=notify)
        click.echo(f"model: {store.model().filename} ({store.model().hash}); {changed} lead(s) changed", err=True)


@model.command("impact")
@store_option
@click.option("--now", help="evaluation time, ISO-8601 (default: the current time)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json for scripts")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="leads listed that moved most")
def model_impact(url, now, fmt, top):
    """What promoting the shadow would do to the store's leads: tier matrix and stage counts.

    \b
    Example:
      leadscore model impact --top 5 --format json
    """
    at = evaluation_time(now)
    with opened(url) as store:
        impact = store.impact(at, top=top)
    emit(json.dumps(impact.to_dict(), ensure_ascii=False, indent=2) if fmt == "json" else impact.text(), None)
