"""``slusha query check``, ``slusha query test`` and ``slusha match`` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from slusha.cli import query as query_cli

GOOD = {"network": "x", "created_at": "2026-11-27T09:15:00+00:00"}


def _line(post_id: str, text: str, **extra: object) -> str:
    return json.dumps({**GOOD, "id": post_id, "text": text, **extra}, ensure_ascii=False)


def invoke(
    *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None
) -> Result:
    group = click.Group("slusha")
    query_cli.register(group)
    return CliRunner().invoke(group, list(args), input=stdin, env=env, catch_exceptions=False)


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    path = tmp_path / "posts.jsonl"
    lines = [
        _line("1", "I love #Acme, but acme never sent my refund"),
        _line("2", "nothing to see"),
        "",
        _line("3", "Acme jobs: hiring now"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_prints_the_structure() -> None:
    result = invoke("query", "check", 'acme NEAR/3 (refund OR "money back") NOT job*')
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "AND"
    assert "  NEAR (at most 3 words between)" in lines
    assert "    word starting with 'job'" in lines


def test_check_json() -> None:
    result = invoke("query", "check", "--json", "acme lang:mk")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["type"] == "and"
    assert data["children"][1]["name"] == "lang"


def test_check_notes_field_only_queries() -> None:
    result = invoke("query", "check", "followers:>1000")
    assert result.exit_code == 0
    assert "checked on every post" in result.stdout


def test_check_error_has_a_caret_and_exit_2() -> None:
    result = invoke("query", "check", "acme AND (refund OR")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "character 10" in lines[0]
    assert lines[1] == "acme AND (refund OR"
    assert lines[2] == "         ^"
    assert "never closed" in result.stderr
    assert result.stdout == ""


def test_check_negation_only_error() -> None:
    result = invoke("query", "check", "acme OR NOT jobs")
    assert result.exit_code == 2
    assert "        ^" in result.stderr.splitlines()


def test_test_prints_matches_and_count(posts_file: Path) -> None:
    result = invoke("query", "test", "acme NOT jobs", str(posts_file))
    assert result.exit_code == 0, result.stderr
    assert "x:1" in result.stdout
    assert "I love #Acme, but acme never sent my refund" in result.stdout
    assert "x:3" not in result.stdout
    assert "1 of 3 posts match" in result.stdout


def test_test_highlights_matched_words(posts_file: Path) -> None:
    result = invoke(
        "query", "test", "refund", str(posts_file), env={"FORCE_COLOR": "1", "TERM": "xterm"}
    )
    assert result.exit_code == 0
    # Only the matched word is wrapped in a style; the rest of the line is plain.
    assert "never sent my \x1b[1;30;43mrefund\x1b[0m" in result.stdout
    assert "\x1b[1;30;43mlove" not in result.stdout


def test_test_reads_stdin() -> None:
    stdin = _line("9", "acme on stdin") + "\n"
    result = invoke("query", "test", "acme", "-", stdin=stdin)
    assert result.exit_code == 0
    assert "1 of 1 posts match" in result.stdout


def test_test_reports_rejected_lines_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    content = b"\n".join(
        [
            _line("1", "acme").encode(),
            b"{not json",
            json.dumps({**GOOD, "id": "2"}).encode(),  # no text
            _line("3", "acme", network="myspace").encode(),
            b'{"network": "x", "id": "4", "text": "acme \xff", "created_at": "2026-11-27T09:15Z"}',
            _line("5", "Ѓубре 😀 acme").encode(),
        ]
    )
    path.write_bytes(content + b"\n")
    result = invoke("query", "test", "acme", str(path))
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 2: rejected: not valid JSON")
    assert errors[1].startswith("line 3: rejected: missing required key") and "text" in errors[1]
    assert errors[2].startswith("line 4: rejected: unknown network")
    assert errors[3].startswith("line 5: rejected: not valid UTF-8")
    assert "2 of 2 posts match; 4 lines rejected" in result.stdout
    assert "Ѓубре 😀 acme" in result.stdout


def test_test_bad_query_exits_2(posts_file: Path) -> None:
    result = invoke("query", "test", "acme AND", str(posts_file))
    assert result.exit_code == 2
    assert "^" in result.stderr


def test_test_needs_a_file_or_stored() -> None:
    result = invoke("query", "test", "acme")
    assert result.exit_code == 2
    assert "FILE" in result.stderr


def test_test_missing_file() -> None:
    result = invoke("query", "test", "acme", "/nonexistent/posts.jsonl")
    assert result.exit_code == 2
    assert "cannot open" in result.stderr


def test_test_stored_matches_the_posts_in_the_database(slusha, tmp_path: Path) -> None:
    slusha("teams", "add", "PR")
    slusha("topics", "add", "Acme", "--team", "PR", "--query", "acme OR refund")
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n".join([_line("1", "acme never sent my refund"), _line("2", "a refund, no brand")]),
        encoding="utf-8",
    )
    assert slusha("import", str(path)).exit_code == 0
    result = slusha("query", "test", "acme NEAR/3 refund", "--stored")
    assert result.exit_code == 0, result.output
    assert "acme never sent my refund" in result.output
    assert "a refund, no brand" not in result.output


def _topics(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_match_prints_topics_per_post(tmp_path: Path, posts_file: Path) -> None:
    topics = _topics(
        tmp_path,
        '[topics]\nbrand = "acme"\ncare = "acme NEAR/3 refund"\n\n'
        '[[topic]]\nid = "jobs"\nquery = "job* OR hiring"\n',
    )
    result = invoke("match", "--topics", str(topics), str(posts_file))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [
        {"network": "x", "id": "1", "topics": ["brand", "care"]},
        {"network": "x", "id": "2", "topics": []},
        {"network": "x", "id": "3", "topics": ["brand", "jobs"]},
    ]


def test_match_reads_stdin_and_reports_rejections(tmp_path: Path) -> None:
    topics = _topics(tmp_path, '[topics]\nt = "acme"\n')
    stdin = _line("1", "acme") + "\nnot json\n"
    result = invoke("match", "--topics", str(topics), "-", stdin=stdin)
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0]) == {"network": "x", "id": "1", "topics": ["t"]}
    assert "line 2: rejected" in result.stderr


def test_match_bad_topic_query(tmp_path: Path) -> None:
    topics = _topics(tmp_path, '[topics]\nok = "acme"\nbad = "acme AND"\n')
    result = invoke("match", "--topics", str(topics), "-", stdin="")
    assert result.exit_code == 2
    assert "topic 'bad'" in result.stderr
    assert "acme AND\n     ^" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[topics\n", "topics.toml"),
        ("", "no topics"),
        ("[topics]\nt = 5\n", "must be a string"),
        ('[[topic]]\nquery = "acme"\n', "needs id"),
        ('[[topic]]\nid = "t"\n', "needs query"),
        ('[topics]\nt = "a"\n[[topic]]\nid = "t"\nquery = "b"\n', "defined twice"),
    ],
)
def test_match_bad_topics_file(tmp_path: Path, content: str, message: str) -> None:
    topics = _topics(tmp_path, content)
    result = invoke("match", "--topics", str(topics), "-", stdin="")
    assert result.exit_code == 2
    assert message in result.stderr


def test_installed_entry_point_has_the_commands() -> None:
    code = "from slusha.cli.main import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "query", "check", "acme OR"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "OR needs something on its right" in done.stderr
