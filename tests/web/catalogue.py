"""The interface strings: every ``_("...")`` in the web templates and modules."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "slusha" / "web"
PO = WEB / "locale" / "mk" / "LC_MESSAGES" / "messages.po"
CALL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def interface_strings() -> list[str]:
    """Each translatable string once, in the order first seen."""
    found: list[str] = []
    for path in sorted([*WEB.rglob("*.html"), *WEB.rglob("*.py")]):
        for match in CALL.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if text not in found:
                found.append(text)
    return found
