"""``slusha serve`` end to end: a feed on a loopback origin becomes mentions, via the bus."""

from __future__ import annotations

import json

import pytest

from tests.support.net_fixtures import origin  # noqa: F401 - fixture
from tests.support.origin import Origin, Reply

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Acme watch</title><link>https://blog.example/</link>
<item><title>Acme refund chaos</title><link>https://blog.example/1</link>
<guid>https://blog.example/1</guid><pubDate>Fri, 27 Nov 2026 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Acme customers still wait for a &lt;b&gt;refund&lt;/b&gt;.&lt;/p&gt;
</description></item>
<item><title>Weather</title><link>https://blog.example/2</link><guid>https://blog.example/2</guid>
<pubDate>Fri, 27 Nov 2026 07:00:00 GMT</pubDate><description>Sunny.</description></item>
</channel></rss>"""


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_serve_polls_a_source_and_stores_its_mentions(
    slusha,
    origin: Origin,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLUSHA_ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("SLUSHA_SECRET_KEY", "test-secret-key-for-serve-0123456789")
    origin.route("/feed.xml", Reply(body=FEED, headers={"content-type": "application/rss+xml"}))
    assert slusha("teams", "add", "PR").exit_code == 0
    assert slusha("topics", "add", "Acme", "--team", "PR", "--query", "acme").exit_code == 0
    added = slusha("sources", "add", "rss", "--name", "blog", "--url", origin.url("/feed.xml"))
    assert added.exit_code == 0, added.output
    result = slusha("serve", "--duration", "6")
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(x) for x in slusha("mentions", "list", "--format", "jsonl").output.splitlines()
    ]
    assert [(r["network"], r["id"], r["topic"]) for r in rows] == [
        ("rss", "https://blog.example/1", "Acme")
    ]
    assert "refund" in rows[0]["text"] and "<b>" not in rows[0]["text"]
    assert origin.hits("/feed.xml")
