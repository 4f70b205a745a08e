"""A mention page's live side: presence check-ins, and one Server-Sent Events stream that says
who else is on the mention and when its work changed; the page then fetches the changed parts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from slusha.errors import Forbidden, NotFound
from slusha.services import inbox_views, presence
from slusha.web.deps import Caller, checked_caller, current_caller, page_locale, render, web_state
from slusha.web.state import WebState
from slusha.web.ui.live import _event

router = APIRouter(include_in_schema=False)
STREAM_SECONDS = 300.0  # the browser reconnects (EventSource retry) after this
VERSION = re.compile(r"^[0-9a-f]{16}$")


def _people(request: Request, caller: Caller, state: WebState, others: list[Any]) -> str:
    gettext = state.translations.gettext(page_locale(request, caller))
    return state.templates.get_template("mentions/_presence.html").render(others=others, _=gettext)


@router.post("/mentions/{mention_id:int}/presence")
def touch_presence(
    request: Request,
    mention_id: int,
    activity: Annotated[str, Form(max_length=10)] = "viewing",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    """I am here (the page calls this every ``CHECKIN_SECONDS``); answers who else is."""
    others = presence.touch(
        state.db, presence.DatabasePresence(state.db), principal=caller.principal,
        mention_id=mention_id, clock=state.clock, activity=activity,
    )  # fmt: skip
    state.mention_wakeups.notify(mention_id)
    return Response(_people(request, caller, state, others), media_type="text/html")


@router.post("/mentions/{mention_id:int}/leave")
def leave_presence(
    mention_id: int,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    """I left the page (sent with ``navigator.sendBeacon``-style keepalive)."""
    presence.leave(
        state.db, presence.DatabasePresence(state.db), principal=caller.principal,
        mention_id=mention_id, clock=state.clock,
    )  # fmt: skip
    state.mention_wakeups.notify(mention_id)
    return Response(status_code=204)


@router.get("/mentions/{mention_id:int}/work")
def work_parts(
    request: Request,
    mention_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    """The parts of the mention's work that change (status, tags, replies, notes, history), for
    the page to swap in when its stream says ``work``."""
    work = inbox_views.workbench(
        state.db, principal=caller.principal, mention_id=mention_id, clock=state.clock
    )
    if work is None:
        raise Forbidden("you have no inbox role in this mention's team")
    return render(
        request, "mentions/_work_live.html", caller=caller, m={"id": mention_id}, work=work,
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


def _since(request: Request) -> str | None:
    """The work version the page has: its last ``work`` event, or the one it was rendered with."""
    for value in (request.headers.get("last-event-id", ""), request.query_params.get("since", "")):
        if VERSION.match(value):
            return value
    return None


@router.get("/live/presence/{mention_id:int}")
async def live_presence(
    request: Request,
    mention_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> StreamingResponse:
    """The mention's live stream: ``presence`` (who else is on it, rendered) whenever that
    changes, and ``work`` (its id and data the new version) whenever its work changed.

    Woken at once by changes made through this process (pages, API) and, with a bus, by the
    ``inbox.*`` events of other processes; without one it re-reads every
    ``mention_poll_seconds`` (as often as a page checks in).
    """
    store = presence.DatabasePresence(state.db)

    def snapshot() -> tuple[list[Any], str]:
        people = presence.present(
            state.db, store, principal=caller.principal, mention_id=mention_id, clock=state.clock
        )  # checks access
        return people, inbox_views.work_version(state.db, mention_id=mention_id)

    first = await run_in_threadpool(snapshot)  # refuses (404/403) before the stream starts
    since = _since(request)
    wakeups = state.mention_wakeups

    async def events() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_SECONDS
        (people, version), last_people, last_version = first, None, since or first[1]
        while not wakeups.closed and loop.time() < deadline:
            if await request.is_disconnected():
                return
            signature = [(p.username, p.activity) for p in people]
            quiet = True
            if signature != last_people:
                last_people, quiet = signature, False
                yield _event("presence", _people(request, caller, state, people))
            if version != last_version:
                last_version, quiet = version, False
                yield f"event: work\nid: {version}\ndata: {version}\n\n"
            if quiet:
                yield ": keep-alive\n\n"
            await wakeups.wait(mention_id, state.mention_poll_seconds)
            try:
                people, version = await run_in_threadpool(snapshot)
            except (NotFound, Forbidden):  # handed over out of the member's reach: the page
                yield "event: work\ndata: gone\n\n"  # reloads and shows what is left
                return

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
