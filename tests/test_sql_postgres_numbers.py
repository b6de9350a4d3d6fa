"""Number texts beyond a double on a real PostgreSQL server: no CAST that raises (issue 17, point 2).

PostgreSQL has no TRY_CAST, and its CAST to a double raises for a text
beyond the double range (`1e999`) and for one that rounds to zero
(`1e-400`), which would stop the whole printed query. The staging of
compiler/sql/pgnumber.py reads every text of NUMBER_PATTERN's shape as
`runtime.values.text_number` does: the same double (the sign of a zero
too), unknown with a warning where Python's `float` is not finite. Checked
here on the server of tests/pgserver.py, for listed edge texts, for texts
hypothesis writes around the two boundaries in many spellings, and through
`leadscore sql --dialect postgres` end to end.
"""

from __future__ import annotations

import csv
import io
import math
import os
from decimal import Decimal, localcontext
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("sqlglot")

from leadscore.cli import main  # noqa: E402
from leadscore.compiler.sql import col, dialect  # noqa: E402
from leadscore.compiler.sql.pgnumber import OVERFLOW, UNDERFLOW  # noqa: E402
from leadscore.compiler.sql.stage import Stager  # noqa: E402
from leadscore.dsl import ir  # noqa: E402
from leadscore.runtime.values import BAD, NUMBER_PATTERN, text_number  # noqa: E402

with localcontext() as _context:
    _context.prec = 2000
    HALF_SUBNORMAL = Decimal(2) ** -1075                # up to it, a decimal rounds to zero
    INFINITE = Decimal(2) ** 1024 - Decimal(2) ** 970   # from it on, to infinity
    assert Decimal(OVERFLOW) == INFINITE and Decimal(UNDERFLOW) == HALF_SUBNORMAL
    # just beside each boundary, exactly
    BESIDE = [format(HALF_SUBNORMAL - Decimal("1e-1200"), "f"), format(HALF_SUBNORMAL + Decimal("1e-1200"), "f"),
              format(INFINITE - Decimal("1e-900"), "f"), format(INFINITE + Decimal("1e-900"), "f")]

EDGES = ["1e999", "-1e999", "1e-400", "-1e-400", "1e100000", "1e-100000", "-1e-100000", "1e308", "1e309",
         "1e-323", "1e-324", "-1e-324", "4e-324", "5e-324", "2.4703282292062328e-324", "2.4703282292062327e-324",
         str(HALF_SUBNORMAL), "-" + str(HALF_SUBNORMAL), format(HALF_SUBNORMAL, "f"),
         format(HALF_SUBNORMAL, "f") + "1", "-" + format(HALF_SUBNORMAL, "f") + "0001",     # the tie, just above it
         "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "-1.797693134862315807e308",
         str(INFINITE.to_integral()), *BESIDE,
         "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9406564584124654e-324",
         "1e99999999999999999999999999", "1e-99999999999999999999999999", "-1e+99999999999999999999999999",
         "0e99999999999999999999999", "-0e-99999999999999999999999", "-0", "+0", "-0.0", ".0", "0.", "-.0e5",
         "0." + "0" * 2000 + "1e2001", "1" + "0" * 400 + "e-400", "0." + "0" * 400 + "1e400", "1" * 500,
         "1." + "5" * 3000, "9" * 309, "9" * 308 + ".9", "1e+" + "0" * 50 + "5", "1e-" + "0" * 50 + "5",
         "1e" + "0" * 300 + "309", "12", "-3.5", ".5e-3", "1E3", "+7.", "1e-0", "123456789012345678901234567890"]


@pytest.fixture(scope="module")
def pg(postgres_server):
    with psycopg.connect(postgres_server.new_database("numbers"), autocommit=True) as con:
        yield con


def python_value(text: str):
    value = text_number(text)
    return None if value is BAD else value


def same(a, b) -> bool:
    """Equal doubles with the same sign (0.0 is not -0.0), or both unknown."""
    if a is None or b is None:
        return a is None and b is None
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def on_postgres(con, texts: list) -> list:
    """[(the staged number, whether the staging warns)] of each text, as the printed query computes them."""
    stager = Stager(SimpleNamespace(d=dialect("postgres"), model=None))
    field = SimpleNamespace(type=ir.NUMBER, sentinel_texts=(), sentinel_numbers=())
    columns, warns = stager.field_columns(0, field)
    value = columns[0].this.sql(dialect="postgres")
    query = (f'SELECT {value}, {warns.sql(dialect="postgres")} IS TRUE FROM unnest(%s::text[]) '
             'WITH ORDINALITY AS v("r0", "n") ORDER BY "n"')
    return con.execute(query, [texts]).fetchall()


def assert_reads_as_python(con, texts: list) -> None:
    assert all(NUMBER_PATTERN.fullmatch(t) for t in texts)
    got = on_postgres(con, texts)
    wrong = [(t[:60], len(t), python_value(t), value, warned) for t, (value, warned) in zip(texts, got)
             if not same(value, python_value(t)) or warned != (python_value(t) is None)]
    assert not wrong, wrong


def test_postgres_reads_edge_numbers_as_python_does(pg):
    assert_reads_as_python(pg, EDGES)
    # and the listed texts cover what they are for: every kind of answer
    values = [python_value(t) for t in EDGES]
    assert None in values and 5e-324 in values and 1.7976931348623157e308 in values
    assert any(v == 0 and math.copysign(1, v) < 0 for v in values if v is not None)


