"""Every file a command writes appears whole or not at all (docs/cli.md, "Output files are whole
or absent").

A target is written to a temporary file beside it, `.NAME.XXXXXXXX.tmp` in
the same folder (so the rename never crosses file systems), which is flushed
to disk and renamed over the target (`os.replace`) only when complete. A
failed or interrupted run removes its temporary file and leaves an existing
target as it was; only a run killed outright (SIGKILL, power loss) can leave
a temporary file, recognisable by its name, and never a partial target.

Two kinds of target are written in place, because renaming cannot apply:
one that exists and is not a regular file (`/dev/stdout`, `/dev/null`, a
named pipe), and a symbolic link is followed, so the file it names is the
one replaced. A replaced file keeps its permission bits; a new one gets the
usual ones (0666 less the umask), not the private bits of `tempfile`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from typing import IO, Iterator, Self

__all__ = ["AtomicTarget", "WholeOrNothing", "atomic_output", "is_temporary"]

TEMP_SUFFIX = ".tmp"

#: Called before every commit; one that raises stops it (the temporary file is then discarded).
#: The command line registers its signal check (leadscore/cli/signals.py), so a run told to stop
#: never puts its output in place, even when the signal's exception was swallowed on its way (Python
#: ignores exceptions raised in finalizers and fork callbacks).
commit_guards: list = []


def is_temporary(name: str) -> bool:
    """Is `name` (a file name) one of our temporary files?"""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


class AtomicTarget:
    """One file being written: `temp` is where to write; `commit()` puts it in place, `discard()`
    removes it. For writers that need a path (Parquet) or outlive one `with` block."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.path.realpath(os.fspath(path))
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        self.in_place = mode is not None and not stat.S_ISREG(mode)
        self.temp = self.path if self.in_place else self._create_temp(mode)
        self.done = False

    def _create_temp(self, mode: int | None) -> str:
        folder, name = os.path.split(self.path)
        while True:
            temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            os.close(fd)
            if mode is not None:
                os.chmod(temp, stat.S_IMODE(mode))
            return temp

    def open(self, mode: str = "w", **kwargs) -> IO:
        """The temporary file opened for writing (`open`'s arguments)."""
        return open(self.temp, mode, **kwargs)

    def commit(self) -> None:
        """Flush the written file to disk and rename it over the target."""
        for guard in commit_guards:
            guard()
        if self.done or self.in_place:
            self.done = True
            return
        fd = os.open(self.temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.temp, self.path)
        self.done = True

    def discard(self) -> None:
        """Remove the temporary file (the target is untouched); calling it again does nothing."""
        if self.done:
            return
        self.done = True
        if not self.in_place:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temp)


class WholeOrNothing:
    """A writer used as `with writer:` — `close()` (its output put in place) when the block ends
    normally, `abort()` (an existing target left as it was) when it raises. The writer defines both."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """`with atomic_output(path) as handle:` — a file object (`open`'s `mode` and arguments) whose
    text reaches `path` only if the block ends without an exception."""
    target = AtomicTarget(path)
    try:
        with target.open(mode, **kwargs) as handle:
            yield handle
    except BaseException:
        target.discard()
        raise
    try:
        target.commit()
    except BaseException:
        target.discard()
        raise
