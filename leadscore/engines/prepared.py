"""The prepared relations: leads and events already converted by the Python
readers, as typed rows an engine loads (`leads`: id, position, a column per
field; `events`: lead, type, time, a column per attribute and type), and
the headerless CSV they travel in.
"""

from __future__ import annotations

import csv

from ..dsl import ir


def prepared_columns(model: ir.Model) -> tuple[list, list]:
    """(lead columns, event columns) of the prepared relations, as (name, SQL type) pairs."""
    from ..compiler.sql import Columns
    names = Columns.of(model)
    sql_type = {ir.TEXT: "VARCHAR", ir.NUMBER: "DOUBLE", ir.BOOL: "BOOLEAN", ir.DATE: "BIGINT",
                ir.TIME: "BIGINT"}
    leads = [("__id", "VARCHAR"), ("__pos", "BIGINT")]
    for f in model.fields:
        leads.append((names.field(f.name), sql_type[f.type]))
        if f.type == ir.TEXT:
            leads.append((names.field(f.name, stripped=True), "VARCHAR"))
    events = [("__lead", "VARCHAR"), ("__type", "VARCHAR"), ("__at", "BIGINT")]
    for (name, type_), j in names.attributes.items():
        events.append((f"a{j}", sql_type[type_]))
        if type_ == ir.TEXT:
            events.append((f"t{j}", "VARCHAR"))
    return leads, events


def prepared_rows(model: ir.Model, leads, start: int = 0) -> tuple[list, list]:
    """Typed `Lead`s (with their usable events) → rows of the prepared relations (`__pos` from `start`)."""
    from ..compiler.sql import Columns
    names = Columns.of(model)
    lead_rows, event_rows = [], []
    for pos, lead in enumerate(leads, start):
        row = [lead.id, pos]
        for f in model.fields:
            row.append(lead.values.get(f.name))
            if f.type == ir.TEXT:
                row.append(lead.stripped.get(f.name))
        lead_rows.append(row)
        for event in lead.events:
            erow = [lead.id, event.type, event.at]
            for (name, type_), _j in names.attributes.items():
                declared = model.event_type(event.type)
                attribute = declared.attribute(name) if declared else None
                mine = attribute is not None and attribute.type == type_
                erow.append(event.values.get(name) if mine else None)
                if type_ == ir.TEXT:
                    erow.append(event.stripped.get(name) if mine else None)
            event_rows.append(erow)
    return lead_rows, event_rows


def csv_cells(row) -> list:
    """A typed row as CSV cells the engines read back with declared types: None is an empty cell."""
    return ["" if x is None else (("true" if x else "false") if isinstance(x, bool)
                                  else repr(x) if isinstance(x, float) else x) for x in row]


def write_prepared_csv(path: str, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        for row in rows:
            out.writerow(csv_cells(row))
