"""The word-language memory that narrows lingua's fast pass: what it learns, when it narrows."""

from __future__ import annotations

from slusha.enrich import LanguageDetector, LanguageHints
from slusha.enrich.enricher import sentiment_languages
from slusha.enrich.words import WordLanguages, words_of

ENGLISH = [
    "The delivery was late again and nobody from support answered my messages today.",
    "I love the new phone, the camera is great and the battery lasts all day long.",
    "Why is the app down again? I have been waiting for my refund for two weeks now.",
    "Thanks for the quick answer, the order arrived this morning and everything works.",
    "The price went up again this month and the service is still as slow as it was.",
    "My order is late, the support team is not answering and the app keeps crashing.",
]
# Every word of it is in ENGLISH: a detector that read ENGLISH settles it by its words.
KNOWN_WORDS = "The support team answered my messages and the refund arrived this morning."
SPANISH = [
    "El pedido llegó tarde otra vez y nadie del servicio respondió a mis mensajes hoy.",
    "Me encanta el nuevo teléfono, la cámara es muy buena y la batería dura todo el día.",
    "¿Por qué la aplicación no funciona otra vez? Llevo dos semanas esperando mi reembolso.",
    "Gracias por la respuesta rápida, el pedido llegó esta mañana y todo funciona bien.",
]


def test_words_are_distinct_lower_case_and_two_to_thirty_letters() -> None:
    assert words_of("The THE the a 42 ok, Ok! ѓубре_x") == ("the", "ok", "ѓубре")
    assert words_of("win " + "a" * 31 + " now " + "b" * 30) == ("win", "now", "b" * 30)


def test_candidates_need_enough_known_words() -> None:
    memory = WordLanguages(min_known=3, min_known_share=0.6)
    memory.learn(("the", "order", "late"), "en")
    assert memory.candidates(("the", "order")) is None  # too few words
    assert memory.candidates(("the", "order", "late", "x1", "x2", "x3")) is None  # half unknown
    assert memory.candidates(("the", "order", "late", "again")) == ["en"]  # no rivals seen


def test_candidates_are_the_best_language_and_its_rivals() -> None:
    memory = WordLanguages(rivals=2)
    for words, lang, rivals in [
        (("de", "la", "que", "pedido"), "es", ("pt", "gl")),
        (("de", "la", "que", "pedido"), "es", ("pt", "it")),
        (("de", "la", "que", "pedido"), "es", ("it", "ca")),
        (("de", "la", "que"), "pt", ("es",)),
        (("de", "la"), "fr", ("it",)),
    ]:
        memory.learn(words, lang, rivals)
    # "es" holds every known word; its two rivals most often seen follow it.
    assert memory.candidates(("de", "la", "que", "pedido")) == ["es", "pt", "it"]


def test_mixed_language_texts_are_not_narrowed() -> None:
    memory = WordLanguages()
    memory.learn(("canon", "camera", "will", "not"), "en")
    memory.learn(("neće", "vas", "razočarati"), "hr")
    # Half the words are English, half Croatian: no language holds 80 % of them.
    assert memory.candidates(("canon", "camera", "neće", "vas", "razočarati")) is None


def test_memory_is_bounded() -> None:
    memory = WordLanguages(size=10)
    memory.learn((f"w{i}x" for i in range(25)), "en")
    assert 0 < len(memory) <= 10
    memory.clear()
    assert len(memory) == 0
    off = WordLanguages(size=0)
    off.learn(("the", "order", "late"), "en")
    assert len(off) == 0


def test_detector_learns_from_full_scorings_then_narrows_known_texts() -> None:
    detector = LanguageDetector()
    detector.words.decide_words = 0  # this test is about narrowing, not deciding by words
    first = detector.detect_many(ENGLISH + SPANISH)
    assert [d.lang for d in first] == ["en"] * len(ENGLISH) + ["es"] * len(SPANISH)
    assert not any("+words" in d.method for d in first)
    assert len(detector.words) > 50
    known = detector.detect_many(
        [
            KNOWN_WORDS,
            "El servicio respondió rápido y el reembolso llegó esta mañana, gracias.",
        ]
    )
    assert [d.lang for d in known] == ["en", "es"]
    assert all(d.method.endswith("+words") for d in known)
    # Narrowed texts do not teach the memory (only full scorings do).
    before = len(detector.words)
    detector.detect("The app answered my refund messages and the order arrived again.")
    assert len(detector.words) == before


