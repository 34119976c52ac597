"""QA checks on translated segments: each check fires on a real problem and stays quiet on
the usual differences between languages (digit forms, date order, quote styles)."""

from __future__ import annotations

import re

import pytest

from pipeline.qa import CHECKS, QaFinding, check_segment


def checks(source: str, target: str, src: str = "en", tgt: str = "es", **kw) -> list[str]:
    return [f.check for f in check_segment("b1.s1", source, target, src, tgt, **kw)]


def test_finding_json_shape():
    finding = QaFinding("b2.s3", "numbers", "numbers differ")
    assert finding.as_json() == {"segment": "b2.s3", "check": "numbers", "detail": "numbers differ"}
    assert set(CHECKS) == {
        "numbers",
        "glossary",
        "untranslated",
        "brackets",
        "length",
        "leftover",
        "agreement",
    }


@pytest.mark.parametrize(
    ("source", "target", "tgt"),
    [
        ("On October 19, 2023, 1,000 miners marched.",
         "El 19 de octubre de 2023, 1.000 mineros marcharon.", "es"),
        ("On October 19, 2023, 1,000 miners marched.",
         "El 19 de octubre de 2023, 1 000 mineros marcharon.", "es"),
        ("On October 19, 2023, 1,000 miners marched.",
         "2023年１０月１９日、１,０００人の鉱山労働者が行進した。", "ja"),
        ("Wages rose 3.5% in 2022.", "Los salarios subieron un 3,5 % en 2022.", "es"),
        ("The March for Dignity will start in May.",
         "La Marcha por la Dignidad empezará en mayo.", "es"),
        ("The strike began in March.", "ストライキは3月に始まった。", "ja"),
        ("We fight in the 21st century.", "Luchamos en el siglo XXI.", "es"),
    ],
)  # fmt: skip
def test_numbers_and_dates_in_other_forms_pass(source, target, tgt):
    assert "numbers" not in checks(source, target, tgt=tgt)


@pytest.mark.parametrize(
    ("source", "target", "tgt", "fragment"),
    [
        ("1,000 miners marched.", "100 mineros marcharon.", "es", "1,000"),
        ("On October 19 they marched.", "El 19 de noviembre marcharon.", "es", "month"),
        ("On October 19 they marched.", "11月19日に彼らは行進した。", "ja", "month"),
        ("Wages rose 3.5%.", "Los salarios subieron un 35 %.", "es", "3.5"),
        ("Since 2019.", "Desde 2018.", "es", "2019"),
        ("1,000 miners.", "1 mineros.", "es", "1,000"),
        ("Wages rose 3.5%.", "賃金は35%上がった。", "ja", "3.5"),
        ("1,000 miners.", "1.000人の鉱山労働者。", "ja", "1,000"),
    ],
)
def test_changed_numbers_and_dates_are_flagged(source, target, tgt, fragment):
    found = check_segment("b1.s1", source, target, "en", tgt)
    numbers = [f for f in found if f.check == "numbers"]
    assert numbers, found
    assert fragment in numbers[0].detail


def test_glossary_term_missing_and_present():
    assert "glossary" in checks(
        "The union supports them.", "La unión los apoya.", expected_terms=["sindicato"]
    )
    # plural and capitals still count as the term; dict form as in the sidecar
    assert "glossary" not in checks(
        "The unions support them.",
        "Los Sindicatos los apoyan.",
        expected_terms=[{"term": "union", "expected": "sindicato"}],
    )


def test_untranslated_segment_is_flagged():
    source = "We stand in solidarity with the miners and their families."
    assert "untranslated" in checks(source, source)
    # an English draft for a Spanish target, not identical to the source
    english = "We are standing in solidarity with all miners and their families today."
    assert "untranslated" in checks(source, english)
    assert "untranslated" not in checks(source, "Nos solidarizamos con los mineros y sus familias.")
    # names and short titles are left alone
    assert "untranslated" not in checks("Southern Copper", "Southern Copper")
    assert checks("Peru", "") == ["untranslated"]


@pytest.mark.parametrize(
    ("source", "target", "tgt"),
    [
        ("We demand (now) that “the company” respond.",
         "Exigimos (ahora) que «la empresa» responda.", "es"),
        ("Why? Because we won!", "¿Por qué? ¡Porque ganamos!", "es"),
        ("He said “we will return.”", "彼は「私たちは戻る」と言った。", "ja"),
        ("“We will not stop.", "«No pararemos.", "es"),  # quote continues in the next sentence
    ],
)  # fmt: skip
def test_balanced_quotes_and_brackets_pass(source, target, tgt):
    assert "brackets" not in checks(source, target, tgt=tgt)


