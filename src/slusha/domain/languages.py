"""The languages Slusha detects (ISO 639-1 codes), and checking a language someone configures."""

from __future__ import annotations

from slusha.errors import InputError

EUROPE: tuple[str, ...] = (
    "sq", "hy", "az", "eu", "be", "bs", "bg", "ca", "hr", "cs", "da", "nl", "en", "et", "fi",
    "fr", "ka", "de", "el", "hu", "is", "ga", "it", "lv", "lt", "mk", "nb", "nn", "pl", "pt",
    "ro", "ru", "sr", "sk", "sl", "es", "sv", "tr", "uk", "cy",
)  # fmt: skip
WORLD: tuple[str, ...] = (
    "ar", "bn", "zh", "fa", "gu", "he", "hi", "id", "ja", "kk", "ko", "ms", "mr", "pa", "sw",
    "tl", "ta", "te", "th", "ur", "vi",
)  # fmt: skip
DETECTED_LANGUAGES: tuple[str, ...] = EUROPE + WORLD
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis", "xx", "qme", "qht", "art"})


def normalise_code(code: str | None) -> str | None:
    """``en-US`` -> ``en``; empty, ``und`` and similar non-languages -> None."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    if not primary or primary in _NO_LANGUAGE or not primary.isalpha():
        return None
    return primary


def check_language(value: str | None, *, setting: str = "language") -> str | None:
    """``value`` as a lower-case ISO 639-1 code Slusha detects; None when blank.

    A code outside the detected languages is refused rather than kept: as a hint it would
    never change an answer, which is worse than saying so when it is set.
    """
    if value is None or not value.strip():
        return None
    code = value.strip().lower()
    if code in DETECTED_LANGUAGES:
        return code
    shown = value.strip()[:40]
    raise InputError(
        f"{setting}: {shown!r} is not an ISO 639-1 code of a language Slusha detects "
        f"(two letters, such as 'mk' or 'en'; one of: {', '.join(sorted(DETECTED_LANGUAGES))})"
    )
