"""The member's profile (password, API tokens) and the API docs page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from slusha.errors import Forbidden, InputError
from slusha.services import auth, tokens
from slusha.web.deps import (
    Caller,
    checked_caller,
    current_caller,
    optional_caller,
    render,
    web_state,
)
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)


def _profile(
    request: Request,
    state: WebState,
    caller: Caller,
    *,
    new_token: str = "",
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request, "profile.html", caller=caller, status_code=status_code,
        tokens=tokens.list_tokens(state.db, user_id=caller.principal.user_id),
        new_token=new_token, message=message, error=error,
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


@router.get("/profile")
def profile_page(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    return _profile(request, state, caller)


@router.post("/profile/password")
def change_password(
    request: Request,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    try:
        auth.change_password(
            state.db, principal=caller.principal, current=current_password, new=new_password,
            clock=state.clock,
            keep_session_hash=caller.session.token_hash if caller.session else None,
        )  # fmt: skip
    except InputError as exc:
        return _profile(request, state, caller, error=exc.code, status_code=422)
    return _profile(request, state, caller, message="password_changed")


@router.post("/profile/tokens")
def create_token(
    request: Request,
    label: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[str, Form(max_length=10)] = "write",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    if caller.principal.scope != "write":
        raise Forbidden("a read-only API token cannot create tokens")
    _view, secret = tokens.create_token(
        state.db, username=caller.principal.username, label=label, scope=scope,
        clock=state.clock, actor=caller.principal.username,
    )  # fmt: skip
    return _profile(request, state, caller, new_token=secret)


@router.post("/profile/tokens/{token_id:int}/revoke")
def revoke_token(
    token_id: int, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> Response:
    tokens.revoke_token(
        state.db, token_id=token_id, owner_id=caller.principal.user_id, clock=state.clock,
        actor=caller.principal.username,
    )  # fmt: skip
    return RedirectResponse("/profile", status_code=303)


@router.get("/api/docs")
def api_docs(request: Request, caller: Caller | None = Depends(optional_caller)) -> Response:
    schema = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
         "tag": (op.get("tags") or [""])[0]}
        for path, item in schema.get("paths", {}).items()
        for method, op in item.items()
    ]  # fmt: skip
    return render(request, "api_docs.html", caller=caller, operations=operations)
