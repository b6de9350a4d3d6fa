"""`leadscore serve`: the HTTP service over a live store (LIVE.md §7); needs the `serve` extra."""

from __future__ import annotations

import ipaddress
import re
import sys

import click

from .options import EXIT_USAGE, evaluation_time, fail
from .live import STORE_HELP

SIZES = {"": 1, "b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "kib": 1024, "mib": 1024 ** 2}


@click.command()
@click.argument("model_path", metavar="[MODEL]", required=False, type=click.Path(dir_okay=False))
@click.option("--store", "url", default="sqlite:///leadscore.db", envvar="LEADSCORE_STORE", help=STORE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; an address beyond loopback needs bearer tokens (the token option)")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="port to listen on")
@click.option("--token-file", type=click.Path(dir_okay=False),
              help="bearer tokens, one a line: TOKEN [read|write|admin] (default role: write)")
@click.option("--webhook", "webhooks", multiple=True, metavar="URL",
              help="POST every transition here, signed (repeatable; needs --webhook-secret-file)")
@click.option("--webhook-secret-file", type=click.Path(dir_okay=False),
              help="the shared secret the webhooks' HMAC-SHA256 signatures use")
@click.option("--webhook-backoff", default="1s", show_default=True,
              help="the first retry's wait; it doubles each time, up to 1h, with jitter")
@click.option("--sweep", default="5m", show_default=True,
              help="re-score time-dependent leads this often (30s, 5m, 1h; off)")
@click.option("--now", help="fix the service's clock, ISO-8601 (replays, tests); no sweep then")
@click.option("--max-body", default="10MB", show_default=True, help="largest request body (e.g. 512kB, 10MB)")
def serve(model_path, url, host, port, token_file, webhooks, webhook_secret_file, webhook_backoff, sweep, now,
          max_body):
    """Run the HTTP service over a store: ingest, results, transitions, webhooks, models.

    MODEL becomes the store's model when it has none (like `ingest`).

    \b
    Examples:
      leadscore serve examples/b2b.score --store sqlite:///leadscore.db
      leadscore serve --host 0.0.0.0 --token-file tokens.txt \\
          --webhook https://crm.example.com/hook --webhook-secret-file secret.txt
    """
    try:
        import uvicorn
        from ..service import app as service, collector
        from ..service.auth import TokenFileError, Tokens
        from ..service.sweep import parse_duration
        from ..live import ModelRefused, StoreError
    except ImportError as error:
        fail(f"the service needs its extra: pip install 'leadscore[serve]' ({error})")
    if now is not None:
        evaluation_time(now)
    if token_file is None and not loopback(host):
        usage(f"--host {host} is beyond loopback: give --token-file (tokens with roles) to listen there")
    if webhooks and not webhook_secret_file:
        usage("--webhook needs --webhook-secret-file (every delivery is signed)")
    try:
        every = parse_duration(sweep)
    except ValueError as error:
        usage(f"--sweep: {error}")
    try:
        backoff = parse_duration(webhook_backoff)
    except ValueError as error:
        usage(f"--webhook-backoff: {error}")
    limit = size(max_body)
    try:
        tokens = Tokens.read(token_file)
    except TokenFileError as error:
        fail(str(error))
    secret = read_secret(webhook_secret_file) if webhook_secret_file else None
    settings = service.Settings(url, model_path, tokens, tuple(webhooks), secret, every, now, limit,
                                retry_base=backoff or 1.0)
    try:
        store, note = service.open_store(settings)
    except ModelRefused as error:
        click.echo(error.diagnostics, err=True)
        fail(str(error))
    except StoreError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read the model {error.filename}: {error.strerror}")
    if note:
        click.echo(note, err=True)
    if tokens.open:
        click.echo(f"warning: no --token-file: anyone on this machine can use every route of {host}:{port}",
                   err=True)
    click.echo(f"leadscore serve: http://{host}:{port} (store {store_shown(url)}, model "
               f"{store.model().filename} {store.model().hash[:19]})", err=True)
    app = service.create_app(settings, store)
    collector.settle()               # what lives from now on is not walked again (collector.py)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False,
                timeout_graceful_shutdown=10)


def loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = match and SIZES.get(match.group(2).lower())
    if not unit or int(match.group(1)) <= 0:
        usage(f"--max-body: invalid size {text!r} (e.g. 512kB, 10MB)")
    return int(match.group(1)) * unit


def read_secret(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            secret = handle.read().strip()
    except OSError as error:
        fail(f"cannot read the webhook secret {path}: {error.strerror}")
    if not secret:
        fail(f"the webhook secret file {path} is empty")
    return secret


def store_shown(url: str) -> str:
    from ..live.store import _shown
    return _shown(url)


def usage(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)
