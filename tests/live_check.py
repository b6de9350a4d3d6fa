"""The one promise of LIVE.md §1, as a check the property tests share (SQLite and PostgreSQL).

`deliveries` draws what a store receives: a generated model, a few leads
whose fields are set and changed, events (some for leads whose fields never
come), every message possibly delivered twice, all shuffled and cut into
chunks. `check` ingests them and compares every lead's result, stored and
read, with `leadscore score` on the deduplicated final data written as JSON
Lines: each lead's last fields ordered by id (a lead known only by events:
a row with only its id), each distinct event once, in first-delivery order.
"""

from __future__ import annotations

import json
import os
import tempfile

from hypothesis import strategies as st

import strategies as gen
from leadscore.api import loads
from leadscore.live import Store
from leadscore.batch.batch import Batch
from leadscore.batch.io import RejectsWriter, json_default
from leadscore.runtime.schema import EventProblem, NaiveTime, time_of


def jsonable(row):
    """The row as JSON gives it back: what a JSON Lines file or an HTTP body can carry."""
    return json.loads(json.dumps(row, default=json_default))


@st.composite
def deliveries(draw, max_leads: int = 5):
    account = draw(st.booleans())
    model = draw(gen.models(max_rules=6, require=frozenset({"account"}) if account else frozenset()))
    messages = []
    # leads of an account model often share what its key reads, so accounts have several leads
    for k in range(draw(st.integers(3 if account else 1, max_leads))):
        lead_id = f"L{k}"
        for _ in range(draw(st.integers(0, 2))):          # 0: known only by its events
            fields = draw(gen.lead_dicts(model.schema, lead_id=lead_id))
            if account and draw(st.integers(0, 3)) < 3:     # hypothesis favours 0: sharing is the usual case
                fields = like(fields, draw(st.integers(0, 1)), model.schema)
            messages.append(("fields", lead_id, jsonable(fields)))
        for row in draw(gen.event_lists(model.schema, 5, lead_id=lead_id)):
            messages.append(("event", lead_id, jsonable(row)))
    delivered = [m for m in messages for _ in range(draw(st.integers(1, 2)))]
    order = draw(st.permutations(range(len(delivered))))
    delivered = [delivered[k] for k in order]
    cuts = sorted(draw(st.lists(st.integers(0, len(delivered)), max_size=5)))
    chunks = [delivered[a:b] for a, b in zip([0] + cuts, cuts + [len(delivered)])]
    return model, chunks


def like(fields: dict, which: int, schema) -> dict:
    """`fields` with key-like values (email, title, employees, level) that other leads share."""
    fields = dict(fields)
    for field in schema.fields:
        if field.name in SHARED:
            fields[field.column] = SHARED[field.name][which][len(fields) % 2]
    return fields


#: two accounts' worth of key values, each written two ways
SHARED = {"email": [["a@acme.com", " B@Acme.com"], ["c@rival.com", "d@Rival.com"]],
          "title": [["alpha", "Alpha "], ["beta", "BETA"]], "employees": [[50, "50"], [7, " 7"]],
          "level": [["x", "X"], ["y", "Y"]]}


#: rules put into a generated account scope, so that a lead's result depends on its account's
#: other leads and their events (the re-scoring of account mates is what they test)
MATES = "    rule live_mates: +1 when count(leads) >= 2\n    rule live_busy: +2 each event within 400d, max 9\n"


def with_mates(text: str) -> str:
    head = text.index("account by")
    line_end = text.index("\n", text.index("{", head)) + 1      # the scope's first line may end in a comment
    return text[:line_end] + MATES + text[line_end:]


def ingest(store: Store, chunks: list) -> None:
    for chunk in chunks:
        store.write([(lead_id, row, False) for kind, lead_id, row in chunk if kind == "fields"],
                    [row for kind, _lead, row in chunk if kind == "event"])


def usable(row) -> bool:
    """Is this event row one a batch would not reject (given its lead)? INTERFACE.md §9."""
    if not isinstance(row, dict) or not isinstance(row.get("type"), str) or not row["type"].strip():
        return False
    try:
        time_of(row.get("at"))
    except (EventProblem, NaiveTime):
        return False
    return True


def expected_lines(model_text: str, chunks: list) -> list:
    """`leadscore score` on the final data: the lines ordered by lead id."""
    fields, events, seen = {}, [], set()
    for chunk in chunks:
        for kind, lead_id, row in chunk:
            if kind == "fields":
                fields[lead_id] = row
            elif usable(row):                 # a rejected event makes no lead known
                fields.setdefault(lead_id, None)
                key = json.dumps(row, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    events.append(row)
    folder = tempfile.mkdtemp(prefix="leadscore-live-check-")
    leads_path, events_path = os.path.join(folder, "leads.jsonl"), os.path.join(folder, "events.jsonl")
    with open(leads_path, "w", encoding="utf-8") as handle:
        for lead_id in sorted(fields):
            handle.write(json.dumps({**(fields[lead_id] or {}), "id": lead_id}) + "\n")
    with open(events_path, "w", encoding="utf-8") as handle:
        for row in events:
            handle.write(json.dumps(row) + "\n")
    model = loads(model_text, "generated.score", base_dir=gen.LIST_DIR)
    with RejectsWriter(None) as rejects:
        lines = list(Batch(model, gen.NOW_US, rejects).json_lines(leads_path, events_path))
    for path in (leads_path, events_path):
        os.remove(path)
    os.rmdir(folder)
    return sorted(lines, key=lambda line: json.loads(line)["id"])


def check(url: str, model, chunks: list) -> None:
    text = with_mates(model.text) if model.has_account else model.text
    store = Store.open(url, now=gen.NOW_TEXT)
    try:
        store.set_model(text, "generated.score", gen.LIST_DIR)
        ingest(store, chunks)
        expected = expected_lines(text, chunks)
        ids = [json.loads(line)["id"] for line in expected]
        stored = [store.stored_result(lead_id) for lead_id in ids]
        assert stored == expected, "stored results differ from the batch"
        from leadscore.runtime.resultjson import ResultLines
        lines = ResultLines(store.model().compiled.plan)
        assert [lines.text(r) for r in store.results()] == expected, "results() differs from the batch"
    finally:
        store.close()
