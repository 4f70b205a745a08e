"""A mention page's live stream without a browser: ``work`` when another member changes the
mention (woken in the same process, by the bus, or by the fallback poll for other processes),
``presence`` when someone checks in, and the work parts the page then fetches."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from slusha.bus.memory import MemoryBus
from slusha.services import presence
from slusha.services.outbox import publish_events, skip_pending_events
from slusha.web.app import create_app
from slusha.web.live import Broadcaster, MentionWakeups, feed_from_bus
from tests.web.browser import served
from tests.web.support import World, sign_in, sse_events

pytestmark = pytest.mark.timeout(120)


def _private(world: World) -> int:
    return world.mentions[f"p2:{world.topics['refunds']}"]


def _live_url(world: World, username: str, mention_id: int) -> str:
    page = world.client(username).get(f"/mentions/{mention_id}").text
    found = re.search(r'data-live="(/live/presence/\d+\?since=[0-9a-f]{16})"', page)
    assert found, "the mention page names its stream and the version it shows"
    return found.group(1)


def _stream(base: str, url: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.stream("GET", base + url, headers=headers, timeout=30.0)


def test_another_members_change_reaches_the_open_page_at_once(world: World) -> None:
    world.app.state.slusha.mention_poll_seconds = 3600.0  # only a wake-up can bring it
    mention_id = _private(world)
    url = _live_url(world, "care_responder", mention_id)
    since = url.rsplit("=", 1)[1]
    bob = world.client("care_manager")
    with served(world.app) as base, _stream(base, url, world.token("care_responder")) as live:
        assert live.status_code == 200
        assert live.headers["content-type"].startswith("text/event-stream")
        events = sse_events(live.iter_lines())
        assert next(events)[0] == "presence"
        changed = bob.post(f"/mentions/{mention_id}/status", data={"status": "waiting"})
        assert changed.status_code == 303
        name, event_id, data = next(events)
        assert (name, event_id) == ("work", data) and data != since
        # A tag through the API wakes it too.
        token = world.token("care_manager")
        tagged = bob.post(f"/api/v1/inbox/{mention_id}/tags", json={"add": ["vip"]},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert tagged.status_code == 200
        name, second, _data = next(events)
        assert name == "work" and second not in (since, event_id)
    parts = world.client("care_responder").get(f"/mentions/{mention_id}/work")
    assert parts.status_code == 200 and parts.headers["cache-control"] == "no-store"
    assert (
        'id="work-status">Waiting<' in parts.text and '<span class="tag">vip</span>' in parts.text
    )
    assert f'data-version="{second}"' in parts.text
    assert 'id="reply"' not in parts.text  # what a member types is never sent again


def test_a_page_that_missed_a_change_gets_it_when_it_connects(world: World) -> None:
    mention_id = _private(world)
    url = _live_url(world, "care_viewer", mention_id)
    world.client("care_responder").post(f"/mentions/{mention_id}/notes", data={"text": "seen"})
    with served(world.app) as base, _stream(base, url, world.token("care_viewer")) as live:
        names = [name for name, _id, _data in _take(sse_events(live.iter_lines()), 2)]
    assert sorted(names) == ["presence", "work"]
    parts = world.client("care_viewer").get(f"/mentions/{mention_id}/work")
    assert "seen" in parts.text and 'id="assign-me"' not in parts.text  # a viewer reads only


def _take(events: Iterator[Any], count: int) -> list[Any]:
    return [next(events) for _ in range(count)]


def test_another_process_is_seen_by_the_fallback_poll(world: World, make_settings: Any) -> None:
    # The poll is as often as a page checks in, so another process's check-in shows in time.
    assert world.app.state.slusha.mention_poll_seconds <= presence.CHECKIN_SECONDS
    world.app.state.slusha.mention_poll_seconds = 0.2  # no bus here: only the poll sees it
    other = create_app(make_settings(secret_key="test-secret-key"), db=world.db, clock=world.clock)
    mention_id = _private(world)
    url = _live_url(world, "care_responder", mention_id)
    from fastapi.testclient import TestClient

    bob = TestClient(other, follow_redirects=False)
    sign_in(bob, "care_manager")
    with served(world.app) as base, _stream(base, url, world.token("care_responder")) as live:
        events = sse_events(live.iter_lines())
        assert "Nobody else" in next(events)[2]
        assert bob.post(
            f"/mentions/{mention_id}/presence", data={"activity": "replying"}
        ).is_success
        name, _id, data = next(events)
        assert name == "presence" and 'data-user="care_manager"' in data and "replying" in data
        assert bob.post(f"/mentions/{mention_id}/priority", data={"priority": "urgent"}).is_redirect
        assert next(events)[0] == "work"


def test_the_stream_refuses_those_who_may_not_see_the_mention(world: World) -> None:
    mention_id = _private(world)
    assert world.client("hr_manager").get(f"/live/presence/{mention_id}").status_code == 404
    assert world.client().get(f"/live/presence/{mention_id}").status_code == 401
    assert world.client("hr_manager").get(f"/mentions/{mention_id}/work").status_code == 404
    public_hr = world.mentions[f"p4:{world.topics['hrpub']}"]
    # Care may read HR's public mention, but has no inbox role there: no work parts.
    assert world.client("care_responder").get(f"/mentions/{public_hr}/work").status_code == 403


async def test_the_bus_wakes_the_pages_of_the_mention_an_inbox_event_names(world: World) -> None:
    mention_id = _private(world)
    other_id = world.mentions[f"p1:{world.topics['acme']}"]
    bus, wakeups, broadcaster = MemoryBus(), MentionWakeups(), Broadcaster()
    feed = asyncio.create_task(feed_from_bus(bus, broadcaster, mentions=wakeups))
    waiting = asyncio.create_task(wakeups.wait(mention_id, 30.0))
    elsewhere = asyncio.create_task(wakeups.wait(other_id, 30.0))
    await asyncio.sleep(0)  # both are waiting now
    skip_pending_events(world.db, clock=world.clock)  # the ingest's events are not this test's
    # Another web process (its own wake-ups) changes the mention; the relay publishes its event.
    changed = world.client("care_responder").post(
        f"/mentions/{mention_id}/priority", data={"priority": "high"}
    )
    assert changed.status_code == 303
    assert await publish_events(world.db, bus, clock=world.clock) == 1
    try:
        assert await waiting is True
        assert not elsewhere.done()
        # A note that names no member reaches the other process too (not only its poll).
        again = asyncio.create_task(wakeups.wait(mention_id, 30.0))
        await asyncio.sleep(0)
        noted = world.client("care_responder").post(
            f"/mentions/{mention_id}/notes", data={"text": "checked the logs"}
        )
        assert noted.status_code == 303
        assert await publish_events(world.db, bus, clock=world.clock) == 1
        assert await again is True
        assert not elsewhere.done()
    finally:
        broadcaster.close()
        wakeups.close()
        assert await elsewhere is True  # closing wakes everyone
        feed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await feed
