"""The outbound client against a real server on 127.0.0.1: caps, timeouts, retries, SSRF guard."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from slusha.errors import PermanentError, SlushaError, TransientError
from slusha.plugins.addresses import AddressPolicy, forbidden_reason
from slusha.plugins.net import HttpClient
from tests.support.net_fixtures import make_client
from tests.support.origin import Origin, Reply, gzip_bomb, json_reply

pytestmark = pytest.mark.timeout(20)


async def test_get_json_sends_user_agent_and_reads_body(origin: Origin, http: HttpClient) -> None:
    origin.route("/a", json_reply({"ok": True}))
    response = await http.request("GET", origin.url("/a"))
    assert response.json() == {"ok": True}
    assert origin.hits("/a")[0].headers["user-agent"].startswith("Slusha/")


async def test_gzip_body_is_decompressed(origin: Origin, http: HttpClient) -> None:
    origin.route("/gz", Reply(body=b"hello " * 100, gzip=True))
    response = await http.request("GET", origin.url("/gz"))
    assert response.content == b"hello " * 100


async def test_conditional_get_returns_not_modified(origin: Origin, http: HttpClient) -> None:
    def handler(request):  # type: ignore[no-untyped-def]
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(
            body=b"data", headers={"etag": '"v1"', "last-modified": "Tue, 01 Dec 2026 00:00:00 GMT"}
        )

    origin.route("/c", handler)
    first = await http.request("GET", origin.url("/c"))
    assert first.validators() == {"etag": '"v1"', "last_modified": "Tue, 01 Dec 2026 00:00:00 GMT"}
    second = await http.request("GET", origin.url("/c"), validators=first.validators())
    assert second.is_not_modified
    assert origin.hits("/c")[1].headers["if-modified-since"] == "Tue, 01 Dec 2026 00:00:00 GMT"


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "http_400"), (401, "http_401"), (403, "http_403"), (404, "http_404"), (410, "http_410")],
)
async def test_client_errors_are_permanent(
    origin: Origin, http: HttpClient, status: int, code: str
) -> None:
    origin.route("/e", Reply(status))
    with pytest.raises(PermanentError) as info:
        await http.request("GET", origin.url("/e"))
    assert info.value.code == code
    assert len(origin.hits("/e")) == 1  # never retried


async def test_429_is_retried_after_the_wait_then_succeeds(
    origin: Origin, http: HttpClient
) -> None:
    origin.route("/r", [Reply(429, headers={"retry-after": "0"}), json_reply([1])])
    response = await http.request("GET", origin.url("/r"))
    assert response.json() == [1]
    assert len(origin.hits("/r")) == 2


async def test_429_with_a_long_retry_after_is_handed_to_the_scheduler(
    origin: Origin, http: HttpClient
) -> None:
    origin.route("/r", Reply(429, headers={"retry-after": "120"}))
    with pytest.raises(TransientError) as info:
        await http.request("GET", origin.url("/r"))
    assert info.value.code == "http_429"
    assert info.value.retry_after_seconds == 120
    assert len(origin.hits("/r")) == 1


async def test_5xx_is_retried_with_backoff_then_transient(origin: Origin, http: HttpClient) -> None:
    origin.route("/s", Reply(503))
    with pytest.raises(TransientError) as info:
        await http.request("GET", origin.url("/s"))
    assert info.value.code == "http_5xx"
    assert len(origin.hits("/s")) == http.limits.max_attempts


async def test_post_is_not_retried_on_5xx(origin: Origin, http: HttpClient) -> None:
    origin.route("/p", Reply(500), method="POST")
    with pytest.raises(TransientError):
        await http.request("POST", origin.url("/p"), json_body={"a": 1})
    assert len(origin.hits("/p")) == 1


async def test_malformed_json_is_a_parse_error(origin: Origin, http: HttpClient) -> None:
    origin.route("/m", Reply(body=b'{"a": [1, 2', headers={"content-type": "application/json"}))
    response = await http.request("GET", origin.url("/m"))
    with pytest.raises(PermanentError) as info:
        response.json()
    assert info.value.code == "parse"


async def test_slow_drip_is_aborted_and_other_requests_are_unaffected(origin: Origin) -> None:
    client = make_client(total_timeout_seconds=1.5, read_timeout_seconds=5.0)
    origin.route("/drip", Reply(body=b"x" * 100, drip_seconds=0.3))
    origin.route("/fast", json_reply({"fast": True}))
    try:
        slow = asyncio.create_task(client.request("GET", origin.url("/drip")))
        fast = await client.request("GET", origin.url("/fast"))
        assert fast.json() == {"fast": True}
        assert not slow.done()
        with pytest.raises(TransientError) as info:
            await slow
        assert info.value.code == "timeout"
    finally:
        await client.aclose()


async def test_gzip_bomb_is_refused_while_inflating(origin: Origin, http: HttpClient) -> None:
    bomb = gzip_bomb(32 * 1024 * 1024)
    assert len(bomb) < 100 * 1024
    origin.route("/bomb", Reply(raw_gzip=bomb))
    with pytest.raises(PermanentError) as info:
        await http.request("GET", origin.url("/bomb"))
    assert info.value.code == "too_large"


async def test_oversized_body_is_refused(origin: Origin, http: HttpClient) -> None:
    origin.route("/big", Reply(body=b"a" * (http.limits.max_json_bytes + 1)))
    with pytest.raises(PermanentError) as info:
        await http.request("GET", origin.url("/big"))
    assert info.value.code == "too_large"


async def test_redirect_loop_is_refused(origin: Origin, http: HttpClient) -> None:
    origin.route("/loop1", Reply(302, headers={"location": "/loop2"}))
    origin.route("/loop2", Reply(302, headers={"location": "/loop1"}))
    with pytest.raises(PermanentError) as info:
        await http.request("GET", origin.url("/loop1"))
    assert info.value.code == "redirect_loop"


async def test_more_than_three_redirects_are_refused(origin: Origin, http: HttpClient) -> None:
    for n in range(5):
        origin.route(f"/hop{n}", Reply(301, headers={"location": f"/hop{n + 1}"}))
    origin.route("/hop5", json_reply({}))
    with pytest.raises(PermanentError) as info:
        await http.request("GET", origin.url("/hop0"))
    assert info.value.code == "redirect_loop"
    origin.route("/near0", Reply(301, headers={"location": "/hop3"}))
    assert (await http.request("GET", origin.url("/near0"))).json() == {}


async def test_redirect_to_another_loopback_address_is_refused(
    origin: Origin, http: HttpClient
) -> None:
    # 127.0.0.1 is allowed for the tests; 127.0.0.2 is the same machine but not allowed, and the
    # origin listens there too, so only the guard stops the second hop.
    origin.route("/secret", json_reply({"secret": 1}))
    origin.route("/go", Reply(302, headers={"location": origin.url("/secret", host="127.0.0.2")}))
    with pytest.raises(PermanentError) as info:
        await http.request("GET", origin.url("/go", host="public.example.com"))
    assert info.value.code == "private_address"
    assert "SLUSHA_ALLOW_PRIVATE_NETWORKS" in str(info.value)
    assert origin.hits("/secret") == []


async def test_host_resolving_to_a_forbidden_address_is_refused(
    origin: Origin, http: HttpClient
) -> None:
    origin.route("/x", json_reply({}))
    for host in ("evil.example.com", "mixed.example.com"):
        with pytest.raises(PermanentError) as info:
            await http.request("GET", origin.url("/x", host=host))
        assert info.value.code == "private_address"
    assert origin.hits("/x") == []


async def test_name_is_kept_in_host_header_when_connecting_to_checked_ip(
    origin: Origin, http: HttpClient
) -> None:
    origin.route("/h", json_reply({}))
    await http.request("GET", origin.url("/h", host="public.example.com"))
    assert origin.hits("/h")[0].host.startswith("public.example.com")


async def test_operator_can_allow_private_networks(origin: Origin) -> None:
    origin.route("/ok", json_reply({"ok": 1}))
    client = HttpClient(policy=AddressPolicy(allow_private_networks=True))
    try:
        response = await client.request("GET", origin.url("/ok", host="127.0.0.2"))
        assert response.json() == {"ok": 1}
    finally:
        await client.aclose()


async def test_default_policy_refuses_loopback(origin: Origin) -> None:
    client = HttpClient()
    try:
        with pytest.raises(PermanentError) as info:
            await client.request("GET", origin.url("/ok"))
        assert info.value.code == "private_address"
    finally:
        await client.aclose()


async def test_unknown_host_is_a_dns_error(http: HttpClient) -> None:
    with pytest.raises(TransientError) as info:
        await http.request("GET", "http://no-such-host.invalid/feed")
    assert info.value.code == "dns"


async def test_truncated_response_is_a_network_error(origin: Origin, http: HttpClient) -> None:
    origin.route("/t", Reply(headers={"content-length": "1000"}, chunks=[b"only a part"]))
    with pytest.raises(SlushaError) as info:
        await http.request("GET", origin.url("/t"))
    assert info.value.code == "network"


async def test_non_http_scheme_is_refused(http: HttpClient) -> None:
    with pytest.raises(PermanentError) as info:
        await http.request("GET", "file:///etc/passwd")
    assert info.value.code == "bad_url"


async def test_sse_lines_are_streamed(origin: Origin, http: HttpClient) -> None:
    origin.route(
        "/sse", Reply(chunks=[b"event: a\r\ndata: 1\r\n", 0.05, b"\r\nevent: b\ndata: 2\n\n"])
    )
    lines = [line async for line in http.iter_lines(origin.url("/sse"))]
    assert lines == ["event: a", "data: 1", "", "event: b", "data: 2", ""]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
        "100.64.0.1", "224.0.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
        "2002:7f00:1::1", "2002:a00:1::", "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "fd00:ec2::254", "::127.0.0.1",
    ],
)  # fmt: skip
def test_forbidden_addresses(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None
