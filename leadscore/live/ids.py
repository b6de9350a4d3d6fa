"""Event ids: the one given, or one derived from the event's content (LIVE.md §2).

An event row may carry its id (the `id` key, or the column named by
`--event-id-column`). Without one, its id is `sha256:` followed by the hex
SHA-256 of the canonical JSON of `[lead id, type, at, attributes]`, where
`attributes` is every other key of the row (the lead column, `type`, `at`
and the id column left out), sorted by key. Values are taken raw, as given,
so an exact re-delivery gets the same id while `"30"` and `30` differ.
Two identical events without ids therefore count once.
"""

from __future__ import annotations

import hashlib
import json

from ..batch.io import json_default

CONTENT_PREFIX = "sha256:"


#: `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, its
#: encoder built once (building it costs as much as encoding a small row)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_default)


def canonical_json(value) -> str:
    """JSON text that is the same for equal values whatever their key order."""
    return _CANONICAL.encode(value)


def content_id(lead_id: str, row: dict, skip: tuple) -> str:
    """The id of an event row without one: a hash of its lead, type, time and attributes."""
    attributes = {key: value for key, value in row.items() if key not in skip}
    text = canonical_json([lead_id, row.get("type"), row.get("at"), attributes])
    return CONTENT_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def given_id(row: dict, column: str) -> str | None:
    """The event's own id as text (stripped), or None when it has none."""
    value = row.get(column)
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    text = str(value).strip()
    return text or None
