"""``slusha inbox``, ``slusha routing``, ``slusha sla`` and ``slusha reports``."""

from __future__ import annotations

import asyncio
import json
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
from slusha.domain.inbox import STATUSES
from slusha.domain.routing import PRIORITIES, ROUTE_MODES, TOPIC_KINDS
from slusha.errors import SlushaError

INBOX_COLUMNS = ["mention_id", "team", "status", "priority", "assignee", "author", "tags", "text"]


def _principal(db: Any, user: str | None) -> Any:
    from slusha.services.inbox_access import operator, principal_by_name

    try:
        return principal_by_name(db, username=user) if user else operator()
    except SlushaError as exc:
        fail(str(exc))


def _guard(work: Any) -> Any:
    try:
        return work()
    except SlushaError as exc:
        fail(str(exc))


def _short(row: dict[str, Any]) -> dict[str, Any]:
    text = " ".join(str(row.get("text") or "").split())
    return {**row, "text": text[:80] + ("…" if len(text) > 80 else "")}


@click.group("inbox")
def inbox_group() -> None:
    """The team inbox: list, assign, change status, reply."""


@inbox_group.command("list")
@click.option("--team", help="The team's inbox (default: every team you see).")
@click.option("--mine", is_flag=True, help="Only mentions assigned to --user.")
@click.option("--user", help="Act as this member (default: the operator, who sees all).")
@click.option("--status", help="new, open, waiting, resolved, ignored, or all (default: active).")
@click.option("--priority", type=click.Choice(PRIORITIES))
@click.option("--tag", help="Only mentions with this tag.")
@click.option("--unassigned", is_flag=True, help="Only mentions nobody took yet.")
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
def inbox_list(
    team: str | None,
    mine: bool,
    user: str | None,
    status: str | None,
    priority: str | None,
    tag: str | None,
    unassigned: bool,
    limit: int,
    output_format: str,
) -> None:
    """Mentions to work on, newest first."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)

    def work() -> list[dict[str, Any]]:
        filters = inbox.resolve_filter(
            db,
            principal=principal,
            team=team,
            mine=mine,
            status=status,
            priority=priority,
            tag_name=tag,
            unassigned=unassigned,
        )
        return inbox.list_inbox(db, principal=principal, filters=filters, limit=limit)

    rows = _guard(work)
    if output_format == "table":
        rows = [_short(r) for r in rows]
    emit_rows(rows, columns=INBOX_COLUMNS, output_format=output_format, title="Inbox")


@inbox_group.command("show")
@click.argument("mention_id", type=int)
@click.option("--user", help="Act as this member.")
def inbox_show(mention_id: int, user: str | None) -> None:
    """One mention with its notes, history, conversation and timer (JSON)."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)
    view = _guard(lambda: inbox.get_mention(db, principal=principal, mention_id=mention_id))
    click.echo(json.dumps(view, ensure_ascii=False, indent=2, default=str))


@inbox_group.command("assign")
@click.argument("mention_id", type=int)
@click.option("--to", "to_user", help="The member who takes it.")
@click.option("--team", help="Hand it over to this team instead.")
@click.option("--nobody", is_flag=True, help="Put it back in the team's queue.")
@click.option("--note", help="A note for the team it is handed to.")
@click.option("--user", help="Act as this member.")
def inbox_assign(
    mention_id: int,
    to_user: str | None,
    team: str | None,
    nobody: bool,
    note: str | None,
    user: str | None,
) -> None:
    """Assign a mention to a member, or hand it over to a team."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)
    view = _guard(
        lambda: inbox.assign(
            db,
            principal=principal,
            mention_id=mention_id,
            clock=cli_clock(),
            user=to_user,
            team=team,
            note=note,
            unassign=nobody,
        )
    )
    who = view["assignee"] or "nobody"
    console().print(f"mention {mention_id}: {view['team']}, assigned to {who}, {view['status']}")


@inbox_group.command("status")
@click.argument("mention_id", type=int)
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--note", help="Why (kept in the mention's history).")
@click.option("--user", help="Act as this member.")
def inbox_status(mention_id: int, status: str, note: str | None, user: str | None) -> None:
    """Change a mention's status (new -> open -> waiting -> resolved; ignored; reopen)."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)
    view = _guard(
        lambda: inbox.set_status(
            db,
            principal=principal,
            mention_id=mention_id,
            status=status,
            clock=cli_clock(),
            note=note,
        )
    )
    console().print(f"mention {mention_id} is {view['status']}")


