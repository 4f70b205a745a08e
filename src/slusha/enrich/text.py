"""Text normalisation shared by the sentiment features: placeholders, folding, transliteration.

Folding maps every script the South-Slavic languages are written in onto one ASCII form
(``ќе`` -> ``ce``, ``će`` -> ``ce``, ``ще`` -> ``ste``), so a model trained on Serbian, Croatian,
Bosnian, Slovenian and Bulgarian tweets shares its features with Macedonian, which has no
training set of its own.
"""

from __future__ import annotations

import re
import unicodedata

# Macedonian ќ/ѓ sound like Serbo-Croatian ć/đ, so they fold to the same letters as those do.
_CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ґ": "g",
    "д": "d",
    "ѓ": "dj",
    "ђ": "dj",
    "е": "e",
    "ё": "e",
    "є": "je",
    "э": "e",
    "ж": "z",
    "з": "z",
    "ѕ": "dz",
    "и": "i",
    "і": "i",
    "ї": "ji",
    "й": "j",
    "ј": "j",
    "к": "k",
    "ќ": "c",
    "ћ": "c",
    "л": "l",
    "љ": "lj",
    "м": "m",
    "н": "n",
    "њ": "nj",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ў": "u",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "c",
    "џ": "dz",
    "ш": "s",
    "щ": "st",
    "ъ": "a",
    "ы": "y",
    "ь": "",
    "ю": "ju",
    "я": "ja",
}
_LATIN_SPECIAL: dict[str, str] = {
    "đ": "dj",
    "ß": "ss",
    "ø": "o",
    "ł": "l",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
}
_FOLD_TABLE = str.maketrans({**_CYRILLIC_TO_LATIN, **_LATIN_SPECIAL})

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
USER_RE = re.compile(r"@\w+")
_REPEAT_RE = re.compile(r"(.)\1{2,}")
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")
_ENTITY = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def fold(text: str) -> str:
    """Lower-case, transliterate Cyrillic to Latin and strip diacritics (``Ќе`` -> ``ce``)."""
    lowered = text.lower().translate(_FOLD_TABLE)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean(text: str) -> str:
    """Replace URLs and user handles by placeholders, undo escapes, shorten letter runs."""
    if "\\u" in text:
        text = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "&" in text:
        for entity, char in _ENTITY.items():
            text = text.replace(entity, char)
    text = URL_RE.sub(" xurl ", text)
    text = USER_RE.sub(" xuser ", text)
    return _REPEAT_RE.sub(r"\1\1", text)
