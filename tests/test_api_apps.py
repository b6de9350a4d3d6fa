"""The Python API for apps (issue 15 point 9): results and models pickle (a model
by its source), `dir(leadscore)` is the public API, `Model.score` warns about
keys and event types the model does not declare, and `score_file` gives the
command's batch: its readers, rejects and counts."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

import leadscore
from leadscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
B2B = ROOT / "examples" / "b2b.score"
LEADS = ROOT / "examples" / "b2b" / "leads.csv"
EVENTS = ROOT / "examples" / "b2b" / "events.csv"
NOW = "2026-11-20T00:00:00Z"

LEAD = {"id": "L1", "email": "ada@contoso.com", "job_level": "C-level",
        "Number of Employees": "780", "department": "Marketing"}
LEAD_EVENTS = [{"type": "webinar_attended", "at": "2026-11-19T00:00:00Z", "webinar": "q3-roadmap"},
               {"type": "demo_request", "at": "2026-11-18T00:00:00Z"}]


@pytest.fixture(scope="module")
def b2b():
    return leadscore.load(B2B)


# ---- the public names -----------------------------------------------------------------


def test_dir_is_the_public_api():
    names = dir(leadscore)
    for name in ("load", "loads", "ModelError", "score_file", "__version__", "Model", "ScoreResult",
                 "Contribution", "CampaignResult", "InputError", "ScoredFile"):
        assert name in names
    assert "import_module" not in names and "annotations" not in names
    assert names == sorted(leadscore.__all__)
    for name in leadscore.__all__:
        assert getattr(leadscore, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'import_module'"):
        leadscore.import_module


def test_import_leadscore_does_not_import_the_front_end():
    check = ("import sys, leadscore\n"
             "leadscore.Model, leadscore.ScoreResult, leadscore.score_file, leadscore.InputError\n"
             "assert 'lark' not in sys.modules, 'lark imported'\n"
             "assert 'leadscore.dsl' not in sys.modules, 'the front end imported'\n"
             "leadscore.loads('field x: number\\nrule r: +1 when x > 1\\n')\n"
             "assert 'lark' in sys.modules\n")
    subprocess.run([sys.executable, "-c", check], check=True, cwd=ROOT)


# ---- pickling -------------------------------------------------------------------------


def test_a_result_pickles_with_everything_it_shows(b2b):
    result = b2b.score(LEAD, LEAD_EVENTS, now=NOW)
    again = pickle.loads(pickle.dumps(result))
    assert again == result
    assert again.to_dict(explain=True) == result.to_dict(explain=True)
    assert again.thresholds == result.thresholds and again.thresholds
    assert again.inputs == result.inputs and again.inputs
    assert again.explain() == result.explain()
    assert pickle.loads(pickle.dumps(again)) == result


@pytest.mark.parametrize("backend", ["codegen", "closures"])
def test_a_model_pickles_by_its_source(backend):
    model = leadscore.load(B2B, backend=backend)      # reads target_accounts.txt beside it
    again = pickle.loads(pickle.dumps(model))
    assert (again.name, again.version, again.source) == (model.name, model.version, model.source)
    assert again.score(LEAD, LEAD_EVENTS, now=NOW) == model.score(LEAD, LEAD_EVENTS, now=NOW)
    assert b"Number of Employees" in pickle.dumps(model)      # the source text travels
    assert pickle.loads(pickle.dumps(again)).score(LEAD, now=NOW) == model.score(LEAD, now=NOW)


def test_a_model_from_text_pickles_with_its_name():
    model = leadscore.loads("field x: number\nrule big: +10 when x > 5\n", name="tiny")
    again = pickle.loads(pickle.dumps(model))
    assert again.name == "tiny" and again.score({"x": 9}, now=NOW).score == 10.0


def test_models_and_results_cross_a_process_pool(b2b):
    """A fresh interpreter (spawn) gets the model by its source and sends results back."""
    leads = [dict(LEAD, id=f"L{n}", **{"Number of Employees": str(n * 97)}) for n in range(8)]
    expected = [b2b.score(lead, LEAD_EVENTS, now=NOW) for lead in leads]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(b2b.score, leads, [LEAD_EVENTS] * len(leads), [NOW] * len(leads)))
    assert results == expected
    assert [r.explain() for r in results] == [r.explain() for r in expected]


def test_a_compiled_module_model_says_it_does_not_pickle(tmp_path):
    from leadscore.compiler import codegen
    from leadscore.dsl import analyze_file
    module = codegen.load_generated(codegen.generate(analyze_file(B2B).model), "<b2b>")
    with pytest.raises(TypeError, match="cannot be pickled: it was not loaded from its source text"):
        pickle.dumps(module.MODEL)


# ---- keys and event types the model does not declare ----------------------------------


def test_score_warns_about_unknown_keys_and_event_types(b2b):
    lead = {"id": "L1", "job_levle": "VP", "employees": "900", "Number of employees": "9", "zzz": 1}
    events = [{"type": "demo_requset", "at": "2026-11-18T00:00:00Z"},
              {"type": "demo_requset", "at": "2026-11-17T00:00:00Z"},
              {"type": "coffee", "at": "2026-11-18T00:00:00Z"},
              {"type": "demo_request", "at": "2026-11-18T00:00:00Z"}]
    result = b2b.score(lead, events, now=NOW)
    assert result.warnings == (
        "unknown field key `job_levle` (did you mean `job_level`?)",
        "unknown field key `employees` (field `employees` reads the key `Number of Employees`)",
        "unknown field key `Number of employees` (did you mean `Number of Employees`?)",
        "unknown field key `zzz`",
        "event type `coffee` is not declared (ignored)",
        "event type `demo_requset` is not declared (ignored; did you mean `demo_request`?)",
    )
    assert result.score == b2b.score({"id": "L1"}, events[3:], now=NOW).score    # only warned


def test_inline_events_of_undeclared_types_are_warned_about_too(b2b):
    lead = {"id": "L1", "events": [{"type": "webinar_atended", "at": "2026-11-18T00:00:00Z"}]}
    assert b2b.score(lead, now=NOW).warnings == (
        "event type `webinar_atended` is not declared (ignored; did you mean `webinar_attended`?)",)


def test_declared_keys_and_types_give_no_warning(b2b):
    assert b2b.score(LEAD, LEAD_EVENTS, now=NOW).warnings == ()


def test_score_many_reads_rows_of_an_export_without_warnings(b2b):
    """Its rows are an export's, whose other columns are not read (INTERFACE.md §3)."""
    lead = dict(LEAD, outcome="won", owner="sam")
    [result] = b2b.score_many([lead], [dict(LEAD_EVENTS[0], lead_id="L1")], now=NOW)
    assert result.warnings == ()


