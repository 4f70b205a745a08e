"""The sources page and /api/v1/sources: add, test against a real loopback feed, enable, roles."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from slusha.clock import FrozenClock
from slusha.pipeline.scheduler import Scheduler
from slusha.plugins.codes import HEALTH_MESSAGES, describe_code, error_kind
from slusha.plugins.registry import build_registry
from slusha.services.source_forms import connector_form
from slusha.services.sources import REASON_TEXTS
from slusha.store.db import Database
from slusha.store.schema import AuditEntry, Source
from slusha.web.i18n import load_catalogue
from tests.support.origin import Origin, Reply, serve_origin
from tests.web.browser import chromium, served
from tests.web.support import PASSWORD, World, build_world, csrf_of

FEED = (Path(__file__).resolve().parents[1] / "fixtures" / "rss" / "rss2.xml").read_bytes()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serve_origin() as server:
        server.route("/feed", Reply(body=FEED))
        server.route("/missing", Reply(status=404, body=b"not here"))
        yield server


@pytest.fixture
def open_world(db: Database, clock: FrozenClock, make_settings: Any) -> World:
    """The web world, allowed to reach loopback addresses (where the test feeds are)."""
    settings = make_settings(secret_key="test-secret-key", allow_private_networks=True)
    return build_world(db, clock, settings)


def _add(client: Any, page: str, **fields: str) -> Any:
    data = {"csrf_token": csrf_of(page), **fields}
    return client.post("/sources/new", data=data)


def _source_id(world: World, name: str) -> int:
    with world.db.read() as tx:
        return int(tx.session.scalars(select(Source.id).where(Source.name == name)).one())


def test_the_page_offers_adding_and_testing_to_managers_and_admins_only(world: World) -> None:
    for who in ("admin", "care_admin", "care_manager"):
        page = world.client(who).get("/sources?kind=rss")
        assert page.status_code == 200 and 'action="/sources/new"' in page.text, who
        assert 'name="url"' in page.text
    for who in ("care_responder", "care_viewer", "care_reviewer", "hr_viewer"):
        client = world.client(who)
        page = client.get("/sources?kind=rss")
        assert page.status_code == 200 and "/sources/new" not in page.text, who
        refused = _add(client, page.text, kind="rss", name="x", url="https://example.org/f")
        assert refused.status_code == 403, who


def test_secret_settings_are_password_fields(world: World) -> None:
    page = world.client("admin").get("/sources?kind=reddit").text
    assert '<input type="password" name="client_secret"' in page
    assert '<input type="password" name="password"' in page
    assert 'name="client_id" value=""' in page


# Proper names stay as they are in Macedonian too.
SAME_IN_MACEDONIAN = {"Bluesky", "Hacker News", "Mastodon", "Reddit", "RSS / Atom / JSON Feed"}


def test_every_built_in_connector_text_has_a_macedonian_translation() -> None:
    gettext = load_catalogue("mk").gettext
    registry = build_registry()
    texts = set()
    for kind in registry.connectors:
        form = connector_form(registry.connector(kind))
        texts |= {form.title, form.summary}
        texts |= {text for f in form.fields for text in (f.label, f.description) if text}
    assert len(texts) > 60
    untranslated = sorted(t for t in texts - SAME_IN_MACEDONIAN if gettext(t) == t)
    assert untranslated == []
    assert all(gettext(name) == name for name in SAME_IN_MACEDONIAN)


def test_the_sources_page_shows_connector_settings_in_macedonian(world: World) -> None:
    client = world.client("admin")
    page = client.get("/sources?kind=reddit", headers={"Accept-Language": "mk"}).text
    assert "Тајна на клиентот" in page and ">Client Secret<" not in page
    assert "OAuth тајна на клиентот на апликацијата на Reddit." in page
    assert "Нови објави, коментари или резултати од пребарување во субредити" in page
    assert ">Webhook (дојдовен)</option>" in page
    english = client.get("/sources?kind=reddit", headers={"Accept-Language": "en"}).text
    assert "Client Secret" in english and "Тајна на клиентот" not in english


def test_add_test_and_disable_a_feed_through_the_page(open_world: World, origin: Origin) -> None:
    world = open_world
    client = world.client("care_manager")
    page = client.get("/sources?kind=rss").text
    added = _add(client, page, kind="rss", name="Blog", url=origin.url("/feed"))
    assert added.status_code == 303, added.text
    listed = client.get("/sources").text
    assert "Blog" in listed and "Disable" in listed
    source_id = _source_id(world, "Blog")

    tested = client.post(f"/sources/{source_id}/test", data={"csrf_token": csrf_of(listed)})
    assert tested.status_code == 200
    assert "the test worked" in tested.text and "3 entries" in tested.text

    assert client.post(f"/sources/{source_id}/disable",
                       data={"csrf_token": csrf_of(listed)}).status_code == 303  # fmt: skip
    assert 'class="h-disabled"' in client.get("/sources").text
    with world.db.read() as tx:
        actions = list(tx.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        actors = set(tx.session.scalars(select(AuditEntry.actor)
                                        .where(AuditEntry.target_type == "source")))  # fmt: skip
    assert actions[-2:] == ["source.add", "source.disable"] and actors == {"care_manager"}


def test_a_failing_feed_is_explained_in_plain_words(open_world: World, origin: Origin) -> None:
    client = open_world.client("admin")
    page = client.get("/sources?kind=rss").text
    assert (
        _add(client, page, kind="rss", name="Gone", url=origin.url("/missing")).status_code == 303
    )
    source_id = _source_id(open_world, "Gone")
    tested = client.post(f"/sources/{source_id}/test", data={"csrf_token": csrf_of(page)})
    assert tested.status_code == 200
    assert "the test failed" in tested.text and "404" in tested.text


def test_loopback_feeds_are_refused_unless_the_operator_allows_them(
    world: World, origin: Origin
) -> None:
    client = world.client("admin")
    page = client.get("/sources?kind=rss").text
    refused = _add(client, page, kind="rss", name="Local", url=origin.url("/feed"))
    assert refused.status_code == 422
    assert "SLUSHA_ALLOW_PRIVATE_NETWORKS" in refused.text and 'name="url"' in refused.text
    bad = _add(client, page, kind="rss", name="Bad", url="ftp://example.org/feed")
    assert bad.status_code == 422 and "must start with http" in bad.text
    assert "Local" not in client.get("/sources").text.split("<table", 1)[1].split("</table>")[0]


def test_the_api_adds_tests_and_switches_sources(open_world: World, origin: Origin) -> None:
    world = open_world
    api = world.client()
    api.headers["Authorization"] = f"Bearer {world.token('care_manager')}"
    kinds = {k["kind"]: k for k in api.get("/api/v1/sources/kinds").json()}
    assert {"rss", "mastodon", "reddit"} <= set(kinds)
    assert any(f["secret"] for f in kinds["reddit"]["fields"])
    feed = {"kind": "rss", "name": "Feed", "config": {"url": origin.url("/feed")}}
    created = api.post("/api/v1/sources", json=feed)
    assert created.status_code == 201 and created.json()["health"] == "ok"
    source_id = created.json()["id"]
    tested = api.post(f"/api/v1/sources/{source_id}/test").json()
    assert tested["ok"] is True and "3 entries" in tested["message"] and tested["words"] == ""
    off = api.patch(f"/api/v1/sources/{source_id}", json={"enabled": False})
    assert off.status_code == 200 and off.json()["health"] == "disabled"
    twice = api.post("/api/v1/sources", json=feed)
    assert twice.status_code == 409
    viewer = world.client()
    viewer.headers["Authorization"] = f"Bearer {world.token('care_viewer')}"
    assert viewer.post(f"/api/v1/sources/{source_id}/test").status_code == 403
    assert api.post("/api/v1/sources/999999/test").status_code == 404


def test_every_health_text_has_a_macedonian_translation_with_its_placeholders() -> None:
    gettext = load_catalogue("mk").gettext
    texts = [*HEALTH_MESSAGES.values(), *REASON_TEXTS]
    untranslated = [t for t in texts if gettext(t) == t]
    assert untranslated == []
    for text in REASON_TEXTS:
        assert sorted(re.findall(r"%\(\w+\)s", gettext(text))) == sorted(
            re.findall(r"%\(\w+\)s", text)
        ), text


def test_error_kinds_come_from_the_stored_code() -> None:
    assert error_kind("http_404") == "http_404" and error_kind("parse") == "parse"
    assert error_kind("http_418") == "http_4xx" and error_kind("http_503") == "http_5xx"
    assert error_kind("http_302") is None and error_kind("transient") is None
    assert error_kind(None) is None
    mk = load_catalogue("mk").gettext
    assert describe_code("http_418", mk) == "мрежата го одби барањето (HTTP 4xx)"
    assert describe_code("odd_thing", mk) == "odd thing"  # unknown codes as they are


async def _check_every_source(world: World) -> None:
    """One real scheduler cycle over every source, through the SSRF-guarded client."""
    state = world.app.state.slusha

    async def sink(source_id: int, posts: list[Any], *, source_language: str | None = None) -> None:
        return None

    scheduler = Scheduler(db=world.db, host=state.host, sink=sink)
    report = await scheduler.run_once()
    assert report.failed == 3 and report.ok == 0


def _reason_cell(page: str, name: str) -> str:
    row = page.split(f'data-source="{name}"', 1)[1].split("</tr>", 1)[0]
    return html.unescape(row.split('class="reason"', 1)[1].split("</td>", 1)[0])


def test_a_failing_source_is_explained_in_the_page_language_with_its_detail(
    open_world: World, origin: Origin
) -> None:
    origin.route("/locked", Reply(status=401, body=b"who are you"))
    origin.route("/garbage", Reply(body=b"\x00\x01 this is not a feed {", headers={
        "content-type": "application/octet-stream"}))  # fmt: skip
    api = open_world.client()
    api.headers["Authorization"] = f"Bearer {open_world.token('care_manager')}"
    for name, path in (("Gone", "/missing"), ("Locked", "/locked"), ("Garbage", "/garbage")):
        feed = {"kind": "rss", "name": name, "config": {"url": origin.url(path)}}
        assert api.post("/api/v1/sources", json=feed).status_code == 201
    asyncio.run(_check_every_source(open_world))

    client = open_world.client("care_viewer")
    mk = client.get("/sources", headers={"Accept-Language": "mk"}).text
    gone = _reason_cell(mk, "Gone")
    assert 'data-code="http_404"' in gone
    assert "неуспешни проверки по ред: 1; адресата не постои (HTTP 404)" in gone
    assert f"({origin.url('/missing')} answered 404)" in gone  # the detail, as it is
    locked = _reason_cell(mk, "Locked")
    assert "акредитивите се одбиени (HTTP 401)" in locked and origin.url("/locked") in locked
    garbage = _reason_cell(mk, "Garbage")
    assert 'data-code="parse"' in garbage
    assert "одговорот не може да се прочита (неисправен фид или JSON)" in garbage
    assert "does not exist" not in mk and "failed checks in a row" not in mk

    en = client.get("/sources", headers={"Accept-Language": "en"}).text
    english = _reason_cell(en, "Gone")
    assert "1 failed checks in a row: the address does not exist (HTTP 404)" in english
    assert origin.url("/missing") in english and "адресата" not in en
    assert "the credentials were refused (HTTP 401)" in _reason_cell(en, "Locked")

    listed = {s["name"]: s for s in api.get("/api/v1/sources").json()}
    gone_api = listed["Gone"]
    assert {"id", "name", "kind", "enabled", "health", "reason", "error_code", "error_streak",
            "next_check_at", "last_ok_at", "last_item_at", "items_total", "interval_seconds",
            "language", "error_message"} == set(gone_api)  # fmt: skip
    assert (gone_api["health"], gone_api["error_code"], gone_api["error_streak"]) == (
        "failing", "http_404", 1)  # fmt: skip
    assert gone_api["reason"] == english.split(">", 1)[1].strip()  # the English page's sentence
    assert gone_api["error_message"] == f"{origin.url('/missing')} answered 404"
    assert (listed["Locked"]["error_code"], listed["Garbage"]["error_code"]) == (
        "http_401", "parse")  # fmt: skip


def test_testing_a_source_answers_in_the_page_language(open_world: World, origin: Origin) -> None:
    origin.route("/locked", Reply(status=401, body=b"who are you"))
    client = open_world.client("admin")
    page = client.get("/sources?kind=rss").text
    for name, path in (("Gone", "/missing"), ("Locked", "/locked")):
        assert _add(client, page, kind="rss", name=name, url=origin.url(path)).status_code == 303
    mk = {"Accept-Language": "mk"}
    gone = client.post(f"/sources/{_source_id(open_world, 'Gone')}/test",
                       data={"csrf_token": csrf_of(page)}, headers=mk)  # fmt: skip
    result = html.unescape(gone.text.split('id="test-result"', 1)[1].split("</div>", 1)[0])
    assert 'data-code="http_404"' in result
    assert f"проверката не успеа. адресата не постои (HTTP 404): {origin.url('/missing')}" in result
    assert "does not exist" not in result
    locked = client.post(f"/sources/{_source_id(open_world, 'Locked')}/test",
                         data={"csrf_token": csrf_of(page)}, headers=mk).text  # fmt: skip
    assert "акредитивите се одбиени (HTTP 401)" in locked and "answered 401" in locked
    english = client.post(f"/sources/{_source_id(open_world, 'Gone')}/test",
                          data={"csrf_token": csrf_of(page)},
                          headers={"Accept-Language": "en"}).text  # fmt: skip
    assert "the test failed. the address does not exist (HTTP 404)" in english
    api = open_world.client()
    api.headers["Authorization"] = f"Bearer {open_world.token('admin')}"
    tested = api.post(f"/api/v1/sources/{_source_id(open_world, 'Gone')}/test",
                      headers=mk).json()  # fmt: skip
    assert tested == {"ok": False, "code": "http_404",
                      "message": f"{origin.url('/missing')} answered 404",
                      "words": "the address does not exist (HTTP 404)"}  # fmt: skip


def test_a_refused_private_address_is_explained_in_the_page_language(
    world: World, origin: Origin
) -> None:
    client = world.client("admin")
    page = client.get("/sources?kind=rss").text
    refused = client.post("/sources/new", headers={"Accept-Language": "mk"}, data={
        "csrf_token": csrf_of(page), "kind": "rss", "name": "Local",
        "url": origin.url("/feed")})  # fmt: skip
    assert refused.status_code == 422
    error = html.unescape(refused.text.split('id="source-error">', 1)[1].split("</p>", 1)[0])
    assert error.startswith("адресата е на loopback или приватна мрежа (одбиено): refused to fetch")
    assert "SLUSHA_ALLOW_PRIVATE_NETWORKS=1" in error


def _language(world: World, name: str) -> str | None:
    with world.db.read() as tx:
        return tx.session.scalars(select(Source.language).where(Source.name == name)).one()


def test_the_page_sets_a_source_language_and_refuses_a_bad_one(
    open_world: World, origin: Origin
) -> None:
    client = open_world.client("care_manager")
    page = client.get("/sources?kind=rss").text
    assert 'name="source_language"' in page
    bad = _add(client, page, kind="rss", name="Вести", url=origin.url("/feed"),
               source_language="mkd")  # fmt: skip
    assert bad.status_code == 422
    assert "language: &#39;mkd&#39; is not an ISO 639-1 code" in bad.text
    assert 'value="mkd"' in bad.text  # kept for correcting
    added = _add(client, page, kind="rss", name="Вести", url=origin.url("/feed"),
                 source_language="mk")  # fmt: skip
    assert added.status_code == 303, added.text
    assert _language(open_world, "Вести") == "mk"
    macedonian = client.get("/sources?kind=rss", headers={"Accept-Language": "mk"}).text
    assert "Јазик на објавите" in macedonian and "Language of the posts" not in macedonian


def test_the_api_sets_changes_and_clears_a_source_language(
    open_world: World, origin: Origin
) -> None:
    api = open_world.client()
    api.headers["Authorization"] = f"Bearer {open_world.token('care_manager')}"
    feed = {"kind": "rss", "name": "Вести", "config": {"url": origin.url("/feed")}}
    refused = api.post("/api/v1/sources", json={**feed, "language": "xx"})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("language: 'xx' is not an ISO 639-1 code")
    created = api.post("/api/v1/sources", json={**feed, "language": "mk"})
    assert created.status_code == 201 and created.json()["language"] == "mk"
    source_id = created.json()["id"]
    assert [s["language"] for s in api.get("/api/v1/sources").json()] == ["mk"]
    wrong = api.patch(f"/api/v1/sources/{source_id}", json={"language": "Macedonian"})
    assert wrong.status_code == 422 and "'Macedonian'" in wrong.json()["detail"]
    changed = api.patch(f"/api/v1/sources/{source_id}", json={"language": "SR"})
    assert changed.status_code == 200 and changed.json()["language"] == "sr"
    kept = api.patch(f"/api/v1/sources/{source_id}", json={"enabled": False})
    assert kept.json()["language"] == "sr" and kept.json()["health"] == "disabled"
    cleared = api.patch(f"/api/v1/sources/{source_id}", json={"language": None})
    assert cleared.status_code == 200 and cleared.json()["language"] is None
    assert api.patch("/api/v1/sources/999999", json={}).status_code == 404
    viewer = open_world.client()
    viewer.headers["Authorization"] = f"Bearer {open_world.token('care_viewer')}"
    assert viewer.patch(f"/api/v1/sources/{source_id}", json={"language": "mk"}).status_code == 403
    assert _language(open_world, "Вести") is None


def test_chromium_adds_an_rss_source_and_tests_it(
    open_world: World, origin: Origin, db: Database
) -> None:
    from tests.web.browser import require_chromium

    require_chromium()
    if db.dialect != "sqlite":
        pytest.skip("browser tests run on SQLite; the API and page tests cover PostgreSQL")
    with served(open_world.app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/signin")
        page.fill("input[name=username]", "care_manager")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/mentions")
        page.goto(f"{base}/sources")
        page.select_option("#source-kind", "rss")
        page.click("#add-source form[method=get] button")
        page.fill("#source-form input[name=name]", "Company blog")
        page.fill("#source-form input[name=url]", origin.url("/feed"))
        page.click("#source-form button[type=submit]")
        page.wait_for_url(f"{base}/sources")
        row = page.locator("tr[data-source='Company blog']")
        assert row.locator("td").nth(2).inner_text() == "ok"
        row.locator("button.test-source").click()
        page.wait_for_selector("#test-result")
        result = page.locator("#test-result").inner_text()
        assert "the test worked" in result and "3 entries" in result
