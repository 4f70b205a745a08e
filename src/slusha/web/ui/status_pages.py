"""``/healthz``, ``/readyz`` and the status page: is this installation working?

``/healthz`` answers 200 while the process serves (liveness). ``/readyz`` answers 200 when the
database answers and every supervised task of the process runs, 503 otherwise, with the
reasons (readiness, for a load balancer or an orchestrator). The status page shows the same
to organisation admins, with the backlogs: posts queued, events not yet published, dead
letters, failing sources.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from slusha.errors import Forbidden
from slusha.services.status import database_ready, store_status
from slusha.web.deps import Caller, current_caller, render, web_state
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
async def readyz(state: WebState = Depends(web_state)) -> JSONResponse:
    problems: list[str] = []
    database = await run_in_threadpool(database_ready, state.db)
    if database is not None:
        problems.append(f"database: {database}")
    tasks = state.process_health() if state.process_health else []
    for task in tasks:
        if task["state"] not in ("running", "stopped"):
            problems.append(f"{task['name']}: {task['state']} ({task['last_error']})")
    body = {"status": "ready" if not problems else "not ready", "problems": problems,
            "tasks": [{"name": t["name"], "state": t["state"], "restarts": t["restarts"]}
                      for t in tasks]}  # fmt: skip
    return JSONResponse(
        body, status_code=200 if not problems else 503, headers={"Cache-Control": "no-store"}
    )


@router.get("/status")
def status_page(
    request: Request, caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> Response:
    if not caller.principal.is_admin:
        raise Forbidden("only organisation admins see the status page")
    database_ok = database_ready(state.db) is None
    backlog = store_status(state.db) if database_ok else None
    tasks = [
        {**t, "started_at": _moment(t["started_at"]), "last_error_at": _moment(t["last_error_at"])}
        for t in (state.process_health() if state.process_health else [])
    ]
    queued = state.queued_posts() if state.queued_posts else None
    return render(
        request, "status.html", caller=caller, tasks=tasks, database_ok=database_ok,
        backlog=backlog, queued=queued,
    )  # fmt: skip


def _moment(unix_seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(unix_seconds, tz=UTC) if unix_seconds else None
