"""Reading post files: JSON Lines in the post format, and CSV with a header mapping."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import IO, Any

from slusha.domain.ingest import Incoming, Rejection
from slusha.errors import InputError

MAX_LINE_BYTES = 2 * 1024 * 1024
CSV_REQUIRED = ("id", "text", "created_at")
CSV_FIELDS = (
    "network",
    "id",
    "text",
    "created_at",
    "url",
    "title",
    "html",
    "lang",
    "reply_to",
    "thread",
    "kind",
    "author.handle",
    "author.name",
    "author.followers",
    "author.url",
    "author.id",
    "metrics.likes",
    "metrics.shares",
    "metrics.replies",
    "metrics.views",
)
_NUMERIC = {
    "author.followers",
    "metrics.likes",
    "metrics.shares",
    "metrics.replies",
    "metrics.views",
}


class CsvHeaderError(InputError):
    """The CSV header cannot be mapped to the post format."""

    code = "csv_header"


def read_jsonl(stream: IO[bytes]) -> Iterator[Incoming | Rejection]:
    """Yield one ``Incoming`` per non-empty line, or a ``Rejection`` with the line number."""
    for number, raw in enumerate(stream, start=1):
        where = f"line {number}"
        if len(raw) > MAX_LINE_BYTES:
            yield Rejection(where, f"line is longer than {MAX_LINE_BYTES // 1024 // 1024} MiB")
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejection(where, f"not valid UTF-8 (byte {exc.start})")
            continue
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(where, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield Rejection(where, "not valid JSON: nested too deeply")
            continue
        if not isinstance(data, dict):
            yield Rejection(where, "a post must be a JSON object")
            continue
        yield Incoming(data=data, where=where)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``COLUMN=FIELD`` pairs (``--map body=text``) into a dict; unknown fields are errors."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column or not target:
            raise CsvHeaderError(f"--map {pair!r} must look like COLUMN=FIELD, e.g. body=text")
        if target not in CSV_FIELDS:
            raise CsvHeaderError(
                f"--map {pair!r}: {target!r} is not a post field (one of: {', '.join(CSV_FIELDS)})"
            )
        mapping[column] = target
    return mapping


def read_csv(
    stream: IO[bytes], *, mapping: Mapping[str, str] | None = None, network: str = "import"
) -> Iterator[Incoming | Rejection]:
    """Rows of a CSV file with a header; columns are post fields, or renamed by ``mapping``."""
    mapping = dict(mapping or {})
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        header = reader.fieldnames or []
    except UnicodeDecodeError:
        raise CsvHeaderError("the CSV header is not valid UTF-8") from None
    fields = [mapping.get(column, column) for column in header]
    missing = [f for f in CSV_REQUIRED if f not in fields]
    if missing:
        raise CsvHeaderError(
            f"the CSV header has no column for {', '.join(missing)} "
            f"(columns found: {', '.join(header) or 'none'}); rename them or map them with "
            "--map COLUMN=FIELD"
        )
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            yield Rejection(f"line {line + 1}", f"unreadable CSV row: {exc}")
            return
        line = reader.line_num
        yield _csv_row(row, mapping, network, f"line {line}")


def _csv_row(
    row: Mapping[str | Any, Any], mapping: Mapping[str, str], network: str, where: str
) -> Incoming | Rejection:
    data: dict[str, Any] = {"network": network}
    for column, value in row.items():
        if column is None:
            return Rejection(where, "the row has more cells than the header")
        name = mapping.get(column, column)
        if value is None or value == "":
            continue
        if name in _NUMERIC:
            try:
                value = int(value)
            except ValueError:
                return Rejection(where, f"{column!r} must be a whole number, got {value!r}")
        if "." in name and name.split(".")[0] in ("author", "metrics"):
            head, _, tail = name.partition(".")
            data.setdefault(head, {})[tail] = value
        elif name in CSV_FIELDS:
            data[name] = value
        else:
            data.setdefault("extra", {})[column] = value
    return Incoming(data=data, where=where)
