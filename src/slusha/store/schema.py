"""Tables. Portable types only; natural keys are unique; the schema is created by migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TEAM_ROLES = ("admin", "manager", "responder", "viewer", "reviewer")
TOPIC_KINDS = ("brand", "competitor", "campaign", "person", "other")
MENTION_STATUSES = ("new", "open", "waiting", "resolved", "ignored")
PRIORITIES = ("low", "normal", "high", "urgent")
SENTIMENTS = ("negative", "neutral", "positive")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention migrations rely on."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Team(Base):
    """A department that owns topics and works mentions."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class User(Base):
    """A member who signs in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]


class Membership(Base):
    """A member's role in one team."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class Topic(Base):
    """What a team listens for: a named query."""

    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="brand")
    query: Mapped[str] = mapped_column(Text)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Source(Base):
    """A configured connector instance; the database is the schedule."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)  # Fernet token of a JSON object
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(10))  # ISO 639-1; a detection hint (0007)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    error_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_error_code: Mapped[str | None] = mapped_column(String(50))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_item_at: Mapped[datetime | None]
    is_healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    items_total: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Post(Base):
    """A post in the post format; unique on (network, external_id)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("network", "external_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_network_thread", "network", "thread"),  # conversations (0005)
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    author_handle: Mapped[str | None] = mapped_column(String(255), index=True)
    author_name: Mapped[str | None] = mapped_column(String(255))
    author_followers: Mapped[int | None] = mapped_column(BigInteger)
    author_url: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(255))
    lang: Mapped[str | None] = mapped_column(String(10))
    lang_given: Mapped[str | None] = mapped_column(String(10))
    reply_to: Mapped[str | None] = mapped_column(String(512))
    thread: Mapped[str | None] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(20), default="post")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    ingested_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Mention(Base):
    """A post that matched a topic, routed to a team's inbox."""

    __tablename__ = "mentions"
    __table_args__ = (
        # One mention per post, topic and team routing chose (inbox migration, 0005): a rule
        # may send a post to several teams, and a handover changes team_id, not this key.
        UniqueConstraint("post_id", "topic_id", "routed_team_id"),
        Index("ix_mentions_team_posted", "team_id", "posted_at"),
        Index("ix_mentions_topic_posted", "topic_id", "posted_at"),
        Index("ix_mentions_posted", "posted_at"),
        Index("ix_mentions_team_status", "team_id", "status"),
        # The team inbox and the "mine" view, newest first (0005).
        Index("ix_mentions_team_status_posted", "team_id", "status", "posted_at"),
        Index("ix_mentions_assignee_status_posted", "assignee_id", "status", "posted_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    routed_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))  # routing's choice
    # Copied from the post so that stream filters and paging use one index.
    network: Mapped[str] = mapped_column(String(20))
    posted_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="new")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    lang: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MentionRollup(Base):
    """Mention counts per hour and dimension, kept at write time for dashboards."""

    __tablename__ = "mention_rollups"
    __table_args__ = (
        UniqueConstraint("hour", "topic_id", "team_id", "network", "lang", "sentiment"),
        # Team dashboards read one team's hours (added by the web migration, 0003).
        Index("ix_mention_rollups_team_hour", "team_id", "hour"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime]
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    network: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(10))  # "" when unknown: NULLs break uniqueness
    sentiment: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class MentionDailyRollup(Base):
    """Mention counts per UTC day, topic and team, one dimension at a time: what dashboards read.

    Each mention adds one to three rows: (``network``, its network), (``lang``, its language)
    and (``sentiment``, its sentiment); a chart reads one dimension, so it sums a few thousand
    rows for a month of the whole organisation, however many mentions there are. Kept in the
    same transaction as the hourly rows; ``day`` is midnight UTC (migration 0006).
    """

    __tablename__ = "mention_rollups_daily"
    __table_args__ = (
        UniqueConstraint("dimension", "day", "topic_id", "team_id", "value"),
        Index("ix_mention_rollups_daily_team_dimension_day", "team_id", "dimension", "day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(10))  # network | lang | sentiment
    day: Mapped[datetime]
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    value: Mapped[str] = mapped_column(String(20))  # "" when unknown
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class IngestCounter(Base):
    """What happened to incoming posts, per day, network and outcome."""

    __tablename__ = "ingest_counters"
    __table_args__ = (UniqueConstraint("day", "network", "outcome"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD (UTC)
    network: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))  # matched, unmatched, duplicate, rejected
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(Base):
    """The outbox: written in the business transaction, published after commit."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None] = mapped_column(index=True)


class AuditEntry(Base):
    """Who changed what, and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(150))  # username, "cli" or "system"
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SentimentCorrection(Base):
    """A member's correction of a post's sentiment or language (exportable training data)."""

    __tablename__ = "sentiment_corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(20))  # sentiment | lang
    old_value: Mapped[str | None] = mapped_column(String(20))
    new_value: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class PostDeletion(Base):
    """A post deleted at its source, remembered for a day in case the post itself comes later.

    Deletions travel on the bus behind their posts, but with several workers a deletion can be
    handled before another worker has stored the post; the save stage marks such a post
    deleted as it inserts it.
    """

    __tablename__ = "post_deletions"
    network: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(index=True)


class Lease(Base):
    """Which process runs a role that must run once (``store.leases``)."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]


class DeadLetter(Base):
    """A bus message that kept failing, with the reason."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of the cookie value is stored."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(10), default="write")  # read | write
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Failed sign-ins per key (a username or a client address), for lock-out with backoff."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AlertRuleRecord(Base):
    """An alert rule of a team: the rule's JSON, its channels (secrets encrypted) and its state."""

    __tablename__ = "alert_rules"
    __table_args__ = (UniqueConstraint("team_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    topic_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: every team topic
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the domain rule's JSON
    channels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # no secrets
    secrets: Mapped[str | None] = mapped_column(Text)  # Fernet token of the channels' secrets
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the domain RuleState
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    snoozed_until: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]  # moves on edits only (the alerter reloads), not on state
    state_updated_at: Mapped[datetime | None]


class AlertRecord(Base):
    """An alert a rule produced (sent, held, throttled or snoozed), with its explanation."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_team_created", "team_id", "created_at"),
        Index("ix_alerts_sent_seq", "sent_seq", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(500), unique=True)  # the domain Alert.id
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))  # firing | resolved | info
    verdict: Mapped[str] = mapped_column(String(20))  # send | held | throttled | snoozed | test
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[str | None] = mapped_column(String(200))
    topic_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    # When it turned ``send`` (at once, or released after quiet hours): the id of the
    # ``alert.created`` outbox event written with it, a sequence both databases keep. The
    # browsers' live stream follows this order, not ``id``.
    sent_seq: Mapped[int | None] = mapped_column(Integer)


class AlertDelivery(Base):
    """One delivery of one alert to one channel of its rule: sent or failed, and why."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_rule_channel", "rule_id", "channel_index", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel_index: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))  # kind: email, slack, webhook ...
    target: Mapped[str] = mapped_column(Text)  # masked, for display
    status: Mapped[str] = mapped_column(String(10))  # sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


