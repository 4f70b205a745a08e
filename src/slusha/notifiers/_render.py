"""Text pieces every notifier shows: the alert read back, facts, posts, words, authors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slusha.domain.alerts.explain import PostSummary
from slusha.domain.alerts.messages import Alert

STATE_COLORS: dict[str, str] = {"firing": "#d0342c", "resolved": "#2e9e5b", "info": "#3b7dd8"}
STATE_LABELS: dict[str, str] = {"firing": "Alert", "resolved": "Resolved", "info": "Info"}


def as_alert(alert: Alert | Mapping[str, Any]) -> Alert:
    """The ``Alert`` behind a payload (notifiers receive the JSON form from the bus)."""
    return alert if isinstance(alert, Alert) else Alert.from_dict(dict(alert))


def facts(alert: Alert) -> list[tuple[str, str]]:
    """Label/value pairs shown as fields: the explanation's facts plus the rule."""
    out = list(alert.explanation.facts)
    out.append(("Rule", alert.rule_name or alert.rule_id))
    return out


def post_line(post: PostSummary, *, limit: int = 200) -> str:
    """``author (network): text`` on one line, shortened."""
    text = post.text if len(post.text) <= limit else post.text[: limit - 1] + "…"
    who = post.author or "someone"
    return f"{who} ({post.network}): {text}"


def words_line(alert: Alert) -> str:
    """``Top words: a (5), b (3)`` or ''."""
    words = alert.explanation.top_words
    return "Top words: " + ", ".join(f"{w} ({n})" for w, n in words) if words else ""


def authors_line(alert: Alert) -> str:
    """``Top authors: @a (3), @b (2)`` or ''."""
    authors = alert.explanation.top_authors
    return "Top authors: " + ", ".join(f"{a} ({n})" for a, n in authors) if authors else ""


def plain_text(alert: Alert) -> str:
    """The whole alert as plain text (e-mail alternative, chat fallbacks)."""
    lines = [alert.title, "", alert.summary, ""]
    lines += [f"{label}: {value}" for label, value in facts(alert)]
    lines.append(f"Why: {alert.explanation.reason}")
    if alert.posts:
        lines += ["", "Top posts:"]
        for post in alert.posts:
            lines.append(f"- {post_line(post)}")
            if post.url:
                lines.append(f"  {post.url}")
    for extra in (words_line(alert), authors_line(alert)):
        if extra:
            lines += ["", extra]
    if alert.link:
        lines += ["", f"Open the stream: {alert.link}"]
    return "\n".join(lines).strip() + "\n"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