# ---- generated: decimals near the two boundaries, and any double, in many spellings ---------------

def spelled(value: Decimal, draw) -> str:
    """A text of NUMBER_PATTERN's shape whose exact value is `value`: zeros before and after the
    digits, the point anywhere (or none), `e` or `E`, a sign or none, zeros in the exponent."""
    sign, digits, exponent = value.as_tuple()
    text = "".join(map(str, digits))
    trailing = draw(st.sampled_from([0, 0, 1, 7, 350]))
    text = "0" * draw(st.sampled_from([0, 0, 1, 5, 400])) + text + "0" * trailing
    exponent -= trailing
    if draw(st.booleans()):
        point = draw(st.integers(0, len(text)))
        exponent += len(text) - point
        text = text[:point] + "." + text[point:]
        if text == ".":
            text = "0."
    written = str(exponent)
    if draw(st.booleans()):
        written = ("-" if exponent < 0 else draw(st.sampled_from(["", "+"]))) + "0" * draw(
            st.sampled_from([1, 30])) + str(abs(exponent))
    text = ("-" if sign else draw(st.sampled_from(["", "+"]))) + text
    if exponent or draw(st.booleans()):
        text += draw(st.sampled_from("eE")) + written
    return text


@st.composite
def edge_texts(draw) -> str:
    with localcontext() as context:
        context.prec = 3000
        kind = draw(st.sampled_from(["overflow", "underflow", "subnormal", "largest", "double", "huge"]))
        near = Decimal(draw(st.integers(-10**6, 10**6)))
        if kind == "overflow":
            value = INFINITE + near * Decimal(10) ** draw(st.integers(250, 300))
        elif kind == "underflow":
            value = HALF_SUBNORMAL + near * Decimal(10) ** draw(st.integers(-1400, -330))
        elif kind == "subnormal":          # halfway between two subnormals, or just off it
            halfway = (Decimal(draw(st.integers(0, 2**52))) + Decimal("0.5")) * Decimal(2) ** -1074
            value = halfway + draw(st.sampled_from([-1, 0, 1])) * Decimal(10) ** draw(st.integers(-1500, -1100))
        elif kind == "largest":            # the doubles near the largest one, and their halfways
            mantissa = Decimal(draw(st.integers(2**53 - 2**10, 2**53 - 1)))
            value = (mantissa + Decimal(draw(st.sampled_from(["0", "0.5", "0.4999999", "0.5000001"])))) \
                * Decimal(2) ** 971
        elif kind == "double":
            x = draw(st.floats(allow_nan=False, allow_infinity=False))
            value = Decimal(repr(x))
        else:
            value = Decimal(draw(st.integers(1, 999))) * Decimal(10) ** draw(st.integers(-200_000, 200_000))
        if draw(st.booleans()):
            value = -value
        value = value.normalize() if value else value
        text = spelled(value, draw)
        assert Decimal(text) == value
        return text


@settings(max_examples=int(os.environ.get("PG_EXAMPLES", 60)), deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(st.lists(edge_texts(), min_size=1, max_size=40))
def test_postgres_reads_generated_numbers_as_python_does(pg, texts):
    assert_reads_as_python(pg, texts)


# ---- the printed query, end to end ---------------------------------------------------------------

MODEL = """
field x: number
rule positive: +1 when x > 0
rule zero: +10 when x == 0
rule missing: +100 when x is unknown
"""


def test_the_printed_query_runs_with_numbers_beyond_a_double(pg, tmp_path):
    model = tmp_path / "numbers.score"
    model.write_text(MODEL, encoding="utf-8")
    texts = ["1e999", "-1e999", "1e-400", "-1e-400", "1e100000", "1e-100000", "5e-324", "1.7976931348623159e308",
             "1.7976931348623157e308", "0e99999999999999999999", "12"]
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "x"], *[[f"L{n}", t] for n, t in enumerate(texts)]])
    runner = CliRunner()
    printed = runner.invoke(main, ["sql", str(model), "--dialect", "postgres", "--now", "2026-11-20T00:00:00Z"])
    assert printed.exit_code == 0, printed.stderr
    scored = runner.invoke(main, ["score", str(model), "--leads", str(leads), "--now", "2026-11-20T00:00:00Z",
                                  "--format", "csv"])
    assert scored.exit_code == 0, scored.stderr
    assert "warnings: 4" in scored.stderr      # 1e999, -1e999, 1e100000, 1.7976931348623159e308: not numbers
    want = {row["id"]: float(row["score"]) for row in csv.DictReader(io.StringIO(scored.stdout))}
    pg.execute('DROP TABLE IF EXISTS "leads"; DROP TABLE IF EXISTS "events"')
    pg.execute('CREATE TABLE "leads" ("id" text, "x" text)')
    pg.execute('CREATE TABLE "events" ("lead_id" text, "type" text, "at" text)')
    with pg.cursor().copy('COPY "leads" FROM STDIN WITH (FORMAT csv, HEADER true)') as copy:
        copy.write(Path(leads).read_bytes())
    cursor = pg.execute(printed.stdout)
    names = [d.name for d in cursor.description]
    got = {row["id"]: float(row["score"]) for row in (dict(zip(names, r)) for r in cursor.fetchall())}
    assert got == want
    assert [want[f"L{n}"] for n in range(len(texts))] == [100, 100, 10, 10, 100, 10, 1, 100, 1, 10, 1]
