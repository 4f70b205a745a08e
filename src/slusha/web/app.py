"""The web app: JSON API under /api/v1, server-rendered pages, live stream, static files.

``create_app`` builds everything from its arguments; nothing happens at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from slusha.bus.base import Bus
from slusha.bus.messages import SUBJECT_POSTS
from slusha.clock import Clock, SystemClock
from slusha.config import Settings
from slusha.errors import SlushaError
from slusha.plugins.host import PluginHost
from slusha.store.db import Database
from slusha.web.deps import CsrfError, NotSignedInError, optional_caller, render
from slusha.web.i18n import Translations
from slusha.web.live import Broadcaster, feed_from_bus
from slusha.web.problems import problem, status_for
from slusha.web.security import SecurityHeaders
from slusha.web.state import WebState, session_policy
from slusha.web.vendor import vega_bundle

WEB_DIR = Path(__file__).parent
API_PREFIX = "/api/v1"


INGEST_KEYS_SECONDS = 5.0
"""How long the ingest route trusts the push sources it read (a new or disabled one
counts within this many seconds)."""


def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page_error(request: Request, status: int, message: str) -> Response:
    try:
        caller = optional_caller(request)
    except (NotSignedInError, SlushaError):
        caller = None
    return render(
        request, "error.html", caller=caller, status_code=status, status=status, message=message
    )


def _install_errors(app: FastAPI) -> None:
    async def slusha_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SlushaError)
        status = status_for(exc)
        headers = None
        retry = getattr(exc, "retry_after_seconds", None)
        if retry:
            headers = {"Retry-After": str(int(retry))}
        if _is_api(request):
            return problem(status, exc.message, code=exc.code, headers=headers,
                           instance=request.url.path)  # fmt: skip
        return await run_in_threadpool(_page_error, request, status, exc.message)

    async def not_signed_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotSignedInError)
        if _is_api(request) or request.url.path.startswith("/live/"):
            return problem(401, exc.detail, code="not_signed_in",
                           headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        response = RedirectResponse("/signin", status_code=303)
        if request.method == "GET" and target.startswith("/") and not target.startswith("//"):
            response = RedirectResponse(f"/signin?next={_quote(target)}", status_code=303)
        return response

    async def csrf_error(request: Request, exc: Exception) -> Response:
        message = "the form expired or did not come from Slusha: reload the page and try again"
        if _is_api(request):
            return problem(403, message, code="csrf")
        return await run_in_threadpool(_page_error, request, 403, message)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        if _is_api(request):
            return problem(422, "the request is not valid", code="validation", errors=errors)
        return await run_in_threadpool(_page_error, request, 400, "the request is not valid")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = str(exc.detail)
        if _is_api(request):
            return problem(exc.status_code, detail, headers=dict(exc.headers or {}) or None)
        return await run_in_threadpool(_page_error, request, exc.status_code, detail)

    app.add_exception_handler(SlushaError, slusha_error)
    app.add_exception_handler(NotSignedInError, not_signed_in)
    app.add_exception_handler(CsrfError, csrf_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def create_app(
    settings: Settings,
    *,
    db: Database,
    bus: Bus | None = None,
    clock: Clock | None = None,
    submit: Any = None,
    host: PluginHost | None = None,
    process_health: Any = None,
    metrics: Any = None,
) -> FastAPI:
    """The web app over ``db``; ``bus`` feeds the live stream (polling without it), ``submit``
    takes posts from the ingest webhook (no ingest route without it), ``process_health``
    lists the supervised tasks of the process for the status page and ``/readyz``, ``metrics``
    renders ``/metrics`` (no such route without it). ``host`` runs the plugins; without one
    the app builds its own on first use and closes it when it stops."""
    clock = clock or SystemClock()
    own_host: list[PluginHost] = []

    def make_host() -> PluginHost:
        if host is not None:
            return host
        own_host.append(PluginHost(settings=settings, clock=clock))
        return own_host[0]

    broadcaster = Broadcaster()
    state = WebState(
        settings=settings,
        db=db,
        clock=clock,
        templates=_templates(),
        translations=Translations(),
        broadcaster=broadcaster,
        host_factory=make_host,
        policy=session_policy(settings),
        process_health=process_health,
        queued_posts=(lambda: bus.unfinished(SUBJECT_POSTS)) if bus is not None else None,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = (
            asyncio.create_task(
                feed_from_bus(bus, broadcaster, state.alert_broadcaster, state.mention_wakeups)
            )
            if bus is not None
            else None
        )
        try:
            yield
        finally:
            broadcaster.close()
            state.alert_broadcaster.close()
            state.mention_wakeups.close()
            for made in own_host:
                await made.aclose()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="Slusha API",
        version="1",
        description="Social listening: mentions, topics, sources, teams and dashboards. "
        "Authenticate with `Authorization: Bearer <token>` (create tokens on your profile page "
        "or with `slusha tokens create`). Errors are RFC 9457 problem details.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.slusha = state
    app.add_middleware(SecurityHeaders)
    _install_errors(app)

    from slusha.web.api import (
        alerts,
        corrections,
        dashboards,
        inbox,
        me,
        mentions,
        org,
        sources,
        topics,
    )

    for module in (mentions, topics, org, sources, dashboards, me, alerts, inbox, corrections):
        app.include_router(module.router, prefix=API_PREFIX)
    if submit is not None:
        from slusha.services.sources import load_ingest_keys
        from slusha.web.api.ingest import create_ingest_router

        # The credentials of the push sources, read again at most every few seconds: reading
        # and decrypting them for every request cost more than the request's posts.
        cached: dict[str, tuple[float, Any]] = {}

        async def keys(kind: str) -> Any:
            now = time.monotonic()
            hit = cached.get(kind)
            if hit is not None and now - hit[0] < INGEST_KEYS_SECONDS:
                return hit[1]
            found = await run_in_threadpool(
                load_ingest_keys, db, registry=state.registry, settings=settings, kind=kind
            )
            if found:  # none yet: asked again next time, so a new source counts at once
                cached[kind] = (now, found)
            return found

        app.include_router(create_ingest_router(submit=submit, keys=keys, host=lambda: state.host))

    from slusha.web.ui import (
        admin,
        auth,
        inbox_pages,
        inbox_work,
        live,
        mention_live,
        mentions_pages,
        profile,
        sources_pages,
        topics_pages,
    )

    for ui in (auth, mentions_pages, live, topics_pages, admin, profile, inbox_pages, inbox_work):
        app.include_router(ui.router)
    app.include_router(mention_live.router)
    app.include_router(sources_pages.router)
    from slusha.web.ops import create_ops_router
    from slusha.web.ui import status_pages

    app.include_router(status_pages.router)
    app.include_router(create_ops_router(db=db, process_health=process_health, metrics=metrics))

    from slusha.web.ui import alert_live, alerts_pages

    for alert_ui in (alerts_pages, alert_live):
        app.include_router(alert_ui.router)

    @app.get("/static/vendor/vega-bundle.js", include_in_schema=False)
    async def vega() -> Response:
        body = await run_in_threadpool(vega_bundle)
        return Response(
            body,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app