DELIVERY_STATUSES = ("pending", "sent", "failed")


class DeliveryJob(Base):
    """One alert to deliver to one channel: written with the decision, done when recorded.

    Its id is the delivery id the receiver sees (``X-Slusha-Delivery``), the same on every
    attempt, so a receiver can drop repeats. A job whose claim ran out while still pending
    (its process stopped or died) is taken up again; one that failed every attempt stays
    ``failed`` until someone sends it again.
    """

    __tablename__ = "delivery_jobs"
    __table_args__ = (Index("ix_delivery_jobs_status_claim", "status", "claimed_until"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    channel_index: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(Text)  # masked, for display
    status: Mapped[str] = mapped_column(String(10))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# --- The team inbox (migration 0005) -------------------------------------------------------

REPLY_STATUSES = ("pending", "sent", "failed")
PRESENCE_ACTIVITIES = ("viewing", "replying")


class RoutingRuleRecord(Base):
    """An ordered routing rule of the organisation: a query, conditions and actions (JSON)."""

    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    query: Mapped[str] = mapped_column(Text)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stop: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MentionTag(Base):
    """A tag on a mention (from a routing rule or a member)."""

    __tablename__ = "mention_tags"
    __table_args__ = (UniqueConstraint("mention_id", "tag"), Index("ix_mention_tags_tag", "tag"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(50))


class MentionNote(Base):
    """An internal note on a mention; ``@username`` mentions notify those members."""

    __tablename__ = "mention_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(150))
    text: Mapped[str] = mapped_column(Text)
    mentioned_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class MentionHistory(Base):
    """One change of a mention's work state (status, assignee, team, priority), for SLA."""

    __tablename__ = "mention_history"
    __table_args__ = (Index("ix_mention_history_mention_at", "mention_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(150))
    field: Mapped[str] = mapped_column(String(20))  # status | assignee | team | priority
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class SavedReply(Base):
    """A team's saved reply with placeholders ({author}, {topic}, {team})."""

    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("team_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReplyRecord(Base):
    """An outgoing reply: the key is stored before the first attempt, so it is sent once."""

    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(150))
    text: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    external_id: Mapped[str | None] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    """When a pending reply is due to be tried again (None: at once)."""


class SlaPolicy(Base):
    """A team's response-time targets in business minutes, its hours and time zone."""

    __tablename__ = "sla_policies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[str] = mapped_column(String(500), default="24/7")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    warn_before_minutes: Mapped[int] = mapped_column(Integer, default=15)
    reassign_after_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Holiday(Base):
    """A day off (a local date) for one team, or for every team when ``team_id`` is empty."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("team_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    name: Mapped[str] = mapped_column(String(200), default="")


class MentionTimer(Base):
    """The response-time clock of one mention: deadlines, when they stopped, warnings sent."""

    __tablename__ = "mention_timers"
    __table_args__ = (
        # Covers the reports: one team's timers in a period are read from the index alone.
        Index(
            "ix_mention_timers_team_started",
            "team_id",
            "started_at",
            "resolved_at",
            "first_response_due_at",
            "first_response_at",
            "resolution_due_at",
            "first_response_seconds",
            "resolution_seconds",
            "responder_id",
            "resolver_id",
        ),
    )
    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    first_response_seconds: Mapped[float | None] = mapped_column(Float)  # business seconds
    resolution_seconds: Mapped[float | None] = mapped_column(Float)
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime | None]
    warned: Mapped[str] = mapped_column(String(50), default="")  # "first,resolution"
    breached: Mapped[str] = mapped_column(String(50), default="")
    escalated_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)


class MentionPresence(Base):
    """Who is looking at or replying to a mention now (rows expire)."""

    __tablename__ = "mention_presence"
    __table_args__ = (UniqueConstraint("mention_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(index=True)
