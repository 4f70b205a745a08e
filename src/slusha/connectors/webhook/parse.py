"""Webhook payloads (one post-format object or an array of them) to posts. PURE."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from slusha.domain.post import Post, PostFormatError, parse_post

MAX_POSTS_PER_REQUEST = 1000


@dataclass
class ParsedPayload:
    """Valid posts, and the rejected items with their index and reason."""

    posts: list[Post] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


class PayloadError(ValueError):
    """The body as a whole is unusable (not JSON, wrong shape, too many posts)."""


def parse_payload(body: bytes, *, default_network: str = "webhook") -> ParsedPayload:
    """Validate every post in ``body``; bad items are rejected by index, the rest kept."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise PayloadError(
            "the body is nested too deeply to be a post or a list of posts"
        ) from None
    items: list[Any]
    if isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise PayloadError("the body must be a post object or an array of posts")
    if len(items) > MAX_POSTS_PER_REQUEST:
        raise PayloadError(f"at most {MAX_POSTS_PER_REQUEST} posts per request")
    out = ParsedPayload()
    for index, item in enumerate(items):
        try:
            out.posts.append(parse_post(item, default_network=default_network))
        except PostFormatError as exc:
            out.rejected.append({"index": index, "reason": exc.reason, "key": exc.key})
    return out
