"""The live store (LIVE.md §1–4, §6): leads, events, results, history and models in a database."""

from .models import ModelRefused
from .store import DEFAULT_URL, IngestReport, Store, StoreError

__all__ = ["Store", "StoreError", "IngestReport", "ModelRefused", "DEFAULT_URL"]
