"""Ingest throughput: posts through the embedded pipeline (memory bus -> worker -> store).

200k posts, 500 topics, about 10 % matching, into SQLite and (when reachable) PostgreSQL.
Prints posts/s, mentions/s, peak memory, and the ratio to the target (20,000 posts/s,
2,000 mentions/s on SQLite). Run: ``python bench/ingest.py [--posts N] [--topics N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slusha.bus.memory import MemoryBus
from slusha.bus.messages import SUBJECT_EVENTS
from slusha.clock import SystemClock
from slusha.config import Settings
from slusha.pipeline.ingest import submit_posts
from slusha.pipeline.runner import Pipeline
from slusha.pipeline.runtime import build_enricher, tune_gc
from slusha.pipeline.topics import TopicIndex
from slusha.pipeline.worker import Worker
from slusha.services.teams import create_team
from slusha.services.topics import create_topic
from slusha.store import migrations
from slusha.store.db import Database

TARGET_POSTS_PER_SECOND = 20_000
TARGET_MENTIONS_PER_SECOND = 2_000
# Fallback text when ../shared/data is absent: word salad (language detection finds it harder).
WORDS = (  # noqa: SIM905
    "the a service today love hate refund order delivery late great terrible phone app new old "
    "price support network down again thanks why how when best worst city weekend news update"
).split(" ")
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def tweet_texts() -> list[str]:
    """Real English and South Slavic tweets from ../shared/data (empty when it is absent)."""
    if not SHARED_DATA.is_dir():
        return []
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from matcher import read_corpus  # the matcher benchmark's corpus reader

    return [text for text, _lang in read_corpus(SHARED_DATA)]


def brand(i: int) -> str:
    return f"brand{i:03d}"


def topic_query(rng: random.Random, i: int) -> str:
    name = brand(i)
    shape = i % 5
    if shape == 0:
        return f"{name} OR #{name}"
    if shape == 1:
        return f"{name} NOT (job* OR hiring)"
    if shape == 2:
        return f'"{name} support" OR ({name} (refund OR late))'
    if shape == 3:
        return f"{name} NEAR/4 (refund OR delivery OR price)"
    return f"{name}* OR @{name}"


def make_posts(rng: random.Random, count: int, topics: int, match_share: float) -> list[dict]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    texts = tweet_texts()
    posts = []
    for n in range(count):
        if texts:
            words = texts[n % len(texts)].split()
        else:
            words = rng.choices(WORDS, k=rng.randint(8, 30))
        if rng.random() < match_share:
            words.insert(rng.randrange(len(words) + 1), brand(rng.randrange(topics)))
        posts.append(
            {
                "network": rng.choice(("mastodon", "bluesky", "reddit", "x")),
                "id": f"b{n}",  # unique even where a tweet text repeats
                "text": " ".join(words),
                "created_at": (start + timedelta(seconds=n)).isoformat(),
                "author": {
                    "handle": f"user{rng.randrange(50_000)}",
                    "followers": rng.randrange(10**5),
                },
            }
        )
    return posts


def setup(db: Database, rng: random.Random, topics: int) -> None:
    migrations.upgrade(db)
    clock = SystemClock()
    create_team(db, name="Bench", clock=clock)
    for i in range(topics):
        create_topic(db, name=f"t{i}", team="Bench", query=topic_query(rng, i), clock=clock)


class TimedEnricher:
    """The real enricher, with the time spent in it counted (to show where ingest time goes)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.posts = 0

    def enrich(self, posts: Any, hints: Any = None) -> Any:
        started = time.perf_counter()
        out = self.inner.enrich(posts, hints=hints)
        self.seconds += time.perf_counter() - started
        self.posts += len(posts)
        return out


STALL_SECONDS = 60.0  # no batch finished for this long: the bench stops and says so


