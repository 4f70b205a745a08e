"""The deployment files run real commands: every ``slusha ...`` they start exists."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from slusha.cli.main import _register, cli

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _exists(words: list[str]) -> bool:
    """True when ``slusha WORDS...`` names a command (options after it are not checked)."""
    _register()
    command: click.Command = cli
    for word in words:
        if word.startswith("-") or not isinstance(command, click.Group):
            break
        found = command.commands.get(word)
        if found is None:
            return False
        command = found
    return not isinstance(command, click.Group)


def test_compose_runs_every_role_over_postgresql_and_nats() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "nats", "migrate", "web", "worker", "connectors", "alerter"} <= set(
        services
    )
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in ("migrate", "web", "worker", "connectors", "alerter"):
        command = services[name]["command"]
        assert command[0] == "slusha" and _exists(command[1:]), (name, command)
        env = services[name]["environment"]
        assert env["SLUSHA_BUS_URL"].startswith("nats://")
        assert env["SLUSHA_DATABASE_URL"].startswith("postgresql://")


def test_systemd_units_start_real_commands() -> None:
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {
        "slusha-web.service", "slusha-worker@.service", "slusha-connectors.service",
        "slusha-alerter.service",
    }  # fmt: skip
    for unit in units:
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith(("ExecStart=", "ExecStartPre=")):
                words = line.split("=", 1)[1].split()
                assert words[0].endswith("/slusha") and _exists(words[1:]), (unit.name, line)
