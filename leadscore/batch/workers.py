"""Scoring held leads in several processes (`leadscore score --jobs N`).

Once a batch has read everything (its events in the store, its leads held,
docs/batch.md), scoring the leads is most of the work left, and each lead
is scored from what is held alone. So the leads are cut into N ranges in
input order; the process forks N − 1 children, each of which scores its
range from its copy-on-write view of what is held and writes its output
(as the output writer would write it) to a temporary file and its counts
to another. The parent scores the first
range itself and writes as it goes, then copies each child's output in
order: the output is byte for byte that of one process.

Forking needs `os.fork` (Linux, macOS); where there is none, the batch
scores in one process.

A stop (SIGINT, SIGTERM: leadscore/cli/signals.py raises an exception)
unwinds the parent through `Pool.__exit__`, which stops the children and
removes the folder. The two moments a stop could escape that — between
creating the folder and recording it, between forking a child and recording
its pid (when the fork callbacks of other libraries also run, which would
swallow the exception) — hold the signals until the record is made.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import traceback
from typing import Callable, Iterator

CAN_FORK = hasattr(os, "fork")
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class WorkerError(RuntimeError):
    """A scoring process failed; the message says how."""


def split(count: int, jobs: int) -> list[range]:
    """`range(count)` cut into `jobs` contiguous ranges, the first ones one longer when it does not divide."""
    jobs = max(1, min(jobs, count)) if count else 1
    size, extra = divmod(count, jobs)
    ranges, start = [], 0
    for k in range(jobs):
        stop = start + size + (1 if k < extra else 0)
        ranges.append(range(start, stop))
        start = stop
    return ranges


def default_jobs() -> int:
    """One job per processor this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM wait until the block ends (then arrive as usual); yields the mask to
    restore."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield old
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Worker:
    """One forked child scoring `positions`: `work(positions, write)` returns its counts (a dict)."""

    def __init__(self, folder: str, number: int, positions: range):
        self.positions = positions
        self.output_path = os.path.join(folder, f"{number}.out")
        self.counts_path = os.path.join(folder, f"{number}.counts.json")
        self.error_path = os.path.join(folder, f"{number}.error.txt")
        self.pid: int | None = None

    def start(self, work: Callable) -> None:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            raise
        if pid:
            self.pid = pid
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            return
        self._child(work, mask)

    def _child(self, work: Callable, mask) -> None:
        """The forked process: score, write, and leave by `os._exit` whatever happens."""
        status = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)   # signals arrive from here on
            with open(self.output_path, "w", encoding="utf-8", newline="") as out:
                counts = work(self.positions, out.write)
            with open(self.counts_path, "w") as handle:
                json.dump(counts, handle)
            status = 0
        except BaseException:
            with open(self.error_path, "w") as handle:
                handle.write(traceback.format_exc())
        finally:
            os._exit(status)          # never the parent's cleanup, buffers or atexit handlers

    def wait(self) -> dict:
        """Wait for the child to finish; its counts."""
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if os.waitstatus_to_exitcode(status) != 0:
            raise WorkerError(f"a scoring process failed ({self._why()})")
        with open(self.counts_path) as handle:
            return json.load(handle)

    def _why(self) -> str:
        try:
            with open(self.error_path) as handle:
                lines = handle.read().strip().splitlines()
            return lines[-1] if lines else "no message"
        except OSError:
            return "it was stopped"

    def chunks(self, size: int = 1 << 20) -> Iterator[str]:
        """What it wrote, in pieces of about `size` characters (after `wait`)."""
        with open(self.output_path, encoding="utf-8", newline="") as handle:
            while chunk := handle.read(size):
                yield chunk

    def stop(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = None


class Pool:
    """Children scoring the given ranges, started on entry; stopped and cleaned up on exit."""

    def __init__(self, work: Callable, ranges: list[range]):
        self.ranges, self.work = ranges, work
        self.folder, self.workers = None, []

    def __enter__(self) -> list[Worker]:
        try:
            with signals_held():
                self.folder = tempfile.mkdtemp(prefix="leadscore-jobs-")
            self.workers = [Worker(self.folder, k, positions) for k, positions in enumerate(self.ranges)]
            for worker in self.workers:
                worker.start(self.work)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.workers

    def __exit__(self, *exc) -> None:
        for worker in self.workers:
            worker.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
