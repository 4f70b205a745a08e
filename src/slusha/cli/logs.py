"""Logging of the long-running commands: plain lines, or one JSON object per line.

Slusha logs with stable event names as messages (``source check failed``, ``task.failed``)
and the facts as ``extra`` keys; both formats keep those keys, so a log collector can filter
on them. ``SLUSHA_LOG_FORMAT=json`` is for collectors; the default reads well in a terminal.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; everything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra, "error"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``TIME LEVEL logger: message key=value ...`` and the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        facts = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{when} {record.levelname.lower():7} {record.name}: {record.getMessage()}"
        line = f"{line} {facts}" if facts else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(*, level: str, log_format: str) -> bool:
    """Send Slusha's logs to stderr in the chosen format; False (and nothing changed) when
    the process has configured logging itself (a host application, the test runner)."""
    if logging.getLogger().handlers:
        return False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger("slusha")
    root.handlers = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    return True
