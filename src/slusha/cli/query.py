"""``slusha query check``, ``slusha query test`` and ``slusha match``: queries from the shell.

``topics.toml`` for ``slusha match`` holds either a table of id = query::

    [topics]
    acme = 'acme OR "acme corp" NOT job*'
    rival = "globex lang:en"

or an array of tables::

    [[topic]]
    id = "acme"
    query = 'acme OR "acme corp" NOT job*'
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Iterator
from typing import IO, Any

import click
from rich.text import Text

from slusha.cli.context import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, console, fail, get_settings
from slusha.domain.post import Post, PostFormatError, parse_post
from slusha.query import CompiledQuery, Matcher, QuerySyntaxError, compile_query

DEFAULT_STORED_LIMIT = 1000


def register(group: click.Group) -> None:
    """Attach ``query`` (check, test) and ``match`` to the root group."""
    group.add_command(query_group)
    group.add_command(match_command)


@click.group("query")
def query_group() -> None:
    """Check listening queries and try them on posts."""


def _compile_or_exit(text: str, *, label: str = "query") -> CompiledQuery:
    try:
        return compile_query(text)
    except QuerySyntaxError as exc:
        _print_syntax_error(exc, text, label=label)
        sys.exit(EXIT_USAGE)


def _print_syntax_error(exc: QuerySyntaxError, text: str, *, label: str) -> None:
    err = console(stderr=True)
    err.print(f"[bold red]error:[/] {label} is not valid, at character {exc.position + 1}:")
    err.print(Text(exc.caret(text)))
    err.print(Text(exc.message))


@query_group.command("check")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the parsed structure as JSON.")
def check_command(query: str, as_json: bool) -> None:
    """Check QUERY and print how it was understood; exit 2 if it is not valid."""
    compiled = _compile_or_exit(query)
    if as_json:
        click.echo(json.dumps(compiled.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(compiled.dump())
    if compiled.required is None:
        click.echo("note: no word is required, so this query is checked on every post.")


def _read_posts(stream: IO[bytes]) -> Iterator[tuple[int, Post | None, str | None]]:
    """(line number, post, reason) for each non-blank line; reason set when rejected."""
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)"
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON: {exc.msg} at column {exc.colno}"
            continue
        try:
            yield number, parse_post(obj), None
        except PostFormatError as exc:
            yield number, None, exc.reason


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        fail(f"cannot open {path!r}: {exc.strerror}")
        raise


def _highlighted(compiled: CompiledQuery, post: Post) -> Text:
    body = f"{post.title}\n{post.text}" if post.title else post.text
    text = Text(body)
    for start, end in compiled.highlights(post.text, post.title):
        text.stylize("bold black on yellow", start, end)
    return text


def _print_match(compiled: CompiledQuery, post: Post) -> None:
    out = console()
    author = f" @{post.author.handle}" if post.author and post.author.handle else ""
    out.print(Text(f"{post.network}:{post.id}{author}", style="bold cyan"))
    out.print(_highlighted(compiled, post))
    out.print()


@query_group.command("test")
@click.argument("query")
@click.argument("file", metavar="FILE|-", required=False)
@click.option(
    "--stored",
    is_flag=True,
    help="Test against the most recent stored posts instead of a file.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_STORED_LIMIT,
    show_default=True,
    help="How many stored posts to test (with --stored).",
)
def test_command(query: str, file: str | None, stored: bool, limit: int) -> None:
    """Print the posts of FILE (JSON Lines; - for stdin) that QUERY matches, highlighted."""
    compiled = _compile_or_exit(query)
    if stored == (file is not None):
        fail("give either FILE (or - for stdin) or --stored")
    matched = total = rejected = 0
    if stored:
        posts: Iterator[Post] = _stored_posts(limit)
        for stored_post in posts:
            total += 1
            if compiled.matches(stored_post):
                matched += 1
                _print_match(compiled, stored_post)
    else:
        assert file is not None
        stream = _open(file)
        err = console(stderr=True)
        try:
            for number, post, reason in _read_posts(stream):
                if post is None:
                    rejected += 1
                    err.print(Text(f"line {number}: rejected: {reason}"))
                    continue
                total += 1
                if compiled.matches(post):
                    matched += 1
                    _print_match(compiled, post)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    summary = f"{matched} of {total} posts match"
    if rejected:
        summary += f"; {rejected} line{'s' if rejected != 1 else ''} rejected"
    console().print(Text(summary, style="bold"))
    sys.exit(EXIT_PARTIAL if rejected else EXIT_OK)


def _stored_posts(limit: int) -> Iterator[Post]:
    from slusha.cli.context import open_db
    from slusha.services.posts import recent_posts

    db = open_db(get_settings())
    return iter(recent_posts(db, limit=limit))


def load_topics(text: str) -> dict[str, str]:
    """Topic id -> query from topics.toml text (``[topics]`` table or ``[[topic]]`` array)."""
    data = tomllib.loads(text)
    topics: dict[str, str] = {}
    table = data.get("topics", {})
    if not isinstance(table, dict):
        raise ValueError('[topics] must be a table of id = "query"')
    for topic, query in table.items():
        if not isinstance(query, str):
            raise ValueError(f"topic {topic!r}: the query must be a string")
        topics[str(topic)] = query
    entries = data.get("topic", [])
    if not isinstance(entries, list):
        raise ValueError("[[topic]] entries must be tables with id and query")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("query"), str):
            raise ValueError(f'[[topic]] number {number} needs query = "..."')
        topic = entry.get("id")
        if not isinstance(topic, str | int) or isinstance(topic, bool) or str(topic) == "":
            raise ValueError(f'[[topic]] number {number} needs id = "..."')
        if str(topic) in topics:
            raise ValueError(f"topic {topic!r} is defined twice")
        topics[str(topic)] = entry["query"]
    if not topics:
        raise ValueError('no topics found: add [topics] with id = "query" lines')
    return topics


def _load_matcher(path: str) -> Matcher:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        topics = load_topics(raw.decode("utf-8"))
    except OSError as exc:
        fail(f"cannot open {path!r}: {exc.strerror}")
        raise
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        fail(f"{path}: {exc}")
        raise
    matcher = Matcher()
    bad = 0
    for topic, query in topics.items():
        try:
            matcher.add(topic, query)
        except QuerySyntaxError as exc:
            bad += 1
            _print_syntax_error(exc, query, label=f"topic {topic!r}")
    if bad:
        sys.exit(EXIT_USAGE)
    return matcher


@click.command("match")
@click.option(
    "--topics",
    "topics_path",
    required=True,
    type=click.Path(dir_okay=False),
    help='TOML file: [topics] with id = "query" lines, or [[topic]] tables (id, query).',
)
@click.argument("file", metavar="FILE|-")
def match_command(topics_path: str, file: str) -> None:
    """For each post of FILE (JSON Lines; - for stdin), print the topics it matches (JSONL)."""
    matcher = _load_matcher(topics_path)
    stream = _open(file)
    err = console(stderr=True)
    rejected = 0
    try:
        for number, post, reason in _read_posts(stream):
            if post is None:
                rejected += 1
                err.print(Text(f"line {number}: rejected: {reason}"))
                continue
            row: dict[str, Any] = {
                "network": post.network,
                "id": post.id,
                "topics": sorted(matcher.match(post)),
            }
            click.echo(json.dumps(row, ensure_ascii=False))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if rejected:
        err.print(Text(f"{rejected} line{'s' if rejected != 1 else ''} rejected", style="bold"))
    sys.exit(EXIT_PARTIAL if rejected else EXIT_OK)