async def run(db: Database, posts: list[dict], enricher: Any, batch_size: int) -> dict[str, float]:
    bus = MemoryBus(queue_size=20_000)
    clock = SystemClock()
    timed = TimedEnricher(enricher)
    pipeline = Pipeline(db=db, clock=clock, topics=TopicIndex(db), enricher=timed)
    pipeline.topics.refresh(force=True)
    tune_gc()
    stop = asyncio.Event()
    progress = {"at": time.perf_counter()}

    def on_batch(_summary: Any) -> None:
        progress["at"] = time.perf_counter()
        if worker.totals.received >= len(posts):
            stop.set()

    worker = Worker(
        pipeline=pipeline, bus=bus, db=db, clock=clock, batch_size=batch_size, on_batch=on_batch
    )
    await worker.start()
    started = time.perf_counter()
    cpu_started = time.process_time()

    async def publish() -> None:
        for i in range(0, len(posts), 1000):
            await submit_posts(bus, posts[i : i + 1000], confirm=False)

    async def drain_events() -> None:
        # What the web app and the alerter do in their processes: without a consumer, the
        # in-memory bus keeps events for the first subscriber and blocks when that queue fills.
        while True:
            for message in await bus.fetch(
                SUBJECT_EVENTS, "bench", batch=5000, timeout_seconds=1.0
            ):
                await message.ack()

    async def watchdog() -> None:
        # A worker that keeps failing (a broken enricher, say) retries and dead-letters
        # messages for ever; the bench must end with a message instead of hanging.
        while not stop.is_set():
            await asyncio.sleep(1.0)
            if time.perf_counter() - progress["at"] > STALL_SECONDS:
                stop.set()

    await bus.subscribe(SUBJECT_EVENTS, "bench")
    helpers = [asyncio.create_task(drain_events()), asyncio.create_task(watchdog())]
    publisher = asyncio.create_task(publish())
    await worker.run(stop)  # the worker loop the product runs
    elapsed = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    for task in helpers:
        task.cancel()
    totals = worker.totals
    if totals.received < len(posts):
        publisher.cancel()
        raise SystemExit(
            f"the worker stalled: {totals.received:,} of {len(posts):,} posts processed, none "
            f"for {STALL_SECONDS:.0f} s (its log above says why)"
        )
    await publisher
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu_seconds,
        "posts_per_second": totals.received / elapsed,
        "mentions_per_second": totals.mentions / elapsed,
        "matched": totals.matched,
        "enrich_seconds": timed.seconds,
        "enriched": timed.posts,
        "mentions": totals.mentions,
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--topics", type=int, default=500)
    # Share of posts given a brand name: 16.5 % gives about 10 % matching (two of the five
    # query shapes need a second word next to the brand, which random tweets seldom have).
    parser.add_argument("--match-share", type=float, default=0.165)
    # The product's default (SLUSHA_BATCH_SIZE): what a worker takes at most per transaction.
    parser.add_argument(
        "--batch-size", type=int, default=Settings.model_fields["batch_size"].default
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rng = random.Random(42)
    posts = make_posts(rng, args.posts, args.topics, args.match_share)
    load_started = time.perf_counter()
    enricher = build_enricher()
    print(f"enricher loaded in {time.perf_counter() - load_started:.2f} s")
    targets: list[tuple[str, str]] = []
    tmp = tempfile.mkdtemp(prefix="slusha-bench-")
    targets.append(("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}"))
    if not args.skip_postgres:
        targets.append(("postgresql", _fresh_postgres(args.postgres)))
    source = "real tweets from ../shared/data" if tweet_texts() else "generated word salad"
    print(
        f"{args.posts:,} posts ({source}), {args.topics} topics, "
        f"{args.match_share:.1%} mentioning a brand"
    )
    try:
        for name, url in targets:
            _run_one(name, url, posts, enricher, args)
    finally:  # leave nothing behind: the SQLite file and the PostgreSQL database
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.skip_postgres:
            _drop_postgres(args.postgres, targets[-1][1])
    print(f"peak memory (RSS): {peak_rss_mib():.0f} MiB")
    return 0


def _run_one(name: str, url: str, posts: list[Any], enricher: Any, args: Any) -> None:
    db = Database(url)
    try:
        setup(db, random.Random(7), args.topics)
        detector = getattr(enricher, "detector", None)
        if detector is not None:
            detector.clear_cache()  # each database's run detects every text afresh
        result = asyncio.run(run(db, posts, enricher, args.batch_size))
    finally:
        db.dispose()
    print(
        f"{name:>10}: {result['posts_per_second']:>9,.0f} posts/s "
        f"({result['posts_per_second'] / TARGET_POSTS_PER_SECOND:.2f}x target), "
        f"{result['mentions_per_second']:>7,.0f} mentions/s "
        f"({result['mentions_per_second'] / TARGET_MENTIONS_PER_SECOND:.2f}x target), "
        f"{result['matched'] / len(posts):.1%} of posts matched, "
        f"{result['mentions']:,} mentions in {result['seconds']:.1f} s"
    )
    print(
        f"{'':>10}  CPU time {result['cpu_seconds']:.1f} s (all threads): "
        f"{len(posts) / result['cpu_seconds']:,.0f} posts per CPU-second; on a shared host the "
        "wall-clock figure also counts time the process waited for a core"
    )
    print(
        f"{'':>10}  of which the worker spent {result['enrich_seconds']:.1f} s enriching "
        f"(language, sentiment; {result['enriched']:,} posts; the event loop publishes on the "
        f"other core meanwhile, so the rest is not the total less this)"
    )


def _fresh_postgres(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"slusha_bench_{int(time.time())}"
    engine = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    engine = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
