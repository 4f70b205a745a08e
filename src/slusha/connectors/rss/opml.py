"""OPML subscription lists (the export format of feed readers) to feed URLs. PURE."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from slusha.errors import InputError


@dataclass(frozen=True)
class OpmlFeed:
    """One subscription in an OPML file."""

    title: str
    url: str


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Every ``<outline xmlUrl=...>`` of an OPML 1.0/2.0 document, in order, without repeats.

    defusedxml refuses entity declarations and external references, so an OPML file cannot
    expand into gigabytes or read local files.
    """
    try:
        root: Element = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise InputError(f"the OPML file was refused: {exc}") from None
    except SafeET.ParseError as exc:
        raise InputError(f"the OPML file is not well-formed XML ({exc})") from None
    if root.tag.lower() != "opml":
        raise InputError(f"not an OPML file (root element is <{root.tag}>, expected <opml>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or url).strip()
        feeds.append(OpmlFeed(title=title, url=url))
    return feeds
