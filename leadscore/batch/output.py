"""Results as output rows: the JSON Lines object and the flat CSV/Parquet columns (INTERFACE.md §5)."""

from __future__ import annotations

import json
import sys

import attrs

from .io import CsvWriter, JsonlWriter, ParquetWriter
from .io.atomic import AtomicTarget, WholeOrNothing
from ..runtime.resultjson import ResultLines

FORMATS = ("jsonl", "csv", "parquet")


def flat_columns(plan, explain: bool = False) -> list:
    """The CSV columns for a model's plan (any backend's): fixed before the first row is written.

    `warnings` holds the lead's warnings joined with `; ` (empty when none),
    so that a CRM import can find the leads with a bad value. With
    `explain`, a last column `contributions` holds the JSON list of
    INTERFACE.md §5's `--explain` (an extension: §5 defines it for JSON Lines).
    """
    columns = ["id", "score", "tier", "qualified", "disqualified", "tags"]
    columns += [f"group.{planned.group.name}" for planned in plan.groups]
    for planned in plan.campaigns:
        name = planned.ir.name
        columns += [f"campaign.{name}.score", f"campaign.{name}.qualified"]
    return columns + ["warnings"] + (["contributions"] if explain else [])


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
    record["warnings"] = "; ".join(result.warnings)
    return record


def rounded(result, decimals: int | None):
    """`score --decimals N`: the result with its shown numbers rounded to N decimals (Python's
    `round`, half to even on the double's exact value; `-0.0` becomes `0.0`) — the score, the
    group scores, each campaign's score and group scores, and each contribution's points.
    None: the result as it is (full precision, LANGUAGE.md §9)."""
    if decimals is None:
        return result

    def r(value):
        return round(value, decimals) + 0.0 if value.__class__ is float else value

    def groups(scores: dict) -> dict:
        return {name: r(score) for name, score in scores.items()}

    return attrs.evolve(
        result, score=r(result.score), groups=groups(result.groups),
        campaigns={name: attrs.evolve(c, score=r(c.score), groups=groups(c.groups))
                   for name, c in result.campaigns.items()},
        contributions=tuple(attrs.evolve(c, points=r(c.points)) for c in result.contributions))


PARQUET_TYPES = {"score": "number", "qualified": "list", "disqualified": "list", "tags": "list"}


class ResultWriter(WholeOrNothing):
    """Writes results in one of FORMATS to a path, or to standard output.

    A path is written atomically (io/atomic.py): `close()` puts the finished
    file in place; `abort()`, or leaving a `with` block by an exception,
    leaves an existing file as it was."""

    def __init__(self, fmt: str, path: str | None, plan, explain: bool = False, decimals: int | None = None):
        self.plan = plan
        self.explain = explain
        self.decimals = decimals
        self.flat = fmt != "jsonl"
        self._stream = self._target = None
        if fmt == "parquet":
            if path is None:
                raise ValueError("--format parquet needs an output file (-o PATH)")
            columns = flat_columns(plan, explain)
            types = {c: ("number" if c.startswith("group.") or c.endswith(".score") else
                         "list" if c.endswith(".qualified") else PARQUET_TYPES.get(c, "text"))
                     for c in columns}
            self.writer = ParquetWriter(path, columns, types=types)
            return
        if path:
            self._target = AtomicTarget(path)
            self._stream = self._target.open("w", encoding="utf-8", newline="")
        else:
            self._stream = sys.stdout
        self.writer = (CsvWriter(self._stream, flat_columns(plan, explain)) if fmt == "csv"
                       else JsonlWriter(self._stream))

    def write(self, result) -> None:
        self.writer.write(self.record(result))

    def record(self, result) -> dict:
        result = rounded(result, self.decimals)
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
        if not self.flat and not self.explain:
            line, decimals = ResultLines(self.plan).text, self.decimals
            return lambda result: line(rounded(result, decimals)) + "\n"
        text, record = self.writer.text, self.record
        return lambda result: text(record(result))

    def write_raw(self, text: str) -> None:
        """Results already written as `text_of` writes them."""
        self.writer.write_raw(text)

    @property
    def takes_lines(self) -> bool:
        """Does `write_line` apply: JSON Lines without explanations, in full precision?
        (An engine's own JSON text is not rounded: with --decimals the results are written.)"""
        return not self.flat and not self.explain and self.decimals is None

    def write_line(self, text: str) -> None:
        """A result already written as its JSON text (`EngineBatch.json_lines`)."""
        self.writer.write_text(text)

    def close(self) -> None:
        """Finish the output: a file is put in place (on an error, left as it was)."""
        try:
            self.writer.close()
            if self._target is not None:
                self._stream.close()
                self._target.commit()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop writing: an existing file is left as it was (standard output keeps what it got)."""
        if isinstance(self.writer, ParquetWriter):
            self.writer.abort()
        if self._target is not None:
            try:
                self._stream.close()
            finally:
                self._target.discard()
