"""The fast paths of the per-character text functions give what the plain loops give."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import segment
from pipeline.engines import guard
from pipeline.glossary import normalize

# Latin, Spanish, Japanese (full and half width), combining and voiced marks, quotes,
# odd spaces, ligatures and numbers that fold to more than one character, markers.
ALPHABET = list("abcXYZ ñáÉü¿¡.,;'\"-`´‘’“”«»\u00a0\u3000\t\n") + list(
    "日本語のテストｶﾞｷﾞﾞ\u3099\u0301ßİﬁ½²Ⅻ…—"
)
TEXTS = st.lists(
    st.one_of(st.sampled_from(ALPHABET), st.sampled_from(["<g1>", "</g1>", "<x2/>", "<", "<g"])),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_folding_a_word_at_a_time_matches_folding_each_character(text: str) -> None:
    pieces = normalize._marker_free_pieces(text)
    if all(normalize._folds_alone(c) for _, piece in pieces for c in piece):
        assert normalize._fold_words(pieces) == normalize._fold_characters(text)
    assert normalize.normalize_with_map.__wrapped__(text) == normalize._fold_characters(text)


def test_folding_takes_the_word_path_for_latin_and_japanese_text() -> None:
    for text in ("Comité de <g1>Solidaridad</g1> «obrera»", "日本の労働者と「連帯」する"):
        pieces = normalize._marker_free_pieces(text)
        assert all(normalize._folds_alone(c) for _, piece in pieces for c in piece)
    assert not normalize._folds_alone("ｶ")  # half-width kana: NFKC changes it
    assert not normalize._folds_alone("ß")  # folds to "ss"


def _longest_run_reference(tokens: list[str]) -> tuple[int, str]:
    best, what = 1, ""
    for n in range(1, guard.MAX_NGRAM + 1):
        for start in range(0, len(tokens) - 2 * n + 1):
            gram, count, pos = tokens[start : start + n], 1, start + n
            while tokens[pos : pos + n] == gram:
                count, pos = count + 1, pos + n
            if count > best:
                best, what = count, " ".join(gram)
    return best, what


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["de", "la", "el", "comité", "x"]), max_size=30))
def test_longest_run_matches_the_position_by_position_count(tokens: list[str]) -> None:
    assert guard.longest_run(tokens) == _longest_run_reference(tokens)


def _loops_reference(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for match in re.finditer(r"(.{1,40}?)\1{2,}", text, re.DOTALL):
        unit = match.group(1)
        copies = len(match.group(0)) // len(unit)
        if len(match.group(0)) < guard.LOOP_SPAN or not any(c.isalpha() for c in unit):
            continue
        if any(c.isspace() for c in unit) or (len(unit.strip()) <= 1 and copies < 8):
            continue
        found[unit.strip().lower()] = max(found.get(unit.strip().lower(), 0), copies)
    return found


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["ab", "abc", "la", " ", "x", "日本", "!!", "de la "]), max_size=25)
)
def test_loops_found_in_space_free_stretches_match_a_scan_of_the_whole_text(
    pieces: list[str],
) -> None:
    text = "".join(pieces)
    assert guard._loops(text) == _loops_reference(text)


def test_character_loops_are_still_found() -> None:
    assert guard._loops("the committee committeecommitteecommittee said") == {"committee": 3}
    assert guard._loops("la la la la la la") == {}  # word loops are check_repetition's


SENTENCE_WORDS = ["Point", "3.2", "Sr", "a", "b)", "1)", "Dr", "EE", "UU", "x:", '"q"', "(p",
                  "c]", "«s»", "—", "y,", "i", "U", "S", "no", "日本", "です", "」", "「", "etc",
                  "1,000.50", "p", "-", "e/o", "d'Arc"]  # fmt: skip
SENTENCE_ENDS = ["", ".", "!", "?", "...", "…", "。", "?!", ".)", " .", '."']


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(SENTENCE_WORDS), min_size=1, max_size=12),
    st.sampled_from(SENTENCE_ENDS),
    st.sampled_from(["en", "es", "ja"]),
)
def test_a_text_taken_as_one_sentence_is_one_sentence_to_pysbd(
    words: list[str], end: str, lang: str
) -> None:
    text = " ".join(words) + end
    if segment.is_one_sentence(text):
        assert segment.pysbd_sentences(text, lang) == [(0, len(text))]
        assert segment.split_sentences(text, lang) == [(0, len(text))]


def test_one_sentence_texts_skip_pysbd_and_others_do_not() -> None:
    assert segment.is_one_sentence("Statement 12 of the committee")
    assert segment.is_one_sentence(
        "Point 3.2: Everyone has the right to life, liberty and security."
    )
    assert segment.is_one_sentence("日本の労働者と連帯する。")
    for text in ("One. Two.", "Sr. García llegó.", "a) one b) two", '"Free them," they said.',
                 "Why? Because.", "Wait...", "日本。連帯。"):  # fmt: skip
        assert not segment.is_one_sentence(text)
    assert segment.split_sentences("One. Two.", "en") == [(0, 5), (5, 9)]
