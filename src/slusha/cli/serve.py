"""``slusha serve``, ``slusha worker`` and ``slusha demo``."""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress
from typing import Any

import click

from slusha.cli.context import cli_clock, console, fail, get_settings, open_db
from slusha.errors import SlushaError


def _install_stop(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def _start_runtime(settings: Any, *, enricher: Any = None) -> Any:
    from slusha.pipeline.runtime import Runtime, tune_gc

    db = open_db(settings)
    runtime = Runtime.build(settings, clock=cli_clock(), db=db, enricher=enricher)
    try:
        await runtime.bus.start()
    except SlushaError as exc:
        fail(str(exc))
    runtime.pipeline.topics.refresh(force=True)
    tune_gc()
    return runtime


async def _stop_after(stop: asyncio.Event, seconds: float | None) -> None:
    if seconds is None:
        return
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    stop.set()


async def _serve_ops(runtime: Any, stop: asyncio.Event) -> None:
    """``/healthz``, ``/readyz`` and ``/metrics`` of a process without the web app."""
    from slusha.web.ops import create_ops_app
    from slusha.web.server import serve_app

    app = create_ops_app(
        db=runtime.db, process_health=runtime.supervisor.health, metrics=runtime.metrics.render
    )
    settings = runtime.settings.model_copy(update={"port": runtime.settings.ops_port})
    if not await serve_app(app, settings, stop):
        raise RuntimeError(f"the operations port {settings.port} is taken")


def print_mention(event: dict[str, Any], topics: dict[int, str]) -> None:
    """One live line per new mention."""
    if event.get("kind") != "mention.created":
        return
    p = event.get("payload", {})
    sentiment = p.get("sentiment") or "?"
    colour = {"negative": "red", "positive": "green", "neutral": "white"}.get(sentiment, "white")
    text = " ".join(str(p.get("text", "")).split())[:110]
    topic = topics.get(int(p.get("topic_id", 0)), str(p.get("topic_id")))
    console().print(
        f"[dim]{p.get('created_at', '')[:16]}[/] [bold]{topic}[/] [{colour}]{sentiment:>8}[/] "
        f"[cyan]{p.get('network')}[/] {p.get('lang') or '--'} @{p.get('author') or '?'}: ",
        end="",
    )
    console().print(text, markup=False, highlight=False)


async def serve_async(
    settings: Any,
    *,
    role: str,
    duration: float | None,
    live: bool,
    extra: Any = None,
    extra_name: str = "extra",
    enricher: Any = None,
) -> None:
    """Run the roles of this process until a signal (or ``duration`` seconds), then drain.

    Every role runs supervised (``Supervisor``): one that fails is logged and restarted. On
    SIGTERM or Ctrl-C the process stops taking work (the web server finishes the requests in
    flight, connectors finish the checks in flight), lets the worker store what is queued,
    and only then stops the worker, all within ``shutdown_drain_seconds``. Whatever is still
    queued then was never acknowledged to its sender (see ``Bus.publish_confirmed``).
    """
    from slusha.bus.messages import SUBJECT_POSTS
    from slusha.cli.logs import configure_logging
    from slusha.pipeline.leadership import Leadership
    from slusha.pipeline.metrics import Metrics, sample_forever
    from slusha.pipeline.roles import (
        build_worker,
        run_connectors,
        run_event_listener,
        run_outbox_relay,
    )
    from slusha.pipeline.supervisor import Supervisor

    configure_logging(level=settings.log_level, log_format=settings.log_format)
    runtime = await _start_runtime(settings, enricher=enricher)
    supervisor = Supervisor()
    runtime.supervisor = supervisor
    runtime.metrics = Metrics()
    stop = asyncio.Event()  # stop taking work
    drained = asyncio.Event()  # stop processing it
    _install_stop(stop)
    timer = asyncio.create_task(_stop_after(stop, duration))
    intake: list[asyncio.Task[None]] = []
    processing: list[asyncio.Task[None]] = []

    def start(into: list[asyncio.Task[None]], name: str, work: Any, until: asyncio.Event) -> None:
        into.append(asyncio.create_task(supervisor.run(name, work, until), name=name))

    if role in ("all", "worker"):
        warm_up = getattr(runtime.pipeline.enricher, "warm_up", None)
        if warm_up is not None:  # load the models before the first batch, off the event loop
            await asyncio.to_thread(warm_up)
        worker = build_worker(runtime)
        await worker.start()
        start(processing, "worker", lambda: worker.run(drained), drained)
        start(processing, "outbox relay", lambda: run_outbox_relay(runtime, drained), drained)
    if role in ("all", "connectors"):
        start(intake, "connectors", lambda: run_connectors(runtime, stop), stop)
    if role in ("all", "web"):
        from slusha.cli.web import run_web

        start(intake, "web", lambda: run_web(runtime, stop), stop)
    if role in ("all", "alerter"):
        from slusha.pipeline.alerter import run_alerter
        from slusha.pipeline.roles import run_inbox_tasks

        # Any number of processes may run these; one at a time works (a lease each).
        alerts = Leadership(db=runtime.db, clock=runtime.clock, name="alerter",
                            on_state=lambda r: supervisor.note_role("alerter", r))  # fmt: skip
        inbox = Leadership(db=runtime.db, clock=runtime.clock, name="inbox tasks",
                           on_state=lambda r: supervisor.note_role("inbox tasks", r))  # fmt: skip
        start(
            processing,
            "alerter",
            lambda: alerts.run(lambda until: run_alerter(runtime, until), drained),
            drained,
        )
        start(
            processing,
            "inbox tasks",
            lambda: inbox.run(lambda until: run_inbox_tasks(runtime, until), drained),
            drained,
        )
    if live:
        names = {t.id: t.name for t in runtime.pipeline.topics.topics.values()}

        def show(event: dict[str, Any]) -> None:
            print_mention(event, names)

        start(intake, "live", lambda: run_event_listener(runtime, stop, durable="cli-live",
                                                         handle=show), stop)  # fmt: skip
    if extra is not None:
        start(intake, extra_name, lambda: extra(runtime, stop), stop)
    metrics = runtime.metrics
    start(processing, "metrics", lambda: sample_forever(runtime, metrics, drained), drained)
    if role != "all" and role != "web" and settings.ops_port is not None:
        start(intake, "ops", lambda: _serve_ops(runtime, stop), stop)
    loop = asyncio.get_running_loop()
    try:
        await stop.wait()
    finally:
        stop.set()
        deadline = loop.time() + settings.shutdown_drain_seconds
        if intake:
            await asyncio.wait(intake, timeout=max(0.0, deadline - loop.time()))
        while (
            runtime.bus.unfinished(SUBJECT_POSTS)
            and loop.time() < deadline
            and any(not task.done() for task in processing)
        ):
            await asyncio.sleep(0.05)
        drained.set()
        if processing:
            await asyncio.wait(processing, timeout=max(0.1, deadline - loop.time()))
        timer.cancel()
        unfinished = [t for t in (*intake, *processing) if not t.done()]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(timer, *intake, *processing, return_exceptions=True)
        if unfinished:
            console(stderr=True).print(
                f"[yellow]note:[/] stopped {', '.join(t.get_name() for t in unfinished)} after "
                f"{settings.shutdown_drain_seconds:g} s without finishing; what they had not "
                "stored was not acknowledged, so it will be sent or fetched again"
            )
        await runtime.close()


@click.command("serve")
@click.option("--host", help="Address to listen on (default: SLUSHA_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: SLUSHA_PORT).")
@click.option(
    "--role",
    type=click.Choice(["all", "web"]),
    default="all",
    show_default=True,
    help="all: web, pipeline and connectors in one process; web: only the web app.",
)
@click.option("--live/--no-live", default=False, help="Print new mentions as they arrive.")
@click.option("--duration", type=float, default=None, hidden=True)
def serve_cmd(
    host: str | None, port: int | None, role: str, live: bool, duration: float | None
) -> None:
    """Run Slusha: the pipeline (and the web app once installed) in one process."""
    overrides: dict[str, Any] = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = get_settings(**overrides)
    console(stderr=True).print(
        f"slusha serving: database {settings.database_url}, bus {settings.bus_url} (Ctrl-C stops)"
    )
    if role == "web" and settings.bus_url.startswith("memory:"):
        console(stderr=True).print(
            "[yellow]note:[/] with SLUSHA_BUS_URL=memory:// no pipeline runs beside this web "
            "app, so POST /api/v1/ingest answers 503 (nothing would store the posts); use "
            "nats://HOST:4222 with 'slusha worker' processes, or 'slusha serve' for all roles"
        )
    asyncio.run(serve_async(settings, role=role, duration=duration, live=live))


@click.command("connectors")
@click.option("--duration", type=float, default=None, hidden=True)
def connectors_cmd(duration: float | None) -> None:
    """Run the connectors: poll due sources, keep streams open, publish posts to the bus."""
    settings = get_settings()
    asyncio.run(serve_async(settings, role="connectors", duration=duration, live=False))


@click.command("worker")
@click.option("--duration", type=float, default=None, hidden=True)
def worker_cmd(duration: float | None) -> None:
    """A pipeline worker: consumes raw posts from the bus; run many on the NATS bus."""
    settings = get_settings()
    if settings.bus_url.startswith("memory:"):
        console(stderr=True).print(
            "[yellow]note:[/] with SLUSHA_BUS_URL=memory:// this worker only sees posts "
            "published in this process; use nats://HOST:4222 to share work between processes"
        )
    asyncio.run(serve_async(settings, role="worker", duration=duration, live=False))


@click.command("alerter")
@click.option("--duration", type=float, default=None, hidden=True)
def alerter_cmd(duration: float | None) -> None:
    """The alerter: evaluates alert rules and delivers alerts. Run two for fail-over."""
    settings = get_settings()
    asyncio.run(serve_async(settings, role="alerter", duration=duration, live=False))


def register(group: click.Group) -> None:
    """Add the commands to the root group."""
    group.add_command(serve_cmd)
    group.add_command(worker_cmd)
    group.add_command(alerter_cmd)
    group.add_command(connectors_cmd)
