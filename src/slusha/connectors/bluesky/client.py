"""Bluesky calls: Jetstream over WebSocket (through the SSRF guard) and XRPC over HTTPS."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import websockets
from websockets.asyncio.client import connect

from slusha.errors import PermanentError, TransientError
from slusha.plugins.api import PluginContext

MAX_MESSAGE_BYTES = 1024 * 1024


def jetstream_uri(base: str, *, collections: Sequence[str], dids: Sequence[str],
                  cursor_us: int | None) -> str:  # fmt: skip
    """The subscribe URL with filters and, to resume, a cursor in microseconds."""
    params: list[tuple[str, str]] = [("wantedCollections", c) for c in collections]
    params += [("wantedDids", d) for d in dids]
    if cursor_us is not None:
        params.append(("cursor", str(cursor_us)))
    return f"{base}?{urlencode(params)}" if params else base


async def jetstream_messages(ctx: PluginContext, uri: str) -> AsyncGenerator[str, None]:
    """Text messages from Jetstream; connection failures become transient errors."""
    parts = urlsplit(uri)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise PermanentError(f"{uri!r} is not a ws:// or wss:// URL", code="bad_url")
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    # The guard resolves and checks the host; the socket goes to that checked address while
    # TLS and the Host header keep the name.
    address = (await ctx.http.resolve_checked(parts.hostname, port))[0]
    options: dict[str, Any] = {"host": address, "port": port}
    if parts.scheme == "wss":
        options["server_hostname"] = parts.hostname
    try:
        async with connect(
            uri,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=ctx.http.limits.connect_timeout_seconds,
            ping_interval=20,
            ping_timeout=20,
            user_agent_header=ctx.http.limits.user_agent,
            compression=None,
            **options,
        ) as socket:
            async for message in socket:
                yield message if isinstance(message, str) else message.decode("utf-8", "replace")
    except websockets.exceptions.InvalidStatus as exc:
        status = exc.response.status_code
        error = TransientError if status >= 500 or status == 429 else PermanentError
        raise error(f"Jetstream refused the connection ({status})", code=f"http_{status}"
                    if status in (401, 403, 404, 429) else "http_4xx" if status < 500
                    else "http_5xx") from None  # fmt: skip
    except websockets.exceptions.PayloadTooBig:
        raise PermanentError("Jetstream sent a message over 1 MiB", code="too_large") from None
    except (websockets.exceptions.ConnectionClosedError, websockets.exceptions.InvalidMessage,
            OSError, TimeoutError) as exc:  # fmt: skip
        raise TransientError(f"the Jetstream connection broke ({exc})", code="network") from None


class XrpcClient:
    """XRPC over HTTPS with an optional session (app password)."""

    def __init__(self, ctx: PluginContext, base_url: str) -> None:
        self.ctx = ctx
        self.base = base_url.rstrip("/")
        self.access_jwt: str | None = None
        self.did: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_jwt}"} if self.access_jwt else {}

    async def login(self, identifier: str, password: str) -> None:
        """``com.atproto.server.createSession`` with an app password."""
        data = await self.procedure("com.atproto.server.createSession",
                                    {"identifier": identifier, "password": password})  # fmt: skip
        self.access_jwt = data.get("accessJwt")
        self.did = data.get("did")
        if not self.access_jwt or not self.did:
            raise PermanentError("Bluesky did not return a session", code="http_401")

    async def query(self, nsid: str, params: dict[str, Any]) -> Any:
        """A GET XRPC call."""
        response = await self.ctx.http.request("GET", f"{self.base}/xrpc/{nsid}",
                                               params=params, headers=self._headers())  # fmt: skip
        return response.json()

    async def procedure(self, nsid: str, body: dict[str, Any], *, raise_for_status: bool = True
                        ) -> Any:  # fmt: skip
        """A POST XRPC call with a JSON body."""
        response = await self.ctx.http.request(
            "POST", f"{self.base}/xrpc/{nsid}", json_body=body, headers=self._headers(),
            raise_for_status=raise_for_status,
        )  # fmt: skip
        data = response.json() if response.content else {}
        if not raise_for_status:
            return response.status, data
        return data
