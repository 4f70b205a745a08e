"""The inbox pages over HTTP: lists, filters, bulk actions, the mention's workflow, presence,
and who may see and do what (the same answers as the API)."""

from __future__ import annotations

import re

from sqlalchemy import select

from slusha.store.schema import AuditEntry, Mention
from tests.web.support import World


def _ids(world: World) -> dict[str, int]:
    m, t = world.mentions, world.topics
    return {
        "care_pub": m[f"p1:{t['acme']}"],
        "care_priv": m[f"p2:{t['refunds']}"],
        "hr_priv": m[f"p3:{t['jobs']}"],
    }


def _listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-id="(\d+)"', html)]


def test_team_inbox_lists_open_work_and_filters_it(world: World) -> None:
    ids = _ids(world)
    client = world.client("care_responder")
    home = client.get("/inbox")
    assert home.status_code == 303
    assert home.headers["location"] == f"/inbox/teams/{world.teams['care']}"
    page = client.get(home.headers["location"])
    assert page.status_code == 200
    assert {ids["care_pub"], ids["care_priv"]} <= set(_listed(page.text))
    assert ids["hr_priv"] not in _listed(page.text)
    assert 'id="shortcuts-help"' in page.text and "/static/inbox.js" in page.text
    care = f"/inbox/teams/{world.teams['care']}"
    assert _listed(client.get(care, params={"priority": "urgent"}).text) == []
    assert _listed(client.get(care, params={"status": "resolved"}).text) == []
    assert _listed(client.get(care, params={"assignee": "-"}).text) != []
    assert _listed(client.get(care, params={"tag": "nothing"}).text) == []
    assert "Сандаче" in client.get(care, headers={"Accept-Language": "mk"}).text


