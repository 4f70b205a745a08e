"""The list of command modules; each exposes ``register(group)``."""

from __future__ import annotations

import importlib

import click

MODULES: tuple[str, ...] = (
    "config_cmds",
    "org",
    "ingest",
    "serve",
    "demo",
    "sources",
    "query",
    "enrich",
    "alerts",
    "inbox",
    "web",
)


def register(group: click.Group) -> None:
    """Attach every command module's commands to the root group."""
    for name in MODULES:
        module = importlib.import_module(f"slusha.cli.{name}")
        module.register(group)
