"""Topics: list, editor with live query checking, and the "test" of a query."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from slusha.errors import InputError
from slusha.services import topic_editor
from slusha.services.access import can
from slusha.services.members import list_teams
from slusha.store.schema import TOPIC_KINDS
from slusha.web.deps import Caller, checked_caller, current_caller, render, web_state
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)
QueryForm = Annotated[str, Form(max_length=4000)]


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_highlighted) for the template to escape and mark."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def _editable_teams(state: WebState, caller: Caller) -> list[dict[str, Any]]:
    return [
        t for t in list_teams(state.db, principal=caller.principal)
        if can(caller.principal, "topics.write", t["id"])
    ]  # fmt: skip


@router.get("/topics")
def topics_page(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    topics = topic_editor.list_visible_topics(state.db, principal=caller.principal)
    return render(
        request, "topics/list.html", caller=caller, topics=topics,
        can_create=bool(_editable_teams(state, caller)),
    )  # fmt: skip


def _editor(
    request: Request,
    state: WebState,
    caller: Caller,
    *,
    topic: dict[str, Any] | None,
    form: dict[str, Any],
    error: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request, "topics/edit.html", caller=caller, topic=topic, form=form, error=error,
        teams=_editable_teams(state, caller), kinds=TOPIC_KINDS, status_code=status_code,
        check=topic_editor.check_query(form["query"]) if form["query"] else None,
    )  # fmt: skip


@router.get("/topics/new")
def new_topic(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    form = {"name": "", "query": "", "kind": "brand", "team_id": None, "is_private": False}
    return _editor(request, state, caller, topic=None, form=form)


@router.post("/topics/new")
def create_topic(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    query: QueryForm,
    team_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    kind: Annotated[str, Form(max_length=20)] = "brand",
    is_private: Annotated[bool, Form()] = False,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    form = {"name": name, "query": query, "kind": kind, "team_id": team_id,
            "is_private": is_private}  # fmt: skip
    try:
        topic = topic_editor.add_topic(
            state.db, principal=caller.principal, name=name, team_id=team_id, query=query,
            kind=kind, is_private=is_private, clock=state.clock,
        )  # fmt: skip
    except InputError as exc:
        return _editor(request, state, caller, topic=None, form=form, error=exc.message,
                       status_code=422)  # fmt: skip
    return RedirectResponse(f"/topics/{topic['id']}", status_code=303)


@router.get("/topics/{topic_id:int}")
def edit_topic(
    request: Request,
    topic_id: int,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    topic = topic_editor.get_visible_topic(state.db, principal=caller.principal, topic_id=topic_id)
    form = {**topic, "team_id": topic["team"]["id"]}
    return _editor(request, state, caller, topic=topic, form=form)


@router.post("/topics/{topic_id:int}")
def save_topic(
    request: Request,
    topic_id: int,
    name: Annotated[str, Form(max_length=200)],
    query: QueryForm,
    kind: Annotated[str, Form(max_length=20)] = "brand",
    is_private: Annotated[bool, Form()] = False,
    enabled: Annotated[bool, Form()] = False,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    topic = topic_editor.get_visible_topic(state.db, principal=caller.principal, topic_id=topic_id)
    try:
        topic_editor.update_topic(
            state.db, principal=caller.principal, topic_id=topic_id, clock=state.clock,
            name=name, query=query, kind=kind, is_private=is_private, enabled=enabled,
        )  # fmt: skip
    except InputError as exc:
        form = {**topic, "name": name, "query": query, "kind": kind, "is_private": is_private,
                "team_id": topic["team"]["id"]}  # fmt: skip
        return _editor(request, state, caller, topic=topic, form=form, error=exc.message,
                       status_code=422)  # fmt: skip
    return RedirectResponse(f"/topics/{topic_id}", status_code=303)


@router.post("/topics/check")
def check_fragment(
    request: Request,
    query: Annotated[str, Form(max_length=4000)] = "",
    caller: Caller = Depends(checked_caller),
) -> Response:
    check = topic_editor.check_query(query) if query.strip() else None
    return render(request, "topics/_check.html", caller=caller, check=check, query=query)


@router.post("/topics/test")
def test_fragment(
    request: Request,
    query: Annotated[str, Form(max_length=4000)] = "",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    check = topic_editor.check_query(query)
    results: list[dict[str, Any]] = []
    if query.strip() and check.valid:
        found = topic_editor.test_query(state.db, principal=caller.principal, query=query)
        results = [{**r, "segments": segments(r["text"], r["highlights"])} for r in found]
    return render(
        request, "topics/_test.html", caller=caller, results=results, check=check, query=query
    )
