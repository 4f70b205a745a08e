"""``/api/v1/dashboards``: chart data and Vega-Lite specs from the rollups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from slusha.services import dashboards
from slusha.web.api.common import Id
from slusha.web.api.schemas import ChartRead
from slusha.web.deps import Caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(tags=["dashboards"], responses=PROBLEM_RESPONSES)
ChartName = Literal["volume", "sentiment", "networks", "languages", "topics"]
Days = Annotated[int, Query(ge=1, le=366)]


@router.get("/dashboards/org/{chart}", response_model=ChartRead, summary="Organisation chart")
def org_chart(
    chart: ChartName,
    days: Days = 30,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    return dashboards.chart(
        state.db, principal=caller.principal, name=chart, clock=state.clock, days=days
    )


@router.get("/dashboards/teams/{team_id}/{chart}", response_model=ChartRead, summary="Team chart")
def team_chart(
    team_id: Id,
    chart: ChartName,
    days: Days = 30,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    return dashboards.chart(
        state.db, principal=caller.principal, name=chart, clock=state.clock, team_id=team_id,
        days=days,
    )  # fmt: skip
