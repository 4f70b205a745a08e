"""The sources page and /api/v1/sources: add, test against a real loopback feed, enable, roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from slusha.clock import FrozenClock
from slusha.plugins.registry import build_registry
from slusha.services.source_forms import connector_form
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
