"""Half an emoji (a lone surrogate) in a line: repaired, never a traceback, at every entrance."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import write

# Valid JSON, invalid Unicode: "\ud83d" is the first half of an emoji on its own.
BROKEN = '{"network":"x","id":"%s","text":"acme is down \\ud83d again","created_at":"%s"}'
WHEN = "2026-11-27T09:15:00+00:00"


def _lines(tmp_path: Path) -> str:
    good = BROKEN.replace("is down \\ud83d again", "works") % ("2", WHEN)
    return write(tmp_path / "posts.jsonl", f"{BROKEN % ('1', WHEN)}\n{good}\n")


def test_import_stores_the_repaired_post_and_the_rest(slusha, tmp_path: Path) -> None:
    slusha("teams", "add", "Care")
    slusha("topics", "add", "Acme", "--team", "Care", "--query", "acme")
    result = slusha("import", _lines(tmp_path))
    assert result.exit_code == 0, result.output
    assert "accepted 2 (new 2, duplicate 0), rejected 0" in result.output
    listed = slusha("mentions", "list", "--format", "jsonl")
    texts = {json.loads(line)["text"] for line in listed.output.splitlines() if line}
    assert "acme is down \ufffd again" in texts


def test_enrich_and_query_test_read_it_too(slusha, tmp_path: Path) -> None:
    path = _lines(tmp_path)
    enriched = slusha("enrich", path)
    assert enriched.exit_code == 0, enriched.output
    first = json.loads(enriched.output.splitlines()[0])
    assert first["text"] == "acme is down \ufffd again" and first["lang"] == "en"
    tested = slusha("query", "test", "acme AND down", path)
    assert tested.exit_code == 0, tested.output
    assert "Traceback" not in tested.output and "1 of 2" in tested.output


def test_enqueue_needs_a_bus_that_other_processes_read(slusha, tmp_path: Path) -> None:
    result = slusha("import", "--enqueue", _lines(tmp_path))
    assert result.exit_code == 2
    assert "SLUSHA_BUS_URL=nats://" in result.output
