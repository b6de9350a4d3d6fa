"""The printed `--dialect postgres` query run on a real PostgreSQL server (issue 17 point 2).

For every shipped example and a sample of generated models
(tests/strategies.py), the leads and events files are loaded as text tables
into the server of tests/pgserver.py, the query `leadscore sql MODEL
--dialect postgres --now NOW` prints is run, and each lead's row is compared
with `score --format csv` of the Python runtime on the same files (the
printed query drops warnings, docs/sql.md). A model the dialect refuses is
skipped, its refusal checked to be one line.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlrows import assert_rows_match_csv  # tests/ is on sys.path (conftest.py)
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, os.path.dirname(__file__))

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("sqlglot")

import strategies as S  # noqa: E402

from leadscore.cli import main  # noqa: E402
from leadscore.compiler.sql import col, dialect  # noqa: E402
from leadscore.compiler.sql.build import DATE_PATTERN, TIME_PATTERN  # noqa: E402
from leadscore.compiler.sql.stage import Stager  # noqa: E402
from leadscore.dsl import analyze_file, ir  # noqa: E402
from leadscore.runtime.values import BAD, to_date, to_time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-11-20T00:00:00Z"

# example → (leads, events, the leads' id column); files without an id get one (their row number)
SHIPPED = {
    "b2b.score": ("b2b/leads.csv", "b2b/events.csv", "id"),
    "saas.score": ("b2b/leads.csv", "b2b/events.csv", "id"),
    "x-education.score": ("data/x-education-sample.csv", None, "Prospect ID"),
    "bank-marketing.score": ("data/bank-marketing-sample.csv", None, None),
}


def run(*args) -> tuple:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def pg(postgres_server):
    with psycopg.connect(postgres_server.new_database("sqltest"), autocommit=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        yield con


def write_csv(path: Path, header: list, rows: list) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load(con, name: str, path: Path, needed: list) -> None:
    """The CSV file as a table of text columns named by its header, plus the `needed` columns it
    lacks, all NULL (the query reads every column the model declares; docs/sql.md)."""
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    con.execute(f"DROP TABLE IF EXISTS {quoted(name)}")
    con.execute(f"CREATE TABLE {quoted(name)} (" + ", ".join(f"{quoted(h)} text" for h in header) + ")")
    with con.cursor().copy(f"COPY {quoted(name)} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
        copy.write(path.read_bytes())
    for column in dict.fromkeys(c for c in needed if c not in header):
        con.execute(f"ALTER TABLE {quoted(name)} ADD COLUMN {quoted(column)} text")


def assert_postgres_scores_like_python(con, model: Path, leads: Path, events: Path, id_column: str = "id") -> None:
    code, sql, err = run("sql", model, "--dialect", "postgres", "--now", NOW, "--id-column", id_column)
    if code != 0:                   # refused for postgres: one line, never a wrong query
        assert "cannot write this model for postgres" in err and len(err.strip().splitlines()) == 1, err
        return
    code, out, err = run("score", model, "--leads", leads, "--events", events, "--now", NOW,
                         "--id-column", id_column, "--format", "csv")
    assert code in (0, 1), err                  # 1: some rows rejected; the others are scored
    expected = list(csv.DictReader(io.StringIO(out)))
    checked = analyze_file(str(model)).model
    load(con, "leads", leads, [id_column, *(f.column for f in checked.fields)])
    load(con, "events", events, ["lead_id", "type", "at", *(a.column for e in checked.events for a in e.attributes)])
    cursor = con.execute(sql)
    columns = [d.name for d in cursor.description]
    rows = {r[0]: dict(zip(columns, r)) for r in cursor.fetchall()}
    assert sorted(rows) == sorted(want["id"] for want in expected), model.read_text()
    assert_rows_match_csv(rows, expected, model.read_text())


def copy_with_ids(source: Path, target: Path) -> None:
    """The leads file with an `id` column (the row's number) in front; `,` as its delimiter."""
    text = source.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.splitlines()[0] else ","))
    write_csv(target, ["id", *rows[0]], [[str(n), *row] for n, row in enumerate(rows[1:], start=1)])


