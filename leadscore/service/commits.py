"""Group commit: the writes of concurrent requests committed in one store transaction.

SQLite takes one writer at a time, and a write's commit and re-scoring cost
about the same for one event as for a hundred. So a request does not queue
for its own transaction: it joins the group waiting for the next one. The
first request to get the write lock after a transaction takes every write
waiting then (up to `LIMIT` events) and commits them together
(`Store.commit`); each request is answered only after the transaction that
holds its write committed (LIVE.md §9), and a failed transaction fails every
request in it (each may be sent again: what was stored is a duplicate).

On PostgreSQL transactions run side by side, so each request commits its
own (`Single`).
"""

from __future__ import annotations

import threading

#: events (and lead writes) in one group at most: a transaction stays short
LIMIT = 5000


class _Slot:
    __slots__ = ("pending", "done", "error")

    def __init__(self, pending):
        self.pending = pending
        self.done = False
        self.error: BaseException | None = None


class Grouped:
    """Writes committed in groups, one group at a time (`lock`: the process's write lock)."""

    def __init__(self, store, lock: threading.Lock):
        self.store = store
        self.lock = lock
        self.mutex = threading.Lock()       # guards `waiting`
        self.waiting: list[_Slot] = []

    def commit(self, pending) -> None:
        """Commit `pending` (`Store.prepare`), with whatever else is waiting; its report is complete
        on return. Raises what the transaction that held it raised."""
        slot = _Slot(pending)
        with self.mutex:
            self.waiting.append(slot)
        while not slot.done:
            with self.lock:
                if not slot.done:
                    self._commit_group()
        if slot.error is not None:
            raise slot.error

    def _commit_group(self) -> None:
        group = self._take()
        try:
            self.store.commit([slot.pending for slot in group])
        except BaseException as error:  # noqa: BLE001 - every request of the group hears of it
            for slot in group:
                slot.error = error
        finally:
            for slot in group:
                slot.done = True

    def _take(self) -> list:
        """The waiting writes, oldest first, up to LIMIT rows (always at least one)."""
        with self.mutex:
            size, count = 0, 0
            for slot in self.waiting:
                size += len(slot.pending.checked) + len(slot.pending.field_writes)
                if count and size > LIMIT:
                    break
                count += 1
            group, self.waiting = self.waiting[:count], self.waiting[count:]
        return group


class Single:
    """Each write its own transaction (PostgreSQL: the database runs them side by side)."""

    def __init__(self, store):
        self.store = store

    def commit(self, pending) -> None:
        self.store.commit([pending])
