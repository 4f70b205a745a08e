"""Replying from the inbox: compose, check, publish through the post's connector, record.

Never posted twice: the reply row and its idempotency key are committed *before* the first
attempt; every retry (after a timeout, a crash, or a second click) sends the same key, and
the network (Mastodon keeps ``Idempotency-Key`` for an hour) answers with the first status.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from slusha.clock import Clock
from slusha.config import Settings
from slusha.domain.inbox import render_saved_reply
from slusha.errors import ConfigError, InputError, NotFound, PermanentError, TransientError
from slusha.plugins.delivery import RetryPolicy
from slusha.plugins.host import LoadedSource, PluginHost
from slusha.plugins.registry import Registry
from slusha.services import sla
from slusha.services.access import Principal
from slusha.services.inbox_access import actor_id, require_inbox, require_visible
from slusha.services.reply_checks import DEFAULT_CHECKS, Draft, Issue, PreSendCheck, run_checks
from slusha.services.sources import loaded_from_row
from slusha.store import events as store_events
from slusha.store import inbox as store_inbox
from slusha.store import replies as store_replies
from slusha.store.audit import record_action
from slusha.store.db import Database
from slusha.store.posts import to_domain
from slusha.store.schema import ReplyRecord, Source

EVENT_REPLY_SENT = "inbox.reply_sent"
MAX_ATTEMPTS = 3
"""Attempts while the member waits; later ones follow ``reply_policy``."""
_RNG = random.Random()


@dataclass(slots=True)
class ReplyView:
    """A reply as shown: where it went, its state and how many tries it took."""

    id: int
    mention_id: int
    status: str
    text: str
    idempotency_key: str
    attempts: int
    external_id: str | None
    url: str | None
    last_error: str | None
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def _view(reply: ReplyRecord, warnings: Sequence[Issue] = ()) -> ReplyView:
    return ReplyView(
        id=reply.id,
        mention_id=reply.mention_id,
        status=reply.status,
        text=reply.text,
        idempotency_key=reply.idempotency_key,
        attempts=reply.attempts,
        external_id=reply.external_id,
        url=reply.url,
        last_error=reply.last_error,
        warnings=[w.message for w in warnings],
    )


def _source_for(session: Any, *, post_source_id: int | None, kind: str) -> Source:
    source = session.get(Source, post_source_id) if post_source_id else None
    if source is not None and source.kind == kind and source.enabled:
        return source
    candidates = store_replies.reply_sources(session, kind=kind)
    if not candidates:
        raise ConfigError(f"no enabled {kind} source to reply from (add one: 'slusha sources add')")
    return candidates[0]


def _prepare(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    text: str,
    key: str,
    clock: Clock,
    registry: Registry,
    settings: Settings,
    checks: Sequence[PreSendCheck],
) -> tuple[ReplyRecord, LoadedSource, Any, list[Issue]]:
    now = clock.now()
    with db.transaction() as tx:
        session = tx.session
        existing = store_replies.get_by_key(session, key=key)
        row = store_inbox.get_row(session, mention_id=mention_id)
        if row is None:
            raise NotFound(f"no mention {mention_id}")
        mention, post, topic, _team = row
        require_visible(
            principal, mention_id=mention_id, team_id=mention.team_id, private=topic.is_private
        )
        require_inbox(principal, "inbox.reply", mention.team_id)
        if existing is not None and existing.mention_id != mention_id:
            raise InputError("this idempotency key belongs to another reply", code="conflict")
        connector_kind = post.network
        source_row = _source_for(session, post_source_id=post.source_id, kind=connector_kind)
        loaded = loaded_from_row(source_row, registry=registry, settings=settings)
        if "reply" not in loaded.connector.capabilities:
            raise ConfigError(f"the {loaded.kind} connector cannot reply")
        domain_post = to_domain(post)
        if existing is not None:
            return existing, loaded, domain_post, []
        draft = Draft(
            text=text,
            network=post.network,
            mention_id=mention.id,
            team_id=mention.team_id,
            user_id=actor_id(principal),
        )
        warnings = run_checks(draft, checks)
        reply = store_replies.add_reply(
            session,
            values={
                "mention_id": mention.id,
                "post_id": post.id,
                "network": post.network,
                "source_id": source_row.id,
                "user_id": actor_id(principal),
                "author": principal.username,
                "text": text,
                "idempotency_key": key,
            },
            now=now,
        )
        record_action(
            session,
            at=now,
            actor=principal.username,
            actor_id=actor_id(principal),
            action="reply.compose",
            target_type="mention",
            target_id=mention.id,
            details={"reply_id": reply.id, "key": key},
        )
        return reply, loaded, domain_post, warnings


async def send_reply(
    db: Database,
    *,
    principal: Principal,
    mention_id: int,
    text: str,
    clock: Clock,
    host: PluginHost,
    idempotency_key: str | None = None,
    checks: Sequence[PreSendCheck] = DEFAULT_CHECKS,
    max_attempts: int = MAX_ATTEMPTS,
    backoff_seconds: float = 1.0,
    resolve: bool = False,
) -> ReplyView:
    """Check, store, publish (retrying timeouts with the same key), and record the reply.

    Passing the ``idempotency_key`` of an earlier call resumes that reply instead of
    composing a new one (a sent reply is returned as it is).
    """
    key = idempotency_key or f"slusha-{uuid.uuid4().hex}"
    # Database work runs in a worker thread: a web request awaiting this must not stall the
    # event loop (a locked row or a slow disk would stop every other request of the process).
    reply, loaded, post, warnings = await asyncio.to_thread(
        _prepare,
        db,
        principal=principal,
        mention_id=mention_id,
        text=text,
        key=key,
        clock=clock,
        registry=host.registry,
        settings=host.settings,
        checks=checks,
    )
    if reply.status == "sent":
        return _view(reply)
    policy = reply_policy(host.settings)
    last: TransientError | None = None
    for attempt in range(max_attempts):
        await asyncio.to_thread(_count_attempt, db, reply_id=reply.id, clock=clock)
        try:
            result = await host.reply(loaded, post, reply.text, key)
        except TransientError as exc:
            last = exc
            status = await asyncio.to_thread(
                _record_error, db, reply_id=reply.id, error=f"{exc.code}: {exc}", clock=clock,
                policy=policy, retry_after=exc.retry_after_seconds,
            )  # fmt: skip
            if status == "failed":
                raise TransientError(
                    f"the network did not take the reply after {policy.max_attempts} attempts "
                    f"({exc}); it is kept with the failed deliveries, to be sent again",
                    code=exc.code,
                ) from exc
            if attempt + 1 < max_attempts and backoff_seconds > 0:
                await asyncio.sleep(backoff_seconds * 2**attempt)
            continue
        except PermanentError as exc:
            await asyncio.to_thread(
                _record_error,
                db,
                reply_id=reply.id,
                error=f"{exc.code}: {exc}",
                clock=clock,
                failed=True,
            )
            raise
        return await asyncio.to_thread(
            _record_sent,
            db,
            reply_id=reply.id,
            principal=principal,
            clock=clock,
            external_id=result.external_id,
            url=result.url,
            resolve=resolve,
            warnings=warnings,
        )
    assert last is not None
    raise TransientError(
        f"the reply is saved but not yet published ({last}); Slusha tries again by itself "
        f"(or send it again with key {key})",
        code=last.code,
    )


def _count_attempt(db: Database, *, reply_id: int, clock: Clock) -> None:
    with db.transaction() as tx:
        reply = tx.session.get(ReplyRecord, reply_id)
        assert reply is not None
        reply.attempts += 1
        reply.updated_at = clock.now()


def reply_policy(settings: Settings) -> RetryPolicy:
    """The retry policy of replies: that of every delivery (full jitter, ``Retry-After``
    honoured, capped), slower, since a network that refuses a reply rarely recovers in seconds."""
    return RetryPolicy(
        max_attempts=settings.reply_delivery_attempts,
        base_delay_seconds=30.0,
        max_delay_seconds=3600.0,
    )


def _record_error(
    db: Database,
    *,
    reply_id: int,
    error: str,
    clock: Clock,
    failed: bool = False,
    policy: RetryPolicy | None = None,
    retry_after: float | None = None,
) -> str:
    """Record a failed attempt; a transient one is due again after the policy's delay, or
    fails for good once the policy's attempts are spent. The reply's status after it."""
    now = clock.now()
    with db.transaction() as tx:
        reply = tx.session.get(ReplyRecord, reply_id)
        assert reply is not None
        reply.last_error = error[:2000]
        reply.updated_at = now
        if failed or (policy is not None and reply.attempts >= policy.max_attempts):
            reply.status = "failed"
            reply.next_attempt_at = None
        elif policy is not None:
            delay = policy.delay(reply.attempts, _RNG, at_least=retry_after or 0.0)
            reply.next_attempt_at = now + timedelta(seconds=delay)
        return reply.status


def _record_sent(
    db: Database,
    *,
    reply_id: int,
    principal: Principal,
    clock: Clock,
    external_id: str,
    url: str | None,
    resolve: bool,
    warnings: Sequence[Issue],
) -> ReplyView:
    now = clock.now()
    with db.transaction() as tx:
        session = tx.session
        reply = session.get(ReplyRecord, reply_id)
        assert reply is not None
        reply.status = "sent"
        reply.external_id = external_id
        reply.url = url
        reply.sent_at = now
        reply.updated_at = now
        reply.last_error = None
        row = store_inbox.get_row(session, mention_id=reply.mention_id, for_update=True)
        assert row is not None
        mention = row[0]
        uid = actor_id(principal)
        sla.on_first_response(session, mention=mention, user_id=uid, at=now)
        new_status = "resolved" if resolve else "waiting"
        if mention.status != new_status and mention.status in ("new", "open", "waiting"):
            old = mention.status
            mention.status = new_status
            mention.updated_at = now
            store_inbox.add_history(
                session,
                mention_id=mention.id,
                at=now,
                actor=principal.username,
                actor_id=uid,
                field="status",
                old=old,
                new=new_status,
                note="replied",
            )
            sla.on_status(session, mention=mention, old=old, new=new_status, user_id=uid, at=now)
        record_action(
            session,
            at=now,
            actor=principal.username,
            actor_id=uid,
            action="reply.send",
            target_type="mention",
            target_id=mention.id,
            details={"reply_id": reply.id, "external_id": external_id},
        )
        store_events.add_events(
            session,
            now=now,
            events=[
                (
                    EVENT_REPLY_SENT,
                    {
                        "mention_id": mention.id,
                        "team_id": mention.team_id,
                        "reply_id": reply.id,
                        "external_id": external_id,
                        "url": url,
                        "actor": principal.username,
                    },
                )
            ],
        )
        return _view(reply, warnings)


async def retry_pending(
    db: Database,
    *,
    clock: Clock,
    host: PluginHost,
    limit: int = 20,
) -> list[ReplyView]:
    """Publish replies left pending (a crash or an outage), each with its own key."""
    from slusha.services.inbox_access import operator, principal_by_name

    def load() -> list[tuple[int, int, str, str, str]]:
        with db.transaction() as tx:
            return [
                (r.id, r.mention_id, r.text, r.idempotency_key, r.author)
                for r in store_replies.pending_replies(tx.session, now=clock.now(), limit=limit)
            ]

    pending = await asyncio.to_thread(load)
    out = []
    for _rid, mention_id, text, key, author in pending:
        try:
            principal = await asyncio.to_thread(principal_by_name, db, username=author)
        except NotFound:
            principal = operator(author)
        try:
            out.append(
                await send_reply(
                    db,
                    principal=principal,
                    mention_id=mention_id,
                    text=text,
                    clock=clock,
                    host=host,
                    idempotency_key=key,
                    max_attempts=1,
                )
            )
        except TransientError:
            continue
    return out


def saved_reply_text(db: Database, *, principal: Principal, mention_id: int, name: str) -> str:
    """A team's saved reply rendered for one mention ({author}, {topic}, {team}, {agent})."""
    with db.transaction() as tx:
        row = store_inbox.get_row(tx.session, mention_id=mention_id)
        if row is None:
            raise NotFound(f"no mention {mention_id}")
        mention, post, topic, team = row
        require_visible(
            principal, mention_id=mention_id, team_id=mention.team_id, private=topic.is_private
        )
        saved = store_replies.get_saved_reply(tx.session, team_id=team.id, name=name)
        if saved is None:
            names = [s.name for s in store_replies.saved_replies(tx.session, team_id=team.id)]
            raise NotFound(f"{team.name} has no saved reply {name!r} (saved: {names or 'none'})")
        author = post.author_name or post.author_handle
        return render_saved_reply(
            saved.text,
            {"author": author, "topic": topic.name, "team": team.name, "agent": principal.username},
        )


