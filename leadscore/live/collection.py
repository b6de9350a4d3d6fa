"""The cyclic garbage collector while the store works in bulk.

A bulk load or a re-score of many leads (a model set, shadowed or promoted;
a large sweep) keeps thousands of objects alive at a time: a chunk's rows,
its leads and events, their results. Each outlives a few of CPython's young
collections (every 700 allocations) and is promoted, so full collections
come often and walk everything alive, the compiled model included. They
found little garbage (about 5,000 objects in a 20,000-lead `leadscore
ingest`) but took a fifth of its CPU time. `fewer_collections` collects the
young generation every 100,000 allocations instead while such work runs
(a 20,000-lead ingest: 0.7 s of collection instead of 6 s), then puts the
thresholds back. Reference counting frees what does not live on, as always.

The batch freezes what it holds instead (`Batch.reading`); `leadscore
serve`'s process has its own, lasting setting (service/collector.py).
"""

from __future__ import annotations

import contextlib
import gc
import threading

#: (young, middle, old) thresholds while bulk work runs
BULK = (100_000, 50, 100)

_lock = threading.Lock()
_depth = 0
_saved: tuple = ()


@contextlib.contextmanager
def fewer_collections():
    """Collect less often inside (nested or from several threads: the thresholds found before the
    outermost are put back after it)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*(max(now, bulk) for now, bulk in zip(_saved, BULK)))
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
