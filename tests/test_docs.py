"""The documentation is executable, so it cannot drift from the code.

- (a) every ```score block in docs/*.md validates on its own, without even a
  warning (`list ... from` files are read relative to docs/tutorial/, which
  holds the `target_accounts.txt` that docs/language.md's examples read),
  and every ```score-test block that comes right after a ```score block
  passes when run as that model's `.tests` file;
- (b) every ```python block of docs/api.md runs, from the repository root;
- (c) every ```sh block of docs/tutorial.md (and of docs/cli.md) runs from
  the repository root and exits 0, with the venv's `bin` first on PATH, and
  writes nothing inside the repository;
- (d) the keywords of editors/score.tmLanguage.json are exactly
  `leadscore.dsl.parse.KEYWORDS`, each in one group (and docs/language.md
  lists the same words).

docs/diagnostics.md is left out of (a): its ```score blocks are mistakes on
purpose, each shown with the diagnostic it gets, and tests/test_diagnostics.py
checks them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leadscore.api import compile_analysis
from leadscore.dsl import analyze
from leadscore.dsl.parse import KEYWORDS
from leadscore.testing.check import analyze_tests
from leadscore.testing.run import run_cases, utc_now
from leadscore.testing.report import render_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LIST_FILES = DOCS / "tutorial"          # where the examples' `list ... from` files are
GRAMMAR = ROOT / "editors" / "score.tmLanguage.json"
#: Pages whose ```score blocks are invalid on purpose (checked by tests/test_diagnostics.py).
DELIBERATELY_INVALID = {"diagnostics.md"}

FENCE = re.compile(r"^```([\w-]*)\s*$")


class Block:
    def __init__(self, page: str, lang: str, line: int, text: str):
        self.page, self.lang, self.line, self.text = page, lang, line, text

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def blocks(page: str) -> list[Block]:
    """The fenced blocks of a page (fences in column 1), with the line of their opening fence."""
    found, lang, start, body = [], None, 0, []
    for number, line in enumerate((DOCS / page).read_text(encoding="utf-8").splitlines(), 1):
        if lang is None:
            match = FENCE.match(line)
            if match:
                lang, start, body = match.group(1), number, []
        elif line.rstrip() == "```":
            found.append(Block(page, lang, start, "\n".join(body) + "\n"))
            lang = None
        else:
            body.append(line)
    assert lang is None, f"docs/{page}:{start}: a ``` block is never closed"
    return found


def pages() -> list[str]:
    return sorted(p.name for p in DOCS.glob("*.md"))


def score_blocks() -> list[tuple[Block, Block | None]]:
    """Each ```score block with the ```score-test block right after it, if any."""
    pairs = []
    for page in pages():
        if page in DELIBERATELY_INVALID:
            continue
        found = blocks(page)
        for i, block in enumerate(found):
            if block.lang == "score":
                following = found[i + 1] if i + 1 < len(found) else None
                pairs.append((block, following if following and following.lang == "score-test" else None))
    return pairs


SCORE_BLOCKS = score_blocks()


def test_the_reference_pages_have_examples():
    counted = {page: sum(b.lang == "score" for b in blocks(page)) for page in ("language.md", "tutorial.md")}
    assert counted["language.md"] >= 25 and counted["tutorial.md"] >= 4, counted
    assert sum(b.lang == "score-test" for b in blocks("language.md")) >= 20


@pytest.mark.parametrize("page", [p for p in pages() if p not in DELIBERATELY_INVALID])
def test_every_score_test_block_follows_a_score_block(page):
    found = blocks(page)
    for i, block in enumerate(found):
        if block.lang == "score-test":
            assert i > 0 and found[i - 1].lang == "score", (
                f"{block.where}: a ```score-test block must come right after the ```score block it tests")


@pytest.mark.parametrize("model, tests", SCORE_BLOCKS, ids=[b.where for b, _ in SCORE_BLOCKS])
def test_score_block(model, tests):
    analysis = analyze(model.text, f"{model.where}.score", LIST_FILES)
    assert analysis.errors == (), f"{model.where}: the example does not validate:\n{analysis.render()}"
    assert analysis.diagnostics == (), f"{model.where}: the example has warnings:\n{analysis.render()}"
    if tests is None:
        return
    checked = analyze_tests(tests.text, f"{tests.where}.tests", analysis.model)
    assert checked.errors == (), f"{tests.where}: the tests do not check:\n{checked.render()}"
    assert checked.cases, f"{tests.where}: no test cases"
    run = run_cases([(compile_analysis(analysis), checked.cases)], utc_now())
    assert run.failed == 0, f"{tests.where}: the numbers quoted do not hold:\n{render_text(run)}"


# ---- (b) docs/api.md ------------------------------------------------------------------

PYTHON_BLOCKS = [b for b in blocks("api.md") if b.lang == "python"]


def test_api_page_has_examples():
    assert len(PYTHON_BLOCKS) >= 8


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[b.where for b in PYTHON_BLOCKS])
def test_python_block(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = compile(block.text, block.where, "exec")
    exec(code, {"__name__": "__main__"})  # noqa: S102 - our own documentation


# ---- (c) docs/tutorial.md -------------------------------------------------------------

TUTORIAL_SH = [b for b in blocks("tutorial.md") if b.lang == "sh"]
#: docs/cli.md's commands are run too: they are its sample runs.
SH_BLOCKS = TUTORIAL_SH + [b for b in blocks("cli.md") if b.lang == "sh"]


def test_tutorial_has_commands():
    assert len(TUTORIAL_SH) >= 8


@pytest.mark.parametrize("block", SH_BLOCKS, ids=[b.where for b in SH_BLOCKS])
def test_sh_block(block):
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.text], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (f"{block.where}: exit {done.returncode}\n{block.text}\n"
                                  f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}")


def test_tutorial_shows_its_files_as_they_are():
    """A block whose first line is `# docs/tutorial/NAME` is that file, verbatim."""
    shown = {}
    for block in blocks("tutorial.md"):
        match = re.match(r"# (docs/tutorial/[\w.-]+)", block.text)
        if match:
            shown[match.group(1)] = block
            assert (ROOT / match.group(1)).read_text(encoding="utf-8") == block.text, (
                f"{block.where}: the block differs from {match.group(1)}")
    assert {"docs/tutorial/fit.score", "docs/tutorial/engagement.score", "docs/tutorial/saas.score",
            "docs/tutorial/saas.tests"} <= set(shown)


def test_tutorial_leaves_the_tree_clean():
    """The tutorial's commands write only into out/, the folder git ignores (README "The workflow")."""
    for block in SH_BLOCKS:
        for match in re.finditer(r"(?:(?<!\S)(?:-o|--output|--rejects|--report)\s+|>\s*)([^\s&]\S*)", block.text):
            assert match.group(1).startswith(("out/", "/dev/null")), f"{block.where}: writes {match.group(1)}"
        assert not re.search(r"leadscore fmt (?!--check|--diff|-\s)", block.text), (
            f"{block.where}: `leadscore fmt` without --check or --diff would rewrite files")


