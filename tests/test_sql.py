"""The SQL backend end to end (issue 8): `leadscore sql`, `--engine duckdb|spark`, refusals, input staging.

- every shipped example prints valid SQL for every dialect (sqlglot re-parses it);
- DuckDB runs the printed (staged) query over the raw example files and gets
  the Python runtime's results, lead by lead; Spark does the same for b2b;
- `score --engine duckdb` (and `--engine spark`) writes byte-identical output,
  rejects and summary counts to `--engine python`, also on the bad-data files
  of tests/test_bad_data.py, with and without `--strict`, and on the real
  datasets in ../shared/data when present;
- a construct a dialect cannot run as the language says is refused with a
  clear error, never scored differently;
- the SQL staging of raw text converts values as runtime/schema.py does
  (hypothesis), and model text reaches the SQL only as literals.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlrows import assert_rows_match_csv  # tests/ is on sys.path (conftest.py)
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

duckdb = pytest.importorskip("duckdb")
sqlglot = pytest.importorskip("sqlglot")

import test_bad_data as bad_data  # noqa: E402

from leadscore.cli import main  # noqa: E402
from leadscore.compiler.sql import to_sql  # noqa: E402
from leadscore.compiler.sql import DIALECTS, SqlUnsupported, regex_gaps  # noqa: E402
from leadscore.dsl import analyze, analyze_file  # noqa: E402
from leadscore.engines.duckdb import DuckDBEngine  # noqa: E402
from leadscore.runtime import schema  # noqa: E402
from leadscore.runtime import values as v  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared" / "data"
NOW = "2026-11-20T00:00:00Z"
MODELS = sorted(p.name for p in EXAMPLES.glob("*.score"))

# (model, leads, events, extra options) the engines must agree on
RUNS = [
    ("b2b.score", "b2b/leads.csv", "b2b/events.csv", []),
    ("saas.score", "b2b/leads.csv", "b2b/events.csv", []),
    ("x-education.score", "data/x-education-sample.csv", None, ["--line-ids"]),
    ("bank-marketing.score", "data/bank-marketing-sample.csv", None, ["--line-ids"]),
]


def run(*args) -> tuple:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def summary_of(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if not line.startswith("time:"))


def score_with(engine: str, model: Path, leads: Path, events: Path | None, tmp: Path, *extra,
               explain: bool = True) -> dict:
    """One `score` run. Without `explain`, DuckDB writes the result lines itself (compiler/sql/jsonl.py)."""
    out, rejects = tmp / f"{engine}.jsonl", tmp / f"{engine}-rejects.jsonl"
    args = ["score", model, "--leads", leads, "--now", NOW, *(["--explain"] if explain else []), "-o", out,
            "--rejects", rejects, "--engine", engine, *extra]
    if events is not None:
        args += ["--events", events]
    code, _, stderr = run(*args)
    assert code == 0, stderr
    records = sorted(json.dumps(json.loads(line), sort_keys=True) for line in rejects.read_text().splitlines())
    summary = summary_of(stderr).replace(str(tmp / f"{engine}-rejects.jsonl"), "REJECTS")
    lead_rejects = [line for line in rejects.read_text().splitlines() if json.loads(line)["file"] == str(leads)]
    return {"output": out.read_bytes(), "rejects": records, "summary": summary, "lead_rejects": lead_rejects}


def assert_same_run(a: dict, b: dict) -> None:
    assert a["summary"] == b["summary"]
    assert a["rejects"] == b["rejects"]
    assert a["output"] == b["output"]


def assert_duckdb_runs_like_python(model, leads, events, tmp: Path, *extra) -> dict:
    """`--engine duckdb` and `--engine python` agree with and without `--explain` (the engine's
    two output paths), lead rejects in line order; returns the last Python run."""
    for explain in (True, False):
        duck = score_with("duckdb", model, leads, events, tmp, *extra, explain=explain)
        python = score_with("python", model, leads, events, tmp, *extra, explain=explain)
        assert_same_run(duck, python)
        assert duck["lead_rejects"] == python["lead_rejects"]
    return python


# ---- leadscore sql ------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_prints_a_query_every_dialect_parses(model, dialect):
    code, out, err = run("sql", EXAMPLES / model, "--dialect", dialect, "--now", NOW)
    assert code == 0, err
    tree = sqlglot.parse_one(out.rstrip().rstrip(";"), read=dialect)
    assert isinstance(tree, sqlglot.exp.Select)
    names = [c.alias_or_name for c in tree.expressions]
    assert names[:6] == ["id", "score", "tier", "qualified", "disqualified", "tags"]


def test_shipped_dbt_model_is_what_leadscore_writes(tmp_path, monkeypatch):
    """examples/dbt/models/lead_scores.sql is generated: regenerate it (examples/dbt/README.md)
    when the SQL backend changes."""
    target = tmp_path / "lead_scores.sql"
    monkeypatch.chdir(EXAMPLES.parent)          # the file names the model as the README's command does
    code, _, err = run("sql", "examples/b2b.score", "--dialect", "snowflake", "--dbt",
                       "--dbt-ref", "stg_leads", "stg_events", "-o", target)
    assert code == 0, err
    assert target.read_text() == (EXAMPLES / "dbt/models/lead_scores.sql").read_text()


def test_sql_dbt_model_wraps_the_query_in_refs(tmp_path):
    target = tmp_path / "lead_scores.sql"
    code, _, err = run("sql", EXAMPLES / "b2b.score", "--dialect", "snowflake", "--dbt",
                       "--dbt-ref", "stg_leads", "stg_events", "-o", target)
    assert code == 0, err
    text = target.read_text()
    assert "{{ ref('stg_leads') }}" in text and "{{ ref('stg_events') }}" in text
    body = "\n".join(line for line in text.splitlines() if "{{" not in line and not line.startswith("--"))
    body = "with leads as (select 1 as id), events as (select 1 as lead_id)," + body.split("scored as (", 1)[0] \
        + "scored as (" + body.split("scored as (", 1)[1]
    sqlglot.parse_one(body, read="snowflake")


def test_sql_of_an_invalid_model_is_the_diagnostics(tmp_path):
    model = tmp_path / "bad.score"
    model.write_text("field a: number\nrule r: +1 when b > 1\n")
    code, _, err = run("sql", model)
    assert code == 1 and "unknown" in err and "bad.score:2:" in err


@pytest.mark.parametrize("model", ["b2b.score"])
def test_duckdb_runs_the_printed_query_over_raw_files(model, tmp_path):
    """The staged query (what a warehouse runs) gives the Python runtime's results, lead by lead."""
    code, sql, err = run("sql", EXAMPLES / model, "--dialect", "duckdb", "--now", NOW)
    assert code == 0, err
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE leads AS SELECT * FROM read_csv($1, all_varchar=true)", [str(EXAMPLES / "b2b/leads.csv")])
    con.execute("CREATE TABLE events AS SELECT * FROM read_csv($1, all_varchar=true)", [str(EXAMPLES / "b2b/events.csv")])
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    rows = {r[0]: dict(zip(columns, r)) for r in cursor.fetchall()}
    code, out, err = run("score", EXAMPLES / model, "--leads", EXAMPLES / "b2b/leads.csv", "--events",
                         EXAMPLES / "b2b/events.csv", "--now", NOW, "--format", "csv")
    import csv
    import io
    expected = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(expected) == 300
    assert set(expected[0]) - set(columns) == {"warnings"}     # the printed query drops them (docs/sql.md)
    assert_rows_match_csv(rows, expected)


