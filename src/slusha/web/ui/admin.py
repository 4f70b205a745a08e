"""Teams and members, dashboards (the sources page is in ``sources_pages``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from slusha.errors import NotFound
from slusha.services import alert_history, members
from slusha.services.access import can, require
from slusha.services.dashboards import CHARTS
from slusha.store.schema import TEAM_ROLES
from slusha.web.deps import Caller, checked_caller, current_caller, render, web_state
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)


@router.get("/teams")
def teams_page(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    teams = members.list_teams(state.db, principal=caller.principal)
    principal = caller.principal
    failing = alert_history.failing_channels(
        state.db, team_ids=None if principal.is_admin else sorted(principal.roles)
    )
    return render(request, "teams/list.html", caller=caller, teams=teams, failing=failing)


@router.post("/teams")
def create_team(
    name: Annotated[str, Form(max_length=200)],
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    team = members.add_team(state.db, principal=caller.principal, name=name, clock=state.clock)
    return RedirectResponse(f"/teams/{team['id']}", status_code=303)


@router.get("/teams/{team_id:int}")
def team_page(
    request: Request,
    team_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    team = members.list_members(state.db, principal=caller.principal, team_id=team_id)
    return render(
        request, "teams/detail.html", caller=caller, team=team, roles=TEAM_ROLES,
        can_manage=can(caller.principal, "members.write", team_id),
    )  # fmt: skip


@router.post("/teams/{team_id:int}/members")
def set_member(
    team_id: int,
    username: Annotated[str, Form(max_length=150)],
    role: Annotated[str, Form(max_length=20)],
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    members.set_member(
        state.db, principal=caller.principal, team_id=team_id, username=username, role=role,
        clock=state.clock,
    )  # fmt: skip
    return RedirectResponse(f"/teams/{team_id}", status_code=303)


@router.post("/teams/{team_id:int}/members/{user_id:int}/remove")
def remove_member(
    team_id: int,
    user_id: int,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    members.remove_member(
        state.db, principal=caller.principal, team_id=team_id, user_id=user_id, clock=state.clock
    )
    return RedirectResponse(f"/teams/{team_id}", status_code=303)


@router.get("/dashboard")
def org_dashboard(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    require(caller.principal, "dashboards.read")
    teams = [
        t for t in members.list_teams(state.db, principal=caller.principal)
        if caller.principal.is_member(t["id"])
    ]  # fmt: skip
    return render(
        request, "dashboard.html", caller=caller, team=None, teams=teams, charts=CHARTS,
        base="/api/v1/dashboards/org",
    )  # fmt: skip


@router.get("/dashboard/teams/{team_id:int}")
def team_dashboard(
    request: Request,
    team_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    if not caller.principal.is_member(team_id):
        raise NotFound(f"no team with id {team_id}")
    require(caller.principal, "dashboards.read", team_id)
    teams = [
        t for t in members.list_teams(state.db, principal=caller.principal)
        if caller.principal.is_member(t["id"])
    ]  # fmt: skip
    team = next((t for t in teams if t["id"] == team_id), None)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return render(
        request, "dashboard.html", caller=caller, team=team, teams=teams, charts=CHARTS,
        base=f"/api/v1/dashboards/teams/{team_id}",
    )  # fmt: skip
