"""A source's language reaches language detection: feed -> scheduler -> bus -> worker -> mention.

The language rides in the bus message's envelope (the post format is a contract and has no
place for it) and is handed to the enricher as ``LanguageHints(source=...)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.support.enricher import shared_enricher
from tests.support.origin import Origin, Reply, serve_origin
from tests.support.plugins import make_post

from slusha.bus import Bus
from slusha.bus.messages import SUBJECT_POSTS
from slusha.clock import FrozenClock
from slusha.config import Settings
from slusha.domain.post import Post
from slusha.enrich import LanguageDetector, LanguageHints
from slusha.errors import ConfigError, InputError
from slusha.pipeline.ingest import source_sink, submit_posts
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.scheduler import Scheduler
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import Worker
from slusha.plugins.host import PluginHost
from slusha.plugins.net import HttpClient
from slusha.plugins.registry import Registry
from slusha.services import sources as services
from slusha.services.teams import create_team
from slusha.services.topics import create_topic
from slusha.store.db import Database
from slusha.store.schema import Mention, Source
from slusha.store.schema import Post as PostRow

# Macedonian for "origin" (from /work/shared/data/langid-lingua/single-words/mk.txt): on its
# own, lingua reads it as Serbian with confidence.
WORD = "потекло"
pytestmark = pytest.mark.timeout(60)


def feed(guid: str) -> bytes:
    """An RSS feed with one item whose whole text is ``WORD``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Вести</title><link>https://vesti.example/</link>
