"""Connector benchmarks: parse throughput per network, and one scheduler cycle over 1,000 feeds.

    .venv/bin/python bench/connectors.py [--feeds 1000] [--concurrency 50]

Parse throughput uses the captured payloads in ``../shared/data/wire`` (skipped when absent).
The loopback run serves 1,000 distinct RSS feeds from a separate process on 127.0.0.1 (each
feed under its own host name, resolved to 127.0.0.1 by a pinned resolver, so per-host limits
behave as on the internet), adds them as sources to a fresh SQLite database, and times one
``Scheduler.run_once`` with 50 concurrent requests. Target: under 30 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data" / "wire"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TARGET_SECONDS = 30.0
TARGET_MB = 300.0


def _rate(work: Callable[[], int], min_seconds: float = 0.5) -> tuple[float, int]:
    count, start = 0, time.perf_counter()
    while True:
        count += work()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return count / elapsed, count


def parse_throughput() -> dict[str, float]:
    """Posts parsed per second for each network's captured payloads."""
    from slusha.connectors.bluesky.parse import jetstream_event
    from slusha.connectors.hackernews.parse import item_to_post
    from slusha.connectors.mastodon.parse import status_to_post
    from slusha.connectors.reddit.parse import is_deleted, listing_children, thing_to_post
    from slusha.connectors.rss.parse import parse_feed
    from slusha.errors import SlushaError

    if not SHARED.is_dir():
        print(f"parse throughput: skipped ({SHARED} not found)")
        return {}
    rss_docs = [p.read_bytes() for p in sorted((SHARED / "rss").rglob("*")) if p.is_file()]

    def rss() -> int:
        posts = 0
        for doc in rss_docs:
            with contextlib.suppress(SlushaError):
                posts += len(parse_feed(doc, feed_url="https://e.org/f", fetched_at=NOW).posts)
        return posts

    statuses: list[Any] = []
    for path in sorted((SHARED / "mastodon" / "json").glob("*.json")):
        data = json.loads(path.read_text())
        items = data if isinstance(data, list) else [data]
        statuses += [s for s in items if isinstance(s, dict) and "content" in s and "id" in s]
    things: list[dict[str, Any]] = []
    for path in sorted((SHARED / "reddit" / "json").glob("*.json")):
        try:
            things += listing_children(json.loads(path.read_text()))
        except SlushaError:
            continue
    things = [t for t in things if not is_deleted(t)]
    items = [
        json.loads(p.read_text()) for p in (SHARED / "hackernews" / "firebase-v0").glob("item_*")
    ]
    events = (SHARED / "bluesky" / "jetstream" / "expected_v1.jsonl").read_text().splitlines()

    def count(fn: Callable[[Any], Any], values: list[Any]) -> Callable[[], int]:
        return lambda: sum(1 for v in values if fn(v) is not None)

    work = {
        "rss (feedparser corpus, entries)": rss,
        "mastodon (statuses)": count(
            lambda s: status_to_post(s, instance_url="https://m.s"), statuses
        ),
        "reddit (t1/t3 things)": count(thing_to_post, things),
        "hackernews (firebase items)": count(item_to_post, items),
        "bluesky (jetstream events)": count(jetstream_event, events),
    }
    figures = {}
    for name, fn in work.items():
        rate, _ = _rate(fn)
        figures[name] = rate
        print(f"parse {name:38s} {rate:12,.0f} per second")
    return figures


def _feed(index: int) -> bytes:
    items = "".join(
        f"<item><title>Post {index}-{n} about acme</title>"
        f"<link>https://feed{index}.bench.test/p/{n}</link><guid>https://feed{index}.bench.test/p/{n}</guid>"
        f"<pubDate>Thu, 26 Nov 2026 {n % 24:02d}:00:00 +0000</pubDate>"
        f"<description>&lt;p&gt;Entry {n} of feed {index}, with some &lt;b&gt;HTML&lt;/b&gt; "
        f"to reduce to text.&lt;/p&gt;</description></item>"
        for n in range(20)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {index}</title>'
        f"<link>https://feed{index}.bench.test/</link>{items}</channel></rss>"
    ).encode()


async def _feed_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    index = int(scope["path"].strip("/").split("/")[-1] or 0)
    body = _feed(index)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/rss+xml")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _serve(port: int) -> None:
    import uvicorn

    uvicorn.run(_feed_app, host="127.0.0.1", port=port, log_level="error", access_log=False,
                lifespan="off")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _cycle(feeds: int, concurrency: int, port: int) -> dict[str, float]:
    from slusha.clock import FrozenClock
    from slusha.config import load_settings
    from slusha.pipeline.scheduler import Scheduler
    from slusha.plugins.addresses import AddressPolicy
    from slusha.plugins.host import PluginHost
    from slusha.plugins.net import HttpClient, NetLimits
    from slusha.plugins.registry import build_registry
    from slusha.plugins.transport import static_resolver
    from slusha.store import migrations
    from slusha.store import sources as store_sources
    from slusha.store.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        db = Database(url)
        migrations.upgrade(db)
        hosts = {f"feed{i}.bench.test": ["127.0.0.1"] for i in range(feeds)}
        with db.transaction() as tx:
            for i in range(feeds):
                store_sources.add_source(
                    tx.session, name=f"feed {i}", kind="rss", secrets=None, interval_seconds=900,
                    config={"url": f"http://feed{i}.bench.test:{port}/feed/{i}"}, now=NOW,
                )  # fmt: skip
        settings = load_settings(environ={}, database_url=url, fetch_concurrency=concurrency)
        http = HttpClient(
            limits=NetLimits(max_connections=concurrency),
            policy=AddressPolicy.build(allowed_networks=["127.0.0.1/32"]),
            resolver=static_resolver(hosts),
        )
        received = 0

        async def sink(source_id: int, posts: list[Any], *, source_language: Any = None) -> None:
            nonlocal received
            received += len(posts)

        host = PluginHost(
            settings=settings,
            clock=FrozenClock(NOW),
            registry=build_registry(include_entry_points=False),
            http=http,
        )
        scheduler = Scheduler(db=db, host=host, sink=sink)
        start = time.perf_counter()
        report = await scheduler.run_once()
        elapsed = time.perf_counter() - start
        await http.aclose()
        db.dispose()
    return {"seconds": elapsed, "ok": report.ok, "failed": report.failed, "posts": received}


def loopback_cycle(feeds: int, concurrency: int) -> dict[str, float]:
    """Time one scheduler cycle over ``feeds`` loopback feeds."""
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the feed server did not start") from None
                time.sleep(0.1)
        figures = asyncio.run(_cycle(feeds, concurrency, port))
    finally:
        server.terminate()
        server.join(timeout=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["peak_rss_mb"] = peak_mb
    print(f"loopback cycle: {feeds} feeds, {concurrency} concurrent: {figures['seconds']:.2f} s "
          f"(target < {TARGET_SECONDS:g} s, ratio {figures['seconds'] / TARGET_SECONDS:.2f}), "
          f"{int(figures['ok'])} ok, {int(figures['failed'])} failed, {int(figures['posts'])} "
          f"posts, peak RSS {peak_mb:.0f} MB (target < {TARGET_MB:g} MB)")  # fmt: skip
    return figures


def main() -> int:
    """Run both benchmarks; exit 1 when the loopback cycle misses a target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    # The loopback run goes first so that the peak RSS it reports is its own.
    cycle = loopback_cycle(args.feeds, args.concurrency)
    parse_throughput()
    ok = cycle["seconds"] < TARGET_SECONDS and cycle["peak_rss_mb"] < TARGET_MB
    ok = ok and cycle["failed"] == 0
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
