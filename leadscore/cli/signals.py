"""SIGINT and SIGTERM end a command cleanly (docs/cli.md, exit codes).

The handler raises `Stopped`, which unwinds the command like any error: the
`with` blocks that write output discard their temporary files (existing
files stay as they were), temporary folders are removed, forked workers are
stopped. `entry` then prints one line (`interrupted`, `terminated`) and
exits 128 + the signal's number: 130, 143.

A library may turn the exception into its own: DuckDB, interrupted inside a
query, raises `RuntimeError: Query interrupted`; Python ignores one raised in
a finalizer. So the signal is also remembered, and `check()` — called where
an error is reported, before an output file is put in place, and when a
command ends — turns what follows it into `Stopped`.

A second signal while the command unwinds (Ctrl-C pressed again) ends the
process at once, with the same exit code and without the clean-up: a
temporary file may then remain, as after SIGKILL, never a partial output.
Forked workers inherit the handler, so a worker told to stop by its parent
(SIGTERM) unwinds too.
"""

from __future__ import annotations

import os
import signal

MESSAGES = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}

_received: int | None = None


class Stopped(BaseException):
    """The command was asked to stop by `signum`. A BaseException, as KeyboardInterrupt is: no
    `except Exception` mistakes it for an error."""

    def __init__(self, signum: int):
        super().__init__(MESSAGES.get(signum, f"signal {signum}"))
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def install() -> None:
    """Handle SIGINT and SIGTERM for the rest of the process; no output file is committed after
    a signal (leadscore/batch/io/atomic.py)."""
    from ..batch.io import atomic
    for signum in MESSAGES:
        signal.signal(signum, _handle)
    if check not in atomic.commit_guards:
        atomic.commit_guards.append(check)


def _handle(signum: int, _frame) -> None:
    global _received
    if _received is not None:
        os._exit(128 + _received)
    _received = signum
    raise Stopped(signum)


def check() -> None:
    """Raise `Stopped` if a signal came (an error raised after it is its consequence)."""
    if _received is not None:
        raise Stopped(_received)
