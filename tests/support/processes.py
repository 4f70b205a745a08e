"""Slusha as an operator runs it: ``slusha`` commands and a ``slusha serve`` process to kill.

Used by the fault tests and ``bench/faults.py``: everything goes through the real command line
and the real HTTP API, and the accounts are read from the database file afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

TOKEN = "fault-test-token-0123456789"
BATCH_DEFAULT = 100
SLUSHA = str(Path(sys.executable).with_name("slusha"))


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SlushaProcess:
    """One installation in ``workdir`` (SQLite file, memory bus) and its ``serve`` process."""

    def __init__(self, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.db_path = workdir / "slusha.db"
        base = {k: v for k, v in os.environ.items() if not k.startswith("SLUSHA_")}
        self.env = {
            **base,
            "SLUSHA_DATABASE_URL": f"sqlite:///{self.db_path}",
            "SLUSHA_BUS_URL": "memory://",
            "SLUSHA_SECRET_KEY": "fault-test-secret-key",
            "SLUSHA_PORT": str(self.port),
            "SLUSHA_LOG_LEVEL": "warning",
            **{f"SLUSHA_{k.upper()}": v for k, v in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        """Run ``slusha ARGS``; raise with its output when it fails."""
        done = subprocess.run(
            [SLUSHA, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"slusha {' '.join(args)} failed: {done.stderr}{done.stdout}")
        return done.stdout

    def organisation(self) -> None:
        """A team, a topic that matches every test post, and a webhook source."""
        self.cli("teams", "add", "Care")
        self.cli("topics", "add", "Acme", "--team", "Care", "--query", "acme")
        self.cli("sources", "add", "webhook", "--name", "push", "--secret", f"api_token={TOKEN}",
                 "--set", "max_body_bytes=10485760")  # fmt: skip

    def spawn(
        self, args: Sequence[str], *, file_size_limit: int | None = None, **env: str
    ) -> subprocess.Popen[bytes]:
        """Start ``slusha ARGS`` in the background (its output goes to the log).

        ``file_size_limit``: no file the process writes may grow beyond this many bytes, as on
        a full disk (Python ignores SIGXFSZ, so writes fail with EFBIG and SQLite reports
        "database or disk is full")."""

        def limit() -> None:
            if file_size_limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

        with self.log.open("ab") as out:
            return subprocess.Popen(
                [SLUSHA, *args], env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=limit if file_size_limit is not None else None,
            )  # fmt: skip

    def start(
        self,
        args: Sequence[str] = ("serve",),
        *,
        wait_seconds: float = 90,
        file_size_limit: int | None = None,
    ) -> None:
        """Start the process and wait until it answers ``/healthz``."""
        self.process = self.spawn(args, file_size_limit=file_size_limit)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slusha serve exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"slusha serve did not answer: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """``kill -9``."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def terminate(self, *, timeout_seconds: float = 30) -> float:
        """SIGTERM; returns the seconds until the process had exited."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout_seconds)
        return time.monotonic() - started

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        url = self.env["SLUSHA_DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                return list(conn.execute(sql))
        import psycopg

        with psycopg.connect(url) as conn:
            return list(conn.execute(sql))  # type: ignore[arg-type]

    def stored_ids(self) -> set[str]:
        """External ids of the posts in the database."""
        return {row[0] for row in self._query("SELECT external_id FROM posts")}

    def mention_count(self) -> tuple[int, int]:
        """(mentions, distinct posts with a mention): equal when nothing is duplicated."""
        (row,) = self._query("SELECT count(*), count(DISTINCT post_id) FROM mentions")
        return int(row[0]), int(row[1])


def post_items(start: int, count: int, *, prefix: str = "p") -> list[dict[str, Any]]:
    """Posts in the post format, all matching the topic ``acme``."""
    return [
        {"network": "webhook", "id": f"{prefix}{i}", "text": f"acme order {i} arrived late",
         "created_at": "2026-11-27T08:00:00+00:00"}
        for i in range(start, start + count)
    ]  # fmt: skip


def push(client: httpx.Client, url: str, items: list[dict[str, Any]]) -> int:
    """POST the items to the ingest API; the status code (0 when the connection failed)."""
    try:
        response = client.post(
            f"{url}/api/v1/ingest", content=json.dumps(items),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )  # fmt: skip
    except httpx.HTTPError:
        return 0
    return response.status_code


class Senders:
    """Four connections pushing batches of posts to the ingest API until stopped.

    They remember what was acknowledged (202) and keep what was not answered, to send it again
    after a restart, as a real sender does.
    """

    def __init__(
        self, url: str, *, per_sender: int = 1_000_000, batch: int = BATCH_DEFAULT
    ) -> None:
        self.url, self.per_sender, self.batch = url, per_sender, batch
        self.accepted: set[str] = set()
        self.unanswered: list[list[dict[str, Any]]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                         for n in range(4)]  # fmt: skip

    def start(self) -> Senders:
        """Start sending."""
        for thread in self._threads:
            thread.start()
        return self

    def _run(self, n: int) -> None:
        with httpx.Client(timeout=60) as client:
            for start in range(0, self.per_sender, self.batch):
                items = post_items(start, self.batch, prefix=f"s{n}-")
                if self.stop.is_set():
                    return
                status = push(client, self.url, items)
                with self._lock:
                    if status == 202:
                        self.accepted.update(i["id"] for i in items)
                    else:
                        self.unanswered.append(items)
                        return

    def wait_for(self, count: int, *, timeout_seconds: float = 120) -> None:
        """Until ``count`` posts were acknowledged."""
        deadline = time.monotonic() + timeout_seconds
        while len(self.accepted) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(self.accepted) < count:
            raise RuntimeError(f"only {len(self.accepted)} of {count} posts were accepted")

    def join(self) -> None:
        """Stop and wait for the senders."""
        self.stop.set()
        self.finish()

    def finish(self) -> None:
        """Wait until the senders have sent everything (or met a failure)."""
        for thread in self._threads:
            thread.join(timeout=600)

    def resend(self, url: str) -> None:
        """Send what got no answer again (to a restarted Slusha at ``url``)."""
        with httpx.Client(timeout=60) as client:
            for items in self.unanswered:
                for _ in range(60):
                    if push(client, url, items) == 202:
                        break
                    time.sleep(1)

    def sent(self) -> set[str]:
        """Every post id sent, answered or not."""
        return self.accepted | {i["id"] for items in self.unanswered for i in items}
