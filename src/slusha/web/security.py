"""Security headers on every response, CSRF tokens, cookie flags."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "slusha_session"
LOGIN_CSRF_COOKIE = "slusha_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# No inline script or style anywhere: every script is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """ASGI middleware adding the headers above (pure ASGI, so streaming responses work)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, add_headers)


def is_secure(request: Request, mode: str) -> bool:
    """Whether cookies get the ``Secure`` flag (uvicorn applies trusted X-Forwarded-Proto)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return request.url.scheme == "https"


def new_token() -> str:
    """A random CSRF token."""
    return secrets.token_urlsafe(32)


def tokens_match(given: str | None, wanted: str | None) -> bool:
    """Constant-time comparison; empty values never match."""
    if not given or not wanted:
        return False
    return hmac.compare_digest(given.encode(), wanted.encode())
