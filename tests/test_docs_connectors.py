"""Every registered connector kind has a page in docs/connectors/ that names each config field."""

from __future__ import annotations

from pathlib import Path

import pytest

from slusha.plugins.registry import build_registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "connectors"
REGISTRY = build_registry(include_entry_points=False)


@pytest.mark.parametrize("kind", sorted(REGISTRY.connectors))
def test_connector_page_documents_every_config_field(kind: str) -> None:
    page = DOCS / f"{kind}.md"
    assert page.is_file(), f"docs/connectors/{kind}.md is missing"
    text = page.read_text(encoding="utf-8")
    config = REGISTRY.connectors[kind].Config
    missing = [name for name in config.model_fields if f"`{name}`" not in text]
    assert not missing, f"docs/connectors/{kind}.md does not document {missing}"
    assert "## " in text and "repl" in text.lower(), "say whether replies are supported"


def test_framework_page_lists_every_kind_and_health_code() -> None:
    from slusha.plugins.codes import HEALTH_MESSAGES

    text = (DOCS / "README.md").read_text(encoding="utf-8")
    for kind in REGISTRY.connectors:
        assert f"`{kind}`" in text, f"docs/connectors/README.md does not list {kind}"
    undocumented = [c for c in HEALTH_MESSAGES if c not in ("stale", "http_400", "http_4xx")
                    and f"`{c}`" not in text]  # fmt: skip
    assert not undocumented, f"health codes missing from the README: {undocumented}"