# ---- score_file -----------------------------------------------------------------------

BAD_LEADS = "id,job_level,Number of Employees\nA1,VP,100\n,VP,3\nA1,Manager,5\nA2,C-level,lots\n"
BAD_EVENTS = ("lead_id,type,at,webinar\nA1,demo_request,2026-11-18T00:00:00Z,\n"
              "A2,webinar_attended,2026-11-19T00:00:00Z,q3-roadmap\nA2,demo_request,2027-01-01T00:00:00Z,\n"
              "A1,coffee,2026-11-18T00:00:00Z,\nA9,demo_request,2026-11-18T00:00:00Z,\n"
              "A1,demo_request,someday,\n")


def cli_score(args: list, tmp_path: Path) -> tuple:
    rejects = tmp_path / "cli-rejects.jsonl"
    done = CliRunner().invoke(main, ["score", *map(str, args), "--now", NOW, "--explain",
                                     "--rejects", str(rejects)])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines, [json.loads(line) for line in rejects.read_text().splitlines()]


def test_score_file_gives_the_commands_results_rejects_and_counts(b2b, tmp_path):
    leads, events = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(BAD_LEADS)
    events.write_text(BAD_EVENTS)
    scored = leadscore.score_file(b2b, leads, events=events, now=NOW)
    lines, rejects = cli_score([B2B, "--leads", leads, "--events", events], tmp_path)
    assert [r.to_dict(explain=True) for r in scored.results] == lines
    assert scored.rejects == rejects
    assert [(r["file"], r["line"], r["reason"]) for r in scored.rejects] == [
        (str(events), 7, "event: cannot read event time `at` 'someday' as an ISO-8601 time"),
        (str(leads), 3, "lead: missing id (column `id`)"),
        (str(leads), 4, "lead: duplicate id `A1` (first on line 2)"),
        (str(events), 6, "event: no lead with id `A9`")]
    s = scored.summary
    assert (s.leads_read, s.leads_scored, s.leads_rejected) == (4, 2, 2)
    assert (s.events_read, s.events_used, s.events_ignored, s.events_rejected) == (6, 2, 2, 2)
    assert (s.events_after_now, s.events_undeclared, s.warnings) == (1, 1, 1)


def test_score_file_reads_the_example_as_the_command_does(b2b, tmp_path):
    scored = leadscore.score_file(b2b, str(LEADS), events=str(EVENTS), now=NOW)
    lines, rejects = cli_score([B2B, "--leads", LEADS, "--events", EVENTS], tmp_path)
    assert [r.to_dict(explain=True) for r in scored.results] == lines
    assert scored.rejects == rejects
    assert scored.summary.leads_scored == len(lines) > 100


def test_score_file_takes_the_commands_options(b2b, tmp_path):
    leads = tmp_path / "leads.txt"
    leads.write_text("key;job_level\nk1;VP\nk2;C-level\n")
    leads = leads.rename(tmp_path / "leads.csv")
    scored = leadscore.score_file(b2b, leads, now=NOW, id_column="key", delimiter=";")
    assert [r.id for r in scored.results] == ["k1", "k2"]
    strict = leadscore.score_file(b2b, tmp_path / "leads.csv", now=NOW, line_ids=True, strict=True)
    assert [r.id for r in strict.results] == ["2", "3"]


def test_score_file_refuses_what_it_cannot_read(b2b, tmp_path):
    with pytest.raises(leadscore.ReadError):
        leadscore.score_file(b2b, tmp_path / "missing.csv", now=NOW)
    (tmp_path / "no-id.csv").write_text("name\nada\n")
    with pytest.raises(leadscore.ReadError, match="no id column `id`"):
        leadscore.score_file(b2b, tmp_path / "no-id.csv", now=NOW)
    with pytest.raises(leadscore.InputError, match="needs a Model"):
        leadscore.score_file(str(B2B), LEADS, now=NOW)
