"""The service's Prometheus metrics (LIVE.md §7), with the official client library.

Each app has its own registry, so several apps in one process (tests) keep
apart. Counters count what `POST /v1/events` and `/v1/segment` did with the
events; the outbox depth is read from the store when scraped. The client
library's own `python_gc_*` series show the garbage collector at work
(collector.py).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, GCCollector, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST

__all__ = ["Metrics", "CONTENT_TYPE_LATEST"]


class Metrics:
    def __init__(self, outbox_depth):
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter("leadscore_events_accepted", "events stored and scored", registry=r)
        self.duplicates = Counter("leadscore_events_duplicates", "events already stored (not scored again)",
                                  registry=r)
        self.rejected = Counter("leadscore_events_rejected", "event rows rejected", registry=r)
        self.scoring = Histogram("leadscore_scoring_seconds", "time of a write and its re-scoring", ["route"],
                                 registry=r)
        self.sweep = Histogram("leadscore_sweep_seconds", "time of a sweep",
                               buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, float("inf")), registry=r)
        self.swept = Counter("leadscore_sweep_leads_changed", "leads whose result a sweep changed", registry=r)
        self.deliveries = Counter("leadscore_webhook_deliveries", "webhook POSTs by outcome", ["outcome"],
                                  registry=r)
        self.outbox = Gauge("leadscore_outbox_depth", "transitions not yet delivered", registry=r)
        self.outbox.set_function(outbox_depth)
        GCCollector(registry=r)

    def count(self, report) -> None:
        self.accepted.inc(report.accepted)
        self.duplicates.inc(report.duplicates)
        self.rejected.inc(len(report.rejected))

    def text(self) -> bytes:
        return generate_latest(self.registry)
