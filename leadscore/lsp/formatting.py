"""Formatting: `leadscore fmt`'s canonical layout, as one edit of the whole document.

An invalid model is not formatted (as `fmt` leaves it untouched): the
request fails with the reason, and the editor keeps the text.
"""

from __future__ import annotations

from ..dsl.format import FormatError, format_source


class NotFormatted(ValueError):
    """Why a document cannot be formatted."""


def formatted(analyzed) -> str | None:
    """The canonical text of a valid model; None when it is already canonical."""
    errors = analyzed.analysis.errors if analyzed.analysis is not None else ()
    if errors:
        raise NotFormatted(f"not formatted: the model has {len(errors)} error(s)")
    try:
        result = format_source(analyzed.source.text, analyzed.path)
    except FormatError as error:
        raise NotFormatted(f"not formatted: {error}") from None
    return None if result == analyzed.source.text else result
