"""``slusha teams``, ``slusha users`` and ``slusha topics``."""

from __future__ import annotations

import click

from slusha.cli.context import (
    EXIT_USAGE,
    FORMAT_OPTION,
    cli_clock,
    console,
    emit_rows,
    fail,
    get_settings,
    open_db,
    print_query_error,
)
from slusha.errors import SlushaError
from slusha.store.schema import TEAM_ROLES, TOPIC_KINDS


@click.group("teams")
def teams_group() -> None:
    """Teams (departments) that own topics and work mentions."""


@teams_group.command("add")
@click.argument("name")
def teams_add(name: str) -> None:
    """Add a team."""
    from slusha.services.teams import create_team

    db = open_db(get_settings())
    try:
        team = create_team(db, name=name, clock=cli_clock())
    except SlushaError as exc:
        fail(str(exc))
    console().print(f"added team [bold]{team.name}[/] (id {team.id})")


@teams_group.command("list")
@FORMAT_OPTION
def teams_list(output_format: str) -> None:
    """List teams."""
    from slusha.services.teams import list_teams

    db = open_db(get_settings())
    rows = [{"id": t.id, "name": t.name, "slug": t.slug} for t in list_teams(db)]
    emit_rows(rows, columns=["id", "name", "slug"], output_format=output_format, title="Teams")


@click.group("users")
def users_group() -> None:
    """Members who sign in."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(TEAM_ROLES), default="admin", show_default=True)
@click.option("--team", help="Team the role applies to (needed for every role but admin).")
def users_add(username: str, role: str, team: str | None) -> None:
    """Add a member; prints a generated password once."""
    from slusha.services.users import create_user

    db = open_db(get_settings())
    try:
        user, password = create_user(db, username=username, role=role, team=team, clock=cli_clock())
    except SlushaError as exc:
        fail(str(exc))
    where = f" in {team}" if team else " (organisation admin)" if role == "admin" else ""
    console().print(f"added member [bold]{user.username}[/] as {role}{where}")
    console().print(f"password (shown once, store it now): [bold]{password}[/]")


@users_group.command("list")
@FORMAT_OPTION
def users_list(output_format: str) -> None:
    """List members and their roles."""
    from slusha.services.users import list_users

    db = open_db(get_settings())
    rows = [
        {
            "id": u.id,
            "username": u.username,
            "admin": u.is_admin,
            "roles": [f"{role}@{team}" for team, role in roles],
            "active": u.is_active,
        }
        for u, roles in list_users(db)
    ]
    emit_rows(
        rows,
        columns=["id", "username", "admin", "roles", "active"],
        output_format=output_format,
        title="Members",
    )


@click.group("topics")
def topics_group() -> None:
    """Topics: what each team listens for."""


@topics_group.command("add")
@click.argument("name")
@click.option("--team", required=True, help="The team that owns the topic.")
@click.option("--query", required=True, help="Listening query, e.g. 'acme NOT job*'.")
@click.option("--kind", type=click.Choice(TOPIC_KINDS), default="brand", show_default=True)
@click.option("--private", "is_private", is_flag=True, help="Only the owning team sees it.")
def topics_add(name: str, team: str, query: str, kind: str, is_private: bool) -> None:
    """Add a topic; the query is checked first."""
    from slusha.services.topics import TopicQueryError, create_topic

    db = open_db(get_settings())
    try:
        topic = create_topic(
            db,
            name=name,
            team=team,
            query=query,
            kind=kind,
            is_private=is_private,
            clock=cli_clock(),
        )
    except TopicQueryError as exc:
        print_query_error("the query", query, exc.error)
        raise SystemExit(EXIT_USAGE) from None
    except SlushaError as exc:
        fail(str(exc))
    console().print(f"added topic [bold]{topic.name}[/] (id {topic.id}) for {team}")


@topics_group.command("list")
@FORMAT_OPTION
def topics_list(output_format: str) -> None:
    """List topics."""
    from slusha.services.topics import list_topics

    db = open_db(get_settings())
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "kind": t.kind,
            "team": team.name,
            "enabled": t.enabled,
            "query": t.query,
        }
        for t, team in list_topics(db)
    ]
    emit_rows(
        rows,
        columns=["id", "name", "kind", "team", "enabled", "query"],
        output_format=output_format,
        title="Topics",
    )


def _toggle(name: str, enabled: bool) -> None:
    from slusha.services.topics import set_topic_enabled

    db = open_db(get_settings())
    try:
        topic = set_topic_enabled(db, name_or_id=name, enabled=enabled, clock=cli_clock())
    except SlushaError as exc:
        fail(str(exc))
    console().print(f"topic [bold]{topic.name}[/] {'enabled' if enabled else 'disabled'}")


@topics_group.command("disable")
@click.argument("name")
def topics_disable(name: str) -> None:
    """Stop matching a topic (its mentions stay)."""
    _toggle(name, False)


@topics_group.command("enable")
@click.argument("name")
def topics_enable(name: str) -> None:
    """Match a disabled topic again."""
    _toggle(name, True)


def register(group: click.Group) -> None:
    """Add the commands to the root group."""
    group.add_command(teams_group)
    group.add_command(users_group)
    group.add_command(topics_group)
