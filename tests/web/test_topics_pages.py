"""The topic editor's pages: a malformed query is shown with its caret and the form kept."""

from __future__ import annotations

import html
import re

from slusha.services.topics import list_topics
from tests.web.support import World

BAD = "acme AND (down"


def _position(page: str) -> int:
    found = re.search(r'data-position="(\d+)"', page)
    assert found, page[-2000:]
    return int(found.group(1))


def test_a_malformed_query_on_a_new_topic_shows_the_caret_and_keeps_the_form(
    world: World,
) -> None:
    before = len(list_topics(world.db))
    answer = world.client("care_manager").post(
        "/topics/new",
        data={"name": "Outage watch", "query": BAD, "team_id": str(world.teams["care"])},
    )
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    assert 0 < _position(answer.text) <= len(BAD)
    assert f'<span class="q">{BAD}</span>' in page  # the caret sits under the query
    assert 'value="Outage watch"' in page and f">{BAD}</textarea>" in page  # what was typed
    assert len(list_topics(world.db)) == before


def test_a_malformed_query_on_an_existing_topic_shows_the_caret_and_changes_nothing(
    world: World,
) -> None:
    topic_id = world.topics["acme"]
    answer = world.client("care_manager").post(
        f"/topics/{topic_id}", data={"name": "Acme", "query": BAD, "kind": "brand"}
    )
    assert answer.status_code == 422 and 0 < _position(answer.text) <= len(BAD)
    assert f">{BAD}</textarea>" in html.unescape(answer.text)
    [acme] = [t for t, _team in list_topics(world.db) if t.id == topic_id]
    assert acme.query == "acme NOT job*"