def test_bulk_actions_and_the_mine_view(world: World) -> None:
    ids = _ids(world)
    client = world.client("care_responder")
    care = f"/inbox/teams/{world.teams['care']}"
    picked = [ids["care_pub"], ids["care_priv"]]
    done = client.post(
        "/inbox/bulk",
        data={"mention_ids": picked, "assign_to": "me", "priority": "high", "back": care},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{care}?done=2&failed=0"
    mine = client.get("/inbox/mine")
    assert sorted(_listed(mine.text)) == sorted(picked)
    assert _listed(client.get(care, params={"assignee": "care_responder"}).text) != []
    assert sorted(_listed(client.get(care, params={"priority": "high"}).text)) == sorted(picked)
    client.post("/inbox/bulk", data={"mention_ids": picked, "status": "resolved", "back": care})
    assert _listed(client.get("/inbox/mine").text) == []
    assert sorted(_listed(client.get("/inbox/mine", params={"status": "all"}).text)) == sorted(
        picked
    )
    # An address outside the inbox is not followed back.
    away = client.post("/inbox/bulk", data={"mention_ids": picked, "back": "https://evil.example"})
    assert away.headers["location"].startswith("/inbox?")


def test_bulk_tags_and_hand_over_with_a_note(world: World) -> None:
    ids = _ids(world)
    picked = [ids["care_pub"], ids["care_priv"]]
    care = f"/inbox/teams/{world.teams['care']}"
    page = world.client("care_responder").get(care).text
    assert 'name="add_tags"' in page and 'name="remove_tags"' in page
    assert '<option value="HR">HR</option>' in page and 'name="note"' in page
    # Viewers and reviewers read only; HR does not even see Care's private mention.
    for who in ("care_viewer", "care_reviewer", "hr_manager"):
        refused = world.client(who).post(
            "/inbox/bulk", data={"mention_ids": picked, "add_tags": "vip", "team": "HR"}
        )
        assert refused.headers["location"].endswith("done=0&failed=2"), who
    responder = world.client("care_responder")
    done = responder.post(
        "/inbox/bulk", data={"mention_ids": picked, "add_tags": "vip, refund", "back": care}
    )
    assert done.headers["location"] == f"{care}?done=2&failed=0"
    assert sorted(_listed(responder.get(care, params={"tag": "vip"}).text)) == sorted(picked)
    responder.post("/inbox/bulk", data={"mention_ids": picked, "remove_tags": "vip"})
    assert _listed(responder.get(care, params={"tag": "vip"}).text) == []
    assert sorted(_listed(responder.get(care, params={"tag": "refund"}).text)) == sorted(picked)
    # A note alone is refused: it goes with a hand-over.
    alone = responder.post("/inbox/bulk", data={"mention_ids": picked, "note": "for you"})
    assert alone.status_code == 422 and "hand-over" in alone.text
    handed = responder.post(
        "/inbox/bulk",
        data={"mention_ids": picked, "team": "HR", "note": "payroll, not ours", "back": care},
    )
    assert handed.headers["location"] == f"{care}?done=2&failed=0"
    assert set(_listed(responder.get(care).text)).isdisjoint(picked)
    hr = world.client("hr_manager")
    hr_inbox = hr.get(f"/inbox/teams/{world.teams['hr']}").text
    assert set(picked) <= set(_listed(hr_inbox))
    detail = hr.get(f"/mentions/{ids['care_priv']}").text
    assert "payroll, not ours" in detail and '<span class="tag">refund</span>' in detail
    with world.db.transaction() as tx:
        handovers = list(
            tx.session.scalars(
                select(AuditEntry.target_id).where(AuditEntry.action == "mention.handover")
            )
        )
    assert sorted(handovers) == sorted(str(i) for i in picked)


def test_the_mention_page_works_the_mention_through_the_services(world: World) -> None:
    mention_id = _ids(world)["care_priv"]
    client = world.client("care_responder")
    page = client.get(f"/mentions/{mention_id}")
    assert page.status_code == 200 and 'id="work"' in page.text and 'id="reply"' in page.text
    url = f"/mentions/{mention_id}"
    assert client.post(f"{url}/assign", data={"user": "me"}).status_code == 303
    assert client.post(f"{url}/priority", data={"priority": "urgent"}).status_code == 303
    assert client.post(f"{url}/tags", data={"add": "vip, refund"}).status_code == 303
    assert client.post(f"{url}/tags", data={"remove": "vip"}).status_code == 303
    assert client.post(f"{url}/notes", data={"text": "@care_manager look"}).status_code == 303
    assert client.post(f"{url}/status", data={"status": "waiting"}).status_code == 303
    refused = client.post(f"{url}/status", data={"status": "waiting"})
    assert refused.status_code == 422 and 'id="work-error"' in refused.text
    page = client.get(url).text
    assert 'id="work-status">Waiting<' in page and 'id="work-priority">Urgent<' in page
    assert '<span class="tag">refund</span>' in page and "@care_manager look" in page
    handed = client.post(f"{url}/handover", data={"team": "HR", "note": "payroll question"})
    assert handed.status_code == 303
    with world.db.transaction() as tx:
        mention = tx.session.get(Mention, mention_id)
        assert mention is not None and mention.team_id == world.teams["hr"]
        actions = set(
            tx.session.scalars(
                select(AuditEntry.action).where(AuditEntry.target_id == str(mention_id))
            )
        )
    assert {"mention.assign", "mention.priority", "mention.tags", "mention.note"} <= actions
    assert {"mention.status", "mention.handover"} <= actions


def test_roles_viewers_read_and_other_teams_are_refused(world: World) -> None:
    ids = _ids(world)
    private = f"/mentions/{ids['care_priv']}"
    viewer = world.client("care_viewer")
    page = viewer.get(private)
    assert page.status_code == 200 and 'id="work"' in page.text
    assert 'id="reply"' not in page.text and 'id="assign-me"' not in page.text
    assert viewer.post(f"{private}/status", data={"status": "open"}).status_code == 403
    assert viewer.post(f"{private}/assign", data={"user": "me"}).status_code == 403
    hr = world.client("hr_manager")
    assert hr.get(private).status_code == 404
    for action, data in (
        ("status", {"status": "open"}),
        ("assign", {"user": "me"}),
        ("notes", {"text": "hi"}),
        ("presence", {"activity": "viewing"}),
        ("reply", {"key": "k-1", "text": "hello"}),
    ):
        assert hr.post(f"{private}/{action}", data=data).status_code == 404, action
    assert hr.get(f"/live/presence/{ids['care_priv']}").status_code == 404
    care = f"/inbox/teams/{world.teams['care']}"
    assert ids["care_priv"] not in _listed(hr.get(care).text)
    bulk = hr.post("/inbox/bulk", data={"mention_ids": [ids["care_priv"]], "status": "ignored"})
    assert bulk.headers["location"].endswith("done=0&failed=1")
    # A public mention of another team: readable, but not worked from there.
    public = hr.get(f"/mentions/{ids['care_pub']}")
    assert public.status_code == 200 and 'id="work"' not in public.text
    anonymous = world.client()
    assert anonymous.get("/inbox").status_code == 303
    assert anonymous.post(f"{private}/status", data={"status": "open"}).status_code == 303


def test_presence_shows_who_else_is_on_the_mention(world: World) -> None:
    url = f"/mentions/{_ids(world)['care_priv']}"
    ana, bob = world.client("care_responder"), world.client("care_manager")
    assert "Nobody else" in ana.post(f"{url}/presence", data={"activity": "viewing"}).text
    seen = bob.post(f"{url}/presence", data={"activity": "replying"}).text
    assert 'data-user="care_responder"' in seen and "viewing" in seen
    seen = ana.post(f"{url}/presence", data={"activity": "viewing"}).text
    assert 'data-user="care_manager"' in seen and "replying" in seen
    assert bob.post(f"{url}/leave").status_code == 204
    assert "Nobody else" in ana.post(f"{url}/presence", data={"activity": "viewing"}).text


def test_the_sla_report_page_and_its_csv(world: World) -> None:
    client = world.client("care_manager")
    page = client.get("/inbox/report", params={"team": "Customer care"})
    assert page.status_code == 200 and 'id="sla-report"' in page.text
    csv = client.get("/inbox/report", params={"team": "Customer care", "format": "csv"})
    assert csv.text.startswith("scope,team,member")
    assert (
        world.client("hr_manager")
        .get("/inbox/report", params={"team": "Customer care"})
        .status_code
        == 404
    )
