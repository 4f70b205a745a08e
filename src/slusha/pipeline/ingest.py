"""Putting raw posts on the bus (connectors, the webhook, the demo and ``import --enqueue``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from slusha.bus.base import Bus
from slusha.bus.codec import encode
from slusha.bus.messages import SUBJECT_POSTS, deletion_message, post_message, post_msg_id
from slusha.domain.hygiene import DEFAULT_LIMITS, PostHygieneError, PostLimits, sanitise_post
from slusha.domain.ingest import Rejection
from slusha.domain.post import Post

if TYPE_CHECKING:
    from slusha.services.sources import DeletionSink, Sink

log = logging.getLogger("slusha.ingest")
# How long a sender waits for the embedded pipeline to store what it sent (a 202, a cursor).
CONFIRM_TIMEOUT_SECONDS = 60.0


async def submit_posts(
    bus: Bus,
    posts: Sequence[Post | dict[str, Any]],
    *,
    source_id: int | None = None,
    source_language: str | None = None,
    limits: PostLimits = DEFAULT_LIMITS,
    timeout_seconds: float = CONFIRM_TIMEOUT_SECONDS,
    confirm: bool = True,
) -> list[Rejection]:
    """Publish raw posts for the workers; returns once they are safe, with what was refused.

    "Safe" is ``Bus.publish_confirmed``: stored by the embedded pipeline, or held by
    JetStream. Posts are repaired first (``sanitise_post``); one that still cannot travel
    (it cannot be repaired, or JSON cannot carry it) is refused alone, with its index in
    ``where``, and the others go on. ``source_language`` is the language the posts' source is
    configured with (a hint for language detection on short posts). ``confirm=False`` returns
    as soon as the bus holds them (for callers that run the worker themselves afterwards).
    """
    rejected: list[Rejection] = []
    bodies: list[tuple[dict[str, Any], str | None]] = []
    indices: list[int] = []
    for index, post in enumerate(posts):
        if isinstance(post, Post):
            try:
                sanitise_post(post, limits=limits)
            except PostHygieneError as exc:
                rejected.append(Rejection(f"post {index}", exc.reason, post.network))
                continue
        indices.append(index)
        bodies.append(
            (post_message(post, source_id=source_id, source_language=source_language),
             post_msg_id(post))
        )  # fmt: skip
    if not bodies:
        return rejected
    try:
        await _publish(bus, bodies, confirm=confirm, timeout_seconds=timeout_seconds)
    except TypeError:
        # Some body cannot be encoded (nothing of the call was queued): refuse it, send the rest.
        good = []
        for index, body in zip(indices, bodies, strict=True):
            try:
                encode(body[0])
            except TypeError as exc:
                rejected.append(Rejection(f"post {index}", str(exc), None))
            else:
                good.append(body)
        if good:
            await _publish(bus, good, confirm=confirm, timeout_seconds=timeout_seconds)
    return rejected


async def _publish(
    bus: Bus,
    bodies: list[tuple[dict[str, Any], str | None]],
    *,
    confirm: bool,
    timeout_seconds: float,
) -> None:
    if confirm:
        await bus.publish_confirmed(SUBJECT_POSTS, bodies, timeout_seconds=timeout_seconds)
    else:
        await bus.publish_many(SUBJECT_POSTS, bodies)


def source_sink(
    bus: Bus,
    *,
    limits: PostLimits = DEFAULT_LIMITS,
    on_refused: Callable[[int, list[Rejection], list[Post]], None] | None = None,
    timeout_seconds: float = CONFIRM_TIMEOUT_SECONDS,
) -> Sink:
    """The sink of the connectors role: a source's posts go on the bus with its language.

    It returns only once the posts are safe (``submit_posts``): the scheduler saves the cursor
    after this, so a killed process fetches them again rather than losing them. A post that
    cannot travel goes to ``on_refused`` (the dead letters) and the others go on.
    """

    async def sink(
        source_id: int, posts: list[Post], *, source_language: str | None = None
    ) -> None:
        refused = await submit_posts(
            bus, posts, source_id=source_id, source_language=source_language, limits=limits,
            timeout_seconds=timeout_seconds,
        )  # fmt: skip
        for rejection in refused:
            log.warning(
                "source.post_refused",
                extra={"source_id": source_id, "where": rejection.where,
                       "reason": rejection.reason},
            )  # fmt: skip
        if refused and on_refused is not None:
            on_refused(source_id, refused, posts)

    return sink


async def submit_deletions(
    bus: Bus,
    *,
    network: str,
    external_ids: Sequence[str],
    source_id: int | None = None,
    timeout_seconds: float = CONFIRM_TIMEOUT_SECONDS,
) -> None:
    """Publish posts deleted at their source, behind their posts; returns once they are safe."""
    if external_ids:
        body = deletion_message(network, list(external_ids), source_id=source_id)
        await bus.publish_confirmed(SUBJECT_POSTS, [(body, None)], timeout_seconds=timeout_seconds)


def deletion_sink(bus: Bus, *, timeout_seconds: float = CONFIRM_TIMEOUT_SECONDS) -> DeletionSink:
    """The connectors role's deletions: on the bus like the posts, so they apply in order."""

    async def sink(source_id: int, network: str, external_ids: list[str]) -> None:
        await submit_deletions(
            bus, network=network, external_ids=external_ids, source_id=source_id,
            timeout_seconds=timeout_seconds,
        )  # fmt: skip

    return sink
