"""``/live/mentions``: Server-Sent Events carrying rendered rows of new mentions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from slusha.services import stream
from slusha.web.deps import Caller, at_handle, current_caller, page_locale, web_state
from slusha.web.i18n import format_number, format_when
from slusha.web.sanitize import safe_url
from slusha.web.state import WebState
from slusha.web.ui.filters import read_filters, stream_query

router = APIRouter(include_in_schema=False)
STREAM_SECONDS = 300.0  # the browser reconnects (EventSource retry) after this


def _event(name: str, data: str, event_id: int | None = None) -> str:
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


@router.get("/live/mentions")
async def live_mentions(
    request: Request,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> StreamingResponse:
    values = read_filters(request)
    locale = page_locale(request, caller)
    template = state.templates.get_template("mentions/_row.html")
    gettext = state.translations.gettext(locale)
    last = request.headers.get("last-event-id", "")
    start = (
        int(last) if last.isdigit() else await run_in_threadpool(stream.newest_mention_id, state.db)
    )

    async def read(after: int) -> stream.StreamPage:
        query = stream_query(values, clock=state.clock)
        return await run_in_threadpool(
            stream.list_stream, state.db, principal=caller.principal, query=query, after_id=after
        )

    # The first read happens before the response starts: a filter that is not valid gets its
    # error page (400) instead of breaking a stream that already answered 200.
    first = await read(start)

    async def events() -> AsyncIterator[str]:
        after = start
        yield "retry: 3000\n\n"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_SECONDS
        page: stream.StreamPage | None = first
        while not state.broadcaster.closed and loop.time() < deadline:
            if await request.is_disconnected():
                return
            if page is None:
                page = await read(after)
            for item in sorted(page.items, key=lambda i: i["id"]):
                after = max(after, item["id"])
                html = template.render(
                    m=item, _=gettext, when=lambda v: format_when(v, locale),
                    number=lambda v: format_number(v, locale), safe_url=safe_url,
                    at_handle=at_handle, is_new=True,
                )  # fmt: skip
                yield _event("mention", html, item["id"])
            page = None
            yield ": keep-alive\n\n"
            await state.broadcaster.wait(15.0 if state.broadcaster.has_feed else state.poll_seconds)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
