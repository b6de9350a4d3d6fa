"""Results as output rows: the JSON Lines object and the flat CSV/Parquet columns (INTERFACE.md §5)."""

from __future__ import annotations

import json
import sys

from .io import CsvWriter, JsonlWriter, ParquetWriter
from .resultjson import ResultLines

FORMATS = ("jsonl", "csv", "parquet")


def flat_columns(plan, explain: bool = False) -> list:
    """The CSV columns for a model's plan (any backend's): fixed before the first row is written.

    With `explain`, a last column `contributions` holds the JSON list of
    INTERFACE.md §5's `--explain` (an extension: §5 defines it for JSON Lines).
    """
    columns = ["id", "score", "tier", "qualified", "disqualified", "tags"]
    columns += [f"group.{planned.group.name}" for planned in plan.groups]
    for planned in plan.campaigns:
        name = planned.ir.name
        columns += [f"campaign.{name}.score", f"campaign.{name}.qualified"]
    return columns + (["contributions"] if explain else [])


def contributions_text(result) -> str:
    return json.dumps([c.to_dict() for c in result.contributions], ensure_ascii=False, separators=(",", ":"))


def flat_record(result) -> dict:
    record = {"id": result.id, "score": result.score, "tier": result.tier,
              "qualified": result.qualified, "disqualified": result.disqualified, "tags": result.tags}
    for name, score in result.groups.items():
        record[f"group.{name}"] = score
    for name, campaign in result.campaigns.items():
        record[f"campaign.{name}.score"] = campaign.score
        record[f"campaign.{name}.qualified"] = campaign.qualified
    return record


PARQUET_TYPES = {"score": "number", "qualified": "list", "disqualified": "list", "tags": "list"}


class ResultWriter:
    """Writes results in one of FORMATS to a path, or to standard output."""

    def __init__(self, fmt: str, path: str | None, plan, explain: bool = False):
        self.plan = plan
        self.explain = explain
        self.flat = fmt != "jsonl"
        self._stream = None
        if fmt == "parquet":
            if path is None:
                raise ValueError("--format parquet needs an output file (-o PATH)")
            columns = flat_columns(plan, explain)
            types = {c: ("number" if c.startswith("group.") or c.endswith(".score") else
                         "list" if c.endswith(".qualified") else PARQUET_TYPES.get(c, "text"))
                     for c in columns}
            self.writer = ParquetWriter(path, columns, types=types)
            return
        self._stream = open(path, "w", encoding="utf-8", newline="") if path else sys.stdout
        self.writer = (CsvWriter(self._stream, flat_columns(plan, explain)) if fmt == "csv"
                       else JsonlWriter(self._stream))

    def write(self, result) -> None:
        self.writer.write(self.record(result))

    def record(self, result) -> dict:
        if not self.flat:
            return result.to_dict(explain=self.explain)
        record = flat_record(result)
        if self.explain:
            record["contributions"] = contributions_text(result)
        return record

    def text_of(self):
        """`result → the text write(result) writes` (for `write_raw`), or None: Parquet is not text."""
        if isinstance(self.writer, ParquetWriter):
            return None
        if self.takes_lines:
            line = ResultLines(self.plan).text
            return lambda result: line(result) + "\n"
        text, record = self.writer.text, self.record
        return lambda result: text(record(result))

    def write_raw(self, text: str) -> None:
        """Results already written as `text_of` writes them."""
        self.writer.write_raw(text)

    @property
    def takes_lines(self) -> bool:
        """Does `write_line` apply: JSON Lines without explanations?"""
        return not self.flat and not self.explain

    def write_line(self, text: str) -> None:
        """A result already written as its JSON text (`EngineBatch.json_lines`)."""
        self.writer.write_text(text)

    def close(self) -> None:
        self.writer.close()
        if self._stream is not None and self._stream is not sys.stdout:
            self._stream.close()
