"""``/api/v1/mentions``: the stream, one mention, corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from slusha.services import stream
from slusha.web.api.common import Id, OptionalId, utc
from slusha.web.api.schemas import CorrectionCreate, MentionDetail, MentionPage
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.sanitize import clean_html, safe_url
from slusha.web.state import WebState

router = APIRouter(tags=["mentions"], responses=PROBLEM_RESPONSES)


def safe_item(item: dict[str, Any]) -> dict[str, Any]:
    """URLs that are not http(s)/mailto dropped, post HTML sanitised."""
    item = dict(item)
    item["url"] = safe_url(item.get("url"))
    item["author"] = {**item["author"], "url": safe_url(item["author"].get("url"))}
    if "html" in item:
        item["html"] = clean_html(item["html"]) or None
    return item


@router.get("/mentions", response_model=MentionPage, summary="List mentions, newest first")
def list_mentions(
    team_id: OptionalId = None,
    topic_id: OptionalId = None,
    network: Annotated[str | None, Query(max_length=20, pattern=r"^[a-z]+$")] = None,
    lang: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}$")] = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words to search for")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    page = stream.list_stream(
        state.db,
        principal=caller.principal,
        query=stream.StreamQuery(
            team_id=team_id, topic_id=topic_id, network=network, lang=lang, sentiment=sentiment,
            since=utc(since, name="since"), until=utc(until, name="until"), q=q, cursor=cursor,
            limit=limit,
        ),
    )  # fmt: skip
    return {"items": [safe_item(i) for i in page.items], "next_cursor": page.next_cursor}


@router.get("/mentions/{mention_id}", response_model=MentionDetail, summary="One mention")
def get_mention(
    mention_id: Id,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    detail = stream.mention_detail(state.db, principal=caller.principal, mention_id=mention_id)
    return safe_item(detail)


@router.post(
    "/mentions/{mention_id}/corrections",
    response_model=MentionDetail,
    summary="Correct the sentiment or language of a mention's post",
)
def correct_mention(
    mention_id: Id,
    body: CorrectionCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    detail = stream.correct_mention(
        state.db, principal=caller.principal, mention_id=mention_id, field=body.field,
        value=body.value, clock=state.clock,
    )  # fmt: skip
    return safe_item(detail)
