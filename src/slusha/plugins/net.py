"""THE outbound HTTP client: every request a plugin makes goes through ``HttpClient``.

It owns what every connector would otherwise get wrong: timeouts with a total deadline (a server
that drips one byte a second is cut off), a User-Agent, body-size caps that count decompressed
bytes (a gzip bomb is refused while it inflates), manual redirects with every hop re-checked,
conditional GET, retries of 429/5xx with exponential backoff and jitter, a per-host concurrency
cap, the SSRF guard (``transport.py``) and one error vocabulary (``codes.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from slusha import __version__
from slusha.errors import PermanentError, SlushaError, TransientError
from slusha.plugins.addresses import AddressPolicy
from slusha.plugins.codes import http_status_error, private_address_message
from slusha.plugins.headers import cache_max_age_seconds, retry_after_seconds
from slusha.plugins.transport import (
    AddressRefusedError,
    ResolutionError,
    Resolver,
    guarded_transport,
    resolve_checked,
    system_resolver,
)

MiB = 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"Slusha/{__version__} (self-hosted social listening)"
log = logging.getLogger("slusha.net")


@dataclass(frozen=True)
class NetLimits:
    """Timeouts, caps and retry rules of the outbound client."""

    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 30.0
    total_timeout_seconds: float = 60.0
    max_feed_bytes: int = 10 * MiB
    max_json_bytes: int = 1 * MiB
    max_line_bytes: int = 1 * MiB
    max_redirects: int = 3
    max_attempts: int = 3
    backoff_base_seconds: float = 1.0
    max_retry_wait_seconds: float = 30.0
    per_host_concurrency: int = 4
    max_connections: int = 100
    user_agent: str = USER_AGENT


@dataclass
class HttpResponse:
    """A fully read response: status, final URL, headers and the decompressed body."""

    status: int
    url: str
    headers: httpx.Headers
    content: bytes
    history: list[str] = field(default_factory=list)

    @property
    def is_not_modified(self) -> bool:
        """True for ``304 Not Modified`` (RFC 9110 §15.4.5): nothing new since the validators."""
        return self.status == 304

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 when none)."""
        charset = httpx.Response(200, headers=self.headers).charset_encoding or "utf-8"
        return self.content.decode(charset, errors="replace")

    def json(self) -> Any:
        """The body as JSON, or a ``parse`` error that says where it broke."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PermanentError(
                f"the response from {self.url} is not valid JSON ({exc})", code="parse"
            ) from None

    def validators(self) -> dict[str, str]:
        """ETag / Last-Modified to keep in the cursor for the next conditional GET."""
        out: dict[str, str] = {}
        if self.headers.get("etag"):
            out["etag"] = self.headers["etag"]
        if self.headers.get("last-modified"):
            out["last_modified"] = self.headers["last-modified"]
        return out

    @property
    def max_age_seconds(self) -> float | None:
        """``Cache-Control: max-age`` in seconds, when the server sent one."""
        return cache_max_age_seconds(self.headers)


class _Inflater:
    """Decompresses a body chunk by chunk and refuses it once it grows past the cap."""

    def __init__(self, encoding: str, *, max_bytes: int, url: str) -> None:
        encoding = encoding.strip().lower()
        self.max_bytes = max_bytes
        self.url = url
        self.size = 0
        self._zlib: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            # RFC 9110 says zlib-wrapped; some servers send raw deflate. 32+ autodetects zlib/gzip.
            self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS)
        elif encoding not in ("", "identity"):
            raise PermanentError(
                f"{url} answered with content-encoding {encoding!r}, which Slusha did not ask for",
                code="parse",
            )

    def _count(self, size: int) -> None:
        self.size += size
        if self.size > self.max_bytes:
            raise PermanentError(
                f"the response from {self.url} is larger than {self.max_bytes // 1024} KiB "
                "once decompressed (refused)",
                code="too_large",
            )

    def feed(self, chunk: bytes) -> bytes:
        """Decompressed bytes for ``chunk``; never inflates more than the cap allows."""
        if self._zlib is None:
            self._count(len(chunk))
            return chunk
        parts = []
        data = chunk
        try:
            while data:
                # max_length bounds the memory one chunk can inflate to (a gzip bomb expands
                # ~1000:1); the rest waits in unconsumed_tail.
                out = self._zlib.decompress(data, self.max_bytes - self.size + 1)
                self._count(len(out))
                parts.append(out)
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise PermanentError(
                f"the compressed response from {self.url} is corrupt ({exc})", code="parse"
            ) from None
        return b"".join(parts)

    def flush(self) -> bytes:
        """The last decompressed bytes."""
        if self._zlib is None:
            return b""
        out: bytes = self._zlib.flush()
        self._count(len(out))
        return out


class HttpClient:
    """The one outbound HTTP client; share one per process (it pools connections)."""

    def __init__(
        self,
        *,
        limits: NetLimits | None = None,
        policy: AddressPolicy | None = None,
        resolver: Resolver | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.limits = limits or NetLimits()
        self.policy = policy or AddressPolicy()
        self.resolver = resolver or system_resolver
        self._rng = rng or random.Random()
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            transport=guarded_transport(
                policy=self.policy,
                resolver=self.resolver,
                max_connections=self.limits.max_connections,
            ),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.limits.user_agent},
            timeout=self._timeout(self.limits.read_timeout_seconds),
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()

    def _timeout(self, read_seconds: float | None) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.limits.connect_timeout_seconds,
            read=read_seconds,
            write=self.limits.read_timeout_seconds,
            pool=self.limits.total_timeout_seconds,
        )

    def _slot(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = asyncio.Semaphore(self.limits.per_host_concurrency)
        return slot

    async def check_url(self, url: str) -> None:
        """Raise ``PermanentError`` when ``url`` may not be fetched (scheme, or SSRF policy)."""
        parts = _checked_parts(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with _classified(url):
            await resolve_checked(
                parts.hostname or "", port, policy=self.policy, resolver=self.resolver
            )

    async def resolve_checked(self, host: str, port: int) -> list[str]:
        """Checked addresses of ``host`` for non-HTTP protocols (WebSocket): connect to these."""
        with _classified(f"{host}:{port}"):
            return await resolve_checked(host, port, policy=self.policy, resolver=self.resolver)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        max_bytes: int | None = None,
        validators: Mapping[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> HttpResponse:
        """Send a request and read the whole body, with retries, caps and classified errors.

        ``validators`` (from ``HttpResponse.validators``) makes a conditional GET; a 304 comes
        back as a response with ``is_not_modified``. Errors are ``TransientError`` or
        ``PermanentError`` with a stable code (``codes.py``).
        """
        cap = max_bytes or self.limits.max_json_bytes
        send_headers = dict(headers or {})
        send_headers.setdefault("Accept-Encoding", "gzip, deflate")
        if validators:
            if validators.get("etag"):
                send_headers["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                send_headers["If-Modified-Since"] = validators["last_modified"]
        is_safe = method.upper() in ("GET", "HEAD")
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._attempt(
                    method, url, headers=send_headers, params=params, json_body=json_body,
                    form=form, max_bytes=cap, follow=is_safe,
                )  # fmt: skip
            except TransientError as exc:
                # Connection failures are retried for safe methods only: a POST that may have
                # reached the server must not be sent twice.
                if (
                    not is_safe
                    or exc.code not in ("connect", "network")
                    or not self._can_retry(attempt, None)
                ):
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            status = response.status
            # Only safe methods are retried here. A POST (an alert, a reply) is retried by its
            # caller's one retry policy, which honours Retry-After too: retrying here as well
            # nested two policies and sent one alert up to 15 times.
            if is_safe and (status == 429 or status >= 500):
                wait = retry_after_seconds(response.headers)
                if self._can_retry(attempt, wait):
                    await asyncio.sleep(wait if wait is not None else self._backoff(attempt))
                    continue
            if raise_for_status and status >= 400:
                raise http_status_error(
                    status, url, retry_after=retry_after_seconds(response.headers)
                )
            return response

    def _can_retry(self, attempt: int, wait: float | None) -> bool:
        if attempt >= self.limits.max_attempts:
            return False
        return wait is None or wait <= self.limits.max_retry_wait_seconds

    def _backoff(self, attempt: int) -> float:
        # Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
        # Jitter"): spreads retries of many sources that failed together.
        ceiling = self.limits.backoff_base_seconds * (2 ** (attempt - 1))
        return self._rng.uniform(ceiling / 2, ceiling)

    async def _attempt(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        json_body: Any,
        form: Mapping[str, Any] | None,
        max_bytes: int,
        follow: bool,
    ) -> HttpResponse:
        async with self._slot(url):
            try:
                async with asyncio.timeout(self.limits.total_timeout_seconds):
                    async with self._open(
                        method, url, headers=headers, params=params, json_body=json_body,
                        form=form, follow=follow, read_timeout=self.limits.read_timeout_seconds,
                    ) as (response, history):  # fmt: skip
                        body = await _read_body(response, max_bytes=max_bytes)
                        return HttpResponse(
                            status=response.status_code,
                            url=str(response.url),
                            headers=response.headers,
                            content=body,
                            history=history,
                        )
            except TimeoutError:
                raise TransientError(
                    f"{url} did not answer completely within "
                    f"{self.limits.total_timeout_seconds:g} s (timeout)",
                    code="timeout",
                ) from None
        raise AssertionError("unreachable")  # the response context never swallows errors

    @asynccontextmanager
    async def _open(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        follow: bool = True,
        read_timeout: float | None,
    ) -> AsyncIterator[tuple[httpx.Response, list[str]]]:
        """Open a streamed response, following at most ``max_redirects`` checked redirects."""
        history: list[str] = []
        current = url
        current_headers = dict(headers)
        while True:
            _checked_parts(current)
            with _classified(current):
                request = self._client.build_request(
                    method,
                    current,
                    headers=current_headers,
                    params=params if not history else None,
                    json=json_body,
                    data=form,
                    timeout=self._timeout(read_timeout),
                )
                response = await self._client.send(request, stream=True)
            if follow and response.status_code in REDIRECT_STATUSES:
                location = response.headers.get("location")
                await response.aclose()
                if not location:
                    raise PermanentError(
                        f"{current} redirects without a Location header", code="redirect_loop"
                    )
                target = urljoin(str(response.url), location)
                history.append(str(response.url))
                if target in history:
                    raise PermanentError(
                        f"{url} redirects in a loop ({' -> '.join([*history, target])})",
                        code="redirect_loop",
                    )
                if len(history) > self.limits.max_redirects:
                    raise PermanentError(
                        f"{url} redirects more than {self.limits.max_redirects} times",
                        code="redirect_loop",
                    )
                if urlsplit(target).netloc != urlsplit(current).netloc:
                    # Credentials are for the origin they were given for (RFC 9110 §15.4).
                    current_headers.pop("Authorization", None)
                    current_headers.pop("authorization", None)
                current = target
                continue
            try:
                with _classified(current):
                    yield response, history
            finally:
                await response.aclose()
            return

    async def iter_lines(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        read_timeout_seconds: float | None = None,
    ) -> AsyncGenerator[str, None]:
        """Lines of a long-lived response (Server-Sent Events), without a total deadline.

        The read timeout still applies between chunks, so a stream that falls silent (no
        heartbeat) ends with a ``timeout`` error; a line longer than the cap is refused.
        """
        send_headers = dict(headers or {})
        send_headers.setdefault("Accept-Encoding", "gzip, deflate")
        read_timeout = read_timeout_seconds or self.limits.read_timeout_seconds
        # No per-host slot: a stream holds its connection for hours and must not starve polls.
        async with self._open(
            "GET", url, headers=send_headers, params=params, read_timeout=read_timeout
        ) as (response, _history):
            if response.status_code >= 400:
                await response.aread()
                raise http_status_error(
                    response.status_code,
                    url,
                    retry_after=retry_after_seconds(response.headers),
                )
            inflater = _Inflater(
                response.headers.get("content-encoding", ""),
                max_bytes=2**62,
                url=url,
            )
            buffer = b""
            async for chunk in response.aiter_raw():
                buffer += inflater.feed(chunk)
                # SSE lines end with CRLF, LF or CR (WHATWG HTML §9.2.6).
                buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", errors="replace")
                if len(buffer) > self.limits.max_line_bytes:
                    raise PermanentError(
                        f"{url} sent a line longer than {self.limits.max_line_bytes} bytes",
                        code="too_large",
                    )
            if buffer:
                yield buffer.decode("utf-8", errors="replace")


async def _read_body(response: httpx.Response, *, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PermanentError(
            f"{response.url} announces {int(declared) // 1024} KiB, more than the "
            f"{max_bytes // 1024} KiB allowed (refused)",
            code="too_large",
        )
    inflater = _Inflater(
        response.headers.get("content-encoding", ""), max_bytes=max_bytes, url=str(response.url)
    )
    parts = []
    async for chunk in response.aiter_raw():
        parts.append(inflater.feed(chunk))
    parts.append(inflater.flush())
    return b"".join(parts)


def _checked_parts(url: str) -> Any:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError(f"{url!r} is not an http(s) URL with a host name", code="bad_url")
    return parts


class _classified:
    """Turn transport exceptions into ``TransientError``/``PermanentError`` with stable codes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, SlushaError | asyncio.CancelledError | TimeoutError):
            return
        url = self.url
        error: SlushaError | None = None
        if isinstance(exc, AddressRefusedError):
            error = PermanentError(private_address_message(url, exc.reason), code="private_address")
        elif isinstance(exc, ResolutionError):
            error = TransientError(f"cannot resolve {exc.host} ({exc.reason}) (DNS)", code="dns")
        elif isinstance(exc, httpx.TimeoutException):
            error = TransientError(f"{url} timed out ({type(exc).__name__})", code="timeout")
        elif isinstance(exc, httpx.ConnectError) and _is_tls(exc):
            error = PermanentError(f"TLS handshake with {url} failed ({exc})", code="tls")
        elif isinstance(exc, httpx.ConnectError):
            error = TransientError(f"cannot connect to {url} ({exc})", code="connect")
        elif isinstance(exc, httpx.DecodingError):
            error = PermanentError(f"cannot decode the response of {url} ({exc})", code="parse")
        elif isinstance(exc, httpx.TransportError):
            error = TransientError(
                f"the connection to {url} broke before the response was complete ({exc})",
                code="network",
            )
        if error is None:
            return
        raise error from None


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in str(seen) or "certificate" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