@inbox_group.command("note")
@click.argument("mention_id", type=int)
@click.argument("text")
@click.option("--user", help="Act as this member.")
def inbox_note(mention_id: int, text: str, user: str | None) -> None:
    """Add an internal note; @member mentions notify them."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)
    _guard(
        lambda: inbox.add_note(
            db, principal=principal, mention_id=mention_id, text=text, clock=cli_clock()
        )
    )
    console().print(f"note added to mention {mention_id}")


@inbox_group.command("tag")
@click.argument("mention_id", type=int)
@click.option("--add", "add", multiple=True, help="Tag to add (repeatable).")
@click.option("--remove", "remove", multiple=True, help="Tag to remove (repeatable).")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Also set the priority.")
@click.option("--user", help="Act as this member.")
def inbox_tag(
    mention_id: int,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    priority: str | None,
    user: str | None,
) -> None:
    """Add or remove tags, set the priority."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)
    clock = cli_clock()
    if add or remove:
        _guard(
            lambda: inbox.tag(
                db, principal=principal, mention_id=mention_id, clock=clock, add=add, remove=remove
            )
        )
    if priority:
        _guard(
            lambda: inbox.set_priority(
                db, principal=principal, mention_id=mention_id, priority=priority, clock=clock
            )
        )
    view = _guard(lambda: inbox.get_mention(db, principal=principal, mention_id=mention_id))
    console().print(f"mention {mention_id}: {view['priority']}, tags: {', '.join(view['tags'])}")


@inbox_group.command("bulk")
@click.argument("mention_ids", nargs=-1, type=int, required=True)
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--to", "to_user", help="Assign to this member.")
@click.option("--team", help="Hand over to this team.")
@click.option("--priority", type=click.Choice(PRIORITIES))
@click.option("--tag", "tags", multiple=True, help="Tag to add (repeatable).")
@click.option("--user", help="Act as this member.")
def inbox_bulk(
    mention_ids: tuple[int, ...],
    status: str | None,
    to_user: str | None,
    team: str | None,
    priority: str | None,
    tags: tuple[str, ...],
    user: str | None,
) -> None:
    """Apply the same change to several mentions; each succeeds or fails on its own."""
    from slusha.services import inbox

    db = open_db(get_settings())
    principal = _principal(db, user)
    result = _guard(
        lambda: inbox.bulk(
            db,
            principal=principal,
            mention_ids=mention_ids,
            clock=cli_clock(),
            status=status,
            assign_to=to_user,
            team=team,
            priority=priority,
            add_tags=tags,
        )
    )
    console().print(f"{len(result.done)} changed, {len(result.failed)} not")
    for mention_id, reason in result.failed.items():
        console(stderr=True).print(f"mention {mention_id}: {reason}")
    if result.failed:
        raise SystemExit(1)


@inbox_group.command("reply")
@click.argument("mention_id", type=int)
@click.option("--user", required=True, help="The member who replies.")
@click.option("--text", help="The reply.")
@click.option("--saved", "saved", help="Use this saved reply of the team (placeholders filled).")
@click.option("--resolve", is_flag=True, help="Resolve the mention once the reply is out.")
@click.option("--key", help="Idempotency key of an earlier attempt, to resume it.")
def inbox_reply(
    mention_id: int, user: str, text: str | None, saved: str | None, resolve: bool, key: str | None
) -> None:
    """Publish a reply through the network of the post (never twice)."""
    from slusha.plugins.host import PluginHost
    from slusha.services import replies

    settings = get_settings()
    db = open_db(settings)
    principal = _principal(db, user)
    if bool(text) == bool(saved):
        fail("give exactly one of --text or --saved")
    body = text or _guard(
        lambda: replies.saved_reply_text(
            db, principal=principal, mention_id=mention_id, name=str(saved)
        )
    )

    async def main() -> Any:
        clock = cli_clock()
        async with PluginHost(settings=settings, clock=clock) as host:
            return await replies.send_reply(
                db,
                principal=principal,
                mention_id=mention_id,
                text=body,
                clock=clock,
                host=host,
                idempotency_key=key,
                resolve=resolve,
            )

    view = _guard(lambda: asyncio.run(main()))
    for warning in view.warnings:
        console(stderr=True).print(f"warning: {warning}")
    console().print(f"reply sent: {view.url or view.external_id} (attempts: {view.attempts})")