# ---- refusals ------------------------------------------------------------------------

REGEX_MODEL = 'field title: text\nrule r: +5 when title matches "{pattern}"\n'


@pytest.mark.parametrize("pattern, refused_by", [
    (r"(?P<word>vp)", {"spark", "postgres", "snowflake"}),
    (r"\bvp\b", {"postgres", "snowflake"}),
    (r"[[:digit:]]+", {"spark"}),
    (r"v.+?p", {"snowflake"}),
    (r"(?:vp|chief)", {"snowflake"}),
    (r"vp|chief", set()),
    (r"^[a-z0-9]+$", set()),
])
def test_regex_constructs_a_dialect_reads_differently_are_refused(pattern, refused_by, tmp_path):
    model = tmp_path / "m.score"
    model.write_text(REGEX_MODEL.format(pattern=pattern.replace("\\", "\\\\")))
    for dialect in DIALECTS:
        code, out, err = run("sql", model, "--dialect", dialect)
        if dialect in refused_by:
            assert code == 1 and f"cannot write this model for {dialect}" in err and "matches" in err, err
        else:
            assert code == 0, (dialect, err)
            assert pattern in out or pattern.replace("\\", "\\\\") in out


def test_engine_refusal_is_an_error_not_a_different_score(tmp_path):
    model = tmp_path / "m.score"
    model.write_text(REGEX_MODEL.format(pattern=r"(?P<w>vp)"))
    assert regex_gaps(r"(?P<w>vp)", "spark")
    checked = analyze(model.read_text(), "m.score").model
    with pytest.raises(SqlUnsupported):
        to_sql(checked, "spark", 0)
    assert to_sql(checked, "duckdb", 0)


