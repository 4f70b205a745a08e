"""The registry: built-ins by scanning, entry points, validation, failures kept, immutability."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from slusha.plugins.api import Connector, Notifier, PluginConfig
from slusha.plugins.registry import build_registry
from tests.support.plugins import ScriptedConnector

BUILTIN_KINDS = {"rss", "webhook", "mastodon", "bluesky", "reddit", "hackernews"}


def test_builtins_are_found_by_scanning_and_load_cleanly() -> None:
    registry = build_registry(include_entry_points=False)
    assert set(registry.connectors) >= BUILTIN_KINDS
    connector_failures = [f for f in registry.failures if f.group == "slusha.connectors"]
    assert connector_failures == []
    for kind, cls in registry.connectors.items():
        assert registry.connector(kind).kind == kind
        assert cls.capabilities


def test_registry_is_immutable() -> None:
    registry = build_registry(include_entry_points=False)
    with pytest.raises(TypeError):
        registry.connectors["evil"] = ScriptedConnector  # type: ignore[index]


class NoDescription(Connector):
    kind = "nodesc"
    title = "x"
    summary = "x"
    Config = PluginConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"poll"})


class BadCapability(ScriptedConnector):
    kind = "badcap"
    capabilities: ClassVar[frozenset[str]] = frozenset({"teleport"})


class Undocumented(ScriptedConnector):
    kind = "undocumented"

    class Config(PluginConfig):
        token: str


class DuplicateRss(ScriptedConnector):
    kind = "rss"


def test_invalid_plugins_are_recorded_not_raised() -> None:
    registry = build_registry(
        include_entry_points=False,
        extra_connectors=[ScriptedConnector, NoDescription, BadCapability, Undocumented,
                          DuplicateRss, object],
    )  # fmt: skip
    assert "scripted" in registry.connectors
    errors = {f.name: f.error for f in registry.failures}
    assert "description" in errors["nodesc"]
    assert "teleport" in errors["badcap"]
    assert "needs a description" in errors["undocumented"]
    assert "already provided" in errors["rss"]
    assert registry.connectors["rss"] is not DuplicateRss
    assert any("not a subclass" in f.error for f in registry.failures)


class GoodNotifier(Notifier):
    kind = "testnote"
    title = "Test"
    summary = "A notifier for tests."
    Config = PluginConfig

    async def send(self, ctx: Any, config: Any, alert: Any) -> None:
        return None


def test_entry_points_load_and_broken_ones_are_listed(tmp_path: Path) -> None:
    dist = tmp_path / "slusha_testplugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: slusha-testplugins\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[slusha.connectors]\n"
        "scripted = tests.support.plugins:ScriptedConnector\n"
        "broken = slusha_no_such_module_xyz:Connector\n"
        "[slusha.notifiers]\n"
        "testnote = tests.plugins.test_registry:GoodNotifier\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        registry = build_registry()
    finally:
        sys.path.remove(str(tmp_path))
    assert registry.connectors["scripted"] is ScriptedConnector
    assert registry.notifiers["testnote"] is GoodNotifier
    broken = [f for f in registry.failures if f.name == "broken"]
    assert broken and "ModuleNotFoundError" in broken[0].error
    with pytest.raises(Exception, match="failed to load"):
        registry.connector("broken")