@inbox_group.command("saved-reply")
@click.argument("team")
@click.argument("name")
@click.argument("text")
@click.option("--user", help="Act as this member.")
def inbox_saved_reply(team: str, name: str, text: str, user: str | None) -> None:
    """Save a team's reply template ({author}, {topic}, {team}, {agent})."""
    from slusha.services import replies

    db = open_db(get_settings())
    principal = _principal(db, user)
    _guard(
        lambda: replies.save_reply_template(
            db, principal=principal, team=team, name=name, text=text, clock=cli_clock()
        )
    )
    console().print(f"saved reply {name!r} for {team}")


@click.group("routing")
def routing_group() -> None:
    """Routing rules: where matched mentions go, in order."""


@routing_group.command("add")
@click.argument("name")
@click.option("--query", required=True, help="Rule query in the query language.")
@click.option("--team", "teams", multiple=True, help="Route to this team (repeatable).")
@click.option(
    "--mode",
    type=click.Choice(ROUTE_MODES),
    default="replace",
    show_default=True,
    help="Replace the topic's team, or add these teams to it.",
)
@click.option("--priority", type=click.Choice(PRIORITIES))
@click.option("--tag", "tags", multiple=True, help="Tag to add (repeatable).")
@click.option("--close", is_flag=True, help="Auto-close: the mention arrives as ignored.")
@click.option("--topic", "topics", multiple=True, help="Only for mentions of this topic.")
@click.option("--topic-kind", "kinds", multiple=True, type=click.Choice(TOPIC_KINDS))
@click.option("--topic-team", "topic_teams", multiple=True, help="Only topics of this team.")
@click.option("--position", type=int, help="Order (lower first; default: after the last).")
@click.option("--continue", "keep_going", is_flag=True, help="Let later rules apply too.")
def routing_add(
    name: str,
    query: str,
    teams: tuple[str, ...],
    mode: str,
    priority: str | None,
    tags: tuple[str, ...],
    close: bool,
    topics: tuple[str, ...],
    kinds: tuple[str, ...],
    topic_teams: tuple[str, ...],
    position: int | None,
    keep_going: bool,
) -> None:
    """Add a routing rule."""
    from slusha.services.routing import RuleSpec, add_rule

    db = open_db(get_settings())
    spec = RuleSpec(
        name=name,
        query=query,
        teams=teams,
        mode=mode,
        priority=priority,
        tags=tags,
        close=close,
        topics=topics,
        topic_kinds=kinds,
        topic_teams=topic_teams,
        position=position,
        stop=not keep_going,
    )
    rule = _guard(lambda: add_rule(db, spec, clock=cli_clock()))
    console().print(
        f"added routing rule [bold]{rule.name}[/] (id {rule.id}, position {rule.position})"
    )


@routing_group.command("list")
@FORMAT_OPTION
def routing_list(output_format: str) -> None:
    """List routing rules in the order they apply."""
    from slusha.services.routing import list_rules

    db = open_db(get_settings())
    columns = ["id", "position", "name", "enabled", "query", "teams", "priority", "tags", "close"]
    emit_rows(list_rules(db), columns=columns, output_format=output_format, title="Routing rules")


@routing_group.command("disable")
@click.argument("name")
def routing_disable(name: str) -> None:
    """Stop applying a rule (running workers notice within seconds)."""
    from slusha.services.routing import set_rule_enabled

    db = open_db(get_settings())
    _guard(lambda: set_rule_enabled(db, name=name, enabled=False, clock=cli_clock()))
    console().print(f"disabled routing rule {name}")


@routing_group.command("enable")
@click.argument("name")
def routing_enable(name: str) -> None:
    """Apply a disabled rule again."""
    from slusha.services.routing import set_rule_enabled

    db = open_db(get_settings())
    _guard(lambda: set_rule_enabled(db, name=name, enabled=True, clock=cli_clock()))
    console().print(f"enabled routing rule {name}")


