"""Which IP addresses outbound requests may reach (the SSRF policy).

A user-typed URL must never reach the machine itself, the private network around it or a cloud
metadata service. Addresses are checked after DNS resolution, for every hop, and the connection
goes to the very address that was checked, so a DNS answer that changes between check and
connect (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Metadata services named explicitly, so the reason shown to the operator is precise even where
# the generic checks below would also refuse them.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    }
)
# RFC 6052 well-known NAT64 prefix and RFC 8215 local-use prefix: the last 32 bits are IPv4.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
# RFC 4291 deprecated IPv4-compatible addresses (::a.b.c.d).
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class AddressPolicy:
    """What the outbound client may connect to; the default refuses every non-public address."""

    allow_private_networks: bool = False
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def build(
        cls, *, allow_private_networks: bool = False, allowed_networks: Iterable[str] = ()
    ) -> AddressPolicy:
        """A policy from settings-like values (``allowed_networks`` as CIDR strings)."""
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        return cls(allow_private_networks=allow_private_networks, allowed_networks=nets)

    def refusal(self, address: str) -> str | None:
        """Why ``address`` may not be reached, or None when it may."""
        if self.allow_private_networks:
            return None
        ip = ipaddress.ip_address(address)
        if any(ip.version == net.version and ip in net for net in self.allowed_networks):
            return None
        return forbidden_reason(ip)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        # Teredo (RFC 4380) carries the client's IPv4 obfuscated; the server part is public.
        return "Teredo", ip.teredo[1]
    if ip in NAT64_WELL_KNOWN or ip in NAT64_LOCAL_USE:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in IPV4_COMPATIBLE and int(ip) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why a public-internet fetch must not reach ``ip`` (None when it is a public address)."""
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            form, inner = embedded
            inner_reason = forbidden_reason(inner)
            if inner_reason is not None:
                return f"{ip} is the {form} form of {inner}: {inner_reason}"
            if form in ("IPv4-compatible",) or ip in NAT64_LOCAL_USE:
                return f"{ip} is a {form} address (not routable on the public internet)"
            return None
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "the unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private-network address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, words in checks:
        if getattr(ip, attribute):
            return f"{ip} is {words}"
    if not ip.is_global:
        # e.g. 100.64.0.0/10 (carrier-grade NAT, RFC 6598), 192.0.0.0/24, benchmarking ranges.
        return f"{ip} is not a public-internet address"
    return None
