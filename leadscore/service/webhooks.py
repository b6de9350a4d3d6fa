"""Webhook delivery from the store's outbox (LIVE.md §5).

Every transition is POSTed to every configured webhook as JSON (the body of
`leadscore.live.outbox`), signed `X-Leadscore-Signature: sha256=<hex
HMAC-SHA256 of the raw body with the shared secret>`. A 2xx answer is a
delivery; anything else (another status, a refused connection, a timeout)
is retried with exponential backoff and jitter: the n-th retry waits
`min(1 h, 1 s × 2^n)` times a random factor in [0.5, 1.5), and retries
never stop, so a receiver down for a day or more gets everything once it
is back (the `leadscore_outbox_depth` metric shows what waits).

Up to PARALLEL POSTs are in flight at once, so a slow receiver does not
hold up a claim past its lease; deliveries come in no guaranteed order
(the body's `id` grows with the transition's place in history).

At least once, never exactly once: a transition is marked delivered when
every webhook has answered 2xx; a process killed between the POST and that
mark sends it again after its restart (or another process does, once the
claim's lease ends). Receivers deduplicate on the body's `id`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import logging
import time

import httpx

from ..live import outbox

BASE, CAP = 1.0, 3600.0
log = logging.getLogger("leadscore.serve")
LEASE = 60.0          # seconds a claim holds its rows: more than CLAIM / PARALLEL timeouts
CLAIM, PARALLEL = 50, 10


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def backoff(attempts: int, rng=random.random, base: float = BASE, cap: float = CAP) -> float:
    """Seconds before the next try after `attempts` failed ones (exponential, capped, jittered)."""
    return min(cap, base * 2 ** min(attempts, 32)) * (0.5 + rng())


def body_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Deliverer:
    """The delivery loop: claim what is due, POST it, settle each row."""

    def __init__(self, store, urls: list, secret: bytes, metrics=None, *, timeout: float = 10.0,
                 idle: float = 0.5, base: float = BASE):
        self.store, self.urls, self.secret, self.metrics = store, list(urls), secret, metrics
        self.timeout, self.idle, self.base = timeout, idle, base
        self.acked: dict = {}            # outbox seq → the webhooks that answered 2xx (this process)
        self._wake: asyncio.Event | None = None
        self._loop = None

    def wake(self) -> None:
        """Called from any thread after a write: look at the outbox now."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                try:
                    busy = await self.round(client)
                except Exception as error:  # noqa: BLE001 - the store was unreachable; try again later
                    log.warning("webhook delivery: %s", error)
                    busy = False
                if not busy:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.idle)
                    except asyncio.TimeoutError:
                        pass

    async def round(self, client) -> bool:
        """Deliver what is due; whether anything was."""
        now = time.time()
        if not await asyncio.to_thread(outbox.anything_due, self.store, now):
            return False
        claimed = await asyncio.to_thread(outbox.claim, self.store, now, LEASE, CLAIM)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(delivery):
            async with gate:
                await self.deliver(client, delivery)
        await asyncio.gather(*(one(delivery) for delivery in claimed))
        return bool(claimed)

    async def deliver(self, client, delivery) -> None:
        raw = body_bytes(delivery.body)
        headers = {"Content-Type": "application/json", "X-Leadscore-Signature": signature(self.secret, raw),
                   "X-Leadscore-Transition": delivery.body["id"], "User-Agent": "leadscore"}
        done = self.acked.setdefault(delivery.seq, set())
        errors = []
        for url in self.urls:
            if url in done:
                continue
            error = await _post(client, url, raw, headers)
            self._count("failed" if error else "delivered")
            if error:
                errors.append(f"{url}: {error}")
            else:
                done.add(url)
        if errors:
            wait = backoff(delivery.attempts, base=self.base)
            await asyncio.to_thread(outbox.retry_at, self.store, delivery.seq, time.time() + wait, "; ".join(errors))
        else:
            await asyncio.to_thread(outbox.delivered, self.store, delivery.seq)
            self.acked.pop(delivery.seq, None)

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.deliveries.labels(outcome).inc()


async def _post(client, url: str, raw: bytes, headers: dict) -> str | None:
    """None when the receiver took it (2xx), else why not."""
    try:
        answer = await client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
