"""The cyclic garbage collector in the service's long-running process.

With CPython's default thresholds (700, 10, 10) the service ran a full
(generation 2) collection about every 300 one-event POSTs, and each walked
everything alive since start: the compiled model, SQLAlchemy, FastAPI and
uvicorn, the readers' caches, some 130,000 objects. Each took 80–145 ms of
CPU, during which no request moved, and the requests queued behind it
stretched the paced latency's tail (docs/live.md, "Durability and speed"). A request's
own garbage is nearly all freed by reference counting; what the collector
finds is rare.

So, once the app is built (`settle`): what is alive then is collected once
and frozen (`gc.freeze`: never walked again, as the batch freezes the events
it holds), and the young generation is collected every `THRESHOLDS[0]`
allocations instead of 700, so young collections are rarer and a full one
comes only after `THRESHOLDS[1] * THRESHOLDS[2]` (400) young ones.
Only `leadscore serve` does this: the store and the app, imported into
someone else's process, leave its collector alone.
"""

from __future__ import annotations

import gc

#: (young, middle, old) collection thresholds for the service's process
THRESHOLDS = (20_000, 20, 20)


def settle() -> None:
    """Collect and freeze what is alive now (the process's start), and raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
