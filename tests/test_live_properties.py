"""The one promise (LIVE.md §1), generated: any model, leads, field changes and events, delivered
in any order with duplicates and in chunks, give the batch's results byte for byte (SQLite)."""

from __future__ import annotations

import os
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("sqlalchemy")
sys.path.insert(0, os.path.dirname(__file__))

from live_check import check, deliveries  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(deliveries())
def test_live_store_equals_the_batch_on_sqlite(drawn):
    model, chunks = drawn
    with tempfile.TemporaryDirectory() as folder:
        check(f"sqlite:///{os.path.join(folder, 'live.db')}", model, chunks)
