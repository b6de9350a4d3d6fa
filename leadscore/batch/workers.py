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
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import traceback
from typing import Callable, Iterator

CAN_FORK = hasattr(os, "fork")


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


class Worker:
    """One forked child scoring `positions`: `work(positions, write)` returns its counts (a dict)."""

    def __init__(self, folder: str, number: int, positions: range):
        self.positions = positions
        self.output_path = os.path.join(folder, f"{number}.out")
        self.counts_path = os.path.join(folder, f"{number}.counts.json")
        self.error_path = os.path.join(folder, f"{number}.error.txt")
        self.pid: int | None = None

    def start(self, work: Callable) -> None:
        pid = os.fork()
        if pid:
            self.pid = pid
            return
        status = 1
        try:
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
        self.folder = tempfile.mkdtemp(prefix="leadscore-jobs-")
        self.workers = [Worker(self.folder, k, positions) for k, positions in enumerate(ranges)]
        self.work = work

    def __enter__(self) -> list[Worker]:
        try:
            for worker in self.workers:
                worker.start(self.work)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.workers

    def __exit__(self, *exc) -> None:
        for worker in self.workers:
            worker.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