# ---- --engine duckdb == --engine python ----------------------------------------------

@pytest.mark.parametrize("model, leads, events, extra", RUNS)
def test_duckdb_engine_output_is_byte_identical(model, leads, events, extra, tmp_path):
    paths = (EXAMPLES / model, EXAMPLES / leads, EXAMPLES / events if events else None)
    assert_duckdb_runs_like_python(*paths, tmp_path, *extra)


def test_duckdb_engine_that_cannot_write_json_builds_the_lines_itself(tmp_path, monkeypatch):
    """When DuckDB's number text is not Python's (`writes_json` false), the results come back
    as rows and `ResultLines` writes them: the same bytes."""
    monkeypatch.setattr(DuckDBEngine, "writes_json", lambda self: False)
    duck = score_with("duckdb", EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv", EXAMPLES / "b2b/events.csv",
                      tmp_path, explain=False)
    python = score_with("python", EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv", EXAMPLES / "b2b/events.csv",
                        tmp_path, explain=False)
    assert_same_run(duck, python)


@pytest.mark.parametrize("strict", [False, True])
def test_duckdb_engine_loses_nothing_on_bad_data(strict, tmp_path):
    model = tmp_path / "model.score"
    model.write_text(bad_data.MODEL)
    leads = bad_data.write_bytes(tmp_path / "leads.csv", bad_data.LEADS_CSV, True, "\r\n")
    events = bad_data.write_bytes(tmp_path / "events.csv", bad_data.EVENTS_CSV)
    extra = ["--strict"] if strict else []
    python = assert_duckdb_runs_like_python(model, leads, events, tmp_path, *extra)
    assert len(python["rejects"]) >= 16          # the fixture's bad rows really were there


