"""The alerts page of a team: its rules (create, enable, disable, snooze, send a test), recent
alerts with their explanations, and delivery records. Managers and admins change rules,
every member reads; other teams' pages are not found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from slusha.errors import InputError, NotFound
from slusha.services import alert_history, members, topic_editor
from slusha.services import alerts as alert_service
from slusha.services.access import can, require
from slusha.services.alert_specs import FilterQueryError
from slusha.web.api.alerts import AlertRuleCreate, create_from, rule_for
from slusha.web.deps import Caller, checked_caller, current_caller, render, web_state
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)
KINDS = ("match", "spike", "sentiment", "influencer", "digest")
SENTIMENTS = ("positive", "neutral", "negative")
SNOOZE_HOURS = (1, 4, 24, 168)
LIST_FIELDS = ("networks", "languages", "watch_list")
TEXT_FIELDS = ("name", "filter", "throttle", "quiet_hours", "window", "schedule",
               "min_followers", "sensitivity", "min_count")  # fmt: skip
EMPTY_FORM: dict[str, Any] = {
    "kind": "match", "topics": [], "sentiments": [], "channels": "", "timezone": "UTC",
    **{k: "" for k in TEXT_FIELDS + LIST_FIELDS},
}  # fmt: skip


def _member_teams(state: WebState, caller: Caller) -> list[dict[str, Any]]:
    return [
        t for t in members.list_teams(state.db, principal=caller.principal)
        if caller.principal.is_member(t["id"])
    ]  # fmt: skip


def _team(state: WebState, caller: Caller, team_id: int) -> tuple[dict[str, Any], list[Any]]:
    if not caller.principal.is_member(team_id):
        raise NotFound(f"no team with id {team_id}")
    require(caller.principal, "topics.read", team_id)
    teams = _member_teams(state, caller)
    team = next((t for t in teams if t["id"] == team_id), None)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team, teams


def _snoozed(rules: list[Any], now: datetime) -> set[int]:
    out = set()
    for rule in rules:
        until = rule.snoozed_until
        if until is not None and (until if until.tzinfo else until.replace(tzinfo=UTC)) > now:
            out.add(rule.id)
    return out


def _page(
    request: Request,
    state: WebState,
    caller: Caller,
    team_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    check: Any = None,
    secrets: list[tuple[str, str]] | None = None,
    tested: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    team, teams = _team(state, caller, team_id)
    rules = alert_service.list_rules(state.db, team=team["name"])
    topics = [
        t for t in topic_editor.list_visible_topics(state.db, principal=caller.principal)
        if t["team"]["id"] == team_id
    ]  # fmt: skip
    form = form or dict(EMPTY_FORM)
    if check is None and form.get("filter"):
        check = topic_editor.check_query(form["filter"])
    return render(
        request, "alerts/team.html", caller=caller, team=team, teams=teams, rules=rules,
        topics=topics, form=form, errors=errors or [], check=check, query=form.get("filter", ""),
        secrets=secrets or [], tested=tested, kinds=KINDS, sentiments=SENTIMENTS,
        snooze_hours=SNOOZE_HOURS, snoozed=_snoozed(rules, state.clock.now()),
        editable=can(caller.principal, "topics.write", team_id),
        alerts=alert_history.recent_alerts(state.db, team_id=team_id),
        deliveries=alert_history.team_deliveries(state.db, team_id=team_id),
        status_code=status_code,
    )  # fmt: skip


@router.get("/alerts")
def alerts_index(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    teams = _member_teams(state, caller)
    if len(teams) == 1:
        return RedirectResponse(f"/alerts/teams/{teams[0]['id']}", status_code=303)
    return render(request, "alerts/index.html", caller=caller, teams=teams)


@router.get("/alerts/teams/{team_id:int}")
def team_alerts(
    request: Request,
    team_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _page(request, state, caller, team_id)


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS + LIST_FIELDS}
    values["kind"] = str(form.get("kind") or "match")
    values["timezone"] = str(form.get("timezone") or "UTC").strip() or "UTC"
    values["topics"] = [str(v) for v in form.getlist("topics") if str(v).strip()]
    values["sentiments"] = [str(v) for v in form.getlist("sentiments")]
    values["channels"] = str(form.get("channels") or "")
    return values


def _body(team_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The API's JSON body for the form values: blanks left out, lists split."""
    body: dict[str, Any] = {
        "team_id": team_id, "kind": values["kind"], "topics": values["topics"],
        "sentiments": values["sentiments"], "timezone": values["timezone"],
    }  # fmt: skip
    body["channels"] = [c.strip() for c in values["channels"].splitlines() if c.strip()]
    for key in LIST_FIELDS:
        body[key] = [part.strip() for part in values[key].split(",") if part.strip()]
    body.update({key: values[key] for key in TEXT_FIELDS if values[key]})
    return body


