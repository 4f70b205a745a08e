"""``slusha alerts``: the forms outside checks rely on, clear errors, and a rule that delivers."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from slusha.clock import FrozenClock
from slusha.notifiers.webhook import verify_signature
from slusha.store.db import Database
from tests.support.alerting import SECRET_KEY, alert_settings, start_stack
from tests.support.builders import organisation, post
from tests.support.net_fixtures import origin
from tests.support.origin import Origin, Reply

__all__ = ["origin"]
Slusha = Callable[..., Result]


@pytest.fixture
def cli(
    slusha: Slusha, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Slusha:
    organisation(db, clock=clock)
    monkeypatch.setenv("SLUSHA_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("SLUSHA_ALLOW_PRIVATE_NETWORKS", "true")
    return slusha


def _secret(result: Result) -> str:
    lines = result.output.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("webhook secret for"))
    return lines[index + 1].strip()


async def test_the_printed_secret_is_all_a_receiver_needs(
    cli: Slusha, db: Database, clock: FrozenClock, origin: Origin
) -> None:
    origin.route("/in", Reply(200), method="POST")
    result = cli(
        "alerts", "add", "--team", "Customer care", "--topic", "Acme", "--topic", "Refunds",
        "--kind", "match", "--filter", "refund OR broken",
        "--channel", f"webhook:{origin.url('/in')}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    secret = _secret(result)
    assert "added alert rule match: Acme, Refunds" in result.output
    stack = await start_stack(db, clock, alert_settings(db))
    try:
        await stack.ingest([post("1", "acme is broken"), post("2", "acme is fine")])
    finally:
        await stack.close()
    [request] = origin.hits("/in")
    headers = {k.lower(): v for k, v in request.headers.items()}
    timestamp, signature = headers["x-slusha-timestamp"], headers["x-slusha-signature"]
    assert verify_signature(secret, timestamp, request.body, signature, now=clock.now())
    assert not verify_signature(secret + "x", timestamp, request.body, signature, now=clock.now())
    assert json.loads(request.body)["explanation"]["top_posts"][0]["text"] == "acme is broken"
    # The secret is shown once: never in the list.
    listed = cli("alerts", "list", "--format", "json")
    assert secret not in listed.output
    [rule] = json.loads(listed.output)
    assert rule["topics"] == ["Acme", "Refunds"] and rule["channels"][0]["health"] == "ok"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "Nobody", "--topic", "Acme"], "no team named 'Nobody'"),
        (["--team", "Customer care", "--topic", "Nope"], "no topic named 'Nope'"),
        (["--team", "Customer care", "--channel", "sms:+389"], "unknown channel 'sms:+389'"),
        (["--team", "Customer care", "--filter", "refund AND ("], "--filter query is not valid"),
        (["--team", "Customer care", "--throttle", "x"], "--throttle must look like 10/1h"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(cli: Slusha, args: list[str], message: str) -> None:
    base = ["alerts", "add", "--kind", "match"]
    channel = [] if "--channel" in args else ["--channel", "email:care@example.org"]
    result = cli(*base, *args, *channel)
    assert result.exit_code == 2
    assert message in result.output
    assert json.loads(cli("alerts", "list", "--format", "json").output) == []


def test_unknown_kind_is_a_usage_error(cli: Slusha) -> None:
    result = cli(
        "alerts", "add", "--team", "HR", "--kind", "rumour", "--channel", "email:a@example.org"
    )
    assert result.exit_code == 2 and "rumour" in result.output


def test_list_test_and_disable(cli: Slusha, origin: Origin) -> None:
    origin.route("/ok", Reply(200), method="POST")
    origin.route("/bad", Reply(500), method="POST")
    added = cli(
        "alerts", "add", "--team", "HR", "--topic", "Acme jobs", "--kind", "spike",
        "--sensitivity", "0.5", "--name", "Jobs volume",
        "--channel", f"slack:{origin.url('/ok')}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    tested = cli("alerts", "test", "Jobs volume")
    assert tested.exit_code == 0 and "sent" in tested.output
    assert origin.hits("/ok")[0].json()["text"].startswith("Test alert from Slusha")
    cli(
        "alerts", "add", "--team", "HR", "--kind", "digest", "--schedule", "daily 08:00",
        "--name", "Morning", "--channel", f"mattermost:{origin.url('/bad')}",
    )  # fmt: skip
    failed = cli("alerts", "test", "morning")
    assert failed.exit_code == 1 and "http_5xx" in failed.output
    rows = [
        json.loads(line) for line in cli("alerts", "list", "--format", "jsonl").output.splitlines()
    ]
    assert {r["name"]: r["failing"] for r in rows} == {"Jobs volume": False, "Morning": True}
    disabled = cli("alerts", "disable", "Jobs volume")
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    table = cli("alerts", "list").output
    assert "disabled" in table and "FAILING" in table
    missing = cli("alerts", "disable", "nothing")
    assert missing.exit_code == 2 and "no alert rule 'nothing'" in missing.output
