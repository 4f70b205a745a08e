"""Endpoints for whoever runs Slusha: ``/healthz``, ``/readyz`` and ``/metrics``.

The web app serves them beside its pages; a process without the web app (a worker, the
alerter, the connectors) serves them alone on ``SLUSHA_OPS_PORT`` (``create_ops_app``).
``/healthz`` answers 200 while the process serves (liveness); ``/readyz`` answers 200 when the
database answers and every supervised task runs, 503 with the reasons otherwise (readiness);
``/metrics`` is the Prometheus text format. None of them reveals posts or members; keep them
off the public internet all the same (a reverse proxy rule), like any operations endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from slusha.services.status import database_ready
from slusha.store.db import Database

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store"}


def create_ops_router(
    *,
    db: Database,
    process_health: Callable[[], list[dict[str, Any]]] | None = None,
    metrics: Callable[[], bytes] | None = None,
) -> APIRouter:
    """The three endpoints over this process's database, tasks and metrics."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        problems: list[str] = []
        database = await run_in_threadpool(database_ready, db)
        if database is not None:
            problems.append(f"database: {database}")
        tasks = process_health() if process_health else []
        for task in tasks:
            if task["state"] not in ("running", "stopped"):
                problems.append(f"{task['name']}: {task['state']} ({task['last_error']})")
        body = {"status": "not ready" if problems else "ready", "problems": problems,
                "tasks": [{"name": t["name"], "state": t["state"], "restarts": t["restarts"],
                           "role": t.get("role")} for t in tasks]}  # fmt: skip
        return JSONResponse(body, status_code=503 if problems else 200, headers=NO_STORE)

    if metrics is not None:
        render = metrics

        @router.get("/metrics")
        async def prometheus() -> Response:
            return Response(render(), media_type=METRICS_TYPE, headers=NO_STORE)

    return router


def create_ops_app(
    *,
    db: Database,
    process_health: Callable[[], list[dict[str, Any]]] | None = None,
    metrics: Callable[[], bytes] | None = None,
) -> FastAPI:
    """A small app with only the operations endpoints."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(create_ops_router(db=db, process_health=process_health, metrics=metrics))
    return app
