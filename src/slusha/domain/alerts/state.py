"""Everything the alerting remembers about one rule between evaluations, as one JSON object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slusha.domain.alerts.gate import GateState
from slusha.domain.alerts.incidents import IncidentState

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class RuleState:
    """Incident, gate and digest state of one rule; the store keeps ``to_dict()``."""

    incident: IncidentState = field(default_factory=IncidentState)
    gate: GateState = field(default_factory=GateState)
    last_digest_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON."""
        return {
            "version": STATE_VERSION,
            "incident": self.incident.to_dict(),
            "gate": self.gate.to_dict(),
            "last_digest_at": self.last_digest_at.isoformat() if self.last_digest_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RuleState:
        """Read the JSON form back (None or {} is a fresh rule)."""
        if not data:
            return cls()
        last = data.get("last_digest_at")
        return cls(
            incident=IncidentState.from_dict(data.get("incident")),
            gate=GateState.from_dict(data.get("gate")),
            last_digest_at=datetime.fromisoformat(last) if last else None,
        )
