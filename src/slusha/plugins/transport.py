"""The guarded connection layer under the outbound client: resolve, check, connect to that IP.

httpcore asks its network backend to ``connect_tcp(host, port)``; this backend resolves the host
itself, refuses the connection when any answer is a forbidden address (``addresses.py``), and
connects to an address it has just checked. TLS still uses the URL's host name for SNI and
certificate checks, because httpcore passes the origin host to ``start_tls`` separately.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from slusha.plugins.addresses import AddressPolicy

Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefusedError(Exception):
    """A host resolved to an address the policy forbids (raised before any packet is sent)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


class ResolutionError(Exception):
    """A host name could not be resolved."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the operating system's resolver; IP literals resolve to themselves."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolutionError(host, exc.strerror or str(exc)) from None
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    if not seen:
        raise ResolutionError(host, "no address")
    return seen


def static_resolver(table: dict[str, list[str]], fallback: Resolver | None = None) -> Resolver:
    """A resolver that answers from ``table`` (tests, pinned hosts), else from ``fallback``."""

    async def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return list(table[host])
        if fallback is None:
            try:
                return [str(ipaddress.ip_address(host.strip("[]")))]
            except ValueError:
                raise ResolutionError(host, "name not known") from None
        return await fallback(host, port)

    return resolve


async def resolve_checked(
    host: str, port: int, *, policy: AddressPolicy, resolver: Resolver
) -> list[str]:
    """The addresses of ``host``, or ``AddressRefusedError`` if any of them is forbidden.

    Refusing when *any* answer is forbidden (not only the first) keeps a name that mixes a
    public and a private answer from being used to reach the private one.
    """
    addresses = await resolver(host.strip("[]"), port)
    for address in addresses:
        reason = policy.refusal(address)
        if reason is not None:
            raise AddressRefusedError(host, reason)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that only connects to addresses the policy allows."""

    def __init__(self, *, policy: AddressPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(
                resolve_checked(host, port, policy=self._policy, resolver=self._resolver),
                timeout,
            )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed for outbound requests")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    *, policy: AddressPolicy, resolver: Resolver, max_connections: int
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through ``GuardedBackend``."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    ssl_context: ssl.SSLContext = httpx.create_ssl_context()
    # httpx builds its pool without a way to pass a network backend; replace it with one that has
    # the guard (same arguments httpx would use for a plain HTTP/1.1 pool).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=5.0,
        http1=True,
        http2=False,
        network_backend=GuardedBackend(policy=policy, resolver=resolver),
    )
    return transport
