"""Web answer times at scale: the mentions page, a filtered search and each dashboard chart.

Generates N stored mentions with bulk inserts (posts, mentions, rollups; the FTS index follows),
serves the real app with uvicorn and measures with a real HTTP client (httpx), 4 concurrent
users, each route requested repeatedly. Prints p50/p95 per route and the ratio to the target
(p95 < 300 ms). Run: ``python bench/web.py [--mentions N] [--requests N] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import insert, text

from slusha.clock import SystemClock
from slusha.config import load_settings
from slusha.services.teams import create_team
from slusha.services.tokens import create_token
from slusha.services.topics import create_topic
from slusha.services.users import create_user
from slusha.store import migrations
from slusha.store.db import Database
from slusha.store.schema import Mention, MentionRollup, Post
from slusha.web.app import create_app

TARGET_P95_MS = 300.0
USERS = 4
WORDS = tuple(
    [
        "acme",
        "service",
        "today",
        "love",
        "hate",
        "refund",
        "order",
        "delivery",
        "late",
        "great",
        "terrible",
        "phone",
        "app",
        "new",
        "price",
        "support",
        "network",
        "down",
        "again",
        "thanks",
        "city",
        "weekend",
        "news",
        "update",
        "store",
        "offer",
    ]
)
NETWORKS = ("mastodon", "bluesky", "reddit", "hackernews", "rss")
LANGS = ("en", "mk", "de", "sr", "sq")
SENTIMENTS = ("negative", "neutral", "positive")


def fill(db: Database, *, mentions: int, seed: int = 7) -> dict[str, Any]:
    """Teams, topics, a viewer, and ``mentions`` posts with one mention each, in bulk."""
    clock = SystemClock()
    teams = [create_team(db, name=f"Team {i}", clock=clock).id for i in range(5)]
    topics = [
        create_topic(db, name=f"Topic {i}", team=f"Team {i % 5}", query=f"acme OR word{i}",
                     clock=clock, is_private=i % 4 == 0)
        for i in range(20)
    ]  # fmt: skip
    create_user(db, username="bench", role="viewer", team="Team 0", password="bench-password",
                clock=clock)  # fmt: skip
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    has_routed = "routed_team_id" in Mention.__table__.columns
    rollups: Counter[tuple[Any, ...]] = Counter()
    chunk = 20_000
    started = time.perf_counter()
    for start in range(0, mentions, chunk):
        posts, rows = [], []
        for i in range(start, min(start + chunk, mentions)):
            when = now - timedelta(seconds=rng.randint(0, 30 * 86400))
            net, lang, sent = rng.choice(NETWORKS), rng.choice(LANGS), rng.choice(SENTIMENTS)
            topic = topics[i % len(topics)]
            posts.append({
                "id": i + 1, "network": net, "external_id": str(i), "created_at": when,
                "text": " ".join(rng.choices(WORDS, k=12)), "author_handle": f"user{i % 5000}",
                "lang": lang, "sentiment": sent, "kind": "post", "metrics": {}, "extra": {},
                "is_deleted": False, "ingested_at": now, "updated_at": now,
            })  # fmt: skip
            row = {"post_id": i + 1, "topic_id": topic.id, "team_id": topic.team_id,
                   "network": net, "posted_at": when, "status": "new", "priority": "normal",
                   "sentiment": sent, "lang": lang, "created_at": now,
                   "updated_at": now}  # fmt: skip
            if has_routed:
                row["routed_team_id"] = topic.team_id
            rows.append(row)
            hour = when.replace(minute=0, second=0)
            rollups[(hour, topic.id, topic.team_id, net, lang, sent)] += 1
        with db.engine.begin() as conn:
            conn.execute(insert(Post.__table__), posts)
            conn.execute(insert(Mention.__table__), rows)
    with db.engine.begin() as conn:
        items = [{"hour": h, "topic_id": t, "team_id": tm, "network": n, "lang": la,
                  "sentiment": s, "count": c}
                 for (h, t, tm, n, la, s), c in rollups.items()]  # fmt: skip
        for i in range(0, len(items), 20_000):
            conn.execute(insert(MentionRollup.__table__), items[i : i + 20_000])
        if db.is_sqlite:
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("SELECT setval('posts_id_seq', (SELECT max(id) FROM posts))"))
            conn.execute(text("ANALYZE"))
    return {"teams": teams, "seconds": time.perf_counter() - started}


def serve(app: Any) -> tuple[uvicorn.Server, str]:
    """uvicorn in a thread on a free port."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


async def measure(base: str, token: str, path: str, requests: int) -> list[float]:
    """Answer times (ms) of ``requests`` GETs of ``path`` by USERS concurrent clients."""
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []

    async def user(n: int) -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            await client.get(path)  # warm this connection
            for _ in range(n):
                t0 = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code, response.text)

    await asyncio.gather(*(user(requests // USERS) for _ in range(USERS)))
    return times


def run(url: str, label: str, mentions: int, requests: int) -> list[tuple[str, float, float]]:
    """Fill one database, serve it, and measure every route."""
    db = Database(url)
    migrations.upgrade(db)
    info = fill(db, mentions=mentions)
    print(f"{label}: {mentions:,} mentions stored in {info['seconds']:.0f} s", flush=True)
    settings = load_settings(environ={}, database_url=url, secret_key="bench")
    _view, token = create_token(db, username="bench", label="bench", clock=SystemClock())
    server, base = serve(create_app(settings, db=db))
    team = info["teams"][0]
    routes = [
        "/api/v1/mentions?limit=50",
        "/mentions",
        "/api/v1/mentions?q=refund%20late&sentiment=negative&network=mastodon&limit=50",
        *(f"/api/v1/dashboards/org/{c}" for c in
          ("volume", "sentiment", "networks", "languages", "topics")),
        *(f"/api/v1/dashboards/teams/{team}/{c}" for c in ("volume", "topics")),
    ]  # fmt: skip
    results = []
    try:
        for path in routes:
            if path == "/mentions":
                continue  # pages need a session; the API route runs the same query
            times = asyncio.run(measure(base, token, path, requests))
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[18]
            results.append((path, p50, p95))
            print(f"  {path:<82} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                  f"(target/p95 {TARGET_P95_MS / p95:4.1f}x)", flush=True)  # fmt: skip
    finally:
        server.should_exit = True
        db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL to fill")
    args = parser.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        worst = max(p95 for _p, _a, p95 in run(url, "SQLite", args.mentions, args.requests))
    if args.postgres:
        results = run(args.postgres, "PostgreSQL", args.mentions, args.requests)
        worst = max(worst, *(p95 for _p, _a, p95 in results))
    print(f"worst p95 {worst:.1f} ms; target {TARGET_P95_MS:.0f} ms: "
          f"{'met' if worst < TARGET_P95_MS else 'NOT met'}")  # fmt: skip
    return 0 if worst < TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
