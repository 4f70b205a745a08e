"""Interface languages: gettext catalogues (Babel .po files, compiled in memory at start-up)."""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).with_name("locale")
LOCALES = ("en", "mk")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"en": "English", "mk": "Македонски"}


def load_catalogue(locale: str) -> gettext.NullTranslations:
    """The translations of one locale (English is the source language)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translations:
    """Every catalogue, loaded once per app."""

    def __init__(self) -> None:
        self._catalogues = {locale: load_catalogue(locale) for locale in LOCALES}

    def gettext(self, locale: str) -> Callable[[str], str]:
        """The ``_`` function for a locale."""
        return self._catalogues.get(locale, self._catalogues[DEFAULT_LOCALE]).gettext


def negotiate(accept_language: str | None, member_locale: str | None = None) -> str:
    """The member's choice, else the best match of the browser's Accept-Language."""
    if member_locale in LOCALES:
        return member_locale
    choices: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().split("-")[0].lower()
        if language:
            choices.append((quality, language))
    for _quality, language in sorted(choices, key=lambda c: -c[0]):
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


def format_when(value: datetime | None, locale: str) -> str:
    """A date and time in the locale's medium format (UTC)."""
    if value is None:
        return ""
    return format_datetime(value, "medium", tzinfo=None, locale=Locale.parse(locale))


def format_number(value: int | float | None, locale: str) -> str:
    """A number with the locale's grouping."""
    if value is None:
        return ""
    return format_decimal(value, locale=Locale.parse(locale))
