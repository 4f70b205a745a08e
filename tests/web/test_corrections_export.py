"""Members' sentiment corrections come back out as training data (API and CLI)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from slusha.cli.main import _register, cli
from slusha.enrich.corrections import read_corrections
from tests.web.support import World


def _api(world: World, who: str) -> Any:
    client = world.client()
    client.headers["Authorization"] = f"Bearer {world.token(who)}"
    return client


def _correct(world: World, who: str, key: str, value: str, field: str = "sentiment") -> None:
    mention_id = world.mentions[key]
    response = _api(world, who).post(
        f"/api/v1/mentions/{mention_id}/corrections", json={"field": field, "value": value}
    )
    assert response.status_code == 200, response.text


def _lines(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.fixture
def corrected(world: World) -> World:
    t = world.topics
    world.clock.advance(60)
    _correct(world, "care_responder", f"p2:{t['acme']}", "positive")
    world.clock.advance(60)
    _correct(world, "care_responder", f"p2:{t['acme']}", "neutral")  # changed their mind
    _correct(world, "care_responder", f"p2:{t['acme']}", "mk", field="lang")  # not a label
    world.clock.advance(60)
    _correct(world, "admin", f"p4:{t['hrpub']}", "positive")
    return world


def test_export_has_the_newest_label_of_each_corrected_post(corrected: World) -> None:
    rows = _lines(_api(corrected, "admin").get("/api/v1/corrections/export"))
    assert rows == [
        {"text": "acme refund still not here, terrible", "lang": "mk", "label": "neutral"},
        {"text": "payroll day is friday", "lang": "en", "label": "positive"},
    ]


def test_managers_export_their_teams_and_responders_are_refused(corrected: World) -> None:
    care = _lines(_api(corrected, "care_manager").get("/api/v1/corrections/export"))
    assert [r["text"] for r in care] == ["acme refund still not here, terrible"]
    refused = _api(corrected, "care_responder").get("/api/v1/corrections/export")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert corrected.client().get("/api/v1/corrections/export").status_code == 401


def test_since_keeps_later_corrections(corrected: World) -> None:
    since = (corrected.clock.now() - timedelta(seconds=30)).isoformat()
    api = _api(corrected, "admin")
    rows = _lines(api.get("/api/v1/corrections/export", params={"since": since}))
    assert [r["text"] for r in rows] == ["payroll day is friday"]
    assert api.get("/api/v1/corrections/export", params={"since": "soon"}).status_code == 422


def test_cli_export_round_trips_into_the_training_format(
    corrected: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUSHA_DATABASE_URL", corrected.db.url.replace("+psycopg", ""))
    _register()
    out = tmp_path / "corrections.jsonl"
    result = CliRunner().invoke(cli, ["corrections", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 2 corrections" in result.output
    assert [(c.text, c.label) for c in read_corrections(out)] == [
        ("acme refund still not here, terrible", "neutral"),
        ("payroll day is friday", "positive"),
    ]
    bad = CliRunner().invoke(cli, ["corrections", "export", "--since", "yesterday-ish"])
    assert bad.exit_code == 2 and "--since" in bad.output
