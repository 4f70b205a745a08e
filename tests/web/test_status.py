"""The status page, ``/healthz`` and ``/readyz``; the live stream refuses a bad filter up front."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from slusha.clock import FrozenClock
from slusha.pipeline.supervisor import Supervisor
from slusha.store.db import Database
from slusha.store.schema import ReplyRecord
from slusha.web.app import create_app
from tests.web.support import PASSWORD, World, build_world


class Failing:
    """A task that fails the first ``times`` times it runs, then runs until stopped."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.runs = 0

    async def __call__(self, stop: asyncio.Event) -> None:
        self.runs += 1
        if self.runs <= self.times:
            raise RuntimeError(f"broken pipe number {self.runs}")
        await stop.wait()


async def test_a_task_that_dies_is_restarted_with_back_off_and_its_error_kept() -> None:
    supervisor = Supervisor()
    stop = asyncio.Event()
    work = Failing(times=2)
    running = asyncio.create_task(supervisor.run("worker", lambda: work(stop), stop))
    await asyncio.sleep(0.05)
    (health,) = supervisor.health()
    assert health["state"] == "restarting" and health["restarts"] == 1
    assert health["last_error"] == "RuntimeError: broken pipe number 1"
    assert not supervisor.is_ready()
    for _ in range(60):  # 1 s, then up to 2 s of back-off
        await asyncio.sleep(0.1)
        if supervisor.health()[0]["state"] == "running" and work.runs == 3:
            break
    assert work.runs == 3 and supervisor.health()[0]["restarts"] == 2
    assert supervisor.is_ready()
    stop.set()
    await asyncio.wait_for(running, 2)
    assert supervisor.health()[0]["state"] == "stopped"


@pytest.fixture
def supervised(db: Database, clock: FrozenClock, make_settings: Any) -> tuple[World, list[Any]]:
    world = build_world(db, clock, make_settings(secret_key="test-secret-key"))
    tasks: list[dict[str, Any]] = [
        {"name": "worker", "state": "running", "restarts": 0, "last_error": None,
         "last_error_at": None, "started_at": 1_795_000_000.0, "role": None},
        {"name": "connectors", "state": "running", "restarts": 0, "last_error": None,
         "last_error_at": None, "started_at": 1_795_000_000.0, "role": None},
    ]  # fmt: skip
    world.app = create_app(
        make_settings(secret_key="test-secret-key"), db=db, clock=clock,
        process_health=lambda: tasks,
    )  # fmt: skip
    return world, tasks


def test_readyz_says_which_part_is_not_running(supervised: Any) -> None:
    world, tasks = supervised
    client = world.client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    tasks[1].update(state="restarting", restarts=3, last_error="TypeError: boom")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["problems"] == ["connectors: restarting (TypeError: boom)"]


def test_the_status_page_shows_parts_and_backlogs_in_both_languages(supervised: Any) -> None:
    world, tasks = supervised
    admin = world.client("admin")
    page = admin.get("/status").text
    assert "Everything is running." in page and 'data-task="worker"' in page
    assert "<title>Status · Slusha</title>" in page and page.count('id="deliveries"') == 1
    assert 'data-fact="dead-letters">0<' in page
    tasks[0].update(state="restarting", restarts=1, last_error="RuntimeError: broken",
                    last_error_at=1_795_000_100.0)  # fmt: skip
    page = admin.get("/status").text
    assert "Part of Slusha stopped with an error" in page and "RuntimeError: broken" in page
    admin.post("/locale", data={"locale": "mk", "back": "/status"})
    page = admin.get("/status").text
    assert "Делови на овој сервер" in page and "се рестартира" in page
    assert world.client("care_admin").get("/status").status_code == 403


def test_the_live_stream_refuses_a_bad_filter_before_it_starts(world: World) -> None:
    client = world.client("admin")
    response = client.get("/live/mentions", params={"network": "myspace"})
    assert response.status_code == 422, response.text[:500]
    assert "unknown network" in response.text


def test_the_status_page_fits_a_phone_in_both_languages(supervised: Any, db: Database) -> None:
    from tests.web.browser import SIZES, chromium, require_chromium, screenshot, served

    require_chromium()
    if db.dialect != "sqlite":
        pytest.skip("browser tests run on SQLite; the page tests cover PostgreSQL")
    world, tasks = supervised
    tasks[0].update(state="restarting", restarts=2, last_error="RuntimeError: disk full",
                    last_error_at=1_795_000_100.0)  # fmt: skip
    reply_id = _failed_reply(world)
    with served(world.app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/signin")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/mentions")
        for locale in ("en", "mk"):
            if locale == "mk":
                with page.expect_navigation():
                    page.select_option("#locale-select", "mk")
            page.goto(f"{base}/status")
            screenshot(page, f"status-{locale}")
            page.set_viewport_size(SIZES["phone"])
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= SIZES["phone"]["width"], f"{locale}: {width} px wide"
            restarting = page.locator('[data-task="worker"]').inner_text()
            assert "RuntimeError: disk full" in restarting
            row = page.locator(f'[data-delivery="reply-{reply_id}"]').inner_text()
            assert ("Reply" if locale == "en" else "Одговор") in row and "http_5xx" in row
            page.set_viewport_size(SIZES["desktop"])
        assert "се рестартира" in page.content()
        page.locator(f'[data-delivery="reply-{reply_id}"] button').click()
        page.wait_for_url(f"{base}/status?sent_again=1#deliveries")
    with world.db.read() as tx:
        reply = tx.session.get(ReplyRecord, reply_id)
        assert reply is not None and (reply.status, reply.attempts) == ("pending", 0)


def _failed_reply(world: World) -> int:
    """A reply the network refused every time (as the retry policy leaves it)."""
    from slusha.store.replies import add_reply
    from slusha.store.schema import Mention

    now = world.clock.now()
    with world.db.transaction() as tx:
        mention = tx.session.query(Mention).first()
        assert mention is not None
        reply = add_reply(tx.session, now=now, values={
            "mention_id": mention.id, "post_id": mention.post_id, "network": "mastodon",
            "author": "care_responder", "text": "Sorry, we are on it.",
            "idempotency_key": "slusha-status-page-test"})  # fmt: skip
        reply.status, reply.attempts = "failed", 8
        reply.last_error = "http_5xx: the network answered 503"
        return reply.id
