"""The SQL backend agrees with the reference evaluator on generated models (issue 8).

The same generated models, leads and events as tests/test_differential.py
(tests/strategies.py) are converted by the Python readers, loaded into an
embedded DuckDB as the *prepared* relations (compiler/sql/), scored by the
model's query, and every part of every result compared with
tests/reference.py: score, tier, groups, stages, disqualification, tags,
campaigns, `clamped`, and each rule's points and reason. Numbers agree to
1e-9 (sums over events are SQL SUMs, whose order the engine picks). A model
the dialect refuses (`SqlUnsupported`, e.g. a regex construct) is not a
failure here; tests/test_sql.py checks refusals.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from hypothesis import Phase, given, settings

sys.path.insert(0, os.path.dirname(__file__))

import reference as ref  # noqa: E402
import strategies as S  # noqa: E402
from test_differential import SETTINGS, compare  # noqa: E402

if os.environ.get("NO_SHRINK"):            # while debugging: report the first failure at once
    SETTINGS = {**SETTINGS, "phases": [Phase.explicit, Phase.reuse, Phase.generate]}

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from leadscore.compiler.sql import to_sql  # noqa: E402
from leadscore.compiler.sql import SqlUnsupported  # noqa: E402
from leadscore.engines import open_engine  # noqa: E402
from leadscore.engines.duckdb import DuckDBEngine, score_prepared  # noqa: E402
from leadscore.engines.rows import json_line  # noqa: E402

ENGINE = None


def engine():
    global ENGINE
    if ENGINE is None:
        ENGINE = DuckDBEngine(threads=1)
    return ENGINE


def prepared_batch(checked, leads: list, events: list) -> list:
    """A batch's leads with their own events, typed by the Python readers."""
    return [ref.prepare(checked, lead,
                        [e for e in events if isinstance(e, dict) and e.get("lead_id") == lead["id"]],
                        S.NOW_US, lead_id=lead["id"])
            for lead in leads]


def check(text: str, checked, prepared: list, given_, runner=None) -> None:
    expected = ref.reference_score(checked, prepared, S.NOW_US)
    results = score_prepared(checked, prepared, S.NOW_US, runner or engine())
    assert [r.id for r in results] == [p.id for p in prepared]
    for result, want in zip(results, expected):
        actual = result.to_dict(explain=True)
        problems = compare(actual, want)
        assert not problems, (f"{(runner or engine()).dialect} disagrees with the reference:\n  " + "\n  ".join(problems)
                              + f"\n--- model ---\n{text}\n--- input ---\n{given_!r}\n--- duckdb ---\n{actual!r}"
                              f"\n--- reference ---\n{want!r}")
    if runner is None:
        check_json_text(checked, results)


def check_json_text(checked, results: list) -> None:
    """The result lines DuckDB writes itself (compiler/sql/jsonl.py) are the lines of its results."""
    sql = to_sql(checked, "duckdb", S.NOW_US, prepared=True, pretty=False, output_form="json")
    rows = list(engine().rows(sql, as_tuples=True))
    assert [lead_id for lead_id, _ in rows] == [r.id for r in results]
    for (lead_id, text), result in zip(rows, results):
        want = json.dumps(result.to_dict(), ensure_ascii=False)
        if text is not None:          # NULL: a number that is not finite; the batch builds that line
            assert json_line(lead_id, text, result.warnings, json.dumps(result.now)) == want


@settings(max_examples=int(os.environ.get("SQL_EXAMPLES", 200)), **SETTINGS)
@given(S.cases(max_leads=3, max_rules=8, max_events=10))
def test_duckdb_agrees_with_reference(case):
    gen, pairs = case
    checked = S.checked(gen.text).model
    for n, (lead, events) in enumerate(pairs):
        prepared = [ref.prepare(checked, lead, events, S.NOW_US, lead_id=f"L{n}")]
        check(gen.text, checked, prepared, (lead, events))


@settings(max_examples=int(os.environ.get("SQL_EXAMPLES", 100)), **SETTINGS)
@given(S.batches(max_leads=6, max_rules=7))
def test_duckdb_accounts_agree_with_reference(batch):
    gen, leads, events = batch
    checked = S.checked(gen.text).model
    check(gen.text, checked, prepared_batch(checked, leads, events), leads)


@settings(max_examples=int(os.environ.get("SQL_EXAMPLES", 50)), **SETTINGS)
@given(S.batches(max_leads=6, max_rules=7))
def test_duckdb_big_model_form_agrees_with_reference(batch):
    """The query DuckDB gets for a model of more than LIST_RULES rules (points, arms and disqualify
    flags as LIST items, tags and names by list functions) and for a sum of more than CHUNK terms
    (one LIST_REDUCE), forced here on small generated models: every construct, accounts included."""
    from unittest import mock

    from leadscore.compiler.sql import build, query
    gen, leads, events = batch
    checked = S.checked(gen.text).model
    with mock.patch.object(query, "LIST_RULES", 0), mock.patch.object(build, "CHUNK", 1):
        assert "LIST_VALUE" in to_sql(checked, "duckdb", S.NOW_US, prepared=True) or not list(checked.all_rules())
        check(gen.text, checked, prepared_batch(checked, leads, events), leads)


# ---- Spark: a smaller sample (its session takes ~15 s to start and each query seconds) ----------

def spark_available() -> bool:
    import shutil
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


SPARK = None


def spark_engine():
    global SPARK
    if SPARK is None:
        SPARK = open_engine("spark", master="local[2]")
    return SPARK


@pytest.mark.skipif(not spark_available(), reason="PySpark or Java not installed")
@settings(max_examples=int(os.environ.get("SPARK_EXAMPLES", 4)), **SETTINGS)
@given(S.batches(max_leads=5, max_rules=6))
def test_spark_agrees_with_reference(batch):
    gen, leads, events = batch
    checked = S.checked(gen.text).model
    try:
        check(gen.text, checked, prepared_batch(checked, leads, events), leads, spark_engine())
    except SqlUnsupported:          # a regex construct Java reads differently: refused, as it must be
        return
