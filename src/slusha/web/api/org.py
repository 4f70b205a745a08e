"""``/api/v1/teams``: teams and members (sources are in ``sources``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from slusha.services import members
from slusha.web.api.common import Id
from slusha.web.api.schemas import MemberSet, TeamCreate, TeamMembersRead, TeamRead
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.get("/teams", response_model=list[TeamRead], tags=["teams"], summary="Teams")
def get_teams(
    caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    return members.list_teams(state.db, principal=caller.principal)


@router.post(
    "/teams", response_model=TeamRead, status_code=201, tags=["teams"], summary="Create a team"
)
def create_team(
    body: TeamCreate, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    return members.add_team(state.db, principal=caller.principal, name=body.name, clock=state.clock)


@router.get(
    "/teams/{team_id}/members", response_model=TeamMembersRead, tags=["teams"],
    summary="A team's members",
)  # fmt: skip
def get_members(
    team_id: Id, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    return members.list_members(state.db, principal=caller.principal, team_id=team_id)


@router.put(
    "/teams/{team_id}/members", response_model=TeamMembersRead, tags=["teams"],
    summary="Give a member a role in the team",
)  # fmt: skip
def put_member(
    team_id: Id,
    body: MemberSet,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    return members.set_member(
        state.db, principal=caller.principal, team_id=team_id, username=body.username,
        role=body.role, clock=state.clock,
    )  # fmt: skip


@router.delete(
    "/teams/{team_id}/members/{user_id}", response_model=TeamMembersRead, tags=["teams"],
    summary="Take a member out of the team",
)  # fmt: skip
def delete_member(
    team_id: Id,
    user_id: Id,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    return members.remove_member(
        state.db, principal=caller.principal, team_id=team_id, user_id=user_id, clock=state.clock
    )
