"""`leadscore studio`: the local web workbench on a model file and sample data
(docs/studio.md); needs the `studio` extra."""

from __future__ import annotations

import click

from .options import data_options, evaluation_time, fail
from .serve import loopback, usage

DEFAULT_PORT = 8765


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False))
@data_options
@click.option("--outcome", "outcome_column", metavar="COLUMN",
              help="the leads' outcome column: show the backtest (AUC, gains, lift, tiers) as you edit")
@click.option("--host", default="127.0.0.1", show_default=True, help="loopback address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="port to listen on")
@click.option("--no-open", is_flag=True, help="do not open a browser; only print the page's address")
def studio(model_path, leads_path, events_path, now, id_column, event_lead_column, delimiter, line_ids, strict,
           outcome_column, host, port, no_open):
    """Edit a model in the browser and see what it does to sample leads as you type.

    Diagnostics, the score distribution, a table of leads with explanations,
    the model's .tests, the backtest (--outcome) and the impact of the edit
    against the saved file; saving re-checks and formats the file. It listens
    on loopback only: the page can write MODEL.

    \b
    Example:
      leadscore studio examples/b2b.score --leads examples/b2b/leads.csv \\
          --events examples/b2b/events.csv
    """
    try:
        import uvicorn
        from ..studio.analysis import recompute
        from ..studio.app import create_app
        from ..studio.workspace import Data, Workspace
    except ImportError as error:
        fail(f"the studio needs its extra: pip install 'leadscore[studio]' ({error})")
    if leads_path == "-":
        usage("--leads -: the studio re-reads its sample on every edit; give a file")
    if not loopback(host):
        usage(f"--host {host} is not a loopback address: the studio can write the model file, "
              "so it listens on this machine only")
    data = Data(leads_path, events_path, now=evaluation_time(now), outcome=outcome_column, id_column=id_column,
                event_lead_column=event_lead_column, delimiter=delimiter, line_ids=line_ids, strict=strict)
    workspace = Workspace(model_path, data)
    check_data(workspace, recompute)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    click.echo(f"leadscore studio: {url} (model {model_path}; Ctrl-C stops it)", err=True)
    if not no_open:
        open_browser(url)
    uvicorn.run(create_app(workspace), host=host, port=port, log_level="warning", access_log=False)


def check_data(workspace, recompute) -> None:
    """Read the model and the sample once before serving, so an unreadable file is one line
    now rather than an error on the page. An invalid model is fine: the page shows why."""
    from ..batch.io import DataError
    try:
        recompute(workspace, workspace.saved_text())
    except (DataError, ValueError, OSError) as error:
        fail(str(error))


def open_browser(url: str) -> None:
    """Open the page when this machine has a browser `webbrowser` can start; else the printed
    address is the way in."""
    import webbrowser
    try:
        webbrowser.get()
    except webbrowser.Error:
        return
    webbrowser.open(url)
