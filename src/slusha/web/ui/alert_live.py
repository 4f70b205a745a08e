"""``/live/alerts``: Server-Sent Events carrying a rendered notice per alert sent to one of the
member's teams; ``static/alerts.js`` shows it as a toast and, when allowed, a browser
notification. Woken by ``alert.created`` events on the bus, or by polling without one.

Event ids are the alerts' ``sent_seq`` (when each turned ``send``), not their row ids: an alert
held over quiet hours was created before alerts the page already showed, and still comes when
it is released. ``Last-Event-ID`` resumes after the last one the browser saw."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from slusha.services import alert_history
from slusha.web.deps import Caller, current_caller, page_locale, web_state
from slusha.web.state import WebState
from slusha.web.ui.live import STREAM_SECONDS, _event

router = APIRouter(include_in_schema=False)


@router.get("/live/alerts")
async def live_alerts(
    request: Request,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> StreamingResponse:
    principal = caller.principal
    team_ids = None if principal.is_admin else sorted(principal.roles)
    gettext = state.translations.gettext(page_locale(request, caller))
    template = state.templates.get_template("alerts/_toast.html")
    last = request.headers.get("last-event-id", "")
    start = (
        int(last)
        if last.isdigit() and len(last) < 12
        else await run_in_threadpool(alert_history.newest_sent_seq, state.db)
    )
    broadcaster = state.alert_broadcaster

    async def events() -> AsyncIterator[str]:
        after = start
        yield "retry: 3000\n\n"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_SECONDS
        while not broadcaster.closed and loop.time() < deadline:
            if await request.is_disconnected():
                return
            items = await run_in_threadpool(
                alert_history.alerts_sent_after, state.db, after_seq=after, team_ids=team_ids
            )
            for item in items:
                seq = item.sent_seq or 0
                after = max(after, seq)
                yield _event("alert", template.render(a=item, _=gettext), seq)
            yield ": keep-alive\n\n"
            await broadcaster.wait(15.0 if broadcaster.has_feed else state.poll_seconds)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
