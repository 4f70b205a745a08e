"""The web app wired to a Mastodon-like loopback server, for the inbox's reply tests."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from slusha.config import Settings
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import build_registry
from slusha.services.sources import add_source
from slusha.web.app import create_app
from tests.support.builders import post
from tests.support.origin import Origin
from tests.web.support import World

COMPLAINT_ID = "https://social.example/users/maja/statuses/113"


def complaint() -> dict[str, Any]:
    """A Mastodon complaint about Acme; the loopback server knows it as local status 113."""
    return post(COMPLAINT_ID, "My #acme router is broken, I want a refund!",
                author={"handle": "@maja@social.example", "name": "Maja"},
                extra={"local_id": "113", "instance": "127.0.0.1"})  # fmt: skip


def mention_of(world: World, external_id: str) -> int:
    """The one mention of a post."""
    from slusha.store.schema import Mention, Post

    with world.db.transaction() as tx:
        [mention_id] = [
            m.id
            for m, _p in tx.session.query(Mention, Post)
            .join(Post, Post.id == Mention.post_id)
            .filter(Post.external_id == external_id)
        ]
        return mention_id


def reply_app(world: World, origin: Origin, make_settings: Any) -> FastAPI:
    """The app with a Mastodon source on the loopback server; replies time out after 1 s."""
    settings: Settings = make_settings(
        secret_key="test-secret-key", allow_private_networks=True, http_timeout_seconds=1.0
    )
    registry = build_registry(include_entry_points=False)

    async def source() -> None:
        async with PluginHost(settings=settings, clock=world.clock, registry=registry) as host:
            await add_source(
                world.db,
                host=host,
                kind="mastodon",
                name="acme on mastodon",
                config={"instance_url": origin.url(""), "timeline": "hashtag", "hashtag": "acme"},
                secrets={"access_token": "t" * 20},
            )

    asyncio.run(source())
    host = PluginHost(settings=settings, clock=world.clock, registry=registry)
    return create_app(settings, db=world.db, clock=world.clock, host=host)
