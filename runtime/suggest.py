"""`did you mean …?`: the closest of some names to a mistyped one.

It lives in the runtime because both the checker's diagnostics and
`Model.score`'s warnings suggest names, and the runtime never imports the
front end.
"""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """`did you mean `x`?` for the closest candidate, if one is close."""
    close = closest(name, candidates)
    return f"did you mean `{close}`?" if close is not None else None


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` is most likely a typo of, if one is close."""
    pool = sorted(set(candidates))
    by_fold = {c.casefold(): c for c in pool}
    if name.casefold() in by_fold and by_fold[name.casefold()] != name:
        return by_fold[name.casefold()]
    # a typo of a short name (`ulr` for `url`) is too far for difflib's ratio
    limit = max(1, len(name) // 3)
    near = [(d, c) for c in pool
            if (d := edit_distance(name.casefold(), c.casefold())) <= limit and d < len(name)]
    if near:
        return min(near)[1]
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.7)
    return close[0] if close else None


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`."""
    before, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]
