"""JSON shapes of the API (XRead for answers, XCreate/XUpdate for requests)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Sentiment = Literal["negative", "neutral", "positive"]
Role = Literal["admin", "manager", "responder", "viewer", "reviewer"]
TopicKind = Literal["brand", "competitor", "campaign", "person", "other"]


class Strict(BaseModel):
    """Request bodies refuse unknown fields and NUL characters (PostgreSQL cannot store them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class Ref(BaseModel):
    id: int
    name: str


class AuthorRead(BaseModel):
    handle: str | None
    name: str | None
    url: str | None
    followers: int | None


class MentionRead(BaseModel):
    id: int
    post_id: int
    topic: Ref
    team: Ref
    network: str
    external_id: str
    title: str | None
    text: str
    url: str | None
    author: AuthorRead
    created_at: datetime
    lang: str | None
    sentiment: str | None
    status: str
    priority: str


class MentionPage(BaseModel):
    items: list[MentionRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end")


class MatchedRead(BaseModel):
    mention_id: int
    topic: Ref
    team: Ref


class CorrectionRead(BaseModel):
    field: str
    old_value: str | None
    new_value: str
    at: datetime


class MentionDetail(MentionRead):
    html: str | None = Field(description="Sanitised HTML of the post (safe to insert)")
    thread: str | None
    reply_to: str | None
    kind: str
    sentiment_score: float | None
    matched: list[MatchedRead]
    corrections: list[CorrectionRead]
    can_correct: bool


class CorrectionCreate(Strict):
    field: Literal["sentiment", "lang"]
    value: str = Field(min_length=1, max_length=20)


class TopicRead(BaseModel):
    id: int
    name: str
    kind: str
    query: str
    team: Ref
    enabled: bool
    is_private: bool
    created_at: datetime
    updated_at: datetime


class TopicCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    team_id: int = Field(ge=1, le=2**31 - 1)
    query: str = Field(min_length=1, max_length=4000)
    kind: TopicKind = "brand"
    is_private: bool = False


class TopicUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    query: str | None = Field(None, min_length=1, max_length=4000)
    kind: TopicKind | None = None
    enabled: bool | None = None
    is_private: bool | None = None


class QueryCheckCreate(Strict):
    query: str = Field(max_length=4000)


class QueryCheckRead(BaseModel):
    valid: bool
    error: str | None = None
    position: int | None = Field(None, description="0-based character where the error is")


class QueryTestRead(BaseModel):
    post_id: int
    network: str
    created_at: datetime
    author: str | None
    text: str
    highlights: list[tuple[int, int]]


class SourceRead(BaseModel):
    id: int
    name: str
    kind: str
    enabled: bool
    health: str
    reason: str
    error_code: str | None
    error_streak: int
    next_check_at: datetime | None
    last_ok_at: datetime | None
    last_item_at: datetime | None
    items_total: int
    interval_seconds: int | None
    language: str | None = None
    error_message: str | None = Field(
        None,
        description="The last error as the connector gave it (URL, status), untranslated; "
        "error_code names its kind.",
    )


class TeamRead(BaseModel):
    id: int
    name: str
    slug: str
    members: int
    my_role: str | None


class TeamCreate(Strict):
    name: str = Field(min_length=1, max_length=200)


class MemberRead(BaseModel):
    user_id: int
    username: str
    display_name: str | None
    role: str


class TeamMembersRead(BaseModel):
    id: int
    name: str
    slug: str
    members: list[MemberRead]


class MemberSet(Strict):
    username: str = Field(min_length=1, max_length=150)
    role: Role


class ChartRead(BaseModel):
    chart: str
    team_id: int | None
    since: datetime
    until: datetime
    values: list[dict[str, str | int]]
    spec: dict[str, object] = Field(description="A Vega-Lite spec with the values inline")


class MeRead(BaseModel):
    id: int
    username: str
    is_admin: bool
    locale: str | None
    roles: dict[str, str] = Field(description="Role per team id")
    scope: str


class MeUpdate(Strict):
    locale: Literal["en", "mk"] | None = None


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class TokenRead(BaseModel):
    id: int
    label: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(Strict):
    label: str = Field("", max_length=200)
    scope: Literal["read", "write"] = "write"


class TokenCreated(TokenRead):
    token: str = Field(description="The secret: shown only in this answer")
