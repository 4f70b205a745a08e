"""In headless Chromium: an alert fires while a member has Slusha open; the page shows a toast
and a browser notification, and hostile alert text stays inert."""

from __future__ import annotations

from datetime import timedelta

from slusha.domain.alerts.explain import Explanation
from slusha.domain.alerts.messages import Alert
from slusha.services import alert_runs
from slusha.services.alert_specs import RuleSpec
from slusha.services.alerts import create_rule
from slusha.store.alerts import NewAlert
from tests.support.alerting import plugin_registry
from tests.web.browser import WATCH, chromium, screenshot, served
from tests.web.support import PASSWORD, World

# Records the notifications the page shows (and still shows them through the real API).
NOTES = """
window.__notes = [];
(function () {
  var Real = window.Notification;
  if (!Real) { return; }
  function Recording(title, options) {
    window.__notes.push({title: title, body: (options || {}).body || ""});
    return new Real(title, options);
  }
  Object.defineProperty(Recording, 'permission', {get: function () { return Real.permission; }});
  Recording.requestPermission = function (cb) { return Real.requestPermission(cb); };
  window.Notification = Recording;
})();
"""
TITLE = "Acme spike <img src=x onerror=\"pwned='toast'\">"


def _fire(world: World, rule_id: int) -> None:
    now = world.clock.now()
    alert = Alert(
        id=f"{rule_id}:browser:{now.isoformat()}", rule_id=str(rule_id), rule_name="Spikes",
        team="Customer care", kind="spike", state="firing", title=TITLE,
        summary="42 mentions in the last hour, 6 expected", created_at=now,
        explanation=Explanation(reason="volume far above the usual", observed=42, expected=6,
                                window_start=now - timedelta(hours=1), window_end=now),
    )  # fmt: skip
    new = NewAlert(rule_id, world.teams["care"], alert.to_dict(), "send")
    alert_runs.record_decisions(world.db, states={}, alerts=[new], clock=world.clock)


def test_an_alert_shows_as_a_toast_and_a_browser_notification(sqlite_world: World) -> None:
    world = sqlite_world
    settings = world.app.state.slusha.settings
    spec = RuleSpec(team="Customer care", kind="spike", name="Spikes",
                    channels=["email:care@example.org"])  # fmt: skip
    rule = create_rule(
        world.db, spec=spec, settings=settings, clock=world.clock, registry=plugin_registry()
    ).rule
    with served(world.app) as base, chromium() as browser:
        context = browser.new_context()
        context.grant_permissions(["notifications"], origin=base)
        page = context.new_page()
        page.add_init_script(WATCH)
        page.add_init_script(NOTES)
        page.goto(f"{base}/signin")
        page.fill("input[name=username]", "care_viewer")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/mentions")

        # The setting on the alerts page: notifications are on (permission granted), sound too.
        page.goto(f"{base}/alerts/teams/{world.teams['care']}")
        page.wait_for_selector("#alert-notify-state[data-state='on']")
        page.check("#alert-sound")
        assert page.evaluate("localStorage.getItem('slusha.alerts.sound')") == "1"
        screenshot(page, "alerts-page")

        # On any page, a new alert of the member's team arrives as a toast and a notification.
        page.goto(f"{base}/mentions")
        page.wait_for_selector("body[data-alert-live='open']")
        _fire(world, rule.id)
        toast = page.wait_for_selector(".toast", timeout=20_000)
        assert toast is not None
        assert TITLE in toast.inner_text()
        assert "42 mentions" in toast.inner_text()
        page.wait_for_function("window.__notes.length > 0")
        notes = page.evaluate("window.__notes")
        assert notes[0]["title"] == TITLE and "42 mentions" in notes[0]["body"]
        screenshot(page, "alert-toast")
        page.click(".toast .toast-close")
        page.wait_for_selector(".toast", state="detached")
        assert page.evaluate("window.__xss") == []
        context.close()
