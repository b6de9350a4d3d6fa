"""How the suite is spread over the cores: pytest-xdist, `-n auto --dist loadgroup` (pyproject's
addopts), with these hooks (registered by tests/conftest.py).

A run of the whole suite gets one worker per core; a run of named files is a plain serial run.
Tests that must share a process are put in one `xdist_group`, which loadgroup keeps on one
worker, in collection order; every other test goes to whichever worker is free.
"""

from __future__ import annotations

import os

import pytest

#: Modules whose commands run in the repository's root and write its out/ folder (the docs'
#: commands share names such as out/b2b.sql): their tests run in one group, one at a time.
IN_THE_ROOT = {"test_docs.py", "test_docs_outputs.py", "test_serve_docs.py"}
#: Fixtures that last longer than a test: a module using one is kept on one worker, in order.
SHARED_SCOPES = {"module", "package", "class"}


@pytest.hookimpl(optionalhook=True)          # a hook of pytest-xdist's: no error where it is missing
def pytest_xdist_auto_num_workers(config) -> int:
    """One worker per core when the run covers a folder (`pytest`, `pytest tests`); none, a
    plain serial run, when only files or tests are named (`pytest tests/test_x.py -x`)."""
    named = [config.invocation_params.dir / arg.split("::")[0] for arg in config.args]
    if named and not any(path.is_dir() for path in named):
        return 0
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Group the tests that must share a worker (xdist reads the group before it splits the run)."""
    for item in items:
        group = worker_group(item)
        if group and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))


def worker_group(item) -> str | None:
    """The docs' commands in the root share one group; the Spark tests (`test_spark...`) share one,
    so one JVM serves them all (a session is the process's: getOrCreate); a module with a
    module-scoped fixture is a group of its own, so the fixture starts once and its tests keep
    their order; any other test goes to whichever worker is free."""
    if item.path.name in IN_THE_ROOT:
        return "the-repository-root"
    if item.name.startswith("test_spark"):
        return "spark"
    if SHARED_SCOPES & fixture_scopes(item):
        return item.nodeid.split("::")[0]
    return None


def fixture_scopes(item) -> set[str]:
    """The scopes of the fixtures a test uses (the definition that applies to it: the last)."""
    info = getattr(item, "_fixtureinfo", None)
    return {defs[-1].scope for defs in info.name2fixturedefs.values() if defs} if info else set()
