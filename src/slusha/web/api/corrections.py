"""``/api/v1/corrections/export``: members' sentiment corrections as training JSON Lines."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from slusha.services.corrections import export_corrections
from slusha.web.api.common import utc
from slusha.web.deps import Caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(tags=["corrections"], responses=PROBLEM_RESPONSES)

NDJSON = "application/x-ndjson"


@router.get(
    "/corrections/export",
    summary="Sentiment corrections as training data (JSON Lines)",
    description=(
        'One line per corrected post: `{"text", "lang", "label"}`, the newest correction '
        "of each post, oldest first. Feed the file to `python -m slusha.enrich.train "
        "--corrections FILE`. Admins get every post; a team's admin or manager the posts "
        "mentioned in their teams."
    ),
    response_class=Response,
    responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}}}},
)
def export(
    since: datetime | None = None,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    rows = export_corrections(state.db, principal=caller.principal, since=utc(since, name="since"))
    body = "".join(row.to_json() + "\n" for row in rows)
    return Response(
        body,
        media_type=NDJSON,
        headers={"Content-Disposition": 'attachment; filename="corrections.jsonl"'},
    )
