"""``slusha import``, ``slusha mentions list`` and ``slusha search``."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from slusha.cli.context import (
    EXIT_PARTIAL,
    FORMAT_OPTION,
    cli_clock,
    console,
    emit_rows,
    fail,
    get_settings,
    open_db,
)
from slusha.errors import SlushaError

MAX_REJECTIONS_SHOWN = 50


class _CountingReader(io.RawIOBase):
    """A binary stream that tells a progress bar how far it got."""

    def __init__(self, stream: IO[bytes], on_read: Any) -> None:
        super().__init__()
        self._stream = stream
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self._on_read(len(data))
        return len(data)


def _open_input(path: str) -> tuple[IO[bytes], int | None]:
    if path == "-":
        return sys.stdin.buffer, None
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        fail(f"cannot open {path!r}: {exc.strerror}")
        raise
    return handle, os.fstat(handle.fileno()).st_size


def _detect_format(path: str, chosen: str) -> str:
    if chosen != "auto":
        return chosen
    return "csv" if path.lower().endswith(".csv") else "jsonl"


@click.command("import")
@click.argument("file", metavar="FILE|-")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["auto", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="Input format (auto: .csv is CSV, anything else JSON Lines).",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="CSV: read COLUMN as post field FIELD (repeatable), e.g. --map body=text.",
)
@click.option(
    "--network",
    default="import",
    show_default=True,
    help="CSV: network of rows that have no network column.",
)
@click.option(
    "--enqueue",
    is_flag=True,
    help="Publish to the bus for 'slusha worker' processes instead of processing here.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Posts per transaction (default: SLUSHA_BATCH_SIZE).",
)
def import_cmd(
    file: str,
    input_format: str,
    mappings: tuple[str, ...],
    network: str,
    enqueue: bool,
    batch_size: int | None,
) -> None:
    """Ingest posts from a JSON Lines (post format) or CSV file; '-' reads standard input.

    Exit code 0 when every line was accepted, 1 when some were rejected (each is reported with
    its line number and reason), 2 when nothing could be read.
    """
    from slusha.services.imports import parse_mapping, read_csv, read_jsonl

    settings = get_settings()
    fmt = _detect_format(file, input_format)
    try:
        mapping = parse_mapping(list(mappings))
    except SlushaError as exc:
        fail(str(exc))
    stream, size = _open_input(file)
    err = console(stderr=True)
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[posts]} posts"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=size is None or not err.is_terminal,
    )
    task = progress.add_task("import", total=size or 1, posts=0)
    reader = io.BufferedReader(_CountingReader(stream, lambda n: progress.advance(task, n)))
    try:
        items = (
            read_csv(reader, mapping=mapping, network=network)
            if fmt == "csv"
            else read_jsonl(reader)
        )
        batch_size = batch_size or settings.batch_size
        if enqueue:
            summary = asyncio.run(_enqueue(settings, items, batch_size))
        else:
            summary = _process(settings, items, batch_size, progress, task)
    except SlushaError as exc:
        fail(str(exc))
        raise
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    _report(summary, enqueued=enqueue)
    if summary.rejected:
        sys.exit(EXIT_PARTIAL)


OPTIMIZE_AFTER_NEW_POSTS = 20_000  # a bulk import leaves the search index in many segments


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _process(settings: Any, items: Iterator[Any], batch_size: int, progress: Any, task: Any) -> Any:
    from slusha.domain.ingest import Rejection
    from slusha.pipeline.runner import IngestSummary
    from slusha.pipeline.runtime import Runtime, tune_gc

    db = open_db(settings)  # a clear message when the database is unreachable
    runtime = Runtime.build(settings, clock=cli_clock(), db=db)
    runtime.pipeline.topics.refresh(force=True)
    tune_gc()
    total = IngestSummary()
    with progress:
        for batch in _batches(items, batch_size):
            rejected = [r for r in batch if isinstance(r, Rejection)]
            good = [i for i in batch if not isinstance(i, Rejection)]
            summary, _outcome = runtime.pipeline.process(good)
            summary.received += len(rejected)
            summary.rejected += len(rejected)
            summary.rejections = rejected + summary.rejections
            total.add(summary)
            progress.update(task, posts=total.received)
    if total.new >= OPTIMIZE_AFTER_NEW_POSTS:
        from slusha.store.search import optimize_index

        with db.transaction() as tx:  # merges SQLite's FTS5 segments; a no-op on PostgreSQL
            optimize_index(tx.session)
    total.rejections.sort(key=_line_number)
    return total


def _line_number(rejection: Any) -> int:
    try:
        return int(str(rejection.where).split()[-1])
    except ValueError:
        return 0


async def _enqueue(settings: Any, items: Iterator[Any], batch_size: int) -> Any:
    from slusha.bus import open_bus
    from slusha.domain.ingest import Rejection
    from slusha.domain.post import PostFormatError, parse_post
    from slusha.pipeline.ingest import submit_posts
    from slusha.pipeline.runner import IngestSummary

    if settings.bus_url.startswith("memory:"):
        fail(
            "--enqueue hands posts to workers in other processes, which needs the NATS bus: "
            "set SLUSHA_BUS_URL=nats://HOST:4222, or import without --enqueue"
        )
    bus = open_bus(settings.bus_url, stream_prefix=settings.bus_stream_prefix)
    await bus.start()
    total = IngestSummary()
    try:
        for batch in _batches(items, batch_size):
            posts = []
            for item in batch:
                total.received += 1
                if isinstance(item, Rejection):
                    total.rejected += 1
                    total.rejections.append(item)
                    continue
                try:
                    posts.append(parse_post(item.data))
                except PostFormatError as exc:
                    total.rejected += 1
                    total.rejections.append(Rejection(item.where, exc.reason))
            await submit_posts(bus, posts)
            total.accepted += len(posts)
    finally:
        await bus.close()
    return total


def _report(summary: Any, *, enqueued: bool) -> None:
    err = console(stderr=True)
    for rejection in summary.rejections[:MAX_REJECTIONS_SHOWN]:
        err.print(f"[red]rejected[/] {rejection.where}: {rejection.reason}", markup=True)
    hidden = len(summary.rejections) - MAX_REJECTIONS_SHOWN
    if hidden > 0:
        err.print(f"... and {hidden} more rejected lines")
    if enqueued:
        err.print(f"queued {summary.accepted} posts for the workers; rejected {summary.rejected}")
        return
    err.print(
        f"accepted {summary.accepted} (new {summary.new}, duplicate {summary.duplicate}), "
        f"rejected {summary.rejected}; matched {summary.matched}, unmatched {summary.unmatched}, "
        f"new mentions {summary.mentions}"
    )


@click.group("mentions")
def mentions_group() -> None:
    """Mentions: posts that matched a topic."""


@mentions_group.command("list")
@click.option("--topic", help="Topic name or id.")
@click.option("--team", help="Team name.")
@click.option("--since", help="24h, 7d, 2w, a date (2026-11-01) or an ISO date-time.")
@click.option("--sentiment", type=click.Choice(["negative", "neutral", "positive"]))
@click.option("--lang", help="ISO 639-1 language, e.g. mk.")
@click.option("--network", help="Network, e.g. mastodon.")
@click.option("--status", type=click.Choice(["new", "open", "waiting", "resolved", "ignored"]))
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@FORMAT_OPTION
def mentions_list(
    topic: str | None,
    team: str | None,
    since: str | None,
    sentiment: str | None,
    lang: str | None,
    network: str | None,
    status: str | None,
    limit: int,
    output_format: str,
) -> None:
    """List mentions, newest first."""
    from slusha.services.mentions import MentionQuery, find_mentions

    db = open_db(get_settings())
    query = MentionQuery(
        topic=topic,
        team=team,
        since=since,
        sentiment=sentiment,
        lang=lang,
        network=network,
        status=status,
    )
    try:
        rows = find_mentions(db, query, clock=cli_clock(), limit=limit)
    except SlushaError as exc:
        fail(str(exc))
    for row in rows:
        if output_format == "table":
            row["text"] = _short(row["text"])
    emit_rows(
        rows,
        columns=["created_at", "topic", "team", "network", "lang", "sentiment", "author", "text"],
        output_format=output_format,
        title=f"{len(rows)} mentions",
    )


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("search")
@click.argument("words")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@FORMAT_OPTION
def search_cmd(words: str, limit: int, output_format: str) -> None:
    """Full-text search over stored posts (every word must occur)."""
    from slusha.services.mentions import search_posts

    db = open_db(get_settings())
    try:
        rows = search_posts(db, words=words, limit=limit)
    except SlushaError as exc:
        fail(str(exc))
    if output_format == "table":
        for row in rows:
            row["text"] = _short(row["text"])
    emit_rows(
        rows,
        columns=["created_at", "network", "author", "lang", "sentiment", "text"],
        output_format=output_format,
        title=f"{len(rows)} posts",
    )


def register(group: click.Group) -> None:
    """Add the commands to the root group."""
    group.add_command(import_cmd)
    group.add_command(mentions_group)
    group.add_command(search_cmd)
