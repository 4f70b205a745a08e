"""A PostgreSQL server of the test's own (initdb in a temporary folder), to restart at will.

The fault suite restarts PostgreSQL mid-stream; doing that to the machine's shared server would
disturb everything else on it. The server runs as the ``postgres`` system user when the caller
is root (PostgreSQL refuses to run as root), with trust authentication on loopback only.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.support.processes import free_port

BIN = Path("/usr/lib/postgresql")


def postgres_bin() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` of the newest PostgreSQL installed, or None."""
    if not BIN.is_dir():
        return None
    versions = sorted((p for p in BIN.iterdir() if (p / "bin" / "pg_ctl").exists()),
                      key=lambda p: int(p.name) if p.name.isdigit() else 0)  # fmt: skip
    return versions[-1] / "bin" if versions else None


class OwnPostgres:
    """``initdb`` once, then ``start``, ``stop`` (fast shutdown) and ``start`` again."""

    def __init__(self) -> None:
        found = postgres_bin()
        if found is None:
            raise RuntimeError("PostgreSQL's server programs are not installed")
        self.bin = found
        # A folder of its own under the system's temporary folder: the server's user must be
        # able to reach it, which a test's private temporary folder does not allow.
        folder = Path(tempfile.mkdtemp(prefix="slusha-pg-"))
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        self._run(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-sync"])  # fmt: skip

    def _run(self, args: Sequence[str]) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(["pg_ctl", "-D", str(self.data), "-o", options, "-l",
                   str(self.folder / "server.log"), "-w", "start"])  # fmt: skip

    def stop(self) -> None:
        self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def restart(self, down_seconds: float = 3.0) -> None:
        """Stop, stay down a while (connections fail), start again."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def remove(self) -> None:
        """Stop if running and delete the data."""
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
