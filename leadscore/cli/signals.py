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

Python runs the handler only between bytecodes: inside one long C call (a
DuckDB statement) a signal would wait for the call to end. So the signals
also wake a thread of ours (`signal.set_wakeup_fd` on a pipe), which calls
the callbacks that stop such calls (leadscore/batch/interrupts.py; DuckDB's
`connection.interrupt`), and keeps calling them every `REPEAT` seconds, as
a statement that starts just after the signal would not see the first call.
The call then returns and the handler runs. A second signal that comes
while the handler has still not run (a stretch of C code that no interrupt
reaches) ends the process at once, as it would in Python code. The thread
acts only on a signal this module handles at the time: while `serve` runs,
uvicorn's handlers have SIGINT and SIGTERM, and the thread leaves them be. A
forked child stops listening (its signals would otherwise wake the parent's
thread, through the inherited pipe).
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

from ..batch import interrupts

MESSAGES = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}

#: How often the callbacks are called again once a stop came (seconds).
REPEAT = 0.05

#: How long a second signal waits for the handler to have run before it ends the process (seconds).
GRACE = 0.2

_received: int | None = None
_pipe: tuple[int, int] | None = None        # the wakeup pipe: (read end, write end)
_fork_hook = False


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
    _listen()


def _listen() -> None:
    """Start the thread that hears the signals while the main thread is in C code: once, from the
    main thread, and not where someone else already listens (a wakeup fd set)."""
    global _pipe, _fork_hook
    if _pipe is not None:
        return
    try:
        read, write = os.pipe()
    except OSError:
        return
    try:
        os.set_blocking(write, False)
        previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except (OSError, ValueError):           # not the main thread
        os.close(read)
        os.close(write)
        return
    if previous != -1:                      # someone else's: leave it
        signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)
        return
    _pipe = (read, write)
    threading.Thread(target=_relay, args=(read,), name="leadscore-signals", daemon=True).start()
    if not _fork_hook:
        os.register_at_fork(after_in_child=_forget)
        _fork_hook = True


def _relay(read: int) -> None:
    """The thread: on our signal, call the interrupt callbacks, then again every REPEAT seconds."""
    first = None
    while True:
        ready, _, _ = select.select([read], [], [], None if first is None else REPEAT)
        if ready:
            try:
                data = os.read(read, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum not in MESSAGES or signal.getsignal(signum) is not _handle:
                    continue                # another handler's (uvicorn's while `serve` runs)
                if first is None:
                    first = signum
                else:
                    _second(first)
        if first is not None:
            interrupts.interrupt()


def _second(first: int) -> None:
    """A second signal: if the handler has not run (the main thread is still in C code the
    interrupt did not stop), end the process now; else the handler ends it."""
    deadline = time.monotonic() + GRACE
    while _received is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if _received is None:
        os._exit(128 + first)


def _forget() -> None:
    """In a forked child: stop writing to the parent's pipe, and drop the parent's callbacks."""
    global _pipe
    interrupts.forget()
    if _pipe is None:
        return
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:                      # not the main thread: keep the pipe open, never a reused fd
        return
    for fd in _pipe:
        os.close(fd)
    _pipe = None


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
