"""Fixtures and hooks shared by the test files."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The repository's root, and the data sets kept beside it (`<repo>/../shared/data`), never in it.
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data():
    """`shared_data("x-education-leads/Leads.csv")`: the file under `../shared/data`, or the test
    is skipped when this checkout has no such file beside it."""
    def locate(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.exists():
            pytest.skip(f"../shared/data/{relative} is not beside this checkout")
        return path
    return locate


# a real PostgreSQL server for the session (tests/pgserver.py); tests/ is not on sys.path under importlib mode
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgserver import postgres_server  # noqa: E402,F401


# how the suite is spread over the cores (tests/spread.py): pytest finds these hooks here
from spread import pytest_collection_modifyitems, pytest_xdist_auto_num_workers  # noqa: E402,F401
