"""``POST /api/v1/ingest/{kind}`` is one route for every connector that receives pushes: the
connector (here a third-party one) checks credentials and parses; the route knows neither."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from pydantic import Field

from slusha.clock import FrozenClock
from slusha.domain.post import Post
from slusha.plugins.api import (
    Admission,
    Connector,
    IngestKey,
    PluginConfig,
    PluginContext,
    Received,
    ReceiveRefused,
)
from slusha.web.api.ingest import create_ingest_router
from tests.connectors.webhook.hosts import BusyableReceiver, ingest_host
from tests.support.origin import serve_app

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(20)


class LineConnector(Connector):
    """Pushes of plain text, one post per line, authenticated by an ``X-Line-Key`` header."""

    kind = "lines"
    title = "Lines"
    summary = "Plain-text lines pushed by a device."
    description = "Each line of the body becomes a post."
    capabilities: ClassVar[frozenset[str]] = frozenset({"webhook"})

    class Config(PluginConfig):
        key: str = Field(description="The shared key.")

    def __init__(self) -> None:
        self.released: list[Received] = []

    def admit(
        self, ctx: PluginContext, keys: Sequence[IngestKey], headers: Mapping[str, str], *,
        now: float,
    ) -> Admission:  # fmt: skip
        found = [k for k in keys if k.config.key == headers.get("x-line-key")]
        if not found:
            raise ReceiveRefused(401, "wrong line key")
        return Admission((found[0],), max_body_bytes=64, authenticated=True)

    def receive(
        self, ctx: PluginContext, admission: Admission, headers: Mapping[str, str],
        body: bytes, *, now: float,
    ) -> Received:  # fmt: skip
        lines = body.decode().splitlines()
        when = datetime.fromtimestamp(now, UTC)
        posts = [Post(network="lines", id=str(i), text=t, created_at=when)
                 for i, t in enumerate(lines)]  # fmt: skip
        return Received(admission.keys[0], posts)

    def release(self, received: Received) -> None:
        self.released.append(received)


@pytest.fixture
def server() -> Iterator[tuple[str, BusyableReceiver, LineConnector]]:
    receiver = BusyableReceiver()
    host = ingest_host(FrozenClock(NOW), extra_connectors=[LineConnector])

    async def keys(kind: str) -> list[IngestKey]:
        if kind != "lines":
            return []
        config = LineConnector.Config(key="k" * 20)
        return [IngestKey(source_id=3, source_name="door", config=config)]

    app = FastAPI()
    app.include_router(create_ingest_router(submit=receiver, keys=keys, host=lambda: host))
    with serve_app(app) as port:
        yield f"http://127.0.0.1:{port}/api/v1/ingest", receiver, host.receiver("lines")  # type: ignore[misc]


def test_a_third_party_connector_receives_at_its_own_route(server: Any) -> None:
    base, receiver, _ = server
    ok = httpx.post(
        f"{base}/lines", content=b"acme one\nacme two", headers={"x-line-key": "k" * 20}
    )
    assert ok.status_code == 202 and ok.json()["accepted"] == 2
    assert [p.text for p in receiver.posts] == ["acme one", "acme two"]
    wrong = httpx.post(f"{base}/lines", content=b"x", headers={"x-line-key": "nope"})
    assert wrong.status_code == 401 and wrong.json() == {"error": "wrong line key"}
    big = httpx.post(f"{base}/lines", content=b"x" * 65, headers={"x-line-key": "k" * 20})
    assert big.status_code == 413
    assert len(receiver.posts) == 2


def test_a_deferred_request_is_released_for_a_resend(server: Any) -> None:
    base, receiver, connector = server
    receiver.busy = True
    deferred = httpx.post(f"{base}/lines", content=b"acme", headers={"x-line-key": "k" * 20})
    assert deferred.status_code == 503 and deferred.headers["retry-after"] == "5"
    assert len(connector.released) == 1 and receiver.posts == []


@pytest.mark.parametrize(
    ("kind", "says"),
    [("rss", "no connector of kind 'rss' receives pushes"), ("nosuch", "no connector of kind")],
)
def test_kinds_that_do_not_receive_answer_404(server: Any, kind: str, says: str) -> None:
    base, receiver, _ = server
    answer = httpx.post(f"{base}/{kind}", content=b"x", headers={"x-line-key": "k" * 20})
    assert answer.status_code == 404 and says in answer.json()["error"]
    assert receiver.posts == []


def test_a_kind_without_sources_answers_404(server: Any) -> None:
    base, _, _ = server
    answer = httpx.post(f"{base}/webhook", content=b"[]", headers={"authorization": "Bearer x"})
    assert answer.status_code == 404 and "Sources page" in answer.json()["error"]
