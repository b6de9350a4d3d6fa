"""Every `.score` example of the language spec, and of docs/*.md, validates.

LANGUAGE.md says "the examples below are real: each must validate". The
fenced blocks are read from the markdown when the tests run, so an edited or
added example is checked without touching this file.

Which blocks are `.score` code
  LANGUAGE.md (../shared/spec/LANGUAGE.md from the repository root): every
  fenced block tagged `score` or untagged (all of them are, today); a block
  tagged with another language (`json`, `sh`, ...) is not `.score` code.
  docs/*.md: blocks tagged `score`, and untagged blocks whose first line of
  code starts with a top-level keyword (`field`, `rule`, `group`, ...).
  docs/diagnostics.md is left out: its examples are wrong on purpose, and
  tests/test_diagnostics.py checks each gives its documented diagnostic.

How a block is assembled into a model
  1. A block whose lines are all streams (LANGUAGE.md §5, `page_view[...]
     within 7d`) is fragments: each line becomes `rule stream_N: +1 each LINE`.
  2. The block comes first (it may hold the `model` line, which must be first
     in a file), followed by PREAMBLE: the fields, events and lists the spec's
     examples use, minus every name the block declares itself.
  3. `tiers G:` for a group G the block does not declare gets an empty
     `group G { }` (the `tiers fit:` / `qualify ... fit >= 30` lines of §8).
  4. `list target_accounts from "target_accounts.txt"` is read from tmp_path,
     where the test writes that file.
  The model must then check with no diagnostic at all, and hold every rule,
  group, campaign, tier set and stage the block names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadscore.dsl import analyze

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE_MD = ROOT.parent / "shared" / "spec" / "LANGUAGE.md"
DOCS = ROOT / "docs"
NOT_EXAMPLES = {"diagnostics.md"}

PREAMBLE = """\
field job_level: text
field title: text
field employees: number
field email: text
field signed_up: date
event page_view(url: text, seconds: number)
event email_open(email_campaign: text from "campaign")
event email_click
event demo_request
event form_submit
event webinar_attended(webinar: text)
list personal_domains = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]
list target_accounts from "target_accounts.txt"
"""

ITEM_KEYWORDS = ("model", "field", "event", "list", "clamp", "rule", "group", "campaign", "account",
                 "tiers", "qualify", "disqualify")
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
DECLARES = re.compile(r"^\s*(?:field|event|list)\s+(\w+)", re.MULTILINE)
#: a stream alone on its line: `page_view`, `page_view[...] within 7d`, `event within 90d`
STREAM = re.compile(r"^\s*[A-Za-z_]\w*(\[.*\])?(\s+within\s+\S+)?\s*$")


def code_lines(block: str) -> list[str]:
    """The block's lines without comments and blank lines (no example has `#` in a string)."""
    lines = (re.sub(r"#.*", "", line).rstrip() for line in block.splitlines())
    return [line for line in lines if line.strip()]


def starts_with_item(line: str) -> bool:
    return line.split()[0].rstrip(":") in ITEM_KEYWORDS


def fenced_blocks(path: Path, untagged_needs_keyword: bool) -> list:
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        tag, body = match.group(1), match.group(2)
        lines = code_lines(body)
        if tag not in ("", "score") or not lines:
            continue
        if tag == "" and untagged_needs_keyword and not starts_with_item(lines[0]):
            continue
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(pytest.param(body, id=f"{path.name}:{line}"))
    return blocks


def assemble(block: str) -> str:
    lines = code_lines(block)
    if all(STREAM.match(line) for line in lines):                  # 1. stream fragments
        block = "\n".join(f"rule stream_{i}: +1 each {line.strip()}" for i, line in enumerate(lines)) + "\n"
    own = set(DECLARES.findall(block))                             # 2. the preamble, less the block's own
    preamble = [line for line in PREAMBLE.splitlines()
                if not (DECLARES.match(line) and DECLARES.match(line).group(1) in own)]
    groups = set(re.findall(r"^\s*group\s+(\w+)", block, re.MULTILINE))
    extra = [f"group {name} {{ }}"                                  # 3. groups that tiers need
             for name in dict.fromkeys(re.findall(r"^\s*tiers\s+(\w+)\s*:", block, re.MULTILINE))
             if name not in groups]
    return block.rstrip("\n") + "\n\n" + "\n".join(preamble + extra) + "\n"


