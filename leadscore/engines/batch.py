"""`score --engine duckdb|spark`: the batch of leadscore/batch/batch.py, scored by an SQL engine.

Who does what (docs/sql.md, "Engines"):

- Leads from a CSV file (or a Parquet file of text columns) are read by
  the engine itself (DuckDB): one SQL pass (`compiler.sql.stage.checked_leads`)
  converts the rows it reads exactly and finds duplicate ids; the rest are read by the Python reader,
  so reasons, warnings and `--strict` are the Python batch's. Other leads
  files are read, checked and converted by the Python readers, exactly as
  `--engine python` does, and reach the engine as the prepared relation
  through a temporary CSV file with declared column types.
- Events are read by the engine itself from CSV or all-text Parquet (other
  files go through the Python readers first). One SQL pass
  (`compiler.sql.stage.checked_events`) gives every row its fate — used,
  ignored (undeclared type, after now) or rejected with the same reason the
  Python batch gives — and converts the used ones; rows SQL might read
  differently (`needs_python`: exotic times, non-ASCII text, non-text
  values) are read by the Python reader instead. Event attribute warnings
  are reported on their lead as the Python runtime words them.
- The model's query (compiler/sql/, prepared form) scores everything at
  once; its rows come back in input order as `ScoreResult`s, or, for JSON
  Lines output, as the result lines the engine wrote (compiler/sql/jsonl.py).

Rejects-file lines are exact: when a row is rejected, the file is scanned
once more by the Python reader, which knows where every row starts.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
import time

from sqlglot import exp

from ..batch.acceptance import LeadAcceptance, event_owner
from ..batch.batch import Batch
from ..batch.io import BadRow, csv_layout, detect_format, read_rows
from ..compiler.sql import col, ident, table
from ..dsl import ir
from ..runtime.resultjson import ResultLines
from ..runtime.schema import AFTER_NOW, REJECTED, UNDECLARED, USED, describe_raw, strict_rejection
from ..runtime.values import format_time
from .prepared import csv_cells, prepared_columns, prepared_rows, write_prepared_csv
from .rows import RowReader, json_line


class EngineBatch:
    def __init__(self, model, checked: ir.Model, engine, now: int, rejects, *, id_column="id",
                 event_lead_column="lead_id", strict=False, delimiter=None, line_ids=False, stdin=None,
                 progress=None):
        self.model, self.checked, self.engine, self.now = model, checked, engine, now
        rejects = self.rejects = _InPythonOrder(rejects)
        self.strict, self.delimiter, self.stdin = strict, delimiter, stdin
        self.lead_column = event_lead_column
        # leads not read by the engine are read, checked and converted by the Python batch; the
        # query builds accounts, so every lead comes with its (inline) events
        self.batch = Batch(model, now, rejects, id_column=id_column, event_lead_column=event_lead_column,
                           strict=strict, delimiter=delimiter, line_ids=line_ids, stdin=stdin, progress=progress,
                           deferred=False)
        self.summary = self.batch.summary
        self.held_back: list = []        # (line, row) of event rows only the Python reader reads exactly

    def run_pairs(self, leads_path: str, events_path: str | None = None, keep_leads: bool = True):
        """(lead, result) for each scored lead, in input order (the lead keeps its raw row).

        Leads go to the engine as they are read; what stays in Python is, per
        lead, its warnings, or the whole lead when `keep_leads` (backtest
        needs its raw row). Results come back one by one from the engine.
        """
        with self.loaded(leads_path, events_path, keep_leads) as (kept, file_warnings):
            for result in self.score(kept, file_warnings):
                self.count(result.warnings)
                yield (kept[result.id] if keep_leads else None), result

    def run(self, leads_path: str, events_path: str | None = None):
        """The results, in input order; the summary and rejects are complete when it is exhausted."""
        for _lead, result in self.run_pairs(leads_path, events_path, keep_leads=False):
            yield result

    def json_lines(self, leads_path: str, events_path: str | None = None):
        """Each result as its JSON Lines text (`ScoreResult.to_dict()` as leadscore/batch/output.py writes
        it, without the newline), in input order. The engine writes the text when it can
        (compiler/sql/jsonl.py); else, and for a row it cannot write, the result is built here."""
        if not self.engine.writes_json():
            yield from map(ResultLines(self.model.plan).text, self.run(leads_path, events_path))
            return
        with self.loaded(leads_path, events_path, False) as (kept, file_warnings):
            now, odd = json.dumps(format_time(self.now)), None
            for lead_id, text in self.engine.rows(self.query("json"), as_tuples=True):
                warnings = _merge_warnings(kept[lead_id], file_warnings.get(lead_id, ()))
                self.count(warnings)
                if text is None:
                    odd = odd or self.odd_results(kept, file_warnings)
                    yield json.dumps(odd[lead_id].to_dict(), ensure_ascii=False)
                else:
                    yield json_line(lead_id, text, warnings, now)

    def json_text(self, leads_path: str, events_path: str | None = None):
        """The results as JSON Lines text, in input order, in chunks of many lines (each line ends
        with a newline). An engine that can writes the file itself (`copy_lines`, the query's
        `line` form): no Python per lead; else, the lines of `json_lines`."""
        if not (self.engine.writes_files and self.engine.writes_json()):
            yield from (line + "\n" for line in self.json_lines(leads_path, events_path))
            return
        with self.loaded(leads_path, events_path, False) as (kept, file_warnings):
            self.summary.warnings += self.load_warnings(kept, file_warnings)
            self.summary.leads_scored += len(kept)
            path = os.path.join(self.scratch, "results.jsonl")
            now = json.dumps(format_time(self.now))
            self.engine.copy_lines(self.query("line", ("lead_warnings", now)), path)
            yield from self.copied_lines(path, kept, file_warnings)

    def load_warnings(self, kept: dict, file_warnings: dict) -> int:
        """The table `lead_warnings`: the JSON text of each lead's warnings (`__wid`, `__wtext`), for
        the leads that have some; how many warnings in all."""
        rows, count = [], 0
        for lead_id, own in kept.items():
            if own or lead_id in file_warnings:
                warnings = _merge_warnings(own, file_warnings.get(lead_id, ()))
                count += len(warnings)
                rows.append([lead_id, json.dumps(list(warnings), ensure_ascii=False)])
        path = os.path.join(self.scratch, "lead_warnings.csv")
        write_prepared_csv(path, rows)
        self.engine.load_typed_csv("lead_warnings", path, [("__wid", "VARCHAR"), ("__wtext", "VARCHAR")])
        return count

    def copied_lines(self, path: str, kept: dict, file_warnings: dict):
        """The file the engine wrote, in chunks; a line `#POSITION` (a result SQL could not write)
        replaced by the line Python writes for that lead."""
        odd = None
        with open(path, encoding="utf-8", newline="") as handle:
            while chunk := handle.read(1 << 22):
                if not chunk.endswith("\n"):
                    chunk += handle.readline()
                if not chunk.startswith("#") and "\n#" not in chunk:
                    yield chunk
                    continue
                odd = odd or self.odd_lines(kept, file_warnings)
                yield "".join(odd[int(line[1:])] + "\n" if line.startswith("#") else line + "\n"
                              for line in chunk[:-1].split("\n"))

    def odd_lines(self, kept: dict, file_warnings: dict) -> dict:
        """Input position → the JSON line of its result, built by Python from the result columns."""
        position = dict(self.engine.fetch(exp.select(col("__id"), col("__pos")).from_(table("prepared_leads"))))
        return {position[lead_id]: json.dumps(result.to_dict(), ensure_ascii=False)
                for lead_id, result in self.odd_results(kept, file_warnings).items()}

    def odd_results(self, kept: dict, file_warnings: dict) -> dict:
        """Lead id → `ScoreResult`, for the rows whose numbers SQL could not write as JSON."""
        return {result.id: result for result in self.score(kept, file_warnings)}

    def count(self, warnings) -> None:
        self.summary.leads_scored += 1
        self.summary.warnings += len(warnings)

    @contextlib.contextmanager
    def loaded(self, leads_path: str, events_path: str | None, keep_leads: bool):
        """Leads and events read into the engine: yields (lead id → lead or its warnings,
        lead id → warnings of its file events)."""
        started = time.perf_counter()
        rejected: set = set()
        with tempfile.TemporaryDirectory(prefix="leadscore-") as scratch:
            kept = None if keep_leads else self.load_leads_natively(leads_path, scratch)
            if kept is None:
                kept = self.load_leads(self.batch.leads(leads_path, None, rejected), rejected, scratch, keep_leads)
            file_warnings = self.load_events(events_path, scratch) if events_path else {}
            self.rejects.flush()
            self.engine.drop("raw_events", *(() if self.engine.lazy_views else ("checked_events",)))
            yield kept, file_warnings
        self.summary.seconds = time.perf_counter() - started

    # ---- input -----------------------------------------------------------------------

    def load_leads(self, leads, rejected: set, scratch: str, keep_leads: bool) -> dict:
        """Write the leads to the engine as they are read; lead id → the lead (or its warnings)."""
        self.scratch = scratch
        lead_cols, event_cols = prepared_columns(self.checked)
        lead_path, inline_path = (os.path.join(scratch, n + ".csv") for n in ("prepared_leads", "inline_events"))
        kept: dict = {}
        with open(lead_path, "w", encoding="utf-8", newline="") as lead_file, \
                open(inline_path, "w", encoding="utf-8", newline="") as inline_file:
            lead_out, inline_out = csv.writer(lead_file), csv.writer(inline_file)
            for pos, lead in enumerate(leads):
                lead_rows, inline_rows = prepared_rows(self.checked, (lead,), pos)
                lead_out.writerow(csv_cells(lead_rows[0]))
                for row in inline_rows:
                    inline_out.writerow(csv_cells(row))
                kept[lead.id] = lead if keep_leads else lead.warnings
        self.engine.load_typed_csv("prepared_leads", lead_path, lead_cols)
        self.engine.load_typed_csv("inline_events", inline_path, event_cols)
        self.scored_ids, self.rejected_ids = kept.keys(), rejected
        self.load_ids("scored_ids", kept)
        self.load_ids("rejected_ids", sorted(rejected))
        return kept

    def load_ids(self, name: str, ids) -> None:
        """A table of lead ids (`__id`), through its own file: Spark would serve a second read of
        the same path from its cache."""
        path = os.path.join(self.scratch, name + ".csv")
        write_prepared_csv(path, [[x] for x in ids])
        self.engine.load_typed_csv(name, path, [("__id", "VARCHAR")])

    def load_leads_natively(self, path: str, scratch: str) -> dict | None:
        """A CSV leads file read by the engine itself: lead id → its warnings. None when the
        engine does not read this file (then the Python readers do, `load_leads`).

        One SQL pass (`compiler.sql.stage.checked_leads`) converts the rows it
        reads exactly and finds duplicate ids; the rest (no id, a value that
        does not convert, text SQL might read differently) are read here by
        the Python reader, so reasons, warnings and `--strict` are the Python
        batch's. Rejects are written in line order, as the Python batch does.
        """
        fmt = None if self.batch.line_ids else self.native_format(path)
        layout = csv_layout(path, self.delimiter) if fmt == "csv" else None
        if layout is not None and self.batch.id_column not in layout.columns:
            layout = None
        if fmt is None or (fmt == "csv" and layout is None):
            return None
        header = layout.columns if layout is not None else None
        # the delimiter the Python reader found, so that the engine need not open the file to sniff it
        refused = self.engine.load_raw(path, fmt, "raw_leads", layout.delimiter if layout else self.delimiter)
        if refused is None:
            return None
        raw_columns = [c for c in self.engine.columns("raw_leads") if c != "__epos"]
        if (header is not None and raw_columns != header) or self.batch.id_column not in raw_columns:
            self.engine.drop("raw_leads")           # a header the engine names differently; no id column
            return None
        from ..compiler.sql import QueryBuilder, checked_leads, dialect
        self.scratch = scratch
        builder = QueryBuilder(self.checked, dialect(self.engine.dialect), self.now, prepared=True,
                               id_column=self.batch.id_column, columns_present=set(raw_columns))
        self.engine.materialize("checked_leads", checked_leads(builder, "raw_leads"))
        lines = _LineMap(path, self.delimiter, fmt, refused)
        odd = self.engine.fetch(_with_raw("checked_leads", "raw_leads", raw_columns,
                                          lambda status: exp.NEQ(this=status, expression=exp.Literal.string("ok")),
                                          "__status", "__first"))
        lines.need([row[0] for row in odd] + [row[2] for row in odd if row[1] == "duplicate"])
        kept, rejected, python_rows, rejects = self.read_odd_leads(path, lines, odd, raw_columns)
        s = self.summary
        s.leads_read += self.engine.fetch(exp.select(exp.Count(this=exp.Star())).from_(table("raw_leads")))[0][0]
        rejects += [(row.line, row) for row in lines.bad_rows()]
        s.leads_read += len(lines.bad_rows())
        for _line, row in sorted(rejects, key=lambda pair: pair[0]):
            s.leads_rejected += 1
            self.rejects.add(row)
        self.load_prepared_leads(python_rows, rejected)
        ok = self.engine.fetch(exp.select(col("__id")).from_(table("checked_leads")).where(_is("ok")(col("__status"))))
        kept.update(dict.fromkeys((row[0] for row in ok), ()))
        self.scored_ids, self.rejected_ids = kept.keys(), rejected
        self.engine.drop("checked_leads", "raw_leads")
        return kept

    def read_odd_leads(self, path: str, lines, odd: list, raw_columns: list) -> tuple:
        """The lead rows SQL left to Python (`checked_leads` not ok), decided as `Batch.lead` does:
        (lead id → warnings of those scored, ids rejected by `--strict`, their prepared rows,
        [(line, BadRow)] rejected)."""
        kept, rejected, python_rows, rejects = {}, set(), [], []
        acceptance = LeadAcceptance(self.model, self.batch.id_column, self.strict)
        for epos, status, first, *values in odd:
            data, line = _raw_row(raw_columns, values), lines.line(epos)
            lead, lead_id, reason = acceptance.decide(
                data, line, first=lines.line(first) if status == "duplicate" else None)
            if lead is not None:
                python_rows.append(prepared_rows(self.checked, (lead,), int(epos))[0][0])
                kept[lead_id] = lead.warnings
            else:
                if lead_id is not None:
                    rejected.add(lead_id)
                rejects.append((line, BadRow(path, line, reason, data)))
        return kept, rejected, python_rows, rejects

    def native_format(self, path: str) -> str | None:
        """The format of a file the engine may read itself (plain CSV or Parquet), else None."""
        if path == "-":
            return None
        fmt, packed = detect_format(path)
        return fmt if fmt in self.engine.native_formats and not packed else None

    def load_prepared_leads(self, python_rows: list, rejected: set) -> None:
        """prepared_leads: the rows SQL read (`checked_leads` ok) and the Python reader's; no inline
        events; scored and rejected ids."""
        lead_cols, event_cols = prepared_columns(self.checked)
        python_path = os.path.join(self.scratch, "python_leads.csv")
        write_prepared_csv(python_path, python_rows)
        self.engine.load_typed_csv("python_leads", python_path, lead_cols)
        wanted = [c for c, _ in lead_cols]
        from_sql = [exp.alias_(col("__epos"), ident("__pos")) if c == "__pos" else col(c) for c in wanted]
        ok = exp.select(*from_sql).from_(table("checked_leads")).where(_is("ok")(col("__status")))
        self.engine.materialize("prepared_leads", exp.union(
            ok, exp.select(*[col(c) for c in wanted]).from_(table("python_leads")), distinct=False))
        empty = os.path.join(self.scratch, "inline_events.csv")
        write_prepared_csv(empty, [])
        self.engine.load_typed_csv("inline_events", empty, event_cols)
        self.engine.materialize("scored_ids", exp.select(col("__id")).from_(table("prepared_leads")))
        self.load_ids("rejected_ids", sorted(rejected))

    def load_events(self, path: str, scratch: str) -> dict:
        """Read, check and convert the events file; returns lead id → warnings of its file events."""
        fmt = self.native_format(path)
        refused = self.load_events_natively(path, fmt) if fmt else None
        if refused is not None:
            lines = _LineMap(path, self.delimiter, fmt, refused)
        else:
            lines = _LineMap(path, None, None, 0, self.raw_through_python(path, scratch))
        for row in lines.bad_rows():
            self.summary.events_read += 1
            self.summary.events_rejected += 1
            self.rejects.event(row)
        return self.check_events(path, lines)

    def load_events_natively(self, path: str, fmt: str) -> int | None:
        """The events file read by the engine itself as `raw_events`: how many rows it refused, or
        None when the Python reader must read it. A CSV file's head is read here first, so that an
        empty file or a bad header is the Python reader's error, and a header the engine names
        differently (an empty or repeated name) sends the file to the Python reader."""
        layout = csv_layout(path, self.delimiter) if fmt == "csv" else None
        if fmt == "csv" and layout is None:
            return None                              # no row parses: the Python reader says what there is
        refused = self.engine.load_raw(path, fmt, "raw_events", layout.delimiter if layout else self.delimiter)
        if refused is not None and layout is not None and \
                [c for c in self.engine.columns("raw_events") if c != "__epos"] != layout.columns:
            self.engine.drop("raw_events")
            return None
        return refused

    def raw_through_python(self, path: str, scratch: str) -> list:
        """Events the engine cannot read itself: parsed by the Python readers, handed over as text.

        A row holding a value that is not text (a JSON number, a Parquet
        timestamp) is kept back for `read_in_python`: its text form could
        read differently. So is a row whose keys are not those of the first
        row, in their order: its rejects-file record shows the row as written.
        An empty text is written quoted, so that it stays empty (in the
        rejects file too) where a missing value is NULL.
        """
        bad, rows, names = [], [], None
        for item in read_rows(path, delimiter=self.delimiter, stdin=self.stdin):
            if isinstance(item, BadRow):
                bad.append(item)
                continue
            if names is None:
                names = list(item.data)
            if list(item.data) == names and all(x is None or x.__class__ is str for x in item.data.values()):
                rows.append(item)
            else:
                self.held_back.append((item.line, item.data))
        names = names or []
        target = os.path.join(scratch, "raw_events.csv")
        with open(target, "w", encoding="utf-8", newline="") as handle:
            for item in rows:
                handle.write(",".join([str(item.line)] + [_text_cell(item.data.get(c)) for c in names]) + "\n")
        self.engine.load_typed_csv("raw_events", target, [("__epos", "BIGINT")] + [(c, "VARCHAR") for c in names])
        return bad

    def check_events(self, path: str, lines: "_LineMap") -> dict:
        from ..compiler.sql import QueryBuilder, checked_events, dialect
        present = set(self.engine.columns("raw_events"))
        builder = QueryBuilder(self.checked, dialect(self.engine.dialect), self.now, prepared=True,
                               lead_column=self.lead_column, columns_present=present)
        self.engine.materialize("checked_events", checked_events(builder, "raw_events", exact=True,
                                                                 strict=self.strict))
        s = self.summary
        counts = dict(self.engine.fetch(
            exp.select(col("__status"), exp.alias_(exp.Count(this=exp.Star()), ident("n")))
            .from_(table("checked_events")).group_by(col("__status"))))
        s.events_read += sum(counts.values())
        s.events_undeclared += counts.pop("undeclared", 0)
        s.events_after_now += counts.pop("after_now", 0)
        used = counts.pop("used", 0)
        s.events_used += used
        s.events_read -= counts.pop("python", 0)         # counted again by read_in_python
        raw_columns = [c for c in self.engine.columns("raw_events") if c != "__epos"]
        fates = [exp.Literal.string(x) for x in ("used", "undeclared", "after_now", "python", "strict")]
        rejected = self.engine.fetch(_with_raw("checked_events", "raw_events", raw_columns,
                                               lambda status: exp.Not(this=exp.In(this=status, expressions=fates)),
                                               "__status"))
        lines.need(row[0] for row in rejected)
        for row in rejected:
            s.events_rejected += 1
            self.rejects.event(BadRow(path, lines.line(row[0]), row[1], _raw_row(raw_columns, row[2:])))
        warnings = self.attribute_warnings(path, lines, raw_columns)
        for lead_id, found in self.read_in_python(path, lines, raw_columns).items():
            warnings.setdefault(lead_id, []).extend(found)
        for found in warnings.values():
            found.sort(key=lambda pair: pair[0])
        self.engine.view("events_used", self.used_events_query())
        return {lead_id: [w for _, w in found] for lead_id, found in warnings.items()}

    def read_in_python(self, path: str, lines, raw_columns: list) -> dict:
        """The rows `needs_python` picked, read by the Python reader: lead id → [(position, warning)]."""
        rows = self.engine.fetch(_with_raw("checked_events", "raw_events", raw_columns, _is("python")))
        lines.need(row[0] for row in rows)
        picked = [(row[0], _raw_row(raw_columns, row[1:])) for row in rows] + self.held_back
        s, reader, warnings, used = self.summary, self.model.event_reader, {}, []
        for epos, data in picked:
            lead_id, problem = event_owner(data.get(self.lead_column), self.lead_column)
            if problem:
                s.events_read += 1
                s.events_rejected += 1
                self.rejects.event(BadRow(path, lines.line(epos), problem, data))
                continue
            s.events_read += 1
            fate, event, reason, found = reader.fate(data, self.now)
            if fate is not REJECTED:
                # `--strict` first, then a row of no lead scored is rejected whatever its type, time
                # and values, as `checked_events` decides for the rows SQL reads (docs/sql.md, "Engines")
                reason = ((strict_rejection(found, self.strict) if fate is USED else None)
                          or (f"its lead `{lead_id}` was rejected" if lead_id in self.rejected_ids
                              else f"no lead with id `{lead_id}`" if lead_id not in self.scored_ids else None))
            if reason is not None:
                s.events_rejected += 1
                self.rejects.event(BadRow(path, lines.line(epos), f"event: {reason}", data))
            elif fate is UNDECLARED:
                s.events_undeclared += 1
            elif fate is AFTER_NOW:
                s.events_after_now += 1
            else:
                s.events_used += 1
                event_lead = _EventOwner(lead_id, [event])
                used.extend(prepared_rows(self.checked, [event_lead])[1])
                warnings.setdefault(lead_id, []).extend((epos, w) for w in found)
        _, event_cols = prepared_columns(self.checked)
        target = os.path.join(self.scratch, "python_events.csv")
        write_prepared_csv(target, used)
        self.engine.load_typed_csv("python_events", target, event_cols)
        return warnings

    def attribute_warnings(self, path: str, lines, raw_columns: list) -> dict:
        """Warnings of used events whose attributes did not convert; `--strict` rejects those events
        (`checked_events` gave them the status `strict`)."""
        from ..compiler.sql import Columns
        names = Columns.of(self.checked)
        bad_cols = [(name, type_, j) for (name, type_), j in names.attributes.items()]
        if not bad_cols:
            return {}
        any_bad = exp.or_(*[exp.Not(this=exp.Is(this=col(f"eb{j}"), expression=exp.null()))
                            for _, _, j in bad_cols], wrap=True)
        query = (exp.select(*[col(c) for c in ("__epos", "__lead", "__type", "__at")],
                            *[col(f"eb{j}") for _, _, j in bad_cols])
                 .from_(table("checked_events"))
                 .where(exp.and_(exp.In(this=col("__status"), expressions=[exp.Literal.string("used"),
                                                                          exp.Literal.string("strict")]),
                                 exp.Paren(this=any_bad)))
                 .order_by(col("__epos")))
        by_lead: dict = {}
        strict_rejects = []
        for row in self.engine.fetch(query):
            epos, lead_id, kind, at, raws = row[0], row[1], row[2], row[3], row[4:]
            found = [f"event `{kind}` at {format_time(at)}: attribute `{name}`: cannot read "
                     f"{_describe(raw)} as {type_}" for (name, type_, _), raw in zip(bad_cols, raws)
                     if raw is not None]
            if (reason := strict_rejection(found, self.strict)) is not None:
                strict_rejects.append((epos, f"event: {reason}"))
            else:
                by_lead.setdefault(lead_id, []).extend((epos, w) for w in found)
        if strict_rejects:
            lines.need(p for p, _ in strict_rejects)
            self.reject_strict(path, lines, strict_rejects, raw_columns)
        return by_lead

    def reject_strict(self, path, lines, rejected: list, raw_columns: list) -> None:
        s = self.summary
        positions = [exp.Literal.number(int(p)) for p, _ in rejected]
        rows = {row[0]: row[1:] for row in self.engine.fetch(
            exp.select(col("__epos"), *[col(c) for c in raw_columns]).from_(table("raw_events"))
            .where(exp.In(this=col("__epos"), expressions=positions)))}
        for epos, reason in rejected:
            s.events_rejected += 1
            self.rejects.event(BadRow(path, lines.line(epos), reason, _raw_row(raw_columns, rows[epos])))

    def used_events_query(self) -> exp.Expression:
        _, event_cols = prepared_columns(self.checked)
        names = [c for c, _ in event_cols]
        where = exp.EQ(this=col("__status"), expression=exp.Literal.string("used"))
        used = exp.select(*[col(c) for c in names]).from_(table("checked_events")).where(where)
        for other in ("python_events", "inline_events"):
            used = exp.union(used, exp.select(*[col(c) for c in names]).from_(table(other)), distinct=False)
        return used

    # ---- scoring ---------------------------------------------------------------------

    def query(self, form: str = "columns", line_parts: tuple | None = None) -> str:
        from ..compiler.sql import to_sql
        events = "events_used" if "events_used" in self.engine.tables() else "inline_events"
        return to_sql(self.checked, self.engine.dialect, self.now, prepared=True, pretty=False,
                      leads="prepared_leads", events=events, output_form=form, line_parts=line_parts,
                      pow_function=self.engine.pow_function, regex_function=self.engine.regex_function)

    def score(self, kept: dict, file_warnings: dict):
        """The model's query over what was loaded; one `ScoreResult` per row, as the engine returns them."""
        reader = RowReader(self.checked, self.now)
        for row in self.engine.rows(self.query()):
            lead_id = row["id"]
            own = kept[lead_id]
            own = own if isinstance(own, (list, tuple)) else own.warnings
            yield reader.result(row, _merge_warnings(own, file_warnings.get(lead_id, ())))


