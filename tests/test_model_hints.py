"""`Model.score` warns of undeclared keys and event types with a `did you mean`, worked out once
per model and name (`Model.hint`): the same warnings, without comparing names again per lead."""

from __future__ import annotations

import leadscore
from leadscore.runtime import model as runtime_model

NOW = "2026-11-20T00:00:00Z"
MODEL = '''model "m" version 1
field title: text
event visit(url: text)
rule r: +1 when any visit
'''


def test_a_hint_is_worked_out_once_and_kept(monkeypatch):
    model = leadscore.loads(MODEL)
    lead, events = {"titel": "vp"}, [{"type": "vist", "at": "2026-11-19T00:00:00Z"}]
    first = model.score(lead, events, now=NOW).warnings
    assert first == ("unknown field key `titel` (did you mean `title`?)",
                     "event type `vist` is not declared (ignored; did you mean `visit`?)")
    monkeypatch.setattr(runtime_model, "did_you_mean", lambda *args: 1 / 0)
    monkeypatch.setattr(runtime_model, "closest", lambda *args: 1 / 0)
    assert model.score(lead, events, now=NOW).warnings == first


def test_only_so_many_names_are_kept(monkeypatch):
    monkeypatch.setattr(runtime_model, "HINTS_KEPT", 2)
    model = leadscore.loads(MODEL)
    for k in range(5):
        model.score({f"key{k}": 1}, now=NOW)
    assert len(model.hints) == 2
