"""``slusha demo``: an example organisation, a month of history, and new mentions arriving live."""

from __future__ import annotations

import asyncio
import random
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from slusha.cli.context import cli_clock, console, get_settings, open_db

DEMO_DB = "slusha-demo.db"


def load_history(settings: Any, *, posts: int, enricher: Any = None) -> None:
    """Create the organisation and ingest the generated history, with a progress bar."""
    from slusha.demo.corpus import generate
    from slusha.demo.organisation import is_set_up, set_up
    from slusha.domain.ingest import Incoming
    from slusha.pipeline.runner import IngestSummary
    from slusha.pipeline.runtime import Runtime, tune_gc
    from slusha.services.outbox import skip_pending_events

    out = console(stderr=True)
    db = open_db(settings)
    if is_set_up(db):
        out.print(f"reusing the demo data in {settings.database_url}")
        return
    clock = cli_clock()
    set_up(db, clock=clock)
    corpus = generate(now=clock.now(), count=posts)
    runtime = Runtime.build(settings, clock=clock, db=db, enricher=enricher)
    runtime.pipeline.topics.refresh(force=True)
    tune_gc()
    total = IngestSummary()
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("loading a month of demo posts", total=len(corpus))
        for start in range(0, len(corpus), 500):
            chunk = corpus[start : start + 500]
            items = [Incoming(data=p, where=f"demo post {start + i}") for i, p in enumerate(chunk)]
            summary, _ = runtime.pipeline.process(items)
            total.add(summary)
            progress.advance(task, len(chunk))
    skip_pending_events(db, clock=clock)  # history is not news: no live rows, no alerts for it
    out.print(
        f"demo history: {total.accepted} posts, {total.matched} matched a topic, "
        f"{total.mentions} mentions"
    )


def replay(interval_seconds: float) -> Any:
    """A task that keeps publishing new posts, as if the networks were talking right now."""
    from slusha.demo.corpus import LiveFeed
    from slusha.pipeline.ingest import submit_posts

    async def run(runtime: Any, stop: asyncio.Event) -> None:
        feed = LiveFeed(seed=int(time.time()))
        run_id = f"live{int(time.time())}"
        rng = random.Random()
        while not stop.is_set():
            posts = [
                feed.next_post(runtime.clock.now(), run=run_id) for _ in range(rng.randint(1, 3))
            ]
            await submit_posts(runtime.bus, posts)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)

    return run


@click.command("demo")
@click.option(
    "--database",
    default=f"sqlite:///{DEMO_DB}",
    show_default=True,
    help="Database for the demo (created or reused).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--posts",
    type=click.IntRange(100, 200_000),
    default=3000,
    show_default=True,
    help="How many posts of history to generate on first run.",
)
@click.option("--reset", is_flag=True, help="Delete the demo database first.")
@click.option(
    "--interval", type=float, default=1.5, show_default=True, help="Seconds between live posts."
)
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
def demo_cmd(
    database: str, port: int, posts: int, reset: bool, interval: float, duration: float | None
) -> None:
    """Try Slusha: a demo organisation with a month of mentions, and new ones arriving live."""
    from slusha.cli.serve import serve_async

    if reset and database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    settings = get_settings(database_url=database, bus_url="memory://", port=port)
    from slusha.pipeline.runtime import build_enricher

    enricher = build_enricher(settings)  # loaded once for the history and the live replay
    load_history(settings, posts=posts, enricher=enricher)
    out = console(stderr=True)
    out.print(
        f"open [bold]http://{settings.host}:{settings.port}/[/] in a browser\n"
        "demo sign-in: user [bold]demo[/], password [bold]slusha-demo[/]\n"
        "new mentions appear below as they arrive (Ctrl-C stops)"
    )
    asyncio.run(
        serve_async(
            settings,
            role="all",
            duration=duration,
            live=True,
            extra=replay(interval),
            extra_name="demo",
            enricher=enricher,
        )
    )


def register(group: click.Group) -> None:
    """Add ``slusha demo`` to the root group."""
    group.add_command(demo_cmd)
