"""``slusha config check|show`` and ``slusha db upgrade|optimize|backup|restore``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from slusha.cli.context import console, fail, get_settings, open_db
from slusha.config import Settings, secret_field_names


def _masked(settings: Settings) -> dict[str, object]:
    secrets = secret_field_names()
    out: dict[str, object] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name in secrets:
            raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
            out[name] = "****" if raw else ""
        elif name == "database_url" and "@" in str(value) and ":" in str(value).split("@")[0]:
            head, _, tail = str(value).partition("@")
            out[name] = head.rsplit(":", 1)[0] + ":****@" + tail
        else:
            out[name] = value
    return out


@click.group("config")
def config_group() -> None:
    """Check and show the settings."""


@config_group.command("check")
@click.option("--connect/--no-connect", default=True, help="Also try the database and the bus.")
def config_check(connect: bool) -> None:
    """Validate every setting (and reach the database); exit 2 when something is wrong."""
    settings = get_settings()
    problems = []
    if not settings.secret_key.get_secret_value():
        problems.append(
            "secret_key (SLUSHA_SECRET_KEY) is empty: set it before 'slusha serve' "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if connect:
        from slusha.errors import SlushaError
        from slusha.store.db import Database

        try:
            Database(settings.database_url).check()
        except SlushaError as exc:
            problems.append(str(exc))
    out = console()
    if problems:
        for problem in problems:
            out.print(f"[yellow]![/] {problem}")
        fail(f"{len(problems)} problem(s) found")
    out.print("[green]settings are valid[/]")


@config_group.command("show")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
def config_show(output_format: str) -> None:
    """Print the effective settings; secrets are masked."""
    values = _masked(get_settings())
    if output_format == "json":
        click.echo(json.dumps(values, indent=2, default=str))
        return
    for name, value in values.items():
        click.echo(f"{name} = {value}")


@click.group("db")
def db_group() -> None:
    """The database: schema, search index, backups."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration that has not run yet."""
    from slusha.store import migrations

    db = open_db(get_settings(), migrate=False)
    before = migrations.current_revision(db)
    migrations.upgrade(db)
    after = migrations.current_revision(db)
    console().print(
        f"database {db.safe_url}: schema {'up to date' if before == after else 'upgraded'} "
        f"at revision {after}"
    )


@db_group.command("optimize")
def db_optimize() -> None:
    """Merge the full-text search index (SQLite; worth it after a large import)."""
    from slusha.store.search import optimize_index

    db = open_db(get_settings())
    with console().status("merging the search index..."), db.transaction() as tx:
        optimize_index(tx.session)
    console().print(f"database {db.safe_url}: search index optimised")


@db_group.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path) -> None:
    """Copy the SQLite database to TARGET while Slusha keeps running (online backup)."""
    from slusha.errors import SlushaError
    from slusha.store.backup import backup_sqlite

    db = open_db(get_settings())
    with _pages("backing up") as report:
        try:
            size = backup_sqlite(db, target, progress=report)
        except SlushaError as exc:
            fail(str(exc))
    console().print(f"backup of {db.safe_url} written to {target} ({size / 1e6:.1f} MB)")


@db_group.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_restore(backup: Path, yes: bool) -> None:
    """Replace the SQLite database with BACKUP (checked first). Stop Slusha before."""
    from slusha.errors import SlushaError
    from slusha.store import migrations
    from slusha.store.backup import check_backup, restore_sqlite

    settings = get_settings()
    db = open_db(settings, migrate=False)
    try:
        revision = check_backup(backup)
    except SlushaError as exc:
        fail(str(exc))
    if not yes:
        click.confirm(
            f"Replace everything in {db.safe_url} with {backup} (schema {revision})? Stop every "
            "Slusha process that uses this database first",
            abort=True,
        )
    with _pages("restoring") as report:
        try:
            restore_sqlite(db, backup, progress=report)
        except SlushaError as exc:
            fail(str(exc))
    migrations.upgrade(db)  # a backup from an older version is brought up to date
    console().print(
        f"{db.safe_url} restored from {backup}; schema at {migrations.current_revision(db)}"
    )


@contextmanager
def _pages(what: str) -> Iterator[Callable[[int, int], None]]:
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as progress:
        task = progress.add_task(what, total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield report


def register(group: click.Group) -> None:
    """Add the commands to the root group."""
    group.add_command(config_group)
    group.add_command(db_group)
