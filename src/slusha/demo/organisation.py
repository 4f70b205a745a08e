"""The demo organisation: five teams, topics for Lumio, two competitors, a campaign and the CEO."""

from __future__ import annotations

from slusha.clock import Clock
from slusha.services.teams import ensure_team, list_teams
from slusha.services.topics import create_topic, list_topics
from slusha.services.users import create_user
from slusha.store.db import Database

TEAMS = ("Customer care", "HR", "Marketing", "PR", "Legal")
BRAND_TERMS = "(lumio OR лумио OR #lumio* OR #лумио* OR @lumio*)"
TOPICS = (
    # (name, team, kind, query)
    (
        "Lumio",
        "Customer care",
        "brand",
        f"{BRAND_TERMS} NOT (job* OR hiring OR вработува* OR оглас OR zapošljava OR posao "
        "OR lawyer OR lawsuit OR court OR адвокат OR тужба OR тужам OR advokat OR tužbu) "
        "NOT network:rss",
    ),
    (
        "Lumio jobs",
        "HR",
        "other",
        f"{BRAND_TERMS} (job* OR hiring OR career* OR вработува* OR оглас OR zapošljava OR posao "
        "OR jobs OR bewerben)",
    ),
    (
        "Lumio legal",
        "Legal",
        "other",
        f"{BRAND_TERMS} (lawyer OR lawsuit OR court OR адвокат OR тужба OR тужам OR суд "
        "OR advokat OR tužbu)",
    ),
    ("Lumio in the press", "PR", "brand", f"{BRAND_TERMS} network:rss"),
    ("Ana Petrovska (CEO)", "PR", "person", '"ana petrovska" OR "ана петровска"'),
    (
        "Summer campaign",
        "Marketing",
        "campaign",
        "#lumiosummer OR #лумиолето OR #lumioleto OR #лумиолято OR #lumiosommer OR #lumioljeto",
    ),
    ("Telvia", "Marketing", "competitor", "telvia OR #telvia OR телвиа"),
    ("Nexora", "Marketing", "competitor", "nexora OR #nexora OR нексора"),
)
DEMO_USER = "demo"


def is_set_up(db: Database) -> bool:
    """True once the demo organisation exists in this database."""
    return len(list_topics(db)) > 0 and len(list_teams(db)) >= len(TEAMS)


def set_up(db: Database, *, clock: Clock) -> str:
    """Create teams, topics and the demo admin; returns the admin's password."""
    for name in TEAMS:
        ensure_team(db, name=name, clock=clock, actor="demo")
    for name, team, kind, query in TOPICS:
        create_topic(db, name=name, team=team, kind=kind, query=query, clock=clock, actor="demo")
    _user, password = create_user(
        db, username=DEMO_USER, role="admin", password="slusha-demo", clock=clock, actor="demo"
    )
    return password
