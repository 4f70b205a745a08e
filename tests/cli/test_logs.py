"""Log lines as text or JSON, with the ``extra`` facts kept as keys."""

from __future__ import annotations

import json
import logging

from slusha.cli.logs import JsonFormatter, TextFormatter


def _record(exc: bool = False) -> logging.LogRecord:
    logger = logging.getLogger("slusha.scheduler")
    info = None
    if exc:
        try:
            raise ValueError("bad feed")
        except ValueError:
            import sys

            info = sys.exc_info()
    return logger.makeRecord(
        "slusha.scheduler", logging.WARNING, __file__, 1, "source check failed", (), info,
        extra={"source": "Acme blog", "code": "parse"},
    )  # fmt: skip


def test_json_lines_carry_the_event_and_its_facts() -> None:
    entry = json.loads(JsonFormatter().format(_record(exc=True)))
    assert entry["message"] == "source check failed" and entry["level"] == "warning"
    assert entry["source"] == "Acme blog" and entry["code"] == "parse"
    assert entry["logger"] == "slusha.scheduler" and "ValueError: bad feed" in entry["error"]
    assert entry["time"].endswith("+00:00")


def test_text_lines_read_well_in_a_terminal() -> None:
    line = TextFormatter().format(_record())
    assert line.endswith(
        "warning slusha.scheduler: source check failed source=Acme blog code=parse"
    )
