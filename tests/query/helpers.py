"""Helpers shared by the query tests: posts in the post format, and one check run three ways."""

from __future__ import annotations

from typing import Any

from slusha.query import Matcher, compile_query, evaluate


def post(text: str = "", **fields: Any) -> dict[str, Any]:
    """A post-format dict with the required keys filled in."""
    out: dict[str, Any] = {
        "network": "x",
        "id": "1",
        "text": text,
        "created_at": "2026-11-27T09:15:00+00:00",
    }
    out.update(fields)
    return out


def matches(query: str, item: Any) -> bool:
    """Whether ``query`` matches ``item``, asserting that every way of asking agrees.

    The compiled query, a one-topic Matcher, a Matcher crowded with other topics, and the
    reference evaluator must all give the same answer.
    """
    compiled = compile_query(query)
    if isinstance(item, str):
        item = post(item)
    direct = compiled.matches(item)
    alone = Matcher({"t": query}).match(item) == {"t"}
    crowd = Matcher({"t": query, "other": "zzzunrelated", "f": "lang:xx", "w": "qqq*"})
    crowded = "t" in crowd.match(item)
    reference = evaluate(compiled.tree, item)
    assert direct == alone == crowded == reference, (direct, alone, crowded, reference)
    return direct
