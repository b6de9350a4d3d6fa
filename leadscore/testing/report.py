"""What `leadscore test` prints: a line per case, each failure's expected vs
actual and the lead's explanation, then a summary; or the same as JSON."""

from __future__ import annotations

import textwrap

from .run import Outcome, Run, show_actual


def case_lines(outcomes) -> list[str]:
    """`PASS  name` / `FAIL  name`, grouped under each test file."""
    lines, current = [], None
    for outcome in outcomes:
        if outcome.case.file != current:
            current = outcome.case.file
            count = sum(o.case.file == current for o in outcomes)
            lines.append(f"{current}: {count} test{'s' if count != 1 else ''}")
        mark = "PASS" if outcome.passed else ("ERROR" if outcome.error is not None else "FAIL")
        lines.append(f"  {mark:<5} {outcome.case.name}")
    return lines


def failure_lines(outcome: Outcome) -> list[str]:
    """Each failed expectation in one line (`expect score == 66 (line 14): actual 65`), or why
    scoring failed: the short form CI annotations and JUnit failure messages carry."""
    if outcome.error is not None:
        return [f"scoring failed: {outcome.error}"]
    return [f"{c.expectation.text} (line {c.expectation.line}): actual {show_actual(c)}"
            for c in outcome.failures]


def failure_text(outcome: Outcome) -> str:
    case = outcome.case
    lines = [f"FAIL {case.name}  ({case.file}:{case.line})"]
    if outcome.error is not None:
        lines.append(f"  scoring failed: {outcome.error}")
        return "\n".join(lines)
    for check in outcome.failures:
        e = check.expectation
        lines.append(f"  {case.file}:{e.line}:{e.column}: {e.text}")
        lines.append(f"    expected  {e.op} {e.describe()}")
        lines.append(f"    actual    {show_actual(check)}")
        hint = check.hint()
        if hint:
            lines.append(f"    hint      {hint}")
    passed = len(outcome.checks) - len(outcome.failures)
    if passed:
        lines.append(f"  ({passed} other expectation{'s' if passed != 1 else ''} of this test held)")
    lines.append("  explanation:")
    lines.append(textwrap.indent(outcome.result.explain(), "    "))
    return "\n".join(lines)


def summary(run: Run) -> str:
    parts = [f"{run.passed} passed"] if run.passed or not run.failed else []
    if run.failed:
        parts.append(f"{run.failed} failed")
    return f"{', '.join(parts)} in {run.seconds:.2f}s"


def render_text(run: Run) -> str:
    blocks = ["\n".join(case_lines(run.outcomes))]
    blocks += [failure_text(o) for o in run.outcomes if not o.passed]
    blocks.append(summary(run))
    return "\n\n".join(blocks)


def render_json(run: Run | None, models: list, files: list, diagnostics=()) -> dict:
    """The `--format json` object: every case with its status, expectations and actual result."""
    outcomes = run.outcomes if run is not None else ()
    return {
        "models": list(models),
        "tests": list(files),
        "passed": run.passed if run is not None else 0,
        "failed": run.failed if run is not None else 0,
        "seconds": round(run.seconds, 4) if run is not None else 0.0,
        "diagnostics": [d.to_dict() for d in diagnostics],
        "cases": [o.to_dict() for o in outcomes],
    }
