"""Errors as RFC 9457 problem details (``application/problem+json``) for the API."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from slusha.errors import Conflict, Forbidden, InputError, NotFound, SlushaError

PROBLEM_TYPE = "https://slusha.invalid/problems/"
STATUS_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Unavailable",
}


def status_for(exc: SlushaError) -> int:
    """The HTTP status of one of our errors."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InputError):
        return 422
    if exc.code == "locked":
        return 429
    if exc.code == "bad_credentials":
        return 401
    return 503 if exc.code.startswith("db_") else 400


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response; ``code`` is our stable error code (also the type's last part)."""
    code = code or STATUS_TITLES.get(status, "error").lower().replace(" ", "_")
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": STATUS_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


PROBLEM_SCHEMA: dict[str, Any] = {
    "description": "An RFC 9457 problem",
    "content": {
        "application/problem+json": {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                    "instance": {"type": "string"},
                },
            }
        }
    },
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: PROBLEM_SCHEMA for status in (400, 401, 403, 404, 409, 422, 429)
}
