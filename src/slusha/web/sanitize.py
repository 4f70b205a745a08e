"""Untrusted post HTML made inert: nh3 allow-list, safe links only."""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = {
    "a", "p", "br", "b", "strong", "i", "em", "u", "s", "blockquote", "code", "pre", "ul", "ol",
    "li", "span", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "sub", "sup", "small",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s) or mailto; ``javascript:``, ``data:`` and the rest give None."""
    if not url:
        return None
    text = "".join(ch for ch in url.strip() if ch >= " " and ch != "\x7f")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in SAFE_SCHEMES else None


def clean_html(html: str | None) -> str:
    """Post HTML reduced to harmless formatting; links get rel="noopener nofollow ugc"."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        link_rel="noopener nofollow ugc",
        strip_comments=True,
    )