def save_reply_template(
    db: Database, *, principal: Principal, team: str, name: str, text: str, clock: Clock
) -> None:
    """Create or replace a team's saved reply (placeholders are checked now)."""
    render_saved_reply(text, {})
    name = " ".join(name.split())
    if not name:
        raise InputError("a saved reply needs a name")
    now = clock.now()
    with db.transaction() as tx:
        team_row = store_inbox.team_by_name(tx.session, name=team)
        require_inbox(principal, "inbox.configure", team_row.id)
        store_replies.upsert_saved_reply(
            tx.session, team_id=team_row.id, name=name, text=text, actor=principal.username, now=now
        )
        record_action(
            tx.session,
            at=now,
            actor=principal.username,
            actor_id=actor_id(principal),
            action="saved_reply.save",
            target_type="team",
            target_id=team_row.id,
            details={"name": name},
        )


def list_saved_replies(db: Database, *, principal: Principal, team: str) -> list[dict[str, str]]:
    """A team's saved replies (for members of that team)."""
    with db.transaction() as tx:
        team_row = store_inbox.team_by_name(tx.session, name=team)
        require_inbox(principal, "inbox.read", team_row.id)
        if not principal.is_member(team_row.id):
            raise NotFound(f"no team named {team!r} among yours")
        return [
            {"name": s.name, "text": s.text}
            for s in store_replies.saved_replies(tx.session, team_id=team_row.id)
        ]