def test_duckdb_engine_reads_json_lines_events(tmp_path):
    events = tmp_path / "events.jsonl"
    import csv
    with open(EXAMPLES / "b2b/events.csv", encoding="utf-8") as handle:
        events.write_text("".join(json.dumps(row) + "\n" for row in csv.DictReader(handle)))
    paths = (EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv", events)
    assert_same_run(score_with("duckdb", *paths, tmp_path), score_with("python", *paths, tmp_path))


@pytest.mark.parametrize("typed_events", [False, True])
def test_duckdb_engine_reads_parquet_like_python(typed_events, tmp_path):
    """Parquet files with text columns are read by DuckDB itself; one with typed columns (here a
    TIMESTAMPTZ `at`) goes through the Python reader. Either way, the Python engine's output."""
    pytest.importorskip("pyarrow")
    con = duckdb.connect()
    leads, events = tmp_path / "leads.parquet", tmp_path / "events.parquet"
    con.execute(f"COPY (SELECT * FROM read_csv('{EXAMPLES / 'b2b/leads.csv'}', all_varchar=true)) "
                f"TO '{leads}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM read_csv('{EXAMPLES / 'b2b/events.csv'}', all_varchar={not typed_events})) "
                f"TO '{events}' (FORMAT parquet)")
    engine = DuckDBEngine()
    assert engine.load_raw(str(leads), "parquet", "raw", None) == 0
    assert (engine.load_raw(str(events), "parquet", "raw", None) is None) == typed_events
    paths = (EXAMPLES / "b2b.score", leads, events)
    assert_duckdb_runs_like_python(*paths, tmp_path)


def test_duckdb_engine_words_unreadable_files_as_python_does(tmp_path):
    """A missing or broken file is the Python reader's one-line error, not an engine's."""
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    model, leads = EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv"
    for args in (["--leads", leads, "--events", tmp_path / "missing.csv"], ["--leads", tmp_path / "missing.csv"],
                 ["--leads", leads, "--events", broken], ["--leads", broken]):
        results = [run("score", model, *args, "--now", NOW, "-o", tmp_path / "out.jsonl", "--engine", engine)
                   for engine in ("python", "duckdb")]
        assert results[0][0] == results[1][0] == 1
        assert results[0][2] == results[1][2] and results[0][2].startswith("error: cannot read")


@pytest.mark.skipif(not (SHARED / "uci-bank-marketing").exists(), reason="../shared/data not present")
def test_duckdb_engine_agrees_on_the_real_bank_data(tmp_path):
    paths = (EXAMPLES / "bank-marketing.score", SHARED / "uci-bank-marketing/bank-additional-full.csv", None)
    assert_same_run(score_with("duckdb", *paths, tmp_path, "--line-ids"),
                    score_with("python", *paths, tmp_path, "--line-ids"))


@pytest.mark.skipif(not (SHARED / "x-education-leads").exists(), reason="../shared/data not present")
def test_duckdb_engine_agrees_on_the_real_x_education_data(tmp_path):
    paths = (EXAMPLES / "x-education.score", SHARED / "x-education-leads/Leads.csv", None)
    opts = ("--id-column", "Prospect ID")
    assert_same_run(score_with("duckdb", *paths, tmp_path, *opts), score_with("python", *paths, tmp_path, *opts))


def test_backtest_with_the_duckdb_engine_reports_the_same(tmp_path):
    args = ["backtest", EXAMPLES / "x-education.score", "--leads", EXAMPLES / "data/x-education-sample.csv",
            "--line-ids", "--outcome", "Converted", "--now", NOW, "--format", "json"]
    code_p, out_p, err_p = run(*args)
    code_d, out_d, err_d = run(*args, "--engine", "duckdb")
    assert code_p == code_d == 0, err_d
    assert json.loads(out_p) == json.loads(out_d)


# ---- Spark -----------------------------------------------------------------------------

def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


spark_only = pytest.mark.skipif(not spark_available(), reason="PySpark or Java not installed")


@pytest.fixture(scope="module")
def spark_engine(tmp_path_factory):
    """The module's Spark session, started in an empty working directory that it must leave
    empty (Spark's warehouse folder goes to a temporary folder)."""
    from leadscore.engines.spark import SparkEngine
    where, before = tmp_path_factory.mktemp("spark-cwd"), os.getcwd()
    os.chdir(where)
    try:
        engine = SparkEngine("local[2]")
        engine.spark.sql("SELECT 1").collect()
    finally:
        os.chdir(before)
    assert list(where.iterdir()) == []
    return engine


@spark_only
def test_spark_engine_gives_the_python_results(spark_engine, tmp_path):
    """`--engine spark` on the shipped b2b example, byte for byte (the session is the fixture's:
    getOrCreate). Decay factors come from `leadscore.engines.spark.python_pow`: Spark's POWER differed from
    C's pow in the last bit for 51 of these 300 leads."""
    paths = (EXAMPLES / "b2b.score", EXAMPLES / "b2b/leads.csv", EXAMPLES / "b2b/events.csv")
    assert_same_run(score_with("spark", *paths, tmp_path), score_with("python", *paths, tmp_path))


@spark_only
def test_spark_runs_the_printed_query_over_raw_files(spark_engine):
    checked = analyze_file(EXAMPLES / "b2b.score").model
    sql = to_sql(checked, "spark", v.parse_iso_time(NOW), pretty=False)
    spark = spark_engine.spark
    for name in ("leads", "events"):
        spark.read.csv(str(EXAMPLES / f"b2b/{name}.csv"), header=True, multiLine=True, escape='"') \
            .createOrReplaceTempView(name)
    rows = {r["id"]: r.asDict() for r in spark.sql(sql).collect()}
    code, out, err = run("score", EXAMPLES / "b2b.score", "--leads", EXAMPLES / "b2b/leads.csv", "--events",
                         EXAMPLES / "b2b/events.csv", "--now", NOW)
    expected = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(expected) == 300
    for want in expected:
        got = rows[want["id"]]
        assert abs(got["score"] - want["score"]) <= 1e-9 * max(1.0, abs(want["score"]))   # Spark's pow: 1 ulp
        assert (got["tier"], got["qualified"], got["tags"]) == (want["tier"], ";".join(want["qualified"]),
                                                                ";".join(want["tags"]))


SLOW_REGEX_MODEL = """field x: text
rule r1: +1 when x matches "(a|aa)+$"
rule r2: +2 when x matches "^(a+)+b"
rule r3: +4 when x matches "(?P<word>vp)"
"""


@spark_only
def test_spark_engine_runs_matches_in_linear_time(spark_engine, tmp_path):
    """Java's regex backtracks: RLIKE `(a|aa)+$` on 30,000 characters overflowed its stack and
    `^(a+)+b` on 40 `a`s ran for minutes. `--engine spark` runs `matches` through RE2
    (`leadscore_matches`), so it takes Python's time and answers, and a pattern RLIKE would read
    differently (a named group) is not refused there."""
    model, leads = tmp_path / "slow.score", tmp_path / "leads.csv"
    model.write_text(SLOW_REGEX_MODEL)
    leads.write_text(f"id,x\nA,{'a' * 30000}\nB,{'a' * 40}c\nC,{'a' * 40}b\nD,the vp\n")
    python = score_with("python", model, leads, None, tmp_path)
    assert_same_run(score_with("spark", model, leads, None, tmp_path), python)
    assert [json.loads(line)["score"] for line in python["output"].splitlines()] == [1.0, 0.0, 2.0, 4.0]
    code, sql, err = run("sql", model, "--dialect", "spark")
    assert code == 1 and "(?P<name>" in err          # the printed query keeps RLIKE, and its refusals


# ---- input staging == runtime/schema.py ------------------------------------------------

STAGE_MODEL = """
field t: text, unknown "Select", "N/A"
field n: number, unknown 999, "unknown"
field b: bool
field d: date
field w: time
"""
RAW = st.one_of(
    st.sampled_from(["", " ", "\t", "Select", " select ", "N/A", "999", "999.0", " 42 ", "1e3", "-0", "2.5",
                     ".5", "5.", "+7", "1_000", "abc", "yes", "No", " Y ", "n", "1", "0", "TRUE", "maybe",
                     "2026-01-01", " 2026-11-19 ", "2026-02-30", "2026-13-01", "01/02/2026",
                     "2026-11-19T10:00:00Z", "2026-11-01T00:00:00", "2026-11-18 23:59:59+02:00",
                     "2026-11-19T10:00:00.25+05:30", "2026-11-19T10:00", "yesterday", "Ünïcode", "ÉCOLE"]),
    st.text(alphabet="abcXYZ019 .+-:eT", max_size=12))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({k: RAW for k in "tnbdw"}), min_size=1, max_size=8))
