"""The web server role (uvicorn over ``slusha.web.create_app``) and ``slusha tokens``."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from slusha.cli.context import (
    FORMAT_OPTION,
    cli_clock,
    console,
    emit_rows,
    fail,
    get_settings,
    open_db,
)
from slusha.errors import SlushaError


def build_web_app(runtime: Any) -> Any:
    """The web app over the runtime's database and bus; the ingest webhook feeds its bus."""
    from slusha.pipeline.ingest import submit_posts
    from slusha.pipeline.runtime import post_limits
    from slusha.web.api.ingest import IngestSummary
    from slusha.web.app import create_app

    limits = post_limits(runtime.settings)

    async def submit(
        posts: list[Any], *, source_id: int, source_language: str | None = None
    ) -> IngestSummary:
        # Returns once the posts are stored (or held by JetStream): only then is the 202 sent.
        refused = await submit_posts(
            runtime.bus, posts, source_id=source_id, source_language=source_language,
            limits=limits,
        )  # fmt: skip
        return IngestSummary(
            accepted=len(posts) - len(refused),
            rejected=[{"index": int(r.where.split()[-1]), "reason": r.reason} for r in refused],
        )

    supervisor = getattr(runtime, "supervisor", None)
    metrics = getattr(runtime, "metrics", None)
    return create_app(
        runtime.settings, db=runtime.db, bus=runtime.bus, clock=runtime.clock, submit=submit,
        host=runtime.host, process_health=supervisor.health if supervisor is not None else None,
        metrics=metrics.render if metrics is not None else None,
    )  # fmt: skip


async def run_web(runtime: Any, stop: asyncio.Event) -> None:
    """Serve the web app until ``stop`` is set; a server that dies stops the process."""
    from slusha.web.server import serve_app

    if not await serve_app(build_web_app(runtime), runtime.settings, stop):
        console(stderr=True).print(
            f"[bold red]error:[/] the web server on {runtime.settings.host}:"
            f"{runtime.settings.port} stopped (is the port taken?)"
        )
        stop.set()


@click.group("tokens")
def tokens_group() -> None:
    """API tokens (bearer tokens for /api/v1)."""


@tokens_group.command("create")
@click.option("--user", "username", required=True, help="The member the token acts for.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--read-only", is_flag=True, help="The token may only read.")
def tokens_create(username: str, label: str, read_only: bool) -> None:
    """Create a token; prints it once (only its hash is stored)."""
    from slusha.services.tokens import create_token

    db = open_db(get_settings())
    try:
        view, secret = create_token(
            db, username=username, label=label, scope="read" if read_only else "write",
            clock=cli_clock(),
        )  # fmt: skip
    except SlushaError as exc:
        fail(str(exc))
    console(stderr=True).print(f"token {view.id} for [bold]{view.username}[/] ({view.scope})")
    console(stderr=True).print("the token (shown once, store it now):")
    click.echo(secret)


@tokens_group.command("list")
@click.option("--user", "username", default=None, help="Only this member's tokens.")
@FORMAT_OPTION
def tokens_list(username: str | None, output_format: str) -> None:
    """List tokens (never the secrets)."""
    from slusha.services.tokens import list_tokens

    db = open_db(get_settings())
    rows = [
        {"id": t.id, "user": t.username, "label": t.label, "prefix": t.prefix, "scope": t.scope,
         "created_at": t.created_at.isoformat(),
         "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
         "revoked": t.revoked_at is not None}
        for t in list_tokens(db)
        if username is None or t.username.casefold() == username.casefold()
    ]  # fmt: skip
    emit_rows(
        rows, columns=["id", "user", "label", "prefix", "scope", "last_used_at", "revoked"],
        output_format=output_format, title="API tokens",
    )  # fmt: skip


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    from slusha.services.tokens import revoke_token

    db = open_db(get_settings())
    try:
        revoke_token(db, token_id=token_id, clock=cli_clock())
    except SlushaError as exc:
        fail(str(exc))
    console().print(f"token {token_id} revoked")


def register(group: click.Group) -> None:
    """Add the commands to the root group."""
    group.add_command(tokens_group)
