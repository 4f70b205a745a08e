"""Alert e-mails carry the dashboards' charts as inline PNGs: a real aiosmtpd server receives
what the real alerter sends."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.notifiers.conftest import free_port
from tests.notifiers.smtp_sink import smtp_server
from tests.support.alerting import alert_settings, plugin_registry, start_stack
from tests.support.builders import organisation, post

from slusha.clock import FrozenClock
from slusha.services.alert_charts import email_charts
from slusha.services.alert_specs import RuleSpec
from slusha.services.alerts import create_rule
from slusha.services.teams import find_team
from slusha.store.alerts import RollupScope
from slusha.store.db import Database

PNG = b"\x89PNG\r\n\x1a\n"


def _cids(html: str) -> list[str]:
    return re.findall(r'src="cid:([^"]+)"', html)


async def test_an_alert_email_has_its_charts_inline(db: Database, clock: FrozenClock) -> None:
    organisation(db, clock=clock)
    port = free_port()
    settings = alert_settings(
        db, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_from="s@example.org"
    )
    stack = await start_stack(db, clock, settings)
    try:
        spec = RuleSpec(team="Customer care", kind="match", topics=["Acme"],
                        channels=["email:care@example.org"])  # fmt: skip
        create_rule(db, spec=spec, settings=settings, clock=clock, registry=plugin_registry())
        await stack.alerter.refresh(force=True)
        with smtp_server(port) as sink:
            await stack.ingest([post("1", "acme broke my phone", author={"handle": "ana"})])
        [received] = sink.received
    finally:
        await stack.close()
    message = received.message
    assert received.rcpt_tos == ["care@example.org"]
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    cids = _cids(html_part.get_content())
    assert cids, "the HTML references no inline image"
    images = {
        part["Content-ID"].strip("<>"): part
        for part in message.walk()
        if part.get_content_type() == "image/png"
    }
    assert set(cids) == set(images)
    for part in images.values():
        assert part.get_content_disposition() == "inline"
        assert part.get_payload(decode=True).startswith(PNG)
    # The related part holds the HTML and its images together (clients show them inline).
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1


def test_observed_against_expected_is_a_second_chart(db: Database, clock: FrozenClock) -> None:
    organisation(db, clock=clock)
    team_id = find_team(db, name="Customer care").id
    alert = {
        "id": "7:incident:1:firing",
        "explanation": {"observed": 42.0, "expected": 6.5, "unit": "mentions"},
    }
    images = email_charts(
        db, scope=RollupScope(team_id=team_id), alert=alert,
        now=datetime(2026, 10, 26, 9, 30, tzinfo=UTC),
    )  # fmt: skip
    assert [i.content_id.split("-")[0] for i in images] == ["volume", "observed"]
    assert all(i.png.startswith(PNG) for i in images)
