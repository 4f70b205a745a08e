"""The status page: is this installation working? (``slusha.web.ops`` has the endpoints.)

Organisation admins see what ``/readyz`` says in words: each supervised part of the server
process and its last error, and the backlogs: posts queued, events not yet published, dead
letters, failing sources; and the alert deliveries that failed, each with a button that sends
it again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from slusha.errors import Forbidden
from slusha.services.deliveries import count_deliveries, list_deliveries, send_again
from slusha.services.status import database_ready, store_status
from slusha.web.deps import Caller, checked_caller, current_caller, render, web_state
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)


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
    counts = count_deliveries(state.db) if database_ok else None
    failed = list_deliveries(state.db, status="failed", limit=20) if database_ok else []
    return render(
        request, "status.html", caller=caller, tasks=tasks, database_ok=database_ok,
        backlog=backlog, queued=queued, deliveries=counts, failed=failed,
        sent_again=request.query_params.get("sent_again"),
    )  # fmt: skip


@router.post("/status/deliveries/retry")
def retry_deliveries(
    job_id: Annotated[int | None, Form()] = None,
    reply_id: Annotated[int | None, Form()] = None,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    count = send_again(
        state.db, job_ids=[job_id] if job_id is not None else None, clock=state.clock,
        principal=caller.principal, reply_ids=[reply_id] if reply_id is not None else None,
    )  # fmt: skip
    return RedirectResponse(f"/status?sent_again={count}#deliveries", status_code=303)


def _moment(unix_seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(unix_seconds, tz=UTC) if unix_seconds else None
