"""Vega-Lite specs of the charts: the web dashboards draw them (static/charts.js) and alert
e-mails carry them as PNG images (``slusha.notifiers.chart_images``). Pure: data in, spec out."""

from __future__ import annotations

from typing import Any

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
SENTIMENT_COLORS = {
    "domain": ["negative", "neutral", "positive", "unknown"],
    "range": ["#c0392b", "#95a5a6", "#27ae60", "#dddddd"],
}


def base_spec(mark: str, encoding: dict[str, Any], values: list[dict[str, Any]]) -> dict[str, Any]:
    """A spec with the dashboards' look: container width, 220 px high, tooltips."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": mark, "tooltip": True, **({"point": True} if mark == "line" else {})},
        "encoding": encoding,
    }


def volume_spec(values: list[dict[str, Any]], *, x: str = "day") -> dict[str, Any]:
    """Mentions over time: ``[{x: ISO date or time, "mentions": n}]`` as a line."""
    return base_spec("line", {
        "x": {"field": x, "type": "temporal", "title": None},
        "y": {"field": "mentions", "type": "quantitative", "title": None},
    }, values)  # fmt: skip


def sentiment_spec(values: list[dict[str, Any]]) -> dict[str, Any]:
    """Sentiment shares per day: ``[{"day", "sentiment", "mentions"}]`` as a normalised area."""
    return base_spec("area", {
        "x": {"field": "day", "type": "temporal", "title": None},
        "y": {"field": "mentions", "type": "quantitative", "stack": "normalize", "title": None},
        "color": {"field": "sentiment", "type": "nominal", "scale": SENTIMENT_COLORS},
    }, values)  # fmt: skip


def ranking_spec(values: list[dict[str, Any]], *, field: str) -> dict[str, Any]:
    """Counts per category (network, language, topic): ``[{field, "mentions"}]`` as bars."""
    return base_spec("bar", {
        "y": {"field": field, "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": "mentions", "type": "quantitative", "title": None},
    }, values)  # fmt: skip


def observed_expected_spec(
    observed: float, expected: float, *, unit: str = "mentions"
) -> dict[str, Any]:
    """An alert's observed count next to the expected one, as two bars."""
    values = [
        {"what": "observed", unit: round(float(observed), 2)},
        {"what": "expected", unit: round(float(expected), 2)},
    ]
    spec = base_spec("bar", {
        "y": {"field": "what", "type": "nominal", "sort": None, "title": None},
        "x": {"field": unit, "type": "quantitative", "title": unit},
        "color": {"field": "what", "type": "nominal", "legend": None,
                  "scale": {"domain": ["observed", "expected"], "range": ["#c0392b", "#95a5a6"]}},
    }, values)  # fmt: skip
    spec["height"] = 80
    return spec


def fixed_width(spec: dict[str, Any], width: int = 560) -> dict[str, Any]:
    """The spec with a pixel width (an image has no container to fill)."""
    return {**spec, "width": width, "background": "white"}
