"""The scheduled sweep inside the service (LIVE.md §3).

Every `--sweep` interval (default 5m) the store re-scores, at the current
time, the leads whose result can change with time alone (`Store.sweep`).
Its duration goes to the `leadscore_sweep_seconds` metric. A service with a
fixed `--now` never sweeps: its clock does not move, so nothing could
change. `--sweep off` turns it off too (run `Store.sweep` from elsewhere).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

DEFAULT = "5m"
log = logging.getLogger("leadscore.serve")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float | None:
    """`30s`, `5m`, `1h`, `1d` (or seconds) → seconds; `off` → None. ValueError for anything else."""
    text = text.strip().lower()
    if text in ("off", "0", "never"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"invalid duration {text!r}: use e.g. 30s, 5m, 1h, or off")
    return float(match.group(1)) * UNITS[match.group(2) or "s"]


async def every(seconds: float, work, what: str) -> None:
    """Run `work()` in a thread every `seconds` while the service runs (the sweep, the log's
    checkpoint); a failure is logged and the next turn tries again."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(work)
        except Exception as error:  # noqa: BLE001 - the store was unreachable or busy; the next turn tries again
            log.warning("%s: %s", what, error)


class Sweeper:
    def __init__(self, store, every: float, metrics=None):
        self.store, self.every, self.metrics = store, every, metrics

    async def run(self) -> None:
        await every(self.every, self.once, "sweep")

    def once(self) -> int:
        started = time.perf_counter()
        changed = self.store.sweep()
        if self.metrics is not None:
            self.metrics.sweep.observe(time.perf_counter() - started)
            self.metrics.swept.inc(changed)
        return changed
