"""Go to definition, find references and rename, over the names index.

Rename changes a name's declaration and every use of it, and refuses a new
name that is not a name, is a keyword, or is already declared where the
renamed one lives (`RenameRefused`, an error response to the client).
References and rename cover the `.tests` file beside the model too
(testnames.py).
"""

from __future__ import annotations

import re

from ..dsl.parse import KEYWORDS
from . import testnames
from .names import Occurrence

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class RenameRefused(ValueError):
    """A rename that would break the model; the message says why."""


def definition(index, offset: int) -> Occurrence | None:
    here = index.at(offset)
    return index.declaration(here.key) if here is not None else None


def references(index, offset: int, include_declaration: bool = True) -> list[Occurrence]:
    here = index.at(offset)
    if here is None:
        return []
    return [o for o in index.uses(here.key) if include_declaration or not o.declaration]


def renamable(index, offset: int) -> Occurrence | None:
    """The occurrence a rename at `offset` would change: a declared name."""
    here = index.at(offset)
    return here if here is not None and index.declaration(here.key) is not None else None


def rename(index, offset: int, new: str) -> list[Occurrence]:
    """Every occurrence to rewrite as `new`; `RenameRefused` when it may not be."""
    here = renamable(index, offset)
    if here is None:
        raise RenameRefused("nothing to rename here: put the cursor on a declared name")
    if not NAME.match(new):
        raise RenameRefused(f"`{new}` is not a name (a letter or `_`, then letters, digits or `_`)")
    if new in KEYWORDS:
        raise RenameRefused(f"`{new}` is a keyword of the language")
    if new != here.key.name:
        taken = index.taken(here.key, new)
        if taken is not None:
            raise RenameRefused(f"`{new}` is already declared ({taken.key.kind}, line {taken.span.line})")
    return index.uses(here.key)


def in_tests(text: str, path: str, key) -> list:
    """The spans where a test file's text uses the name `key` names."""
    return [span for used, span in testnames.uses(text, path) if used == key]


def definition_in_tests(analyzed, offset: int) -> Occurrence | None:
    """From a `.tests` file: the model's declaration of the name used at `offset`."""
    used = testnames.used_at(analyzed.source.text, analyzed.path, offset)
    return analyzed.index.declaration(used[0]) if used is not None else None
