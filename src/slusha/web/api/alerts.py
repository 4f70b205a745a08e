"""``/api/v1/alerts``: list, create, read, enable, disable, snooze and test alert rules, and read
their deliveries. Errors (``SlushaError``) become problem details in the app's handlers.

Authorisation: reading a rule needs ``topics.read`` in its team, changing or testing one
``topics.write`` there (until ``services.access.POLICY`` has ``alerts.*`` actions of its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from slusha.errors import NotFound
from slusha.services import alerts as alert_service
from slusha.services.access import Principal, can, require
from slusha.services.alert_specs import RuleSpec
from slusha.web.api.common import MAX_ID, Id
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(tags=["alerts"], responses=PROBLEM_RESPONSES)
RuleKind = Literal["match", "spike", "sentiment", "influencer", "digest"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AlertRuleCreate(_Strict):
    """A new rule: the same fields as ``slusha alerts add``."""

    team_id: int = Field(ge=1, le=MAX_ID)
    kind: RuleKind
    topics: list[str] = Field(default_factory=list, description="Topic names or ids.")
    channels: list[str] = Field(
        min_length=1, description="email:ADDR, slack:URL, teams:URL, mattermost:URL, webhook:URL"
    )
    name: str | None = Field(None, max_length=200)
    filter: str | None = Field(None, max_length=4000, description="Refinement query.")
    networks: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    sentiments: list[Literal["positive", "neutral", "negative"]] = Field(default_factory=list)
    min_followers: int | None = Field(None, ge=0)
    watch_list: list[str] = Field(default_factory=list)
    throttle: str | None = Field(None, description="N/PERIOD, e.g. 10/1h")
    quiet_hours: str | None = Field(None, description="HH:MM-HH:MM [mon,tue,...]")
    timezone: str = "UTC"
    sensitivity: float | None = Field(None, gt=0)
    window: str | None = Field(None, description="e.g. 1h or 30m")
    min_count: int | None = Field(None, ge=1)
    schedule: str | None = Field(None, description="hourly | daily HH:MM | weekly DAY HH:MM")


class ChannelRead(BaseModel):
    """A channel, its target masked, and how its last delivery went."""

    index: int
    kind: str
    target: str
    health: str
    reason: str | None
    message: str
    last_at: datetime | None


class AlertRuleRead(BaseModel):
    """A rule as the API shows it (no secrets)."""

    id: int
    name: str
    team: str
    kind: str
    topics: list[str]
    filters: dict[str, Any]
    config: dict[str, Any]
    channels: list[ChannelRead]
    enabled: bool
    snoozed_until: datetime | None
    incident_open: bool
    failing: bool
    created_at: datetime
    created_by: str


class AlertRuleCreated(AlertRuleRead):
    """A created rule, with each webhook channel's signing secret (shown this once)."""

    webhook_secrets: dict[str, str]


class SnoozeUpdate(_Strict):
    """Snooze until a time (with offset), or wake with null."""

    until: datetime | None


class ChannelTestRead(BaseModel):
    """The outcome of the sample alert on one channel."""

    target: str
    status: str
    attempts: int
    reason: str | None
    message: str


class DeliveryRead(BaseModel):
    """One recorded delivery."""

    id: int
    rule_id: int
    alert: str
    title: str
    channel: str
    target: str
    status: str
    attempts: int
    reason: str | None
    message: str
    at: datetime


def rule_for(state: WebState, principal: Principal, rule_id: int, action: str) -> Any:
    view = alert_service.get_rule(state.db, name_or_id=str(rule_id))
    team_id = alert_service.team_id_of(state.db, rule_id=rule_id)
    if not principal.is_member(team_id):
        raise NotFound(f"no alert rule {rule_id}")  # others' rules are not even listed
    require(principal, action, team_id)
    return view