def test_sql_staging_converts_like_the_python_readers(rows):
    checked = analyze(STAGE_MODEL, "stage.score").model
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute('CREATE TABLE leads (id VARCHAR, t VARCHAR, n VARCHAR, b VARCHAR, d VARCHAR, w VARCHAR)')
    con.executemany("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?)",
                    [[f"L{i}"] + [row[k] for k in "tnbdw"] for i, row in enumerate(rows)])
    con.execute('CREATE TABLE events (lead_id VARCHAR, "type" VARCHAR, "at" VARCHAR)')
    sql = to_sql(checked, "duckdb", 0)
    prefix = sql[: sql.rindex("\nSELECT")]
    got = {r[0]: r[1:] for r in con.execute(prefix + '\nSELECT "__id", ' + ", ".join(
        f'"f{i}", "w{i}"' for i in range(5)) + ' FROM "staged_leads"').fetchall()}
    for i, row in enumerate(rows):
        lead = schema.LeadReader(checked.fields).read(f"L{i}", row)
        values = got[f"L{i}"]
        for k, field in enumerate(checked.fields):
            want = lead.values[field.name]
            bad = any(w.startswith(f"field `{field.name}`") for w in lead.warnings)
            assert values[2 * k] == want, (field.name, row[field.name], values[2 * k], want)
            assert (values[2 * k + 1] is not None) == bad, (field.name, row[field.name])


ENGINE_LEAD_MODEL = STAGE_MODEL + """
rule texts: +1 when t == "abc"
rule numbers: +2 when n > 10
rule yes: +4 when b
rule day: +8 when days_since(d) < 400
rule moment: +16 when w is known
"""
LEAD_ID = st.sampled_from(["L1", "L2", "L3", " L1 ", "", " ", "Ü1"])


@settings(max_examples=int(os.environ.get("SQL_EXAMPLES", 40)), deadline=None)
@given(st.lists(st.tuples(LEAD_ID, st.fixed_dictionaries({k: RAW for k in "tnbdw"})), min_size=1, max_size=8),
       st.booleans())
