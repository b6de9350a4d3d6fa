"""Segment's Tracking API calls as store writes (LIVE.md §7, `POST /v1/segment`).

A body is one call (`{"type": "track", ...}`) or a batch
(`{"batch": [call, ...]}`, each call with its `type`). Per Segment's spec:

- `track` is an event: `messageId` is its id, `userId` its lead,
  `timestamp` its `at` (else `originalTimestamp`, else the service's now,
  as Segment's own API defaults it), the `event` name in snake_case its
  type (`Demo Requested` → `demo_requested`, `demoRequested` →
  `demo_requested`), and `properties` its attributes. A property named
  `id`, `lead_id`, `type` or `at` is overridden by the call's own.
- `identify` merges `traits` into the lead's fields (a trait not sent keeps
  its value).
- A call with only an `anonymousId` (no `userId`) is rejected with a reason:
  leads are people the CRM knows; an anonymous visitor's activity is not
  scored until the CDP sends it with a user id.
- Other types (`page`, `screen`, `group`, `alias`) are ignored and counted.

The index of a rejected call is its place in the batch (0 for one call).
"""

from __future__ import annotations

import re

import attrs

RESERVED = ("id", "lead_id", "type", "at")
IGNORED = ("page", "screen", "group", "alias")


@attrs.define
class Calls:
    """A Segment body sorted into the store's writes."""

    fields: list = attrs.Factory(list)      # [(lead id, traits, merge=True)]
    events: list = attrs.Factory(list)      # raw event rows
    rejected: list = attrs.Factory(list)    # [(index, reason)]
    ignored: int = 0
    event_index: list = attrs.Factory(list)  # the call index of each event row


class SegmentError(ValueError):
    """A body that is not a Segment call at all."""


def read(body, now: str) -> Calls:
    """Sort a Segment body into field writes and event rows; `now` is the time of a call without one."""
    if not isinstance(body, dict):
        raise SegmentError("a Segment body is a JSON object: one call, or {\"batch\": [...]}")
    if "batch" in body:
        calls = body["batch"]
        if not isinstance(calls, list):
            raise SegmentError("`batch` must be a list of calls")
    else:
        calls = [body]
    found = Calls()
    for index, call in enumerate(calls):
        reason = _take(call, now, found, index)
        if reason:
            found.rejected.append((index, f"segment: {reason}"))
    return found


def _take(call, now: str, found: Calls, index: int) -> str | None:
    if not isinstance(call, dict):
        return "a call must be an object"
    kind = call.get("type")
    if kind in IGNORED:
        found.ignored += 1
        return None
    if kind not in ("track", "identify"):
        return f"unknown call type {kind!r} (track, identify, page, screen, group, alias)"
    user = call.get("userId")
    if user is None or (isinstance(user, str) and not user.strip()):
        if call.get("anonymousId") is not None:
            return "an anonymous call (anonymousId without userId) is not scored"
        return "missing userId"
    if not isinstance(user, (str, int)) or isinstance(user, bool):
        return "userId must be a string"
    lead_id = str(user).strip()
    if kind == "identify":
        traits = call.get("traits", {})
        if not isinstance(traits, dict):
            return "traits must be an object"
        found.fields.append((lead_id, traits, True))
        return None
    return _track(call, lead_id, now, found, index)


def _track(call: dict, lead_id: str, now: str, found: Calls, index: int) -> str | None:
    name = call.get("event")
    if not isinstance(name, str) or not snake_case(name):
        return "a track call needs an `event` name"
    properties = call.get("properties", {})
    if not isinstance(properties, dict):
        return "properties must be an object"
    row = {key: value for key, value in properties.items() if key not in RESERVED}
    row.update(lead_id=lead_id, type=snake_case(name),
               at=call.get("timestamp") or call.get("originalTimestamp") or now)
    if call.get("messageId") is not None:
        row["id"] = call["messageId"]
    found.events.append(row)
    found.event_index.append(index)
    return None


def snake_case(name: str) -> str:
    """`Demo Requested`, `demoRequested`, `demo-requested` → `demo_requested`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", spaced).strip("_").lower()
