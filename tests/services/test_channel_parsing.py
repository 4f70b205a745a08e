"""The ``--channel KIND:TARGET`` contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from slusha.domain.alerts.messages import sample_alert
from slusha.errors import InputError
from slusha.plugins.api import reveal, secret_fields
from slusha.plugins.registry import build_registry
from slusha.services import alert_channels

REGISTRY = build_registry(include_entry_points=False)


def parse_channel(text: str, **options: Any) -> tuple[str, Any]:
    return alert_channels.parse_channel(text, registry=REGISTRY, **options)


def test_email_with_several_addresses() -> None:
    kind, config = parse_channel("email:pr@example.org, oncall@example.org")
    assert kind == "email"
    assert config.model_dump()["to"] == ["pr@example.org", "oncall@example.org"]


@pytest.mark.parametrize("kind", ["slack", "teams", "mattermost"])
def test_chat_urls(kind: str) -> None:
    parsed_kind, config = parse_channel(f"{kind}:https://hooks.example.com/services/T/B/x")
    assert parsed_kind == kind
    assert config.model_dump()["url"] == "https://hooks.example.com/services/T/B/x"
    assert "url" in secret_fields(type(config))  # the URL is the credential


def test_webhook_gets_a_fresh_secret() -> None:
    kind, config = parse_channel("webhook:https://example.org/in", secret_factory=lambda: "s" * 20)
    assert kind == "webhook"
    assert reveal(config.model_dump()["secret"]) == "s" * 20
    _, other = parse_channel("webhook:https://example.org/in")
    assert reveal(other.model_dump()["secret"]).startswith("whsec_")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("pager:123", "expected email:ADDR[,ADDR]"),
        ("no-colon", "mattermost:URL"),
        ("email:", "needs a target"),
        ("email:not-an-address", "not an e-mail address"),
        ("slack:hooks.slack.com/services/x", "http:// or https://"),
        ("teams:ftp://example.org/x", "http:// or https://"),
        ("webhook:https://user:pw@example.org/x", "user name or password"),
    ],
)
def test_bad_channels_say_what_is_expected(text: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_channel(text)
    assert says in str(info.value) and info.value.code == "channel"


def test_sample_alert_is_a_valid_alert() -> None:
    alert = sample_alert(rule_id="r9", team="PR", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert alert.state == "info" and alert.title == "Test alert from Slusha"
