"""What stops work that a signal cannot reach: C code, such as a DuckDB statement.

Python runs a signal's handler (leadscore/cli/signals.py, which raises
`Stopped`) only between bytecodes, so a command inside one long C call would
ignore SIGINT and SIGTERM until the call returns. Such code registers a
callback that makes the call return early (DuckDB: `connection.interrupt`);
when a stop comes, the command line calls every callback from a thread of
its own (`interrupt`), the call returns (raising its library's error), and
the handler then raises `Stopped` as usual.

A callback may be called when the work it stops is not running (it must then
do no harm), more than once, and from any thread. Here, below the engines,
so that they can register without importing the command line.
"""

from __future__ import annotations

import threading
from typing import Callable

_callbacks: dict[int, Callable[[], object]] = {}
_lock = threading.Lock()
_next = 0


class Registration:
    """A registered callback; `cancel()` (or the end of its `with` block) removes it."""

    def __init__(self, key: int):
        self.key = key

    def cancel(self) -> None:
        with _lock:
            _callbacks.pop(self.key, None)

    def __enter__(self) -> Registration:
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


def on_interrupt(callback: Callable[[], object]) -> Registration:
    """Call `callback()` whenever the command is told to stop, until the registration is cancelled."""
    global _next
    with _lock:
        _next += 1
        _callbacks[_next] = callback
        return Registration(_next)


def registered() -> int:
    """How many callbacks are registered."""
    with _lock:
        return len(_callbacks)


def interrupt() -> None:
    """Call every registered callback (one that fails is skipped: stopping goes on)."""
    with _lock:
        callbacks = list(_callbacks.values())
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001, S110 - a closed connection has nothing left to stop
            pass


def forget() -> None:
    """Drop every callback (a forked child: what they stop belongs to the parent)."""
    with _lock:
        _callbacks.clear()
