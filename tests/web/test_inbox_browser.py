"""The team inbox in headless Chromium: a complaint from arrival to resolved report, presence,
live changes by another member, refusal across teams, keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from slusha.services import sla
from slusha.services.routing import RuleSpec, add_rule
from slusha.store.schema import Mention, MentionTimer
from tests.support.mastodon_server import MastodonServer
from tests.support.origin import Origin, serve_origin
from tests.web.browser import WATCH, chromium, screenshot, served
from tests.web.inbox_support import COMPLAINT_ID, complaint, mention_of, reply_app
from tests.web.support import PASSWORD, World

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        yield server


def _sign_in(context: Any, base: str, username: str) -> Any:
    page = context.new_page()
    page.add_init_script(WATCH)
    page.goto(f"{base}/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/mentions")
    return page


def test_a_complaint_is_taken_answered_once_resolved_and_reported(
    sqlite_world: World, origin: Origin, make_settings: Any
) -> None:
    world = sqlite_world
    server = MastodonServer(origin, slow_first=True, delay_seconds=3.0)
    app = reply_app(world, origin, make_settings)
    add_rule(world.db, RuleSpec("Complaints to care", "refund OR broken",
                                teams=("Customer care",), priority="high",
                                tags=("complaint",)), clock=world.clock)  # fmt: skip
    sla.set_policy(world.db, team="Customer care", clock=world.clock, first_response="30m",
                   resolution="8h")  # fmt: skip
    world.ingest(complaint())
    mention_id = mention_of(world, COMPLAINT_ID)

    with served(app) as base, chromium() as browser:
        page = _sign_in(browser.new_context(), base, "care_responder")
        # The inbox shows it, routed to Customer care with the rule's priority and tag.
        page.click("nav.nav >> text=Inbox")
        page.wait_for_url(f"{base}/inbox/teams/{world.teams['care']}")
        row = page.locator(f"#row-{mention_id}")
        assert "complaint" in row.inner_text() and "High" in row.inner_text()
        screenshot(page, "inbox")
        # Take it: select it and assign it to me with the bulk form.
        row.locator("input[name=mention_ids]").check()
        page.select_option("#bulk select[name=assign_to]", "me")
        with page.expect_navigation():
            page.click("#bulk button[type=submit]")
        assert "done=1" in page.url
        assert page.locator(f"#row-{mention_id} .assignee").inner_text() == "care_responder"

        # Answer it: the first attempt times out, the retry with the same key is a no-op there.
        page.click(f"#row-{mention_id} a")
        page.wait_for_selector("#reply-text")
        assert "@maja@social.example" in page.locator("#conversation").inner_text()
        world.clock.advance(600)
        page.fill("#reply-text", "Sorry Maja, we are on it: DM us your number.")
        with page.expect_navigation(timeout=60_000):
            page.click("#reply-send")
        assert page.url.endswith("#conversation")
        assert page.locator("#replies li").get_attribute("data-status") == "sent"
        assert "Our reply" in page.locator(".conversation").inner_text()
        hits = origin.hits("/api/v1/statuses")
        assert len(hits) == 2 and len(server.created) == 1
        assert len({h.headers["idempotency-key"] for h in hits}) == 1
        assert page.locator("#work-status").inner_text() == "Waiting"
        assert page.get_attribute("[data-sla=first_response]", "data-state") == "met"
        screenshot(page, "inbox-mention")

        # Resolve it: the timer stops.
        world.clock.advance(1200)
        with page.expect_navigation():
            page.click("#status-resolved")
        assert page.locator("#work-status").inner_text() == "Resolved"
        assert page.get_attribute("[data-sla=resolution]", "data-state") == "met"
        with world.db.transaction() as tx:
            timer = tx.session.get(MentionTimer, mention_id)
            assert timer is not None and timer.resolved_at is not None
            assert (timer.first_response_seconds, timer.resolution_seconds) == (600, 1800)

        # The report shows it, on the page and in the CSV.
        page.goto(f"{base}/inbox/report?team=Customer+care")
        assert "care_responder" in page.locator("#sla-report").inner_text()
        csv = page.request.get(f"{base}/inbox/report?team=Customer+care&format=csv").text()
        assert "member,Customer care,care_responder,1,1,600.0,600.0,100.0,1,1800.0,1800.0" in csv
        team_line = next(line for line in csv.splitlines() if line.startswith("team,"))
        assert team_line.endswith(",1,600.0,600.0,100.0,1,1800.0,1800.0,100.0")
        assert page.evaluate("window.__xss") == []
    assert len(server.created) == 1


def test_two_members_on_one_mention_see_each_other(sqlite_world: World) -> None:
    world = sqlite_world
    mention_id = world.mentions[f"p2:{world.topics['refunds']}"]
    with served(world.app) as base, chromium() as browser:
        ana = _sign_in(browser.new_context(), base, "care_responder")
        bob = _sign_in(browser.new_context(), base, "care_manager")
        ana.goto(f"{base}/mentions/{mention_id}")
        ana.wait_for_selector("#presence .hint")
        bob.goto(f"{base}/mentions/{mention_id}")
        bob.wait_for_selector("#presence [data-user=care_responder]")
        # Ana learns it live (Server-Sent Events), without reloading.
        ana.wait_for_selector("#presence [data-user=care_manager]")
        bob.focus("#reply-text")
        ana.wait_for_selector("#presence [data-user=care_manager]:has-text('replying')")
        screenshot(ana, "inbox-presence")
        bob.goto(f"{base}/mentions")
        ana.wait_for_selector("#presence .hint")


def test_a_change_by_another_member_shows_without_reloading(sqlite_world: World) -> None:
    world = sqlite_world
    world.app.state.slusha.mention_poll_seconds = 3600.0  # the wake-up brings it, not the poll
    mention_id = world.mentions[f"p2:{world.topics['refunds']}"]
    with served(world.app) as base, chromium() as browser:
        ana = _sign_in(browser.new_context(), base, "care_responder")
        bob = _sign_in(browser.new_context(), base, "care_manager")
        ana.goto(f"{base}/mentions/{mention_id}")
        bob.goto(f"{base}/mentions/{mention_id}")
        ana.wait_for_selector("#presence [data-user=care_manager]")
        ana.evaluate("window.__sameLoad = true")
        # Ana is typing a tag and a note: what she typed stays through the updates.
        ana.fill("#note-text", "half a note")
        ana.fill("#work-state input[name=add]", "draft-tag")  # the focus stays in it
        with bob.expect_navigation():
            bob.click("#status-waiting")
        ana.wait_for_selector("#work-status:has-text('Waiting')")
        assert ana.is_visible("#work-updated")
        bob.select_option("#work-state select[name=priority]", "urgent")
        with bob.expect_navigation():
            bob.click("text=Set priority")
        ana.wait_for_selector("#work-priority:has-text('Urgent')")
        bob.fill("#note-text", "@care_responder the customer called")
        with bob.expect_navigation():
            bob.click("#notes button")
        ana.wait_for_selector("#work-notes :text('the customer called')")
        ana.wait_for_selector("#work-history :text('priority')")
        assert ana.evaluate("window.__sameLoad") is True  # no reload
        assert ana.input_value("#work-state input[name=add]") == "draft-tag"
        assert ana.input_value("#note-text") == "half a note"
        assert ana.evaluate("document.activeElement.name") == "add"
        screenshot(ana, "inbox-live-work")
        assert ana.evaluate("window.__xss") == []


def test_a_member_of_another_team_is_refused_the_private_mention(sqlite_world: World) -> None:
    world = sqlite_world
    private = world.mentions[f"p2:{world.topics['refunds']}"]
    with served(world.app) as base, chromium() as browser:
        page = _sign_in(browser.new_context(), base, "hr_manager")
        response = page.goto(f"{base}/mentions/{private}")
        assert response is not None and response.status == 404
        assert page.locator("#work").count() == 0
        page.goto(f"{base}/inbox/teams/{world.teams['care']}")
        assert page.locator(f"#row-{private}").count() == 0


def test_keyboard_shortcuts(sqlite_world: World) -> None:
    world = sqlite_world
    with served(world.app) as base, chromium() as browser:
        page = _sign_in(browser.new_context(), base, "care_responder")
        page.goto(f"{base}/inbox/teams/{world.teams['care']}")
        rows = page.locator("tr.inbox-row")
        first, second = rows.nth(0).get_attribute("data-id"), rows.nth(1).get_attribute("data-id")
        page.keyboard.press("?")
        assert page.locator("#shortcuts-help").is_visible()
        screenshot(page, "inbox-shortcuts")
        page.keyboard.press("Escape")
        assert page.locator("#shortcuts-help").is_hidden()
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert page.get_attribute("tr.inbox-row.current", "data-id") == second
        page.keyboard.press("k")
        assert page.get_attribute("tr.inbox-row.current", "data-id") == first
        with page.expect_navigation():
            page.keyboard.press("a")  # assign to me
        assert "done=1" in page.url
        assert page.locator(f"#row-{first} .assignee").inner_text() == "care_responder"
        page.keyboard.press("j")
        with page.expect_navigation():
            page.keyboard.press("e")  # resolve: it leaves the open list
        assert "done=1" in page.url
        page.wait_for_selector(f"#row-{first}", state="detached")
        page.keyboard.press("j")
        with page.expect_navigation():
            page.keyboard.press("o")  # open
        assert page.url == f"{base}/mentions/{second}"
        page.keyboard.press("r")  # reply: the composer gets the focus
        assert page.evaluate("document.activeElement.id") == "reply-text"
        page.keyboard.type("a")  # typing is not a shortcut
        assert page.input_value("#reply-text") == "a"
        page.locator("#reply-text").blur()
        with page.expect_navigation():
            page.keyboard.press("a")  # assign to me, on the mention page
        assert page.locator("#work-assignee").inner_text() == "care_responder"
        with page.expect_navigation():
            page.keyboard.press("e")
        assert page.locator("#work-status").inner_text() == "Resolved"
        with world.db.transaction() as tx:
            statuses = {m.status for m in tx.session.query(Mention).filter(
                Mention.id.in_([int(first or 0), int(second or 0)]))}  # fmt: skip
        assert statuses == {"resolved"}
