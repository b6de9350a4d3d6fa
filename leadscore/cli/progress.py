"""The progress bar of a batch run, on standard error (tqdm), one phase at a time.

A batch (leadscore/batch/batch.py) calls `progress(what, path=..., total=...)` at the
start of each phase (events read, leads read or scored) and gets back an
`update(position)` it calls with how far it is: the line of the file the row
starts on while reading a file, the count of leads while scoring held ones.
The total is known for a plain file (its lines, counted before the phase
starts; a Parquet file's rows from its metadata) and for held leads; for
standard input and compressed files the bar shows a count and a rate, with
no total and no ETA.

The CLI makes one only when standard error is a terminal and `-q` is not
given, and calls `close()` before it prints the summary, so the bar is
cleared rather than run into it.
"""

from __future__ import annotations

import sys

#: how far a phase moves before the bar is told (the bar is cheap, the call per row is not free)
STEP = 1000


class Progress:
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.bar = None

    def __call__(self, what: str, path: str | None = None, total: int | None = None):
        from tqdm import tqdm
        self.close()
        if total is None and path is not None:
            total = input_size(path)
        bar = self.bar = tqdm(desc=what, total=total, unit=" rows" if path is None else " lines",
                              file=self.stream, mininterval=0.5, leave=False, dynamic_ncols=True)
        shown = [0]

        def update(position: int) -> None:
            if position - shown[0] >= STEP:
                bar.update(position - shown[0])
                shown[0] = position
        return update

    def close(self) -> None:
        """Clear the bar (leave=False): the next line printed starts at the left margin."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def input_size(path: str) -> int | None:
    """The lines of a plain file (the rows of a Parquet file); None when not known beforehand."""
    name = path.lower()
    if path == "-" or name.endswith((".gz", ".bz2", ".xz")):
        return None
    try:
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq
            return pq.ParquetFile(path).metadata.num_rows
        return count_lines(path)
    except Exception:  # noqa: BLE001 - a bar without a total; the reader reports the real problem
        return None


def count_lines(path: str) -> int:
    """Lines in a file, the last one counted even without a final newline."""
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")



_shared: list = []


def shared() -> Progress:
    """The run's one bar: every batch of a run (diff has two) draws on it, one phase at a time."""
    if not _shared:
        _shared.append(Progress())
    return _shared[0]


def clear() -> None:
    for progress in _shared:
        progress.close()
