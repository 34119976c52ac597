"""The degenerate-output guard on its own: what it catches, and what it must leave alone."""

from __future__ import annotations

import pytest

from pipeline import detect
from pipeline.engines import guard

ES = "Los mineros de Casapalca exigen justicia y solidaridad para sus familias."
EN = "The miners of Casapalca demand justice and solidarity for their families."


def check(source: str, draft: str, src: str = "es", tgt: str = "en") -> guard.Degenerate | None:
    return guard.check(source, draft, src, tgt, detect.detect_text)


@pytest.mark.parametrize(
    ("draft", "kind"),
    [
        ("de de de de de de de de de de de de", "repeated text"),
        ("The miners of Casapalca demand salad salad salad.", "repeated text"),
        ("mainstremainstremainstremainstremainstre", "character loop"),
        ("The miners mainstremainstremainstre demand justice.", "character loop"),
        ("the workers of the workers of the workers of the workers", "repeated text"),
        ("The", "length"),
        (EN + " " + EN + " And also " + EN + " " + EN, "length"),
        ("\u2581The \u2581miners \u2581of \u2581Casapalca \u2581demand justice.", "subword marks"),
        ("The min@@ ers of Casa@@ palca demand justice and solidarity.", "subword marks"),
        ("カサパルカの鉱山労働者は正義と連帯を要求している。", "wrong language"),
        (
            "Les mineurs de Casapalca exigent la justice et la solidarité pour leurs familles.",
            "wrong language",
        ),
    ],
)
def test_degenerate_drafts_are_caught(draft: str, kind: str) -> None:
    found = check(ES, draft)
    assert found is not None, draft
    assert found.kind == kind, found


def test_a_word_looping_in_a_long_draft_is_caught_by_its_share() -> None:
    draft = "de la de los de la de las de la de los de la de las de la de"
    found = check(ES, draft)
    assert found is not None and found.kind == "repeated text"


def test_japanese_target_without_japanese_is_caught() -> None:
    found = check(EN, "The strikers were fighting for a wage rise this week.", "en", "ja")
    assert found is not None and found.kind == "wrong language"


@pytest.mark.parametrize(
    ("source", "draft", "src", "tgt"),
    [
        (ES, EN, "es", "en"),
        (EN, ES, "en", "es"),
        (ES, ES, "es", "en"),  # a copy: QA's "untranslated", not degenerate
        ("FSTMB", "FSTMB", "es", "en"),
        ("¡Viva! ¡Viva! ¡Viva la FSTMB!", "Long live! Long live! Long live the FSTMB!", "es", "en"),
        ("Strike, strike, strike!", "¡Huelga, huelga, huelga!", "en", "es"),
        ("¡¡¡Huelga general!!!", "General strike!!!", "es", "en"),
        ("1.000.000.000 soles", "1,000,000,000 soles", "es", "en"),
        (EN, "カサパルカの鉱山労働者は、家族のための正義と連帯を要求している。", "en", "ja"),
        (
            "いろいろな労働者がますます団結している。",
            "Workers of all kinds unite more and more.",
            "ja",
            "en",
        ),
        ("Alan García", "Alan García", "en", "ja"),
        ("Article 23", "Artículo 23", "en", "es"),
        ("<g1>Los mineros</g1> de Casapalca.", "<g1>The miners</g1> of Casapalca.", "es", "en"),
        ("Ha ha ha, dijo.", "Ha ha ha, he said.", "es", "en"),
    ],
)
def test_good_drafts_pass(source: str, draft: str, src: str, tgt: str) -> None:
    assert check(source, draft, src, tgt) is None


def test_markers_are_not_text() -> None:
    draft = (
        "<g1>The</g1> <g2>miners</g2> <g3>of</g3> <x1/> <x2/> <x3/> <x4/> Casapalca demand justice."
    )
    assert (
        check("<g1>Los</g1> <g2>mineros</g2> <g3>de</g3> Casapalca exigen justicia.", draft) is None
    )


def test_without_a_detector_only_the_script_is_judged() -> None:
    french = "Les mineurs de Casapalca exigent la justice et la solidarité pour leurs familles."
    assert guard.check(ES, french, "es", "en") is None
    assert guard.check(ES, "カサパルカの鉱山労働者は正義を要求する。", "es", "en") is not None


def test_empty_draft_is_left_to_qa() -> None:
    assert check(ES, "") is None


def test_summary_names_the_commonest_kind() -> None:
    findings = [guard.Degenerate("character loop", "x"), guard.Degenerate("repeated text", "y")]
    assert guard.summary(findings) == "repeated text"
    assert guard.summary([guard.Degenerate("wrong language", "z")]) == "text in the wrong language"


def test_every_pair_has_a_range_around_its_usual_ratio() -> None:
    for (src, tgt), (low, high) in guard.RATIO_RANGE.items():
        assert low < high
        back_low, back_high = guard.RATIO_RANGE[(tgt, src)]
        assert back_low < 1 / low and 1 / high < back_high  # both directions allow the same texts
