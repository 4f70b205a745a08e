"""``slusha alerts``: add, list, test, disable, enable and snooze alert rules."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import click

from slusha.cli.context import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    FORMAT_OPTION,
    cli_clock,
    cli_host,
    console,
    emit_rows,
    fail,
    get_settings,
    open_db,
    print_query_error,
)
from slusha.domain.alerts.rules import RULE_KINDS, SENTIMENTS
from slusha.errors import SlushaError


@click.group("alerts")
def alerts_group() -> None:
    """Alert rules: who is told what, where, and when."""


@alerts_group.command("add")
@click.option("--team", required=True, help="The team the rule belongs to.")
@click.option(
    "--topic",
    "topics",
    multiple=True,
    help="Topic name or id to watch (repeat for several; none: every topic of the team).",
)
@click.option("--kind", required=True, type=click.Choice(RULE_KINDS), help="What fires the rule.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    required=True,
    help="Where alerts go: email:ADDR, slack:URL, teams:URL, mattermost:URL or webhook:URL "
    "(repeat for several).",
)
@click.option("--filter", "filter_query", help="Refinement query, e.g. 'refund NOT \"gift card\"'.")
@click.option("--name", help="Rule name (default: kind and topics).")
@click.option("--network", "networks", multiple=True, help="Only these networks (repeatable).")
@click.option("--lang", "languages", multiple=True, help="Only these languages (repeatable).")
@click.option(
    "--sentiment", "sentiments", multiple=True, type=click.Choice(sorted(SENTIMENTS)),
    help="Only these sentiments (repeatable).",
)  # fmt: skip
@click.option(
    "--min-followers",
    type=click.IntRange(0),
    help="influencer: the follower threshold; other kinds: only authors with this many.",
)
@click.option("--watch", "watch_list", multiple=True, help="influencer: a handle to watch.")
@click.option("--throttle", help="Per-mention rules: at most N alerts per period, e.g. 10/1h.")
@click.option("--quiet-hours", help="Hold alerts during e.g. 22:00-07:00 (optionally 'mon,tue').")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone of the rule.")
@click.option(
    "--sensitivity",
    type=float,
    help="spike/sentiment: false alarms per month accepted (0.1 rare ... 4 weekly; default 1).",
)
@click.option("--window", help="spike/sentiment: window length, e.g. 1h (default) or 30m.")
@click.option("--min-count", type=click.IntRange(1), help="spike/sentiment: fewest that fire.")
@click.option("--schedule", help="digest: 'hourly', 'daily 08:00' or 'weekly mon 08:00'.")
def alerts_add(**options: object) -> None:
    """Add an alert rule; prints a webhook channel's signing secret once."""
    from slusha.services.alert_specs import FilterQueryError, RuleSpec
    from slusha.services.alerts import create_rule

    settings = get_settings()
    db = open_db(settings)
    spec = RuleSpec(**options)  # type: ignore[arg-type]
    try:
        created = create_rule(
            db, spec=spec, settings=settings, clock=cli_clock(),
            registry=cli_host(settings).registry,
        )  # fmt: skip
    except FilterQueryError as exc:
        print_query_error("the --filter query", exc.query, exc.error)
        raise SystemExit(EXIT_USAGE) from None
    except SlushaError as exc:
        fail(str(exc))
    rule = created.rule
    console().print(
        f"added alert rule [bold]{rule.name}[/] (id {rule.id}) for {rule.team}: "
        f"{rule.kind}, {len(rule.channels)} channel(s)",
        markup=True,
        highlight=False,
    )
    for target, secret in created.secrets:
        console().print(f"webhook secret for {target} (shown once, store it now):", markup=False)
        click.echo(secret)


@alerts_group.command("list")
@click.option("--team", help="Only this team's rules.")
@FORMAT_OPTION
def alerts_list(team: str | None, output_format: str) -> None:
    """List alert rules with their channels; a failing channel is marked."""
    from slusha.services.alerts import list_rules

    db = open_db(get_settings())
    try:
        views = list_rules(db, team=team)
    except SlushaError as exc:
        fail(str(exc))
    if output_format != "table":
        emit_rows([v.to_dict() for v in views], columns=[], output_format=output_format)
        return
    rows = [
        {
            "id": v.id,
            "name": v.name,
            "team": v.team,
            "kind": v.kind,
            "topics": v.topics or ["(all)"],
            "channels": [
                c.target + ("" if c.health != "failing" else f" FAILING ({c.reason})")
                for c in v.channels
            ],
            "state": _state(v.enabled, v.snoozed_until, v.incident_open),
        }
        for v in views
    ]
    emit_rows(
        rows,
        columns=["id", "name", "team", "kind", "topics", "channels", "state"],
        output_format="table",
        title="Alert rules",
    )


def _state(enabled: bool, snoozed_until: datetime | None, incident_open: bool) -> str:
    if not enabled:
        return "disabled"
    if snoozed_until is not None and snoozed_until > cli_clock().now():
        return f"snoozed until {snoozed_until:%Y-%m-%d %H:%M} UTC"
    return "incident open" if incident_open else "enabled"


