"""A loopback server speaking the part of Mastodon's API that replies use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.origin import Origin, Reply, json_reply

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "status.json"


def status(local_id: int, text: str) -> dict[str, Any]:
    """A Mastodon status (the fixture) for a reply with this local id and text."""
    data = json.loads(FIXTURE.read_text())
    data.update(
        id=str(local_id),
        uri=f"https://social.example/users/acme/statuses/{local_id}",
        url=f"https://social.example/@acme/{local_id}",
        content=f"<p>{text}</p>",
        in_reply_to_id="113",
    )
    return data


class MastodonServer:
    """POST /api/v1/statuses as Mastodon does it: one status per Idempotency-Key.

    ``slow_first``: the first request is recorded (the status exists) but answered only
    after the client gave up, as when a network is slow under load.
    """

    def __init__(
        self, origin: Origin, *, slow_first: bool = False, delay_seconds: float = 3.0
    ) -> None:
        self.origin = origin
        self.created: dict[str, dict[str, Any]] = {}
        self.slow_first = slow_first
        self.delay_seconds = delay_seconds
        origin.route("/api/v1/statuses", self.handle, method="POST")

    def handle(self, request: Any) -> Reply:
        key = request.headers.get("idempotency-key", "")
        first = not self.origin.hits("/api/v1/statuses")[:-1]
        if key not in self.created:
            self.created[key] = status(900 + len(self.created), request.body.decode())
        reply = json_reply(self.created[key])
        if self.slow_first and first:
            reply.delay_seconds = self.delay_seconds
        return reply
