"""The post interchange format (``shared/spec/post-format.md``) as a value object.

``parse_post`` is the one validator: importers, connectors, the webhook and the bus all go
through it, so a post means the same thing everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slusha.domain.hygiene import (
    DEFAULT_LIMITS,
    MAX_INT64,
    PostHygieneError,
    PostLimits,
    sanitise_post,
)
from slusha.errors import InputError

NETWORKS: frozenset[str] = frozenset(
    {
        "rss",
        "mastodon",
        "bluesky",
        "reddit",
        "hackernews",
        "x",
        "facebook",
        "instagram",
        "linkedin",
        "youtube",
        "webhook",
        "import",
    }
)
POST_KINDS: frozenset[str] = frozenset(
    {"post", "comment", "reply", "share", "article", "review", "message"}
)
METRIC_KEYS: tuple[str, ...] = ("likes", "shares", "replies", "views")
AUTHOR_KEYS: tuple[str, ...] = ("handle", "name", "followers", "url", "id")
_AUTHOR_KEY_SET = frozenset(AUTHOR_KEYS)
KNOWN_KEYS: frozenset[str] = frozenset(
    {
        "network",
        "id",
        "text",
        "created_at",
        "url",
        "title",
        "html",
        "author",
        "lang",
        "reply_to",
        "thread",
        "kind",
        "metrics",
        "extra",
    }
)
REQUIRED_KEYS: tuple[str, ...] = ("network", "id", "text", "created_at")
MAX_ID_LENGTH = 512


class PostFormatError(InputError):
    """A post does not follow the post format; ``reason`` says why in plain words."""

    code = "post_format"

    def __init__(self, reason: str, *, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


@dataclass(slots=True)  # not frozen: frozen __init__ costs 1 µs per post on the hot path
class Author:
    """Who wrote a post; every field is optional."""

    handle: str | None = None
    name: str | None = None
    followers: int | None = None
    url: str | None = None
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The author as a post-format object, without empty keys."""
        out: dict[str, Any] = {}
        for key in AUTHOR_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(slots=True)
class Post:
    """One post in the interchange format. ``created_at`` is timezone-aware."""

    network: str
    id: str
    text: str
    created_at: datetime
    url: str | None = None
    title: str | None = None
    html: str | None = None
    author: Author | None = None
    lang: str | None = None
    reply_to: str | None = None
    thread: str | None = None
    kind: str = "post"
    metrics: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The identity of the post across the system: ``network:id``."""
        return f"{self.network}:{self.id}"

    @property
    def author_handle(self) -> str | None:
        return self.author.handle if self.author else None

    @property
    def author_followers(self) -> int | None:
        return self.author.followers if self.author else None

    def to_dict(self) -> dict[str, Any]:
        """The post as a post-format JSON object (optional keys only when set)."""
        out: dict[str, Any] = {
            "network": self.network,
            "id": self.id,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }
        for key in ("url", "title", "html", "lang", "reply_to", "thread"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.author is not None:
            author = self.author.to_dict()
            if author:
                out["author"] = author
        if self.kind != "post":
            out["kind"] = self.kind
        if self.metrics:
            out["metrics"] = dict(self.metrics)
        if self.extra:
            out["extra"] = dict(self.extra)
        return out


def parse_datetime(value: Any, *, key: str = "created_at") -> datetime:
    """An ISO 8601 timestamp with an offset; a naive one is rejected (its zone is unknown)."""
    if not isinstance(value, str):
        raise PostFormatError(f"'{key}' must be a string, got {_type_name(value)}", key=key)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PostFormatError(
            f"'{key}' is not an ISO 8601 date-time: {value!r} "
            "(expected e.g. 2026-11-27T09:15:00+00:00)",
            key=key,
        ) from None
    if parsed.tzinfo is None:
        raise PostFormatError(
            f"'{key}' has no time-zone offset: {value!r} (add +00:00 or Z)", key=key
        )
    return parsed


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:  # the common case first: this runs per post
        return value
    if not isinstance(value, str):
        raise PostFormatError(f"'{key}' must be a string, got {_type_name(value)}", key=key)
    return value


def _count(value: Any, key: str) -> int:
    if type(value) is int and 0 <= value <= MAX_INT64:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PostFormatError(f"'{key}' must be a number, got {_type_name(value)}", key=key)
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise PostFormatError(f"'{key}' must be a whole number, got {value!r}", key=key)
    if value < 0:
        raise PostFormatError(f"'{key}' must not be negative, got {value!r}", key=key)
    if value > MAX_INT64:
        raise PostFormatError(f"'{key}' is larger than {MAX_INT64}", key=key)
    return int(value)


def parse_author(value: Any) -> Author | None:
    """Validate the ``author`` object; unknown author keys are rejected by name."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PostFormatError(f"'author' must be an object, got {_type_name(value)}", key="author")
    unknown = () if _AUTHOR_KEY_SET.issuperset(value) else value.keys() - _AUTHOR_KEY_SET
    if unknown:
        raise PostFormatError(
            f"'author' has unknown keys {sorted(unknown)} (allowed: {', '.join(AUTHOR_KEYS)})",
            key="author",
        )
    followers = value.get("followers")
    return Author(
        handle=_opt_str(value, "handle"),
        name=_opt_str(value, "name"),
        followers=None if followers is None else _count(followers, "author.followers"),
        url=_opt_str(value, "url"),
        id=_author_id(value.get("id")),
    )


