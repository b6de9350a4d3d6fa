"""`score_leads` (leadscore/batch/batch.py): a few leads held in memory scored without the
batch's file machinery — the live store's per-write path — give exactly the batch's results,
with and without accounts, with account points shared or built for each lead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import leadscore
from leadscore.batch.batch import Batch, score_leads
from leadscore.batch.io import RejectsWriter, read_rows
from leadscore.runtime.model import now_us
from test_batch_accounts import MODEL, NOW, SHARED_MODEL, write_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Refuse:
    def reject(self, file, line, reason, row):
        raise AssertionError(f"{file}: row {line}: {reason}")


def both(model, leads_path, events_path):
    """(the batch's lines, score_leads's lines) for the same files, in file order."""
    with RejectsWriter(None) as rejects:
        batch = [json.dumps(r.to_dict(explain=True), sort_keys=True)
                 for r in Batch(model, now_us(NOW), rejects).run(str(leads_path), str(events_path))]
    rows = [(str(item.data["id"]).strip(), item.data) for item in read_rows(str(leads_path))]
    known = {lead_id for lead_id, _ in rows}
    events = [(item.data["lead_id"].strip(), item.data) for item in read_rows(str(events_path))
              if item.data["lead_id"].strip() in known]
    keys: dict = {}
    results = score_leads(model, now_us(NOW), rows, events, Refuse(), keys)
    mine = [json.dumps(results[lead_id].to_dict(explain=True), sort_keys=True) for lead_id, _ in rows]
    return batch, mine, keys


@pytest.mark.parametrize("text", [MODEL, SHARED_MODEL], ids=["built-per-lead", "shared-part"])
def test_account_models_score_as_the_batch(text, tmp_path):
    leads_path, events_path = write_files(tmp_path)
    batch, mine, keys = both(leadscore.loads(text), leads_path, events_path)
    assert mine == batch
    assert None in keys.values() and len(set(keys.values())) > 2      # leads in and out of accounts


def test_the_shipped_example_scores_as_the_batch():
    batch, mine, _keys = both(leadscore.load(str(EXAMPLES / "b2b.score")), EXAMPLES / "b2b" / "leads.csv",
                              EXAMPLES / "b2b" / "events.csv")
    assert mine == batch and len(mine) == 300


def test_a_model_without_accounts_scores_as_the_batch(tmp_path):
    leads_path, events_path = write_files(tmp_path)
    text = MODEL.split("account by")[0]
    batch, mine, keys = both(leadscore.loads(text), leads_path, events_path)
    assert mine == batch and keys == {}


def test_an_event_the_batch_rejects_is_refused():
    model = leadscore.loads(MODEL)
    with pytest.raises(AssertionError, match="missing event `type`"):
        score_leads(model, now_us(NOW), [("L1", {"email": "a@b.com"})], [("L1", {"at": NOW})], Refuse())
