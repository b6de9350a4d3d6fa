"""One bad value, one bad row: values that once stopped a batch or meant
different things by format (issue 17, point 4; docs/cli.md, bad data).

- A number beyond a double (`1e400`, 5,000 digits, JSON's 5,000-digit
  integer) and the words `inf`, `nan`, `Infinity` (JSON's non-standard
  `NaN`, `Infinity` constants too) do not convert to a number: unknown, with
  a warning, in CSV and in JSON Lines alike, on every engine.
- A JSON row holding a `\\ud800` escape without its other half is not valid
  Unicode: that row is rejected, and the batch goes on.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from click.testing import CliRunner

from leadscore.cli import main
from leadscore.runtime import values as v

NOW = "2026-11-20T00:00:00Z"
MODEL = """\
field employees: number
event visit(seconds: number)
rule big: +10 when employees > 100
rule unknown_size: +1 when employees is unknown
rule long: +5 each visit[seconds > 100]
rule unknown_length: +2 each visit[seconds is unknown]
"""
HUGE = "9" * 5000
#: beyond a double, yet within the digits Python turns into an int (float() of it overflows)
BIG = "1" + "0" * 400
#: written in a CSV field, and the same value as a JSON Lines row writes it
NON_FINITE = [("1e400", "1e400"), ("-1e400", "-1e400"), (HUGE, HUGE), (BIG, BIG), ("-" + BIG, "-" + BIG), ("inf", '"inf"'), ("nan", '"nan"'),
              ("-Infinity", "-Infinity"), ("NaN", "NaN"), ("Infinity", "Infinity")]
ENGINES = ["python"] + (["duckdb"] if importlib.util.find_spec("duckdb") else [])


def run(tmp_path, leads, events=None, engine="python"):
    model = tmp_path / "m.score"
    model.write_text(MODEL, encoding="utf-8")
    rejects = tmp_path / f"rejects-{engine}.jsonl"
    args = ["score", str(model), "--leads", str(leads), "--now", NOW, "--rejects", str(rejects),
            "--engine", engine]
    if events is not None:
        args += ["--events", str(events)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output[-2000:]
    results = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    return results, [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("text", ["1e400", "-1e400", HUGE, "1" + "0" * 309, "inf", "nan", "Infinity"])
def test_a_value_beyond_a_double_is_not_a_number(text):
    assert v.to_number(text) is v.BAD
    assert v.to_number(f" {text} ") is v.BAD


def test_the_largest_double_is_a_number():
    assert v.to_number("1.7976931348623157e308") == 1.7976931348623157e308
    assert v.to_number("1e-400") == 0.0          # underflow is a number: zero


@pytest.mark.parametrize("engine", ENGINES)
def test_non_finite_numbers_mean_the_same_in_csv_and_json_lines(tmp_path, engine):
    csv = tmp_path / "leads.csv"
    csv.write_text("id,employees\nok,500\n" + "".join(f"L{i},{text}\n" for i, (text, _) in enumerate(NON_FINITE)),
                   encoding="utf-8")
    jsonl = tmp_path / "leads.jsonl"
    jsonl.write_text('{"id": "ok", "employees": 500}\n' + "".join(
        f'{{"id": "L{i}", "employees": {written}}}\n' for i, (_, written) in enumerate(NON_FINITE)),
        encoding="utf-8")
    from_csv, csv_rejects = run(tmp_path, csv, engine=engine)
    from_jsonl, jsonl_rejects = run(tmp_path, jsonl, engine=engine)
    assert csv_rejects == jsonl_rejects == []
    assert from_csv["ok"]["score"] == from_jsonl["ok"]["score"] == 10
    for i in range(len(NON_FINITE)):
        for results in (from_csv, from_jsonl):
            lead = results[f"L{i}"]
            assert lead["score"] == 1, (NON_FINITE[i], lead)           # unknown: not a number
            (warning,) = lead["warnings"]
            assert warning.startswith("field `employees`: cannot read"), warning


@pytest.mark.parametrize("engine", ENGINES)
def test_non_finite_event_attributes_are_unknown(tmp_path, engine):
    leads = tmp_path / "leads.csv"
    leads.write_text("id,employees\nA,1\n", encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text("lead_id,type,at,seconds\n" + "".join(
        f"A,visit,2026-11-0{i + 1},{text}\n" for i, text in enumerate(["500", "1e400", "inf", HUGE])),
        encoding="utf-8")
    results, rejects = run(tmp_path, leads, events, engine=engine)
    assert rejects == []
    assert results["A"]["score"] == 5 + 3 * 2       # one long visit, three of unknown length


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_lone_surrogate_is_one_reject(tmp_path, engine, fmt):
    rows = ['{"id": "A", "employees": 500}', '{"id": "B\\ud800", "employees": 5}',
            '{"id": "C", "employees": 5, "note": "x\\udc00"}', '{"id": "D\\ud83d\\ude00", "employees": 5}']
    leads = tmp_path / f"leads.{fmt}"
    leads.write_text("\n".join(rows) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(rows) + "\n]\n",
                     encoding="utf-8")
    results, rejects = run(tmp_path, leads, engine=engine)
    assert sorted(results) == ["A", "D\U0001F600"]              # a surrogate pair is one character
    first = 2 if fmt == "jsonl" else 3                         # a JSON array's `[` is line 1
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (first, "not valid Unicode text: the escape \\ud800 is half of a surrogate pair"),
        (first + 1, "not valid Unicode text: the escape \\udc00 is half of a surrogate pair")]


def test_a_huge_integer_in_a_json_array_does_not_stop_the_file(tmp_path):
    leads = tmp_path / "leads.json"
    leads.write_text(f'[{{"id": "A", "employees": {HUGE}}}, {{"id": "B", "employees": 500}}]', encoding="utf-8")
    results, rejects = run(tmp_path, leads)
    assert rejects == []
    assert (results["A"]["score"], results["B"]["score"]) == (1, 10)
    assert results["A"]["warnings"] == ["field `employees`: cannot read 'Infinity' as number"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_json_number_beyond_a_double_in_a_text_field_is_unknown_not_a_crash(tmp_path, engine):
    """A text field or attribute given a JSON number beyond a double (1e400, an integer of 400
    digits) stopped the whole batch (OverflowError turning it into text); it is unknown with a
    warning, as for a number field, on both engines."""
    model = tmp_path / "t.score"
    model.write_text('model "t" version 1\nfield x: text\nevent v(p: text)\n'
                     'rule a: +1 when x is unknown\nrule b: +2 each v[p is unknown]\n', encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text(f'{{"id": "A", "x": 1e400}}\n{{"id": "B", "x": {BIG}}}\n{{"id": "C", "x": 15}}\n',
                     encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text('{"lead_id": "C", "type": "v", "at": "2026-01-01T00:00:00Z", "p": -1e400}\n',
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(model), "--leads", str(leads), "--events", str(events),
                                       "--now", NOW, "--engine", engine])
    assert result.exit_code == 0, result.output[-2000:]
    scored = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert [scored[i]["score"] for i in "ABC"] == [1, 1, 2]
    assert all(len(scored[i]["warnings"]) == 1 and "as text" in scored[i]["warnings"][0] for i in "ABC")


def test_a_number_turned_into_text():
    assert v.to_text(15) == "15" and v.to_text(2.5) == "2.5"
    assert v.to_text(float("inf")) is v.BAD and v.to_text(10 ** 400) is v.BAD
    assert v.to_text(float("nan")) is None         # missing, as a NaN is for a number field
