"""`leadscore serve` as a real subprocess on a free loopback port, for the service's tests.

Every wait is bounded: a service that does not answer `/healthz` within
`START_TIMEOUT` seconds fails the test with its standard error.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

START_TIMEOUT = 60.0
#: How uvicorn says the port was taken, and how many ports a service tries before it fails.
PORT_TAKEN, PORT_ATTEMPTS = "address already in use", 3
#: Where free_port draws: below Linux's ephemeral range (32768-60999), which clients' ports come from.
PORTS = range(20000, 32768)

# what the service's tests serve: the shipped b2b model and its sample data, scored at one time
ROOT = Path(__file__).resolve().parent.parent
MODEL, LEADS, EVENTS = ROOT / "examples/b2b.score", ROOT / "examples/b2b/leads.csv", ROOT / "examples/b2b/events.csv"
NOW = "2026-11-20T00:00:00Z"


def free_port() -> int:
    """A loopback port nothing listens on, drawn below the kernel's ephemeral ports (so no client
    connection holds it) from this test worker's own share: under pytest-xdist, worker k of n takes
    only ports p with p % n == k, so two workers never start services on one port."""
    worker, workers = xdist_worker()
    while True:
        port = random.randrange(-(-PORTS.start // workers), PORTS.stop // workers) * workers + worker
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def xdist_worker() -> tuple[int, int]:
    """(this worker's number, the number of workers): (0, 1) outside pytest-xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw")), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


class PortTaken(RuntimeError):
    """The service exited because its port was already in use."""


class Service:
    """`leadscore serve ARGS --port P` in `cwd`; `url`, `client`, `stop()`, `kill()`."""

    def __init__(self, *args, cwd, port: int | None = None, token: str | None = None):
        self.args, self.cwd = [str(a) for a in args], cwd
        self.port_given = port is not None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.process = None
        self.listen_on(port or free_port())

    def listen_on(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = os.path.join(str(self.cwd), f"serve-{port}.log")

    def start(self) -> "Service":
        """Start and wait for `/healthz`. A free port can be taken before the service binds it
        (by another test worker's service or client): then it starts again on another, unless
        the port was given."""
        for _attempt in range(PORT_ATTEMPTS - 1):
            try:
                return self.start_once()
            except PortTaken:
                if self.port_given:
                    raise
                self.listen_on(free_port())
        return self.start_once()

    def start_once(self) -> "Service":
        code = "import sys; from leadscore.cli import entry; sys.argv[0] = 'leadscore'; entry()"
        env = {k: v for k, v in os.environ.items() if k != "LEADSCORE_STORE"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-c", code, "serve", *self.args, "--port", str(self.port)],
                                            cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = PortTaken if PORT_TAKEN in self.output() else RuntimeError
                raise error(f"leadscore serve exited {self.process.returncode}: {self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"leadscore serve did not answer within {START_TIMEOUT}s: {self.output()}")

    def output(self) -> str:
        with open(self.log, encoding="utf-8", errors="replace") as log:
            return log.read()[-3000:]

    def client(self, timeout: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    def __enter__(self) -> "Service":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
