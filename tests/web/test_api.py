"""The JSON API: paging, filters, search, detail, corrections, topics, tokens, problems."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from slusha.store.schema import AuditEntry, Mention, MentionRollup, SentimentCorrection
from tests.support.builders import post
from tests.web.support import World


def _api(world: World, who: str = "admin", scope: str = "write") -> Any:
    client = world.client()
    client.headers["Authorization"] = f"Bearer {world.token(who, scope)}"
    return client


def test_cursor_paging_walks_every_visible_mention_once(world: World) -> None:
    api = _api(world, "care_viewer")
    seen: list[int] = []
    url = "/api/v1/mentions?limit=1"
    while url:
        page = api.get(url).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        url = f"/api/v1/mentions?limit=1&cursor={cursor}" if cursor else ""
    m, t = world.mentions, world.topics
    # Care sees its own (shared and private) and HR's shared topic, never HR's private one.
    expected = {m[f"p1:{t['acme']}"], m[f"p2:{t['acme']}"], m[f"p2:{t['refunds']}"],
                m[f"p4:{t['hrpub']}"]}  # fmt: skip
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


def test_filters_and_full_text_search(world: World) -> None:
    api = _api(world)
    by_topic = api.get(f"/api/v1/mentions?topic_id={world.topics['refunds']}").json()["items"]
    assert [i["topic"]["name"] for i in by_topic] == ["Refunds"]
    negative = api.get("/api/v1/mentions?sentiment=negative").json()["items"]
    assert {i["external_id"] for i in negative} == {"p2"}
    assert api.get("/api/v1/mentions?network=bluesky").json()["items"] == []
    found = api.get("/api/v1/mentions?q=hiring engineers").json()["items"]
    assert [i["external_id"] for i in found] == ["p3"]
    assert api.get("/api/v1/mentions?q=zebra").json()["items"] == []
    bad = api.get("/api/v1/mentions?cursor=nonsense")
    assert bad.status_code == 422 and bad.json()["code"] == "bad_cursor"
    assert bad.headers["content-type"] == "application/problem+json"


def test_search_answers_the_same_when_its_words_are_common(world: World, monkeypatch) -> None:
    from slusha.store import stream

    api = _api(world)
    queries = ("acme", "hiring engineers", "acme&sentiment=negative", "zebra")
    few = {q: api.get(f"/api/v1/mentions?q={q}&limit=100").json()["items"] for q in queries}
    # Above FTS_PROBE matches SQLite walks the stream and checks each post by rowid instead.
    monkeypatch.setattr(stream, "FTS_PROBE", 1)
    for q in queries:
        many = api.get(f"/api/v1/mentions?q={q}&limit=100").json()["items"]
        assert [i["id"] for i in many] == [i["id"] for i in few[q]], q
    assert len(few["acme"]) >= 3 and few["zebra"] == []


def test_detail_sanitises_html_and_drops_unsafe_links(world: World) -> None:
    world.ingest(post(
        "x1", "acme <script>", html='<p>acme <a href="javascript:alert(1)">x</a>'
        '<img src=x onerror=alert(1)><a href="https://ok.example/">ok</a></p>',
        url="javascript:alert(2)", author={"handle": "eve", "url": "data:text/html,hi"},
    ))  # fmt: skip
    api = _api(world)
    item = api.get("/api/v1/mentions?q=acme&limit=100").json()["items"]
    mention_id = next(i["id"] for i in item if i["external_id"] == "x1")
    detail = api.get(f"/api/v1/mentions/{mention_id}").json()
    assert detail["url"] is None and detail["author"]["url"] is None
    assert "javascript:" not in detail["html"] and "onerror" not in detail["html"]
    assert 'href="https://ok.example/"' in detail["html"]
    assert 'rel="noopener nofollow ugc"' in detail["html"]
    page = world.client("admin").get(f"/mentions/{mention_id}").text
    assert "javascript:" not in page and "onerror" not in page
    assert page.count("<script") == page.count('<script src="/static/')


def test_detail_lists_every_visible_topic_the_post_matched(world: World) -> None:
    m, t = world.mentions, world.topics
    mention_id = m["p2:" + str(t["acme"])]
    detail = _api(world).get(f"/api/v1/mentions/{mention_id}").json()
    assert sorted(x["topic"]["name"] for x in detail["matched"]) == ["Acme", "Refunds"]
    hr = _api(world, "hr_viewer").get(f"/api/v1/mentions/{mention_id}").json()
    assert [x["topic"]["name"] for x in hr["matched"]] == ["Acme"]  # Refunds is private


def test_correction_updates_mentions_rollups_and_the_audit_log(world: World) -> None:
    m, t = world.mentions, world.topics
    mention_id = m[f"p2:{t['acme']}"]
    api = _api(world, "care_responder")
    response = api.post(f"/api/v1/mentions/{mention_id}/corrections",
                        json={"field": "sentiment", "value": "positive"})  # fmt: skip
    assert response.status_code == 200 and response.json()["sentiment"] == "positive"
    assert response.json()["corrections"][0]["old_value"] == "negative"
    with world.db.transaction() as tx:
        s = tx.session
        assert s.scalar(select(func.count()).select_from(SentimentCorrection)) == 1
        sentiments = set(s.scalars(select(Mention.sentiment).where(Mention.post_id ==
                                   response.json()["post_id"])))  # fmt: skip
        assert sentiments == {"positive"}
        rollup = dict(s.execute(select(MentionRollup.sentiment, func.sum(MentionRollup.count))
                                .group_by(MentionRollup.sentiment)).all())  # fmt: skip
        assert rollup.get("negative", 0) == 0 and rollup["positive"] == 3
        assert "mention.correct_sentiment" in set(s.scalars(select(AuditEntry.action)))
    bad = api.post(f"/api/v1/mentions/{mention_id}/corrections",
                   json={"field": "lang", "value": "klingon"})  # fmt: skip
    assert bad.status_code == 422


def test_query_check_gives_the_error_position(world: World) -> None:
    api = _api(world, "care_viewer")
    bad = api.post("/api/v1/topics/check", json={"query": "acme AND (refund"}).json()
    assert bad["valid"] is False and isinstance(bad["position"], int) and bad["error"]
    assert api.post("/api/v1/topics/check", json={"query": "acme AND refund"}).json() == {
        "valid": True, "error": None, "position": None,
    }  # fmt: skip


def test_query_test_highlights_matching_recent_posts(world: World) -> None:
    found = _api(world).post("/api/v1/topics/test", json={"query": "refund"}).json()
    assert [r["text"][slice(*r["highlights"][0])] for r in found] == ["refund"]
    assert _api(world, "hr_viewer").post("/api/v1/topics/test",
                                         json={"query": "hiring"}).json()  # fmt: skip
    # Care cannot see HR's private posts through the test either.
    assert _api(world, "care_viewer").post("/api/v1/topics/test",
                                           json={"query": "hiring"}).json() == []  # fmt: skip


def test_topics_create_and_edit_with_validation(world: World) -> None:
    api = _api(world, "care_manager")
    created = api.post("/api/v1/topics", json={
        "name": "Outage", "team_id": world.teams["care"], "query": "acme NEAR/2 down",
    })  # fmt: skip
    assert created.status_code == 201
    topic_id = created.json()["id"]
    wrong = api.patch(f"/api/v1/topics/{topic_id}", json={"query": "acme AND ("})
    assert wrong.status_code == 422 and wrong.json()["code"] == "query_syntax"
    ok = api.patch(f"/api/v1/topics/{topic_id}", json={"query": "acme", "enabled": False})
    assert ok.json()["query"] == "acme" and ok.json()["enabled"] is False
    dup = api.post("/api/v1/topics", json={"name": "outage", "team_id": world.teams["care"],
                                           "query": "x"})  # fmt: skip
    assert dup.status_code == 409


def test_tokens_are_shown_once_stored_hashed_and_revocable(world: World) -> None:
    api = _api(world, "care_viewer")
    created = api.post("/api/v1/me/tokens", json={"label": "script", "scope": "read"}).json()
    secret = created["token"]
    listed = api.get("/api/v1/me/tokens").json()
    assert all("token" not in t for t in listed) and created["prefix"] == secret[:10]
    other = world.client()
    me = other.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["username"] == "care_viewer" and me["scope"] == "read"
    assert api.delete(f"/api/v1/me/tokens/{created['id']}").status_code == 204
    gone = other.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401 and gone.headers["www-authenticate"] == "Bearer"


def test_openapi_document_and_docs_page(world: World) -> None:
    client = world.client()
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/mentions" in schema["paths"] and "/api/v1/topics/check" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/v1/mentions" in docs.text and "cdn" not in docs.text


def test_dashboard_charts_read_the_rollups(world: World) -> None:
    api = _api(world, "care_viewer")
    for chart in ("volume", "sentiment", "networks", "languages", "topics"):
        body = api.get(f"/api/v1/dashboards/teams/{world.teams['care']}/{chart}").json()
        assert body["spec"]["data"]["values"] == body["values"]
    topics = api.get("/api/v1/dashboards/org/topics").json()["values"]
    assert {v["topic"] for v in topics} == {"Acme", "Refunds", "HR news"}  # not "Acme jobs"
    volume = api.get("/api/v1/dashboards/org/volume").json()["values"]
    assert sum(int(v["mentions"]) for v in volume) == 4
