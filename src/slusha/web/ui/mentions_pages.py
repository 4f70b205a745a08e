"""The mentions stream and the mention detail page."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from slusha.domain.post import NETWORKS
from slusha.errors import InputError
from slusha.services import inbox_views, stream
from slusha.services.members import list_teams
from slusha.services.topic_editor import list_visible_topics
from slusha.web.deps import Caller, checked_caller, current_caller, render, web_state
from slusha.web.sanitize import clean_html
from slusha.web.state import WebState
from slusha.web.ui.filters import query_string, read_filters, stream_query

router = APIRouter(include_in_schema=False)


@router.get("/mentions")
def mentions_page(
    request: Request,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    values = read_filters(request)
    cursor = request.query_params.get("cursor")
    error = ""
    try:
        page = stream.list_stream(
            state.db, principal=caller.principal,
            query=stream_query(values, clock=state.clock, cursor=cursor),
        )  # fmt: skip
    except InputError as exc:
        error = exc.message
        page = stream.StreamPage(items=[], next_cursor=None)
    more = f"/mentions?{query_string(values, cursor=page.next_cursor)}" if page.next_cursor else ""
    context: dict[str, Any] = {
        "items": page.items, "more_url": more, "filters": values, "error": error,
        "live_url": "" if cursor else f"/live/mentions?{query_string(values)}",
    }  # fmt: skip
    if request.headers.get("hx-request") and request.query_params.get("fragment") == "rows":
        return render(request, "mentions/_page.html", caller=caller, **context)
    return render(
        request, "mentions/list.html", caller=caller,
        teams=[t for t in list_teams(state.db, principal=caller.principal)
               if caller.principal.is_member(t["id"])],
        topics=list_visible_topics(state.db, principal=caller.principal),
        networks=sorted(NETWORKS), **context,
    )  # fmt: skip


def render_mention(
    request: Request,
    caller: Caller,
    state: WebState,
    mention_id: int,
    *,
    error: str = "",
    status_code: int = 200,
    reply_key: str | None = None,
    reply_text: str = "",
) -> Response:
    """The mention page with its inbox work (when the member has a role in its team)."""
    detail = stream.mention_detail(state.db, principal=caller.principal, mention_id=mention_id)
    work = inbox_views.workbench(
        state.db, principal=caller.principal, mention_id=mention_id, clock=state.clock
    )
    return render(
        request, "mentions/detail.html", caller=caller, m=detail, work=work, error=error,
        post_html=clean_html(detail["html"]), langs=sorted(stream.LANG_CODES),
        reply_key=reply_key or f"page-{uuid.uuid4().hex}", reply_text=reply_text,
        retrying=reply_key is not None, status_code=status_code,
    )  # fmt: skip


@router.get("/mentions/{mention_id:int}")
def mention_page(
    request: Request,
    mention_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return render_mention(request, caller, state, mention_id)


@router.post("/mentions/{mention_id:int}/correct")
def correct(
    mention_id: int,
    field: Annotated[str, Form(max_length=20)],
    value: Annotated[str, Form(max_length=20)],
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    stream.correct_mention(
        state.db, principal=caller.principal, mention_id=mention_id, field=field, value=value,
        clock=state.clock,
    )  # fmt: skip
    return RedirectResponse(f"/mentions/{mention_id}", status_code=303)
