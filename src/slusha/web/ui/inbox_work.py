"""Working one mention from its page: status, assignment, hand-over, priority, tags, notes,
and replies (who else is on it, and live updates: ``mention_live``).

Each action calls the inbox services (they check the role and write the audit log), wakes the
mention's open pages and redirects back to the mention; a refused change shows the page again
with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from slusha.errors import Forbidden, NotFound, SlushaError, TransientError
from slusha.services import inbox, replies
from slusha.web.deps import Caller, checked_caller, web_state
from slusha.web.problems import status_for
from slusha.web.state import WebState
from slusha.web.ui.mentions_pages import render_mention

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]


def _back(mention_id: int, anchor: str = "work") -> Response:
    return RedirectResponse(f"/mentions/{mention_id}#{anchor}", status_code=303)


def _do(
    request: Request,
    caller: Caller,
    state: WebState,
    mention_id: int,
    action: Callable[[], Any],
    anchor: str = "work",
) -> Response:
    try:
        action()
    except SlushaError as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        return render_mention(
            request, caller, state, mention_id, error=exc.message, status_code=_status(exc)
        )
    state.mention_wakeups.notify(mention_id)
    return _back(mention_id, anchor)


def _status(exc: SlushaError) -> int:
    return 503 if isinstance(exc, TransientError) else status_for(exc)


@router.post("/mentions/{mention_id:int}/status")
def set_status(
    request: Request,
    mention_id: int,
    status: Annotated[str, Form(max_length=20)],
    note: Text = "",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _do(request, caller, state, mention_id, lambda: inbox.set_status(
        state.db, principal=caller.principal, mention_id=mention_id, status=status,
        note=note or None, clock=state.clock,
    ))  # fmt: skip


@router.post("/mentions/{mention_id:int}/assign")
def assign(
    request: Request,
    mention_id: int,
    user: Annotated[str, Form(max_length=150)] = "",
    unassign: Annotated[str, Form(max_length=5)] = "",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    name = caller.principal.username if user == "me" else user
    return _do(request, caller, state, mention_id, lambda: inbox.assign(
        state.db, principal=caller.principal, mention_id=mention_id, clock=state.clock,
        user=None if unassign else name or None, unassign=bool(unassign),
    ))  # fmt: skip


@router.post("/mentions/{mention_id:int}/handover")
def hand_over(
    request: Request,
    mention_id: int,
    team: Annotated[str, Form(max_length=200)],
    note: Text = "",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _do(request, caller, state, mention_id, lambda: inbox.hand_over(
        state.db, principal=caller.principal, mention_id=mention_id, team=team,
        note=note or None, clock=state.clock,
    ))  # fmt: skip


@router.post("/mentions/{mention_id:int}/priority")
def set_priority(
    request: Request,
    mention_id: int,
    priority: Annotated[str, Form(max_length=20)],
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _do(request, caller, state, mention_id, lambda: inbox.set_priority(
        state.db, principal=caller.principal, mention_id=mention_id, priority=priority,
        clock=state.clock,
    ))  # fmt: skip


@router.post("/mentions/{mention_id:int}/tags")
def set_tags(
    request: Request,
    mention_id: int,
    add: Annotated[str, Form(max_length=500)] = "",
    remove: Annotated[str, Form(max_length=50)] = "",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    added = [t for t in add.replace(",", " ").split() if t][:20]
    removed = [remove] if remove else []
    return _do(request, caller, state, mention_id, lambda: inbox.tag(
        state.db, principal=caller.principal, mention_id=mention_id, clock=state.clock,
        add=added, remove=removed,
    ))  # fmt: skip


@router.post("/mentions/{mention_id:int}/notes")
def add_note(
    request: Request,
    mention_id: int,
    text: Annotated[str, Form(max_length=10_000)],
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _do(request, caller, state, mention_id, lambda: inbox.add_note(
        state.db, principal=caller.principal, mention_id=mention_id, text=text,
        clock=state.clock,
    ), anchor="notes")  # fmt: skip


@router.post("/mentions/{mention_id:int}/reply")
async def reply(
    request: Request,
    mention_id: int,
    key: Annotated[str, Form(max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")],
    text: Annotated[str, Form(max_length=20_000)] = "",
    saved: Annotated[str, Form(max_length=200)] = "",
    resolve: Annotated[str, Form(max_length=5)] = "",
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    """Publish a reply; the form's key makes a resend (timeout, double click) a no-op."""
    try:
        if not text.strip() and saved:
            text = await run_in_threadpool(
                replies.saved_reply_text, state.db, principal=caller.principal,
                mention_id=mention_id, name=saved,
            )  # fmt: skip
        await replies.send_reply(
            state.db, principal=caller.principal, mention_id=mention_id, text=text,
            clock=state.clock, host=state.host, idempotency_key=key, resolve=bool(resolve),
        )  # fmt: skip
    except SlushaError as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        message, retry, status = exc.message, isinstance(exc, TransientError), _status(exc)
    else:
        return _back(mention_id, "conversation")
    finally:
        state.mention_wakeups.notify(mention_id)  # a failed try shows on the others' pages too
    # Not sent: show the page again; after a timeout the same key resumes the same reply.
    return await run_in_threadpool(
        partial(
            render_mention,
            request,
            caller,
            state,
            mention_id,
            error=message,
            status_code=status,
            reply_key=key if retry else None,
            reply_text=text,
        )
    )
