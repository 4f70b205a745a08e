"""Sources: add (validated, secrets encrypted, audited), list with health, disable, import OPML,
load for use (secrets decrypted), and backfill a topic from the connectors that can search."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.languages import check_language
from slusha.domain.post import Post
from slusha.errors import ConfigError, Conflict, InputError, NotFound, SlushaError
from slusha.plugins.api import Connector, IngestKey, secret_fields
from slusha.plugins.codes import describe_code
from slusha.plugins.host import LoadedSource, PluginHost
from slusha.plugins.registry import Registry
from slusha.services.secrets import SecretBox
from slusha.store import sources as store_sources
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.schema import Source

STALE_AFTER_INTERVALS = 50
STALE_MIN_SECONDS = 7 * 24 * 3600
# Why a source has its health. The English sentences are also msgids of the web catalogue,
# which translates them (with the error kinds of ``codes.HEALTH_MESSAGES``).
REASON_DISABLED = "disabled by an operator"
REASON_FAILING = "%(count)s failed checks in a row: %(what)s"
REASON_STALE = "no new item within the expected period (%(days)s days)"
REASON_TEXTS = (REASON_DISABLED, REASON_FAILING, REASON_STALE)
log = logging.getLogger("slusha.sources")


class Sink(Protocol):
    """Takes a source's posts to the pipeline, with the source's language (None when unset)."""

    async def __call__(
        self, source_id: int, posts: list[Post], *, source_language: str | None = None
    ) -> None: ...


class DeletionSink(Protocol):
    """Takes the ids of a source's posts deleted at the network to the pipeline."""

    async def __call__(self, source_id: int, network: str, external_ids: list[str]) -> None: ...


def describe_validation(kind: str, exc: ValidationError) -> str:
    """One line per wrong config field: name and what is expected."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "config"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{loc}: {message}")
    return f"invalid {kind} source config: " + "; ".join(lines)


def validate_config(
    connector: Connector, values: dict[str, Any]
) -> tuple[BaseModel, dict[str, Any], dict[str, Any]]:
    """Validate ``values`` against the connector's Config; split into (model, plain, secrets)."""
    try:
        model = connector.Config.model_validate(values)
    except ValidationError as exc:
        raise InputError(describe_validation(connector.kind, exc)) from None
    secret_names = set(secret_fields(connector.Config))
    dumped = model.model_dump(mode="json", exclude_unset=True)
    plain = {k: v for k, v in dumped.items() if k not in secret_names}
    secrets = {}
    for name in secret_names:
        value = getattr(model, name, None)
        if value is None:
            continue
        secrets[name] = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    return model, plain, secrets


async def add_source(
    db: Database,
    *,
    host: PluginHost,
    kind: str,
    name: str,
    config: dict[str, Any],
    secrets: dict[str, Any] | None = None,
    interval_seconds: int | None = None,
    language: str | None = None,
    actor: str = "cli",
) -> Source:
    """Add a source: config validated, user-given URLs SSRF-checked, secrets encrypted, audited.

    ``language`` (ISO 639-1, optional) is the language the source's posts are written in: it
    travels with them to language detection as a hint for short posts.
    """
    name = " ".join(name.split())
    if not name:
        raise InputError("a source needs a name (--name)")
    language = check_language(language)
    connector = host.connector(kind)
    model, plain, secret_values = validate_config(connector, {**config, **(secrets or {})})
    for url in connector.urls(model):
        await host.http.check_url(url)
    box = SecretBox.from_settings(host.settings)
    token = box.encrypt(secret_values) if secret_values else None
    if interval_seconds is not None and interval_seconds < 10:
        raise InputError("the interval must be at least 10 seconds")
    now = host.clock.now()
    with db.transaction() as tx:
        if store_sources.get_source(tx.session, name_or_id=name) is not None:
            raise Conflict(f"a source named {name!r} exists already")
        source = store_sources.add_source(
            tx.session,
            name=name,
            kind=kind,
            config=plain,
            secrets=token,
            interval_seconds=interval_seconds,
            now=now,
            language=language,
        )
        details = {"name": name, "kind": kind, "config": plain, "secrets": sorted(secret_values)}
        if language is not None:
            details["language"] = language
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action="source.add",
            target_type="source",
            target_id=source.id,
            details=details,
        )
    return source


