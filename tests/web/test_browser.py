"""In headless Chromium: hostile content stays inert, and the main flows work end to end."""

from __future__ import annotations

from typing import Any

from slusha.services.teams import create_team
from slusha.services.topics import create_topic
from tests.support.builders import post
from tests.web.browser import WATCH, chromium, screenshot, served
from tests.web.support import PASSWORD, World

HOSTILE_TEXTS = [
    "acme <script>pwned='text'</script>",
    "acme <img src=x onerror=\"pwned='img'\">",
    "acme <svg/onload=pwned='svg'>",
    'acme "><script>pwned="quote"</script>',
    "acme <scr<script>ipt>pwned='split'</scr</script>ipt>",
    "acme javascript:pwned='js' </textarea><script>pwned='ta'</script>",
    "acme {{7*7}} ${pwned='tpl'} <!-- --><script>pwned='comment'</script>",
]
HOSTILE_HTML = [
    "<p>acme <a href=\"javascript:pwned='href'\">click</a></p>",
    "<p>acme</p><img src=x onerror=\"pwned='html-img'\">",
    "<svg><script>pwned='svg-script'</script></svg><p>acme</p>",
    '<p>acme <a href="data:text/html,<script>pwned=1</script>">data</a></p>',
    "<p onmouseover=\"pwned='hover'\">acme</p><style>body{display:none}</style>",
    "<iframe src=\"javascript:pwned='iframe'\"></iframe><p>acme</p><math><mi>x</mi></math>",
    "<div><p>acme <b>broken <i>markup</p></div></b><form action=javascript:pwned=1>",
]
HOSTILE_AUTHORS = [
    {"handle": "<script>pwned='handle'</script>", "name": "<img src=x onerror=pwned='name'>",
     "url": "javascript:pwned='author-url'"},
    {"handle": "eve\"onmouseover=\"pwned='attr'", "name": "Eve", "url": "data:text/html,x"},
]  # fmt: skip


def _hostile_world(world: World) -> None:
    create_team(world.db, name="<img src=x onerror=pwned='team'>", clock=world.clock)
    create_topic(
        world.db,
        name="<script>pwned='topic'</script>",
        team="<img src=x onerror=pwned='team'>",
        query="acme",
        clock=world.clock,
    )
    posts = []
    for i, text in enumerate(HOSTILE_TEXTS):
        author = HOSTILE_AUTHORS[i % len(HOSTILE_AUTHORS)]
        posts.append(post(f"t{i}", text, url="javascript:pwned='url'", author=author,
                          title="</title><script>pwned='title'</script>"))  # fmt: skip
    for i, html in enumerate(HOSTILE_HTML):
        posts.append(post(f"h{i}", "acme html post", html=html, url="data:text/html,x",
                          author=HOSTILE_AUTHORS[0]))  # fmt: skip
    world.ingest(*posts)


def _sign_in(page: Any, base: str, username: str = "admin") -> None:
    page.goto(f"{base}/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/mentions")


def test_hostile_content_never_runs_a_script(sqlite_world: World) -> None:
    world = sqlite_world
    _hostile_world(world)
    with world.db.transaction() as tx:
        from slusha.store.schema import Mention, Team, Topic

        mention_ids = [m.id for m in tx.session.query(Mention)]
        topic_ids = [t.id for t in tx.session.query(Topic)]
        team_ids = [t.id for t in tx.session.query(Team)]
    paths = ["/mentions", "/mentions?q=acme", "/topics", "/teams", "/dashboard", "/profile",
             "/sources", "/api/docs"]  # fmt: skip
    paths += [f"/mentions/{i}" for i in mention_ids]
    paths += [f"/topics/{i}" for i in topic_ids]
    paths += [f"/teams/{i}" for i in team_ids] + [f"/dashboard/teams/{i}" for i in team_ids]
    with served(world.app) as base, chromium() as browser:
        context = browser.new_context()
        context.add_init_script(WATCH)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _sign_in(page, base)
        hits: dict[str, Any] = {}
        for path in paths:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            if path.startswith("/dashboard"):
                page.wait_for_selector(".chart[data-rendered]", timeout=60_000)
            found = page.evaluate("window.__xss")
            if found:
                hits[path] = found
        # The topic tester renders highlighted hostile text.
        page.goto(f"{base}/topics/{topic_ids[0]}")
        page.fill("#query", "acme")
        page.click("#test-query")
        page.wait_for_selector("[data-test-results]")
        if page.evaluate("window.__xss"):
            hits["topic test"] = page.evaluate("window.__xss")
        screenshot(page, "xss-topic-test")
        page.goto(f"{base}/mentions?q=acme")
        screenshot(page, "xss-mentions")
        context.close()
    assert dialogs == []
    assert hits == {}


