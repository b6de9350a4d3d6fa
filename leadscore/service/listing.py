"""`GET /v1/leads`: the stored results, filtered, ordered by score, paged with a cursor (LIVE.md §7).

Lists read the results the store keeps (as of each lead's last change or
sweep), never compute them. Order: score from high to low, then lead id;
a lead without a score comes last. `campaign=NAME` lists the leads by their
score in that campaign, and then `tier`, `qualified` and `tag` apply to the
campaign's tier, stages and tags. The cursor is opaque text (the last
row's score and id): the next page starts after it, so a page stays stable
while leads change elsewhere in the list.
"""

from __future__ import annotations

import base64
import json
import math

from sqlalchemy import select

from ..live import schema as t

MAX_LIMIT = 1000


class CursorError(ValueError):
    pass


def page(store, *, tier=None, qualified=None, tag=None, campaign=None, limit=100, cursor=None) -> tuple:
    """(result lines, next cursor or None)."""
    after = _decode(cursor) if cursor else None
    rows = []
    for lead_id, line in _stored(store):
        result = json.loads(line)
        part = result if campaign is None else (result.get("campaigns") or {}).get(campaign)
        if part is None or not _matches(part, tier, qualified, tag):
            continue
        key = _key(part.get("score"), lead_id)
        if after is None or key > after:
            rows.append((key, line))
    rows.sort(key=lambda row: row[0])
    shown = rows[:limit]
    more = len(rows) > limit
    return [line for _key_, line in shown], (_encode(shown[-1][0]) if more else None)


def _stored(store):
    query = select(t.leads.c.lead_id, t.leads.c.result).where(t.leads.c.result.is_not(None))
    return store._read(lambda c: c.execute(query).all())


def _matches(part: dict, tier, qualified, tag) -> bool:
    return ((tier is None or part.get("tier") == tier)
            and (qualified is None or qualified in (part.get("qualified") or ()))
            and (tag is None or tag in (part.get("tags") or ())))


def _key(score, lead_id: str) -> tuple:
    """Sort key: higher scores first, then lead id; no score last."""
    number = -score if isinstance(score, (int, float)) and not math.isnan(score) else math.inf
    return (number, lead_id)


def _encode(key: tuple) -> str:
    text = json.dumps([None if math.isinf(key[0]) else key[0], key[1]])
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(cursor: str) -> tuple:
    try:
        number, lead_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return (math.inf if number is None else float(number), str(lead_id))
    except (ValueError, TypeError):
        raise CursorError(f"invalid cursor {cursor!r}: use the `next` of an earlier page") from None
