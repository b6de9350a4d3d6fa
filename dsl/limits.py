"""What the front end accepts: the largest model, string literal, number
literal and list file, and reading a file within its limit.

Each limit turns input that would exhaust memory or reach an error inside
Python (`int()` refuses 4,300 digits) into a diagnostic. They sit far above
any real model (docs/diagnostics.md, `E-too-large`).
"""

from __future__ import annotations

import os
import stat

MB = 1024 * 1024

#: A model file, in bytes (text given to `analyze`: in characters).
MAX_MODEL = 20 * MB
#: A string literal, in characters between its quotes.
MAX_STRING = 1 * MB
#: A number, duration or percentage literal, in characters as written.
MAX_NUMBER = 100
#: A `list ... from` file, in bytes.
MAX_LIST_FILE = 10 * MB


class Refused(OSError):
    """A file the front end does not read; the message is the reason. An OSError,
    so whoever reports a file that cannot be read reports this one too."""


class TooLarge(Refused):
    """A file beyond its limit."""


def size_text(limit: int) -> str:
    return f"{limit // MB} MB"


def read_bounded(path: str | os.PathLike, limit: int, regular_only: bool) -> bytes:
    """A file's bytes, at most `limit` of them; raises `Refused` or `OSError`.

    The read is bounded, so a device (`/dev/zero`) or a file that grows while
    it is read never holds more than `limit` bytes. `regular_only` also refuses
    what is not a regular file before opening it (a FIFO would block).
    """
    if "\0" in os.fspath(path):
        raise Refused("a path cannot contain a NUL character")
    if regular_only and not stat.S_ISREG(os.stat(path).st_mode):
        raise Refused("not a regular file")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {size_text(limit)}")
    return data
