"""What the web app is built from, kept on ``app.state.slusha``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jinja2 import Environment

from slusha.clock import Clock
from slusha.config import Settings
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import Registry
from slusha.services.auth import SessionPolicy
from slusha.store.db import Database
from slusha.web.i18n import Translations
from slusha.web.live import Broadcaster, MentionWakeups


@dataclass
class WebState:
    """Settings, database, clock, templates, translations and the live broadcaster."""

    settings: Settings
    db: Database
    clock: Clock
    templates: Environment
    translations: Translations
    broadcaster: Broadcaster
    host_factory: Callable[[], PluginHost]
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    alert_broadcaster: Broadcaster = field(default_factory=Broadcaster)  # /live/alerts
    mention_wakeups: MentionWakeups = field(default_factory=MentionWakeups)  # /live/presence
    # A mention page's stream re-reads only when woken, and every so often for changes made
    # by other web processes (no bus): as often as a page checks in (presence.CHECKIN_SECONDS).
    mention_poll_seconds: float = 10.0
    poll_seconds: float = 2.0
    # The supervised tasks of this process (``Supervisor.health``), and the posts its bus
    # still holds; both absent when the app runs without a pipeline (tests, ``--role web``).
    process_health: Callable[[], list[dict[str, Any]]] | None = None
    queued_posts: Callable[[], int] | None = None
    _host: PluginHost | None = None

    @property
    def host(self) -> PluginHost:
        """The plugin host of the process (built on first use when the app made it)."""
        if self._host is None:
            self._host = self.host_factory()
        return self._host

    @property
    def registry(self) -> Registry:
        """The plugin registry (the host's)."""
        return self.host.registry


def session_policy(settings: Settings) -> SessionPolicy:
    """Session lifetimes and lock-out from the settings."""
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
        max_failures=settings.signin_max_failures,
        lockout=timedelta(seconds=settings.signin_lockout_seconds),
    )
