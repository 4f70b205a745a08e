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
_FOLD_MAP = str.maketrans({**_CYRILLIC_TO_LATIN, **_LATIN_SPECIAL})
URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
USER_RE = re.compile(r"@\w+")
_REPEAT_RE = re.compile(r"(.)\1{2,}")
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")
_ENTITY = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


class _TranslateTable(dict[int, int | str | None]):
    """A ``str.translate`` table that learns every character it meets.

    ``str.translate`` raises and catches a ``LookupError`` for each character missing from a
    plain dict table, which is most of them; this table adds each new character at its first
    lookup (its ``fixed`` entry, else kept as it is, or dropped if ``drop_combining`` and it is
    a combining mark), so later lookups hit. It is bounded: when full it is emptied.
    """

    def __init__(self, fixed: dict[int, str], *, drop_combining: bool) -> None:
        super().__init__(fixed)
        self.fixed = fixed
        self.drop_combining = drop_combining

    def __missing__(self, code: int) -> int | str | None:
        if len(self) >= 50_000:
            self.clear()
        value: int | str | None = self.fixed.get(code, code)
        if self.drop_combining and unicodedata.combining(chr(code)):
            value = None
        self[code] = value
        return value


# Every key of the fold table is a non-ASCII character, so it leaves ASCII text as it is.
_FOLD_TABLE = _TranslateTable(_FOLD_MAP, drop_combining=False)
_DROP_COMBINING = _TranslateTable({}, drop_combining=True)


def fold(text: str) -> str:
    """Lower-case, transliterate Cyrillic to Latin and strip diacritics (``Ќе`` -> ``ce``)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    lowered = lowered.translate(_FOLD_TABLE)
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFKD", lowered).translate(_DROP_COMBINING)


def clean(text: str) -> str:
    """Replace URLs and user handles by placeholders, undo escapes, shorten letter runs."""
    if "\\u" in text:
        text = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "&" in text:
        for entity, char in _ENTITY.items():
            text = text.replace(entity, char)
    # A URL holds "://" or "www." (any case: only W folds to w), so most texts skip the regex.
    if "://" in text or "www." in text.lower():
        text = URL_RE.sub(" xurl ", text)
    if "@" in text:
        text = USER_RE.sub(" xuser ", text)
    return _REPEAT_RE.sub(r"\1\1", text)
