"""The store's models: a stored text, compiled once per process (LIVE.md §6).

A model is stored as its text, file name and the folder its `list … from`
files are read from (absolute, so any process finds them); its identity is
the SHA-256 of the text (`hash`). The store's `meta` table names the active
model and the shadow, if any, by their row id.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os

import attrs

from ..runtime.model import Model


class ModelRefused(Exception):
    """A model text that does not validate; `diagnostics` is their rendering."""

    def __init__(self, message: str, diagnostics: str):
        super().__init__(message)
        self.diagnostics = diagnostics


@attrs.frozen
class StoredModel:
    id: int
    name: str
    version: str | None
    hash: str
    text: str
    filename: str
    base_dir: str

    @property
    def compiled(self) -> Model:
        return compile_text(self.text, self.filename, self.base_dir)

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "hash": self.hash}


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=8)
def compile_text(text: str, filename: str, base_dir: str) -> Model:
    """The compiled model; raises ModelRefused with its diagnostics when it does not validate."""
    from ..api import ModelError, loads
    try:
        return loads(text, filename, base_dir=base_dir)
    except ModelError as error:
        raise ModelRefused(f"{filename} is not a valid model ({len(error.analysis.errors)} error(s))",
                           error.render()) from None


def row_for(text: str, filename: str, base_dir: str | None) -> dict:
    """The `models` row of a new text, after checking that it compiles."""
    base_dir = os.path.abspath(base_dir or os.getcwd())
    model = compile_text(text, filename, base_dir)
    version = model.version
    return {"name": model.name, "version": None if version is None else str(version), "hash": text_hash(text),
            "text": text, "filename": filename, "base_dir": base_dir,
            "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat()}
