"""The commands about model files: `validate` (every diagnostic), `fmt` (the
canonical layout, docs/format.md) and `compile` (a standalone Python module);
INTERFACE.md §1."""

from __future__ import annotations

import difflib
import json
import os
import sys

import click

from ..dsl import analyze
from ..dsl.diagnostics import render_all
from ..dsl.format import FormatError, format_source
from . import console
from .ciformats import CI_FORMATS, github_lines, validate_junit
from .options import EXIT_FAILED, EXIT_OK, fail, read_model, write_file

STDIN = "-"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _read(path: str) -> tuple[str, str] | None:
    """(exact text, text with newlines normalized) of a model, or None with a message."""
    try:
        if path == STDIN:
            binary = getattr(sys.stdin, "buffer", None)
            raw = binary.read().decode("utf-8-sig") if binary is not None else sys.stdin.read()
        else:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                raw = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        click.echo(f"{path}: error: cannot read the model: {reason}", err=True)
        return None
    return raw, raw.replace("\r\n", "\n").replace("\r", "\n")


def _formatted(path: str, text: str) -> str | None:
    """The canonical text of a valid model; None, with its diagnostics printed, otherwise."""
    name = "<stdin>" if path == STDIN else path
    base_dir = os.getcwd() if path == STDIN else os.path.dirname(os.path.abspath(path))
    analysis = analyze(text, name, base_dir)
    if analysis.errors:
        console.echo(analysis.render(), err=True, paint=console.paint_diagnostics)
        click.echo(f"{name}: error: not formatted: the model is invalid "
                   f"({_plural(len(analysis.errors), 'error')})", err=True)
        return None
    try:
        return format_source(text, name)
    except FormatError as error:
        if error.diagnostics:
            console.echo(render_all(error.diagnostics, {name: analysis.source}), err=True,
                         paint=console.paint_diagnostics)
        click.echo(f"{name}: error: {error}", err=True)
        return None


@click.command("fmt")
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", is_flag=True,
              help="write nothing; exit 1 and name the files that would be reformatted")
@click.option("--diff", "show_diff", is_flag=True,
              help="write nothing; print a unified diff of the changes (exit 0 unless --check too)")
def fmt_command(models, check, show_diff):
    """Rewrite MODEL files in the canonical layout, keeping every comment.

    Only files that change are written. `-` reads a model from standard input
    and writes the result to standard output. An invalid model is not
    touched: its diagnostics are printed and the run exits 1. The layout is
    described in docs/format.md.

    \b
    Examples:
      leadscore fmt examples/*.score
      leadscore fmt --check examples/*.score      # in CI: exit 1 if any file would change
      leadscore fmt --diff model.score            # show what would change
      cat model.score | leadscore fmt - > formatted.score
    """
    changed = unchanged = failed = 0
    for path in models:
        read = _read(path)
        if read is None:
            failed += 1
            continue
        raw, text = read
        result = _formatted(path, text)
        if result is None:
            failed += 1
            continue
        differs = result != raw
        changed += differs
        unchanged += not differs
        if show_diff:
            if differs:
                name = "<stdin>" if path == STDIN else path
                click.echo("".join(difflib.unified_diff(
                    text.splitlines(keepends=True), result.splitlines(keepends=True),
                    fromfile=f"{name}\t(original)", tofile=f"{name}\t(formatted)")), nl=False)
        elif check:
            if differs:
                click.echo(f"would reformat {path}")
        elif path == STDIN:
            click.echo(result, nl=False)
        elif differs:
            from ..batch.io.atomic import atomic_output
            try:
                with atomic_output(path, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(result)
            except OSError as error:
                click.echo(f"{path}: error: cannot write: {error.strerror or error}", err=True)
                failed += 1
                changed -= 1
                continue
            click.echo(f"reformatted {path}", err=True)

    if not (models == (STDIN,) and not (check or show_diff)):
        verb = "would be reformatted" if (check or show_diff) else "reformatted"
        same = "already formatted" if (check or show_diff) else "left unchanged"
        parts = [f"{_plural(changed, 'file')} {verb}", f"{_plural(unchanged, 'file')} {same}"]
        if failed:
            parts.append(f"{_plural(failed, 'file')} could not be formatted")
        click.echo(", ".join(parts), err=True)
    sys.exit(EXIT_FAILED if failed or (check and changed) else EXIT_OK)


@click.command()
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", *CI_FORMATS]), default="text",
              show_default=True, help="text for people; json for editors; junit (JUnit XML) or github "
                                      "(GitHub Actions annotations) for CI; written to standard output")
@click.option("--strict", is_flag=True, help="warnings fail the run too (exit 1)")
def validate(models, fmt, strict):
    """Parse and check MODEL files; print every diagnostic.

    \b
    Examples:
      leadscore validate examples/*.score
      leadscore validate --format json --strict model.score
      leadscore validate --format junit examples/*.score > validate.xml
    """
    diagnostics, sources, unreadable = [], {}, False
    for path in models:
        analysis = read_model(path)
        if analysis is None:
            unreadable = True
            continue
        sources[analysis.source.filename] = analysis.source
        diagnostics.extend(analysis.diagnostics)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if fmt == "json":
        click.echo(json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2))
    elif fmt in CI_FORMATS:
        unread = [p for p in models if p not in sources]
        click.echo(validate_junit(models, diagnostics, sources, unread, strict) if fmt == "junit" else
                   github_lines(diagnostics, [(p, "cannot read the model") for p in unread]), nl=False)
    else:
        if diagnostics:
            console.echo(render_all(diagnostics, sources), paint=console.paint_diagnostics)
            click.echo()
        unread = f", {len(models) - len(sources)} could not be read" if unreadable else ""
        click.echo(f"{len(sources)} model(s) checked: {errors} error(s), {warnings} warning(s){unread}",
                   err=bool(diagnostics) or unreadable)
    failed = unreadable or errors or (strict and warnings)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@click.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="the Python file to write (default: standard output)")
def compile_command(model, output):
    """Write a standalone Python module that scores with MODEL (no parser, no checker).

    The module exposes score(lead, events=(), now=None), score_many(...),
    total(lead) (the score alone), NAME and VERSION.

    \b
    Example:
      leadscore compile examples/b2b.score -o b2b_scorer.py
      python -c "import b2b_scorer; print(b2b_scorer.score({'id': 'L1'}, now='2026-11-20T00:00:00Z').score)"
    """
    from ..compiler.codegen import generate
    analysis = read_model(model)
    if analysis is None:
        sys.exit(EXIT_FAILED)
    if analysis.model is None:
        console.echo(analysis.render(), err=True, paint=console.paint_diagnostics)
        fail(f"{model} is not a valid model ({len(analysis.errors)} error(s))")
    source = generate(analysis.model).source
    if output:
        write_file(output, source)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(source, nl=False)
