"""The CLI contract: exact forms, exit codes 0 / 1 / 2, and clear messages."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import write

GOOD = '{"network":"mastodon","id":"%s","text":"%s","created_at":"2026-11-27T09:15:00+00:00"}'


def _setup(slusha) -> None:
    assert slusha("teams", "add", "Customer care").exit_code == 0
    assert slusha("teams", "add", "HR").exit_code == 0
    result = slusha("topics", "add", "Acme", "--team", "Customer care", "--query", "acme NOT job*")
    assert result.exit_code == 0, result.output
    result = slusha(
        "topics", "add", "Acme jobs", "--team", "HR", "--query", "acme job*", "--kind", "other"
    )
    assert result.exit_code == 0, result.output


def test_teams_add_and_list(slusha) -> None:
    assert slusha("teams", "add", "Customer care").exit_code == 0
    duplicate = slusha("teams", "add", "customer CARE")
    assert duplicate.exit_code == 2
    assert "exists already" in duplicate.output
    listed = json.loads(slusha("teams", "list", "--format", "json").output)
    assert [t["name"] for t in listed] == ["Customer care"]


def test_topic_with_a_wrong_query_shows_a_caret_and_exits_2(slusha) -> None:
    slusha("teams", "add", "PR")
    result = slusha("topics", "add", "Bad", "--team", "PR", "--query", "acme AND")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    caret_line = next(i for i, line in enumerate(lines) if line.strip() == "^")
    assert lines[caret_line - 1].strip() == "acme AND"
    assert lines[caret_line].index("^") == lines[caret_line - 1].index("acme AND") + 5


def test_topic_for_an_unknown_team_lists_the_teams(slusha) -> None:
    slusha("teams", "add", "PR")
    result = slusha("topics", "add", "X", "--team", "Nope", "--query", "acme")
    assert result.exit_code == 2
    assert "no team named 'Nope'" in result.output and "PR" in result.output


def test_import_then_list_mentions_as_jsonl(slusha, tmp_path: Path) -> None:
    _setup(slusha)
    lines = [
        GOOD % ("1", "Acme support never answers"),
        GOOD % ("2", "acme jobs in Skopje"),
        GOOD % ("3", "unrelated"),
        GOOD % ("1", "Acme support never answers (edit)"),
    ]
    result = slusha("import", write(tmp_path / "posts.jsonl", "\n".join(lines) + "\n"))
    assert result.exit_code == 0, result.output
    assert "accepted 4 (new 2, duplicate 1), rejected 0" in result.output
    listed = slusha("mentions", "list", "--format", "jsonl")
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert {"topic", "team", "network", "id", "text", "lang", "sentiment"} <= set(row)
    by_id = {r["id"]: r for r in rows}
    assert by_id["1"]["topic"] == "Acme" and by_id["1"]["team"] == "Customer care"
    assert by_id["1"]["text"].endswith("(edit)")
    assert by_id["2"]["topic"] == "Acme jobs" and by_id["2"]["team"] == "HR"
    only_hr = slusha("mentions", "list", "--team", "HR", "--format", "jsonl").output
    assert [json.loads(x)["id"] for x in only_hr.splitlines()] == ["2"]


def test_import_rejects_bad_lines_with_line_numbers_keeps_the_rest_and_exits_1(
    slusha, tmp_path: Path
) -> None:
    _setup(slusha)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                (GOOD % ("1", "acme one")).encode(),
                b"{not json",
                b'{"network":"myspace","id":"2","text":"acme","created_at":"2026-11-27T09:15:00Z"}',
                b'{"network":"x","id":"3","text":["acme"],"created_at":"2026-11-27T09:15:00Z"}',
                b'{"network":"x","id":"4","text":"acme"}',
                b'{"network":"x","id":"5","text":"acme \xff\xfe",'
                b'"created_at":"2026-11-27T09:15:00Z"}',
                b"[1, 2]",
                b"",
                (GOOD % ("6", "acme six")).encode(),
            ]
        )
        + b"\n"
    )
    result = slusha("import", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "line 2: not valid JSON" in out
    assert "line 3: unknown network 'myspace'" in out
    assert "line 4: 'text' must be a string, got a list" in out
    assert "line 5: missing required key: created_at" in out
    assert "line 6: not valid UTF-8" in out
    assert "line 7: a post must be a JSON object" in out
    assert "accepted 2 (new 2, duplicate 0), rejected 6" in out
    ids = [
        json.loads(x)["id"]
        for x in slusha("mentions", "list", "--format", "jsonl").output.splitlines()
    ]
    assert sorted(ids) == ["1", "6"]


def test_import_reads_standard_input(slusha) -> None:
    _setup(slusha)
    result = slusha("import", "-", input=GOOD % ("7", "acme from stdin") + "\n")
    assert result.exit_code == 0, result.output
    assert "new 1" in result.output


def test_import_csv_with_a_header_mapping(slusha, tmp_path: Path) -> None:
    _setup(slusha)
    csv_text = (
        "post_id,body,date,author.handle,author.followers\n"
        "c1,Acme is great,2026-11-27T10:00:00+00:00,ana,120\n"
        "c2,Acme again,2026-11-27T10:05:00+00:00,marko,many\n"
    )
    result = slusha(
        "import",
        write(tmp_path / "posts.csv", csv_text),
        "--map",
        "post_id=id",
        "--map",
        "body=text",
        "--map",
        "date=created_at",
    )
    assert result.exit_code == 1
    assert "line 3: 'author.followers' must be a whole number" in result.output
    rows = [
        json.loads(x) for x in slusha("mentions", "list", "--format", "jsonl").output.splitlines()
    ]
    assert [(r["network"], r["id"], r["author"]) for r in rows] == [("import", "c1", "ana")]


def test_import_csv_with_a_bad_header_says_what_is_missing(slusha, tmp_path: Path) -> None:
    result = slusha("import", write(tmp_path / "bad.csv", "a,b\n1,2\n"))
    assert result.exit_code == 2
    assert "no column for id, text, created_at" in result.output
    assert "--map COLUMN=FIELD" in result.output


def test_import_of_a_missing_file_is_a_usage_error(slusha, tmp_path: Path) -> None:
    result = slusha("import", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2
    assert "cannot open" in result.output


def test_search_finds_stored_posts_by_words(slusha, tmp_path: Path) -> None:
    _setup(slusha)
    lines = [
        GOOD % ("1", "Acme refund never arrived"),
        GOOD % ("2", "Acme is fine"),
        GOOD % ("3", "Ацме Скопје рефунд acme"),
    ]
    slusha("import", write(tmp_path / "p.jsonl", "\n".join(lines)))
    found = json.loads(slusha("search", "refund arrived", "--format", "json").output)
    assert [p["id"] for p in found] == ["1"]
    cyrillic = json.loads(slusha("search", "Скопје", "--format", "json").output)
    assert [p["id"] for p in cyrillic] == ["3"]
    hostile = slusha("search", 'refund" OR NEAR(', "--format", "json")
    assert hostile.exit_code == 0  # user input is never FTS syntax
    assert slusha("search", "!!!").exit_code == 2
    optimised = slusha("db", "optimize")
    assert optimised.exit_code == 0 and "search index optimised" in optimised.output
    again = json.loads(slusha("search", "refund arrived", "--format", "json").output)
    assert [p["id"] for p in again] == ["1"]  # the merged index answers the same


def test_users_add_prints_a_generated_password_once(slusha) -> None:
    slusha("teams", "add", "PR")
    result = slusha("users", "add", "ana", "--role", "manager", "--team", "PR")
    assert result.exit_code == 0
    assert "password (shown once" in result.output
    listed = json.loads(slusha("users", "list", "--format", "json").output)
    assert listed[0]["username"] == "ana" and listed[0]["roles"] == ["manager@PR"]
    assert "password" not in json.dumps(listed)
    assert slusha("users", "add", "bob", "--role", "viewer").exit_code == 2


def test_mentions_list_rejects_bad_filters_clearly(slusha) -> None:
    _setup(slusha)
    result = slusha("mentions", "list", "--since", "yesterday-ish")
    assert result.exit_code == 2 and "--since" in result.output
    result = slusha("mentions", "list", "--topic", "Nope")
    assert result.exit_code == 2 and "no topic named 'Nope'" in result.output
    assert slusha("mentions", "list", "--since", "7d").exit_code == 0


def test_topics_disable(slusha) -> None:
    _setup(slusha)
    assert slusha("topics", "disable", "Acme").exit_code == 0
    listed = json.loads(slusha("topics", "list", "--format", "json").output)
    assert {t["name"]: t["enabled"] for t in listed} == {"Acme": False, "Acme jobs": True}
    assert slusha("topics", "disable", "Nope").exit_code == 2


def test_topic_names_are_unique_regardless_of_case_in_any_script(slusha) -> None:
    slusha("teams", "add", "PR")
    assert slusha("topics", "add", "Лумио", "--team", "PR", "--query", "лумио").exit_code == 0
    again = slusha("topics", "add", "ЛУМИО", "--team", "PR", "--query", "лумио")
    assert again.exit_code == 2 and "exists already" in again.output
    assert slusha("topics", "disable", "лумио").exit_code == 0
