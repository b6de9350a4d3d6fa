"""No file in the repository names a path of one machine: what a test, a doc or the code needs
is found relative to the repository (data beside it at `../shared/data`), the running
interpreter (`sys.executable`), or the system's temporary folder (`tempfile`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Folders that hold one machine's or one user's files, spelled so this file does not match itself.
MACHINE_ROOTS = ("work", "root", "home", "Users", "tmp", "opt", "mnt", "srv", "private", "var/folders")
#: A machine root at the start of a path, followed by a name; not `../tmp/` or `docs/tmp/`.
MACHINE_PATH = re.compile(r"(?<![\w.~/-])/(?:%s)/[\w.-]" % "|".join(MACHINE_ROOTS))


def tracked_files() -> list:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listing.decode().split("\0") if name]


def machine_paths(path: Path) -> list:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return []                    # binary, or deleted in the working tree
    return [f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}"
            for n, line in enumerate(text.splitlines(), 1) if MACHINE_PATH.search(line)]


def test_no_tracked_file_names_a_machine_path():
    found = [hit for path in tracked_files() for hit in machine_paths(path)]
    assert not found, "absolute paths of one machine:\n" + "\n".join(found)


#: The examples spell the leading slash as `{0}`, so this file holds no machine path itself.
@pytest.mark.parametrize("line, hit", [(line.format("/"), hit) for line, hit in [
    ("EXECUTABLE = Path('{0}work/venv/bin/leadscore')", True),
    ("--leads {0}home/ana/leads.csv", True),
    ("-o {0}tmp/b2b.sql", True),
    ("-o out/b2b.sql", False),
    ("--leads ../shared/data/x-education-leads/Leads.csv", False),
    ("see docs/tmp/notes.md", False),
    ("the /tmp folder", False),
]])
def test_what_counts_as_a_machine_path(line, hit):
    assert bool(MACHINE_PATH.search(line)) is hit