def _errors(exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        out.append(f"{where}: {str(error.get('msg', '')).removeprefix('Value error, ')}")
    return out


@router.post("/alerts/teams/{team_id:int}/rules")
async def create_rule(
    request: Request,
    team_id: int,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    if not caller.principal.is_member(team_id):
        raise NotFound(f"no team with id {team_id}")
    require(caller.principal, "topics.write", team_id)
    values = _form_values(await request.form())

    def attempt() -> Response:
        try:
            body = AlertRuleCreate.model_validate(_body(team_id, values))
            created = create_from(state, caller.principal, body)
        except ValidationError as exc:
            return _page(request, state, caller, team_id, form=values, errors=_errors(exc),
                         status_code=422)  # fmt: skip
        except FilterQueryError as exc:
            check = topic_editor.check_query(exc.query)
            return _page(request, state, caller, team_id, form=values, errors=[exc.message],
                         check=check, status_code=422)  # fmt: skip
        except InputError as exc:  # Conflict and the channel errors are InputErrors too
            return _page(request, state, caller, team_id, form=values, errors=[exc.message],
                         status_code=422)  # fmt: skip
        if created.secrets:  # shown once: the page itself, not a redirect
            return _page(request, state, caller, team_id, secrets=created.secrets)
        return RedirectResponse(f"/alerts/teams/{team_id}", status_code=303)

    return await run_in_threadpool(attempt)


@router.post("/alerts/check")
def check_filter(
    request: Request,
    filter: Annotated[str, Form(max_length=4000)] = "",
    caller: Caller = Depends(checked_caller),
) -> Response:
    check = topic_editor.check_query(filter) if filter.strip() else None
    return render(request, "topics/_check.html", caller=caller, check=check, query=filter)


def _back(state: WebState, rule_id: int) -> Response:
    team_id = alert_service.team_id_of(state.db, rule_id=rule_id)
    return RedirectResponse(f"/alerts/teams/{team_id}#rule-{rule_id}", status_code=303)


@router.post("/alerts/rules/{rule_id:int}/snooze")
def snooze_rule(
    rule_id: int,
    hours: Annotated[int, Form(ge=0, le=24 * 31)] = 0,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    rule_for(state, caller.principal, rule_id, "topics.write")
    until = state.clock.now() + timedelta(hours=hours) if hours else None
    alert_service.snooze_rule(
        state.db, name_or_id=str(rule_id), until=until, clock=state.clock,
        actor=caller.principal.username,
    )  # fmt: skip
    return _back(state, rule_id)


@router.post("/alerts/rules/{rule_id:int}/test")
async def test_rule(
    request: Request,
    rule_id: int,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    view = await run_in_threadpool(rule_for, state, caller.principal, rule_id, "topics.write")
    results = await alert_service.send_test_alerts(
        state.db, name_or_id=str(rule_id), host=state.host, actor=caller.principal.username
    )
    team_id = await run_in_threadpool(alert_service.team_id_of, state.db, rule_id=rule_id)
    tested = {"rule": view, "results": results}
    return await run_in_threadpool(lambda: _page(request, state, caller, team_id, tested=tested))


# Last: the snooze and test routes above must match before this one.
@router.post("/alerts/rules/{rule_id:int}/{action:str}")
def toggle_rule(
    rule_id: int,
    action: str,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    if action not in ("enable", "disable"):
        raise NotFound(f"no action {action!r}")
    rule_for(state, caller.principal, rule_id, "topics.write")
    alert_service.set_rule_enabled(
        state.db, name_or_id=str(rule_id), enabled=action == "enable", clock=state.clock,
        actor=caller.principal.username,
    )  # fmt: skip
    return _back(state, rule_id)
