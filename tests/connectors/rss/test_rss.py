"""The RSS connector against feeds served on 127.0.0.1, and the feedparser edge-case corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slusha.clock import FrozenClock
from slusha.connectors.rss.connector import RssConfig, RssConnector
from slusha.connectors.rss.opml import parse_opml
from slusha.connectors.rss.parse import discover_feeds, neutralise_doctype, parse_feed
from slusha.errors import InputError, PermanentError, SlushaError
from slusha.plugins.api import PluginContext
from slusha.plugins.net import HttpClient
from tests.support.origin import Origin, Reply

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rss"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(20)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ctx(http: HttpClient) -> PluginContext:
    return PluginContext(http=http, clock=FrozenClock(NOW), source_name="test")


def test_rss2_entries_become_article_posts() -> None:
    feed = parse_feed(
        fixture("rss2.xml"), feed_url="https://blog.acme.example/feed", fetched_at=NOW
    )
    assert feed.title == "Acme Blog"
    assert feed.ttl_seconds == 3600
    first, second, third = feed.posts
    assert first.id == "https://blog.acme.example/widget-3"
    assert first.text == "The Widget 3 is here & it's fast.\n\nSecond paragraph"
    assert first.html is not None and "<script" not in first.html and "onclick" not in first.html
    assert first.kind == "article" and first.lang == "en"
    assert first.author is not None and first.author.name == "Ana Petrova"
    assert first.created_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert first.extra["tags"] == ["launch"]
    assert second.id == "https://blog.acme.example/feed#post-17"  # feed-local id qualified
    assert third.created_at == NOW  # undated entries take the fetch time
    for post in feed.posts:
        assert post.to_dict()["network"] == "rss"


def test_atom_and_json_feed() -> None:
    atom = parse_feed(fixture("atom.xml"), feed_url="https://acme.example/atom", fetched_at=NOW)
    (post,) = atom.posts
    assert post.title == "Acme erweitert Support"
    assert post.text == "Ab heute rund um die Uhr."
    assert post.lang == "de"
    assert post.author is not None and post.author.url == "https://acme.example/max"
    js = parse_feed(fixture("feed.json"), feed_url="https://acme.example/feed.json", fetched_at=NOW)
    (item,) = js.posts
    assert item.id == "https://acme.example/j/1"
    assert item.text == "Hello from Acme"
    assert item.created_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_discovery_prefers_rss_and_resolves_relative_links() -> None:
    links = discover_feeds(fixture("page.html").decode(), "https://acme.example/blog/")
    assert links == ["https://acme.example/rss2.xml", "https://acme.example/atom.xml"]


def test_entity_bomb_is_neutralised() -> None:
    feed = parse_feed(fixture("bomb.xml"), feed_url="https://bomb.example/f", fetched_at=NOW)
    assert feed.neutralised_entities
    assert all(len(p.text) < 100 and len(p.title or "") < 100 for p in feed.posts)
    assert "lollol" not in json.dumps([p.to_dict() for p in feed.posts])


def test_external_entity_is_never_resolved() -> None:
    feed = parse_feed(fixture("xxe.xml"), feed_url="https://xxe.example/f", fetched_at=NOW)
    assert feed.neutralised_entities
    dumped = json.dumps([p.to_dict() for p in feed.posts])
    assert "root:" not in dumped and "ami-id" not in dumped


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-7", "cp037", "cp500"])
def test_entity_bomb_is_neutralised_in_every_encoding_the_parser_reads(encoding: str) -> None:
    # Before: a declaration written in EBCDIC or UTF-7 was invisible to a byte-level check, and
    # a 4 MB feed expanded into a post of 251,658,240 characters.
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    data = fixture("bomb.xml").decode().replace('<?xml version="1.0"?>', declaration)
    feed = parse_feed(data.encode(encoding), feed_url="https://bomb.example/f", fetched_at=NOW)
    assert feed.neutralised_entities
    assert feed.posts and all(len(p.text) < 100 and len(p.title or "") < 100 for p in feed.posts)


def test_the_checked_document_is_what_the_parser_reads() -> None:
    data = '<?xml version="1.0" encoding="cp037"?><rss/>'.encode("cp037")
    safe, removed = neutralise_doctype(data)
    assert safe == b'<?xml version="1.0" encoding="utf-8"?><rss/>' and not removed
    # A charset in the content type wins over the declaration (RFC 7303), as in the parser.
    text = '<?xml version="1.0" encoding="utf-8"?><rss><title>Вести</title></rss>'
    safe, _ = neutralise_doctype(text.encode("cp1251"), "text/xml; charset=windows-1251")
    assert "Вести" in safe.decode("utf-8")


def test_entities_outside_a_doctype_are_refused() -> None:
    data = b'<?xml version="1.0"?><rss><!ENTITY x "y"></rss>'
    with pytest.raises(PermanentError) as info:
        neutralise_doctype(data)
    assert info.value.code == "parse"


def test_not_a_feed_is_a_parse_error() -> None:
    with pytest.raises(PermanentError) as info:
        parse_feed(b"just some text", feed_url="https://x.example/", fetched_at=NOW)
    assert info.value.code == "parse"


def test_opml_lists_unique_feeds_and_refuses_entities() -> None:
    feeds = parse_opml(fixture("subscriptions.opml"))
    assert [f.url for f in feeds] == [
        "https://public.example.com/rss2.xml",
        "https://public.example.com/atom.xml",
    ]
    assert feeds[0].title == "Acme Blog"
    with pytest.raises(InputError):
        parse_opml(fixture("bomb.xml").replace(b"<rss", b"<opml").replace(b"</rss>", b"</opml>"))


async def test_fetch_uses_conditional_get_and_resumes_from_cursor(
    origin: Origin, http: HttpClient
) -> None:
    body = fixture("rss2.xml")
    state = {"body": body, "etag": '"1"'}

    def handler(request):  # type: ignore[no-untyped-def]
        if request.headers.get("if-none-match") == state["etag"]:
            return Reply(304)
        return Reply(body=state["body"], headers={
            "content-type": "application/rss+xml", "etag": state["etag"]})  # fmt: skip

    origin.route("/feed", handler)
    connector = RssConnector()
    config = RssConfig(url=origin.url("/feed", host="public.example.com"))
    first = await connector.fetch(ctx(http), config, None)
    assert len(first.posts) == 3
    assert first.next_check_seconds == 3600
    # A restart: the cursor comes back from JSON, the feed has not changed.
    cursor = json.loads(json.dumps(first.cursor))
    second = await connector.fetch(ctx(http), config, cursor)
    assert second.posts == [] and second.cursor == cursor
    # One new entry and one edited entry: only those come back, nothing lost or repeated.
    new_item = (
        b"<item><title>New</title><guid>https://blog.acme.example/new</guid>"
        b"<pubDate>Fri, 27 Nov 2026 08:00:00 +0000</pubDate>"
        b"<description>new one</description></item>"
    )
    state["body"] = body.replace(b"<item>", new_item + b"<item>", 1).replace(
        b"Plain text only.", b"Plain text, edited."
    )
    state["etag"] = '"2"'
    third = await connector.fetch(ctx(http), RssConfig(url=config.url), cursor)
    assert sorted(p.id for p in third.posts) == [
        "https://blog.acme.example/new",
        "https://blog.acme.example/undated",
    ]
    assert origin.hits("/feed")[1].headers["if-none-match"] == '"1"'


async def test_fetch_discovers_the_feed_from_a_page(origin: Origin, http: HttpClient) -> None:
    origin.route("/", Reply(body=fixture("page.html"), headers={"content-type": "text/html"}))
    origin.route("/rss2.xml", Reply(body=fixture("rss2.xml")))
    result = await RssConnector().fetch(ctx(http), RssConfig(url=origin.url("/")), None)
    assert len(result.posts) == 3
    assert result.cursor["feed_url"] == origin.url("/rss2.xml")
    again = await RssConnector().fetch(ctx(http), RssConfig(url=origin.url("/")), result.cursor)
    assert again.posts == []
    assert len(origin.hits("/")) == 1  # the discovered feed is remembered


async def test_duplicate_entries_in_one_document_yield_one_post(
    origin: Origin, http: HttpClient
) -> None:
    body = fixture("rss2.xml")
    start = body.index(b"<item>")
    end = body.index(b"</item>") + len(b"</item>")
    doubled = body[:end] + body[start:end] + body[end:]
    origin.route("/dup", Reply(body=doubled))
    result = await RssConnector().fetch(ctx(http), RssConfig(url=origin.url("/dup")), None)
    assert len(result.posts) == 3


@pytest.mark.parametrize(("status", "code"), [(404, "http_404"), (410, "http_410")])
async def test_gone_feed_is_a_permanent_error(
    origin: Origin, http: HttpClient, status: int, code: str
) -> None:
    origin.route("/gone", Reply(status))
    with pytest.raises(PermanentError) as info:
        await RssConnector().fetch(ctx(http), RssConfig(url=origin.url("/gone")), None)
    assert info.value.code == code
    report = await RssConnector().test(ctx(http), RssConfig(url=origin.url("/gone")))
    assert not report.ok and report.code == code


async def test_entity_bomb_served_over_http(origin: Origin, http: HttpClient) -> None:
    origin.route("/bomb.xml", Reply(body=fixture("bomb.xml"), gzip=True))
    result = await RssConnector().fetch(ctx(http), RssConfig(url=origin.url("/bomb.xml")), None)
    assert all(len(p.title or "") < 100 for p in result.posts)


def test_every_feedparser_corpus_document_parses_without_a_crash(shared_data: Path) -> None:
    root = shared_data / "wire" / "rss" / "feedparser-tests"
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    assert len(files) > 2000
    parsed = refused = 0
    for path in files:
        try:
            feed = parse_feed(path.read_bytes(), feed_url="https://example.org/feed",
                              fetched_at=NOW)  # fmt: skip
        except SlushaError as exc:
            assert exc.code == "parse", path
            refused += 1
            continue
        for post in feed.posts:
            assert post.id and isinstance(post.text, str), path
            assert post.to_dict()["created_at"]
        parsed += 1
    assert parsed > 2000 and refused < 20
