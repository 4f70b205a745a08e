"""``POST /api/v1/ingest`` under attack and bad input: credentials first, 400s not 500s."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from slusha.clock import FrozenClock
from slusha.connectors.webhook.client import signed_headers
from slusha.plugins.api import IngestKey
from slusha.web.api.ingest import create_ingest_router
from tests.connectors.webhook.hosts import BusyableReceiver, ingest_host
from tests.support.origin import serve_app

SECRET = "s3cret-s3cret-s3cret"
TOKEN = "token-token-token-token"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server() -> Iterator[tuple[int, BusyableReceiver]]:
    receiver = BusyableReceiver()

    async def keys(kind: str) -> list[IngestKey]:
        return [IngestKey(source_id=7, source_name="crm", signing_secret=SECRET,
                          api_token=TOKEN, max_body_bytes=10 * 1024 * 1024)]  # fmt: skip

    app = FastAPI()
    host = ingest_host(FrozenClock(NOW))
    app.include_router(create_ingest_router(submit=receiver, keys=keys, host=lambda: host))
    with serve_app(app) as port:
        yield port, receiver


def item(i: int, **changes: Any) -> dict[str, Any]:
    return {"id": str(i), "text": f"acme {i}", "created_at": "2026-11-27T08:00:00Z", **changes}


def send(port: int, body: bytes, headers: dict[str, str]) -> httpx.Response:
    url = f"http://127.0.0.1:{port}/api/v1/ingest"
    return httpx.post(url, content=body, headers=headers, timeout=10)


def first_line_without_sending_the_body(port: int, headers: dict[str, str]) -> bytes:
    """Announce a 10 MB body, send none of it, and read the status line."""
    lines = [
        "POST /api/v1/ingest HTTP/1.1", f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json", f"Content-Length: {10 * 1024 * 1024 - 1}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(200).split(b"\r\n")[0]  # times out if the server waits for the body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token-we-know"},
        {"X-Slusha-Signature": "sha256=00", "X-Slusha-Timestamp": str(int(NOW.timestamp()) - 3600)},
        {"X-Slusha-Signature": "sha256=00"},
    ],
    ids=["none", "wrong token", "stale signature", "signature without timestamp"],
)
def test_credentials_are_checked_before_the_body_is_read(server: Any, headers: Any) -> None:
    port, receiver = server
    assert first_line_without_sending_the_body(port, headers) == b"HTTP/1.1 401 Unauthorized"
    assert receiver.posts == []


def test_json_nested_200000_deep_is_a_400(server: Any) -> None:
    port, _ = server
    body = b"[" * 200_000 + b"]" * 200_000
    response = send(port, body, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]


def test_bad_items_are_refused_one_by_one_and_the_rest_taken(server: Any) -> None:
    port, receiver = server
    deep: Any = 1
    for _ in range(900):
        deep = [deep]
    items = [item(i) for i in range(97)]
    items += [item(97, metrics={"likes": 2**64}), item(98, extra={"tree": deep})]
    body = json.dumps(items).encode()[:-1] + b', {"id": "99", "text": "half \\ud83d emoji", '
    body += b'"created_at": "2026-11-27T08:00:00Z"}]'
    response = send(port, body, signed_headers(SECRET, body, timestamp=int(NOW.timestamp())))
    assert response.status_code == 202, response.text
    data = response.json()
    assert data["accepted"] == 98
    assert [(r["index"], r["key"]) for r in data["rejected"]] == [(97, "metrics.likes"),
                                                                   (98, "extra")]  # fmt: skip
    assert [p.id for p in receiver.posts] == [*map(str, range(97)), "99"]
    assert receiver.posts[-1].text == "half \ufffd emoji"


def test_posts_not_yet_stored_get_a_503_to_retry_not_a_202(server: Any) -> None:
    port, receiver = server
    receiver.busy = True
    body = json.dumps([item(1), item(2)]).encode()
    response = send(port, body, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "has not stored" in response.json()["error"]
    # A signed request that got a 503 may be sent again as it is (no replay refusal).
    headers = signed_headers(SECRET, body, timestamp=int(NOW.timestamp()))
    assert send(port, body, headers).status_code == 503
    receiver.busy = False
    assert send(port, body, headers).status_code == 202
    assert send(port, body, headers).status_code == 401  # taken now: a third time is a replay
