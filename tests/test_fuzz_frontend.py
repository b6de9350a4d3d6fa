"""A mutation fuzz of the front end, in the suite: no internal error, every
diagnostic inside the file.

The shipped models (examples/, docs/tutorial/, docs/samples/) and the
`score` blocks of the docs are broken in a few thousand ways — bytes flipped,
tokens deleted, duplicated and swapped, keywords, brackets, quotes, numbers
and unusual characters inserted, the bytes truncated (mid-character too) —
from a fixed seed, so a failure reproduces by its case number. Each mutant is
read as a model file is (`analyze_bytes`), and must give an Analysis whose
diagnostics all have a known code and a line and column inside the file. A
sample also goes through `leadscore validate --format json`: exit 0 or 1 and
valid JSON. (tests/test_mutation.py fuzzes the text with hypothesis.)
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadscore.cli import main
from leadscore.dsl import analyze_bytes
from leadscore.dsl.diagnostics import CODES
from leadscore.dsl.parse import KEYWORDS

ROOT = Path(__file__).resolve().parent.parent
SEED = 17
CASES = 3000            # about 30 s on one core of the CI machine
CLI_CASES = 150
BLOCK = re.compile(r"^```score\n(.*?)^```", re.MULTILINE | re.DOTALL)
TOKEN = re.compile(rb"\s+|\w+|[^\w\s]")

INSERTS = [
    *(k.encode() for k in KEYWORDS),
    *(c.encode() for c in "{}()[]<>=!,:.+-#\"%\\;@$~`'_"),
    b"==", b"=>", b"..", b">=", b"\n", b" ", b"\t", b"\r", b"\r\n", b'"', b'""', b'\\"', b"\\u", b"\\ud800",
    b"\\u0000", b"6mo", b"1.5d", b"0h", b"-0", b"+1_000", b"1e5", b"9" * 400, b"9" * 5000, b"9" * 5000 + b"d", b"1_" * 60,
    b"50%", b"1..", b"..1", "é".encode(), "\u202e".encode(), "\ufeff".encode(), "😀".encode(), "٣".encode(),
    "ß".encode(), "İ".encode(), "\u2028".encode(), b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x85",
    b"rule", b"group g {", b"campaign c {", b"}", b"account by email {",
    b'list l from "/dev/zero"', b'list l from "\\u0000"', b'list l from "."',
]


def model_files() -> list[tuple[bytes, Path]]:
    """Every model file shipped with the project, with its folder (`list ... from` paths)."""
    folders = (ROOT / "examples", ROOT / "docs" / "tutorial", ROOT / "docs" / "samples")
    return [(path.read_bytes(), folder) for folder in folders for path in sorted(folder.glob("*.score"))]


def doc_blocks() -> list[tuple[bytes, Path]]:
    """Every `score` block of the docs (some are broken on purpose)."""
    return [(block.encode(), ROOT / "docs") for page in sorted((ROOT / "docs").glob("*.md"))
            for block in BLOCK.findall(page.read_text(encoding="utf-8"))]


MODEL_FILES = model_files()
CORPUS = MODEL_FILES + doc_blocks()


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four mutations of a model's bytes."""
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(["flip", "byte", "delete", "duplicate", "swap", "insert", "insert", "replace",
                         "truncate", "line"])
        if op in ("flip", "byte", "truncate") and data:
            i = rng.randrange(len(data))
            if op == "truncate":
                data = data[:i]
            else:
                value = data[i] ^ (1 << rng.randrange(8)) if op == "flip" else rng.randrange(256)
                data = data[:i] + bytes([value]) + data[i + 1:]
            continue
        if op == "line":                  # a line deleted or doubled: a declaration lost or repeated
            lines = data.split(b"\n")
            i = rng.randrange(len(lines))
            lines[i:i + 1] = [] if rng.random() < 0.5 else [lines[i], lines[i]]
            data = b"\n".join(lines)
            continue
        tokens = TOKEN.findall(data) or [b""]
        i = rng.randrange(len(tokens))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "insert":
            tokens.insert(i, rng.choice(INSERTS))
        else:
            tokens[i] = rng.choice(INSERTS)
        data = b"".join(tokens)
    return data


def mutants(count: int, seed: int):
    rng = random.Random(seed)
    for case in range(count):
        data, folder = rng.choice(CORPUS)
        yield case, mutate(data, rng), folder


def problems(data: bytes, folder: Path) -> list[str]:
    """What is wrong with the front end's answer for one mutant (nothing: an empty list)."""
    try:
        analysis = analyze_bytes(data, "fuzz.score", folder)
    except Exception as error:          # noqa: BLE001 - any escape is the failure looked for
        return [f"internal error: {type(error).__name__}: {error}"[:300]]
    lines = analysis.source.text.split("\n")
    found = []
    for d in analysis.diagnostics:
        where = f"{d.code} at {d.line}:{d.column}-{d.end_line}:{d.end_column}"
        if d.code not in CODES or d.severity not in ("error", "warning") or not d.message:
            found.append(f"malformed diagnostic {where}: {d.message!r}")
        for line, column in ((d.line, d.column), (d.end_line, d.end_column)):
            if not (1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1):
                found.append(f"position outside the file: {where}")
        if (d.end_line, d.end_column) < (d.line, d.column):
            found.append(f"span ends before it starts: {where}")
    if (analysis.model is None) != any(d.is_error for d in analysis.diagnostics):
        found.append("a model returned with errors, or none without")
    analysis.render()
    json.dumps([d.to_dict() for d in analysis.diagnostics])
    return found


def test_the_corpus_unmutated():
    assert len(MODEL_FILES) >= 8 and len(CORPUS) >= 50
    for data, folder in CORPUS:
        assert problems(data, folder) == []


def test_mutants_never_raise_and_every_position_is_in_the_file():
    start = time.perf_counter()
    failures = {}
    for case, data, folder in mutants(CASES, SEED):
        found = problems(data, folder)
        if found:
            failures[case] = (found, data[:200])
    elapsed = time.perf_counter() - start
    print(f"front-end fuzz: {CASES} mutants in {elapsed:.1f}s")
    assert not failures, f"{len(failures)} of {CASES} mutants failed; first: " + repr(
        next(iter(failures.items())))


def test_validate_json_on_a_sample_of_mutants(tmp_path):
    runner = CliRunner()
    path = tmp_path / "fuzz.score"
    for case, data, folder in mutants(CLI_CASES, SEED + 1):
        path.write_bytes(data)
        result = runner.invoke(main, ["validate", "--format", "json", str(path)])
        assert result.exit_code in (0, 1), (case, result.output[-500:], result.exception)
        payload = json.loads(result.stdout)
        assert isinstance(payload["diagnostics"], list), case
        assert (result.exit_code == 1) == any(d["severity"] == "error" for d in payload["diagnostics"]), case


@pytest.mark.parametrize("case", ["mid-character", "bom only", "empty", "nul"])
def test_edges_of_the_bytes(case):
    data = {"mid-character": "rule r: +1 when x == \"é".encode()[:-1], "bom only": b"\xef\xbb\xbf",
            "empty": b"", "nul": b"field x: text\x00\n"}[case]
    assert problems(data, ROOT) == []
