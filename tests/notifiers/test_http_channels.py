"""Slack, Mattermost, Teams and the signed webhook against real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from slusha.clock import FrozenClock
from slusha.notifiers.mattermost import MattermostNotifier
from slusha.notifiers.slack import SlackNotifier
from slusha.notifiers.teams import TeamsNotifier
from slusha.notifiers.webhook import WebhookNotifier, verify_signature
from slusha.plugins.api import PluginContext
from slusha.plugins.delivery import RetryPolicy, deliver
from tests.notifiers.samples import firing_alert, resolved_alert
from tests.support.origin import Origin, Reply, Request

FAST = RetryPolicy(max_attempts=3, base_delay_seconds=0.001, max_delay_seconds=0.01)
SECRET = "whsec_only-the-user-knows-this"


async def test_slack_block_kit(ctx: PluginContext, origin: Origin) -> None:
    origin.route("/services/T0/B0/x", Reply(200, b"ok"), method="POST")
    config = SlackNotifier.Config(url=origin.url("/services/T0/B0/x"))
    alert = firing_alert()
    result = await deliver(SlackNotifier(), ctx, config, alert, policy=FAST)
    assert result.is_sent
    [request] = origin.hits("/services/T0/B0/x")
    payload = request.json()
    assert payload["text"].startswith(alert.title)
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds[0] == "header" and "actions" in kinds
    assert payload["blocks"][0]["text"]["text"] == alert.title
    text = json.dumps(payload)
    assert "<script>" not in text and "&lt;script&gt;" in text  # mrkdwn escaped
    button = payload["blocks"][-1]["elements"][0]
    assert button["url"] == alert.link and "topic=t1" in button["url"]


async def test_mattermost_attachment(ctx: PluginContext, origin: Origin) -> None:
    origin.route("/hooks/abc", Reply(200, b"ok"), method="POST")
    config = MattermostNotifier.Config(url=origin.url("/hooks/abc"), username="Slusha")
    alert = resolved_alert()
    assert (await deliver(MattermostNotifier(), ctx, config, alert, policy=FAST)).is_sent
    payload = origin.hits("/hooks/abc")[0].json()
    assert payload["username"] == "Slusha"
    [attachment] = payload["attachments"]
    assert attachment["title"] == alert.title
    assert attachment["color"] == "#2e9e5b"  # resolved is green
    titles = {field["title"] for field in attachment["fields"]}
    assert {"Observed", "Expected", "Window"} <= titles
    assert "@\u200bacme" not in attachment["text"] or "@" not in alert.summary


async def test_teams_adaptive_card(ctx: PluginContext, origin: Origin) -> None:
    # Teams workflows answer 202 Accepted.
    origin.route("/workflows/1/triggers/manual/paths/invoke", Reply(202, b""), method="POST")
    url = origin.url("/workflows/1/triggers/manual/paths/invoke")
    alert = firing_alert()
    result = await deliver(TeamsNotifier(), ctx, TeamsNotifier.Config(url=url), alert, policy=FAST)
    assert result.is_sent
    payload = origin.hits("/workflows/1/triggers/manual/paths/invoke")[0].json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == alert.title
    assert any(block["type"] == "FactSet" for block in card["body"])
    assert card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Open the stream",
        "url": alert.link,
    }


async def test_webhook_consumer_verifies_with_only_the_secret(
    ctx: PluginContext, origin: Origin, clock: FrozenClock
) -> None:
    verdicts: list[bool] = []

    def consumer(request: Request) -> Reply:
        # What a receiver does: the raw body, two headers, the secret it was shown.
        timestamp = request.headers["x-slusha-timestamp"]
        signature = request.headers["x-slusha-signature"]
        independent = hmac.new(
            SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        ok = signature == f"v1={independent}" and verify_signature(
            SECRET, timestamp, request.body, signature, now=clock.now()
        )
        verdicts.append(ok)
        return Reply(204 if ok else 401)

    origin.route("/slusha", consumer, method="POST")
    config = WebhookNotifier.Config(url=origin.url("/slusha"), secret=SECRET)
    alert = firing_alert()
    result = await deliver(WebhookNotifier(), ctx, config, alert, policy=FAST)
    assert result.is_sent and verdicts == [True]
    [request] = origin.hits("/slusha")
    assert request.headers["x-slusha-delivery"] == alert.id
    assert request.headers["x-slusha-event"] == "alert.firing"
    assert request.json() == json.loads(json.dumps(alert.to_dict()))


async def test_webhook_signature_rejects_tampering_wrong_secret_and_replay(
    ctx: PluginContext, origin: Origin, clock: FrozenClock
) -> None:
    origin.route("/slusha", Reply(204), method="POST")
    config = WebhookNotifier.Config(url=origin.url("/slusha"), secret=SECRET)
    assert (await deliver(WebhookNotifier(), ctx, config, firing_alert(), policy=FAST)).is_sent
    request = origin.hits("/slusha")[0]
    ts, sig, body = (
        request.headers["x-slusha-timestamp"],
        request.headers["x-slusha-signature"],
        request.body,
    )
    now = clock.now()
    assert verify_signature(SECRET, ts, body, sig, now=now)
    assert not verify_signature(SECRET, ts, body.replace(b"42", b"43"), sig, now=now)
    assert not verify_signature("whsec_some-other-secret", ts, body, sig, now=now)
    assert not verify_signature(SECRET, ts, body, sig, now=now + timedelta(minutes=10))
    assert not verify_signature(SECRET, "yesterday", body, sig, now=now)
    # During a secret rotation the header may carry several signatures.
    assert verify_signature(SECRET, ts, body, f"v1=deadbeef, {sig}", now=now)


def test_webhook_secret_must_be_long_enough() -> None:
    try:
        WebhookNotifier.Config(url="https://example.org/hook", secret="short")
    except ValueError as exc:
        assert "at least 16" in str(exc)
    else:
        raise AssertionError("a short secret was accepted")
