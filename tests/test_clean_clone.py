"""Running as a fresh clone would: the executable found through the running interpreter, no
activated venv on PATH, and only the core dependencies (sqlglot belongs to the `sql` extra)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples" / "b2b.score"
NOW = "2026-11-20T00:00:00Z"
VENV_BIN = Path(sys.executable).parent


def bare_environment() -> dict:
    """This process's environment as a shell that never activated the venv has it: the venv's
    bin/ not on PATH, no VIRTUAL_ENV, no PYSPARK_PYTHON telling Spark which Python to start."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and Path(p).resolve() != VENV_BIN.resolve())
    return env


def leadscore(*args, cwd, blocked: str | None = None) -> subprocess.CompletedProcess:
    """`python -m leadscore ARGS` on this interpreter in a bare environment; `blocked`: a module
    made unimportable first, as if its extra were not installed."""
    if blocked is None:
        command = [sys.executable, "-m", "leadscore", *map(str, args)]
    else:
        code = (f"import sys; sys.modules[{blocked!r}] = None; sys.argv[0] = 'leadscore'; "
                "from leadscore.cli import entry; entry()")
        command = [sys.executable, "-c", code, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd, env=bare_environment())


def tiny_b2b(folder: Path, leads: int = 5) -> tuple:
    """The b2b example's first leads and their events only."""
    with open(ROOT / "examples" / "b2b" / "leads.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[: leads + 1]
    with open(ROOT / "examples" / "b2b" / "events.csv", newline="", encoding="utf-8") as f:
        events = list(csv.reader(f))
    ids = {row[0] for row in rows[1:]}
    lead_column = events[0].index("lead_id")
    paths = folder / "leads.csv", folder / "events.csv"
    for path, table in zip(paths, (rows, [events[0]] + [e for e in events[1:] if e[lead_column] in ids])):
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(table)
    return paths


def test_python_m_leadscore_is_the_cli(tmp_path):
    proc = leadscore("validate", MODEL, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


@pytest.mark.skipif(not spark_available(), reason="PySpark or Java not installed")
def test_spark_workers_run_the_drivers_interpreter(tmp_path):
    """The decay UDF's workers must start this interpreter (the one with leadscore), not the
    first `python3` on PATH: without the venv on PATH they died with "No module named 'leadscore'"."""
    leads, events = tiny_b2b(tmp_path)
    args = ["score", MODEL, "--leads", leads, "--events", events, "--now", NOW]
    spark, python = leadscore(*args, "--engine", "spark", cwd=tmp_path), leadscore(*args, cwd=tmp_path)
    assert spark.returncode == 0, spark.stderr[-2000:]
    assert spark.stdout == python.stdout and spark.stdout.count("\n") == 5


def test_core_commands_need_no_sqlglot(tmp_path):
    leads, events = tiny_b2b(tmp_path)
    assert leadscore("validate", MODEL, cwd=tmp_path, blocked="sqlglot").returncode == 0
    proc = leadscore("score", MODEL, "--leads", leads, "--events", events, "--now", NOW,
                     cwd=tmp_path, blocked="sqlglot")
    assert proc.returncode == 0 and proc.stdout.count("\n") == 5, proc.stderr


@pytest.mark.parametrize("args, extra", [
    (["sql", MODEL], "leadscore sql needs the SQL extra: pip install 'leadscore[sql]'"),
    (["score", MODEL, "--leads", ROOT / "examples" / "b2b" / "leads.csv", "--engine", "duckdb"],
     "--engine duckdb needs the SQL extra: pip install 'leadscore[duckdb]'"),
])
def test_sql_paths_without_sqlglot_say_which_extra(tmp_path, args, extra):
    proc = leadscore(*args, cwd=tmp_path, blocked="sqlglot")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"error: {extra}\n"


def test_core_dependencies_are_what_scoring_needs():
    """The quick start installs these (the default engine, DuckDB, among them) and nothing else;
    Spark, formats and tools are extras,
    all of them in `all`, and `test` is `all` and the test tools."""
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = re.compile(r"[A-Za-z0-9_.-]+")
    assert {name.match(d).group() for d in project["dependencies"]} == {"lark", "attrs", "click", "google-re2", "tqdm",
                                                                        "sqlglot", "duckdb"}   # the default engine
    extras = project["optional-dependencies"]
    assert extras["sql"] == [d for d in extras["sql"] if d.startswith("sqlglot")]
    every = set(extras) - {"all", "test"}
    assert extras["all"] == [f"leadscore[{','.join(sorted(every, key=list(extras).index))}]"]
    assert "leadscore[all]" in extras["test"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [e for e in extras if f"| `{e}` |" not in readme] == [], "README's Extras table lacks these"


def test_every_package_folder_is_installed():
    """pyproject.toml lists the packages (the folders map to one namespace), so a new package
    folder missing from the list works in an editable install and fails in `pip install .`."""
    import tomllib
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = set()
    for package, folder in setup["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *parts)))
    assert sorted(found - set(setup["packages"])) == [], "add these to [tool.setuptools] packages"
    assert sorted(set(setup["packages"]) - found) == [], "no such package folder"


def sh_blocks(text: str) -> list:
    return [b.strip() for b in re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)]


def test_ci_runs_the_readmes_two_commands():
    """.ci/run is the README's quick start and tests commands, verbatim, so CI proves what a newcomer runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = sh_blocks(readme.split("## Quick start", 1)[1])[0]
    tests = sh_blocks(readme.split("## Tests", 1)[1])[0]
    assert quick_start.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    assert tests == ".venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    commands = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith(("#", "set ", "cd ", ". .ci/"))]
    assert commands == [quick_start, tests]