def test_duckdb_engine_reads_generated_lead_files_like_python(rows, strict):
    """Lead CSV files the engine reads itself (`checked_leads`): the same results, rejects (in line
    order) and summary as the Python batch, for blanks, sentinels, duplicates and bad values."""
    import csv
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        model = tmp / "model.score"
        model.write_text(ENGINE_LEAD_MODEL, encoding="utf-8")
        leads = tmp / "leads.csv"
        with open(leads, "w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["id", *"tnbdw"])
            out.writerows([lead_id, *[row[k] for k in "tnbdw"]] for lead_id, row in rows)
        extra = ["--strict"] if strict else []
        duck = score_with("duckdb", model, leads, None, tmp, *extra, explain=False)
        python = score_with("python", model, leads, None, tmp, *extra, explain=False)
        assert_same_run(duck, python)
        assert duck["lead_rejects"] == python["lead_rejects"]


def test_model_text_reaches_the_sql_only_as_literals():
    hostile = "x'; DROP TABLE leads; --\\\" \u202e"
    text = (f'field title: text\nlist l = ["{hostile}"]\n'
            f'rule r: +5 when title == "{hostile}", because "{hostile}"\n'
            f'rule s: +5 when title in l\n')
    checked = analyze(text, "h.score").model
    for dialect in DIALECTS:
        sql = to_sql(checked, dialect, 0)
        statements = sqlglot.parse(sql, read=dialect)
        assert len(statements) == 1 and isinstance(statements[0], sqlglot.exp.Select)
        tables = {t.name for t in statements[0].find_all(sqlglot.exp.Table)}
        ctes = {c.alias for c in statements[0].find_all(sqlglot.exp.CTE)}
        assert tables <= ctes | {"leads", "events"}
        literals = [lit.this for lit in statements[0].find_all(sqlglot.exp.Literal) if lit.is_string]
        value = v.fold(hostile.replace('\\"', '"'))          # the .score string `\"` is a quote
        assert value in literals, (dialect, literals)


ODD_MODEL = """
field name: text
event visit(page: text, seconds: number, seen: time, ok: bool)
rule strasse: +5 each visit[page == "Straße"]
rule long: +1 each visit[seconds >= 10]
rule recent: +3 each visit[seen > "2026-11-01"]
rule fine: +2 each visit[ok]
rule any_visit: +1 when any visit
"""

ODD_EVENTS = (
    "lead_id,type,at,page,seconds,seen,ok\n"
    "A,visit,2026-11-19T10,straße,12,2026-11-19T10,yes\n"        # hour-only time: Python reads it
    "A,visit,2026-11-19T24:00,STRASSE,3,,no\n"                   # hour 24: Python does not
    "A,visit,2026-11-19T10:00:00.1234567Z,İstanbul,1,,ja\n"      # 7 fraction digits
    "A,visit,20261119T100000Z,x,1,20261119T100000Z,1\n"          # basic format
    "A,visit,2026-11-19T10:00:00+0530,Straße,10,2026-11-18,ÿes\n"
    "B,visit,2026-11-19 10:00:00,ﬁne,20,2026-11-02T00:00:00Z,TRUE\n"
    "B,visit,2026-11-19T10:00:00z,a,1,,\n"
)


ODD_LEAD_MODEL = """
field name: text
field size: number, unknown "N/A"
field seen: time
field ok: bool
field day: date
rule strasse: +5 when name == "Straße"
rule big: +1 when size >= 10
rule recent: +3 when seen > "2026-11-01"
rule fine: +2 when ok
rule new: +4 when days_since(day) <= 30
event visit
rule visited: +1 each visit
"""

ODD_LEADS = (
    "id,name,size,seen,ok,day\n"
    "A,straße,12,2026-11-19T10,yes,2026-11-01\n"          # hour-only time: Python reads it
    "B,STRASSE,N/A,2026-11-19T24:00,no,2026-11-01\n"       # hour 24: Python does not
    "C,İstanbul,1e3,2026-11-19T10:00:00.1234567Z,ja,x\n"   # 7 fraction digits; not a date
    "D,x, 12 ,20261119T100000Z,1,20261101\n"               # basic format
    "A,dup,1,,,\n"                                         # duplicate id
    " ,blank id,1,,,\n"
    "E,Straße,ten,2026-11-19T10:00:00+0530,ÿes,2026-11-02\n"
    "F,ﬁne,20,2026-11-19 10:00:00,TRUE,2026-11-19\n"
    "G,\"quoted\nnewline\",3,,,\n"
    "D,again,2,,,\n"
    "H,short\n"
    "I,a,1,,,,extra\n"
    "J,plain,11,2026-11-02T00:00:00Z,false,2026-11-10\n"
)


@pytest.mark.parametrize("strict", [False, True])
def test_duckdb_engine_reads_odd_lead_rows_exactly_like_python(strict, tmp_path):
    """Leads the engine reads itself: duplicates, missing ids, bad and odd values, short and long rows."""
    model = tmp_path / "odd.score"
    model.write_text(ODD_LEAD_MODEL, encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text(ODD_LEADS, encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text("lead_id,type,at\nA,visit,2026-11-01T00:00:00Z\nC,visit,2026-11-02T00:00:00Z\n"
                      "E,visit,2026-11-03T00:00:00Z\nH,visit,2026-11-03T00:00:00Z\n", encoding="utf-8")
    extra = ["--strict"] if strict else []
    python = assert_duckdb_runs_like_python(model, leads, events, tmp_path, *extra)
    assert len(python["rejects"]) >= 5


def test_duckdb_engine_reads_odd_rows_exactly_like_python(tmp_path):
    """Times outside the forms every engine reads alike, and non-ASCII text, go through the Python reader."""
    model = tmp_path / "odd.score"
    model.write_text(ODD_MODEL, encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text("id,name\nA,Ann\nB,Bob\n", encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(ODD_EVENTS, encoding="utf-8")
    python = score_with("python", model, leads, events, tmp_path)
    assert_same_run(score_with("duckdb", model, leads, events, tmp_path), python)
    as_json = tmp_path / "events.jsonl"
    import csv
    with open(events, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["seconds"] = float(row["seconds"]) if row["seconds"] else None      # typed values, as JSON has them
    as_json.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert_same_run(score_with("duckdb", model, leads, as_json, tmp_path),
                    score_with("python", model, leads, as_json, tmp_path))


# ---- U+0000 in a model's text ----------------------------------------------------------

NUL_MODEL = 'field x: text\nrule r: +1 when x == "a\\u0000b"\nrule s: +2 when x in ["\\u0000", "c"]\n'


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_nul_in_a_model_is_written_as_the_dialect_reads_it_or_refused(dialect, tmp_path):
    """Never a raw NUL in the query: DuckDB and Spark join the text with CHR(0), Snowflake and BigQuery
    take sqlglot's `\\x00` escape (read back here as U+0000), Postgres refuses in one line."""
    model = tmp_path / "nul.score"
    model.write_text(NUL_MODEL)
    code, out, err = run("sql", model, "--dialect", dialect, "--now", NOW)
    if dialect == "postgres":
        assert code == 1 and err.count("\n") == 1 and "cannot hold U+0000" in err
        return
    assert code == 0, err
    assert "\x00" not in out
    texts = {lit.this for lit in sqlglot.parse_one(out.rstrip().rstrip(";"), read=dialect).find_all(sqlglot.exp.Literal)
             if lit.is_string}
    if dialect in ("duckdb", "spark"):
        assert "CHR(0)" in out and not any("\x00" in t for t in texts)
    else:
        assert {"a\x00b", "\x00"} <= texts


def test_duckdb_scores_a_nul_in_a_model_as_python_does(tmp_path):
    model, leads = tmp_path / "nul.score", tmp_path / "leads.jsonl"
    model.write_text(NUL_MODEL)
    leads.write_text("".join(json.dumps({"id": i, "x": x}) + "\n" for i, x in
                             [("A", "a\x00b"), ("B", "\x00"), ("C", "ab"), ("D", "c")]))
    code, sql, err = run("sql", model, "--dialect", "duckdb", "--now", NOW)
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT * FROM (VALUES ('A', 'a' || chr(0) || 'b'), ('B', chr(0)), "
                "('C', 'ab'), ('D', 'c')) AS t(id, x)")
    con.execute('CREATE TABLE events ("lead_id" VARCHAR, "type" VARCHAR, "at" VARCHAR)')
    scores = {row[0]: row[1] for row in con.execute(sql.rstrip().rstrip(";")).fetchall()}
    assert scores == {"A": 1.0, "B": 2.0, "C": 0.0, "D": 2.0}
    python = score_with("python", model, leads, None, tmp_path)
    assert_same_run(score_with("duckdb", model, leads, None, tmp_path), python)
    assert [json.loads(line)["score"] for line in python["output"].splitlines()] == [1.0, 2.0, 0.0, 2.0]
