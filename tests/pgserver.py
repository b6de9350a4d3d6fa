"""A real PostgreSQL server for the tests: started from the machine's binaries in a temporary folder.

`initdb` and `pg_ctl` are found on PATH, else in `pg_config --bindir`, else
in Debian's `/usr/lib/postgresql/*/bin`. The server listens only on a Unix
socket in its folder (no TCP, no system service) and is stopped when the
session ends. initdb refuses to run as root, so as root the server runs as
the `postgres` user if there is one, else `nobody`, with the folder given
to it.

Without binaries the tests that use it are skipped, unless
LEADSCORE_REQUIRE_POSTGRES=1 (CI): then a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

REQUIRED = os.environ.get("LEADSCORE_REQUIRE_POSTGRES") == "1"


def binaries() -> str | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return os.path.dirname(os.path.realpath(found))
    try:
        folder = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=30).stdout.strip()
        if folder and os.path.exists(os.path.join(folder, "initdb")):
            return folder
    except OSError:
        pass
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(candidates[-1]) if candidates else None


class Server:
    def __init__(self, bindir: str):
        self.bindir = bindir
        self.folder = tempfile.mkdtemp(prefix="leadscore-pg-")
        os.chmod(self.folder, 0o755)
        self.data = os.path.join(self.folder, "data")
        self.user = None
        if os.geteuid() == 0:
            self.user = next(name for name in ("postgres", "nobody") if _exists(name))
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)

    def start(self) -> None:
        done = self.run("initdb", "-D", self.data, "-U", "leadscore", "-A", "trust", "-E", "UTF8", "--no-locale")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.folder}' -c fsync=off"
        done = self.run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.folder, "log"), "-w", "start")
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip() or done.stdout.strip()}")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A URL of the server's socket (the folder goes in `host`, as libpq reads it)."""
        return f"postgresql://leadscore@/{database}?host={self.folder}"

    def new_database(self, name: str) -> str:
        """A fresh, empty database on the server; its URL."""
        done = self.run("psql", "-h", self.folder, "-U", "leadscore", "-d", "postgres", "-c",
                        f'DROP DATABASE IF EXISTS "{name}"; ', "-c", f'CREATE DATABASE "{name}"')
        if done.returncode:
            raise RuntimeError(f"cannot create database {name}: {done.stderr.strip()}")
        return self.url(name)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="session")
def postgres_server():
    """A running PostgreSQL `Server` for the session (skipped without binaries, unless required)."""
    bindir = binaries()
    if bindir is None:
        if REQUIRED:
            pytest.fail("LEADSCORE_REQUIRE_POSTGRES=1 but no PostgreSQL binaries (initdb, pg_ctl) were found")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    server = Server(bindir)
    try:
        server.start()
    except (RuntimeError, OSError, StopIteration) as error:
        shutil.rmtree(server.folder, ignore_errors=True)
        if REQUIRED:
            pytest.fail(f"cannot start PostgreSQL: {error}")
        pytest.skip(f"cannot start PostgreSQL: {error}")
    yield server
    server.stop()
