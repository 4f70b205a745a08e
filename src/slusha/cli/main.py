"""``slusha``: the command-line entry point; registers one command group per module."""

from __future__ import annotations

import click

from slusha import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slusha")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="SLUSHA_CONFIG",
    help="TOML settings file (environment variables SLUSHA_* override it).",
)
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Slusha: listen to what is said about your organisation, and answer in time."""
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file


def _register() -> None:
    # Each command module adds its commands to ``cli``; imported here, not at package import.
    from slusha.cli import commands

    commands.register(cli)


def main() -> None:
    """Console-script entry point."""
    _register()
    cli(prog_name="slusha")
