"""``/api/v1/inbox``: the inbox actions over HTTP, with the same authorisation as the services."""

from __future__ import annotations

from slusha.services.routing import RuleSpec, add_rule
from tests.support.builders import post
from tests.web.support import World


def _care_mention(world: World) -> int:
    return world.mentions[f"p1:{world.topics['acme']}"]


def test_work_a_mention_over_the_api(world: World) -> None:
    client = world.client("care_responder")
    mention_id = _care_mention(world)
    listed = client.get("/api/v1/inbox", params={"team": "Customer care"}).json()
    assert mention_id in [m["mention_id"] for m in listed["items"]]
    taken = client.post(f"/api/v1/inbox/{mention_id}/assign", json={"user": "care_responder"})
    assert taken.status_code == 200 and taken.json()["status"] == "open"
    assert client.post(f"/api/v1/inbox/{mention_id}/tags", json={"add": ["vip"]}).json()[
        "tags"
    ] == ["vip"]
    note = client.post(f"/api/v1/inbox/{mention_id}/notes", json={"text": "@care_manager look"})
    assert note.status_code == 200
    done = client.post(f"/api/v1/inbox/{mention_id}/status", json={"status": "resolved"})
    assert done.json()["status"] == "resolved"
    wrong = client.post(f"/api/v1/inbox/{mention_id}/status", json={"status": "waiting"})
    assert wrong.status_code == 422 or wrong.status_code == 400
    assert wrong.headers["content-type"] == "application/problem+json"
    detail = client.get(f"/api/v1/inbox/{mention_id}").json()
    assert [h["field"] for h in detail["history"]][-1] == "status"
    mine = client.get("/api/v1/inbox", params={"mine": "true", "status": "all"}).json()
    assert [m["mention_id"] for m in mine["items"]] == [mention_id]
    others = client.post(f"/api/v1/inbox/{mention_id}/presence", json={"activity": "viewing"})
    assert others.json() == {"others": []}
    report = client.get("/api/v1/reports/sla", params={"team": "Customer care", "format": "csv"})
    assert report.status_code == 200 and report.text.startswith("scope,team,member")


def test_other_teams_cannot_see_or_act_on_private_mentions(world: World) -> None:
    private = world.mentions[f"p2:{world.topics['refunds']}"]  # Care's private topic
    hr = world.client("hr_manager")
    assert hr.get(f"/api/v1/inbox/{private}").status_code == 404
    assert hr.post(f"/api/v1/inbox/{private}/status", json={"status": "open"}).status_code == 404
    assert hr.post(f"/api/v1/inbox/{private}/presence", json={}).status_code == 404
    listed = hr.get("/api/v1/inbox", params={"status": "all"}).json()["items"]
    assert private not in [m["mention_id"] for m in listed]
    bulk = hr.post("/api/v1/inbox/bulk", json={"mention_ids": [private], "status": "ignored"})
    assert list(bulk.json()["failed"]) == [str(private)]
    viewer = world.client("care_viewer")
    assert viewer.get(f"/api/v1/inbox/{private}").status_code == 200
    assert (
        viewer.post(f"/api/v1/inbox/{private}/status", json={"status": "open"}).status_code == 403
    )
    assert world.client().get("/api/v1/inbox").status_code == 401


def test_routing_rules_are_listed_and_applied(world: World) -> None:
    add_rule(world.db, RuleSpec("Refunds are urgent", "refund", priority="urgent",
                                tags=("refund",), stop=False), clock=world.clock)  # fmt: skip
    world.ingest(post("p9", "acme refund please, terrible", lang="en"))
    client = world.client("care_manager")
    assert client.get("/api/v1/routing-rules").json()[0]["name"] == "Refunds are urgent"
    items = client.get("/api/v1/inbox", params={"tag": "refund"}).json()["items"]
    assert {m["id"] for m in items} == {"p9"} and {m["priority"] for m in items} == {"urgent"}


def test_ids_beyond_the_database_range_are_refused_not_a_server_error(world: World) -> None:
    # PostgreSQL integers end at 2**31 - 1; a larger id used to reach the driver and answer 500.
    client = world.client("admin")
    too_big = 2**31
    bulk = client.post("/api/v1/inbox/bulk", json={"mention_ids": [too_big], "status": "open"})
    assert bulk.status_code == 422
    assert client.get("/api/v1/alerts", params={"team_id": too_big}).status_code == 422


def test_bulk_hands_over_with_a_note_and_removes_tags(world: World) -> None:
    care_pub = _care_mention(world)
    headers = {"Authorization": f"Bearer {world.token('care_manager')}"}
    client = world.client()
    body = {"mention_ids": [care_pub], "add_tags": ["vip", "late"]}
    assert client.post("/api/v1/inbox/bulk", json=body, headers=headers).json()["done"] == [
        care_pub
    ]
    body = {"mention_ids": [care_pub], "remove_tags": ["vip"], "team": "HR", "note": "n1"}
    answer = client.post("/api/v1/inbox/bulk", json=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["done"] == [care_pub]
    admin = {"Authorization": f"Bearer {world.token('admin')}"}
    view = client.get(f"/api/v1/inbox/{care_pub}", headers=admin).json()
    assert view["tags"] == ["late"] and view["team"] == "HR"
    assert [n["text"] for n in view["notes"]] == ["n1"]
    # Care no longer works it; a note without a hand-over is refused.
    again = client.post("/api/v1/inbox/bulk", json=body, headers=headers).json()
    assert again["done"] == [] and list(again["failed"]) == [str(care_pub)]
    body = {"mention_ids": [care_pub], "note": "alone"}
    assert client.post("/api/v1/inbox/bulk", json=body, headers=headers).status_code == 422
