"""A scriptable origin server on 127.0.0.1 for connector tests: real HTTP, real sockets.

Each test scripts routes: a fixed ``Reply`` (status, headers, body, delay, drip, gzip, chunks
with pauses), a sequence of replies, or a handler that looks at the request. WebSocket routes
take an async handler. The server is uvicorn in a thread, listening on 127.0.0.1 and on
127.0.0.2 at the same port, so tests can tell an allowed loopback address from a refused one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn


@dataclass
class Request:
    """A request the origin received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    host: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Reply:
    """What the origin answers. ``chunks`` may mix bytes and pauses (floats, in seconds)."""

    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    drip_seconds: float | None = None
    chunks: Sequence[bytes | float] | None = None
    gzip: bool = False
    raw_gzip: bytes | None = None

    def payload(self) -> bytes:
        """The body as bytes (objects and lists become JSON)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


def json_reply(data: Any, status: int = 200, **headers: str) -> Reply:
    """A JSON reply."""
    return Reply(status=status, body=json.dumps(data).encode(), headers={
        "content-type": "application/json", **headers})  # fmt: skip


Handler = Callable[[Request], Reply | Awaitable[Reply]]
WsHandler = Callable[["WebSocket"], Awaitable[None]]


class WebSocket:
    """The server side of one WebSocket connection (ASGI)."""

    def __init__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.query = parse_qs(scope.get("query_string", b"").decode())
        self._receive = receive
        self._send = send

    async def accept(self) -> None:
        """Complete the handshake."""
        message = await self._receive()
        assert message["type"] == "websocket.connect"
        await self._send({"type": "websocket.accept"})

    async def send_text(self, text: str) -> None:
        """Send one text frame."""
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int = 1000) -> None:
        """Close the connection."""
        await self._send({"type": "websocket.close", "code": code})

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until the client goes away."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await self._receive()
                    if message["type"] == "websocket.disconnect":
                        return
        except TimeoutError:
            return


class Origin:
    """The scriptable server; use ``with serve_origin() as origin``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler | list[Reply]] = {}
        self.ws_routes: dict[str, WsHandler] = {}
        self.requests: list[Request] = []
        self.port = 0
        self._lock = threading.Lock()

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        """Absolute URL of ``path`` on this origin (``host`` may be a name for the resolver)."""
        return f"http://{host}:{self.port}{path}"

    def ws_url(self, path: str, *, host: str = "127.0.0.1") -> str:
        """Absolute ws:// URL of ``path``."""
        return f"ws://{host}:{self.port}{path}"

    def route(self, path: str, reply: Reply | Handler | Sequence[Reply], *, method: str = "GET"):
        """Answer ``method path`` with a reply, a handler, or replies in turn (the last repeats)."""
        value: Any = list(reply) if isinstance(reply, list | tuple) else reply
        self.routes[(method.upper(), path)] = value

    def websocket(self, path: str, handler: WsHandler) -> None:
        """Serve a WebSocket at ``path``."""
        self.ws_routes[path] = handler

    def hits(self, path: str) -> list[Request]:
        """Requests received for ``path``."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            handler = self.ws_routes.get(scope["path"])
            if handler is None:
                await receive()
                await send({"type": "websocket.close", "code": 4404})
                return
            await handler(WebSocket(scope, receive, send))
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query=parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True),
            headers=headers,
            body=body,
            host=headers.get("host", ""),
        )
        with self._lock:
            self.requests.append(request)
        reply = await self._reply(request)
        await self._send(reply, send)

    async def _reply(self, request: Request) -> Reply:
        entry = self.routes.get((request.method, request.path))
        if entry is None:
            return Reply(404, b"not found")
        if isinstance(entry, list):
            with self._lock:
                reply = entry.pop(0) if len(entry) > 1 else entry[0]
            return reply
        if isinstance(entry, Reply):
            return entry
        result = entry(request)
        if asyncio.iscoroutine(result):
            result = await result
        assert isinstance(result, Reply)
        return result

    async def _send(self, reply: Reply, send: Any) -> None:
        if reply.delay_seconds:
            await asyncio.sleep(reply.delay_seconds)
        body = reply.payload()
        headers = dict(reply.headers)
        if reply.raw_gzip is not None:
            body = reply.raw_gzip
            headers["content-encoding"] = "gzip"
        elif reply.gzip:
            body = gzip.compress(body)
            headers["content-encoding"] = "gzip"
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        try:
            if reply.chunks is not None:
                for item in reply.chunks:
                    if isinstance(item, float | int) and not isinstance(item, bool):
                        await asyncio.sleep(float(item))
                    else:
                        await send({"type": "http.response.body", "body": item, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif reply.drip_seconds is not None:
                for index in range(len(body)):
                    await send({"type": "http.response.body", "body": body[index : index + 1],
                                "more_body": True})  # fmt: skip
                    await asyncio.sleep(reply.drip_seconds)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send({"type": "http.response.body", "body": body, "more_body": False})
        except (OSError, asyncio.CancelledError):
            return  # the client went away (a timeout test), which is the point


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


@contextmanager
def serve_app(app: Any) -> Iterator[int]:
    """Serve any ASGI app on 127.0.0.1 (and 127.0.0.2, same port); yields the port."""
    first = _bind("127.0.0.1", 0)
    port = first.getsockname()[1]
    sockets = [first]
    with contextlib.suppress(OSError):  # no 127.0.0.2 here: tests that need it fail loudly
        sockets.append(_bind("127.0.0.2", port))
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="critical",
        access_log=False,
        ws="websockets-sansio",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for sock in sockets:
            sock.close()


@contextmanager
def serve_origin(origin: Origin | None = None) -> Iterator[Origin]:
    """Run an origin for the duration of the block."""
    origin = origin or Origin()
    with serve_app(origin) as port:
        origin.port = port
        yield origin


def gzip_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """A small gzip body that inflates to ``size`` bytes of zeros."""
    return gzip.compress(b"\0" * size, compresslevel=9)