def set_source_enabled(
    db: Database, *, name: str | int, enabled: bool, clock: Clock, actor: str = "cli"
) -> Source:
    """Enable or disable a source (audited)."""
    return _change_source(
        db,
        name=name,
        clock=clock,
        actor=actor,
        action="source.enable" if enabled else "source.disable",
        details={},
        change=lambda session, source, now: store_sources.set_enabled(
            session, source_id=source.id, enabled=enabled, now=now
        ),
    )


def set_source_language(
    db: Database, *, name: str | int, language: str | None, clock: Clock, actor: str = "cli"
) -> Source:
    """Set the language of a source's posts (ISO 639-1), or clear it with None (audited)."""
    code = check_language(language)
    return _change_source(
        db,
        name=name,
        clock=clock,
        actor=actor,
        action="source.language",
        details={"language": code},
        change=lambda session, source, now: store_sources.set_language(
            session, source_id=source.id, language=code, now=now
        ),
    )


def _change_source(
    db: Database,
    *,
    name: str | int,
    clock: Clock,
    actor: str,
    action: str,
    details: dict[str, Any],
    change: Callable[[Any, Source, datetime], None],
) -> Source:
    """Apply ``change`` to the source named ``name`` and audit it, in one transaction."""
    now = clock.now()
    with db.transaction() as tx:
        source = store_sources.get_source(tx.session, name_or_id=name)
        if source is None:
            raise NotFound(f"no source named {name!r} (see 'slusha sources list')")
        change(tx.session, source, now)
        record_action(
            tx.session,
            at=now,
            actor=actor,
            action=action,
            target_type="source",
            target_id=source.id,
            details={"name": source.name, **details},
        )
    return source


def load_source(
    db: Database, *, registry: Registry, settings: Settings, name_or_id: str | int
) -> LoadedSource:
    """Read a source and build its config (decrypting its secrets)."""
    with db.transaction() as tx:
        source = store_sources.get_source(tx.session, name_or_id=name_or_id)
        if source is None:
            raise NotFound(f"no source named {name_or_id!r} (see 'slusha sources list')")
        return loaded_from_row(source, registry=registry, settings=settings)


def loaded_from_row(source: Source, *, registry: Registry, settings: Settings) -> LoadedSource:
    """Build a ``LoadedSource`` from a row (in the caller's session)."""
    connector = registry.connector(source.kind)
    secrets = SecretBox.from_settings(settings).decrypt(source.secrets) if source.secrets else {}
    try:
        model, _plain, _secrets = validate_config(connector, {**(source.config or {}), **secrets})
        language = check_language(source.language)
    except InputError as exc:
        # Stored config that no longer validates (a plugin upgrade, a hand edit) needs an operator.
        raise ConfigError(f"source {source.name!r}: {exc}") from None
    return LoadedSource(
        id=source.id,
        name=source.name,
        kind=source.kind,
        connector=connector,
        config=model,
        cursor=dict(source.cursor) if source.cursor else None,
        interval_seconds=source.interval_seconds or connector.default_interval_seconds,
        language=language,
    )


@dataclass(frozen=True)
class TestOutcome:
    """What testing a source found: ok or not, the connector's message, and why in plain words."""

    ok: bool
    message: str
    code: str | None
    words: str


