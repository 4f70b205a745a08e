"""The sending side of the ingest protocol: how a client signs a request (also used by tests).

Signature: ``X-Slusha-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`` with
``X-Slusha-Timestamp: <unix seconds>``. Signing the timestamp with the body lets the receiver
refuse a captured request replayed later (the same scheme Stripe and Slack use).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Slusha-Signature"
TIMESTAMP_HEADER = "X-Slusha-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``sha256=<hex>`` signature of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    """Headers that authenticate ``body`` with ``secret``."""
    stamp = str(int(timestamp))
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(secret, stamp, body),
        "Content-Type": "application/json",
    }
