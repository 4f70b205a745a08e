"""``slusha enrich FILE.jsonl`` and ``slusha sentiment TEXT``: language and sentiment offline."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from slusha.cli.context import EXIT_OK, EXIT_PARTIAL, console, fail
from slusha.domain.hygiene import repair_text
from slusha.domain.post import PostFormatError, parse_post
from slusha.errors import SlushaError

BATCH_SIZE = 1000
PROGRESS_FROM_BYTES = 1_000_000


def _batches(handle: IO[str]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(handle, start=1):
        batch.append((number, line))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


MODEL_HELP = (
    "Sentiment model: e5 (the accurate mode) or hybrid (e5 where the default is unsure), "
    "both slusha[e5]; a .npz file or an ONNX dir."
)
MODES = ("e5", "hybrid")


def _check_model(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or value in MODES or Path(value).exists():
        return value
    raise click.BadParameter(
        f"{value} does not exist (give e5, hybrid, a .npz model file or an ONNX model directory)"
    )


def _make_enricher(model: str | None, min_confidence: float) -> Any:
    from slusha.enrich import Enricher

    try:
        return Enricher(model_path=model, min_confidence=min_confidence)
    except SlushaError as exc:
        fail(str(exc))


@click.command("enrich")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--model", callback=_check_model, help=MODEL_HELP)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Below this language confidence, lang is null.",
)
def enrich_command(file: str, model: str | None, min_confidence: float) -> None:
    """Add lang and sentiment to each post of a JSONL file ('-' for stdin); JSONL out."""
    enricher = _make_enricher(model, min_confidence)
    err = console(stderr=True)
    rejected = 0
    written = 0
    if file == "-":
        handle: IO[str] = sys.stdin
        size = 0
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"no such file: {file}")
        handle = path.open(encoding="utf-8", errors="replace")
        size = path.stat().st_size
    show = size >= PROGRESS_FROM_BYTES
    from rich.progress import Progress

    with handle, Progress(console=err, disable=not show, transient=True) as progress:
        task = progress.add_task("enriching", total=size or None)
        for batch in _batches(handle):
            good: list[tuple[dict[str, Any], Any]] = []
            for number, line in batch:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    post = parse_post(obj)
                except json.JSONDecodeError as exc:
                    rejected += 1
                    err.print(f"line {number}: not JSON ({exc.msg})", markup=False)
                    continue
                except PostFormatError as exc:
                    rejected += 1
                    err.print(f"line {number}: {exc.reason}", markup=False)
                    continue
                good.append((obj, post))
            results = enricher.enrich([post for _, post in good])
            for (obj, _), result in zip(good, results, strict=True):
                out = {**obj, **result.to_dict()}
                # The line is passed through; text that is not valid Unicode (a lone
                # surrogate from a "\ud83d" escape) is written repaired, as it was enriched.
                click.echo(repair_text(json.dumps(out, ensure_ascii=False)))
                written += 1
            progress.advance(task, sum(len(line.encode("utf-8")) for _, line in batch))
    if rejected:
        err.print(f"{written} posts enriched, {rejected} lines rejected")
        sys.exit(EXIT_PARTIAL)
    sys.exit(EXIT_OK)


@click.command("sentiment")
@click.argument("text")
@click.option("--model", callback=_check_model, help=MODEL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def sentiment_command(text: str, model: str | None, as_json: bool) -> None:
    """Print the sentiment label and score of one text."""
    enricher = _make_enricher(model, 0.5)
    result = enricher.sentiments([text])[0]
    if as_json:
        click.echo(json.dumps({"label": result.label, "score": result.score}))
    else:
        click.echo(f"{result.label} {result.score:.2f}")


@click.group("corrections")
def corrections_group() -> None:
    """Members' sentiment corrections (training data for the sentiment model)."""


@corrections_group.command("export")
@click.option("--since", help="24h, 7d, 2w, a date (2026-11-01) or an ISO date-time.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="JSON Lines file to write ('-' for standard output).",
)
def corrections_export(since: str | None, output: str) -> None:
    """Write the newest sentiment correction of each post as training JSON Lines.

    Feed the file to `python -m slusha.enrich.train --corrections FILE` to retrain.
    """
    from slusha.cli.context import cli_clock, get_settings, open_db
    from slusha.enrich.corrections import write_corrections
    from slusha.services.corrections import export_corrections
    from slusha.services.mentions import parse_since

    try:
        start = parse_since(since, clock=cli_clock()) if since else None
    except SlushaError as exc:
        fail(str(exc))
    db = open_db(get_settings())
    rows = export_corrections(db, since=start)
    if output == "-":
        write_corrections(rows, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            write_corrections(rows, handle)
    console(stderr=True).print(f"exported {len(rows)} corrections")


def register(group: click.Group) -> None:
    """Add the enrichment commands to the root group."""
    group.add_command(enrich_command)
    group.add_command(sentiment_command)
    group.add_command(corrections_group)
