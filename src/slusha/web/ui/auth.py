"""Sign-in, sign-out and the interface language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from slusha.services import auth
from slusha.web.deps import Caller, CsrfError, checked_caller, optional_caller, render, web_state
from slusha.web.i18n import LOCALES
from slusha.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, is_secure, new_token
from slusha.web.security import tokens_match as csrf_ok
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)


def _next(value: str | None) -> str:
    # Only same-site paths: an open redirect would make phishing links look like ours.
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/mentions"


def _signin_page(
    request: Request, state: WebState, *, error: str = "", status_code: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    response = render(
        request, "signin.html", caller=None, status_code=status_code, error=error,
        next=_next(request.query_params.get("next")), login_csrf=token,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/signin",
        secure=is_secure(request, state.settings.cookie_secure),
    )  # fmt: skip
    return response


@router.get("/signin")
def signin_form(request: Request, state: WebState = Depends(web_state)) -> Response:
    return _signin_page(request, state)


@router.post("/signin")
def signin(
    request: Request,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/mentions",
    state: WebState = Depends(web_state),
) -> Response:
    if not csrf_ok(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise CsrfError()
    client = request.client.host if request.client else "unknown"
    try:
        created = auth.sign_in(
            state.db, username=username, password=password, client=client, clock=state.clock,
            policy=state.policy, replace_token=request.cookies.get(SESSION_COOKIE),
        )  # fmt: skip
    except auth.SignInError as exc:
        status = 429 if exc.code == "locked" else 401
        response = _signin_page(request, state, error=exc.code, status_code=status)
        if exc.retry_after_seconds:
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    response = RedirectResponse(_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, created.token, httponly=True, samesite="lax", path="/",
        secure=is_secure(request, state.settings.cookie_secure),
        max_age=int(state.policy.absolute.total_seconds()),
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(
    request: Request,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.sign_out(state.db, token=token, clock=state.clock)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/locale")
def set_locale(
    request: Request,
    locale: Annotated[str, Form(max_length=10)],
    back: Annotated[str, Form(max_length=2000)] = "/mentions",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    chosen = locale if locale in LOCALES else None
    auth.set_locale(state.db, principal=caller.principal, locale=chosen, clock=state.clock)
    return RedirectResponse(_next(back), status_code=303)


@router.get("/")
def home(caller: Caller | None = Depends(optional_caller)) -> Response:
    return RedirectResponse("/mentions" if caller else "/signin", status_code=303)
