"""``/api/v1/inbox``: the team inbox, its actions, replies, presence; SLA report; routing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from slusha.errors import InputError
from slusha.services import inbox, presence, replies, reports, routing
from slusha.web.api.common import MAX_ID, Id, utc
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

# Text parameters refuse NUL characters (PostgreSQL cannot compare them: a 500 otherwise).
NO_NUL = r"^[^\x00]*$"
router = APIRouter(tags=["inbox"], responses=PROBLEM_RESPONSES)
Status = Literal["new", "open", "waiting", "resolved", "ignored"]
Priority = Literal["low", "normal", "high", "urgent"]


class StatusUpdate(BaseModel):
    """A status change."""

    status: Status
    note: str | None = Field(None, max_length=2000)


class AssignUpdate(BaseModel):
    """Assign to a member (``user``), hand over to a team (``team``), or unassign."""

    user: str | None = Field(None, max_length=150)
    team: str | None = Field(None, max_length=200)
    unassign: bool = False
    note: str | None = Field(None, max_length=2000)


class PriorityUpdate(BaseModel):
    """A priority change."""

    priority: Priority


class TagsUpdate(BaseModel):
    """Tags to add and remove."""

    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class NoteCreate(BaseModel):
    """An internal note; ``@username`` notifies that member."""

    text: str = Field(max_length=10_000)


class BulkUpdate(BaseModel):
    """One change applied to a selection."""

    mention_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=inbox.BULK_LIMIT
    )
    status: Status | None = None
    assign_to: str | None = Field(None, max_length=150)
    team: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=10_000, description="With a hand-over to `team`")
    priority: Priority | None = None
    add_tags: list[str] = Field(default_factory=list, max_length=50)
    remove_tags: list[str] = Field(default_factory=list, max_length=50)


class ReplyCreate(BaseModel):
    """A reply: text or a team's saved reply; the key resumes an earlier attempt."""

    text: str | None = Field(None, max_length=20_000)
    saved: str | None = Field(None, max_length=200)
    idempotency_key: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    resolve: bool = False


class PresenceUpdate(BaseModel):
    """What the member is doing on the mention."""

    activity: Literal["viewing", "replying"] = "viewing"


