"""The suite's own machinery for pytest-xdist: how many workers, which tests share one, and
ports that two workers never both take (tests/spread.py, tests/serving.py)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serving  # noqa: E402
from spread import pytest_xdist_auto_num_workers, worker_group  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def config(*args: str):
    return SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=ROOT))


@pytest.mark.parametrize("args", [("tests",), ("tests", "tests/test_spread.py"), ("tests/",)])
def test_a_run_over_a_folder_takes_every_core(args):
    assert pytest_xdist_auto_num_workers(config(*args)) >= 1


@pytest.mark.parametrize("args", [("tests/test_spread.py",), ("tests/test_spread.py::test_x", "tests/conftest.py")])
def test_a_run_of_named_files_is_serial(args):
    assert pytest_xdist_auto_num_workers(config(*args)) == 0


def item(path: str, name: str = "test_x", scopes: tuple = ("function",)):
    """What worker_group reads of a collected test."""
    definitions = {f"fixture{i}": [SimpleNamespace(scope=scope)] for i, scope in enumerate(scopes)}
    return SimpleNamespace(path=ROOT / path, name=name, nodeid=f"{path}::{name}",
                           _fixtureinfo=SimpleNamespace(name2fixturedefs=definitions))


def test_the_docs_commands_share_one_group():
    groups = {worker_group(item(f"tests/{name}")) for name in ("test_docs.py", "test_docs_outputs.py",
                                                               "test_serve_docs.py")}
    assert len(groups) == 1 and None not in groups


def test_the_spark_tests_share_one_group():
    assert worker_group(item("tests/test_a.py", "test_spark_x")) == worker_group(item("tests/test_b.py", "test_spark_y"))


def test_a_module_fixture_keeps_its_module_on_one_worker():
    assert worker_group(item("tests/test_a.py", scopes=("function", "module"))) == "tests/test_a.py"
    assert worker_group(item("tests/test_a.py", scopes=("function", "session"))) is None


def test_workers_draw_ports_from_separate_shares(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    for worker in range(3):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        ports = {serving.free_port() for _ in range(20)}
        assert {port % 3 for port in ports} == {worker} and ports <= set(serving.PORTS)


def test_a_service_whose_port_was_taken_starts_on_another(tmp_path, monkeypatch):
    """The port free_port gave is taken before the service binds it: it moves to a fresh one."""
    pytest.importorskip("fastapi")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], serving.free_port()])
        monkeypatch.setattr(serving, "free_port", lambda: next(ports))
        with serving.Service(serving.MODEL, "--store", f"sqlite:///{tmp_path / 'live.db'}", cwd=tmp_path) as service:
            assert service.port != taken.getsockname()[1]
            assert service.client().get("/healthz").status_code == 200
