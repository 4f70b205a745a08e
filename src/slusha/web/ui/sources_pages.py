"""The sources page: health and last error in plain words; add, test, enable and disable.

Everyone may look; adding, testing and switching sources on or off is for managers and admins
(``sources.write``). The work is done by ``slusha.web.api.sources``, as for the API.

Errors are shown in the page's language: the kind of failure (its stable code) in translated
words, followed by the connector's own message (URL, status) as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from slusha.errors import Forbidden, SlushaError
from slusha.plugins.codes import describe_code, error_kind
from slusha.services.access import can, require
from slusha.services.source_forms import ConnectorForm, connector_forms, parse_form
from slusha.services.sources import health_reason
from slusha.web.api import sources as api
from slusha.web.deps import Caller, checked_caller, current_caller, page_locale, render, web_state
from slusha.web.i18n import format_number
from slusha.web.state import WebState

router = APIRouter(include_in_schema=False)
MAX_FIELD = 4000


def _gettext(request: Request, state: WebState, caller: Caller) -> Callable[[str], str]:
    return state.translations.gettext(page_locale(request, caller))


def _rows(request: Request, state: WebState, caller: Caller) -> list[dict[str, Any]]:
    """The sources, each with its reason in the page's language."""
    locale = page_locale(request, caller)
    gettext = state.translations.gettext(locale)
    rows = api.source_rows(state, caller)
    for row in rows:
        row["reason"] = health_reason(
            row["health"], error_code=row["error_code"], error_message=row["error_message"],
            error_streak=row["error_streak"], interval_seconds=row["interval_seconds"],
            gettext=gettext, number=lambda value: format_number(value, locale),
        )  # fmt: skip
    return rows


def _error_text(exc: SlushaError, gettext: Callable[[str], str]) -> str:
    """A refused source in the page's language: the kind of failure, then the detail as it is."""
    if error_kind(exc.code) is None:
        return str(exc)
    return f"{describe_code(exc.code, gettext)}: {exc}"


def _page(
    request: Request,
    state: WebState,
    caller: Caller,
    *,
    kind: str | None = None,
    values: dict[str, str] | None = None,
    error: str = "",
    tested: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    can_write = can(caller.principal, "sources.write")
    forms = connector_forms(state.registry) if can_write else []
    chosen = next((f for f in forms if f.kind == kind), None)
    return render(
        request, "sources.html", caller=caller, status_code=status_code,
        sources=_rows(request, state, caller), can_write=can_write, forms=forms, form=chosen,
        values=values or {}, error=error, tested=tested,
    )  # fmt: skip


@router.get("/sources")
def sources_page(
    request: Request,
    kind: str | None = None,
    caller: Caller = Depends(current_caller),
    state: WebState = Depends(web_state),
) -> Response:
    return _page(request, state, caller, kind=kind)


def _text_values(form: Any, chosen: ConnectorForm) -> dict[str, str]:
    wanted = {"name", "interval_seconds", "source_language"} | {f.name for f in chosen.fields}
    values = {}
    for key in wanted:
        value = form.get(key)
        if isinstance(value, str):
            values[key] = value[:MAX_FIELD]
    return values


@router.post("/sources/new")
async def add_source(
    request: Request, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> Response:
    form = await request.form()
    kind = str(form.get("kind") or "")
    require(caller.principal, "sources.write")
    chosen = next((f for f in connector_forms(state.registry) if f.kind == kind), None)
    if chosen is None:
        return _page(request, state, caller, error=f"unknown source kind {kind!r}",
                     status_code=422)  # fmt: skip
    values = _text_values(form, chosen)
    try:
        config, secrets = parse_form(chosen, values)
        interval = values.get("interval_seconds", "").strip()
        body = api.SourceCreate(
            kind=kind, name=values.get("name", ""), config=config, secrets=secrets,
            interval_seconds=int(interval) if interval.isdigit() else None,
            language=values.get("source_language", "").strip() or None,
        )  # fmt: skip
        await api.add(state, caller, body)
    except Forbidden:
        raise
    except SlushaError as exc:  # a wrong value, a taken name, a refused or unreachable address
        # Secrets are never sent back into the page.
        secret = {f.name for f in chosen.fields if f.secret}
        kept = {k: v for k, v in values.items() if k not in secret}
        error = _error_text(exc, _gettext(request, state, caller))
        return _page(request, state, caller, kind=kind, values=kept, error=error,
                     status_code=422)  # fmt: skip
    except ValueError as exc:  # the request model's own checks (name length, interval)
        return _page(request, state, caller, kind=kind, error=str(exc).splitlines()[-1],
                     status_code=422)  # fmt: skip
    return RedirectResponse("/sources", status_code=303)


@router.post("/sources/{source_id:int}/test")
async def test_source(
    request: Request,
    source_id: int,
    caller: Caller = Depends(checked_caller),
    state: WebState = Depends(web_state),
) -> Response:
    outcome = await api.run_test(state, caller, source_id)
    name = next((r["name"] for r in api.source_rows(state, caller) if r["id"] == source_id), "")
    tested = {"id": source_id, "name": name, **outcome.__dict__}
    if not outcome.ok:
        tested["words"] = describe_code(outcome.code, _gettext(request, state, caller))
    return _page(request, state, caller, tested=tested)


@router.post("/sources/{source_id:int}/enable")
def enable_source(
    source_id: int, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> Response:
    api.set_enabled(state, caller, source_id, True)
    return RedirectResponse("/sources", status_code=303)


@router.post("/sources/{source_id:int}/disable")
def disable_source(
    source_id: int, caller: Caller = Depends(checked_caller), state: WebState = Depends(web_state)
) -> Response:
    api.set_enabled(state, caller, source_id, False)
    return RedirectResponse("/sources", status_code=303)
