"""`leadscore test`: run a model's test cases and report failures with the explanation (INTERFACE.md §1)."""

from __future__ import annotations

import json
import os
import sys

import click

from .ciformats import CI_FORMATS, github_lines, tests_junit
from . import console
from .options import EXIT_FAILED, EXIT_OK, evaluation_time, fail, read_model


@click.command("test")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("tests", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", *CI_FORMATS]), default="text",
              show_default=True, help="text for people; json, junit (JUnit XML) or github (GitHub Actions "
                                      "annotations) for CI; written to standard output")
@click.option("--now", help="evaluation time for tests that set no `now` (a test's or its file's `now` "
                            "comes first); default: the current time")
@click.option("-k", "keyword", metavar="TEXT", help="run only the tests whose name contains TEXT (any case)")
def tests_command(model, tests, fmt, now, keyword):
    """Run MODEL's test cases: each gives a lead, its events and `now`, and
    what the score, tier, stages, tags, group, campaign and rule points
    should be (the format is in docs/testing.md).

    TESTS default to the file beside MODEL named like it with `.tests`
    (examples/saas.score → examples/saas.tests). Several models may be given
    instead (every argument ending in `.score`), each with its own `.tests`
    file.

    Prints PASS or FAIL per test, each failure's expected and actual values
    with the lead's explanation, and a summary. Exits 1 when a test fails,
    or a model or test file is invalid or missing.

    \b
    Examples:
      leadscore test examples/saas.score
      leadscore test examples/*.score
      leadscore test examples/b2b.score examples/b2b.tests more.tests -k demo
      leadscore test model.score --format json
      leadscore test examples/*.score --format junit > test-results.xml
    """
    from ..api import compile_analysis
    from ..dsl.diagnostics import render_all
    from ..testing.check import analyze_tests_file, default_tests_path
    from ..testing.run import run_cases, utc_now
    from ..testing.report import render_json, render_text, summary

    models = [model, *(t for t in tests if t.endswith(".score"))]
    explicit = [t for t in tests if not t.endswith(".score")]
    if len(models) > 1 and explicit:
        raise click.UsageError("give one MODEL with its TESTS files, or several MODELs that each have "
                               "a NAME.tests file beside them, not both")
    default_now = evaluation_time(now) if now else None

    suites, diagnostics, sources, paths, problems = [], [], {}, [], []
    for path in models:
        analysis = read_model(path)
        if analysis is None:
            problems.append((path, f"cannot read the model {path}"))
            continue
        if analysis.model is None:
            diagnostics.extend(analysis.diagnostics)
            sources[analysis.source.filename] = analysis.source
            problems.append((path, f"{path} is not a valid model ({len(analysis.errors)} error(s))"))
            continue
        files = explicit or [default_tests_path(path)]
        if not explicit and not os.path.exists(files[0]):
            problems.append((path, f"no test file for {path}: {files[0]} does not exist (write one beside "
                                   "the model, see docs/testing.md, or name the test files after MODEL)"))
            continue
        cases = []
        for tests_path in files:
            paths.append(tests_path)
            try:
                checked = analyze_tests_file(tests_path, analysis.model)
            except (OSError, UnicodeDecodeError) as error:
                problems.append((tests_path, f"cannot read the test file {tests_path}: "
                                             f"{getattr(error, 'strerror', None) or error}"))
                continue
            diagnostics.extend(checked.diagnostics)
            sources[checked.source.filename] = checked.source
            if checked.errors:
                problems.append((tests_path, f"{tests_path}: {len(checked.errors)} error(s); "
                                             "its tests were not run"))
            cases.extend(checked.cases)
        suites.append((compile_analysis(analysis), cases))

    if problems:
        if fmt == "json":
            click.echo(json.dumps(render_json(None, models, paths, diagnostics), indent=2))
        elif fmt == "junit":
            click.echo(tests_junit(None, problems, diagnostics, sources), nl=False)
        elif fmt == "github":
            click.echo(github_lines(diagnostics, problems), nl=False)
        elif diagnostics:
            console.echo(render_all(diagnostics, sources), paint=console.paint_diagnostics)
            click.echo()
        for _path, problem in problems[:-1]:
            click.echo(f"error: {problem}", err=True)
        fail(problems[-1][1])

    if keyword:
        suites = [(scorer, [c for c in cases if keyword.casefold() in c.name.casefold()])
                  for scorer, cases in suites]
    if not any(cases for _scorer, cases in suites):
        fail(f"no test matches -k {keyword!r}" if keyword else f"no tests in {', '.join(paths)}")
    run = run_cases(suites, default_now if default_now is not None else utc_now())
    if fmt == "json":
        click.echo(json.dumps(render_json(run, models, paths, diagnostics), indent=2))
    elif fmt in CI_FORMATS:
        click.echo(tests_junit(run) if fmt == "junit" else github_lines(run=run), nl=False)
        click.echo(summary(run), err=True)
    else:
        console.echo(render_text(run), paint=console.paint_tests)
    sys.exit(EXIT_FAILED if run.failed else EXIT_OK)