@click.group("sla")
def sla_group() -> None:
    """Response-time targets per team."""


@sla_group.command("set")
@click.argument("team")
@click.option("--first-response", help="First-response target, e.g. 30m.")
@click.option("--resolution", help="Resolution target, e.g. 8h.")
@click.option("--hours", default="24/7", show_default=True, help='e.g. "mon-fri 09:00-17:00".')
@click.option("--timezone", default="UTC", show_default=True, help="IANA name, e.g. Europe/Skopje.")
@click.option("--warn-before", default="15m", show_default=True, help="Warn this long before.")
@click.option("--reassign-after", help="Reassign when the assignee has not replied, e.g. 45m.")
def sla_set(
    team: str,
    first_response: str | None,
    resolution: str | None,
    hours: str,
    timezone: str,
    warn_before: str,
    reassign_after: str | None,
) -> None:
    """Set a team's targets, business hours and time zone."""
    from slusha.services.sla import set_policy

    db = open_db(get_settings())
    view = _guard(
        lambda: set_policy(
            db,
            team=team,
            clock=cli_clock(),
            first_response=first_response,
            resolution=resolution,
            hours=hours,
            timezone=timezone,
            warn_before=warn_before,
            reassign_after=reassign_after,
        )
    )
    console().print(
        f"{view.team}: first response {view.first_response_minutes} min, resolution "
        f"{view.resolution_minutes} min, {view.hours} ({view.timezone})"
    )


@sla_group.command("list")
@FORMAT_OPTION
def sla_list(output_format: str) -> None:
    """Every team's targets and holidays."""
    from dataclasses import asdict

    from slusha.services.sla import list_policies

    db = open_db(get_settings())
    rows = [asdict(p) for p in list_policies(db)]
    columns = [
        "team",
        "first_response_minutes",
        "resolution_minutes",
        "hours",
        "timezone",
        "warn_before_minutes",
        "reassign_after_minutes",
        "holidays",
    ]
    emit_rows(rows, columns=columns, output_format=output_format, title="SLA policies")


@sla_group.command("holiday")
@click.argument("day")
@click.option("--team", help="The team (default: every team).")
@click.option("--name", default="", help="What the day is.")
def sla_holiday(day: str, team: str | None, name: str) -> None:
    """Add a day off (YYYY-MM-DD) that deadlines skip."""
    from slusha.services.sla import add_holiday

    db = open_db(get_settings())
    _guard(lambda: add_holiday(db, day=day, team=team, name=name, clock=cli_clock()))
    console().print(f"holiday {day} added for {team or 'every team'}")


@sla_group.command("check")
def sla_check() -> None:
    """Run the SLA checks once (serve runs them every 30 seconds)."""
    from slusha.services.sla import run_checks

    db = open_db(get_settings())
    summary = _guard(lambda: run_checks(db, clock=cli_clock()))
    console().print(
        f"{summary.warnings} warnings, {summary.breaches} breaches, {summary.reassigned} reassigned"
    )


@click.group("reports")
def reports_group() -> None:
    """Reports: response times against the targets."""


@reports_group.command("sla")
@click.option("--team", help="One team (default: every team).")
@click.option("--since", default="30d", show_default=True, help="e.g. 7d, 30d or 2026-11-01.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def reports_sla(team: str | None, since: str, output_format: str) -> None:
    """First response and resolution times (median, p90), % within target, backlog."""
    from slusha.services.mentions import parse_since
    from slusha.services.reports import CSV_COLUMNS, sla_report, to_csv

    db = open_db(get_settings())
    clock = cli_clock()
    report = _guard(
        lambda: sla_report(db, clock=clock, team=team, since=parse_since(since, clock=clock))
    )
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif output_format == "csv":
        click.echo(to_csv(report.rows()), nl=False)
    else:
        emit_rows(
            report.rows(),
            columns=list(CSV_COLUMNS),
            output_format="table",
            title="Response times (business seconds)",
        )


def register(group: click.Group) -> None:
    """Attach the inbox command groups."""
    for command in (inbox_group, routing_group, sla_group, reports_group):
        group.add_command(command)
