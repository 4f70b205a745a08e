"""De-duplication into incidents and their resolution, with the state kept as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from slusha.domain.alerts import Check, IncidentState, advance_incident

T0 = datetime(2026, 5, 4, 10, tzinfo=UTC)


def check(observed: float, at: datetime) -> Check:
    return Check(
        kind="spike",
        window_start=at - timedelta(hours=1),
        window_end=at,
        observed=observed,
        expected=10,
        threshold=30,
        resolve_below=20,
        p_value=0.5,
        is_anomaly=observed >= 30,
        is_clear=observed < 20,
    )


def replay(levels: list[float], *, clear_after_seconds: float = 600):
    """Evaluate one level a minute, storing and reloading the state as JSON each time."""
    stored = json.dumps(IncidentState().to_dict())
    changes = []
    for minute, level in enumerate(levels):
        now = T0 + timedelta(minutes=minute)
        state = IncidentState.from_dict(json.loads(stored))
        state, change = advance_incident(
            state, check(level, now), rule_id="r7", now=now, clear_after_seconds=clear_after_seconds
        )
        stored = json.dumps(state.to_dict())
        if change is not None:
            changes.append((minute, change))
    return changes, IncidentState.from_dict(json.loads(stored))


def test_one_incident_while_the_spike_lasts_then_one_resolved() -> None:
    levels = [10] * 5 + [45] * 40 + [25] * 10 + [12] * 15
    changes, state = replay(levels)
    assert [(m, c.kind) for m, c in changes] == [(5, "opened"), (65, "resolved")]
    opened, resolved = changes[0][1], changes[1][1]
    assert opened.incident_id == resolved.incident_id == "r7@20260504T100500Z"
    assert resolved.peak == 45 and resolved.opened_at == T0 + timedelta(minutes=5)
    assert not state.is_open and state.last_resolved_at == T0 + timedelta(minutes=65)


def test_hovering_between_the_lines_keeps_the_incident_open() -> None:
    changes, state = replay([40] + [25] * 120)
    assert [c.kind for _, c in changes] == ["opened"]
    assert state.is_open


def test_a_relapse_while_clearing_restarts_the_calm_period() -> None:
    levels = [40] + [10] * 5 + [35] + [10] * 10 + [10]
    changes, _ = replay(levels)
    assert [(m, c.kind) for m, c in changes] == [(0, "opened"), (17, "resolved")]


def test_a_new_spike_after_resolution_is_a_new_incident() -> None:
    changes, _ = replay([40] + [10] * 11 + [40], clear_after_seconds=600)
    kinds = [(m, c.kind) for m, c in changes]
    assert kinds == [(0, "opened"), (11, "resolved"), (12, "opened")]
    assert changes[0][1].incident_id != changes[2][1].incident_id


def test_replaying_the_same_check_names_the_same_incident() -> None:
    first, _ = replay([40])
    second, _ = replay([40])
    assert first[0][1].incident_id == second[0][1].incident_id
