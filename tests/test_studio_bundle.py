"""The studio's committed JavaScript bundle is what its build script makes from the
sources (leadscore/studio/frontend: `npm ci`, then build.mjs), so nobody edits the
bundle by hand and a source change cannot be forgotten in it."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

STUDIO = pathlib.Path(__file__).resolve().parent.parent / "leadscore" / "studio"
FRONTEND = STUDIO / "frontend"

pytestmark = pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                                reason="node and npm are not on this machine")


def test_the_committed_bundle_is_what_the_build_makes(tmp_path):
    installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, capture_output=True,
                               text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    built = subprocess.run(["node", "build.mjs", str(tmp_path)], cwd=FRONTEND, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    for name in ("studio.js", "studio.js.LEGAL.txt"):
        assert (tmp_path / name).read_bytes() == (STUDIO / "static" / name).read_bytes(), (
            f"static/{name} is stale: run `npm ci && npm run build` in leadscore/studio/frontend")
