"""Inbox rules: status transitions, @member mentions in notes, saved-reply placeholders."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from slusha.errors import InputError

STATUSES = ("new", "open", "waiting", "resolved", "ignored")
OPEN_STATUSES = ("new", "open", "waiting")
CLOSED_STATUSES = ("resolved", "ignored")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "waiting", "resolved", "ignored"}),
    "open": frozenset({"waiting", "resolved", "ignored"}),
    "waiting": frozenset({"open", "resolved", "ignored"}),
    "resolved": frozenset({"open"}),  # reopened by a member or by the author writing again
    "ignored": frozenset({"open"}),
}
PLACEHOLDERS = ("author", "topic", "team", "agent")
MAX_NOTE_CHARS = 10_000
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]{1,150})")


def check_transition(old: str, new: str) -> None:
    """Raise ``InputError`` unless ``old -> new`` is an allowed status change."""
    if new not in STATUSES:
        raise InputError(f"unknown status {new!r} (one of: {', '.join(STATUSES)})")
    if new == old:
        raise InputError(f"the mention is {old} already", code="conflict")
    if new not in TRANSITIONS.get(old, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(old, frozenset()))) or "none"
        raise InputError(f"a {old} mention cannot become {new} (allowed: {allowed})")


def mentioned_names(text: str) -> list[str]:
    """``@username`` mentions in a note, in order, without repeats (case kept as written)."""
    seen: dict[str, str] = {}
    for name in _MENTION.findall(text):
        name = name.rstrip(".-")
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def render_saved_reply(template: str, values: Mapping[str, str | None]) -> str:
    """Fill ``{author}``, ``{topic}``, ``{team}``, ``{agent}``; nothing else is evaluated.

    Only bare names are replaced: ``{author.__class__}`` or ``{0}`` are refused, and values
    are inserted as plain text (a value holding ``{team}`` is not expanded again).
    """
    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InputError(f"the saved reply has unbalanced braces: {exc}") from None
    for literal, field, spec, conversion in parsed:
        out.append(literal)
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise InputError(f"unknown placeholder {{{field}}} (use {known})")
        out.append(values.get(field) or "")
    return "".join(out)
