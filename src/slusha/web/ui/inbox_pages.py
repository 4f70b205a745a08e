"""The inbox pages: a team's open work, the member's own ("mine"), bulk actions, the SLA report.

The lists run the API's query (``inbox.resolve_filter`` + ``inbox.list_inbox``, keyset pages
on ``posted_at, id``), so they stay as fast as ``/api/v1/inbox`` at a million mentions.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from slusha.domain.inbox import STATUSES
from slusha.domain.routing import PRIORITIES
from slusha.errors import InputError, NotFound
from slusha.services import inbox, inbox_views, reports
from slusha.services.inbox_access import can_inbox
from slusha.services.members import list_teams
from slusha.web.deps import Caller, checked_caller, current_caller, render, web_state
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)
PAGE = 50
FILTERS = ("status", "priority", "assignee", "tag")


def _filters(request: Request) -> dict[str, str]:
    out = {}
    for name in FILTERS:
        value = request.query_params.get(name, "").strip()[:150]
        if value:
            out[name] = value
    return out


def _before(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    when, _, mention_id = cursor.rpartition(",")
    try:
        return datetime.fromisoformat(when), int(mention_id)
    except ValueError:
        return None


def _my_teams(state: WebState, caller: Caller) -> list[dict[str, Any]]:
    return [
        t
        for t in list_teams(state.db, principal=caller.principal)
        if caller.principal.is_member(t["id"])
    ]


def _list(
    request: Request,
    caller: Caller,
    state: WebState,
    *,
    team: dict[str, Any] | None,
    mine: bool,
) -> Response:
    values = _filters(request)
    status = values.get("status")
    if status not in (*STATUSES, "all"):
        status = None
    priority = values.get("priority") if values.get("priority") in PRIORITIES else None
    assignee = values.get("assignee", "")
    error = ""
    items: list[dict[str, Any]] = []
    try:
        filters = inbox.resolve_filter(
            state.db,
            principal=caller.principal,
            team=team["name"] if team else None,
            mine=mine,
            status=status,
            priority=priority,
            tag_name=values.get("tag"),
            unassigned=assignee == "-",
        )
        if assignee and assignee != "-" and not mine:
            user_id = inbox_views.user_id_of(state.db, username=assignee)
            filters = dataclasses.replace(filters, assignee_id=user_id if user_id else -1)
        items = inbox.list_inbox(
            state.db,
            principal=caller.principal,
            filters=filters,
            limit=PAGE,
            before=_before(request.query_params.get("cursor")),
        )
    except InputError as exc:
        error = exc.message
    more = ""
    if len(items) == PAGE:
        last = items[-1]
        more = "?" + urlencode({**values, "cursor": f"{last['posted_at']},{last['mention_id']}"})
    team_id = team["id"] if team else None
    return render(
        request,
        "inbox/list.html",
        caller=caller,
        items=items,
        team=team,
        mine=mine,
        teams=_my_teams(state, caller),
        filters=values,
        statuses=STATUSES,
        priorities=PRIORITIES,
        workers=inbox_views.workers(state.db, team_id=team_id) if team_id else [],
        hand_over_to=[n for n in inbox_views.team_names(state.db) if not team or n != team["name"]],
        can_work=can_inbox(caller.principal, "inbox.work", team_id),
        more_url=more,
        error=error,
        back=request.url.path + ("?" + request.url.query if request.url.query else ""),
    )


@router.get("/inbox")
def inbox_home(
    request: Request,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    teams = _my_teams(state, caller)
    if len(teams) == 1 or (teams and not caller.principal.is_admin):
        return RedirectResponse(f"/inbox/teams/{teams[0]['id']}", status_code=303)
    return render(request, "inbox/teams.html", caller=caller, teams=teams)


@router.get("/inbox/teams/{team_id:int}")
def team_inbox(
    request: Request,
    team_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    team = inbox_views.team_of(state.db, team_id=team_id)
    return _list(request, caller, state, team=team, mine=False)


@router.get("/inbox/mine")
def mine_inbox(
    request: Request,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _list(request, caller, state, team=None, mine=True)


def _safe_back(back: str) -> str:
    if back.startswith("/inbox") and not back.startswith("//") and "\\" not in back:
        return back
    return "/inbox"


def _tags(text: str) -> list[str]:
    """Tags typed as "vip, refund" or "vip refund"."""
    return [t for t in text.replace(",", " ").split() if t][:20]


@router.post("/inbox/bulk")
def bulk(
    request: Request,
    mention_ids: Annotated[list[int], Form(max_length=inbox.BULK_LIMIT)],
    status: Annotated[str, Form(max_length=20)] = "",
    assign_to: Annotated[str, Form(max_length=150)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    add_tags: Annotated[str, Form(max_length=500)] = "",
    remove_tags: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/inbox",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    """One change to the selection, through ``inbox.bulk`` (each mention checked on its own)."""
    if assign_to == "me":
        assign_to = caller.principal.username
    result = inbox.bulk(
        state.db,
        principal=caller.principal,
        mention_ids=mention_ids,
        clock=state.clock,
        status=status or None,
        assign_to=assign_to or None,
        team=team or None,
        note=note.strip() or None,
        priority=priority or None,
        add_tags=_tags(add_tags),
        remove_tags=_tags(remove_tags),
    )
    for mention_id in result.done:
        state.mention_wakeups.notify(mention_id)
    target = _safe_back(back)
    joiner = "&" if "?" in target else "?"
    target += joiner + urlencode({"done": len(result.done), "failed": len(result.failed)})
    return RedirectResponse(target, status_code=303)


@router.get("/inbox/report")
def sla_report_page(
    request: Request,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    teams = _my_teams(state, caller)
    team = request.query_params.get("team", "")[:200] or None
    if team is not None and team not in [t["name"] for t in teams]:
        raise NotFound(f"no team named {team!r} among yours")
    report = reports.sla_report(state.db, clock=state.clock, team=team, principal=caller.principal)
    if request.query_params.get("format") == "csv":
        return PlainTextResponse(reports.to_csv(report.rows()), media_type="text/csv")
    return render(
        request,
        "inbox/report.html",
        caller=caller,
        report=report,
        teams=teams,
        team=team or "",
        csv_url="/inbox/report?" + urlencode({"team": team or "", "format": "csv"}),
    )
