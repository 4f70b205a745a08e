"""Replying from the inbox over HTTP: exactly once through the Mastodon connector, and the
server keeps answering other requests while a reply waits on the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from slusha.store.schema import ReplyRecord
from tests.support.mastodon_server import MastodonServer
from tests.support.origin import Origin, serve_origin
from tests.web.browser import served
from tests.web.inbox_support import COMPLAINT_ID, complaint, mention_of, reply_app
from tests.web.support import PASSWORD, World, csrf_of

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        yield server


def _signed_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30.0)
    page = client.get("/signin")
    client.post("/signin", data={"username": username, "password": PASSWORD,
                                 "csrf_token": csrf_of(page.text)})  # fmt: skip
    client.headers["X-CSRF-Token"] = csrf_of(client.get("/profile").text)
    return client


def test_the_reply_form_publishes_once_even_when_sent_again(
    world: World, origin: Origin, make_settings: Any
) -> None:
    server = MastodonServer(origin, slow_first=True, delay_seconds=3.0)
    app = reply_app(world, origin, make_settings)
    world.ingest(complaint())
    mention_id = mention_of(world, COMPLAINT_ID)
    with served(app) as base:
        client = _signed_in(base, "care_responder")
        form = {"key": "page-once", "text": "Sorry Maja, we are on it."}
        first = client.post(f"/mentions/{mention_id}/reply", data=form)
        assert first.status_code == 303
        again = client.post(f"/mentions/{mention_id}/reply", data=form)  # a second click
        assert again.status_code == 303
        page = client.get(f"/mentions/{mention_id}").text
        assert 'data-status="sent"' in page and "Sorry Maja" in page
        client.close()
    assert len(server.created) == 1 and len(origin.hits("/api/v1/statuses")) == 2
    with world.db.transaction() as tx:
        [reply] = tx.session.query(ReplyRecord).all()
        assert (reply.status, reply.attempts, reply.idempotency_key) == ("sent", 2, "page-once")


def test_a_reply_waiting_on_the_database_does_not_stop_the_server(
    world: World, origin: Origin, make_settings: Any
) -> None:
    if world.db.dialect != "postgresql":
        pytest.skip("needs a row lock held by another connection (PostgreSQL)")
    server = MastodonServer(origin)
    app = reply_app(world, origin, make_settings)
    world.ingest(complaint())
    mention_id = mention_of(world, COMPLAINT_ID)
    answers: list[httpx.Response] = []
    with served(app) as base, world.db.engine.connect() as other:
        # Another transaction holds the mention: recording the sent reply has to wait for it.
        other.execute(text("SELECT id FROM mentions WHERE id = :id FOR NO KEY UPDATE"),
                      {"id": mention_id})  # fmt: skip
        replier, reader = _signed_in(base, "care_responder"), _signed_in(base, "care_manager")

        def send() -> None:
            body = {"text": "On it!", "idempotency_key": "api-1"}
            answers.append(replier.post(f"/api/v1/inbox/{mention_id}/replies", json=body))

        thread = threading.Thread(target=send)
        thread.start()
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        for _ in range(600):
            if other.execute(text(waiting)).scalar_one() > 0:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the reply never waited for the lock")
        assert len(server.created) == 1  # published; now recording it waits
        # The server still answers while the reply waits (it used to block the event loop).
        assert reader.get(f"/api/v1/inbox/{mention_id}").status_code == 200
        assert reader.get("/inbox/mine").status_code == 200
        other.rollback()
        thread.join(60)
        replier.close()
        reader.close()
    assert [a.status_code for a in answers] == [200]
    assert answers[0].json()["status"] == "sent" and len(server.created) == 1
