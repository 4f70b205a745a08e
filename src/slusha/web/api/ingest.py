"""``POST /api/v1/ingest``: posts pushed by other systems, verified before they are read.

The router authenticates each request against the enabled webhook sources (an HMAC-SHA256
signature over timestamp and body, or a bearer token), refuses bodies over the cap with 413 while
reading them, and hands valid posts to an injected ``submit`` callable, so it does not depend on
the pipeline.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from slusha.clock import Clock
from slusha.connectors.webhook.client import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from slusha.connectors.webhook.parse import PayloadError, parse_payload
from slusha.domain.post import Post
from slusha.errors import TransientError
from slusha.plugins.api import IngestKey

log = logging.getLogger("slusha.web.ingest")
HARD_MAX_BODY_BYTES = 10 * 1024 * 1024
SIGNED_READS_AT_ONCE = 8
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


KeyLoader = Callable[[], Awaitable[Sequence[IngestKey]]]


class _ReplayCache:
    """Signatures seen within the replay window: the same signed request is accepted once."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def add(self, sig: str, *, now: float, window: float) -> bool:
        if len(self._seen) > 10_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        expiry = self._seen.get(sig)
        if expiry is not None and expiry > now:
            return False
        self._seen[sig] = now + 2 * window
        return True

    def forget(self, sig: str) -> None:
        """Let the same signed request in again (it was not taken: the sender retries it)."""
        self._seen.pop(sig, None)


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def _match_token(keys: Sequence[IngestKey], token: str) -> IngestKey | None:
    # Compare digests in constant time so the response time leaks nothing about the token.
    given = hashlib.sha256(token.encode("utf-8")).digest()
    found = None
    for key in keys:
        if key.api_token:
            wanted = hashlib.sha256(key.api_token.encode("utf-8")).digest()
            if hmac.compare_digest(given, wanted):
                found = key
    return found


def _match_signature(
    keys: Sequence[IngestKey], stamp: str, sig: str, body: bytes
) -> IngestKey | None:
    found = None
    for key in keys:
        if key.signing_secret and hmac.compare_digest(
            signature(key.signing_secret, stamp, body), sig
        ):
            found = key
    return found


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
    clock: Clock,
    prefix: str = "/api/v1",
) -> APIRouter:
    """The ingest router; ``keys`` lists enabled webhook sources, ``submit`` takes the posts."""
    router = APIRouter(prefix=prefix, tags=["ingest"])
    replays = _ReplayCache()
    signed_reads = asyncio.Semaphore(SIGNED_READS_AT_ONCE)

    @router.post("/ingest", status_code=202, summary="Push posts in the post format")
    async def ingest(request: Request) -> JSONResponse:
        candidates = list(await keys())
        if not candidates:
            return _error(404, "no webhook source is configured (slusha sources add webhook)")
        client = request.client.host if request.client else "?"
        key: IngestKey | None = None
        auth = request.headers.get("authorization", "")
        sig = request.headers.get(SIGNATURE_HEADER, "")
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        # Credentials are checked before the body is read, as far as they can be: a token
        # completely, a signature's timestamp and window (the signature itself covers the
        # body). Bodies of signed requests are read a few at a time, so unauthenticated
        # senders cannot make the server hold many large bodies at once.
        if sig:
            now = clock.now().timestamp()
            signing = [k for k in candidates if k.signing_secret]
            if not stamp.isdigit():
                log.warning("ingest refused: signature without timestamp", extra={"client": client})
                return _error(401, f"{TIMESTAMP_HEADER} is missing or not unix seconds")
            if not signing or abs(now - int(stamp)) > max(k.replay_window_seconds for k in signing):
                log.warning("ingest refused: timestamp outside window", extra={"client": client})
                return _error(401, "the timestamp is outside the replay window")
            cap = min(HARD_MAX_BODY_BYTES, max(k.max_body_bytes for k in signing))
            async with signed_reads:
                body = await _read_capped(request, cap)
            if body is None:
                return _error(413, f"the body is larger than {cap} bytes")
            key = _match_signature(signing, stamp, sig, body)
            if key is None:
                log.warning("ingest refused: forged or wrong signature", extra={"client": client})
                return _error(401, "the signature does not match", **{"WWW-Authenticate": "HMAC"})
            if abs(now - int(stamp)) > key.replay_window_seconds:
                log.warning("ingest refused: timestamp outside window", extra={"client": client})
                return _error(401, "the timestamp is outside the replay window")
            if not replays.add(sig, now=now, window=key.replay_window_seconds):
                log.warning("ingest refused: replayed request", extra={"client": client})
                return _error(401, "this signed request was already received (replay)")
        elif auth.lower().startswith("bearer "):
            key = _match_token(candidates, auth[7:].strip())
            if key is None:
                log.warning("ingest refused: unknown token", extra={"client": client})
                return _error(401, "the token is not valid", **{"WWW-Authenticate": "Bearer"})
            cap = min(HARD_MAX_BODY_BYTES, key.max_body_bytes)
            body = await _read_capped(request, cap)
            if body is None:
                return _error(413, f"the body is larger than {cap} bytes")
        else:
            log.warning("ingest refused: no credentials", extra={"client": client})
            return _error(401, f"sign the request ({SIGNATURE_HEADER}) or send a bearer token",
                          **{"WWW-Authenticate": "Bearer"})  # fmt: skip
        if len(body) > key.max_body_bytes:
            return _error(413, f"the body is larger than {key.max_body_bytes} bytes")
        try:
            parsed = parse_payload(body)
        except PayloadError as exc:
            return _error(400, str(exc))
        summary = IngestSummary()
        if parsed.posts:
            try:
                summary = await submit(
                    parsed.posts, source_id=key.source_id, source_language=key.language
                )
            except TransientError as exc:
                # Not stored yet: the sender must not take this for an acknowledgement, and
                # may send the very same signed request again.
                log.warning("ingest deferred", extra={"client": client, "error": str(exc)})
                if sig:
                    replays.forget(sig)
                return _error(503, str(exc), **{"Retry-After": str(RETRY_AFTER_SECONDS)})
        rejected = [*parsed.rejected, *summary.rejected]
        status = 202 if parsed.posts or not rejected else 422
        return JSONResponse(
            {
                "source": key.source_name,
                "accepted": summary.accepted,
                "duplicates": summary.duplicates,
                "rejected": rejected,
                "received_at": int(time.time()),
            },
            status_code=status,
        )

    return router
