"""Fixtures for enrichment tests: one shared Enricher (models load once per session)."""

from __future__ import annotations

import pytest

from slusha.enrich import Enricher, LanguageDetector


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    """The default enricher with the shipped model."""
    return Enricher()


@pytest.fixture(scope="session")
def detector() -> LanguageDetector:
    """The default language detector (threshold 0.5)."""
    return LanguageDetector()
