"""Code lenses that run a model's tests and show how they went.

Over each case of a `.tests` file: "▶ run test", then "✓ passed" or
"✗ failed: …" once run; over its first line and over the model's first line:
"▶ run tests", then the summary. A lens runs the `leadscore.runTests`
command, which checks and runs the tests as `leadscore test` does (the same
library: testing.check and testing.run), against the model as the editor
holds it, and keeps the outcomes for the lenses.
"""

from __future__ import annotations

import os

from lsprotocol import types

from ..api import compile_analysis
from ..testing.check import analyze_tests, default_tests_path
from ..testing.report import failure_lines, summary
from ..testing.run import run_cases, utc_now
from .documents import SCORE, TESTS

COMMAND = "leadscore.runTests"


class TestRuns:
    """The outcomes of the last run of each test file, by case name."""

    __test__ = False

    def __init__(self):
        self.outcomes: dict[str, dict] = {}
        self.summaries: dict[str, str] = {}

    def lenses(self, analyzed) -> list[types.CodeLens]:
        tests_path = tests_path_of(analyzed)
        if analyzed.kind == SCORE and not os.path.exists(tests_path):
            return []
        key = os.path.abspath(tests_path)
        done = self.summaries.get(key)
        title = f"▶ run tests ({os.path.basename(tests_path)})" + (f": {done}" if done else "")
        lenses = [lens(0, title, [analyzed.uri, None])]
        if analyzed.kind == TESTS and analyzed.tests is not None:
            outcomes = self.outcomes.get(key, {})
            lenses += [lens(case.line - 1, case_title(outcomes.get(case.name)), [analyzed.uri, case.name])
                       for case in analyzed.tests.cases]
        return lenses

    def run(self, documents, analyzed, case_name: str | None = None) -> dict:
        """Check and run the tests of a model or test file (one case when named); a JSON summary."""
        tests_path = tests_path_of(analyzed)
        model_path, model = documents.model_of(tests_path)
        if model is None or model.model is None:
            return {"error": f"the model {os.path.basename(model_path)} is missing or invalid"}
        _uri, text = documents.text_of(tests_path)
        if text is None:
            return {"error": f"cannot read {tests_path}"}
        checked = analyze_tests(text, tests_path, model.model)
        if checked.errors:
            return {"error": f"{os.path.basename(tests_path)} has {len(checked.errors)} error(s); not run"}
        cases = [c for c in checked.cases if case_name is None or c.name == case_name]
        run = run_cases([(compile_analysis(model), cases)], utc_now())
        key = os.path.abspath(tests_path)
        self.outcomes.setdefault(key, {}).update({o.case.name: o for o in run.outcomes})
        self.summaries[key] = summary(run)
        return {"passed": run.passed, "failed": run.failed, "summary": summary(run),
                "cases": [{"name": o.case.name, "status": o.status, "failures": failure_lines(o)}
                          for o in run.outcomes]}


def tests_path_of(analyzed) -> str:
    return analyzed.path if analyzed.kind == TESTS else default_tests_path(analyzed.path)


def case_title(outcome) -> str:
    if outcome is None:
        return "▶ run test"
    if outcome.passed:
        return "✓ passed"
    reasons = failure_lines(outcome)
    return "✗ failed" + (f": {reasons[0]}" if reasons else "")


def lens(line: int, title: str, arguments: list) -> types.CodeLens:
    where = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))
    return types.CodeLens(range=where, command=types.Command(title=title, command=COMMAND, arguments=arguments))
