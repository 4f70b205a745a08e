"""``POST /api/v1/ingest`` on a real server: signatures, tokens, replay, size, bad posts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from slusha.clock import FrozenClock
from slusha.connectors.webhook.client import signed_headers
from slusha.connectors.webhook.connector import WebhookConfig
from slusha.domain.post import Post
from slusha.plugins.api import IngestKey
from slusha.web.api.ingest import IngestSummary, create_ingest_router
from tests.connectors.webhook.hosts import ingest_host
from tests.support.origin import serve_app

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "webhook" / "posts.json"
SECRET = "s3cret-s3cret-s3cret"
TOKEN = "token-token-token-token"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(20)


class Receiver:
    """What the injected submit callable received."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, list[Post]]] = []
        self.languages: list[str | None] = []

    async def __call__(
        self, posts: list[Post], *, source_id: int, source_language: str | None = None
    ) -> IngestSummary:
        self.batches.append((source_id, posts))
        self.languages.append(source_language)
        return IngestSummary(accepted=len(posts))


@pytest.fixture
def server() -> Iterator[tuple[str, Receiver]]:
    receiver = Receiver()

    async def keys(kind: str) -> list[IngestKey]:
        return [IngestKey(source_id=7, source_name="crm", signing_secret=SECRET,
                          api_token=TOKEN, max_body_bytes=64 * 1024, language="mk")]  # fmt: skip

    app = FastAPI()
    host = ingest_host(FrozenClock(NOW))
    app.include_router(create_ingest_router(submit=receiver, keys=keys, host=lambda: host))
    with serve_app(app) as port:
        yield f"http://127.0.0.1:{port}/api/v1/ingest", receiver


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=5)


def stamp(offset: float = 0) -> int:
    return int(NOW.timestamp() + offset)


def test_signed_request_is_accepted_and_bad_items_rejected_by_index(server: Any) -> None:
    url, receiver = server
    body = FIXTURE.read_bytes()
    response = post(url, body, signed_headers(SECRET, body, timestamp=stamp()))
    assert response.status_code == 202, response.text
    data = response.json()
    assert data["accepted"] == 2
    assert data["rejected"] == [{"index": 2, "reason": "missing required key: created_at",
                                 "key": "created_at"}]  # fmt: skip
    ((source_id, posts),) = receiver.batches
    assert source_id == 7 and receiver.languages == ["mk"]  # the source's language goes along
    assert [p.id for p in posts] == ["crm-4711", "form-12"]
    assert posts[1].network == "webhook"
    assert posts[0].extra == {"ticket": "T-4711"}


def test_forged_signature_is_rejected_and_logged(server: Any, caplog: Any) -> None:
    url, receiver = server
    body = FIXTURE.read_bytes()
    headers = signed_headers("not-the-secret-at-all", body, timestamp=stamp())
    with caplog.at_level(logging.WARNING, logger="slusha.web.ingest"):
        response = post(url, body, headers)
    assert response.status_code == 401
    assert receiver.batches == []
    assert any("forged" in record.getMessage() for record in caplog.records)


def test_body_changed_after_signing_is_rejected(server: Any) -> None:
    url, receiver = server
    body = FIXTURE.read_bytes()
    headers = signed_headers(SECRET, body, timestamp=stamp())
    response = post(url, body.replace(b"broken", b"great!"), headers)
    assert response.status_code == 401
    assert receiver.batches == []


def test_old_timestamp_and_replay_are_rejected(server: Any) -> None:
    url, receiver = server
    body = json.dumps({"id": "x", "text": "t", "created_at": "2026-11-27T08:00:00Z"}).encode()
    old = signed_headers(SECRET, body, timestamp=stamp(-3600))
    assert post(url, body, old).status_code == 401
    fresh = signed_headers(SECRET, body, timestamp=stamp(-10))
    assert post(url, body, fresh).status_code == 202
    assert post(url, body, fresh).status_code == 401  # the same signed request again
    assert len(receiver.batches) == 1


def test_bearer_token(server: Any) -> None:
    url, receiver = server
    body = json.dumps({"id": "x", "text": "t", "created_at": "2026-11-27T08:00:00Z"}).encode()
    assert post(url, body, {"Authorization": "Bearer wrong-token-wrong"}).status_code == 401
    assert post(url, body, {}).status_code == 401
    assert post(url, body, {"Authorization": f"Bearer {TOKEN}"}).status_code == 202
    assert len(receiver.batches) == 1


def test_oversized_body_gets_413(server: Any) -> None:
    url, receiver = server
    body = json.dumps([{"id": str(i), "text": "x" * 100, "created_at": "2026-11-27T08:00:00Z"}
                       for i in range(1000)]).encode()  # fmt: skip
    response = post(url, body, signed_headers(SECRET, body, timestamp=stamp()))
    assert response.status_code == 413
    assert receiver.batches == []


def test_not_json_is_400(server: Any) -> None:
    url, _ = server
    body = b"{not json"
    response = post(url, body, signed_headers(SECRET, body, timestamp=stamp()))
    assert response.status_code == 400


def test_config_needs_credentials() -> None:
    with pytest.raises(ValidationError):
        WebhookConfig()
    with pytest.raises(ValidationError):
        WebhookConfig(api_token="short")
    assert WebhookConfig(api_token=TOKEN).max_body_bytes == 1024 * 1024
