"""The plugin host the ingest route tests run with: the built-in connectors, no network."""

from __future__ import annotations

from collections.abc import Iterable

from slusha.clock import Clock
from slusha.config import load_settings
from slusha.plugins.host import PluginHost
from slusha.plugins.registry import build_registry


def ingest_host(clock: Clock, extra_connectors: Iterable[type] = ()) -> PluginHost:
    """A host over the built-in connectors (and ``extra_connectors``)."""
    registry = build_registry(include_entry_points=False, extra_connectors=extra_connectors)
    return PluginHost(settings=load_settings(environ={}), clock=clock, registry=registry)