@alerts_group.command("test")
@click.argument("name_or_id")
def alerts_test(name_or_id: str) -> None:
    """Send a sample alert through every channel of a rule; exit 1 when one fails."""
    from slusha.services.alerts import send_test_alerts

    settings = get_settings()
    db = open_db(settings)

    async def main() -> Any:
        async with cli_host(settings) as host:
            return await send_test_alerts(db, name_or_id=name_or_id, host=host)

    try:
        results = asyncio.run(main())
    except SlushaError as exc:
        fail(str(exc))
    if not results:
        fail(f"rule {name_or_id!r} has no channels to test")
    failed = 0
    for test in results:
        result = test.result
        if result.is_sent:
            console().print(f"[green]sent[/]   {test.channel.target}", highlight=False)
        else:
            failed += 1
            console().print(
                f"[red]failed[/] {test.channel.target}: {result.reason} ({result.message})",
                highlight=False,
            )
    if failed:
        raise SystemExit(EXIT_PARTIAL)


def _toggle(name_or_id: str, enabled: bool) -> None:
    from slusha.services.alerts import set_rule_enabled

    db = open_db(get_settings())
    try:
        view = set_rule_enabled(db, name_or_id=name_or_id, enabled=enabled, clock=cli_clock())
    except SlushaError as exc:
        fail(str(exc))
    state = "enabled" if enabled else "disabled"
    console().print(f"alert rule [bold]{view.name}[/] (id {view.id}) {state}", highlight=False)


@alerts_group.command("disable")
@click.argument("name_or_id")
def alerts_disable(name_or_id: str) -> None:
    """Stop a rule (its history stays); running alerters notice within seconds."""
    _toggle(name_or_id, False)


@alerts_group.command("enable")
@click.argument("name_or_id")
def alerts_enable(name_or_id: str) -> None:
    """Resume a disabled rule."""
    _toggle(name_or_id, True)


@alerts_group.command("snooze")
@click.argument("name_or_id")
@click.option("--for", "duration", help="How long, e.g. 2h or 1d.")
@click.option("--until", "until_text", help="Until an ISO time with offset.")
@click.option("--wake", is_flag=True, help="End a snooze now.")
def alerts_snooze(
    name_or_id: str, duration: str | None, until_text: str | None, wake: bool
) -> None:
    """Silence a rule for a while; alerts meanwhile are dropped (and counted)."""
    from datetime import timedelta

    from slusha.domain.post import parse_datetime
    from slusha.services.alert_specs import parse_duration
    from slusha.services.alerts import snooze_rule

    if sum(1 for x in (duration, until_text, wake) if x) != 1:
        fail("give exactly one of --for DURATION, --until TIME or --wake")
    db = open_db(get_settings())
    clock = cli_clock()
    try:
        until = None
        if duration:
            until = clock.now() + timedelta(seconds=parse_duration(duration, what="--for"))
        elif until_text:
            until = parse_datetime(until_text, key="--until")
        view = snooze_rule(db, name_or_id=name_or_id, until=until, clock=clock)
    except SlushaError as exc:
        fail(str(exc))
    message = f"snoozed until {until.isoformat()}" if until else "awake"
    console().print(f"alert rule [bold]{view.name}[/] {message}", highlight=False)


@click.group("deliveries")
def deliveries_group() -> None:
    """Deliveries (alerts, replies): what is pending, sent or failed; send failed ones again."""


@deliveries_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only these.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@FORMAT_OPTION
def deliveries_list(status: str | None, limit: int, output_format: str) -> None:
    """Deliveries, newest first, with the reason of the last failure."""
    from slusha.services.deliveries import list_deliveries

    rows = [
        {"id": d.id, "kind": d.kind, "status": d.status, "what": d.alert, "rule": d.rule,
         "channel": d.channel,
         "target": d.target, "attempts": d.attempts, "reason": d.reason, "message": d.message,
         "updated_at": d.updated_at.isoformat()}
        for d in list_deliveries(open_db(get_settings()), status=status, limit=limit)
    ]  # fmt: skip
    emit_rows(
        rows,
        columns=["kind", "id", "status", "what", "channel", "target", "attempts", "reason"],
        output_format=output_format, title="Deliveries",
    )  # fmt: skip


@deliveries_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option(
    "--reply",
    "reply_ids",
    multiple=True,
    type=int,
    metavar="ID",
    help="A failed reply (its id in 'deliveries list'); repeat for more.",
)
@click.option("--all-failed", is_flag=True, help="Every failed delivery, alerts and replies.")
def deliveries_retry(ids: tuple[int, ...], reply_ids: tuple[int, ...], all_failed: bool) -> None:
    """Send failed deliveries again: alert deliveries by id, replies with --reply ID, or
    --all-failed. The alerter sends alerts within seconds, the inbox role replies within a
    minute, each with the delivery id it had (a reply with its idempotency key)."""
    from slusha.services.deliveries import send_again

    if bool(ids or reply_ids) == all_failed:
        fail("give the ids of failed deliveries (--reply ID for replies), or --all-failed")
    db = open_db(get_settings())
    try:
        count = send_again(
            db, job_ids=list(ids) if ids else None, clock=cli_clock(),
            reply_ids=list(reply_ids) if reply_ids else None,
        )  # fmt: skip
    except SlushaError as exc:
        fail(str(exc))
    console().print(f"{count} deliveries queued again; the running roles send them")


def register(group: click.Group) -> None:
    """Add the commands to the root group."""
    group.add_command(alerts_group)
    group.add_command(deliveries_group)