def _author_id(value: Any) -> str | None:
    # Networks send numeric ids; they are identifiers, so keep them as text.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PostFormatError(
            f"'author.id' must be a string, got {_type_name(value)}", key="author.id"
        )
    return str(value)


def parse_post(
    obj: Any, *, default_network: str | None = None, limits: PostLimits = DEFAULT_LIMITS
) -> Post:
    """Validate one post-format object and return a ``Post``.

    Raises ``PostFormatError`` naming the key and the reason. Unknown top-level keys are
    moved under ``extra`` (the spec says they are kept, never dropped). Text that is not
    valid Unicode is repaired and overlong text cut (``slusha.domain.hygiene``).
    """
    if not isinstance(obj, dict):
        raise PostFormatError(f"a post must be a JSON object, got {_type_name(obj)}")
    if default_network is not None and "network" not in obj:
        obj = {**obj, "network": default_network}
    get = obj.get  # this runs for every post the pipeline sees: common cases first
    network, post_id, text = get("network"), get("id"), get("text")
    if network is None or post_id is None or text is None or get("created_at") is None:
        missing = [key for key in REQUIRED_KEYS if key not in obj or obj[key] is None]
        raise PostFormatError(
            f"missing required key{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
            key=missing[0],
        )
    if not isinstance(network, str):
        raise PostFormatError(
            f"'network' must be a string, got {_type_name(network)}", key="network"
        )
    if network not in NETWORKS:
        raise PostFormatError(
            f"unknown network {network!r} (one of: {', '.join(sorted(NETWORKS))})",
            key="network",
        )
    if isinstance(post_id, int) and not isinstance(post_id, bool):
        post_id = str(post_id)
    if not isinstance(post_id, str):
        raise PostFormatError(f"'id' must be a string, got {_type_name(post_id)}", key="id")
    if not post_id.strip():
        raise PostFormatError("'id' must not be empty", key="id")
    if len(post_id) > MAX_ID_LENGTH:
        raise PostFormatError(f"'id' is longer than {MAX_ID_LENGTH} characters", key="id")
    if not isinstance(text, str):
        raise PostFormatError(f"'text' must be a string, got {_type_name(text)}", key="text")
    created_at = parse_datetime(obj["created_at"])
    kind = get("kind") or "post"
    if kind != "post" and (not isinstance(kind, str) or kind not in POST_KINDS):
        raise PostFormatError(
            f"unknown kind {kind!r} (one of: {', '.join(sorted(POST_KINDS))})", key="kind"
        )
    lang = _opt_str(obj, "lang")
    if lang is not None:
        lang = lang.strip().lower() or None
    metrics_in = get("metrics")
    metrics: dict[str, int] = {}
    if metrics_in is not None:
        if not isinstance(metrics_in, dict):
            raise PostFormatError(
                f"'metrics' must be an object, got {_type_name(metrics_in)}", key="metrics"
            )
        for mkey, mvalue in metrics_in.items():
            if mvalue is None:
                continue
            metrics[str(mkey)] = _count(mvalue, f"metrics.{mkey}")
    extra_in = get("extra")
    if extra_in is not None and not isinstance(extra_in, dict):
        raise PostFormatError(f"'extra' must be an object, got {_type_name(extra_in)}", key="extra")
    extra: dict[str, Any] = dict(extra_in) if extra_in else {}
    if not KNOWN_KEYS.issuperset(obj):
        for key in obj.keys() - KNOWN_KEYS:
            extra.setdefault(key, obj[key])
    post = Post(
        network=network,
        id=post_id,
        text=text,
        created_at=created_at,
        url=_opt_str(obj, "url"),
        title=_opt_str(obj, "title"),
        html=_opt_str(obj, "html"),
        author=parse_author(obj.get("author")),
        lang=lang,
        reply_to=_opt_str(obj, "reply_to"),
        thread=_opt_str(obj, "thread"),
        kind=kind,
        metrics=metrics,
        extra=extra,
    )
    try:
        return sanitise_post(post, limits=limits)
    except PostHygieneError as exc:
        raise PostFormatError(exc.reason, key=exc.key) from None
