"""``/api/v1/topics``: list, create, edit, check and test queries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from slusha.services import topic_editor
from slusha.web.api.common import Id
from slusha.web.api.schemas import (
    QueryCheckCreate,
    QueryCheckRead,
    QueryTestRead,
    TopicCreate,
    TopicRead,
    TopicUpdate,
)
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(tags=["topics"], responses=PROBLEM_RESPONSES)


@router.get("/topics", response_model=list[TopicRead], summary="Topics the member may see")
def list_topics(
    caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    return topic_editor.list_visible_topics(state.db, principal=caller.principal)


@router.post("/topics", response_model=TopicRead, status_code=201, summary="Create a topic")
def create_topic(
    body: TopicCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    return topic_editor.add_topic(
        state.db, principal=caller.principal, name=body.name, team_id=body.team_id,
        query=body.query, kind=body.kind, is_private=body.is_private, clock=state.clock,
    )  # fmt: skip


@router.post("/topics/check", response_model=QueryCheckRead, summary="Check a query")
def check_query(
    body: QueryCheckCreate, caller: Caller = Depends(checked_caller)
) -> topic_editor.QueryCheck:
    return topic_editor.check_query(body.query)


@router.post(
    "/topics/test",
    response_model=list[QueryTestRead],
    summary="Recent stored posts a query would match, with highlight ranges",
)
def test_query(
    body: QueryCheckCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> list[dict[str, Any]]:
    return topic_editor.test_query(state.db, principal=caller.principal, query=body.query)


@router.get("/topics/{topic_id}", response_model=TopicRead, summary="One topic")
def get_topic(
    topic_id: Id, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    return topic_editor.get_visible_topic(state.db, principal=caller.principal, topic_id=topic_id)


@router.patch("/topics/{topic_id}", response_model=TopicRead, summary="Change a topic")
def update_topic(
    topic_id: Id,
    body: TopicUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    return topic_editor.update_topic(
        state.db, principal=caller.principal, topic_id=topic_id, clock=state.clock,
        **body.model_dump(exclude_none=True),
    )  # fmt: skip
