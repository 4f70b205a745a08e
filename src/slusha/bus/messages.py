"""Versioned message bodies and subject names. JSON only."""

from __future__ import annotations

from typing import Any

from slusha.domain.post import Post

VERSION = 1
SUBJECT_POSTS = "posts.raw"
SUBJECT_EVENTS = "events"
SUBJECTS = (SUBJECT_POSTS, SUBJECT_EVENTS)


class MessageVersionError(ValueError):
    """A message from a newer (or unknown) version of Slusha."""


def post_message(
    post: Post | dict[str, Any],
    *,
    source_id: int | None = None,
    source_language: str | None = None,
) -> dict[str, Any]:
    """The body that carries one raw post to the pipeline.

    ``source_language`` (the source's configured language, a hint for language detection)
    rides in the envelope, not in the post: the post format is a contract. Bodies without it,
    from older senders, read as "no source language".
    """
    data = post.to_dict() if isinstance(post, Post) else post
    body: dict[str, Any] = {"v": VERSION, "post": data, "source_id": source_id}
    if source_language is not None:
        body["source_language"] = source_language
    return body


def deletion_message(
    network: str, external_ids: list[str], *, source_id: int | None = None
) -> dict[str, Any]:
    """The body that carries posts deleted at their source to the pipeline, behind the posts."""
    return {"v": VERSION, "deleted": {"network": network, "ids": external_ids},
            "source_id": source_id}  # fmt: skip


def post_msg_id(post: Post | dict[str, Any]) -> str | None:
    """``network:id``: JetStream drops a second publish with the same id (dedup window)."""
    if isinstance(post, Post):
        return post.key
    network, post_id = post.get("network"), post.get("id")
    if isinstance(network, str) and isinstance(post_id, str | int):
        return f"{network}:{post_id}"
    return None


def event_message(kind: str, payload: dict[str, Any], *, event_id: int) -> dict[str, Any]:
    """The body of a domain event such as ``mention.created``."""
    return {"v": VERSION, "kind": kind, "id": event_id, "payload": payload}


def check_version(data: dict[str, Any]) -> dict[str, Any]:
    """Refuse bodies whose version this code does not understand."""
    if data.get("v") != VERSION:
        raise MessageVersionError(f"unsupported message version {data.get('v')!r}")
    return data
