"""``/live/alerts`` without a browser, fed by the real alerter: an alert held over quiet hours
comes when it is released, after alerts with higher ids that were sent while it was held, and
once only, also to a page that reconnects with ``Last-Event-ID``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from slusha.services.alert_specs import RuleSpec
from slusha.services.alerts import create_rule
from slusha.services.outbox import skip_pending_events
from slusha.store.schema import AlertRecord
from tests.support.alerting import Stack, alert_settings, plugin_registry, start_stack
from tests.support.builders import post
from tests.support.net_fixtures import origin
from tests.support.origin import Origin, Reply
from tests.web.browser import served
from tests.web.support import World, sse_events

__all__ = ["origin"]
pytestmark = pytest.mark.timeout(120)
HOOK = "/hooks/slusha"
NIGHT = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 00:30 in Skopje: quiet
MORNING = datetime(2026, 11, 28, 6, 1, tzinfo=UTC)  # 07:01 in Skopje: quiet hours are over


@dataclass(frozen=True)
class Notice:
    """One ``alert`` event: its event id (where the stream stands) and the alert it shows."""

    event_id: int
    alert_id: int
    html: str


@pytest.fixture
async def stack(world: World) -> AsyncIterator[Stack]:
    skip_pending_events(world.db, clock=world.clock)  # the world's posts page nobody
    running = await start_stack(world.db, world.clock, alert_settings(world.db))
    yield running
    await running.close()


def _rule(stack: Stack, origin: Origin, name: str, **values: Any) -> None:
    spec = RuleSpec(team="Customer care", kind="match", name=name, topics=["Acme"],
                    channels=[f"webhook:{origin.url(HOOK)}"], **values)  # fmt: skip
    create_rule(stack.db, spec=spec, settings=stack.alerter.settings, clock=stack.clock,
                registry=plugin_registry())  # fmt: skip


def _alerts(stack: Stack) -> list[AlertRecord]:
    with stack.db.transaction() as tx:
        return list(tx.session.scalars(select(AlertRecord).order_by(AlertRecord.id)))


def _stream(base: str, token: str, last_event_id: int | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    return httpx.stream("GET", base + "/live/alerts", headers=headers, timeout=30.0)


def _notices(lines: Iterator[str]) -> Iterator[Notice]:
    """The ``alert`` events of a stream; the retry hint and keep-alive comments are skipped."""
    for name, event_id, html in sse_events(lines):
        if name == "alert" and event_id is not None:
            found = re.search(r'data-alert-id="(\d+)"', html)
            assert found, "every notice names its alert"
            yield Notice(int(event_id), int(found.group(1)), html)


def _until(notices: Iterator[Notice], alert_id: int) -> list[Notice]:
    """The notices up to and including the one of ``alert_id`` (sent last)."""
    out: list[Notice] = []
    while not out or out[-1].alert_id != alert_id:
        out.append(next(notices))
    return out


async def test_an_alert_held_over_quiet_hours_shows_once_when_released(
    world: World, stack: Stack, origin: Origin
) -> None:
    world.app.state.slusha.poll_seconds = 0.1  # no bus here: the stream polls
    origin.route(HOOK, Reply(200), method="POST")
    stack.clock.set(NIGHT)
    _rule(stack, origin, "Night outages", filter_query="outage", quiet_hours="22:00-07:00",
          timezone="Europe/Skopje")  # fmt: skip
    _rule(stack, origin, "Refunds", filter_query="refund")
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("n1", "acme outage at midnight")])
    [held] = _alerts(stack)
    assert held.verdict == "held"
    token = world.token("care_viewer")
    with served(world.app) as base:
        with _stream(base, token) as live:
            assert live.status_code == 200
            notices = _notices(live.iter_lines())
            await stack.ingest([post("n2", "acme refund please")])
            first = next(notices)
            assert first.alert_id > held.id and "refund please" in first.html
            stack.clock.set(MORNING)
            await stack.tick()  # quiet hours are over: the held alert is sent
            await stack.ingest([post("n3", "acme refund again")])
            last = _alerts(stack)[-1].id
            got = _until(notices, last)
        assert [n.alert_id for n in got] == [held.id, last]  # the held one first, only once
        released, third = got
        assert "outage at midnight" in released.html
        assert third.alert_id > first.alert_id and "refund again" in third.html
        assert first.event_id < released.event_id < third.event_id
        assert [a.verdict for a in _alerts(stack)] == ["send", "send", "send"]
        assert len(origin.hits(HOOK)) == 3

        # A page that reconnects after the released notice gets what came next, not it again;
        # one that saw only the first gets the released alert once, in its place.
        await stack.ingest([post("n4", "acme refund once more")])
        fourth = _alerts(stack)[-1].id
        with _stream(base, token, last_event_id=released.event_id) as live:
            resumed = _until(_notices(live.iter_lines()), fourth)
        assert [n.alert_id for n in resumed] == [third.alert_id, fourth]
        with _stream(base, token, last_event_id=first.event_id) as live:
            resumed = _until(_notices(live.iter_lines()), fourth)
        assert [n.alert_id for n in resumed] == [held.id, third.alert_id, fourth]
        assert [n.event_id for n in resumed[:2]] == [released.event_id, third.event_id]
