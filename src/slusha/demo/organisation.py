"""The demo organisation: five teams, topics for Lumio, two competitors, a campaign and the CEO,
and routing rules that send job posts to HR, legal threats to Legal, complaints to care."""

from __future__ import annotations

from slusha.clock import Clock
from slusha.services.inbox_access import operator
from slusha.services.routing import RuleSpec, add_rule
from slusha.services.teams import ensure_team, list_teams
from slusha.services.topics import create_topic, list_topics
from slusha.services.users import create_user
from slusha.store.db import Database

TEAMS = ("Customer care", "HR", "Marketing", "PR", "Legal")
BRAND_TERMS = "(lumio OR лумио OR #lumio* OR #лумио* OR @lumio*)"
TOPICS = (
    # (name, team, kind, query): one brand topic; routing rules send its mentions onwards.
    ("Lumio", "Customer care", "brand", f"{BRAND_TERMS} NOT network:rss"),
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
JOB_TERMS = (
    "job* OR hiring OR career* OR вработува* OR оглас OR zapošljava OR posao OR jobs OR bewerben"
)
LEGAL_TERMS = "lawyer OR lawsuit OR court OR адвокат OR тужба OR тужам OR суд OR advokat OR tužbu"
COMPLAINT_TERMS = (
    'refund OR awful OR terrible OR worst OR outage OR "charged me twice" OR "on hold" '
    'OR "no connection" OR "stopped working" OR ужасно OR срамота OR најлоша OR "не работи" '
    'OR "поврат на пари" OR "ne radi" OR užas OR užasno OR najgora OR povraćaj OR "povrat novca" '
    'OR "искам си парите" OR furchtbar OR ausgefallen OR "geld zurück"'
)
ROUTING_RULES = (
    # (name, query, team, priority, tags): applied in this order to the brand topic's mentions.
    ("Job posts go to HR", JOB_TERMS, "HR", None, ("job",)),
    ("Legal threats go to Legal", LEGAL_TERMS, "Legal", "urgent", ("legal",)),
    ("Complaints go to Customer care", COMPLAINT_TERMS, "Customer care", "high", ("complaint",)),
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
    for name, query, team, priority, tags in ROUTING_RULES:
        spec = RuleSpec(
            name=name, query=query, teams=(team,), priority=priority, tags=tags, topics=("Lumio",)
        )
        add_rule(db, spec, clock=clock, principal=operator("demo"))
    _user, password = create_user(
        db, username=DEMO_USER, role="admin", password="slusha-demo", clock=clock, actor="demo"
    )
    return password