class _InPythonOrder:
    """The rejects file in the order the Python batch writes it (leadscore/batch/batch.py), which
    reads the events first: the event rows it refuses as it reads them (no lead id, no type, a bad
    time, `--strict`), then the leads file's rejects (with inline events), then the events whose
    lead was rejected or never existed; each part in line order. The engine reads the leads first,
    so it holds the records until `flush`."""

    LATE = ("event: its lead `", "event: no lead with id `")

    def __init__(self, writer):
        self.writer = writer
        self.path = getattr(writer, "path", None)
        self.leads: list = []
        self.early: list = []
        self.late: list = []

    def add(self, bad: BadRow) -> None:
        """A record of the leads file (what the Python batch's lead reading writes)."""
        self.leads.append(bad)

    def reject(self, file: str, line: int, reason: str, row) -> None:
        self.add(BadRow(file, line, reason, row))

    def event(self, bad: BadRow) -> None:
        (self.late if bad.reason.startswith(self.LATE) else self.early).append(bad)

    def flush(self) -> None:
        for part in (sorted(self.early, key=_line), self.leads, sorted(self.late, key=_line)):
            for bad in part:
                self.writer.add(bad)
        self.leads, self.early, self.late = [], [], []


def _text_cell(value: str | None) -> str:
    """A text as a CSV cell, always quoted (`""` is the empty text); None as an empty cell (NULL)."""
    return "" if value is None else '"' + value.replace('"', '""') + '"'