# ---- (d) editors/score.tmLanguage.json ------------------------------------------------

WORDS = re.compile(r"\\b\(\?:([A-Za-z_|]+)\)\\b")


def grammar_keyword_groups() -> dict[str, list[str]]:
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    groups = {}
    for name, rule in grammar["repository"].items():
        if name.startswith("keywords-"):
            match = WORDS.fullmatch(rule["match"])
            assert match, f"{name}: the match must be \\b(?:word|word|...)\\b"
            groups[name] = match.group(1).split("|")
    return groups


def test_grammar_keywords_are_the_languages():
    groups = grammar_keyword_groups()
    words = [w for group in groups.values() for w in group]
    repeated = sorted({w for w in words if words.count(w) > 1})
    assert not repeated, f"keywords in more than one group: {repeated}"
    assert sorted(words) == sorted(KEYWORDS), (
        f"missing: {sorted(set(KEYWORDS) - set(words))}, not keywords: {sorted(set(words) - set(KEYWORDS))}")


def test_declared_names_are_never_keywords():
    """`event within 90d` on a line of its own must not colour `within` as a declared name."""
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    match = re.search(r"\(\?!\(\?:([A-Za-z_|]+)\)\\b\)", grammar["repository"]["declaration-name"]["match"])
    assert match and sorted(match.group(1).split("|")) == sorted(KEYWORDS)


def test_language_page_lists_the_keywords():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    listed = re.search(r"can never be names:\s*`([^`]+)`", text)
    assert listed and sorted(listed.group(1).split()) == sorted(KEYWORDS)


def test_grammar_is_well_formed():
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    assert grammar["scopeName"] == "source.score" and "score" in grammar["fileTypes"]
    names = set(grammar["repository"])
    for include in re.findall(r'"include":\s*"#([\w-]+)"', GRAMMAR.read_text(encoding="utf-8")):
        assert include in names, f"#{include} is not in the repository"
    for name, rule in grammar["repository"].items():
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])      # the patterns use only what Oniguruma and Python share
    groups = grammar_keyword_groups()
    for expected in ("declarations", "rules", "options", "operators", "aggregates", "types", "constants"):
        assert f"keywords-{expected}" in groups
