"""The receiving side of the ingest protocol: credentials, signature, replay, then the posts.

A request is authenticated by ``X-Slusha-Signature`` (HMAC-SHA256 of ``<timestamp>.<body>``,
with ``X-Slusha-Timestamp`` inside the source's replay window; each signed request is taken
once) or by ``Authorization: Bearer <token>``. A token is checked completely before the body
is read, a signature's timestamp and window too (the signature itself covers the body).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence

from slusha.connectors.webhook.client import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from slusha.connectors.webhook.parse import PayloadError, parse_payload
from slusha.plugins.api import Admission, IngestKey, Received, ReceiveRefused

log = logging.getLogger("slusha.web.ingest")
HARD_MAX_BODY_BYTES = 10 * 1024 * 1024
_SIGNATURE = SIGNATURE_HEADER.lower()
_TIMESTAMP = TIMESTAMP_HEADER.lower()


class ReplayCache:
    """Signatures seen within the replay window: the same signed request is accepted once."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def add(self, sig: str, *, now: float, window: float) -> bool:
        """Remember ``sig``; False when it was already seen within its window."""
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


def admit(keys: Sequence[IngestKey], headers: Mapping[str, str], *, now: float) -> Admission:
    """What the headers allow; ``ReceiveRefused`` (401) when they cannot be right."""
    sig = headers.get(_SIGNATURE, "")
    if sig:
        stamp = headers.get(_TIMESTAMP, "")
        signing = [k for k in keys if k.signing_secret]
        if not stamp.isdigit():
            log.warning("ingest refused: signature without timestamp")
            raise ReceiveRefused(401, f"{TIMESTAMP_HEADER} is missing or not unix seconds")
        if not signing or abs(now - int(stamp)) > max(k.replay_window_seconds for k in signing):
            log.warning("ingest refused: timestamp outside window")
            raise ReceiveRefused(401, "the timestamp is outside the replay window")
        cap = min(HARD_MAX_BODY_BYTES, max(k.max_body_bytes for k in signing))
        return Admission(tuple(signing), cap, authenticated=False)
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        key = _match_token(keys, auth[7:].strip())
        if key is None:
            log.warning("ingest refused: unknown token")
            raise ReceiveRefused(401, "the token is not valid", {"WWW-Authenticate": "Bearer"})
        return Admission((key,), min(HARD_MAX_BODY_BYTES, key.max_body_bytes), authenticated=True)
    log.warning("ingest refused: no credentials")
    raise ReceiveRefused(
        401,
        f"sign the request ({SIGNATURE_HEADER}) or send a bearer token",
        {"WWW-Authenticate": "Bearer"},
    )


def receive(
    admission: Admission,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    replays: ReplayCache,
    network: str,
) -> Received:
    """Authenticate the body (a signature) and parse it into posts."""
    token = None
    if admission.authenticated:
        key = admission.keys[0]
    else:
        sig, stamp = headers.get(_SIGNATURE, ""), headers.get(_TIMESTAMP, "")
        found = _match_signature(admission.keys, stamp, sig, body)
        if found is None:
            log.warning("ingest refused: forged or wrong signature")
            raise ReceiveRefused(401, "the signature does not match", {"WWW-Authenticate": "HMAC"})
        key = found
        if abs(now - int(stamp)) > key.replay_window_seconds:
            log.warning("ingest refused: timestamp outside window")
            raise ReceiveRefused(401, "the timestamp is outside the replay window")
        if not replays.add(sig, now=now, window=key.replay_window_seconds):
            log.warning("ingest refused: replayed request")
            raise ReceiveRefused(401, "this signed request was already received (replay)")
        token = sig
    if len(body) > key.max_body_bytes:
        if token:
            replays.forget(token)
        raise ReceiveRefused(413, f"the body is larger than {key.max_body_bytes} bytes")
    try:
        parsed = parse_payload(body, default_network=network)
    except PayloadError as exc:
        raise ReceiveRefused(400, str(exc)) from None
    return Received(key, parsed.posts, parsed.rejected, replay_token=token)
