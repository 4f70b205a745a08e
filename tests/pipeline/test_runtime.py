"""A process builds the language and sentiment models only when it enriches."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.enricher import shared_enricher

from slusha.domain.post import parse_post
from slusha.pipeline import runtime as runtime_module
from slusha.pipeline.runtime import LazyEnricher, Runtime


def test_the_enricher_is_built_on_first_use_only(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []

    def build(settings: Any = None) -> Any:  # the real shipped enricher, counted
        built.append(shared_enricher())
        return built[-1]

    monkeypatch.setattr(runtime_module, "build_enricher", build)
    runtime = Runtime.build(make_settings())
    try:
        lazy = runtime.pipeline.enricher
        assert isinstance(lazy, LazyEnricher)
        assert built == []  # a web, alerter or connectors process stops here
        text = "Денес во Скопје беше убав ден, отидовме на прошетка."
        post = parse_post(
            {"network": "mastodon", "id": "1", "created_at": "2026-11-27T09:00:00Z", "text": text}
        )
        assert lazy.enrich([post])[0].lang == "mk"
        lazy.warm_up()
        assert lazy.enrich([post])[0].lang == "mk"
        assert len(built) == 1  # built once, then reused
    finally:
        runtime.db.dispose()
