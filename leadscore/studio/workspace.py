"""The studio's workspace: the model file on disk, the sample data it is tried on,
its `.tests` file, and saving an edit back atomically."""

from __future__ import annotations

import os

import attrs

from ..batch.io.atomic import atomic_output
from ..dsl import Analysis, analyze
from ..dsl.format import format_source
from ..testing.check import default_tests_path


@attrs.frozen
class Data:
    """The sample data and how to read it: the options `leadscore score` takes."""

    leads: str
    events: str | None = None
    now: int = 0                      # µs since the epoch; fixed for the session
    outcome: str | None = None        # the backtest's outcome column, if any
    id_column: str = "id"
    event_lead_column: str = "lead_id"
    delimiter: str | None = None
    line_ids: bool = False
    strict: bool = False

    def batch_settings(self) -> dict:
        return dict(id_column=self.id_column, event_lead_column=self.event_lead_column,
                    delimiter=self.delimiter, line_ids=self.line_ids, strict=self.strict)


class SaveRefused(ValueError):
    """An edit that is not a valid model is never written; `analysis` holds why."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        super().__init__(f"not saved: {len(analysis.errors)} error(s) in the model")


@attrs.frozen
class Workspace:
    model_path: str
    data: Data

    @property
    def base_dir(self) -> str:
        """Where `list … from` files are found: beside the model, as `leadscore score` reads them."""
        return os.path.dirname(os.path.abspath(self.model_path))

    @property
    def tests_path(self) -> str | None:
        path = default_tests_path(self.model_path)
        return path if os.path.isfile(path) else None

    def saved_text(self) -> str:
        with open(self.model_path, encoding="utf-8") as handle:
            return handle.read()

    def analyze(self, text: str) -> Analysis:
        return analyze(text, self.model_path, self.base_dir)

    def save(self, text: str) -> str:
        """Re-validate `text`, lay it out as `leadscore fmt` does and write it; the text written.

        The file is replaced whole or not at all, as every file a command writes
        (leadscore/batch/io/atomic.py): a failed write leaves the old file as it was."""
        analysis = self.analyze(text)
        if analysis.errors:
            raise SaveRefused(analysis)
        formatted = format_source(text, self.model_path)
        with atomic_output(self.model_path, "w", encoding="utf-8", newline="") as handle:
            handle.write(formatted)
        return formatted

