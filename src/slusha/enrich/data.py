"""Readers for the labelled data in ``shared/data`` and the training/evaluation splits.

Which set may train the shipped model is decided here, from each set's ``SOURCE.md``:

* trains: ``semeval2017-task4a-pool`` (MIT) minus the TweetEval validation tweets,
  ``xlmt-umsab-sentiment`` train files (Apache-2.0), ``mozetic-twitter-sentiment-balkan``
  (labels CC BY-SA 4.0) minus a seeded development tenth, and exported member corrections;
* evaluates only: TweetEval validation, UMSAB validation, the mozetic development tenth,
  ``senticomments-sr`` (CC BY-NC-SA, non-commercial) and ``mk-sentiment-lexicon`` (no licence).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
LABEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
UMSAB_LANGS: dict[str, str] = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
MOZETIC_LANGS: tuple[str, ...] = ("bg", "bs", "hr", "sl", "sr")
MOZETIC_DEV_SALT = "slusha-dev:"
MOZETIC_DEV_MODULO = 10
_MATCH_RE = re.compile(r"@\w+|https?://\S+|[^\w]+")
_NON_ASCII_RE = re.compile(r"[^a-z0-9 ]")
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text: ``label`` is 0 negative, 1 neutral, 2 positive."""

    text: str
    label: int
    lang: str
    dataset: str


def shared_data_dir(repo_root: Path | None = None) -> Path | None:
    """``$SLUSHA_SHARED_DATA`` or ``../shared/data`` beside the repository, if it exists."""
    env = os.environ.get("SLUSHA_SHARED_DATA")
    if env:
        path = Path(env)
        return path if path.is_dir() else None
    root = repo_root or Path(__file__).resolve().parents[3]
    path = root.parent / "shared" / "data"
    return path if path.is_dir() else None


MISSING_SHARED_DATA = (
    "shared data not found: pass --data or set SLUSHA_SHARED_DATA "
    "(expected ../shared/data beside the repository)"
)


def data_root(given: Path | None) -> Path | None:
    """The folder a command was ``given``, else ``shared_data_dir()``; None unless a folder."""
    root = given or shared_data_dir()
    return root if root is not None and root.is_dir() else None


def _unescape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def match_key(text: str) -> str:
    """A text stripped of handles, URLs and punctuation, to find the same tweet twice."""
    return _MATCH_RE.sub(" ", _unescape(text).lower()).strip()


def overlap_keys(text: str) -> set[str]:
    """Keys under which two versions of one tweet meet: whole text, first and last six words.

    TweetEval re-wrote handles and links, and some tweets were cut, so whole-text matching
    finds only 1,684 of the 1,810 validation tweets in the pool; these keys find 1,993.
    Keys too short to be specific (under 10 characters) are left out.
    """
    keys: set[str] = set()
    full = " ".join(match_key(text).split())
    ascii_key = " ".join(_NON_ASCII_RE.sub("", full).split())
    for key in (full, ascii_key):
        if len(key) >= 10:
            keys.add(key)
        words = key.split()
        if len(words) >= 6:
            keys.add("^" + " ".join(words[:6]))
            keys.add("$" + " ".join(words[-6:]))
    return keys


def dev_split(text: str) -> bool:
    """True for the seeded tenth of mozetic kept out of training (keyed on the text)."""
    digest = hashlib.sha1((MOZETIC_DEV_SALT + text).encode("utf-8")).hexdigest()
    return int(digest, 16) % MOZETIC_DEV_MODULO == 0


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def tweeteval_val(root: Path) -> list[Example]:
    """TweetEval sentiment validation (English; evaluation only)."""
    folder = root / "tweeteval-sentiment"
    texts = _lines(folder / "val_text.txt")
    labels = _lines(folder / "val_labels.txt")
    return [Example(t, int(y), "en", "tweeteval") for t, y in zip(texts, labels, strict=True)]


def semeval_pool(root: Path) -> list[Example]:
    """The SemEval 2013-2016 pool, deduplicated (``training_examples`` drops validation)."""
    seen: set[str] = set()
    out: list[Example] = []
    for path in sorted((root / "semeval2017-task4a-pool").glob("*.tsv")):
        for line in _lines(path):
            parts = line.split("\t")
            if len(parts) < 3 or parts[1] not in LABEL_INDEX:
                continue
            text = _unescape(parts[2].strip().strip('"'))
            key = match_key(text)
            if not key or key in seen:
                continue
            seen.add(key)
            out.append(Example(text, LABEL_INDEX[parts[1]], "en", "semeval"))
    return out


def umsab(root: Path, split: str) -> list[Example]:
    """UMSAB ``train`` or ``val`` tweets of all eight languages."""
    out: list[Example] = []
    for folder, lang in UMSAB_LANGS.items():
        base = root / "xlmt-umsab-sentiment" / folder
        texts = _lines(base / f"{split}_text.txt")
        labels = _lines(base / f"{split}_labels.txt")
        out.extend(Example(t, int(y), lang, "umsab") for t, y in zip(texts, labels, strict=True))
    return out


def mozetic(root: Path, *, dev: bool) -> list[Example]:
    """Mozetič South-Slavic tweets: the training nine tenths, or the development tenth."""
    out: list[Example] = []
    for lang in MOZETIC_LANGS:
        path = root / "mozetic-twitter-sentiment-balkan" / f"{lang}.train.jsonl"
        for line in _lines(path):
            row = json.loads(line)
            if dev_split(row["text"]) != dev:
                continue
            out.append(Example(row["text"], LABEL_INDEX[row["label"]], lang, "mozetic"))
    return out


_SENTI_LABELS = {"+1": 2, "+1s": 2, "-1": 0, "-1s": 0, "+NS": 1, "-NS": 1}


def senticomments(root: Path) -> list[Example]:
    """SentiComments.SR (Serbian; non-commercial: evaluation only); mixed labels dropped."""
    path = root / "senticomments-sr" / "SentiComments.SR.corr.train.txt"
    out: list[Example] = []
    for line in _lines(path):
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] in _SENTI_LABELS:
            out.append(Example(parts[2], _SENTI_LABELS[parts[0]], "sr", "senticomments"))
    return out


def mk_lexicon(root: Path) -> list[Example]:
    """Macedonian lexicon words as positive/negative examples (no licence: evaluation only)."""
    base = root / "mk-sentiment-lexicon" / "Initial Translated Lexicon"
    out: list[Example] = []
    for name, label in (("MK_POSITIVE.txt", 2), ("MK_NEGATIVE.txt", 0)):
        for word in _lines(base / name):
            word = word.strip().lstrip("\ufeff")
            if word:
                out.append(Example(word, label, "mk", "mk-lexicon"))
    return out


def held_out_keys(root: Path) -> set[str]:
    """Overlap keys of every validation tweet (TweetEval and UMSAB)."""
    keys: set[str] = set()
    for example in tweeteval_val(root) + umsab(root, "val"):
        keys |= overlap_keys(example.text)
    return keys


def training_examples(root: Path) -> Iterator[Example]:
    """Every example whose licence permits training, minus anything seen in validation.

    UMSAB's English training tweets come from the same SemEval pool as TweetEval validation
    (1,429 of its 1,838 are validation tweets), so the filter applies to every set.
    """
    held = held_out_keys(root)
    for example in [*semeval_pool(root), *umsab(root, "train"), *mozetic(root, dev=False)]:
        if not overlap_keys(example.text) & held:
            yield example
