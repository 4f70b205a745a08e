"""Shared helpers for command modules: settings, output formats, exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from slusha.config import Settings, load_settings
from slusha.errors import ConfigError

EXIT_OK = 0
EXIT_PARTIAL = 1  # input was rejected in part
EXIT_USAGE = 2

FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="Output format.",
)


def console(*, stderr: bool = False) -> Console:
    """A rich console (stderr for progress and messages, so stdout stays clean for data)."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def fail(message: str, *, code: int = EXIT_USAGE) -> None:
    """Print an error that says what to do, and exit (``message`` is plain text: brackets
    such as ``slusha[e5]`` print as they are)."""
    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")
    sys.exit(code)


def get_settings(ctx: click.Context | None = None, **overrides: Any) -> Settings:
    """The settings for this invocation (``--config`` file + environment), or exit 2."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    config_file = (root.obj or {}).get("config_file")
    try:
        return load_settings(config_file, **overrides)
    except ConfigError as exc:
        fail(f"{exc}\n(fix the setting, then run 'slusha config check')")
        raise AssertionError("unreachable") from None


def emit_rows(
    rows: Sequence[dict[str, Any]],
    *,
    columns: Sequence[str],
    output_format: str,
    title: str | None = None,
) -> None:
    """Print rows as a rich table, a JSON array or JSON lines."""
    if output_format == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, default=str, indent=2))
        return
    if output_format == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | dict):
        return ", ".join(str(v) for v in value)
    return str(value)


def open_db(settings: Settings, *, migrate: bool = True) -> Any:
    """Connect to the configured database and bring its schema up to date, or exit 2."""
    from slusha.errors import SlushaError
    from slusha.pipeline.runtime import open_database

    try:
        db = open_database(settings, migrate=migrate)
    except SlushaError as exc:
        fail(str(exc))
    except Exception as exc:  # driver errors during migration: say what happened, not a trace
        fail(f"cannot use the database {settings.database_url!r}: {type(exc).__name__}: {exc}")
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(db.dispose)  # pooled connections closed, not left to the collector
    return db


def cli_clock() -> Any:
    """The clock commands use (the real one)."""
    from slusha.clock import SystemClock

    return SystemClock()


def cli_host(settings: Settings) -> Any:
    """The command's plugin host: every connector and notifier, and the outbound client
    (opened on first use; ``async with`` it to close the client)."""
    from slusha.plugins.host import PluginHost

    return PluginHost(settings=settings, clock=cli_clock())


def print_query_error(what: str, query: str, error: Any) -> None:
    """Say why a query is not valid, with the query and a caret under the problem (stderr)."""
    err = console(stderr=True)
    err.print(f"[bold red]error:[/] {what} is not valid: {error.message}")
    for line in error.caret(query).splitlines():
        err.print(f"  {line}", markup=False, highlight=False)
