"""``/api/v1/me``: the member's profile, password and API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from slusha.errors import Forbidden
from slusha.services import auth, tokens
from slusha.web.api.common import Id
from slusha.web.api.schemas import (
    MeRead,
    MeUpdate,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(tags=["me"], responses=PROBLEM_RESPONSES)


def writer(caller: Caller = Depends(checked_caller)) -> Caller:
    """The caller, when not using a read-only token."""
    if caller.principal.scope != "write":
        raise Forbidden("a read-only API token cannot change the profile")
    return caller


def me_view(caller: Caller) -> dict[str, Any]:
    """The caller as the API shows them."""
    p = caller.principal
    return {
        "id": p.user_id, "username": p.username, "is_admin": p.is_admin, "locale": p.locale,
        "roles": {str(k): v for k, v in sorted(p.roles.items())}, "scope": p.scope,
    }  # fmt: skip


@router.get("/me", response_model=MeRead, summary="Who am I")
def get_me(caller: Caller = Depends(current_caller)) -> dict[str, Any]:
    return me_view(caller)


@router.patch("/me", response_model=MeRead, summary="Change my interface language")
def patch_me(
    body: MeUpdate, caller: Caller = Depends(writer), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    auth.set_locale(state.db, principal=caller.principal, locale=body.locale, clock=state.clock)
    view = me_view(caller)
    view["locale"] = body.locale
    return view


@router.post("/me/password", status_code=204, summary="Change my password")
def change_password(
    body: PasswordChange,
    caller: Caller = Depends(writer),
    state: WebState = Depends(web_state),
) -> Response:
    auth.change_password(
        state.db, principal=caller.principal, current=body.current_password,
        new=body.new_password, clock=state.clock,
        keep_session_hash=caller.session.token_hash if caller.session else None,
    )  # fmt: skip
    return Response(status_code=204)


def _token_dict(view: tokens.TokenView) -> dict[str, Any]:
    return {k: getattr(view, k) for k in TokenRead.model_fields}


@router.get("/me/tokens", response_model=list[TokenRead], summary="My API tokens")
def list_tokens(
    caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    views = tokens.list_tokens(state.db, user_id=caller.principal.user_id)
    return [_token_dict(v) for v in views]


@router.post(
    "/me/tokens", response_model=TokenCreated, status_code=201,
    summary="Create an API token (the secret is in this answer only)",
)  # fmt: skip
def create_token(
    body: TokenCreate, caller: Caller = Depends(writer), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    scope = body.scope if caller.principal.scope == "write" else "read"
    view, secret = tokens.create_token(
        state.db, username=caller.principal.username, label=body.label, scope=scope,
        clock=state.clock, actor=caller.principal.username,
    )  # fmt: skip
    return {**_token_dict(view), "token": secret}


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke one of my API tokens")
def revoke_token(
    token_id: Id, caller: Caller = Depends(writer), state: WebState = Depends(web_state)
) -> Response:
    tokens.revoke_token(
        state.db, token_id=token_id, owner_id=caller.principal.user_id, clock=state.clock,
        actor=caller.principal.username,
    )  # fmt: skip
    return Response(status_code=204)