async def test_source(db: Database, *, host: PluginHost, name_or_id: str | int) -> TestOutcome:
    """Run the connector's check once (RSS: one fetch) through the host; store nothing.

    A failure is an outcome, not an exception: refused addresses, timeouts, bad credentials
    and unreadable answers all come back with their code described in plain words.
    """
    loaded = load_source(db, registry=host.registry, settings=host.settings, name_or_id=name_or_id)
    try:
        report = await host.test_connector(loaded.connector, loaded.config)
    except SlushaError as exc:
        return TestOutcome(False, str(exc), exc.code, describe_code(exc.code))
    words = "" if report.ok else describe_code(report.code)
    return TestOutcome(report.ok, report.message, report.code, words)


@dataclass
class SourceView:
    """A source as listed: schedule, health in plain words, counts."""

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
    config: dict[str, Any] = field(default_factory=dict)
    error_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        out = dict(self.__dict__)
        for key in ("next_check_at", "last_ok_at", "last_item_at"):
            value = out[key]
            out[key] = value.isoformat() if value else None
        return out


def expected_item_period_seconds(interval_seconds: int) -> float:
    """How long a healthy source may go without a new item before it is flagged stale."""
    return max(STALE_MIN_SECONDS, STALE_AFTER_INTERVALS * interval_seconds)


def _same(text: str) -> str:
    return text


def _plain_number(value: float) -> str:
    return f"{value:g}"


def health_reason(
    health: str,
    *,
    error_code: str | None,
    error_message: str | None,
    error_streak: int,
    interval_seconds: int,
    gettext: Callable[[str], str] = _same,
    number: Callable[[float], str] = _plain_number,
) -> str:
    """Why a source has its health, in plain words through ``gettext`` (English by default).

    The kind of failure comes from the stored error code; the error's own message (the URL, the
    status, the server's words) follows in brackets as it is, untranslated.
    """
    if health == "disabled":
        return gettext(REASON_DISABLED)
    if health in ("failing", "unhealthy"):
        words = describe_code(error_code, gettext)
        what = f"{words} ({error_message})" if error_message else words
        return gettext(REASON_FAILING) % {"count": number(error_streak), "what": what}
    if health == "stale":
        days = round(expected_item_period_seconds(interval_seconds) / 86400, 1)
        return gettext(REASON_STALE) % {"days": number(days)}
    return ""


def source_health(source: Source, *, now: datetime, default_interval: int) -> tuple[str, str]:
    """(health, reason): ok, failing, unhealthy, stale or disabled, with plain words why."""
    interval = source.interval_seconds or default_interval
    health = "ok"
    if not source.enabled:
        health = "disabled"
    elif source.error_streak:
        health = "failing" if source.is_healthy else "unhealthy"
    else:
        reference = source.last_item_at or (source.created_at if source.last_ok_at else None)
        period = expected_item_period_seconds(interval)
        if reference is not None and now - reference > timedelta(seconds=period):
            health = "stale"
    reason = health_reason(
        health, error_code=source.last_error_code, error_message=source.last_error_message,
        error_streak=source.error_streak, interval_seconds=interval,
    )  # fmt: skip
    return health, reason


def list_sources(db: Database, *, registry: Registry, clock: Clock) -> list[SourceView]:
    """Every source with its health and schedule (secrets never included)."""
    now = clock.now()
    views = []
    with db.transaction() as tx:
        for source in store_sources.list_sources(tx.session):
            cls = registry.connectors.get(source.kind)
            default_interval = cls.default_interval_seconds if cls else 300
            health, reason = source_health(source, now=now, default_interval=default_interval)
            views.append(
                SourceView(
                    id=source.id,
                    name=source.name,
                    kind=source.kind,
                    enabled=source.enabled,
                    health=health,
                    reason=reason,
                    error_code=source.last_error_code,
                    error_streak=source.error_streak,
                    next_check_at=source.next_check_at,
                    last_ok_at=source.last_ok_at,
                    last_item_at=source.last_item_at,
                    items_total=source.items_total,
                    interval_seconds=source.interval_seconds or default_interval,
                    language=source.language,
                    config=dict(source.config or {}),
                    error_message=source.last_error_message,
                )
            )
    return views


def unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``wanted (3)`` ... when it is taken."""
    base = re.sub(r"\s+", " ", wanted).strip()[:180] or "feed"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base} ({n})"
    return name


@dataclass
class OpmlReport:
    """What an OPML import did."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


async def import_opml(
    db: Database,
    *,
    host: PluginHost,
    data: bytes,
    actor: str = "cli",
) -> OpmlReport:
    """Add one RSS source per feed in an OPML file; feeds already present are skipped."""
    # The RSS plugin owns OPML; reach it through the registry, as every plugin is reached.
    parse_opml = getattr(host.connector("rss"), "parse_opml", None)
    if parse_opml is None:
        raise ConfigError("the installed rss connector cannot read OPML files")
    feeds = parse_opml(data)
    report = OpmlReport()
    with db.transaction() as tx:
        existing = store_sources.list_sources(tx.session)
    taken = {s.name for s in existing}
    urls = {str((s.config or {}).get("url")) for s in existing if s.kind == "rss"}
    for feed in feeds:
        if feed.url in urls:
            report.skipped.append((feed.url, "already a source"))
            continue
        name = unique_name(feed.title, taken)
        try:
            await add_source(
                db, host=host, kind="rss", name=name, config={"url": feed.url}, actor=actor
            )
        except SlushaError as exc:
            report.skipped.append((feed.url, str(exc)))
            continue
        taken.add(name)
        urls.add(feed.url)
        report.added.append(name)
    return report


@dataclass
class BackfillReport:
    """Posts handed to the sink per source, and the sources that failed (with why)."""

    posts_by_source: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def backfill_topic(
    db: Database,
    *,
    host: PluginHost,
    terms: Sequence[str],
    sink: Sink,
    since: datetime | None = None,
) -> BackfillReport:
    """Ask every enabled source that can search for recent posts on ``terms``; feed the sink.

    Each source gives at most ``settings.backfill_max_posts``; a failing source is reported
    and skipped, never fatal to the others.
    """
    report = BackfillReport()
    registry, settings = host.registry, host.settings
    limit = settings.backfill_max_posts
    terms = [t for t in (term.strip() for term in terms) if t]
    if limit <= 0 or not terms:
        return report
    with db.transaction() as tx:
        rows = store_sources.list_sources(tx.session, enabled_only=True)
        loaded = []
        for row in rows:
            cls = registry.connectors.get(row.kind)
            if cls is None or "search" not in cls.capabilities:
                continue
            try:
                loaded.append(loaded_from_row(row, registry=registry, settings=settings))
            except SlushaError as exc:
                report.errors[row.name] = str(exc)
    for source in loaded:
        try:
            posts = await host.search(source, terms, since, limit)
        except SlushaError as exc:
            report.errors[source.name] = f"{describe_code(exc.code)}: {exc}"
            continue
        posts = posts[:limit]
        if posts:
            await sink(source.id, posts, source_language=source.language)
        report.posts_by_source[source.name] = len(posts)
    return report


def load_ingest_keys(
    db: Database, *, registry: Registry, settings: Settings, kind: str = "webhook"
) -> list[IngestKey]:
    """Decrypted credentials of every enabled ``kind`` source, for the ingest route (a read:
    on SQLite it never waits for the pipeline's writes)."""
    keys = []
    with db.read() as tx:
        for row in store_sources.list_sources(tx.session, kinds=[kind], enabled_only=True):
            try:
                loaded = loaded_from_row(row, registry=registry, settings=settings)
            except SlushaError as exc:
                log.warning("push source unusable: %s", exc, extra={"source": row.name})
                continue
            keys.append(
                loaded.connector.ingest_key(
                    loaded.config, source_id=row.id, source_name=row.name, language=loaded.language
                )
            )
    return keys
