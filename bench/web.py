"""Web answer times at scale: the mentions page, a filtered search and each dashboard chart.

Generates N stored mentions with bulk writes (posts, mentions, hourly and daily rollups; the
full-text index follows), serves the real app with uvicorn and measures with a real HTTP client
(httpx), 4 concurrent users (pages signed in through the form, the API with a bearer token),
each route requested repeatedly. Prints p50/p95 per route and the ratio to the target
(p95 < 300 ms). Run:
``python bench/web.py [--mentions N] [--requests N] [--postgres URL] [--no-sqlite]
[--sqlite PATH]`` (PATH is filled once and reused by later runs; PostgreSQL likewise when the
database already holds mentions).
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
from sqlalchemy import func, insert, select, text

from slusha.clock import SystemClock
from slusha.config import load_settings
from slusha.services.dashboards import CHARTS
from slusha.services.teams import create_team
from slusha.services.tokens import create_token
from slusha.services.topics import create_topic
from slusha.services.users import create_user
from slusha.store import migrations
from slusha.store.db import Database
from slusha.store.rollups import DAILY_KEY, HOURLY_KEY, daily_counts
from slusha.store.schema import Mention, MentionDailyRollup, MentionRollup, Post, Team
from slusha.store.search import optimize_index
from slusha.web.app import create_app
from slusha.web.security import LOGIN_CSRF_COOKIE

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


POST_COLUMNS = ("id", "network", "external_id", "created_at", "text", "author_handle", "lang",
                "sentiment", "kind", "metrics", "extra", "is_deleted", "ingested_at",
                "updated_at")  # fmt: skip
MENTION_COLUMNS = ("post_id", "topic_id", "team_id", "routed_team_id", "network", "posted_at",
                   "status", "priority", "sentiment", "lang", "created_at",
                   "updated_at")  # fmt: skip
CHUNK = 50_000


def _copy(conn: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY of ``rows`` into ``table`` (much faster than INSERTs)."""
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _write(db: Database, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows into one table: COPY on PostgreSQL, executemany INSERTs on SQLite."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
        else:
            _copy(conn, table.name, columns, rows)


def fill(db: Database, *, mentions: int, seed: int = 7) -> dict[str, Any]:
    """Teams, topics, a viewer, and ``mentions`` posts with one mention each, in bulk.

    Rows go straight into the tables (posts, mentions, hourly and daily rollups) in batches of
    50,000: executemany on SQLite (the FTS5 index follows by trigger), COPY on PostgreSQL (the
    tsvector column is generated). The rollups are counted here exactly as the save path counts
    them, so the dashboards see what they would after ingesting the same posts.
    """
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
    hourly: Counter[tuple[Any, ...]] = Counter()
    started = time.perf_counter()
    for start in range(0, mentions, CHUNK):
        posts, rows = [], []
        for i in range(start, min(start + CHUNK, mentions)):
            when = now - timedelta(seconds=rng.randint(0, 30 * 86400))
            net, lang, sent = rng.choice(NETWORKS), rng.choice(LANGS), rng.choice(SENTIMENTS)
            topic = topics[i % len(topics)]
            text_ = " ".join(rng.choices(WORDS, k=12))
            posts.append((i + 1, net, str(i), when, text_, f"user{i % 5000}", lang, sent, "post",
                          "{}", "{}", False, now, now))  # fmt: skip
            rows.append((i + 1, topic.id, topic.team_id, topic.team_id, net, when, "new",
                         "normal", sent, lang, now, now))  # fmt: skip
            hourly[
                (when.replace(minute=0, second=0), topic.id, topic.team_id, net, lang, sent)
            ] += 1
        if db.is_sqlite:  # JSON columns take Python values through SQLAlchemy
            posts = [(*p[:9], {}, {}, *p[11:]) for p in posts]
        _write(db, Post.__table__, POST_COLUMNS, posts)
        _write(db, Mention.__table__, MENTION_COLUMNS, rows)
        done = min(start + CHUNK, mentions)
        print(f"  {done:,} stored ({time.perf_counter() - started:.0f} s)", end="\r", flush=True)
    for table, key, counts in (
        (MentionRollup.__table__, HOURLY_KEY, hourly),
        (MentionDailyRollup.__table__, DAILY_KEY, daily_counts(hourly)),
    ):
        items = [(*k, n) for k, n in counts.items()]
        for i in range(0, len(items), CHUNK):
            _write(db, table, (*key, "count"), items[i : i + CHUNK])
    with db.transaction() as tx:  # what an operator does after a bulk import
        optimize_index(tx.session)
    with db.engine.begin() as conn:
        if not db.is_sqlite:
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


async def _signed_in(client: httpx.AsyncClient) -> None:
    """Sign in through the form, as a browser does (CSRF cookie, then the session cookie)."""
    await client.get("/signin")
    csrf = client.cookies.get(LOGIN_CSRF_COOKIE) or ""
    form = {"username": "bench", "password": "bench-password", "csrf_token": csrf}
    response = await client.post("/signin", data=form)
    assert response.status_code == 303, (response.status_code, response.text)


async def measure(base: str, token: str, path: str, requests: int) -> list[float]:
    """Answer times (ms) of ``requests`` GETs of ``path`` by USERS concurrent clients.

    API routes use the bearer token; pages a session of their own per user.
    """
    is_page = not path.startswith("/api/")
    headers = {} if is_page else {"Authorization": f"Bearer {token}"}
    times: list[float] = []

    async def user(n: int) -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            if is_page:
                await _signed_in(client)
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
    with db.read() as tx:
        stored = int(tx.session.scalar(select(func.count()).select_from(Mention)) or 0)
        teams = list(tx.session.scalars(select(Team.id).order_by(Team.id)))
    if stored:  # a database kept from an earlier run (--sqlite PATH)
        info: dict[str, Any] = {"teams": teams}
        print(f"{label}: reusing {stored:,} stored mentions", flush=True)
    else:
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
        "/mentions?q=refund%20late&sentiment=negative&network=mastodon",
        *(f"/api/v1/dashboards/org/{c}" for c in CHARTS),
        *(f"/api/v1/dashboards/teams/{team}/{c}" for c in CHARTS),
    ]  # fmt: skip
    results = []
    try:
        for path in routes:
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
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--sqlite", help="a SQLite file to fill and keep (reused when filled)")
    args = parser.parse_args()
    worst = 0.0
    if args.sqlite:
        url = f"sqlite:///{Path(args.sqlite).resolve()}"
        worst = max(p95 for _p, _a, p95 in run(url, "SQLite", args.mentions, args.requests))
    elif not args.no_sqlite:
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
