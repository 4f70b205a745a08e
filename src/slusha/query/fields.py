"""Field terms (``lang:mk``, ``followers:>1000`` ...): parsing their values, reading posts.

A post reaches the query package in three shapes: a post-format dict, a
``slusha.domain.post.Post``, or any object with the same attributes (the store's row, which
may carry ``author_handle``/``author_followers`` instead of an ``author``). ``read_post``
turns each into the same ``PostFields`` so nothing else cares which shape came in.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from slusha.query.ast import Field
from slusha.query.errors import QuerySyntaxError
from slusha.query.normalise import fold

# Mirrors slusha.domain.post.NETWORKS (a test keeps them equal); the query package stays a
# leaf so the web editor can validate queries without importing the domain.
NETWORKS: tuple[str, ...] = (
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
)
FIELD_NAMES: tuple[str, ...] = ("author", "lang", "network", "site", "followers")

_LANG = re.compile(r"[a-z]{2}")
_FOLLOWERS = re.compile(r"(>=|<=|>|<|=)?(\d[\d_,]*)([km]?)", re.IGNORECASE)
_HOST_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}
# scheme://[userinfo@](host | [ipv6])[:port][/path...]
_URL_HOST = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?(?:\[([^\]/?#]*)\]|([^/?#:\[\]]+))"
)


class PostFields(NamedTuple):
    """The parts of a post a query reads, in one shape whatever the post's type."""

    text: str
    title: str | None
    network: str | None
    lang: str | None
    url: str | None
    handle: str | None
    followers: int | None


def parse_field(name: str, value: str, start: int) -> Field:
    """A ``Field`` node from ``name:value`` written at ``start``, or ``QuerySyntaxError``."""
    name = name.lower()
    if name not in FIELD_NAMES:
        raise QuerySyntaxError(
            f"'{name}:' is not a field this query language knows. Fields are "
            f"{', '.join(n + ':' for n in FIELD_NAMES)}. To search for the text itself, "
            "put it in quotes.",
            start,
        )
    if not value:
        raise QuerySyntaxError(
            f"'{name}:' needs a value right after the colon, with no space, e.g. "
            f"{_EXAMPLES[name]}.",
            start,
        )
    if name == "author":
        handle = fold(value.lstrip("@"))
        if not handle:
            raise QuerySyntaxError("'author:' needs a handle, e.g. author:acme_support.", start)
        return Field("author", handle, start=start)
    if name == "lang":
        code = value.lower()
        if not _LANG.fullmatch(code):
            raise QuerySyntaxError(
                f"'lang:{value}' is not a language code. Use the two-letter code "
                "(ISO 639-1), e.g. lang:en, lang:mk, lang:sr.",
                start,
            )
        return Field("lang", code, start=start)
    if name == "network":
        network = value.lower()
        if network not in NETWORKS:
            raise QuerySyntaxError(
                f"'{value}' is not a network Slusha knows. Use one of: {', '.join(NETWORKS)}.",
                start,
            )
        return Field("network", network, start=start)
    if name == "site":
        host = value.lower().rstrip(".")
        if not host or not all(_HOST_LABEL.fullmatch(label) for label in host.split(".")):
            raise QuerySyntaxError(
                f"'site:{value}' is not a host name. Write only the host, e.g. "
                "site:example.com (no http:// and no path).",
                start,
            )
        return Field("site", host, start=start)
    match = _FOLLOWERS.fullmatch(value)
    if match is None or match.group(2).endswith((",", "_")):
        raise QuerySyntaxError(
            f"'followers:{value}' is not a comparison with a number. Write e.g. "
            "followers:>1000, followers:<50 or followers:>=10k.",
            start,
        )
    count = int(match.group(2).replace(",", "").replace("_", "")) * _SCALE[match.group(3).lower()]
    return Field("followers", count, op=match.group(1) or "=", start=start)


_EXAMPLES = {
    "author": "author:acme_support",
    "lang": "lang:mk",
    "network": "network:mastodon",
    "site": "site:example.com",
    "followers": "followers:>1000",
}


def compare_followers(op: str, count: int | None, limit: int) -> bool:
    """``count op limit``; an unknown count never matches."""
    if count is None:
        return False
    if op == ">":
        return count > limit
    if op == "<":
        return count < limit
    if op == ">=":
        return count >= limit
    if op == "<=":
        return count <= limit
    return count == limit


def host_of(url: str | None) -> str | None:
    """The lower-case host of an absolute URL, or ``None`` when it has none."""
    if not url:
        return None
    # One C-level match instead of urlsplit: this runs on every post when a topic uses site:.
    match = _URL_HOST.match(url.strip())
    if match is None:
        return None
    host = match.group(1) or match.group(2)
    return host.lower().rstrip(".") or None


def site_matches(host: str | None, site: str) -> bool:
    """Whether ``host`` is ``site`` or one of its subdomains."""
    if host is None:
        return False
    return host == site or host.endswith("." + site)


def normal_lang(lang: Any) -> str | None:
    """``en``, ``EN`` and ``en-US`` all read as ``en``."""
    if not isinstance(lang, str):
        return None
    code = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    return code or None


def normal_handle(handle: Any) -> str | None:
    """A handle compared without case and without a leading ``@``."""
    if not isinstance(handle, str):
        return None
    return fold(handle.strip().lstrip("@")) or None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def read_post(post: Any) -> PostFields:
    """The fields a query reads, from a post-format dict, a ``Post`` or a store row."""
    if isinstance(post, dict):
        author = post.get("author")
        handle = followers = None
        if isinstance(author, dict):
            handle, followers = author.get("handle"), author.get("followers")
        # Inline type checks and positional fields: this runs once per post in the matcher.
        get = post.get
        text, title, network = get("text"), get("title"), get("network")
        lang, url = get("lang"), get("url")
        return PostFields(
            text if isinstance(text, str) else "",
            title if isinstance(title, str) else None,
            network if isinstance(network, str) else None,
            lang if isinstance(lang, str) else None,
            url if isinstance(url, str) else None,
            handle if isinstance(handle, str) else None,
            None if followers is None else _count(followers),
        )
    author = getattr(post, "author", None)
    if author is not None and not isinstance(author, str):
        handle = getattr(author, "handle", None)
        followers = getattr(author, "followers", None)
    else:
        handle = getattr(post, "author_handle", None)
        followers = getattr(post, "author_followers", None)
    return PostFields(
        text=_str(getattr(post, "text", None)) or "",
        title=_str(getattr(post, "title", None)),
        network=_str(getattr(post, "network", None)),
        lang=_str(getattr(post, "lang", None)),
        url=_str(getattr(post, "url", None)),
        handle=_str(handle),
        followers=_count(followers),
    )