def test_end_to_end_in_chromium(sqlite_world: World) -> None:
    world = sqlite_world
    with served(world.app) as base, chromium() as browser:
        page = browser.new_page()
        page.add_init_script(WATCH)
        _sign_in(page, base, "care_manager")
        screenshot(page, "mentions")
        assert page.locator("#stream li.mention").count() == 4

        # A new mention arrives live (SSE; this app has no bus, so the stream polls).
        page.wait_for_selector("#live-status:not([hidden])")
        world.ingest(post("live1", "acme is down again, terrible", minutes_ago=1))
        page.wait_for_selector("#stream li.mention.new", timeout=20_000)
        assert "acme is down again" in page.locator("#stream li.mention.new").first.inner_text()

        # Search, then filter.
        page.fill("input[name=q]", "refund")
        page.click(".filters button[type=submit]")
        page.wait_for_url("**q=refund**")
        texts = page.locator("#stream li.mention").all_inner_texts()
        assert texts and all("refund" in t for t in texts)
        page.goto(f"{base}/mentions")
        page.select_option("select[name=sentiment]", "positive")
        page.click(".filters button[type=submit]")
        page.wait_for_url("**sentiment=positive**")
        assert page.locator("#stream li.mention").count() == 1
        assert "love" in page.locator("#stream li.mention").first.inner_text()

        # A topic with a wrong query shows the error under its position; fixed, it tests.
        page.goto(f"{base}/topics/new")
        page.fill("input[name=name]", "Outage")
        page.fill("#query", "acme AND (down")
        page.wait_for_selector(".query-error")
        position = int(page.get_attribute(".query-error", "data-position") or "-1")
        pointer = page.inner_text(".query-error .pointer")
        assert pointer == " " * position + "^" and 0 < position <= len("acme AND (down")
        screenshot(page, "topic-editor-error")
        page.fill("#query", "acme NEAR/3 down")
        page.wait_for_selector("[data-query-valid]")
        page.click("#test-query")
        page.wait_for_selector("[data-test-results]")
        assert page.locator("#query-test mark").first.inner_text().lower() in ("acme", "down")
        screenshot(page, "topic-editor-test")
        page.click("form.editor button[type=submit]")
        page.wait_for_url("**/topics/*")
        assert page.input_value("input[name=name]") == "Outage"

        first = next(iter(world.mentions.values()))
        pages = (("topics", "/topics"), ("dashboard", "/dashboard"), ("sources", "/sources"),
                 ("teams", "/teams"), ("team", f"/teams/{world.teams['care']}"),
                 ("profile", "/profile"), ("api-docs", "/api/docs"),
                 ("mention", f"/mentions/{first}"), ("inbox-mine", "/inbox/mine"),
                 ("inbox-report", "/inbox/report"), ("alerts", "/alerts"))  # fmt: skip
        for name, path in pages:
            page.goto(base + path)
            if name == "dashboard":
                # Each chart fetches its spec on its own: wait until none is still drawing
                # (expect polls without eval, which the pages' CSP forbids).
                from playwright.sync_api import expect

                drawing = page.locator(".chart[data-chart-src]:not([data-rendered])")
                expect(drawing).to_have_count(0, timeout=60_000)
                assert page.locator(".chart[data-rendered='1']").count() == 5
            screenshot(page, name)

        # Switch the interface to Macedonian.
        page.goto(f"{base}/mentions")
        page.select_option("#locale-select", "mk")
        page.wait_for_load_state("load")
        page.wait_for_selector("nav.nav >> text=Спомнувања")
        assert page.get_attribute("html", "lang") == "mk"
        screenshot(page, "mentions-mk")
        assert page.evaluate("window.__xss") == []


def test_the_watch_sees_a_script_that_runs(sqlite_world: World) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.add_init_script(WATCH)
        page.goto("about:blank")
        page.set_content("<p>x</p><img src=x onerror=\"pwned='seen'\">")
        page.wait_for_function("window.__xss.length > 0")
        assert page.evaluate("window.__xss") == ["set seen"]
