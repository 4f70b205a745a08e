"""The exchange format for members' sentiment corrections: JSON Lines, one correction a line.

Each line is ``{"text": "...", "lang": "mk", "label": "negative"}`` (``lang`` may be null).
The store exports corrections in this format; ``python -m slusha.enrich.train --corrections``
reads it back as extra training data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from slusha.enrich.model import LABELS
from slusha.errors import InputError


@dataclass(frozen=True, slots=True)
class Correction:
    """A member's verdict on a text's sentiment."""

    text: str
    label: str
    lang: str | None = None

    def to_json(self) -> str:
        """One JSON Lines record."""
        record = {"text": self.text, "lang": self.lang, "label": self.label}
        return json.dumps(record, ensure_ascii=False)


def parse_correction(obj: Any) -> Correction:
    """Validate one decoded record; raises ``InputError`` saying what is wrong."""
    if not isinstance(obj, dict):
        raise InputError("a correction must be a JSON object")
    text, label, lang = obj.get("text"), obj.get("label"), obj.get("lang")
    if not isinstance(text, str) or not text.strip():
        raise InputError("'text' must be a non-empty string")
    if label not in LABELS:
        raise InputError(f"'label' must be one of {', '.join(LABELS)}, got {label!r}")
    if lang is not None and not isinstance(lang, str):
        raise InputError("'lang' must be a string or null")
    return Correction(text=text, label=str(label), lang=lang or None)


def write_corrections(corrections: Iterable[Correction], out: IO[str]) -> int:
    """Write corrections as JSON Lines; returns how many were written."""
    count = 0
    for correction in corrections:
        out.write(correction.to_json() + "\n")
        count += 1
    return count


def read_corrections(path: str | Path) -> list[Correction]:
    """Read a corrections file; a bad line raises ``InputError`` naming the line."""
    out: list[Correction] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                out.append(parse_correction(json.loads(line)))
            except (ValueError, InputError) as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
    return out