<description>news</description>
<item><guid isPermaLink="false">{guid}</guid><link>https://vesti.example/{guid}</link>
<pubDate>Thu, 26 Nov 2026 10:00:00 +0000</pubDate><description>{WORD}</description></item>
</channel></rss>""".encode()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        server.route("/mk", Reply(body=feed("mk-1")))
        server.route("/plain", Reply(body=feed("plain-1")))
        yield server


async def _add(
    db: Database, registry: Registry, settings: Settings, clock: FrozenClock, http: HttpClient,
    kind: str, name: str, config: dict[str, Any], language: str | None = None,
) -> int:  # fmt: skip
    source = await services.add_source(
        db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        kind=kind,
        name=name,
        config=config,
        language=language,
    )
    return source.id


def test_lingua_alone_reads_the_word_as_another_language() -> None:
    detector = LanguageDetector()
    assert detector.detect(WORD).lang not in (None, "mk")
    assert detector.detect(WORD, LanguageHints(source="mk")).lang == "mk"


async def test_a_short_post_from_a_macedonian_source_is_stored_as_macedonian(
    db: Database,
    bus: Bus,
    clock: FrozenClock,
    origin: Origin,
    http: HttpClient,
    settings: Settings,
    registry: Registry,
) -> None:
    create_team(db, name="Вести", clock=clock)
    create_topic(db, name="Потекло", team="Вести", query=WORD, clock=clock)
    with_language = await _add(db, registry, settings, clock, http, "rss", "Вести",
                               {"url": origin.url("/mk")}, language="MK")  # fmt: skip
    without = await _add(db, registry, settings, clock, http, "rss", "Other",
                         {"url": origin.url("/plain")})  # fmt: skip
    pipeline = Pipeline(
        db=db, clock=clock, topics=TopicIndex(db, refresh_seconds=0), enricher=shared_enricher()
    )
    worker = Worker(pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=50)
    await worker.start()
    scheduler = Scheduler(
        db=db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        sink=source_sink(bus),
    )
    stop = asyncio.Event()
    working = asyncio.create_task(worker.run(stop))  # the sink returns once posts are stored
    report = await scheduler.run_once()
    stop.set()
    await working
    assert report.ok == 2, report.outcomes
    for _ in range(20):  # JetStream holds the posts once published: the worker reads them now
        if await worker.run_once(timeout_seconds=0.3) == 0:
            break
    with db.read() as tx:
        found = dict(
            tx.session.execute(
                select(PostRow.source_id, Mention.lang).join(Mention, Mention.post_id == PostRow.id)
            ).all()
        )
        stored = tx.session.get(Source, with_language)
        assert stored is not None and stored.language == "mk"
    assert found[with_language] == "mk"
    assert found[without] not in (None, "mk")  # the same word, from a source with no language


async def test_the_language_travels_in_the_envelope_not_in_the_post(bus: Bus) -> None:
    await bus.subscribe(SUBJECT_POSTS, "check")
    await submit_posts(
        bus, [make_post("1", WORD)], source_id=3, source_language="mk", confirm=False
    )
    await submit_posts(bus, [make_post("2", WORD)], source_id=4, confirm=False)
    bodies = []
    for _ in range(10):
        for message in await bus.fetch(SUBJECT_POSTS, "check", batch=10, timeout_seconds=0.3):
            bodies.append(message.data)
            await message.ack()
        if len(bodies) == 2:
            break
    by_id = {body["post"]["id"]: body for body in bodies}
    assert by_id["1"]["source_language"] == "mk" and by_id["1"]["source_id"] == 3
    assert "source_language" not in by_id["2"]
    assert all("source_language" not in body["post"] for body in bodies)


class Collector:
    def __init__(self) -> None:
        self.languages: list[str | None] = []

    async def __call__(
        self, source_id: int, posts: list[Post], *, source_language: str | None = None
    ) -> None:
        self.languages.append(source_language)


async def test_backfilled_posts_carry_their_source_language(
    db: Database, clock: FrozenClock, http: HttpClient, settings: Settings, registry: Registry
) -> None:
    await _add(db, registry, settings, clock, http, "scripted", "searchable", {"script": "none"},
               language="mk")  # fmt: skip
    sink = Collector()
    report = await services.backfill_topic(
        db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        terms=[WORD],
        sink=sink,
    )
    assert report.posts_by_source and sink.languages == ["mk"]


@pytest.mark.parametrize("code", ["mkd", "xx", "mk-MK", "македонски", "1"])
async def test_a_bad_language_is_refused_naming_the_setting_and_the_value(
    code: str,
    db: Database,
    clock: FrozenClock,
    http: HttpClient,
    settings: Settings,
    registry: Registry,
) -> None:
    with pytest.raises(InputError) as caught:
        await _add(db, registry, settings, clock, http, "scripted", "bad", {"script": "none"},
                   language=code)  # fmt: skip
    assert str(caught.value).startswith(f"language: {code!r} is not an ISO 639-1 code")
    assert "'mk'" in str(caught.value)
    with db.read() as tx:
        assert tx.session.scalars(select(Source)).first() is None


async def test_a_stored_language_that_no_longer_validates_needs_an_operator(
    db: Database, clock: FrozenClock, http: HttpClient, settings: Settings, registry: Registry
) -> None:
    source_id = await _add(db, registry, settings, clock, http, "scripted", "edited",
                           {"script": "none"})  # fmt: skip
    with db.transaction() as tx:
        row = tx.session.get(Source, source_id)
        assert row is not None
        row.language = "zz"  # a hand edit
    with pytest.raises(ConfigError, match="source 'edited': language: 'zz' is not"):
        services.load_source(db, registry=registry, settings=settings, name_or_id=source_id)


async def test_the_language_can_be_set_and_cleared_later(
    db: Database, clock: FrozenClock, http: HttpClient, settings: Settings, registry: Registry
) -> None:
    source_id = await _add(db, registry, settings, clock, http, "scripted", "later",
                           {"script": "none"})  # fmt: skip
    services.set_source_language(db, name="later", language=" Mk ", clock=clock)
    assert services.load_source(db, registry=registry, settings=settings,
                                name_or_id=source_id).language == "mk"  # fmt: skip
    with pytest.raises(InputError, match="language: 'mkd'"):
        services.set_source_language(db, name="later", language="mkd", clock=clock)
    services.set_source_language(db, name="later", language=None, clock=clock)
    views = services.list_sources(db, registry=registry, clock=clock)
    assert [(v.name, v.language) for v in views] == [("later", None)]


async def test_a_webhook_source_hands_its_language_to_the_ingest_router(
    db: Database, clock: FrozenClock, http: HttpClient, settings: Settings, registry: Registry
) -> None:
    await services.add_source(
        db,
        host=PluginHost(settings=settings, clock=clock, registry=registry, http=http),
        kind="webhook",
        name="crm",
        config={},
        secrets={"api_token": "a-webhook-token-of-some-length"},
        language="mk",
    )
    (key,) = services.load_ingest_keys(db, registry=registry, settings=settings)
    assert (key.source_name, key.language) == ("crm", "mk")
