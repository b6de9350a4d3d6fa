"""The service's documentation runs: every ```sh block of docs/live.md marked `<!-- serve-example -->`
against a real service (with an admin token in $T and `--now` fixed), and the README's live scoring
example as the script it is. A ```json block right after a marked block is its answer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import Service, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- serve-example -->"
FENCE = re.compile(r"^```([\w-]*)\s*$")
TOKEN = "docs-admin-token"


def fenced(text: str) -> list:
    """[(language, body, the line before the fence, the block after it or None)]."""
    lines, found, index = text.splitlines(), [], 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match and match.group(1):
            end = next(k for k in range(index + 1, len(lines)) if lines[k].startswith("```"))
            before = next((lines[k] for k in range(index - 1, -1, -1) if lines[k].strip()), "")
            found.append([match.group(1), "\n".join(lines[index + 1:end]), before.strip()])
            index = end + 1
        else:
            index += 1
    for number, block in enumerate(found):
        block.append(found[number + 1] if number + 1 < len(found) else None)
    return found


def examples(page: str) -> list:
    return [(body, after) for lang, body, before, after in fenced((ROOT / page).read_text(encoding="utf-8"))
            if lang == "sh" and before == MARK]


def run(script: str, port: int, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    script = script.replace("localhost:8000", f"127.0.0.1:{port}")
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def shell_env(extra: dict) -> dict:
    env = dict(os.environ, **extra)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("LEADSCORE_STORE", None)
    return env


def test_every_marked_example_of_docs_live_runs(tmp_path):
    found = examples("docs/live.md")
    assert len(found) >= 8
    (tmp_path / "tokens.txt").write_text(f"{TOKEN} admin\n")
    env = shell_env({"T": TOKEN})
    with Service(ROOT / "examples/b2b.score", "--store", f"sqlite:///{tmp_path / 'live.db'}", "--token-file",
                 tmp_path / "tokens.txt", "--now", "2026-11-20T00:00:00Z", cwd=tmp_path) as service:
        for body, after in found:
            done = run(body, service.port, env)
            assert done.returncode == 0, f"{body}\n{done.stderr}\n{service.output()}"
            assert done.stdout.strip(), body
            if after is not None and after[0] == "json" and after[2] == "```":
                assert json.loads(done.stdout) == json.loads(after[1]), body


def test_the_readme_live_scoring_example_works(tmp_path):
    [(body, _after)] = examples("README.md")
    port = free_port()
    (ROOT / "out").mkdir(exist_ok=True)
    script = "\n".join(line for line in body.splitlines() if "pip install" not in line)
    script = script.replace("sqlite:///out/live.db", f"sqlite:///{tmp_path / 'live.db'}")
    script = script.replace("leadscore serve ", f"leadscore serve --port {port} ", 1)
    script = f"trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
    done = run(script, port, shell_env({}), timeout=180)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert answers[0] == {"status": "ok"}
    assert answers[1]["accepted"] == 1 and answers[2]["id"] == "L7"