def named(block: str, keyword: str) -> set[str]:
    return set(re.findall(rf"^\s*{keyword}\s+(\w+)", block, re.MULTILINE))


def check_example(block: str, tmp_path: Path) -> None:
    (tmp_path / "target_accounts.txt").write_text("# accounts\nacme.com\n\nglobex.com\n")   # 4.
    text = assemble(block)
    analysis = analyze(text, "example.score", tmp_path)
    assert analysis.diagnostics == (), f"{text}\n{analysis.render()}"
    model = analysis.model
    assert model is not None

    scopes = [(model.rules, model.groups)] + [(c.rules, c.groups) for c in model.campaigns]
    rules = {r.name for plain, groups in scopes for r in (*plain, *(r for g in groups for r in g.rules))}
    if model.account:
        rules |= {r.name for r in model.account.rules}
    groups = {g.name for _, gs in scopes for g in gs}
    stages = {s.name for s in (*model.qualify, *model.disqualify)} | {
        s.name for c in model.campaigns for s in c.qualify}
    assert named(block, "rule") <= rules
    assert named(block, "group") <= groups
    assert named(block, "campaign") <= {c.name for c in model.campaigns}
    assert named(block, "qualify") | named(block, "disqualify") <= stages
    if re.search(r"^\s*tiers\s*:", block, re.MULTILINE):
        assert model.tiers is not None or any(c.tiers for c in model.campaigns)
    if re.search(r"^\s*model\s", block, re.MULTILINE):
        header = re.search(r'^\s*model\s+"([^"]*)"', block, re.MULTILINE).group(1)
        assert model.name == header


def language_blocks():
    if not LANGUAGE_MD.exists():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"{LANGUAGE_MD} is absent (the spec lives beside the repository, in ../shared)"))]
    return fenced_blocks(LANGUAGE_MD, untagged_needs_keyword=False)


def docs_blocks():
    blocks = [b for path in sorted(DOCS.glob("*.md")) if path.name not in NOT_EXAMPLES
              for b in fenced_blocks(path, untagged_needs_keyword=True)]
    return blocks or [pytest.param(None, marks=pytest.mark.skip(reason="no .score block in docs/*.md"))]


@pytest.mark.parametrize("block", language_blocks())
def test_language_example(block, tmp_path):
    check_example(block, tmp_path)


@pytest.mark.parametrize("block", docs_blocks())
def test_docs_example(block, tmp_path):
    check_example(block, tmp_path)


@pytest.mark.skipif(not LANGUAGE_MD.exists(), reason="../shared/spec/LANGUAGE.md is absent")
def test_the_spec_examples_are_all_found():
    """Guard the extraction: the nine blocks of LANGUAGE.md v1.3, one of them stream fragments."""
    blocks = [p.values[0] for p in language_blocks()]
    assert len(blocks) >= 9
    fragments = [b for b in blocks if all(STREAM.match(x) for x in code_lines(b))]
    assert len(fragments) == 1 and "page_view[url contains" in fragments[0]
    everything = "\n".join(blocks)
    for construct in ("model ", "clamp ", "by employees {", "each email_open", "campaign ", "account by",
                      "tiers fit:", "disqualify ", "decay half_life", "within 90d"):
        assert construct in everything


def test_assembly_of_fragments_and_tiers():
    text = assemble("page_view\nevent within 90d   # any type\n")
    assert text.startswith("rule stream_0: +1 each page_view\nrule stream_1: +1 each event within 90d\n")
    text = assemble("field email: text\ntiers fit: D, C >= 10\n")
    assert text.count("field email") == 1 and "group fit { }" in text
