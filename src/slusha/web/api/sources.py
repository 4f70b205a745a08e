"""``/api/v1/sources``: list with health, connector kinds and their settings, add, test, enable.

Adding, testing and enabling need ``sources.write`` (managers and admins); the same service
functions back the ``slusha sources`` commands and the sources page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from slusha.errors import NotFound
from slusha.services import sources as services
from slusha.services.access import require
from slusha.services.source_forms import connector_forms
from slusha.web.api.common import Id
from slusha.web.api.schemas import SourceRead, Strict
from slusha.web.deps import Caller, checked_caller, current_caller, web_state
from slusha.web.problems import PROBLEM_RESPONSES
from slusha.web.state import WebState

router = APIRouter(tags=["sources"], responses=PROBLEM_RESPONSES)
LANGUAGE_HELP = (
    "The language the source's posts are written in, as an ISO 639-1 code (such as mk): "
    "a hint that helps language detection with short posts."
)


class SettingFieldRead(BaseModel):
    name: str
    label: str
    type: str
    required: bool
    secret: bool
    description: str
    default: Any = None
    choices: list[str]


class ConnectorKindRead(BaseModel):
    kind: str
    title: str
    summary: str
    fields: list[SettingFieldRead]


class SourceCreate(Strict):
    kind: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, Any] = Field(default_factory=dict, description="Encrypted at rest.")
    interval_seconds: int | None = Field(None, ge=10, le=7 * 86400)
    language: str | None = Field(None, max_length=40, description=LANGUAGE_HELP)


class SourceUpdate(Strict):
    enabled: bool | None = None
    language: str | None = Field(
        None,
        max_length=40,
        description=LANGUAGE_HELP + " Send null or an empty string to clear it.",
    )


class SourceTestRead(BaseModel):
    ok: bool
    message: str
    code: str | None
    words: str = Field(description="Why it failed, in plain words ('' when ok).")


def source_rows(state: WebState, caller: Caller) -> list[dict[str, Any]]:
    """Sources with health (configuration and secrets left out)."""
    require(caller.principal, "sources.read")
    views = services.list_sources(state.db, registry=state.registry, clock=state.clock)
    return [{k: v for k, v in view.__dict__.items() if k != "config"} for view in views]


def _row(state: WebState, caller: Caller, source_id: int) -> dict[str, Any]:
    row = next((r for r in source_rows(state, caller) if r["id"] == source_id), None)
    if row is None:
        raise NotFound(f"no source with id {source_id}")
    return row


async def add(state: WebState, caller: Caller, body: SourceCreate) -> int:
    """Add a source as ``caller``; its id."""
    require(caller.principal, "sources.write")
    state.registry.connector(body.kind)  # an unknown kind answers before any network set-up
    source = await services.add_source(
        state.db, host=state.host, kind=body.kind, name=body.name, config=body.config,
        secrets=body.secrets, interval_seconds=body.interval_seconds, language=body.language,
        actor=caller.principal.username,
    )  # fmt: skip
    return source.id


async def run_test(state: WebState, caller: Caller, source_id: int) -> services.TestOutcome:
    """Test a source once through the SSRF-guarded client, as ``caller``."""
    require(caller.principal, "sources.write")
    # A missing source answers 404 before any network set-up.
    services.load_source(
        state.db, registry=state.registry, settings=state.settings, name_or_id=source_id
    )
    return await services.test_source(state.db, host=state.host, name_or_id=source_id)


def set_enabled(state: WebState, caller: Caller, source_id: int, enabled: bool) -> None:
    """Enable or disable a source, as ``caller``."""
    require(caller.principal, "sources.write")
    services.set_source_enabled(
        state.db, name=source_id, enabled=enabled, clock=state.clock,
        actor=caller.principal.username,
    )  # fmt: skip


def set_language(state: WebState, caller: Caller, source_id: int, language: str | None) -> None:
    """Set or clear the language of a source's posts, as ``caller``."""
    require(caller.principal, "sources.write")
    services.set_source_language(
        state.db, name=source_id, language=language, clock=state.clock,
        actor=caller.principal.username,
    )  # fmt: skip


@router.get("/sources", response_model=list[SourceRead], summary="Sources")
def get_sources(
    caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    return source_rows(state, caller)


@router.get(
    "/sources/kinds", response_model=list[ConnectorKindRead],
    summary="Connector kinds and their settings",
)  # fmt: skip
def get_kinds(
    caller: Caller = Depends(current_caller), state: WebState = Depends(web_state)
) -> list[dict[str, Any]]:
    require(caller.principal, "sources.read")
    return [form.to_dict() for form in connector_forms(state.registry)]


@router.post("/sources", response_model=SourceRead, status_code=201, summary="Add a source")
async def post_source(
    body: SourceCreate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    source_id = await add(state, caller, body)
    return _row(state, caller, source_id)


@router.patch(
    "/sources/{source_id}", response_model=SourceRead,
    summary="Enable or disable; set or clear the language",
)  # fmt: skip
def patch_source(
    source_id: Id,
    body: SourceUpdate,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> dict[str, Any]:
    require(caller.principal, "sources.write")
    if "language" in body.model_fields_set:
        set_language(state, caller, source_id, body.language)
    if body.enabled is not None:
        set_enabled(state, caller, source_id, body.enabled)
    return _row(state, caller, source_id)


@router.post(
    "/sources/{source_id}/test", response_model=SourceTestRead,
    summary="Check a source once (stores nothing)",
)  # fmt: skip
async def test_source(
    source_id: Id, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> dict[str, Any]:
    outcome = await run_test(state, caller, source_id)
    return outcome.__dict__
