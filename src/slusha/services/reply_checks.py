"""Pre-send checks: what a reply must pass before it is published.

The interface is small on purpose so that the policy work (blocked words, personal data,
topics that need a reviewer) adds checks without touching the sending code: a check looks at a
``Draft`` and returns ``Issue``s; a blocking issue stops the reply, a warning is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from slusha.errors import InputError

# Characters per reply, as each network counts them (Mastodon's default instance limit).
NETWORK_LIMITS: dict[str, int] = {
    "mastodon": 500,
    "bluesky": 300,
    "x": 280,
    "reddit": 10_000,
    "hackernews": 10_000,
    "youtube": 10_000,
    "facebook": 8_000,
    "instagram": 2_200,
    "linkedin": 1_250,
}
DEFAULT_LIMIT = 5_000


@dataclass(frozen=True, slots=True)
class Draft:
    """A reply about to be published."""

    text: str
    network: str
    mention_id: int
    team_id: int
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding of a check: a stable code, words for the member, and whether it blocks."""

    code: str
    message: str
    blocking: bool = True


class PreSendCheck(Protocol):
    """A check every reply passes through before it is published."""

    name: str

    def check(self, draft: Draft) -> list[Issue]:
        """The issues found in ``draft`` (empty when it may go out)."""
        ...


class EmptyCheck:
    """A reply needs some text."""

    name = "empty"

    def check(self, draft: Draft) -> list[Issue]:
        """Blocks a reply that is empty or only whitespace."""
        if not draft.text.strip():
            return [Issue("reply_empty", "the reply is empty")]
        return []


class LengthCheck:
    """A reply fits the network's limit."""

    name = "length"

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = limits or NETWORK_LIMITS

    def check(self, draft: Draft) -> list[Issue]:
        """Blocks a reply longer than the network allows (counted in characters)."""
        limit = self.limits.get(draft.network, DEFAULT_LIMIT)
        length = len(draft.text)
        if length > limit:
            return [
                Issue(
                    "reply_too_long",
                    f"the reply has {length} characters; {draft.network} allows {limit}",
                )
            ]
        return []


DEFAULT_CHECKS: tuple[PreSendCheck, ...] = (EmptyCheck(), LengthCheck())


class ReplyBlockedError(InputError):
    """A pre-send check refused the reply; ``issues`` say why."""

    code = "reply_blocked"

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = list(issues)


def run_checks(draft: Draft, checks: Sequence[PreSendCheck] = DEFAULT_CHECKS) -> list[Issue]:
    """Every check's issues; raises ``ReplyBlockedError`` when one of them blocks."""
    issues = [issue for check in checks for issue in check.check(draft)]
    blocking = [i for i in issues if i.blocking]
    if blocking:
        raise ReplyBlockedError(blocking)
    return issues