@pytest.mark.parametrize(
    ("source", "target", "tgt", "fragment"),
    [
        ("We demand (now) a response.", "Exigimos (ahora una respuesta.", "es", "parentheses"),
        ("He said “we will return.”", "Dijo «volveremos.", "es", "quotation"),
        ("Why?", "Por qué?", "es", "¿"),
        ("Fight back!", "Luchar atrás!", "es", "needs ¡ before !"),
        ("He said “we will return.”", "彼は「私たちは戻ると言った。", "ja", "quotation"),
        ("A (b) c.", "A )b( c.", "es", "closes before"),
    ],
)
def test_unbalanced_quotes_and_brackets_are_flagged(source, target, tgt, fragment):
    found = [f for f in check_segment("s", source, target, "en", tgt) if f.check == "brackets"]
    assert found and fragment in found[0].detail


def test_length_ratio_only_far_outliers_and_not_short_segments():
    source = "The miners of the south have been on strike for three weeks now."
    normal = "Los mineros del sur llevan ya tres semanas en huelga indefinida."
    assert "length" not in checks(source, normal)
    assert "length" in checks(source, "Huelga.")
    assert "length" in checks(source, normal * 3)
    assert "length" not in checks("Strike!", "¡Huelga general indefinida ya!")  # short source
    # en→ja in characters: about 0.4 is normal, the English length would be an outlier
    ja = "南部の鉱山労働者は3週間前からストライキを続けている。"
    assert "length" not in checks(source, ja, tgt="ja")
    assert "length" in checks(source, "スト。", tgt="ja")


def test_leftovers_engine_marks_markers_and_placeholders():
    assert "leftover" in checks("The miners of Cajamarca", "Los mineros de *Cajamarca")
    found = check_segment("s", "The <g1>union</g1> speaks.", "El <g1>sindicato habla.", "en", "es")
    assert any(f.check == "leftover" and "<g1> not closed" in f.detail for f in found)
    found = check_segment("s", "We march.<x1/>", "Marchamos.", "en", "es")
    assert any(f.check == "leftover" and "<x1/>" in f.detail for f in found)
    found = check_segment("s", "We march.", 'Marchamos <span class="g1">.', "en", "es")
    assert any(f.check == "leftover" and "markup" in f.detail for f in found)
    patterns = [r"⟦T\d+⟧", re.compile(r"__GLOSS_\d+__")]
    assert "leftover" in checks("The union", "El ⟦T1⟧", placeholder_patterns=patterns)
    assert "leftover" in checks("The union", "El __GLOSS_3__", placeholder_patterns=patterns)
    assert checks("The union", "El ZXQ901", placeholder_patterns=[r"ZXQ\d+"]) == ["leftover"]
    assert "leftover" not in checks("The union", "El sindicato", placeholder_patterns=patterns)
    # words the engine reported unknown (Apertium strips its * marks): names pass
    found = check_segment("s", "Free jailed miners of Casapalca", "Liberar jailed mineros de "
                          "Casapalca", "en", "es", unknown_words=("jailed", "Casapalca"))  # fmt: skip
    assert [f.detail for f in found] == ["left untranslated by the engine: jailed"]
    # an asterisk the source already has (a footnote mark) is not an engine mark
    assert "leftover" not in checks("*Note: see above", "*Nota: ver arriba")


def test_clean_translation_has_no_findings():
    source = "On 19 October 2023, <g1>1,500 workers</g1> of the Antamina mine went on strike."
    target = "El 19 de octubre de 2023, <g1>1.500 trabajadores</g1> de la mina Antamina se declararon en huelga."
    assert check_segment("b4.s2", source, target, "en", "es", expected_terms=["huelga"]) == []


def test_leftovers_use_the_shared_marker_check():
    found = check_segment(
        "s", "The <g1>union</g1> speaks.", "El <g1 >sindicato</g1> habla.", "en", "es"
    )
    [leftover] = [f for f in found if f.check == "leftover"]
    assert "a damaged tag (like <g1 > or </ g1>) is in the text" in leftover.detail
    found = check_segment(
        "s", "The <g1>union</g1> speaks.", "El <g2>sindicato</g2> habla.", "en", "es"
    )
    [leftover] = [f for f in found if f.check == "leftover"]
    assert "formatting marker lost: <g1>" in leftover.detail
    assert "marker not in source: <g2>" in leftover.detail
    assert (
        check_segment("s", "The <g1>union</g1> speaks.", "El <g1>sindicato</g1> habla.", "en", "es")
        == []
    )
