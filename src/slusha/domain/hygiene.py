"""What every post is held to before the system keeps it: valid Unicode, bounded sizes.

Networks and senders hand over text that Python can hold but nothing downstream can carry: a
lone UTF-16 surrogate (``"\\ud83d"``, half an emoji, e.g. from a JSON ``\\u`` escape or an XML
character reference) cannot be written as UTF-8, so JSON encoders, the language detector and
the database refuse it. ``sanitise_post`` repairs such text in place (each lone surrogate
becomes U+FFFD, a valid pair becomes its character), cuts text, title and HTML to their caps,
and refuses what cannot be repaired without guessing (``extra`` nested too deep). Repairs and
cuts are recorded under ``extra["slusha"]`` so that nothing changes silently.

PURE: no settings are read here; the caller passes ``PostLimits``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slusha.domain.post import Post

MAX_INT64 = 2**63 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class PostLimits:
    """Caps on what one post may carry (characters; nesting levels of ``extra``)."""

    text_chars: int = 100_000
    title_chars: int = 2_000
    html_chars: int = 1_000_000
    extra_depth: int = 32
    future_tolerance_seconds: float = 600.0


DEFAULT_LIMITS = PostLimits()


class PostHygieneError(ValueError):
    """A post that cannot be repaired; ``reason`` says why, ``key`` where."""

    def __init__(self, reason: str, *, key: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


def is_valid_unicode(value: str) -> bool:
    """True when ``value`` can be written as UTF-8 (it holds no lone surrogate)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def repair_text(value: str) -> str:
    """``value`` with surrogate pairs joined and each lone surrogate replaced by U+FFFD."""
    if is_valid_unicode(value):
        return value
    # UTF-16 with surrogatepass turns a pair back into its character; what is left alone is a
    # lone surrogate, which the decoder replaces.
    joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _SURROGATE.sub("\ufffd", joined)


_TEXT_FIELDS = ("id", "text", "url", "title", "html", "lang", "reply_to", "thread")
_AUTHOR_FIELDS = ("handle", "name", "url", "id")


def sanitise_post(post: Post, *, limits: PostLimits = DEFAULT_LIMITS) -> Post:
    """Repair ``post`` in place and return it; raise ``PostHygieneError`` if it cannot be."""
    repaired: list[str] = []
    for name in _TEXT_FIELDS:
        value = getattr(post, name)
        if value is not None and not is_valid_unicode(value):
            setattr(post, name, repair_text(value))
            repaired.append(name)
    author = post.author
    if author is not None:
        for name in _AUTHOR_FIELDS:
            value = getattr(author, name)
            if value is not None and not is_valid_unicode(value):
                setattr(author, name, repair_text(value))
                repaired.append(f"author.{name}")
        if author.followers is not None and author.followers > MAX_INT64:
            raise PostHygieneError(
                f"'author.followers' is larger than {MAX_INT64}", key="author.followers"
            )
    for key, count in post.metrics.items():
        if count > MAX_INT64:
            raise PostHygieneError(f"'metrics.{key}' is larger than {MAX_INT64}", key="metrics")
        if not is_valid_unicode(key):
            post.metrics = {repair_text(k): v for k, v in post.metrics.items()}
            repaired.append("metrics")
            break
    if post.extra and _needs_cleaning(post.extra, depth=1, limits=limits):
        post.extra = _clean_value(post.extra, depth=1, limits=limits, path="extra", notes=repaired)
    cut: dict[str, int] = {}
    for name, cap in (
        ("text", limits.text_chars),
        ("title", limits.title_chars),
        ("html", limits.html_chars),
    ):
        value = getattr(post, name)
        if value is not None and len(value) > cap:
            setattr(post, name, value[:cap])
            cut[name] = len(value)
    if repaired or cut:
        note = dict(post.extra.get("slusha") or {}) if isinstance(post.extra, dict) else {}
        if repaired:
            note["repaired"] = sorted(set(repaired))
        if cut:
            note["cut"] = cut
        post.extra = {**post.extra, "slusha": note}
    return post


def _needs_cleaning(value: Any, *, depth: int, limits: PostLimits) -> bool:
    """True when ``_clean_value`` would change something (walks without allocating)."""
    if isinstance(value, str):
        return not is_valid_unicode(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return False
    if isinstance(value, int):
        return not -MAX_INT64 - 1 <= value <= MAX_INT64
    if depth > limits.extra_depth:
        return True
    if isinstance(value, dict):
        return any(
            not isinstance(key, str)
            or not is_valid_unicode(key)
            or _needs_cleaning(item, depth=depth + 1, limits=limits)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_needs_cleaning(item, depth=depth + 1, limits=limits) for item in value)
    return True


def _clean_value(value: Any, *, depth: int, limits: PostLimits, path: str, notes: list[str]) -> Any:
    if isinstance(value, str):
        if is_valid_unicode(value):
            return value
        notes.append(path)
        return repair_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        # JSON encoders and the database carry 64-bit integers; a larger one is kept as text.
        return value if -MAX_INT64 - 1 <= value <= MAX_INT64 else str(value)
    if depth > limits.extra_depth:
        raise PostHygieneError(
            f"'extra' is nested more than {limits.extra_depth} levels deep", key="extra"
        )
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            clean_key = repair_text(key) if isinstance(key, str) else str(key)
            if clean_key != key:
                notes.append(f"{path}.{clean_key}")
            out[clean_key] = _clean_value(
                item, depth=depth + 1, limits=limits, path=f"{path}.{clean_key}", notes=notes
            )
        return out
    if isinstance(value, list | tuple):
        return [
            _clean_value(item, depth=depth + 1, limits=limits, path=path, notes=notes)
            for item in value
        ]
    return str(value)


def clamp_future(post: Post, *, now: datetime, limits: PostLimits = DEFAULT_LIMITS) -> Post:
    """A post dated later than ``now`` plus the tolerance is dated ``now`` (original kept).

    A wrong clock or a forged date would otherwise keep the post at the top of every stream
    and inbox for ever.
    """
    if post.created_at <= now or post.created_at - now <= timedelta(
        seconds=limits.future_tolerance_seconds
    ):
        return post
    note = dict(post.extra.get("slusha") or {})
    note["created_at_given"] = post.created_at.isoformat()
    post.extra = {**post.extra, "slusha": note}
    post.created_at = now
    return post
