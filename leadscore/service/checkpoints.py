"""The SQLite log copied back beside the requests, not in one of them.

In WAL mode a commit appends to the write-ahead log, and the commit that
takes the log past `wal_autocheckpoint` pages copies it back into the
database: tens of milliseconds paid by one request, and by every request
queued behind it. The service opens its store with `serving`
and runs `Store.checkpoint` (a passive checkpoint: it waits for no reader
or writer) every `EVERY` seconds in a thread, so a request's time is its
own write's. On PostgreSQL there is nothing to do.
"""

from __future__ import annotations

from .sweep import every

EVERY = 1.0


class Checkpointer:
    def __init__(self, store, seconds: float = EVERY):
        self.store, self.seconds = store, seconds

    async def run(self) -> None:
        await every(self.seconds, self.store.checkpoint, "checkpoint")