def _line(bad: BadRow) -> int:
    return bad.line


class _EventOwner:
    """Just enough of a Lead for `prepared_rows`: an id and events."""

    def __init__(self, lead_id, events):
        self.id, self.events, self.values, self.stripped = lead_id, events, {}, {}


def _with_raw(checked: str, raw: str, raw_columns: list, where, *extra: str) -> exp.Select:
    """`__epos`, the `extra` columns of the checked table, then the raw row, for the rows `where`
    picks (a condition on `__status`), in file order."""
    return (exp.select(col("__epos", "c"), *[col(c, "c") for c in extra], *[col(c, "r") for c in raw_columns])
            .from_(exp.alias_(table(checked), ident("c"), table=True))
            .join(exp.alias_(table(raw), ident("r"), table=True),
                  on=exp.EQ(this=col("__epos", "c"), expression=col("__epos", "r")))
            .where(where(col("__status", "c")))
            .order_by(col("__epos", "c")))


def _is(value: str):
    return lambda status: exp.EQ(this=status, expression=exp.Literal.string(value))


def _merge_warnings(lead_warnings: list, file_event_warnings) -> tuple:
    """Field warnings, then the file's event warnings, then inline events' (the Python batch's order)."""
    if not lead_warnings:
        return tuple(file_event_warnings)
    fields = [w for w in lead_warnings if w.startswith("field ")]
    inline = [w for w in lead_warnings if not w.startswith("field ")]
    return tuple(fields + list(file_event_warnings) + inline)