def test_decided_needs_enough_known_words_all_seen_in_one_language() -> None:
    memory = WordLanguages(decide_words=4, decide_known=0.75, decide_exclusive=0.5)
    memory.learn(("the", "order", "is", "late", "again"), "en")
    assert memory.decided(("the", "order", "is", "late")) == ("en", 1.0)
    assert memory.decided(("the", "order", "late")) is None  # too few words
    assert memory.decided(("the", "order", "x1", "x2")) is None  # half unknown
    # "is" seen in Croatian too (and still in English): less exclusive, still English.
    for _ in range(3):
        memory.learn(("is", "tako", "dobro"), "hr")
    assert memory.decided(("the", "order", "is", "late")) == ("en", 0.75)
    # A word known only in another language: the words disagree, lingua decides.
    assert memory.decided(("the", "order", "late", "tako")) is None
    # Most words shared with another language: not exclusive enough.
    memory.learn(("the", "order", "late"), "nl")
    assert memory.decided(("the", "order", "is", "late")) is None
    assert WordLanguages(decide_words=0).decided(("the", "order", "is", "late")) is None


def test_detector_settles_texts_of_known_words_without_lingua() -> None:
    detector = LanguageDetector()
    detector.detect_many(ENGLISH + SPANISH)
    text = KNOWN_WORDS
    found = detector.detect(text)
    assert (found.lang, found.method) == ("en", "words")
    assert found.confidence == detector.words_confidence == 0.98
    # The network said German: English words outvote it, and the method says so.
    hinted = detector.detect(text, LanguageHints(network="de"))
    assert (hinted.lang, hinted.method) == ("en", "words+override")
    assert detector.detect(text, LanguageHints(network="en")).lang == "en"
    # Decided texts do not teach the memory.
    before = len(detector.words)
    detector.detect("The app answered my refund messages and the order arrived again.")
    assert len(detector.words) == before


def test_word_settled_answers_report_their_measured_precision_not_the_share() -> None:
    """A text whose known words are not all exclusive is as surely English as any other.

    Reporting the share (here 0.73) put such answers under the sentiment gate (0.9), so they lost
    their language's expert although they are right about 98 % of the time.
    """
    detector = LanguageDetector()
    detector.detect_many(ENGLISH + SPANISH)
    text = KNOWN_WORDS
    shared = ("the", "and", "my")  # seen in German texts too: known, but not exclusive
    for _ in range(3):
        detector.words.learn(shared, "de")
    for _ in range(30):
        detector.words.learn(shared, "en")
    lang, share = detector.words.decided(words_of(text)) or (None, 0.0)
    assert lang == "en" and share < 0.9
    found = detector.detect(text)
    assert (found.lang, found.method, found.confidence) == ("en", "words", 0.98)
    assert sentiment_languages([found]) == ["en"]  # the English expert scores it


def test_a_threshold_stricter_than_the_words_precision_leaves_texts_to_lingua() -> None:
    detector = LanguageDetector(min_confidence=0.99)
    detector.detect_many(ENGLISH + SPANISH)
    text = KNOWN_WORDS
    assert detector.words.decided(words_of(text)) is not None
    found = detector.detect(text)
    assert found.lang == "en" and not found.method.startswith("words")


def test_near_identical_languages_are_never_settled_by_words() -> None:
    detector = LanguageDetector()
    text = "Hvala, narudžba je stigla jutros i kamera je odlična."
    for _ in range(3):  # as if lingua had read Croatian texts with these words
        detector.words.learn(words_of(text), "hr", rivals=("sr", "bs"))
    assert detector.words.decided(words_of(text)) == ("hr", 1.0)
    found = detector.detect(text)
    assert found.lang in {"hr", "sr", "bs"}
    assert not found.method.startswith("words")  # lingua tells hr, sr and bs apart


def test_a_language_the_memory_never_saw_is_still_found() -> None:
    detector = LanguageDetector()
    detector.detect_many(ENGLISH + SPANISH)
    # Catalan shares words with Spanish ("el", "la", "de") but its own words are unknown,
    # so it is scored against every language.
    catalan = "El servei és molt lent i ningú no respon els missatges que envio cada setmana."
    found = detector.detect(catalan)
    assert found.lang == "ca"
    assert "+words" not in found.method


def test_word_memory_can_be_switched_off() -> None:
    detector = LanguageDetector(word_memory=0)
    detector.detect_many(ENGLISH)
    assert len(detector.words) == 0
    found = detector.detect("The support team answered my messages and the refund arrived.")
    assert found.lang == "en"
    assert "+words" not in found.method


def test_narrowed_sets_keep_the_best_languages_usual_rivals() -> None:
    memory = WordLanguages(rivals=5)
    memory.learn(("the", "order", "late"), "en", rivals=("nl", "tl", "da"))
    memory.learn(("the", "price"), "en", rivals=("nl", "fr"))
    # Most often first; ties in the order first seen.
    assert memory.candidates(("the", "order", "late", "price")) == ["en", "nl", "tl", "da", "fr"]
    assert WordLanguages().rivals == 2  # the default keeps the two most frequent
