"""The team inbox at scale: 1,000,000 mentions in 50 teams, on SQLite and PostgreSQL.

    .venv/bin/python bench/inbox.py [--mentions 1000000] [--teams 50] [--runs 100]
                                    [--backend sqlite|postgresql|both] [--http]

Rows are bulk-inserted (posts, mentions, timers: a realistic mix of statuses over 60 days),
then three operations are timed through the services, as the web app and CLI call them:
the inbox page of a team (50 newest active mentions, with tags and assignees), an
assignment (one mention taken by a member), and the SLA report of a team over 30 days.
``--http`` also times them through the FastAPI app in process (API token). Prints p50/p95 per
operation and the ratio of p95 to the target (300 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from slusha.clock import FrozenClock
from slusha.services import inbox, reports
from slusha.services.inbox_access import principal_by_name
from slusha.store import migrations
from slusha.store.db import Database
from slusha.store.schema import Membership, Mention, MentionTimer, Post, Team, Topic, User

TARGET_SECONDS = 0.3
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CHUNK = 20_000
MEMBERS_PER_TEAM = 5
STATUSES = ["new"] * 10 + ["open"] * 10 + ["waiting"] * 5 + ["resolved"] * 70 + ["ignored"] * 5


def _postgres(admin_url: str) -> tuple[Database, Callable[[], None]]:
    name = f"slusha_bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(admin_url.rsplit("/", 1)[0] + f"/{name}")

    def drop() -> None:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return db, drop


def populate(db: Database, *, mentions: int, teams: int, seed: int = 7) -> None:
    """Teams, members, one topic per team, and ``mentions`` posts each with one mention."""
    rng = random.Random(seed)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Team),
            [
                {"id": t, "name": f"Team {t}", "slug": f"team-{t}", "created_at": NOW}
                for t in range(1, teams + 1)
            ],
        )
        conn.execute(
            insert(User),
            [
                {
                    "id": u,
                    "username": f"user{u}",
                    "password_hash": "x",
                    "is_admin": False,
                    "is_active": True,
                    "created_at": NOW,
                }
                for u in range(1, teams * MEMBERS_PER_TEAM + 1)
            ],
        )
        conn.execute(
            insert(Membership),
            [
                {
                    "user_id": u,
                    "team_id": (u - 1) // MEMBERS_PER_TEAM + 1,
                    "role": "manager" if u % MEMBERS_PER_TEAM == 1 else "responder",
                }
                for u in range(1, teams * MEMBERS_PER_TEAM + 1)
            ],
        )
        conn.execute(
            insert(Topic),
            [
                {
                    "id": t,
                    "name": f"Topic {t}",
                    "kind": "brand",
                    "query": f"brand{t}",
                    "team_id": t,
                    "enabled": True,
                    "is_private": t % 5 == 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for t in range(1, teams + 1)
            ],
        )
    start = time.perf_counter()
    for first in range(1, mentions + 1, CHUNK):
        ids = range(first, min(first + CHUNK, mentions + 1))
        posts, rows, timers = [], [], []
        for i in ids:
            team = rng.randint(1, teams)
            posted = NOW - timedelta(seconds=rng.randint(0, 60 * 86400))
            status = rng.choice(STATUSES)
            member = (team - 1) * MEMBERS_PER_TEAM + rng.randint(1, MEMBERS_PER_TEAM)
            posts.append(
                {
                    "id": i,
                    "network": "mastodon",
                    "external_id": f"p{i}",
                    "text": f"brand{team} post number {i}",
                    "created_at": posted,
                    "author_handle": f"@a{i % 5000}",
                    "kind": "post",
                    "metrics": {},
                    "extra": {},
                    "is_deleted": False,
                    "ingested_at": posted,
                    "updated_at": posted,
                }
            )
            rows.append(
                {
                    "id": i,
                    "post_id": i,
                    "topic_id": team,
                    "team_id": team,
                    "routed_team_id": team,
                    "network": "mastodon",
                    "posted_at": posted,
                    "status": status,
                    "priority": "normal",
                    "assignee_id": None if status == "new" else member,
                    "sentiment": "neutral",
                    "lang": "en",
                    "created_at": posted,
                    "updated_at": posted,
                }
            )
            if status == "ignored":
                continue
            first_s = rng.randint(60, 4 * 3600) if status in ("waiting", "resolved") else None
            res_s = first_s + rng.randint(0, 8 * 3600) if first_s and status == "resolved" else None
            timers.append(
                {
                    "mention_id": i,
                    "team_id": team,
                    "started_at": posted,
                    "first_response_due_at": posted + timedelta(minutes=30),
                    "resolution_due_at": posted + timedelta(hours=8),
                    "first_response_at": posted + timedelta(seconds=first_s) if first_s else None,
                    "resolved_at": posted + timedelta(seconds=res_s) if res_s else None,
                    "first_response_seconds": first_s,
                    "resolution_seconds": res_s,
                    "responder_id": member if first_s else None,
                    "resolver_id": member if res_s else None,
                    "assigned_at": None,
                    "warned": "",
                    "breached": "",
                    "escalated_at": None,
                    "next_check_at": None,
                }
            )
        with db.engine.begin() as conn:
            conn.execute(insert(Post), posts)
            conn.execute(insert(Mention), rows)
            conn.execute(insert(MentionTimer), timers)
        done = ids[-1]
        rate = done / (time.perf_counter() - start)
        print(f"\r  inserted {done:,} mentions ({rate:,.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        # Steady state: autovacuum keeps the visibility map current (index-only scans).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("posts", "mentions", "mention_timers", "mention_tags"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            for table in ("teams", "users", "memberships", "topics", "posts", "mentions"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )


def _time(runs: int, work: Callable[[int], Any]) -> list[float]:
    out = []
    for i in range(runs):
        started = time.perf_counter()
        work(i)
        out.append(time.perf_counter() - started)
    return out


def _line(name: str, seconds: list[float]) -> str:
    p50 = statistics.median(seconds)
    p95 = statistics.quantiles(seconds, n=20)[18] if len(seconds) >= 20 else max(seconds)
    return f"| {name} | {p50 * 1000:.1f} ms | {p95 * 1000:.1f} ms | {p95 / TARGET_SECONDS:.2f} |"


def measure(db: Database, *, teams: int, mentions: int, runs: int, http: bool) -> list[str]:
    """Time the three operations; returns table lines."""
    rng = random.Random(11)
    clock = FrozenClock(NOW)
    members = {
        t: principal_by_name(db, username=f"user{(t - 1) * MEMBERS_PER_TEAM + 2}")
        for t in range(1, teams + 1)
    }

    def page(i: int) -> None:
        team = rng.randint(1, teams)
        filters = inbox.resolve_filter(db, principal=members[team], team=f"Team {team}")
        rows = inbox.list_inbox(db, principal=members[team], filters=filters, limit=50)
        assert len(rows) == 50

    def mine(i: int) -> None:
        team = rng.randint(1, teams)
        filters = inbox.resolve_filter(db, principal=members[team], mine=True)
        inbox.list_inbox(db, principal=members[team], filters=filters, limit=50)

    def assign(i: int) -> None:
        mention_id = rng.randint(1, mentions)
        with db.transaction() as tx:
            row = tx.session.get(Mention, mention_id)
            assert row is not None
            team, status = row.team_id, row.status
        if status in ("resolved", "ignored"):
            inbox.set_status(
                db, principal=members[team], mention_id=mention_id, status="open", clock=clock
            )
        user = f"user{(team - 1) * MEMBERS_PER_TEAM + 3 + i % 2}"
        inbox.assign(db, principal=members[team], mention_id=mention_id, user=user, clock=clock)

    def report(i: int) -> None:
        team = rng.randint(1, teams)
        result = reports.sla_report(
            db,
            clock=clock,
            team=f"Team {team}",
            since=NOW - timedelta(days=30),
            principal=members[team],
        )
        assert result.teams and result.teams[0].mentions > 0

    lines = []
    for name, work in (
        ("inbox page (team, 50 newest active)", page),
        ("inbox page (mine)", mine),
        ("assignment (reopen if closed, then assign)", assign),
        ("SLA report (one team, 30 days)", report),
    ):
        work(0)  # warm caches and connections
        lines.append(_line(name, _time(runs, work)))
    if http:
        lines.extend(measure_http(db, teams=teams, mentions=mentions, runs=runs, rng=rng))
    return lines


def measure_http(
    db: Database, *, teams: int, mentions: int, runs: int, rng: random.Random
) -> list[str]:
    """The same through the FastAPI app (in process, API token, JSON)."""
    from fastapi.testclient import TestClient

    from slusha.config import load_settings
    from slusha.services.tokens import create_token
    from slusha.web.app import create_app

    clock = FrozenClock(NOW)
    settings = load_settings(environ={}, database_url=db.url, secret_key="bench-secret-key")
    app = create_app(settings, db=db, clock=clock)
    client = TestClient(app)
    tokens = {}
    for t in range(1, teams + 1):
        _view, secret = create_token(
            db,
            username=f"user{(t - 1) * MEMBERS_PER_TEAM + 2}",
            label="bench",
            scope="write",
            clock=clock,
        )
        tokens[t] = {"Authorization": f"Bearer {secret}"}

    def page(i: int) -> None:
        team = rng.randint(1, teams)
        response = client.get(
            "/api/v1/inbox", params={"team": f"Team {team}"}, headers=tokens[team]
        )
        assert response.status_code == 200 and len(response.json()["items"]) == 50

    with db.read() as tx:
        team_ids = {team.name: team.id for team in tx.session.query(Team)}

    def inbox_page(i: int) -> None:
        # The server-rendered page runs the API's query and renders 50 rows.
        team = rng.randint(1, teams)
        response = client.get(f"/inbox/teams/{team_ids[f'Team {team}']}", headers=tokens[team])
        assert response.status_code == 200 and response.text.count('class="inbox-row') == 50

    def assign(i: int) -> None:
        mention_id = rng.randint(1, mentions)
        with db.transaction() as tx:
            row = tx.session.get(Mention, mention_id)
            assert row is not None
            team, status = row.team_id, row.status
        if status in ("resolved", "ignored"):
            client.post(
                f"/api/v1/inbox/{mention_id}/status", json={"status": "open"}, headers=tokens[team]
            )
        user = f"user{(team - 1) * MEMBERS_PER_TEAM + 3 + i % 2}"
        response = client.post(
            f"/api/v1/inbox/{mention_id}/assign", json={"user": user}, headers=tokens[team]
        )
        assert response.status_code == 200, response.text

    def report(i: int) -> None:
        team = rng.randint(1, teams)
        response = client.get(
            "/api/v1/reports/sla",
            headers=tokens[team],
            params={"team": f"Team {team}", "since": (NOW - timedelta(days=30)).isoformat()},
        )
        assert response.status_code == 200

    lines = []
    for name, work in (
        ("HTTP GET /api/v1/inbox?team=", page),
        ("HTTP GET /inbox/teams/{id} (page)", inbox_page),
        ("HTTP POST /api/v1/inbox/{id}/assign", assign),
        ("HTTP GET /api/v1/reports/sla?team=", report),
    ):
        work(0)
        lines.append(_line(name, _time(runs, work)))
    return lines


def run(backend: str, args: argparse.Namespace) -> None:
    """Populate one backend, measure, print the table."""
    drop: Callable[[], None] = lambda: None  # noqa: E731
    directory = ""
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="slusha-bench-inbox-")
        db = Database(f"sqlite:///{Path(directory) / 'inbox.db'}")
    else:
        url = os.environ.get(
            "SLUSHA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
        db, drop = _postgres(url)
    try:
        migrations.upgrade(db)
        started = time.perf_counter()
        populate(db, mentions=args.mentions, teams=args.teams)
        print(
            f"{backend}: {args.mentions:,} mentions in {args.teams} teams, populated in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        lines = measure(
            db, teams=args.teams, mentions=args.mentions, runs=args.runs, http=args.http
        )
        print(
            f"\n{backend}, {args.mentions:,} mentions, {args.teams} teams, {args.runs} runs each\n"
        )
        print("| operation | p50 | p95 | p95 / 300 ms |")
        print("| --- | --- | --- | --- |")
        for line in lines:
            print(line)
    finally:
        db.dispose()
        drop()
        if backend == "sqlite":
            shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    """Parse arguments and run the chosen backends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--http", action="store_true", help="also time through the web app")
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args)


if __name__ == "__main__":
    main()
