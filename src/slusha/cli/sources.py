"""``slusha sources ...`` (add, list, test, fetch-once, disable, enable, language,
import-opml) and ``slusha plugins list``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape

from slusha.cli.context import (
    EXIT_PARTIAL,
    FORMAT_OPTION,
    cli_clock,
    console,
    emit_rows,
    fail,
    get_settings,
    open_db,
)
from slusha.config import Settings
from slusha.errors import SlushaError
from slusha.plugins.api import secret_fields
from slusha.plugins.codes import describe_code
from slusha.plugins.host import PluginHost
from slusha.services import sources as services
from slusha.store.db import Database
from slusha.store.schema import Source

T = TypeVar("T")
LIST_COLUMNS = ["name", "kind", "language", "health", "reason", "next_check_at", "last_ok_at",
                "items_total"]  # fmt: skip


def _pairs(values: tuple[str, ...], option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"{option} expects KEY=VALUE, got {item!r}")
        text = value.strip()
        # Numbers, booleans and JSON lists/objects are given as JSON; anything else is text.
        parsed: Any = text
        if text[:1] in "[{" or text in ("true", "false", "null") or _is_number(text):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        out[key.strip()] = parsed
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _run(host: PluginHost, work: Callable[[PluginHost], Awaitable[T]]) -> T:
    async def main() -> T:
        async with host:
            return await work(host)

    try:
        return asyncio.run(main())
    except SlushaError as exc:
        hint = f" ({describe_code(exc.code)})" if exc.code not in ("private_address",) else ""
        fail(f"{exc}{hint}")
        raise AssertionError("unreachable") from None


def _host(settings: Settings | None = None) -> PluginHost:
    """This command's plugin host (its outbound client opens on first use)."""
    return PluginHost(settings=settings or get_settings(), clock=cli_clock())


@click.group("sources")
def sources_group() -> None:
    """Where Slusha listens: feeds, networks and webhooks."""


@sources_group.command("add")
@click.argument("kind")
@click.option("--name", required=True, help="A unique name for the source.")
@click.option("--url", default=None, help="The feed or instance URL (sets the 'url' field).")
@click.option("--set", "settings_", multiple=True, metavar="KEY=VALUE", help="A config field.")
@click.option("--secret", multiple=True, metavar="KEY=VALUE", help="A secret config field.")
@click.option("--interval", type=int, default=None, help="Seconds between checks.")
@click.option(
    "--language",
    default=None,
    metavar="CODE",
    help="The language of the source's posts (ISO 639-1, such as mk): a hint for short posts.",
)
@click.option("--prompt-secrets", is_flag=True, help="Ask for every secret field not given.")
def add_cmd(
    kind: str,
    name: str,
    url: str | None,
    settings_: tuple[str, ...],
    secret: tuple[str, ...],
    interval: int | None,
    language: str | None,
    prompt_secrets: bool,
) -> None:
    """Add a source of KIND (see 'slusha plugins list'); for RSS: --url URL."""
    host = _host()
    config = _pairs(settings_, "--set")
    if url is not None:
        config["url"] = url
    secrets = _pairs(secret, "--secret")
    try:
        connector = host.connector(kind)
    except SlushaError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from None
    if prompt_secrets:
        for field_name in secret_fields(connector.Config):
            if field_name not in secrets and field_name not in config:
                value = click.prompt(field_name, hide_input=True, default="", show_default=False)
                if value:
                    secrets[field_name] = value
    db = open_db(host.settings)

    async def work(host: PluginHost) -> Any:
        return await services.add_source(
            db, host=host, kind=kind, name=name, config=config, secrets=secrets,
            interval_seconds=interval, language=language,
        )  # fmt: skip

    source = _run(host, work)
    console(stderr=True).print(f"added {kind} source {source.name!r} (id {source.id})")


@sources_group.command("list")
@FORMAT_OPTION
def list_cmd(output_format: str) -> None:
    """Every source with its health, last error in plain words, and next check."""
    settings = get_settings()
    db = open_db(settings)
    views = services.list_sources(db, registry=_host(settings).registry, clock=cli_clock())
    rows = [view.to_dict() for view in views]
    if output_format == "table":
        for row in rows:
            row["next_check_at"] = (row["next_check_at"] or "")[:19]
            row["last_ok_at"] = (row["last_ok_at"] or "")[:19]
    emit_rows(
        rows,
        columns=LIST_COLUMNS,
        output_format=output_format,
        title="Sources",
    )


@sources_group.command("test")
@click.argument("name")
def test_cmd(name: str) -> None:
    """Check that a source is reachable and its credentials work (changes nothing)."""
    host = _host()
    db = open_db(host.settings)

    async def work(host: PluginHost) -> Any:
        return await services.test_source(db, host=host, name_or_id=name)

    outcome = _run(host, work)
    if outcome.ok:
        console().print(f"[green]ok[/] {escape(name)}: {escape(outcome.message)}")
        return
    text = escape(f"{name}: {outcome.message} ({outcome.words})")
    console(stderr=True).print(f"[red]failed[/] {text}")
    raise SystemExit(EXIT_PARTIAL)


