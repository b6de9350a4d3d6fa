"""The sample data a workspace names, for completing column names.

A `leadscore.toml` (`leads = "…"`, `events = "…"` at the top) or a
`[tool.leadscore]` table in `pyproject.toml`, in the document's folder or
the nearest folder above it that has one; paths are relative to that file.
Only the header is read: a CSV's first line, a JSON Lines or JSON file's
first object's keys.
"""

from __future__ import annotations

import csv
import json
import os
import tomllib

CONFIG_FILES = ("leadscore.toml", "pyproject.toml")


def settings(folder: str) -> tuple[dict, str] | None:
    """The `leads`/`events` settings nearest above `folder`, with the folder they are relative to."""
    folder = os.path.abspath(folder)
    while True:
        for name in CONFIG_FILES:
            found = read_settings(os.path.join(folder, name))
            if found is not None:
                return found, folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def read_settings(path: str) -> dict | None:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("leadscore")
    return data if isinstance(data, dict) else None


def sample_columns(document_path: str, which: str) -> list[str]:
    """The column names of the workspace's sample `leads` or `events` file ([] when none)."""
    found = settings(os.path.dirname(os.path.abspath(document_path)))
    if found is None or not isinstance(found[0].get(which), str):
        return []
    return header(os.path.join(found[1], found[0][which]))


def header(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            if path.endswith((".jsonl", ".ndjson", ".json")):
                return json_keys(handle)
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error, ValueError):
        return []


def json_keys(handle) -> list[str]:
    """The keys of a JSON Lines file's first object, or of a JSON array's first object."""
    first = handle.readline().strip()
    if first.startswith("["):
        handle.seek(0)
        rows = json.load(handle)
        row = rows[0] if isinstance(rows, list) and rows else {}
    else:
        row = json.loads(first) if first else {}
    return list(row) if isinstance(row, dict) else []