class _LineMap:
    """Row position in the engine's table → the line of the file where the row starts.

    The engine numbers the rows it read (`__epos`); the rejects file wants
    lines. Only when some row is refused or rejected is the file scanned once
    more by the Python reader, which knows where every row starts (quoted
    newlines included) and words a refused row's reason as `--engine python`
    does; the rows it finds unparseable are the ones the engine skipped.
    """

    def __init__(self, path: str, delimiter, fmt, refused: int, bad: list | None = None):
        self.path, self.delimiter, self.fmt, self.refused = path, delimiter, fmt, refused
        self.known: dict = {}
        self.bad = bad
        self.wanted: set = set()

    def need(self, positions) -> None:
        self.wanted.update(int(p) for p in positions)
        if self.fmt is not None and self.wanted - set(self.known):
            self.scan()

    def scan(self) -> None:
        if self.fmt == "parquet":
            self.known.update({p: p + 1 for p in self.wanted})
            return
        position, bad = 0, []
        for item in read_rows(self.path, delimiter=self.delimiter):
            if isinstance(item, BadRow):
                bad.append(item)
                continue
            if position in self.wanted:
                self.known[position] = item.line
            position += 1
        self.bad = bad

    def bad_rows(self) -> list:
        if self.bad is None:
            self.bad = []
            if self.refused:
                self.scan()
        return self.bad

    def line(self, position) -> int:
        position = int(position)
        if self.fmt is None:
            return position                  # read by the Python readers: already a line
        return self.known[position]


def _describe(raw) -> str:
    return repr(describe_raw(raw))


def _raw_row(columns: list, values) -> dict:
    return {c: x for c, x in zip(columns, values)}
