"""examples/dbt built by a real dbt (dbt-duckdb) gives the Python runtime's results (issue 17 point 2).

The shipped project is copied into a temporary folder, its seeds are the b2b
example's CSV files, and its generated model is written for DuckDB (the
shipped one is Snowflake's) with a fixed `--now`. A `profiles.yml` written
here points dbt at a DuckDB file in the same folder. `dbt seed` loads the
seeds (the project reads them as sources, so `dbt build` does not order them
first), and `dbt build` builds the staging views and the `lead_scores` table
and runs the project's data tests; then each lead's row of `lead_scores` is compared with
`leadscore score --format csv` on the same files. dbt runs in a time zone
that is not UTC, and the events have one time without an offset whose
reading decides a lead's score, so the project's pre-hook
(macros/utc_session.sql) is what makes the scores agree.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlrows import assert_rows_match_csv  # tests/ is on sys.path (conftest.py)

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("dbt.adapters.duckdb")

from leadscore.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-11-20T00:00:00Z"
DBT = Path(sys.executable).with_name("dbt")       # the console script beside this interpreter

PROFILE = """leadscore_b2b:
  target: test
  outputs:
    test:
      type: duckdb
      path: "{path}"
      threads: 1
"""


# An hour before NOW in UTC, the language's reading of a time without an offset; after NOW in New
# York's zone, where dbt runs: counted only when the pre-hook has pinned the session to UTC.
LATE_VISIT = "L1,page_view,2026-11-19T23:00:00,/pricing,30,,,\n"


def run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def dbt(project: Path, *args) -> None:
    env = dict(os.environ, TZ="America/New_York", DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    done = subprocess.run([str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project),
                           "--no-version-check"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.skipif(not DBT.exists(), reason="dbt is not installed beside this Python (pip install dbt-duckdb)")
def test_dbt_build_of_the_example_gives_the_python_results(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "dbt", project)
    shutil.copy(EXAMPLES / "b2b/leads.csv", project / "seeds/b2b_leads.csv")
    events = project / "seeds/b2b_events.csv"
    events.write_text((EXAMPLES / "b2b/events.csv").read_text() + LATE_VISIT)
    run("sql", EXAMPLES / "b2b.score", "--dialect", "duckdb", "--dbt", "--dbt-ref", "stg_leads", "stg_events",
        "--now", NOW, "-o", project / "models/lead_scores.sql")
    database = tmp_path / "leadscore.duckdb"
    (project / "profiles.yml").write_text(PROFILE.format(path=database.as_posix()))

    dbt(project, "seed")          # the sources are the seeds (models/sources.yml): loaded before the build
    dbt(project, "build")

    expected = list(csv.DictReader(io.StringIO(run(
        "score", EXAMPLES / "b2b.score", "--leads", EXAMPLES / "b2b/leads.csv", "--events", events,
        "--now", NOW, "--engine", "python", "--format", "csv"))))
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute("SELECT * FROM lead_scores")
        columns = [d[0] for d in cursor.description]
        rows = {row[0]: dict(zip(columns, row)) for row in cursor.fetchall()}
    assert len(expected) == 300 and sorted(rows) == sorted(want["id"] for want in expected)
    assert_rows_match_csv(rows, expected, "examples/dbt built by dbt-duckdb")
