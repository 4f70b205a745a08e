"""Language detection: real texts, thresholds, script letters, hints, the network's tag."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slusha.enrich import Enricher, LanguageDetector, LanguageHints, detect_language
from slusha.enrich.language import normalise_code, same_language, script_counts
from slusha.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Добредојдовте во Скопје", "mk"),
        ("Македонија е прекрасна земја, а Охрид е најубавиот град на светот.", "mk"),
        ("Ово је најбољи ресторан у Београду, храна је одлична.", "sr"),
        ("България е красива страна и хората са много гостоприемни.", "bg"),
        ("Это очень хороший ресторан, мне здесь нравится.", "ru"),
        ("The service at the airport was terrible this morning.", "en"),
        ("Der Zug hatte heute wieder eine Stunde Verspätung.", "de"),
        ("Η εξυπηρέτηση ήταν εξαιρετική", "el"),
        ("Odličan film, svima ga preporučujem!", "hr"),
    ],
)
def test_detects_real_sentences(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_serbo_croatian_answers_are_in_one_group(detector: LanguageDetector) -> None:
    found = detector.detect("Jučer sam bio u kinu i film je bio stvarno dobar.").lang
    assert found in {"hr", "bs", "sr"}
    assert same_language("sr", "hr")
    assert not same_language("mk", "bg")


def test_empty_and_letterless_texts_have_no_language(detector: LanguageDetector) -> None:
    for text in ["", "   ", "😂😂😂", "12345 !!!", "https://example.com/x @user #"]:
        detection = detector.detect(text)
        assert detection.lang is None, text


def test_threshold_turns_unsure_answers_into_none() -> None:
    strict = LanguageDetector(min_confidence=0.9)
    lenient = LanguageDetector(min_confidence=0.0)
    word = "нарекле"  # a Macedonian word that Bulgarian and Serbian also spell alike
    assert strict.detect(word).lang is None
    assert lenient.detect(word).lang is not None
    assert strict.detect("Ово је најбољи ресторан у Београду, храна је одлична.").lang == "sr"


@pytest.mark.parametrize(
    ("word", "lang"),
    [("ѓубре", "mk"), ("ќерка", "mk"), ("ѕвезда", "mk"), ("ђак", "sr"), ("ћерка", "sr")],
)
def test_script_specific_letters_decide_short_cyrillic_words(word: str, lang: str) -> None:
    assert LanguageDetector(min_confidence=0.0).detect(word).lang == lang


def test_bulgarian_letters_rule_out_macedonian_and_serbian() -> None:
    detection = LanguageDetector(min_confidence=0.0).detect("съм")
    assert detection.lang not in {"mk", "sr"}


def test_author_hint_tips_a_close_call_on_a_short_text() -> None:
    detector = LanguageDetector(min_confidence=0.0)
    word = "студената"  # Macedonian ("the cold one"); Bulgarian spells it the same
    assert detector.detect(word).lang == "bg"
    assert detector.detect(word, LanguageHints(author="mk")).lang == "mk"
    assert detector.detect(word, LanguageHints(source="mk")).lang == "mk"


def test_hint_does_not_override_a_clear_text() -> None:
    detector = LanguageDetector(min_confidence=0.0)
    text = "Ово је најбољи ресторан у Београду, храна је одлична."
    assert detector.detect(text, LanguageHints(author="mk")).lang == "sr"


def test_network_language_is_kept_unless_confidently_wrong(detector: LanguageDetector) -> None:
    assert detector.detect("ok thanks", LanguageHints(network="de")).lang == "de"
    assert detector.detect("студената", LanguageHints(network="mk")).lang == "mk"
    assert detector.detect("Vidimo se sutra u gradu", LanguageHints(network="sr")).lang == "sr"
    long_mk = "Македонија е прекрасна земја, а Охрид е најубавиот град на светот."
    overridden = detector.detect(long_mk, LanguageHints(network="en"))
    assert overridden.lang == "mk"
    assert overridden.method.endswith("override")


MK_SENTENCE = "Македонија е прекрасна земја, а Охрид е најубавиот град на светот."


def test_enricher_keeps_the_posts_own_language(enricher: Enricher) -> None:
    posts = [
        {"text": "ok thanks", "lang": "de-AT"},
        {
            "text": "Македонија е прекрасна земја, а Охрид е најубавиот град на светот.",
            "lang": "en",
        },
        {"text": "нарекле", "lang": None},
    ]
    hints = [None, None, LanguageHints(author="mk")]
    found = [e.lang for e in enricher.enrich(posts, hints)]
    assert found[:2] == ["de", "mk"]
    assert found[2] in {"mk", None}


def test_language_codes_are_normalised() -> None:
    assert normalise_code("en-US") == "en"
    assert normalise_code("pt_BR") == "pt"
    assert normalise_code("und") is None
    assert normalise_code("") is None


def test_restricted_set_and_bad_codes() -> None:
    only = LanguageDetector(["en", "de"], min_confidence=0.0)
    assert only.detect("Добредојдовте во Скопје").lang is None
    with pytest.raises(ConfigError, match="xx"):
        LanguageDetector(["en", "xx"])
    with pytest.raises(ConfigError):
        LanguageDetector([])


def test_long_and_mixed_texts(detector: LanguageDetector) -> None:
    big = "The weather is lovely today and we are going to the beach. " * 20_000
    assert len(big) > 1_000_000
    assert detect_language(big) == "en"
    assert detector.detect("I love this 😍😍 #happy @friend https://t.co/x").lang == "en"


def test_batches_match_single_calls(detector: LanguageDetector) -> None:
    texts = ["Добредојдовте во Скопје", "Hello there my friend", "", "ѓубре", "Guten Morgen"]
    batch = detector.detect_many(texts)
    assert batch == [detector.detect(t) for t in texts]
    with pytest.raises(ValueError):
        detector.detect_many(texts, [None])


def test_repeated_texts_answer_alike_and_come_from_the_cache() -> None:
    detector = LanguageDetector(word_memory=0)  # the word memory would narrow the rescoring
    texts = [
        "Guten Morgen, wie geht es dir heute?",
        "Hello there my friend, see you tomorrow",
        "Guten Morgen, wie geht es dir heute?",
        "RT @someone: Hello there my friend, see you tomorrow",
    ]
    first = detector.detect_many(texts)
    assert first[0] == first[2]
    assert first[3] == first[1]  # the retweet's prefix and handle are noise
    assert detector.detect_many(texts) == first
    detector.clear_cache()
    assert detector.detect_many(texts) == first
    assert detector.detect_many(texts, [LanguageHints(network="fr")] * 4)[0].lang == "de"


def test_cache_is_bounded() -> None:
    detector = LanguageDetector(cache_size=2)
    for text in ["Guten Morgen", "Hello there", "Buenos días", "Dobro jutro"]:
        detector.detect(text)
    assert len(detector._cache) <= 2
    off = LanguageDetector(cache_size=0)
    off.detect("Guten Morgen")
    assert not off._cache


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_letters_are_counted_as_the_latin_pattern_counts_them(text: str) -> None:
    from slusha.enrich.language import _SCRIPTS

    latin = len(_SCRIPTS[0][1].findall(text))
    assert script_counts(text) == ({"latin": latin} if latin else {})
