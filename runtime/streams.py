"""Helpers over a stream's events that every backend calls, so "the newest of
each distinct value" or "the sum of the known values" means one thing.

A stream is a list of events (or, for `leads`, of leads) in canonical order.
"""

from __future__ import annotations


def distinct_newest(items: list, name: str) -> list:
    """`distinct NAME`: of each group of equal known values the newest item, in stream order."""
    seen, found = set(), []
    for item in reversed(items):        # newest first: the first of each value is the one kept
        value = item.values.get(name)
        if value is not None and value not in seen:
            seen.add(value)
            found.append(item)
    found.reverse()
    return found


def sum_known(items: list, name: str) -> float:
    """`sum(S, NAME)`: the known values added in stream order, from 0.0."""
    result = 0.0
    for item in items:
        value = item.values.get(name)
        if value is not None:
            result += value
    return result


def newest_known(items: list, name: str):
    """The time of the newest event whose NAME is known: the newest event `sum` counted."""
    for item in reversed(items):
        if item.values.get(name) is not None:
            return item.at
    return None


def cap(points: float, limit: float) -> float:
    """`max N`: at most N in magnitude, keeping the sign."""
    if points > limit:
        return limit
    if points < -limit:
        return -limit
    return points
