"""Results as output rows: the JSON Lines object and the flat CSV/Parquet columns (INTERFACE.md §5)."""

from __future__ import annotations

import sys

from .io import CsvWriter, JsonlWriter, ParquetWriter

FORMATS = ("jsonl", "csv", "parquet")


def flat_columns(plan) -> list:
    """The CSV columns for a model's plan (any backend's): fixed before the first row is written."""
    columns = ["id", "score", "tier", "qualified", "disqualified", "tags"]
    columns += [f"group.{planned.group.name}" for planned in plan.groups]
    for planned in plan.campaigns:
        name = planned.ir.name
        columns += [f"campaign.{name}.score", f"campaign.{name}.qualified"]
    return columns


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
        self.explain = explain
        self.flat = fmt != "jsonl"
        self._stream = None
        if fmt == "parquet":
            if path is None:
                raise ValueError("--format parquet needs an output file (-o PATH)")
            columns = flat_columns(plan)
            types = {c: ("number" if c.startswith("group.") or c.endswith(".score") else
                         "list" if c.endswith(".qualified") else PARQUET_TYPES.get(c, "text"))
                     for c in columns}
            self.writer = ParquetWriter(path, columns, types=types)
            return
        self._stream = open(path, "w", encoding="utf-8", newline="") if path else sys.stdout
        self.writer = CsvWriter(self._stream, flat_columns(plan)) if fmt == "csv" else JsonlWriter(self._stream)

    def write(self, result) -> None:
        self.writer.write(flat_record(result) if self.flat else result.to_dict(explain=self.explain))

    def close(self) -> None:
        self.writer.close()
        if self._stream is not None and self._stream is not sys.stdout:
            self._stream.close()
