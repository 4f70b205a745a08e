"""Supervised tasks: a long-running task of a process that dies is logged and restarted.

Every role of ``slusha serve`` (worker, outbox relay, connectors, web, alerter, inbox tasks)
runs under a ``Supervisor``. A task that raises is logged with its traceback, marked
``restarting`` with the error, and started again after a back-off (1 s doubling to a minute,
with jitter); one that has run for a while before failing starts again from the shortest
back-off. The status page and ``/readyz`` read ``Supervisor.health()``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("slusha.supervisor")
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
STABLE_AFTER_SECONDS = 120.0  # a task that ran this long before failing starts a fresh streak


@dataclass
class TaskHealth:
    """What one supervised task is doing, and how it last failed."""

    name: str
    state: str = "starting"  # starting, running, restarting, stopped
    restarts: int = 0
    last_error: str | None = None
    last_error_at: float | None = None  # unix seconds
    started_at: float | None = None
    role: str | None = None  # "leader" or "standby" for a role that runs once at a time

    def as_dict(self) -> dict[str, Any]:
        """For the status page and ``/readyz``."""
        return {
            "name": self.name,
            "state": self.state,
            "restarts": self.restarts,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "started_at": self.started_at,
            "role": self.role,
        }


class Supervisor:
    """Runs named tasks until a stop event, restarting those that fail."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self.tasks: dict[str, TaskHealth] = {}
        self._rng = rng or random.Random()

    def health(self) -> list[dict[str, Any]]:
        """Every task's health, in start order."""
        return [task.as_dict() for task in self.tasks.values()]

    def is_ready(self) -> bool:
        """True when every task runs (none is waiting to be restarted)."""
        return all(task.state in ("running", "stopped") for task in self.tasks.values())

    async def run(self, name: str, work: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> None:
        """Run ``work()`` until ``stop``; restart it with back-off whenever it raises."""
        health = self.tasks.setdefault(name, TaskHealth(name))
        streak = 0
        while not stop.is_set():
            health.state = "running"
            health.started_at = time.time()
            try:
                await work()
            except asyncio.CancelledError:
                health.state = "stopped"
                raise
            except Exception as exc:
                health.restarts += 1
                health.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                health.last_error_at = time.time()
                health.state = "restarting"
                if time.time() - health.started_at > STABLE_AFTER_SECONDS:
                    streak = 0
                streak += 1
                delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (streak - 1))
                delay *= self._rng.uniform(0.5, 1.0)
                log.exception(
                    "task.failed",
                    extra={"task": name, "restarts": health.restarts, "retry_in": delay},
                )
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            if not stop.is_set():
                # A role that returns on its own has ended its work (e.g. nothing to poll
                # with no sources of its kind); it is not an error.
                log.info("task.ended", extra={"task": name})
            break
        health.state = "stopped"

    def note_role(self, name: str, role: str) -> None:
        """Record whether task ``name`` leads or stands by (``Leadership.on_state``)."""
        self.tasks.setdefault(name, TaskHealth(name)).role = role
