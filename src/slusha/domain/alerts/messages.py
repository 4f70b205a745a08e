"""The ``Alert`` value object that notifiers render and the store records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from slusha.domain.alerts.explain import Explanation, PostSummary

AlertState = Literal["firing", "resolved", "info"]
ALERT_STATES: tuple[str, ...] = ("firing", "resolved", "info")
PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Alert:
    """One message about one rule: an incident firing or resolved, a mention, a summary.

    ``id`` is deterministic (rule, incident or post, state), so a delivery retried after a crash
    carries the same id and receivers can drop the duplicate.
    """

    id: str
    rule_id: str
    rule_name: str
    team: str
    kind: str
    state: AlertState
    title: str
    summary: str
    created_at: datetime
    explanation: Explanation
    incident_id: str | None = None
    topic_ids: tuple[str, ...] = ()

    @property
    def posts(self) -> tuple[PostSummary, ...]:
        """The posts behind the alert (the explanation's top posts)."""
        return self.explanation.top_posts

    @property
    def link(self) -> str | None:
        """The link to the filtered stream, when the server knows its base URL."""
        return self.explanation.stream_url

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON: the webhook payload and the stored form."""
        return {
            "version": PAYLOAD_VERSION,
            "id": self.id,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "team": self.team,
            "kind": self.kind,
            "state": self.state,
            "title": self.title,
            "summary": self.summary,
            "created_at": self.created_at.isoformat(),
            "incident_id": self.incident_id,
            "topic_ids": list(self.topic_ids),
            "explanation": self.explanation.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """Read the JSON form back."""
        state = data["state"]
        if state not in ALERT_STATES:
            raise ValueError(f"unknown alert state {state!r}")
        return cls(
            id=data["id"],
            rule_id=data["rule_id"],
            rule_name=data.get("rule_name", ""),
            team=data["team"],
            kind=data["kind"],
            state=state,
            title=data["title"],
            summary=data["summary"],
            created_at=datetime.fromisoformat(data["created_at"]),
            explanation=Explanation.from_dict(data["explanation"]),
            incident_id=data.get("incident_id"),
            topic_ids=tuple(data.get("topic_ids", ())),
        )


def sample_alert(*, rule_id: str, team: str, now: datetime, link: str | None = None) -> Alert:
    """A harmless alert for ``slusha alerts test``: proves the channel works end to end."""
    return Alert(
        id=f"{rule_id}:test:{now.isoformat()}",
        rule_id=rule_id,
        rule_name="Test",
        team=team,
        kind="match",
        state="info",
        title="Test alert from Slusha",
        summary="If you can read this, alerts of this rule reach this channel.",
        created_at=now,
        explanation=Explanation(
            reason="someone ran a channel test", stream_url=link, facts=(("Team", team),)
        ),
    )
