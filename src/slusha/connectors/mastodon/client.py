"""Mastodon REST and streaming calls (docs.joinmastodon.org/methods/)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

from slusha.plugins.net import HttpClient


class MastodonClient:
    """Calls one instance's API with an optional bearer token."""

    def __init__(self, http: HttpClient, instance_url: str, token: str | None) -> None:
        self.http = http
        self.base = instance_url.rstrip("/")
        self.token = token

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document."""
        response = await self.http.request(
            "GET", self.base + path, headers=self._headers(), params=params
        )
        return response.json()

    @staticmethod
    def timeline_path(timeline: str, hashtag: str | None) -> tuple[str, dict[str, Any]]:
        """REST path and fixed parameters of a timeline."""
        if timeline == "hashtag":
            return f"/api/v1/timelines/tag/{quote(hashtag or '', safe='')}", {}
        if timeline == "local":
            return "/api/v1/timelines/public", {"local": "true"}
        if timeline == "home":
            return "/api/v1/timelines/home", {}
        return "/api/v1/timelines/public", {}

    @staticmethod
    def stream_path(timeline: str, hashtag: str | None) -> tuple[str, dict[str, Any]]:
        """Streaming path and parameters of a timeline (Server-Sent Events)."""
        if timeline == "hashtag":
            return "/api/v1/streaming/hashtag", {"tag": hashtag or ""}
        if timeline == "local":
            return "/api/v1/streaming/public/local", {}
        if timeline == "home":
            return "/api/v1/streaming/user", {}
        return "/api/v1/streaming/public", {}

    def stream_lines(self, path: str, params: dict[str, Any]) -> AsyncGenerator[str, None]:
        """Lines of a streaming endpoint; the server sends a heartbeat comment every ~15 s."""
        headers = {**self._headers(), "Accept": "text/event-stream"}
        return self.http.iter_lines(
            self.base + path, headers=headers, params=params, read_timeout_seconds=90
        )

    async def post_status(self, *, text: str, in_reply_to_id: str, idempotency_key: str) -> Any:
        """Publish a reply; Mastodon keeps Idempotency-Key for an hour, so a resend is a no-op."""
        response = await self.http.request(
            "POST",
            self.base + "/api/v1/statuses",
            headers={**self._headers(), "Idempotency-Key": idempotency_key},
            form={"status": text, "in_reply_to_id": in_reply_to_id},
        )
        return response.json()