@pytest.mark.parametrize("example", sorted(SHIPPED))
def test_postgres_runs_the_printed_query_of_every_example(example, pg, tmp_path):
    leads, events, id_column = SHIPPED[example]
    leads = EXAMPLES / leads
    if id_column is None:
        copy_with_ids(leads, tmp_path / "leads.csv")
        leads, id_column = tmp_path / "leads.csv", "id"
    events = EXAMPLES / events if events else tmp_path / "events.csv"
    if not events.exists():
        write_csv(events, ["lead_id", "type", "at"], [])
    assert_postgres_scores_like_python(pg, EXAMPLES / example, leads, events, id_column)


def folds_outside_ascii(text: str) -> bool:
    """Has the text a letter beyond ASCII that case folding changes (`ß`, `Ü`)? SQL's LOWER folds it
    otherwise, and PostgreSQL without a locale not at all."""
    return any(not c.isascii() and c.casefold() != c for c in text)


def as_text(value) -> str:
    """A generated raw value as CSV text (both sides read the same file)."""
    return "" if value is None else str(value)


@settings(max_examples=int(os.environ.get("PG_EXAMPLES", 25)), deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(S.cases(max_leads=4, max_rules=8, max_events=8))
def test_postgres_agrees_with_python_on_generated_models(pg, tmp_path_factory, case):
    gen, pairs = case
    folder = tmp_path_factory.mktemp("pg")
    model = Path(S.LIST_DIR) / f"{folder.name}.score"         # beside the list files the model reads
    model.write_text(gen.text, encoding="utf-8")
    fields = list(dict.fromkeys(f.column for f in gen.schema.fields))
    attributes = list(dict.fromkeys(column for e in gen.schema.events for _, _, column in e.attributes
                                    if column not in ("lead_id", "type", "at")))
    lead_rows, event_rows = [], []
    for n, (lead, events) in enumerate(pairs):
        lead_rows.append([f"L{n}", *[as_text(lead.get(c)) for c in fields]])
        for event in events:
            if isinstance(event, dict):
                event_rows.append([f"L{n}", as_text(event.get("type")), as_text(event.get("at")),
                                   *[as_text(event.get(c)) for c in attributes]])
    values = [value for row in lead_rows + event_rows for value in row]
    if any("\x00" in value for value in values):
        return                      # PostgreSQL text cannot hold U+0000 (docs/sql.md)
    if any(folds_outside_ascii(text) for text in [gen.text, *values]):
        return                      # LOWER is not casefold: a documented difference (docs/sql.md)
    write_csv(folder / "leads.csv", ["id", *fields], lead_rows)
    write_csv(folder / "events.csv", ["lead_id", "type", "at", *attributes], event_rows)
    assert_postgres_scores_like_python(pg, model, folder / "leads.csv", folder / "events.csv")


def test_a_nul_in_a_model_is_refused_for_postgres(tmp_path):
    model = tmp_path / "nul.score"
    model.write_text('field x: text\nrule r: +1 when x == "a\\u0000b"\n')
    code, out, err = run("sql", model, "--dialect", "postgres")
    assert code == 1 and not out
    assert err.strip().splitlines() == [f"error: {model}: cannot write this model for postgres: a text with the "
                                        "character U+0000 cannot be run on postgres: PostgreSQL text cannot hold U+0000"]


# Text of TIME_PATTERN's shape that PostgreSQL's CAST refuses (stopping the query) or reads otherwise
# than Python: outside the calendar or the clock, a sign Python reads as the separator, `z`, offsets.
ODD_TIMES = ["2026-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "0000-01-01", "1900-02-29", "2000-02-29",
             "2024-02-29", "0001-01-01", "2026-11-19T24:00", "2026-11-19T23:60", "2026-11-19T23:59:60",
             "2026-11-19T10", "2026-11-19 10", "2026-11-19T10Z", "2026-11-19T10z", "2026-11-19Z", "2026-11-19+05",
             "2026-11-19-05:30", "2026-11-19+0560", "2026-11-19T10+05", "2026-11-19T10:00+05:99",
             "2026-11-19T10:00:00+24:00", "2026-11-19T10:00:00+23:59", "2026-11-19T10:00-00:30",
             "2026-11-19T10:05:06.5", "1969-12-31T23:59:59.999999", "9999-12-31T23:59:59-01:00",
             "0001-01-01T00:00+01:00"]


@pytest.mark.parametrize("type_", ["date", "time"])
def test_postgres_reads_times_as_python_does(pg, type_):
    read, pattern = {"date": (to_date, DATE_PATTERN), "time": (to_time, TIME_PATTERN)}[type_]
    texts = [t for t in ODD_TIMES if re.fullmatch(pattern, t)]
    stager = Stager(SimpleNamespace(d=dialect("postgres"), model=None))
    value = stager.converted(col("t"), {"date": ir.DATE, "time": ir.TIME}[type_]).sql(dialect="postgres")
    rows = ", ".join(f"({n}, '{t}')" for n, t in enumerate(texts))
    got = dict(pg.execute(f'SELECT "n", {value} FROM (VALUES {rows}) AS v("n", "t")').fetchall())
    want = {n: None if read(t) is BAD else read(t) for n, t in enumerate(texts)}
    assert {texts[n]: v for n, v in got.items()} == {texts[n]: v for n, v in want.items()}


def widest_fitting(limit: int) -> int:
    """The most rules `big_model` can have with its Postgres query printed (binary search)."""
    from test_sql_big_models import big_model
    from leadscore.compiler.sql import to_sql
    from leadscore.compiler.sql.dialects import SqlUnsupported
    from leadscore.dsl import analyze
    low, high = 100, limit                   # printed at `low`, refused at `high`
    while high - low > 1:
        middle = (low + high) // 2
        try:
            to_sql(analyze(big_model(middle)).model, "postgres", now=0)
            low = middle
        except SqlUnsupported:
            high = middle
    return low


def test_a_query_wider_than_postgres_allows_is_refused_and_the_widest_printed_runs(pg, tmp_path, monkeypatch):
    """PostgreSQL takes at most 1,664 columns in a SELECT, and every rule is a column of the
    layers: a model just under that prints and scores as Python does on the real server; one
    rule more is refused in one line, and its query, printed anyway, is refused by the server."""
    from test_sql_big_models import big_model
    from leadscore.compiler.sql import to_sql
    from leadscore.compiler.sql.dialects import Postgres
    from leadscore.dsl import analyze
    fits = widest_fitting(1664)
    assert 1000 <= fits < 1664
    rows = ["id,x,y"] + [f"L{i},v{i % 95},{i % 17}" for i in range(40)] + ["J,junk7,3", "E,,"]
    (tmp_path / "leads.csv").write_text("\n".join(rows) + "\n")
    visits = ["lead_id,type,at,page"] + [f"L{i % 9},visit,2026-{1 + i % 11:02d}-0{1 + i % 9}T10:00:00Z,/p{i}"
                                         for i in range(30)]
    (tmp_path / "events.csv").write_text("\n".join(visits) + "\n")
    model = tmp_path / "fits.score"
    model.write_text(big_model(fits))
    code, _sql, err = run("sql", model, "--dialect", "postgres", "--now", NOW)
    assert code == 0, err
    assert_postgres_scores_like_python(pg, model, tmp_path / "leads.csv", tmp_path / "events.csv")

    (tmp_path / "wide.score").write_text(big_model(fits + 1))
    code, _sql, err = run("sql", tmp_path / "wide.score", "--dialect", "postgres", "--now", NOW)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "postgres allows 1,664" in err, err
    monkeypatch.setattr(Postgres, "max_columns", None)
    wide = to_sql(analyze(big_model(fits + 1)).model, "postgres", now=0)
    with pytest.raises(psycopg.errors.TooManyColumns):
        pg.execute(wide)
