"""Putting raw posts on the bus (connectors, the webhook and ``import --enqueue``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slusha.bus.base import Bus
from slusha.bus.messages import SUBJECT_POSTS, post_message, post_msg_id
from slusha.domain.post import Post

if TYPE_CHECKING:
    from slusha.services.sources import Sink


async def submit_posts(
    bus: Bus,
    posts: Sequence[Post | dict[str, Any]],
    *,
    source_id: int | None = None,
    source_language: str | None = None,
) -> None:
    """Publish raw posts for the workers; returns once the bus holds them all.

    ``source_language`` is the language the posts' source is configured with (a hint for
    language detection on short posts).
    """
    if posts:
        await bus.publish_many(
            SUBJECT_POSTS,
            [
                (
                    post_message(p, source_id=source_id, source_language=source_language),
                    post_msg_id(p),
                )
                for p in posts
            ],
        )


def source_sink(bus: Bus) -> Sink:
    """The sink of the connectors role: a source's posts go on the bus with its language.

    It returns only once the bus holds every post: the scheduler saves the cursor after this.
    """

    async def sink(
        source_id: int, posts: list[Post], *, source_language: str | None = None
    ) -> None:
        await submit_posts(bus, posts, source_id=source_id, source_language=source_language)

    return sink
