"""``POST /api/v1/ingest/{kind}``: posts pushed by other systems, verified before they are read.

One generic route for every connector that receives pushes (the ``webhook`` capability):
the plugin host asks the connector to admit the request from its headers (credentials checked
before the body is read), reads the body up to the connector's cap (413 beyond it), lets the
connector authenticate and parse it, and hands the posts to an injected ``submit`` callable, so
the route does not depend on the pipeline. ``POST /api/v1/ingest`` is the ``webhook`` kind's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from slusha.domain.post import Post
from slusha.errors import TransientError
from slusha.plugins.api import IngestKey, ReceiveRefused
from slusha.plugins.host import PluginHost

log = logging.getLogger("slusha.web.ingest")
UNAUTHENTICATED_READS_AT_ONCE = 8
RETRY_AFTER_SECONDS = 5


@dataclass
class IngestSummary:
    """What happened to the posts of one request."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


class Submit(Protocol):
    """Hands validated posts to the pipeline; returns what it did with them."""

    def __call__(
        self, posts: list[Post], *, source_id: int, source_language: str | None = None
    ) -> Awaitable[IngestSummary]: ...


KeyLoader = Callable[[str], Awaitable[Sequence[IngestKey]]]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def _read_capped(request: Request, cap: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        return None
    parts = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        parts.append(chunk)
    return b"".join(parts)


def create_ingest_router(
    *,
    submit: Submit,
    keys: KeyLoader,
    host: Callable[[], PluginHost],
    prefix: str = "/api/v1",
) -> APIRouter:
    """The ingest router; ``keys(kind)`` lists enabled sources of a kind, ``submit`` takes the
    posts, ``host()`` is the process's plugin host."""
    router = APIRouter(prefix=prefix, tags=["ingest"])
    # Bodies whose credentials only the body can prove (signatures) are read a few at a
    # time, so unauthenticated senders cannot make the server hold many large bodies at once.
    rationed = asyncio.Semaphore(UNAUTHENTICATED_READS_AT_ONCE)

    async def ingest(kind: str, request: Request) -> JSONResponse:
        plugins = host()
        if not plugins.receives(kind):
            return _error(404, f"no connector of kind {kind!r} receives pushes")
        candidates = list(await keys(kind))
        if not candidates:
            return _error(404, f"no enabled {kind} source receives pushes here (an admin adds "
                               "one on the Sources page)")  # fmt: skip
        client = request.client.host if request.client else "?"
        headers = {k.lower(): v for k, v in request.headers.items()}
        now = plugins.clock.now().timestamp()
        try:
            admission = plugins.admit(kind, candidates, headers, now=now)
            if admission.authenticated:
                body = await _read_capped(request, admission.max_body_bytes)
            else:
                async with rationed:
                    body = await _read_capped(request, admission.max_body_bytes)
            if body is None:
                return _error(413, f"the body is larger than {admission.max_body_bytes} bytes")
            received = plugins.receive(kind, admission, headers, body, now=now)
        except ReceiveRefused as refused:
            if refused.status == 401:
                log.warning("ingest refused", extra={"client": client, "error": refused.message})
            return _error(refused.status, refused.message, refused.headers)
        summary = IngestSummary()
        if received.posts:
            try:
                summary = await submit(
                    received.posts,
                    source_id=received.key.source_id,
                    source_language=received.key.language,
                )
            except TransientError as exc:
                # Not stored yet: the sender must not take this for an acknowledgement, and
                # may send the very same signed request again.
                log.warning("ingest deferred", extra={"client": client, "error": str(exc)})
                plugins.release(kind, received)
                return _error(503, str(exc), {"Retry-After": str(RETRY_AFTER_SECONDS)})
        rejected = [*received.rejected, *summary.rejected]
        status = 202 if received.posts or not rejected else 422
        return JSONResponse(
            {
                "source": received.key.source_name,
                "accepted": summary.accepted,
                "duplicates": summary.duplicates,
                "rejected": rejected,
                "received_at": int(time.time()),
            },
            status_code=status,
        )

    @router.post("/ingest", status_code=202, summary="Push posts in the post format")
    async def ingest_webhook(request: Request) -> JSONResponse:
        return await ingest("webhook", request)

    @router.post("/ingest/{kind}", status_code=202, summary="Push posts to a connector")
    async def ingest_kind(kind: str, request: Request) -> JSONResponse:
        return await ingest(kind, request)

    return router