@sources_group.command("fetch-once")
@click.argument("name")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jsonl", "json"]),
    default="jsonl",
    show_default=True,
    help="Output format (the post format).",
)
def fetch_once_cmd(name: str, output_format: str) -> None:
    """Print the posts a source would ingest now, in the post format; stores nothing."""
    host = _host()
    db = open_db(host.settings)
    try:
        loaded = services.load_source(
            db, registry=host.registry, settings=host.settings, name_or_id=name
        )
    except SlushaError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from None
    if "poll" not in loaded.connector.capabilities:
        fail(f"{loaded.kind} sources cannot be polled (capabilities: "
             f"{', '.join(sorted(loaded.connector.capabilities))})")  # fmt: skip

    async def work(host: PluginHost) -> Any:
        return await host.fetch(loaded)

    result = _run(host, work)
    posts = [post.to_dict() for post in result.posts]
    if output_format == "json":
        click.echo(json.dumps(posts, ensure_ascii=False, indent=2))
    else:
        for post in posts:
            click.echo(json.dumps(post, ensure_ascii=False))
    deleted = f", {len(result.deleted_ids)} deletions" if result.deleted_ids else ""
    console(stderr=True).print(f"{len(posts)} posts{deleted} (nothing stored)")


@sources_group.command("disable")
@click.argument("name")
def disable_cmd(name: str) -> None:
    """Stop checking a source (its posts stay)."""
    _set_enabled(name, False)


@sources_group.command("enable")
@click.argument("name")
def enable_cmd(name: str) -> None:
    """Check a disabled source again (due at once)."""
    _set_enabled(name, True)


def _set_enabled(name: str, enabled: bool) -> None:
    source = _change(
        lambda db: services.set_source_enabled(db, name=name, enabled=enabled, clock=cli_clock())
    )
    state = "enabled" if enabled else "disabled"
    console(stderr=True).print(f"{state} source {source.name!r}")


@sources_group.command("language")
@click.argument("name")
@click.argument("code", required=False)
@click.option("--clear", is_flag=True, help="Forget the source's language.")
def language_cmd(name: str, code: str | None, clear: bool) -> None:
    """Set the language a source's posts are written in (ISO 639-1, e.g. mk), or --clear it.

    It helps language detection on short posts; see docs/model-card.md.
    """
    if clear == (code is not None):
        raise click.UsageError("give a language code (such as mk) or --clear, not both")
    source = _change(
        lambda db: services.set_source_language(db, name=name, language=code, clock=cli_clock())
    )
    shown = source.language or "none"
    console(stderr=True).print(f"source {source.name!r}: language {shown}")


def _change(work: Callable[[Database], Source]) -> Source:
    """Run one change to a source on the configured database; errors end the command."""
    db = open_db(get_settings())
    try:
        return work(db)
    except SlushaError as exc:
        fail(str(exc))
        raise AssertionError("unreachable") from None


@sources_group.command("import-opml")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_opml_cmd(path: Path) -> None:
    """Add an RSS source for every feed in an OPML file (feed readers export these)."""
    host = _host()
    db = open_db(host.settings)
    data = path.read_bytes()

    async def work(host: PluginHost) -> Any:
        return await services.import_opml(db, host=host, data=data)

    report = _run(host, work)
    out = console(stderr=True)
    for url, reason in report.skipped:
        out.print(f"skipped {url}: {reason}")
    out.print(f"{len(report.added)} sources added, {len(report.skipped)} skipped")
    if report.skipped and not report.added:
        raise SystemExit(EXIT_PARTIAL)


@click.group("plugins")
def plugins_group() -> None:
    """Connectors and notifiers, built in or installed."""


@plugins_group.command("list")
@FORMAT_OPTION
def plugins_list_cmd(output_format: str) -> None:
    """Every plugin with its capabilities, and every plugin that failed to load (with why)."""
    registry = _host().registry
    rows: list[dict[str, Any]] = [
        {
            "group": entry.group,
            "kind": entry.kind,
            "title": entry.title,
            "capabilities": list(entry.capabilities),
            "origin": entry.origin,
            "status": "ok",
            "error": "",
        }
        for entry in registry.entries()
    ]
    for failure in registry.failures:
        rows.append(
            {
                "group": failure.group.rsplit(".", 1)[-1].rstrip("s"),
                "kind": failure.name,
                "title": "",
                "capabilities": [],
                "origin": failure.origin,
                "status": "failed",
                "error": failure.error,
            }
        )
    emit_rows(
        rows,
        columns=["group", "kind", "title", "capabilities", "status", "error"],
        output_format=output_format,
        title="Plugins",
    )


def register(group: click.Group) -> None:
    """Attach ``sources`` and ``plugins`` to the root group."""
    group.add_command(sources_group)
    group.add_command(plugins_group)
