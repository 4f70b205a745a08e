"""``slusha sources ...`` and ``slusha plugins list`` end to end, against feeds on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from slusha.cli import sources as sources_cli
from slusha.cli.main import cli
from slusha.domain.post import parse_post
from slusha.store.db import Database
from slusha.store.schema import AuditEntry, Source
from slusha.store.schema import Post as PostRow
from tests.support.origin import Origin, Reply, serve_origin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rss"
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        server.route("/feed", Reply(body=(FIXTURES / "rss2.xml").read_bytes()))
        server.route("/atom", Reply(body=(FIXTURES / "atom.xml").read_bytes()))
        yield server


@pytest.fixture
def run(tmp_path: Path) -> Any:
    group: click.Group = cli
    sources_cli.register(group)
    runner = CliRunner()
    base = {
        "SLUSHA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SLUSHA_SECRET_KEY": "cli-test-secret",
        "SLUSHA_ALLOW_PRIVATE_NETWORKS": "1",
        "SLUSHA_CONFIG": "",
    }

    def invoke(*args: str, **env: str | None) -> Any:
        return runner.invoke(group, list(args), env={**base, **env}, catch_exceptions=False)

    invoke.db_url = base["SLUSHA_DATABASE_URL"]  # type: ignore[attr-defined]
    return invoke


def rows(db_url: str, model: Any) -> list[Any]:
    db = Database(db_url)
    try:
        with db.transaction() as tx:
            found = list(tx.session.query(model))
            for row in found:
                tx.session.expunge(row)
            return found
    finally:
        db.dispose()


def test_loopback_url_is_refused_without_the_operator_setting(run: Any, origin: Origin) -> None:
    result = run("sources", "add", "rss", "--name", "blog", "--url", origin.url("/feed"),
                 SLUSHA_ALLOW_PRIVATE_NETWORKS=None)  # fmt: skip
    assert result.exit_code == 2
    assert "loopback" in result.output
    assert "SLUSHA_ALLOW_PRIVATE_NETWORKS=1" in result.output


def test_add_list_fetch_once_test_disable(run: Any, origin: Origin) -> None:
    added = run("sources", "add", "rss", "--name", "blog", "--url", origin.url("/feed"))
    assert added.exit_code == 0, added.output
    listed = json.loads(run("sources", "list", "--format", "json").output)
    assert [(s["name"], s["kind"], s["health"]) for s in listed] == [("blog", "rss", "ok")]
    assert listed[0]["next_check_at"]

    fetched = run("sources", "fetch-once", "blog", "--format", "jsonl")
    assert fetched.exit_code == 0, fetched.output
    lines = [line for line in fetched.stdout.splitlines() if line.startswith("{")]
    posts = [parse_post(json.loads(line)) for line in lines]
    assert [p.network for p in posts] == ["rss"] * 3
    assert rows(run.db_url, PostRow) == []  # fetch-once stores nothing
    assert rows(run.db_url, Source)[0].cursor is None

    tested = run("sources", "test", "blog")
    assert tested.exit_code == 0 and "3 entries" in tested.output

    assert run("sources", "disable", "blog").exit_code == 0
    listed = json.loads(run("sources", "list", "--format", "json").output)
    assert listed[0]["health"] == "disabled"
    actions = [a.action for a in rows(run.db_url, AuditEntry)]
    assert actions == ["source.add", "source.disable"]


def test_test_reports_a_failing_source(run: Any, origin: Origin) -> None:
    run("sources", "add", "rss", "--name", "gone", "--url", origin.url("/missing"))
    result = run("sources", "test", "gone")
    assert result.exit_code == 1
    assert "HTTP 404" in result.output


def test_invalid_config_and_unknown_kind_are_explained(run: Any) -> None:
    result = run("sources", "add", "rss", "--name", "x", "--url", "ftp://example.org/feed")
    assert result.exit_code == 2 and "url" in result.output and "http" in result.output
    result = run("sources", "add", "nosuchnet", "--name", "x")
    assert result.exit_code == 2 and "unknown source kind" in result.output
    result = run("sources", "add", "rss", "--name", "x", "--set", "colour=blue",
                 "--url", "http://127.0.0.1:9/")  # fmt: skip
    assert result.exit_code == 2 and "colour: unknown field" in result.output


def test_a_source_language_is_checked_and_stored(run: Any, origin: Origin) -> None:
    url = origin.url("/feed")
    result = run("sources", "add", "rss", "--name", "vesti", "--url", url, "--language", "mkd")
    assert result.exit_code == 2
    assert "language: 'mkd' is not an ISO 639-1 code" in " ".join(result.output.split())
    assert rows(run.db_url, Source) == []
    result = run("sources", "add", "rss", "--name", "vesti", "--url", url, "--language", "mk")
    assert result.exit_code == 0, result.output
    listed = json.loads(run("sources", "list", "--format", "json").output)
    assert [(s["name"], s["language"]) for s in listed] == [("vesti", "mk")]
    # Changed or cleared later; a wrong code or a muddled call changes nothing.
    assert run("sources", "language", "vesti", "sr").exit_code == 0
    bad = run("sources", "language", "vesti", "xx")
    assert bad.exit_code == 2 and "'xx' is not an ISO 639-1 code" in " ".join(bad.output.split())
    assert run("sources", "language", "vesti", "mk", "--clear").exit_code == 2
    assert run("sources", "language", "vesti").exit_code == 2
    assert run("sources", "language", "nosuch", "mk").exit_code != 0
    listed = json.loads(run("sources", "list", "--format", "json").output)
    assert [s["language"] for s in listed] == ["sr"]
    assert run("sources", "language", "vesti", "--clear").exit_code == 0
    listed = json.loads(run("sources", "list", "--format", "json").output)
    assert [s["language"] for s in listed] == [None]


def test_secrets_are_encrypted_and_need_the_key(run: Any) -> None:
    token = "a-webhook-token-of-some-length"
    result = run("sources", "add", "webhook", "--name", "hook", "--secret", f"api_token={token}",
                 SLUSHA_SECRET_KEY=None)  # fmt: skip
    assert result.exit_code == 2 and "SLUSHA_SECRET_KEY" in result.output
    result = run("sources", "add", "webhook", "--name", "hook", "--secret", f"api_token={token}")
    assert result.exit_code == 0, result.output
    (row,) = rows(run.db_url, Source)
    assert row.secrets and token not in row.secrets and token not in json.dumps(row.config)
    (audit,) = rows(run.db_url, AuditEntry)
    assert token not in json.dumps(audit.details)


def test_import_opml(run: Any, origin: Origin, tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline text="Blog" xmlUrl="{origin.url("/feed")}"/>'
        f'<outline text="Blog" xmlUrl="{origin.url("/atom")}"/>'
        f'<outline text="Again" xmlUrl="{origin.url("/feed")}"/>'
        "</body></opml>"
    )
    result = run("sources", "import-opml", str(opml))
    assert result.exit_code == 0, result.output
    assert sorted(s.name for s in rows(run.db_url, Source)) == ["Blog", "Blog (2)"]
    again = run("sources", "import-opml", str(opml))
    assert again.exit_code == 1 and "already a source" in again.output


def test_plugins_list(run: Any) -> None:
    result = run("plugins", "list", "--format", "json")
    plugins = {(p["group"], p["kind"]): p for p in json.loads(result.output)}
    assert plugins[("connector", "rss")]["status"] == "ok"
    assert plugins[("connector", "webhook")]["capabilities"] == ["webhook"]
