"""The embedded default killed mid-stream: nothing it acknowledged is lost, nothing doubled.

``slusha serve`` runs as a real process on SQLite with the in-memory bus; senders push posts
through the ingest API on four connections while the process is killed (``kill -9``) or
stopped (SIGTERM). Every post answered with 202 must be stored; a sender that got no answer
sends again after the restart, as a real sender does, and no post becomes two mentions.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import SlushaProcess, free_port, post_items, push

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
BATCH = 100
METRIC_NEW = 'slusha_posts_total{outcome="new"}'
SENDERS = 4


class Senders:
    """Threads that push batches until stopped; they remember what was acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.accepted: set[str] = set()
        self.unanswered: list[list[dict[str, str]]] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(SENDERS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _run(self, n: int) -> None:
        with httpx.Client(timeout=30) as client:
            for batch in range(10_000):
                items = post_items(batch * BATCH, BATCH, prefix=f"s{n}-")
                if self.stop.is_set():
                    return
                status = push(client, self.url, items)
                with self._lock:
                    if status == 202:
                        self.accepted.update(i["id"] for i in items)
                    else:
                        self.unanswered.append(items)
                        return

    def wait_for(self, count: int, *, timeout_seconds: float = 60) -> None:
        deadline = time.monotonic() + timeout_seconds
        while len(self.accepted) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.accepted) >= count, f"only {len(self.accepted)} accepted"

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def _resend_and_check(slusha: SlushaProcess, senders: Senders) -> None:
    slusha.start()
    with httpx.Client(timeout=30) as client:
        for items in senders.unanswered:
            assert push(client, slusha.url, items) == 202
    sent = senders.accepted | {i["id"] for items in senders.unanswered for i in items}
    deadline = time.monotonic() + 30
    while slusha.stored_ids() != sent and time.monotonic() < deadline:
        time.sleep(0.2)
    assert slusha.stored_ids() == sent
    mentions, posts = slusha.mention_count()
    assert mentions == posts == len(sent)  # every post once, none doubled
    slusha.terminate()


def test_kill_9_mid_stream_loses_nothing_the_ingest_api_accepted(tmp_path: Path) -> None:
    slusha = SlushaProcess(tmp_path)
    slusha.organisation()
    slusha.start()
    senders = Senders(slusha.url)
    senders.start()
    senders.wait_for(3000)
    slusha.kill()
    senders.join()
    stored = slusha.stored_ids()
    assert senders.accepted <= stored, f"{len(senders.accepted - stored)} accepted, not stored"
    _resend_and_check(slusha, senders)


def test_sigterm_drains_within_ten_seconds_and_loses_nothing(tmp_path: Path) -> None:
    slusha = SlushaProcess(tmp_path)
    slusha.organisation()
    slusha.start()
    senders = Senders(slusha.url)
    senders.start()
    senders.wait_for(3000)
    ready = httpx.get(f"{slusha.url}/readyz", timeout=5).json()
    assert ready["status"] == "ready"
    assert {t["name"] for t in ready["tasks"]} >= {"worker", "web", "connectors", "alerter"}
    metrics = httpx.get(f"{slusha.url}/metrics", timeout=5).text
    new = next(line for line in metrics.splitlines() if line.startswith(METRIC_NEW))
    assert float(new.split()[-1]) >= 3000  # what was stored, counted
    seconds = slusha.terminate()
    senders.join()
    assert seconds < 10
    assert senders.accepted <= slusha.stored_ids()
    assert "without finishing" not in slusha.log.read_text()
    _resend_and_check(slusha, senders)


def test_a_process_without_the_web_app_serves_its_health_on_the_ops_port(tmp_path: Path) -> None:
    slusha = SlushaProcess(tmp_path)
    slusha.env["SLUSHA_OPS_PORT"] = str(slusha.port)  # start() waits for /healthz there
    slusha.start(("alerter",))
    ready = httpx.get(f"{slusha.url}/readyz", timeout=5).json()
    assert [t["name"] for t in ready["tasks"]] == ["alerter", "inbox tasks", "metrics", "ops"]
    deadline = time.monotonic() + 10
    metrics = ""
    while 'slusha_task_running{task="alerter"} 1.0' not in metrics:
        assert time.monotonic() < deadline, metrics
        metrics = httpx.get(f"{slusha.url}/metrics", timeout=5).text
        time.sleep(0.2)
    assert httpx.get(f"{slusha.url}/mentions", timeout=5).status_code == 404  # no pages here
    assert slusha.terminate() < 10


def _alerter_role(url: str) -> str | None:
    try:
        tasks = httpx.get(f"{url}/readyz", timeout=2).json()["tasks"]
    except (httpx.HTTPError, ValueError):
        return None
    return next(t["role"] for t in tasks if t["name"] == "alerter")


def test_a_second_alerter_takes_over_within_ten_seconds_of_a_kill(tmp_path: Path) -> None:
    slusha = SlushaProcess(tmp_path)
    slusha.env["SLUSHA_OPS_PORT"] = str(slusha.port)
    slusha.start(("alerter",))
    first = slusha.process
    assert first is not None
    other_port = free_port()
    second = slusha.spawn(["alerter"], SLUSHA_OPS_PORT=str(other_port))
    other = f"http://127.0.0.1:{other_port}"
    try:
        deadline = time.monotonic() + 60
        while _alerter_role(other) != "standby":
            assert time.monotonic() < deadline, "the second alerter did not stand by"
            time.sleep(0.2)
        assert _alerter_role(slusha.url) == "leader"
        first.kill()  # kill -9: the lease is not released, it must expire
        first.wait()
        killed = time.monotonic()
        while _alerter_role(other) != "leader":
            assert time.monotonic() - killed < 10, "no take-over within 10 s"
            time.sleep(0.1)
    finally:
        second.terminate()
        second.wait(timeout=30)