def _before(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    when, _, mention_id = cursor.rpartition(",")
    try:
        at = utc(datetime.fromisoformat(when), name="cursor")
        assert at is not None
        return at, int(mention_id)
    except ValueError:
        raise InputError("cursor is not valid (use next_cursor of the previous page)") from None


@router.get("/inbox", summary="A team inbox or the member's own, newest first")
def list_inbox(
    team: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    mine: bool = False,
    status: Annotated[
        str | None, Query(pattern=r"^(new|open|waiting|resolved|ignored|all)$")
    ] = None,
    priority: Priority | None = None,
    tag: Annotated[str | None, Query(max_length=50, pattern=NO_NUL)] = None,
    unassigned: bool = False,
    cursor: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    filters = inbox.resolve_filter(
        state.db,
        principal=caller.principal,
        team=team,
        mine=mine,
        status=status,
        priority=priority,
        tag_name=tag,
        unassigned=unassigned,
    )
    items = inbox.list_inbox(
        state.db, principal=caller.principal, filters=filters, limit=limit, before=_before(cursor)
    )
    last = items[-1] if len(items) == limit else None
    next_cursor = f"{last['posted_at']},{last['mention_id']}" if last else None
    return {"items": items, "next_cursor": next_cursor}


@router.get("/inbox/{mention_id}", summary="One mention with notes, history, conversation, timer")
def get_mention(
    mention_id: Id, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    return inbox.get_mention(state.db, principal=caller.principal, mention_id=mention_id)


@router.post("/inbox/{mention_id}/status", summary="Change the status")
def set_status(
    mention_id: Id,
    body: StatusUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    view = inbox.set_status(
        state.db,
        principal=caller.principal,
        mention_id=mention_id,
        status=body.status,
        note=body.note,
        clock=state.clock,
    )
    state.mention_wakeups.notify(mention_id)  # its open pages update
    return view


@router.post("/inbox/{mention_id}/assign", summary="Assign to a member or hand over to a team")
def assign(
    mention_id: Id,
    body: AssignUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    view = inbox.assign(
        state.db,
        principal=caller.principal,
        mention_id=mention_id,
        clock=state.clock,
        user=body.user,
        team=body.team,
        note=body.note,
        unassign=body.unassign,
    )
    state.mention_wakeups.notify(mention_id)  # its open pages update
    return view


@router.post("/inbox/{mention_id}/priority", summary="Set the priority")
def set_priority(
    mention_id: Id,
    body: PriorityUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    view = inbox.set_priority(
        state.db,
        principal=caller.principal,
        mention_id=mention_id,
        priority=body.priority,
        clock=state.clock,
    )
    state.mention_wakeups.notify(mention_id)  # its open pages update
    return view


@router.post("/inbox/{mention_id}/tags", summary="Add and remove tags")
def set_tags(
    mention_id: Id,
    body: TagsUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    view = inbox.tag(
        state.db,
        principal=caller.principal,
        mention_id=mention_id,
        clock=state.clock,
        add=body.add,
        remove=body.remove,
    )
    state.mention_wakeups.notify(mention_id)  # its open pages update
    return view


@router.post("/inbox/{mention_id}/notes", summary="Add an internal note")
def add_note(
    mention_id: Id,
    body: NoteCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    view = inbox.add_note(
        state.db,
        principal=caller.principal,
        mention_id=mention_id,
        text=body.text,
        clock=state.clock,
    )
    state.mention_wakeups.notify(mention_id)  # its open pages update
    return view


@router.post("/inbox/bulk", summary="Apply one change to a selection")
def bulk(
    body: BulkUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    result = inbox.bulk(
        state.db,
        principal=caller.principal,
        mention_ids=body.mention_ids,
        clock=state.clock,
        status=body.status,
        assign_to=body.assign_to,
        team=body.team,
        priority=body.priority,
        add_tags=body.add_tags,
        note=body.note,
        remove_tags=body.remove_tags,
    )
    for mention_id in result.done:
        state.mention_wakeups.notify(mention_id)
    return {"done": result.done, "failed": {str(k): v for k, v in result.failed.items()}}


@router.post("/inbox/{mention_id}/replies", summary="Publish a reply (never twice)")
async def reply(
    mention_id: Id,
    body: ReplyCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    if bool(body.text) == bool(body.saved):
        raise InputError("give exactly one of text or saved")
    text = body.text or ""
    if body.saved:
        text = await run_in_threadpool(
            replies.saved_reply_text,
            state.db,
            principal=caller.principal,
            mention_id=mention_id,
            name=body.saved,
        )
    try:
        view = await replies.send_reply(
            state.db,
            principal=caller.principal,
            mention_id=mention_id,
            text=text,
            clock=state.clock,
            host=state.host,
            idempotency_key=body.idempotency_key,
            resolve=body.resolve,
        )
    finally:
        state.mention_wakeups.notify(mention_id)  # sent or failed: its open pages show it
    return view.to_dict()


@router.post("/inbox/{mention_id}/presence", summary="I am here; who else is?")
def touch_presence(
    mention_id: Id,
    body: PresenceUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    others = presence.touch(
        state.db,
        presence.DatabasePresence(state.db),
        principal=caller.principal,
        mention_id=mention_id,
        clock=state.clock,
        activity=body.activity,
    )
    state.mention_wakeups.notify(mention_id)
    return {
        "others": [
            {"user_id": p.user_id, "username": p.username, "activity": p.activity} for p in others
        ]
    }


@router.delete("/inbox/{mention_id}/presence", status_code=204, summary="I left")
def leave_presence(
    mention_id: Id, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> Response:
    presence.leave(
        state.db,
        presence.DatabasePresence(state.db),
        principal=caller.principal,
        mention_id=mention_id,
        clock=state.clock,
    )
    state.mention_wakeups.notify(mention_id)
    return Response(status_code=204)


@router.get("/reports/sla", summary="Response times against the targets (JSON or CSV)")
def sla_report(
    team: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    format: Literal["json", "csv"] = "json",
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Any:
    report = reports.sla_report(
        state.db,
        clock=state.clock,
        team=team,
        since=utc(since, name="since"),
        until=utc(until, name="until"),
        principal=caller.principal,
    )
    if format == "csv":
        return PlainTextResponse(reports.to_csv(report.rows()), media_type="text/csv")
    return report.to_dict()


@router.get("/routing-rules", summary="Routing rules in the order they apply")
def routing_rules(
    caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    return routing.list_rules(state.db)
