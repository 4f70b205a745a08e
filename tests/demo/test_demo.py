"""The demo: a realistic corpus, the example organisation, and mentions arriving live."""

from __future__ import annotations

import collections
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from slusha.cli.main import _register, cli
from slusha.demo.corpus import SPIKE_DAYS_AGO, LiveFeed, generate
from slusha.domain.post import parse_post
from slusha.store.db import Database
from slusha.store.schema import Mention, Post, Team, Topic

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_corpus_is_seeded_valid_and_varied() -> None:
    posts = generate(now=NOW, count=2000)
    assert posts == generate(now=NOW, count=2000)  # reproducible
    parsed = [parse_post(p) for p in posts]  # every post is valid in the post format
    assert len(parsed) >= 2000
    assert len({p["lang"] for p in posts if p.get("lang")}) >= 5
    assert len({p.network for p in parsed}) >= 5
    kinds = collections.Counter(p["extra"]["demo_kind"] for p in posts)
    for kind in ("complaint", "praise", "job", "press", "legal", "outage", "noise"):
        assert kinds[kind] > 0, kind
    assert all(
        NOW - timedelta(days=30, hours=1) <= p.created_at <= NOW + timedelta(days=1) for p in parsed
    )
    assert any("Лумио" in p.text for p in parsed)  # Macedonian in Cyrillic, not only English


def test_corpus_has_a_spike_on_the_outage_day() -> None:
    posts = generate(now=NOW, count=2000)
    per_day = collections.Counter(p["created_at"][:10] for p in posts)
    spike_day = (NOW - timedelta(days=SPIKE_DAYS_AGO)).date().isoformat()
    others = sorted(v for k, v in per_day.items() if k != spike_day)
    assert per_day[spike_day] > 3 * others[len(others) // 2]


def test_live_feed_makes_new_unique_posts() -> None:
    feed = LiveFeed(seed=1)
    posts = [feed.next_post(NOW, run="r1") for _ in range(50)]
    assert len({p["id"] for p in posts}) == 50
    assert all(parse_post(p).created_at == NOW for p in posts)


@pytest.mark.slow
def test_demo_command_builds_the_organisation_and_streams_live_mentions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("SLUSHA_") and not name.startswith("SLUSHA_TEST"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    _register()
    args = ["demo", "--database", url, "--posts", "400", "--interval", "0.2", "--duration", "4"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "demo sign-in: user demo" in result.output
    assert "Lumio" in result.output  # live mentions printed with their topic
    db = Database(url)
    with db.transaction() as tx:
        teams = set(tx.session.scalars(select(Team.name)))
        topics = tx.session.scalar(select(func.count()).select_from(Topic))
        mentions = tx.session.scalar(select(func.count()).select_from(Mention))
        live = tx.session.scalar(
            select(func.count()).select_from(Post).where(Post.external_id.like("live%"))
        )
        routed = dict(
            tx.session.execute(
                select(Team.name, func.count())
                .join(Mention, Mention.team_id == Team.id)
                .group_by(Team.name)
            ).all()
        )
    assert teams == {"Customer care", "HR", "Marketing", "PR", "Legal"}
    assert topics >= 6 and mentions > 300 and live > 0
    assert {"Customer care", "HR", "Legal", "PR", "Marketing"} <= set(routed)
    again = CliRunner().invoke(cli, [*args[:-2], "--duration", "1"], catch_exceptions=False)
    assert "reusing the demo data" in again.output
    db.dispose()
