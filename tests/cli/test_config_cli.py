"""Settings from the environment and a TOML file; every wrong value named with what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slusha.cli.main import _register, cli
from slusha.config import load_settings
from slusha.errors import ConfigError


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):
    for name in list(__import__("os").environ):
        if name.startswith("SLUSHA_") and not name.startswith("SLUSHA_TEST"):
            monkeypatch.delenv(name)
    _register()

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_wrong_values_name_the_setting_the_value_and_what_is_expected() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"SLUSHA_PORT": "eighty", "SLUSHA_BUS_URL": "kafka://x"})
    message = str(info.value)
    assert "port (SLUSHA_PORT) = 'eighty': Input should be a valid integer" in message
    assert (
        "bus_url (SLUSHA_BUS_URL) = 'kafka://x': expected memory:// or nats://HOST:PORT" in message
    )


def test_unknown_setting_is_reported() -> None:
    with pytest.raises(ConfigError, match=r"SLUSHA_DATABSE_URL.*unknown setting"):
        load_settings(environ={"SLUSHA_DATABSE_URL": "sqlite:///x.db"})


def test_toml_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "slusha.toml"
    config.write_text('[slusha]\nport = 9000\nbatch_size = 100\nhost = "0.0.0.0"\n')
    settings = load_settings(config, environ={"SLUSHA_PORT": "9100"}, host="127.0.0.2")
    assert (settings.port, settings.batch_size, settings.host) == (9100, 100, "127.0.0.2")


def test_broken_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = = 3")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(bad, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret-value\n")
    settings = load_settings(environ={"SLUSHA_SECRET_KEY_FILE": str(secret)})
    assert settings.secret_key.get_secret_value() == "s3cret-value"


def test_config_show_masks_secrets(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUSHA_SECRET_KEY", "do-not-print-me")
    monkeypatch.setenv("SLUSHA_DATABASE_URL", "postgresql://app:hunter2@db.internal/slusha")
    result = run("config", "show")
    assert result.exit_code == 0
    assert "do-not-print-me" not in result.output and "hunter2" not in result.output
    assert "secret_key = ****" in result.output
    assert "postgresql://app:****@db.internal/slusha" in result.output


def test_config_check_reports_an_unreachable_database(run, monkeypatch) -> None:
    monkeypatch.setenv("SLUSHA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("SLUSHA_SECRET_KEY", "x" * 32)
    result = run("config", "check")
    assert result.exit_code == 2
    assert "cannot connect to the database" in result.output


def test_a_wrong_setting_stops_any_command_with_exit_2(run, monkeypatch) -> None:
    monkeypatch.setenv("SLUSHA_BATCH_SIZE", "-5")
    result = run("teams", "list")
    assert result.exit_code == 2
    assert "batch_size (SLUSHA_BATCH_SIZE) = '-5'" in result.output
    assert "slusha config check" in result.output


def test_config_file_option(run, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "x.db"}"\nport = 8123\n')
    result = run("--config", str(config), "config", "show", "--format", "json")
    assert '"port": 8123' in result.output


def test_import_into_a_database_that_does_not_connect_says_so(run, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SLUSHA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"network":"x","id":"1","text":"a","created_at":"2026-11-27T09:00:00Z"}\n')
    result = run("import", str(posts))
    assert result.exit_code == 2
    assert "cannot connect to the database" in result.output
    assert "SLUSHA_DATABASE_URL" in result.output


def test_worker_with_nats_down_at_start_says_so(run, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SLUSHA_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setenv("SLUSHA_BUS_URL", "nats://127.0.0.1:1")
    result = run("worker", "--duration", "1")
    assert result.exit_code == 2
    assert "cannot reach the NATS server at nats://127.0.0.1:1" in result.output


def test_the_test_suite_variables_are_not_settings() -> None:
    environ = {
        "SLUSHA_TEST_POSTGRES_URL": "postgresql://x@y/z",
        "SLUSHA_REQUIRE_POSTGRES": "1",
        "SLUSHA_REQUIRE_NATS": "1",
        "SLUSHA_SHARED_DATA": "/data",
    }
    assert load_settings(environ=environ).port == 8000