@router.get("/alerts", response_model=list[AlertRuleRead], summary="Alert rules")
def list_rules(
    team_id: int | None = Query(None, ge=1, le=MAX_ID),
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> list[dict[str, Any]]:
    principal = caller.principal
    team = alert_service.team_name(state.db, team_id=team_id) if team_id else None
    views = alert_service.list_rules(state.db, team=team)
    teams = alert_service.rule_teams(state.db)
    return [
        v.to_dict()
        for v in views
        if can(principal, "topics.read", teams[v.id]) and principal.is_member(teams[v.id])
    ]


@router.post("/alerts", response_model=AlertRuleCreated, status_code=201, summary="Create a rule")
def create_rule(
    body: AlertRuleCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    created = create_from(state, caller.principal, body)
    return {**created.rule.to_dict(), "webhook_secrets": dict(created.secrets)}


def create_from(
    state: WebState, principal: Principal, body: AlertRuleCreate
) -> alert_service.CreatedRule:
    """Create the rule ``body`` describes (the API and the alerts page share this)."""
    require(principal, "topics.write", body.team_id)
    values = body.model_dump(exclude={"team_id", "filter"})
    spec = RuleSpec(
        team=alert_service.team_name(state.db, team_id=body.team_id),
        filter_query=body.filter,
        **values,
    )
    return alert_service.create_rule(
        state.db, spec=spec, settings=state.settings, clock=state.clock,
        registry=state.registry, actor=principal.username,
    )  # fmt: skip


@router.get("/alerts/{rule_id}", response_model=AlertRuleRead, summary="One rule")
def get_rule(
    rule_id: Id, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    result: dict[str, Any] = rule_for(state, caller.principal, rule_id, "topics.read").to_dict()
    return result


def _toggle(state: WebState, caller: Caller, rule_id: int, enabled: bool) -> dict[str, Any]:
    rule_for(state, caller.principal, rule_id, "topics.write")
    view = alert_service.set_rule_enabled(
        state.db,
        name_or_id=str(rule_id),
        enabled=enabled,
        clock=state.clock,
        actor=caller.principal.username,
    )
    return view.to_dict()


@router.post("/alerts/{rule_id}/disable", response_model=AlertRuleRead, summary="Disable")
def disable_rule(
    rule_id: Id, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    return _toggle(state, caller, rule_id, False)


@router.post("/alerts/{rule_id}/enable", response_model=AlertRuleRead, summary="Enable")
def enable_rule(
    rule_id: Id, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    return _toggle(state, caller, rule_id, True)


@router.post("/alerts/{rule_id}/snooze", response_model=AlertRuleRead, summary="Snooze or wake")
def snooze_rule(
    rule_id: Id,
    body: SnoozeUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    rule_for(state, caller.principal, rule_id, "topics.write")
    view = alert_service.snooze_rule(
        state.db,
        name_or_id=str(rule_id),
        until=body.until,
        clock=state.clock,
        actor=caller.principal.username,
    )
    return view.to_dict()


@router.post(
    "/alerts/{rule_id}/test",
    response_model=list[ChannelTestRead],
    summary="Send a sample alert through every channel",
)
async def test_rule(
    rule_id: Id, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    rule_for(state, caller.principal, rule_id, "topics.write")
    results = await alert_service.send_test_alerts(
        state.db, name_or_id=str(rule_id), host=state.host, actor=caller.principal.username
    )
    return [
        {
            "target": t.channel.target,
            "status": t.result.status,
            "attempts": t.result.attempts,
            "reason": t.result.reason,
            "message": t.result.message,
        }
        for t in results
    ]


@router.get("/alerts/{rule_id}/deliveries", response_model=list[DeliveryRead], summary="Deliveries")
def list_deliveries(
    rule_id: Id,
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> list[dict[str, Any]]:
    rule_for(state, caller.principal, rule_id, "topics.read")
    views = alert_service.list_deliveries(state.db, name_or_id=str(rule_id), limit=limit)
    return [v.to_dict() for v in views]
