"""Every output the documentation shows is produced by running its command.

A page shows output in a ```text block. The block is checked when the
command that prints it is known:

- a ```text block right after a ```sh block (only blank lines between) is
  that block's output: standard output and standard error as a terminal
  shows them, in order;
- a ```text block after a line `<!-- $ COMMAND -->` is the output of
  COMMAND (for output whose command the prose names, or a part of a longer
  run);
- `<!-- excerpt -->` on the line before the block (after any `$` line) says
  the block shows some lines of the output: each shown line must appear in
  the output, in the order shown (a line `...` stands for lines left out);
- `<!-- not output: REASON -->` marks a block that is no command's output
  (a file's content, a sketch); the reason is required.

Any other ```text block fails the test, so no shown output can drift. Every
fence names its language (```sh, ```text, ```score, ...): a plain ``` fence
fails, so output cannot hide in one. The commands run from the repository root with the venv's `bin` first on PATH;
only what must vary between runs is normalised: durations (`0.09s`, `12 ms`)
and times of day.

A command writes only into `out/`, the folder git ignores, as the README's
workflow does. The README's ```text blocks follow the same rules. docs/diagnostics.md is
left out: each of its ```text blocks is the diagnostic its ```score example
gets, and tests/test_diagnostics.py runs every one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Checked by tests/test_diagnostics.py (each section's example and the diagnostic it prints).
CHECKED_ELSEWHERE = {"diagnostics.md"}
PAGES = sorted([*(p for p in (ROOT / "docs").glob("*.md") if p.name not in CHECKED_ELSEWHERE),
                ROOT / "README.md"])

FENCE = re.compile(r"^```([\w-]*)\s*$")
COMMAND = re.compile(r"^<!--\s*\$\s*(.+?)\s*-->\s*$")
EXCERPT = re.compile(r"^<!--\s*excerpt\s*-->\s*$")
NOT_OUTPUT = re.compile(r"^<!--\s*not output:\s*\S.*-->\s*$")

#: What may differ from run to run: durations and times of day.
VARYING = [
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|µs|s)\b"), "<duration>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:seconds|second)\b"), "<duration>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:\.\d+)?\b"), "<clock>"),
    (re.compile(r"\d+(?:\.\d+)? ?(?:rows|leads)/s\b"), "<rate>"),
]


class Shown:
    """A ```text block and how it is checked."""

    def __init__(self, page: Path, line: int, text: str, command: str | None, excerpt: bool, exempt: bool):
        self.page, self.line, self.text = page, line, text
        self.command, self.excerpt, self.exempt = command, excerpt, exempt

    @property
    def where(self) -> str:
        name = self.page.relative_to(ROOT) if ROOT in self.page.parents else self.page.name
        return f"{name}:{self.line}"


def fences(page: Path) -> list[tuple[str, int, int, str]]:
    """Each fenced block of a page: its language, the lines of its fences (from 0), its text."""
    lines, found, i = page.read_text(encoding="utf-8").splitlines(), [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```"), None)
            assert end is not None, f"{page.name}:{i + 1}: a ``` block is never closed"
            found.append((match.group(1), i, end, "\n".join(lines[i + 1:end])))
            i = end
        i += 1
    return found


def shown_blocks(page: Path) -> list[Shown]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found, last_sh, last_sh_end = [], None, -10
    for lang, start, end, body in fences(page):
        if lang == "sh":
            last_sh, last_sh_end = body, end
        elif lang == "text":
            found.append(describe(page, lines, start, body, last_sh if follows(lines, last_sh_end, start) else None))
    return found


def follows(lines: list[str], previous_end: int, start: int) -> bool:
    """Only blank lines and markers between the end of a block and the start of the next."""
    between = lines[previous_end + 1:start]
    return previous_end >= 0 and all(not line.strip() or line.lstrip().startswith("<!--") for line in between)


