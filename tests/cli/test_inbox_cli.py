"""``slusha inbox``, ``slusha routing``, ``slusha sla`` and ``slusha reports`` end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli.conftest import write

POSTS = "\n".join(
    json.dumps({"network": "mastodon", "id": i, "text": t, "created_at": "2026-11-27T09:15:00Z"})
    for i, t in [
        ("p1", "acme is hiring engineers"),
        ("p2", "acme sent no refund, awful"),
        ("p3", "acme router works fine"),
    ]
)


def _setup(slusha, tmp_path: Path) -> None:
    for team in ("Customer care", "HR"):
        assert slusha("teams", "add", team).exit_code == 0
    assert (
        slusha("users", "add", "ana", "--role", "responder", "--team", "Customer care").exit_code
        == 0
    )
    assert slusha("users", "add", "hana", "--role", "responder", "--team", "HR").exit_code == 0
    result = slusha("topics", "add", "Acme", "--team", "Customer care", "--query", "acme")
    assert result.exit_code == 0, result.output
    result = slusha(
        "routing",
        "add",
        "Jobs to HR",
        "--query",
        "hiring OR job*",
        "--team",
        "HR",
        "--tag",
        "job",
        "--topic",
        "Acme",
    )
    assert result.exit_code == 0, result.output
    result = slusha(
        "routing",
        "add",
        "Complaints",
        "--query",
        "refund OR awful",
        "--priority",
        "high",
        "--tag",
        "complaint",
    )
    assert result.exit_code == 0, result.output
    assert slusha("import", write(tmp_path / "p.jsonl", POSTS)).exit_code == 0


def _inbox(slusha, *args: str) -> list[dict]:
    result = slusha("inbox", "list", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_routing_rules_list_and_disable(slusha, tmp_path: Path) -> None:
    _setup(slusha, tmp_path)
    rules = json.loads(slusha("routing", "list", "--format", "json").output)
    assert [(r["name"], r["teams"], r["tags"]) for r in rules] == [
        ("Jobs to HR", ["HR"], ["job"]),
        ("Complaints", [], ["complaint"]),
    ]
    bad = slusha("routing", "add", "Bad", "--query", "acme AND", "--team", "HR")
    assert bad.exit_code == 2 and "not valid" in bad.output
    none = slusha("routing", "add", "Nothing", "--query", "acme")
    assert none.exit_code == 2 and "at least one action" in none.output
    assert slusha("routing", "disable", "Jobs to HR").exit_code == 0
    assert not json.loads(slusha("routing", "list", "--format", "json").output)[0]["enabled"]
    assert slusha("routing", "enable", "Jobs to HR").exit_code == 0
    assert slusha("routing", "disable", "Nope").exit_code == 2


def test_inbox_list_assign_status_and_permissions(slusha, tmp_path: Path) -> None:
    _setup(slusha, tmp_path)
    hr = _inbox(slusha, "--team", "HR")
    assert [(m["id"], m["tags"]) for m in hr] == [("p1", ["job"])]
    care = {m["id"]: m for m in _inbox(slusha, "--team", "Customer care")}
    assert care["p2"]["priority"] == "high" and care["p2"]["tags"] == ["complaint"]
    mention = str(care["p2"]["mention_id"])
    result = slusha("inbox", "assign", mention, "--to", "ana", "--user", "ana")
    assert result.exit_code == 0 and "assigned to ana, open" in result.output
    assert [m["id"] for m in _inbox(slusha, "--mine", "--user", "ana")] == ["p2"]
    denied = slusha("inbox", "status", mention, "resolved", "--user", "hana")
    assert denied.exit_code == 2 and "does not allow" in denied.output
    wrong = slusha("inbox", "status", mention, "new", "--user", "ana")
    assert wrong.exit_code == 2 and "cannot become" in wrong.output
    assert slusha("inbox", "status", mention, "resolved", "--user", "ana").exit_code == 0
    assert _inbox(slusha, "--team", "Customer care", "--status", "resolved")[0]["id"] == "p2"
    handed = slusha(
        "inbox",
        "assign",
        str(care["p3"]["mention_id"]),
        "--team",
        "HR",
        "--note",
        "looks like a job question",
    )
    assert handed.exit_code == 0 and "HR" in handed.output
    note = slusha("inbox", "note", mention, "@hana FYI", "--user", "ana")
    assert note.exit_code == 0
    shown = json.loads(slusha("inbox", "show", mention, "--user", "ana").output)
    assert shown["notes"][0]["text"] == "@hana FYI" and shown["status"] == "resolved"
    tagged = slusha("inbox", "tag", mention, "--add", "vip", "--priority", "urgent")
    assert tagged.exit_code == 0 and "urgent" in tagged.output
    bulk = slusha("inbox", "bulk", mention, str(hr[0]["mention_id"]), "--tag", "seen")
    assert bulk.exit_code == 0 and "2 changed" in bulk.output


def test_sla_set_and_report_formats(slusha, tmp_path: Path) -> None:
    _setup(slusha, tmp_path)
    result = slusha(
        "sla",
        "set",
        "Customer care",
        "--first-response",
        "30m",
        "--resolution",
        "8h",
        "--hours",
        "mon-fri 09:00-17:00",
        "--timezone",
        "Europe/Skopje",
    )
    assert result.exit_code == 0, result.output
    assert "30 min" in result.output and "Europe/Skopje" in result.output
    bad = slusha("sla", "set", "Customer care", "--first-response", "soon")
    assert bad.exit_code == 2 and "30m" in bad.output
    assert slusha("sla", "holiday", "2026-12-31", "--team", "Customer care").exit_code == 0
    listed = json.loads(slusha("sla", "list", "--format", "json").output)
    assert listed[0]["holidays"] == ["2026-12-31"]
    assert slusha("sla", "check").exit_code == 0
    care = _inbox(slusha, "--team", "Customer care")
    mention = str(care[0]["mention_id"])
    assert slusha("inbox", "status", mention, "resolved").exit_code == 0
    report = slusha("reports", "sla", "--format", "csv", "--since", "2020-01-01")
    assert report.exit_code == 0, report.output
    rows = list(csv.DictReader(io.StringIO(report.output)))
    assert {r["team"] for r in rows if r["scope"] == "team"} >= {"Customer care"}
    as_json = json.loads(
        slusha(
            "reports", "sla", "--format", "json", "--since", "2020-01-01", "--team", "Customer care"
        ).output
    )
    assert as_json["teams"][0]["resolved"] == 1
    assert slusha("reports", "sla").exit_code == 0


def test_reply_without_a_source_says_what_to_do(slusha, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLUSHA_SECRET_KEY", "test-secret-key")
    _setup(slusha, tmp_path)
    mention = str(_inbox(slusha, "--team", "Customer care")[0]["mention_id"])
    result = slusha("inbox", "reply", mention, "--user", "ana", "--text", "Sorry!")
    assert result.exit_code == 2 and "no enabled mastodon source" in result.output
    both = slusha("inbox", "reply", mention, "--user", "ana")
    assert both.exit_code == 2 and "exactly one" in both.output
    saved = slusha("inbox", "saved-reply", "Customer care", "sorry", "Hi {author}, sorry!")
    assert saved.exit_code == 0
