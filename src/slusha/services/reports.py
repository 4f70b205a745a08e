"""Response-time reports: first response and resolution (median, p90), % within target per
team and member, the backlog over time, and a CSV export.

Times are business seconds, measured when each clock stopped (``mention_timers``), so a report
over a million mentions reads stored numbers and never recomputes calendars.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slusha.clock import Clock
from slusha.domain.sla import percentile
from slusha.errors import InputError
from slusha.services.access import Principal
from slusha.services.inbox_access import operator, require_inbox
from slusha.store import inbox as store_inbox
from slusha.store import sla as store_sla
from slusha.store.db import Database

MAX_MARKS = 62  # backlog points per report: daily for two months, longer steps beyond
CSV_COLUMNS = (
    "scope",
    "team",
    "member",
    "mentions",
    "responded",
    "first_response_median_s",
    "first_response_p90_s",
    "first_response_within_pct",
    "resolved",
    "resolution_median_s",
    "resolution_p90_s",
    "resolution_within_pct",
)


@dataclass(slots=True)
class Figures:
    """One line of the report (a team, or a member within a team)."""

    scope: str
    team: str
    member: str | None = None
    mentions: int = 0
    responded: int = 0
    first_response_median_s: float | None = None
    first_response_p90_s: float | None = None
    first_response_within_pct: float | None = None
    resolved: int = 0
    resolution_median_s: float | None = None
    resolution_p90_s: float | None = None
    resolution_within_pct: float | None = None


@dataclass(slots=True)
class SlaReport:
    """The report over [since, until)."""

    since: datetime
    until: datetime
    teams: list[Figures] = field(default_factory=list)
    members: list[Figures] = field(default_factory=list)
    backlog: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "teams": [asdict(f) for f in self.teams],
            "members": [asdict(f) for f in self.members],
            "backlog": self.backlog,
        }

    def rows(self) -> list[dict[str, Any]]:
        """Team lines then member lines, as CSV and table rows."""
        return [asdict(f) for f in (*self.teams, *self.members)]


class _Acc:
    __slots__ = (
        "first",
        "first_eligible",
        "first_hit",
        "mentions",
        "res",
        "res_eligible",
        "res_hit",
    )

    def __init__(self) -> None:
        self.mentions = 0
        self.first: list[float] = []
        self.first_hit = self.first_eligible = 0
        self.res: list[float] = []
        self.res_hit = self.res_eligible = 0


def _figures(scope: str, team: str, member: str | None, acc: _Acc) -> Figures:
    def pct(hit: int, eligible: int) -> float | None:
        return round(100.0 * hit / eligible, 1) if eligible else None

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return Figures(
        scope=scope,
        team=team,
        member=member,
        mentions=acc.mentions,
        responded=len(acc.first),
        first_response_median_s=rounded(percentile(acc.first, 0.5)),
        first_response_p90_s=rounded(percentile(acc.first, 0.9)),
        first_response_within_pct=pct(acc.first_hit, acc.first_eligible),
        resolved=len(acc.res),
        resolution_median_s=rounded(percentile(acc.res, 0.5)),
        resolution_p90_s=rounded(percentile(acc.res, 0.9)),
        resolution_within_pct=pct(acc.res_hit, acc.res_eligible),
    )


def sla_report(
    db: Database,
    *,
    clock: Clock,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    principal: Principal | None = None,
) -> SlaReport:
    """The response-time report of one team (or every team the member belongs to)."""
    principal = principal or operator()
    until = until or clock.now()
    since = since or until - timedelta(days=30)
    if since >= until:
        raise InputError("the report period is empty (since must be before until)")
    with db.read() as tx:
        session = tx.session
        teams = {t.id: t.name for t in store_inbox.all_teams(session)}
        team_ids: list[int] | None = None
        if team is not None:
            team_ids = [store_inbox.team_by_name(session, name=team).id]
        elif not principal.is_admin:
            team_ids = sorted(principal.roles)
        for team_id in team_ids or []:
            require_inbox(principal, "inbox.read", team_id)
            if not principal.is_member(team_id):
                raise InputError(f"you are not a member of {teams.get(team_id)}")
        rows = store_sla.report_rows(session, since=since, until=until, team_ids=team_ids)
        marks, step_days = backlog_marks(since=since, until=until)
        counts = store_sla.backlog_counts(
            session, since=since, marks=marks, step_days=step_days, team_ids=team_ids
        )
        ids = {r[1] for r in rows if r[1]} | {r[2] for r in rows if r[2]}
        people = store_inbox.usernames(session, user_ids=sorted(ids))
    by_team: dict[int, _Acc] = defaultdict(_Acc)
    by_member: dict[tuple[int, int], _Acc] = defaultdict(_Acc)
    for team_id, responder, resolver, first_s, res_s, eligible, hit, res_eligible, res_hit in rows:
        acc = by_team[team_id]
        acc.mentions += 1
        acc.first_eligible += eligible
        acc.first_hit += hit
        if first_s is not None:
            acc.first.append(first_s)
        acc.res_eligible += res_eligible
        acc.res_hit += res_hit
        if res_s is not None:
            acc.res.append(res_s)
        if responder is not None and first_s is not None:
            member = by_member[(team_id, responder)]
            member.mentions += 1
            member.first.append(first_s)
            member.first_eligible += eligible
            member.first_hit += hit
        if resolver is not None and res_s is not None:
            member = by_member[(team_id, resolver)]
            if resolver != responder:
                member.mentions += 1
            member.res.append(res_s)
            member.res_eligible += res_eligible
            member.res_hit += res_hit
    report = SlaReport(since=since, until=until)
    for team_id in sorted(by_team, key=lambda t: teams.get(t, "")):
        report.teams.append(
            _figures("team", teams.get(team_id, str(team_id)), None, by_team[team_id])
        )
    for (team_id, user_id), acc in sorted(
        by_member.items(), key=lambda kv: (teams.get(kv[0][0], ""), people.get(kv[0][1], ""))
    ):
        report.members.append(
            _figures("member", teams.get(team_id, str(team_id)), people.get(user_id), acc)
        )
    report.backlog = [
        {"team": teams.get(team_id, str(team_id)), "at": mark.isoformat(), "open": line[index]}
        for team_id, line in sorted(counts.items(), key=lambda kv: teams.get(kv[0], ""))
        for index, mark in enumerate(marks)
    ]
    return report


def backlog_marks(
    *, since: datetime, until: datetime, most: int = MAX_MARKS
) -> tuple[list[datetime], int]:
    """When the backlog is counted (the end of each day, longer steps for long periods)."""
    step_days = max(1, -(-(until - since).days // most))
    step = timedelta(days=step_days)
    marks: list[datetime] = []
    at = since + step
    while at < until + step:
        marks.append(min(at, until))
        at += step
    return marks, step_days


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] = CSV_COLUMNS) -> str:
    """Rows as CSV with a header (empty cells for missing figures)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    return out.getvalue()
