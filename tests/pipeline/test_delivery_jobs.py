"""Alert deliveries are jobs written with the decision: resumed after a restart, one delivery id
on every attempt, failed ones kept and sent again from the CLI or the status page.

Before: an alert was marked sent before it was delivered, and its delivery was a task in
memory, cancelled five seconds after a stop; a deploy during back-off lost the alert.
"""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.alerting import Stack, plugin_registry, start_alerter
from tests.support.builders import post
from tests.support.net_fixtures import origin
from tests.support.origin import Origin, Reply
from tests.web.support import sign_in

from slusha.services.alert_specs import RuleSpec
from slusha.services.alerts import create_rule
from slusha.services.deliveries import send_again
from slusha.services.users import create_user
from slusha.store.db import Database
from slusha.store.schema import DeliveryJob
from slusha.web.app import create_app

__all__ = ["origin"]
HOOK = "/hooks/slusha"


def _rule(stack: Stack, url: str) -> None:
    spec = RuleSpec(
        team="Customer care", kind="match", topics=["Acme"], channels=[f"webhook:{url}"]
    )
    create_rule(stack.db, spec=spec, settings=stack.alerter.settings, clock=stack.clock,
                registry=plugin_registry())  # fmt: skip


def _jobs(db: Database) -> list[DeliveryJob]:
    with db.read() as tx:
        return list(tx.session.scalars(select(DeliveryJob).order_by(DeliveryJob.id)))


def _delivery_ids(origin: Origin) -> list[str]:
    return [
        next(v for k, v in hit.headers.items() if k.lower() == "x-slusha-delivery")
        for hit in origin.hits(HOOK)
    ]


async def test_a_delivery_is_a_job_with_one_id_on_every_attempt(
    stack: Stack, origin: Origin
) -> None:
    origin.route(HOOK, [Reply(503), Reply(200)], method="POST")
    _rule(stack, origin.url(HOOK))
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("1", "acme is down")])
    [job] = _jobs(stack.db)
    assert (job.status, job.attempts, job.claimed_until) == ("sent", 2, None)
    assert _delivery_ids(origin) == ["1:mastodon:1"] * 2  # the receiver can drop repeats


async def test_a_delivery_cut_off_by_a_restart_is_resumed(stack: Stack, origin: Origin) -> None:
    origin.route(HOOK, [Reply(200, delay_seconds=1.0), Reply(200)], method="POST")
    _rule(stack, origin.url(HOOK))
    await stack.alerter.refresh(force=True)
    await stack.ingest_only([post("1", "acme is down")])
    await stack.alerter.run_once(timeout_seconds=0.5)  # decided, delivery in flight
    await asyncio.sleep(0.2)
    await stack.alerter.close(grace_seconds=0)  # the process stops mid-delivery
    [job] = _jobs(stack.db)
    assert job.status == "pending"
    successor = await start_alerter(stack.db, stack.bus, stack.clock, stack.alerter.settings)
    try:
        assert await successor.resume() == 0  # still claimed by the stopped alerter
        stack.clock.advance(91)  # the claim runs out
        assert await successor.resume() == 1
        await successor.drain()
    finally:
        await successor.close()
        await successor.host.http.aclose()
    [job] = _jobs(stack.db)
    assert job.status == "sent"
    assert _delivery_ids(origin) == ["1:mastodon:1"] * 2  # cut off, then resumed: same id


async def test_failed_deliveries_are_kept_and_sent_again_from_the_status_page(
    stack: Stack, origin: Origin
) -> None:
    origin.route(HOOK, Reply(503), method="POST")
    _rule(stack, origin.url(HOOK))
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("1", "acme is down")])
    [job] = _jobs(stack.db)
    assert (job.status, job.attempts, job.reason) == ("failed", 2, "http_5xx")
    assert await stack.alerter.resume() == 0  # a dead letter waits for a person
    create_user(stack.db, username="boss", role="admin", password="a-long-password",
                clock=stack.clock)  # fmt: skip
    app = create_app(stack.alerter.settings, db=stack.db, clock=stack.clock)
    client = TestClient(app, follow_redirects=False)
    sign_in(client, "boss", "a-long-password")
    page = client.get("/status").text
    assert f'data-delivery="alert-{job.id}"' in page and 'data-fact="deliveries-failed">1<' in page
    origin.route(HOOK, Reply(200), method="POST")
    answer = client.post("/status/deliveries/retry", data={"job_id": str(job.id)})
    assert answer.status_code == 303
    assert "Queued again" in client.get(answer.headers["location"]).text
    assert await stack.alerter.resume() == 1
    await stack.alerter.drain()
    [job] = _jobs(stack.db)
    assert job.status == "sent"


async def test_the_cli_sends_every_failed_delivery_again(stack: Stack, origin: Origin) -> None:
    origin.route(HOOK, Reply(503), method="POST")
    _rule(stack, origin.url(HOOK))
    await stack.alerter.refresh(force=True)
    await stack.ingest([post("1", "acme is down"), post("2", "acme again")])
    assert [j.status for j in _jobs(stack.db)] == ["failed", "failed"]
    assert send_again(stack.db, job_ids=None, clock=stack.clock) == 2
    assert [j.status for j in _jobs(stack.db)] == ["pending", "pending"]
