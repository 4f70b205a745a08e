"""Request dependencies: who is calling (session cookie or bearer token), CSRF, rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from slusha.services.access import Principal, can
from slusha.services.auth import ActiveSession, resolve_session
from slusha.services.tokens import resolve_token
from slusha.web.i18n import LANGUAGE_NAMES, LOCALES, format_number, format_when, negotiate
from slusha.web.sanitize import safe_url
from slusha.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS
from slusha.web.security import tokens_match as _tokens_match
from slusha.web.state import WebState


class NotSignedInError(Exception):
    """No valid session or token: pages redirect to sign-in, the API answers 401."""

    def __init__(self, detail: str = "sign in, or send a bearer API token") -> None:
        super().__init__(detail)
        self.detail = detail


class CsrfError(Exception):
    """A state-changing request without the right CSRF token."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The member behind a request and how they authenticated."""

    principal: Principal
    via: str  # session | token
    session: ActiveSession | None = None

    @property
    def csrf_token(self) -> str:
        """The session's synchronizer token ("" for token callers, who need none)."""
        return self.session.csrf_token if self.session else ""


def web_state(request: Request) -> WebState:
    """The app's state."""
    state: WebState = request.app.state.slusha
    return state


def optional_caller(request: Request) -> Caller | None:
    """The caller, or None when the request carries no credentials at all."""
    state = web_state(request)
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        principal = resolve_token(state.db, secret=auth[7:].strip(), clock=state.clock)
        if principal is None:
            raise NotSignedInError("the API token is not valid or was revoked")
        return Caller(principal, "token")
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        active = resolve_session(state.db, token=token, clock=state.clock, policy=state.policy)
        if active is not None:
            return Caller(active.principal, "session", active)
    return None


def current_caller(caller: Caller | None = Depends(optional_caller)) -> Caller:
    """The caller; ``NotSignedInError`` when there is none."""
    if caller is None:
        raise NotSignedInError()
    return caller


async def checked_caller(request: Request, caller: Caller = Depends(current_caller)) -> Caller:
    """The caller of a state-changing request, with its CSRF token checked (cookie sessions)."""
    if request.method in UNSAFE_METHODS and caller.via == "session":
        given = request.headers.get(CSRF_HEADER)
        if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not _tokens_match(given, caller.csrf_token):
            raise CsrfError()
    return caller


def page_locale(request: Request, caller: Caller | None) -> str:
    """The interface language for this request."""
    member = caller.principal.locale if caller else None
    cookie = request.cookies.get("slusha_locale")
    return negotiate(request.headers.get("accept-language"), member or cookie)


def at_handle(handle: str | None) -> str:
    """``@handle`` for display, whether or not the network's handle already starts with ``@``."""
    return "@" + (handle or "").lstrip("@") if handle and handle.strip("@") else "@?"


def render(
    request: Request,
    template: str,
    *,
    caller: Caller | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page or fragment in the caller's language, with the helpers templates use."""
    state = web_state(request)
    locale = page_locale(request, caller)
    principal = caller.principal if caller else None
    login_csrf = context.pop("login_csrf", "")

    def allowed(action: str, team_id: int | None = None) -> bool:
        return principal is not None and can(principal, action, team_id)

    html = state.templates.get_template(template).render(
        request=request,
        caller=caller,
        principal=principal,
        csrf_token=caller.csrf_token if caller else login_csrf,
        csrf_field=CSRF_FIELD,
        locale=locale,
        locales=LOCALES,
        language_names=LANGUAGE_NAMES,
        _=state.translations.gettext(locale),
        when=lambda value: format_when(value, locale),
        number=lambda value: format_number(value, locale),
        safe_url=safe_url,
        at_handle=at_handle,
        can=allowed,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
