"""The embedded default killed mid-stream: nothing it acknowledged is lost, nothing doubled.

``slusha serve`` runs as a real process on SQLite with the in-memory bus; senders push posts
through the ingest API on four connections while the process is killed (``kill -9``) or
stopped (SIGTERM). Every post answered with 202 must be stored; a sender that got no answer
sends again after the restart, as a real sender does, and no post becomes two mentions.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Senders, SlushaProcess, free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
METRIC_NEW = 'slusha_posts_total{outcome="new"}'
SENDERS = 4


def _resend_and_check(slusha: SlushaProcess, senders: Senders) -> None:
    slusha.start()
    senders.resend(slusha.url)
    sent = senders.sent()
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
    senders = Senders(slusha.url).start()
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
    senders = Senders(slusha.url).start()
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