def describe(page: Path, lines: list[str], start: int, body: str, sh: str | None) -> Shown:
    markers, j = [], start - 1
    while j >= 0 and (not lines[j].strip() or lines[j].lstrip().startswith("<!--")):
        if lines[j].strip():
            markers.append(lines[j].strip())
        j -= 1
        if markers and not lines[j + 1].strip():
            break                     # markers sit right above the fence (blank lines above them end the search)
    command = next((COMMAND.match(m).group(1) for m in markers if COMMAND.match(m)), None) or sh
    excerpt = any(EXCERPT.match(m) for m in markers)
    exempt = any(NOT_OUTPUT.match(m) for m in markers)
    return Shown(page, start + 1, body, command, excerpt, exempt)


def normalise(text: str) -> list[str]:
    for pattern, stand_in in VARYING:
        text = pattern.sub(stand_in, text)
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def run(command: str) -> str:
    """What a terminal shows: standard output and standard error in one stream, in order."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("LEADSCORE_DEBUG", None)
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          text=True, timeout=300)
    return done.stdout


BLOCKS = [block for page in PAGES for block in shown_blocks(page)]
CHECKED = [b for b in BLOCKS if not b.exempt and b.command]


def test_every_shown_output_has_its_command():
    unexplained = [b.where for b in BLOCKS if not b.exempt and not b.command]
    assert not unexplained, (
        "```text blocks that are no command's output must say so (<!-- not output: why -->), "
        "and shown output needs its command (a ```sh block right before, or <!-- $ COMMAND -->): "
        + ", ".join(unexplained))


def test_every_fence_names_its_language():
    plain = [f"{page.relative_to(ROOT)}:{start + 1}" for page in PAGES
             for lang, start, _, _ in fences(page) if not lang]
    assert not plain, "``` fences without a language (sh, text, score, ...): " + ", ".join(plain)


WRITES = re.compile(r"(?:(?<!\S)(?:-o|--output|--rejects|--report)\s+|>\s*)([^\s&]\S*)")


def test_commands_write_only_into_out():
    """What a page's command writes lands in out/ (git ignores it), never beside the sources."""
    writes = [f"{b.where}: {target}" for b in CHECKED for target in WRITES.findall(b.command)
              if not target.startswith(("out/", "/dev/null"))]
    assert not writes, "commands writing outside out/: " + ", ".join(writes)


def mismatch(block: Shown, output: str) -> str | None:
    """Why the block is not what the command printed (None when it is)."""
    actual, shown = normalise(output), normalise(block.text)
    if not block.excerpt:
        if shown == actual:
            return None
        return (f"{block.where}: `{block.command}` prints\n" + "\n".join(actual)
                + "\n--- the page shows ---\n" + "\n".join(shown))
    position = 0
    for line in shown:
        if line.strip() == "...":
            continue
        if line not in actual[position:]:
            return (f"{block.where}: `{line}` is not in the output of `{block.command}` (in this order):\n"
                    + "\n".join(actual))
        position = actual.index(line, position) + 1
    return None


@pytest.mark.parametrize("block", CHECKED, ids=[b.where for b in CHECKED])
def test_shown_output_is_what_the_command_prints(block):
    problem = mismatch(block, run(block.command))
    assert problem is None, problem


PAGE = """A run:

```sh
echo one; echo two
```

```text
one
two
```

<!-- $ printf 'a\\nb\\nc\\n' -->
<!-- excerpt -->
```text
a
...
c
```
"""


def test_a_changed_character_fails(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    whole, excerpt = shown_blocks(page)
    assert (whole.command, whole.excerpt, excerpt.excerpt) == ("echo one; echo two", False, True)
    assert mismatch(whole, "one\ntwo\n") is None and mismatch(excerpt, "a\nb\nc\n") is None
    assert mismatch(whole, "one\ntwo!\n") is not None
    assert mismatch(whole, "one\n") is not None
    assert mismatch(excerpt, "a\nb\nC\n") is not None
    assert mismatch(excerpt, "c\na\n") is not None            # an excerpt keeps the output's order


def test_only_durations_and_clock_times_are_normalised():
    assert normalise("time: 1.30s\nat 12:04:59") == normalise("time: 0.02s\nat 09:00:00")
    assert normalise("300 read") != normalise("301 read")
