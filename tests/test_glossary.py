"""The glossary: loading and validation, matching, protect/restore with engines, verify, lint."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from pipeline.engines.apertium import ApertiumEngine
from pipeline.engines.argos import ArgosEngine
from pipeline.engines.base import Strategy, Translation
from pipeline.engines.libretranslate import LibreTranslateEngine
from pipeline.glossary import (
    Glossary,
    GlossaryError,
    lint,
    load_glossary,
    parse_glossary,
    protect,
    restore,
    verify,
)
from pipeline.glossary.check import disagreements
from pipeline.glossary.grammar import apertium_data_dirs, spanish_analyser, spanish_generator
from pipeline.review import segment_entry
from tests.fixtures.engines import BracketEngine

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "glossary.yml"

SMALL = textwrap.dedent(
    """\
    version: 1
    terms:
      - en: [union, unions]
        es: [sindicato, sindicatos]
        ja: 労働組合
        note: labour union; never "unión"
      - en: [comrade, comrades]
        es: [compañero, compañeros]
        ja: 同志
      - en: [strike, strikes]
        es: [huelga, huelgas]
        ja: ストライキ
      - en: [miners' union, miners' unions]
        es: [sindicato minero, sindicatos mineros]
        ja: 鉱山労働組合
      - en: [Alan Garcia, Alan García]
        es: Alan García
        ja: アラン・ガルシア
      - en: [Garcia, García]
        es: García
        ja: ガルシア
      - en: [US]
        es: EE. UU.
        ja: 米国
      - en: [free trade agreement]
        es: tratado de libre comercio
        ja: 自由貿易協定
      - keep: [FSTMB, FLTI, Casapalca]
        gender: f
    """
)


@pytest.fixture(scope="module")
def small() -> Glossary:
    glossary, problems = parse_glossary(SMALL)
    assert glossary is not None and not problems, problems
    return glossary


class IdentityEngine:
    """Output == input, like the identity Argos test model."""

    name = "identity"
    markup = False
    glossary_strategy = Strategy(names="token", terms="token")

    def translate(self, texts: Sequence[str], src: str, tgt: str, progress=None):  # noqa: ANN001
        return [Translation(t) for t in texts]


STRATEGY = {  # what each engine declares, by the names the tests use
    "apertium": ApertiumEngine.glossary_strategy,
    "argos": ArgosEngine.glossary_strategy,
    "libretranslate": LibreTranslateEngine.glossary_strategy,
    "test": BracketEngine.glossary_strategy,
    "identity": IdentityEngine.glossary_strategy,
}


def roundtrip(glossary: Glossary, texts: list[str], src: str, tgt: str, engine: str = "identity"):
    protected = protect(glossary, texts, src, tgt, STRATEGY[engine])
    drafts = [t.text for t in IdentityEngine().translate(protected.texts, src, tgt)]
    return restore(drafts, protected), protected


# ---------------------------------------------------------------- the shipped glossary


def test_shipped_glossary_is_valid_rich_and_lint_clean() -> None:
    glossary = load_glossary(SHIPPED)
    entries = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["terms"]
    assert len(entries) >= 60
    assert lint(glossary) == []
    forms = {f for t in glossary.terms for fs in t.forms.values() for f in fs}
    for needed in (
        "同志",
        "労働組合",
        "帝国主義",
        "新植民地主義",
        "独占資本",
        "自由貿易協定",
        "ストライキ",
        "弾圧",
        "連帯",
        "労働者人民",
        "勤労大衆",
        "派遣・請負労働者",
        "多国籍企業",
        "資源略奪",
        "解雇",
        "sindicato",
        "huelga",
        "compañeros",
        "アラン・ガルシア",
        "Alan García",
        "FSTMB",
    ):
        assert needed in forms, needed


def test_version_is_stable_and_follows_content(small: Glossary) -> None:
    reformatted = "# a comment\n" + SMALL.replace("note: labour union", "note:   labour union")
    again, _ = parse_glossary(reformatted)
    assert again is not None and again.version == small.version
    changed, _ = parse_glossary(SMALL.replace("sindicatos]", "sindicatos obreros]"))
    assert changed is not None and changed.version != small.version


# ---------------------------------------------------------------- validation with line numbers


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("version: 1\nterms:\n  - en: union\n    es: [sindicato\n", 5, "bad YAML"),
        (
            "version: 1\nterms:\n  - en: union\n    es: sindicato\n    colour: red\n",
            5,
            "unknown key",
        ),
        ("version: 1\nterms:\n  - en: union\n    es: 48\n", 4, "terms.0.es"),
        ("version: 1\nterms:\n  - en: union\n    es: no\n", 4, "terms.0.es"),
        ("version: 1\nterms:\n  - en: union\n", 3, "at least two"),
        ("version: 1\nterms:\n  - keep: FLTI\n    es: FLTI\n", 3, "either `keep`"),
        ("version: 1\nterms:\n  - en: ''\n    es: x\n", 3, "empty"),
        ("version: 2\nterms: []\n", 1, "version"),
        ("terms: []\n", 1, "version"),
        (
            "version: 1\nterms:\n  - en: union\n    es: sindicato\n    es: unión\n",
            5,
            "duplicate key",
        ),
        (
            "version: 1\nterms:\n  - en: union\n    es: sindicato\n"
            "  - en: [unions, union]\n    es: [sindicatos, sindicato]\n",
            5,
            "line 3",
        ),
    ],
)
def test_invalid_files_name_file_and_line(tmp_path: Path, text: str, line: int, fragment: str):
    path = tmp_path / "g.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlossaryError) as caught:
        load_glossary(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert fragment in message
    assert "\n" not in message


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="cannot read"):
        load_glossary(tmp_path / "missing.yml")


# ---------------------------------------------------------------- lint: every defect class


def lint_kinds(text: str) -> list[tuple[int, str]]:
    glossary, problems = parse_glossary(text)
    if glossary is not None:
        problems = sorted(set(problems) | set(lint(glossary)), key=lambda p: (p.line, p.kind))
    return [(p.line, p.kind) for p in problems]


def test_lint_duplicate_and_conflict() -> None:
    dup = "version: 1\nterms:\n  - en: strike\n    es: huelga\n  - en: strike\n    es: huelga\n"
    assert (5, "duplicate") in lint_kinds(dup)
    conflict = dup.replace("es: huelga\n  - en", "es: huelga\n  - en", 1)
    conflict = conflict[: conflict.rindex("huelga")] + "paro\n"
    # one form, two renderings: allowed (synonyms), lint warns which entry en→es uses
    glossary, problems = parse_glossary(conflict)
    assert glossary is not None and not problems
    assert (5, "shared form") in lint_kinds(conflict)
    assert (5, "duplicate") not in lint_kinds(conflict)
    keep_dup = "version: 1\nterms:\n  - keep: [FLTI]\n  - en: FLTI\n    es: FLTI\n"
    assert (4, "duplicate") in lint_kinds(keep_dup)


def test_lint_substring_traps() -> None:
    text = textwrap.dedent(
        """\
        version: 1
        terms:
          - en: ok
            es: vale
            ja: 了解
          - en: party
            es: partido
            ja: 党
          - en: US
            es: EE. UU.
            ja: 米国
            case_sensitive: false
          - en: UN
            es: ONU
            ja: 国連
        """
    )
    kinds = lint_kinds(text)
    assert (3, "substring trap") in kinds  # 'ok'/'vale'? 'ok' is two letters, any case
    assert (6, "substring trap") in kinds  # 党: one kanji, no word boundaries in Japanese
    assert (9, "substring trap") in kinds  # US matched as 'us'
    assert (13, "substring trap") not in kinds  # UN is all caps: case-sensitive by default


def test_lint_missing_language_and_unaligned_forms() -> None:
    text = textwrap.dedent(
        """\
        version: 1
        terms:
          - en: solidarity
            es: solidaridad
          - en: [leader, leaders]
            es: [dirigente, dirigentes, dirigenta]
            ja: 指導者
        """
    )
    kinds = lint_kinds(text)
    assert (3, "missing language") in kinds
    assert (5, "unaligned forms") in kinds


# ---------------------------------------------------------------- matching


def found(glossary: Glossary, text: str, lang: str = "en") -> list[str]:
    return [m.text for m in glossary.find(text, lang)]


def test_whole_words_case_and_every_form(small: Glossary) -> None:
    assert found(small, "Reunions of the Union; unions unite.") == ["Union", "unions"]
    assert found(small, "Strikes and STRIKE") == ["Strikes", "STRIKE"]
    # all-caps forms are case-sensitive: "us" the pronoun is not the US
    assert found(small, "Let us fight the US.") == ["US"]


def test_longest_match_first_and_overlaps(small: Glossary) -> None:
    matches = small.find("Alan Garcia and Garcia; the miners' unions and unions", "en")
    assert [(m.text, m.term.label) for m in matches] == [
        ("Alan Garcia", "Alan Garcia"),
        ("Garcia", "Garcia"),
        ("miners' unions", "miners' union"),
        ("unions", "union"),
    ]


def test_typographic_quotes_and_width_are_normalised(small: Glossary) -> None:
    text = "the miners’ unions of ＦＬＴＩ and Alan García"
    matches = small.find(text, "en")
    assert [m.text for m in matches] == ["miners’ unions", "ＦＬＴＩ", "Alan García"]
    for m in matches:  # offsets point into the original text
        assert text[m.start : m.end] == m.text
    half_width = "ｽﾄﾗｲｷ"
    assert [m.text for m in small.find(f"全国で{half_width}を", "ja")] == [half_width]


def test_japanese_matches_without_word_boundaries(small: Glossary) -> None:
    text = "同志たちは労働組合とストライキを闘った"
    assert found(small, text, "ja") == ["同志", "労働組合", "ストライキ"]


def test_terms_inside_web_and_mail_addresses_are_not_terms(small: Glossary) -> None:
    text = "See https://example.org/unions, www.example.org/strike or write to union@example.org: unions unite."
    assert found(small, text) == ["unions"]
    assert found(small, "<g1>https://example.org/strike</g1> strike") == ["strike"]


def test_apertium_keeps_addresses_with_the_shipped_glossary() -> None:
    glossary = load_glossary(SHIPPED)
    text = "Write to solidarity@example.org or see https://example.org/solidarity for solidarity."
    engine = ApertiumEngine()
    protected = protect(glossary, [text], "en", "es", engine.glossary_strategy)
    drafts = engine.translate(protected.texts, "en", "es")
    out = restore([d.text for d in drafts], protected)[0]
    assert "solidarity@example.org" in out and "https://example.org/solidarity" in out, out
    assert "solidaridad" in out


def test_terms_split_across_inline_markers(small: Glossary) -> None:
    text = "<g1>Alan</g1> Garcia met the <g2>miners'</g2> <x3/>union."
    matches = small.find(text, "en")
    assert [m.text for m in matches] == ["Alan</g1> Garcia", "miners'</g2> <x3/>union"]


def test_terms_in_for_review_files(small: Glossary) -> None:
    terms = small.terms_in("Comrades, the union is on strike!", "en", "es")
    assert terms == [
        {"term": "Comrades", "expected": "compañeros", "note": ""},
        {"term": "union", "expected": "sindicato", "note": 'labour union; never "unión"'},
        {"term": "strike", "expected": "huelga", "note": ""},
    ]


# ---------------------------------------------------------------- protect / restore


def test_identity_engine_terms_and_markers_come_back_exactly(small: Glossary) -> None:
    texts = [
        "Comrades of the <g1>FLTI</g1> support the miners' unions!",
        "<g1>Alan</g1> Garcia signed the free trade agreement with the US.<x2/>",
        "The union of Casapalca is on strike.",
    ]
    out, protected = roundtrip(small, texts, "en", "es")
    assert out == [
        "Compañeros of the <g1>FLTI</g1> support the sindicatos mineros!",
        "<g1>Alan García</g1> signed the tratado de libre comercio with the EE. UU.<x2/>",
        "The sindicato of Casapalca is on huelga.",
    ]
    assert protected.repairs == 0
    assert not any("ZXQ" in t for t in out)


def test_japanese_source_and_target_no_stray_spaces(small: Glossary) -> None:
    out, _ = roundtrip(small, ["同志たちは労働組合とストライキを闘った。"], "ja", "es")
    assert out == ["Compañeroたちはsindicatoとhuelgaを闘った。"]  # sentence start
    out, _ = roundtrip(small, ["Comrades of the FLTI went on strike."], "en", "ja")
    # spaces survive only between Latin words
    assert out == ["同志of the FLTI went onストライキ."]


def test_inverted_marks_and_sentence_case_are_kept(small: Glossary) -> None:
    out, _ = roundtrip(small, ["¡Comrades, strike!", "¿Do the unions strike?"], "en", "es")
    assert out == ["¡Compañeros, huelga!", "¿Do the sindicatos huelga?"]


def test_placeholders_survive_engine_mangling_and_drops_are_repaired(small: Glossary) -> None:
    protected = protect(small, ["The union went on strike today."], "en", "es", STRATEGY["argos"])
    assert protected.texts == ["The ZXQ901 went on ZXQ902 today."]
    # an engine that lower-cases one placeholder, splits its digits, drops the other but
    # writes the term itself: nothing doubled, the article agrees
    mangled = ["La zxq 901 fue hoy a la huelga."]
    assert restore(mangled, protected) == ["El sindicato fue hoy a la huelga."]
    assert protected.repairs == 1
    dropped = ["El fue hoy."]
    restored = restore(dropped, protected)
    assert protected.repairs == 2 and protected.repaired == [0]
    assert "sindicato" in restored[0] and "huelga" in restored[0]
    assert "ZXQ" not in restored[0] and "  " not in restored[0]


def test_wrap_strategy_replaces_engine_rendering_with_agreement(small: Glossary) -> None:
    texts = ["The union and the free trade agreement of the FLTI."]
    protected = protect(small, texts, "en", "es", STRATEGY["apertium"])
    assert ApertiumEngine.glossary_strategy == Strategy(names="wrap", terms="wrap")
    assert protected.texts == [
        "The <g901>union</g901> and the <g902>free trade agreement</g902> of the <g903>FLTI</g903>."
    ]
    # what Apertium really does: wrong word, gender, a span split by reordering
    apertium_like = [
        "La <g901>unión</g901> y el <g902>acuerdo</g902> de <g902>comercio libre</g902> "
        "del <g903>FLTI</g903>."
    ]
    assert restore(apertium_like, protected) == [
        "El sindicato y el tratado de libre comercio de la FLTI."
    ]


def test_wrap_strategy_repairs_a_lost_span(small: Glossary) -> None:
    protected = protect(small, ["Comrades, the union!"], "en", "es", STRATEGY["apertium"])
    out = restore(["<g901>Camaradas</g901>, la unión!"], protected)
    assert protected.repairs == 1
    assert out[0].startswith("Compañeros, ") and "sindicato" in out[0]
    assert not re.search(r"<g9\d\d>", out[0])


def test_protect_keeps_existing_markers_valid(small: Glossary) -> None:
    texts = ["<g1>Alan</g1> Garcia <g2>and the <g3>union</g3></g2>"]
    for engine in ("apertium", "argos", "libretranslate"):
        protected = protect(small, texts, "en", "es", STRATEGY[engine])
        plain = re.sub(r"</?g9\d\d>|<x9\d\d/>|ZXQ9\d\d", "", protected.texts[0])
        assert re.findall(r"</?g\d>", plain) == ["<g1>", "</g1>", "<g2>", "<g3>", "</g3>", "</g2>"]


# ---------------------------------------------------------------- verify


def test_verify_counts_applied_and_misses(small: Glossary) -> None:
    sources = ["The union is on strike.", "Comrades of the FLTI!", "No terms here."]
    targets = ["El sindicato está en huelga.", "¡Camaradas de la FLTI!", "Sin términos."]
    report = verify(small, sources, targets, "en", "es", ["b1.s1", "b2.s1", "b3.s1"])
    assert report.as_json() == {
        "occurrences": 4,
        "applied": 3,
        "compliance": 0.75,
        "misses": [{"segment": "b2.s1", "term": "comrade", "expected": "compañeros"}],
    }
    empty = verify(small, [], [], "en", "es", [])
    assert empty.as_json()["compliance"] == 1.0 and empty.occurrences == 0
    ja = verify(small, ["同志たちのストライキ"], ["compañeros en huelga"], "ja", "es", ["b4.s1"])
    both = report + ja
    assert (both.occurrences, both.applied, len(both.misses)) == (6, 5, 1)


def test_verb_uses_are_not_noun_terms(small: Glossary) -> None:
    assert found(small, "They strike today; the workers will strike.") == []
    assert found(small, "We strike the bosses. The strike the union called.") == ["strike", "union"]
    assert found(small, "A general strike, their strikes.") == ["strike", "strikes"]


def test_engines_that_rewrite_words_leave_no_placeholder(small: Glossary) -> None:
    texts = ["Comrades of the <g1>FLTI</g1> support the unions."]
    for engine in ("test", "argos"):  # markers carried / plain tokens the engine mangles
        protected = protect(small, texts, "en", "es", STRATEGY[engine])
        drafts = [t.text for t in BracketEngine().translate(protected.texts, "en", "es")]
        out = restore(drafts, protected)[0]
        assert "ZXQ" not in out and not re.search(r"<[gx]9\d\d", out), out
        assert "FLTI</g1>" in out and "sindicatos" in out
        if engine == "test":
            assert out == "Compañeros ⟦of⟧ ⟦the⟧ <g1>FLTI</g1> ⟦support⟧ ⟦the⟧ sindicatos."


def test_english_a_or_an_before_an_inserted_form(small: Glossary) -> None:
    protected = protect(small, ["Una huelga y un sindicato."], "es", "en", STRATEGY["apertium"])
    out = restore(["A <g901>walkout</g901> and an <g902>trade-union</g902>."], protected)
    assert out == ["A strike and a union."]


# ---------------------------------------------------------------- words Apertium reorders


def test_wrap_keeps_a_modifier_the_engine_moved_into_the_span(small: Glossary) -> None:
    # Apertium keeps tags at word positions while it puts adjectives after the noun
    texts = ["Denounce the brutal union!", "A strong free trade agreement."]
    protected = protect(small, texts, "en", "es", ApertiumEngine.glossary_strategy)
    assert protected.texts[0] == "Denounce the brutal <g901>union</g901>!"
    apertium_like = [
        "¡Denunciar el sindicato <g901>brutal</g901>!",
        "Un tratado <g901>fuerte de libre comercio</g901>.",
    ]
    out = restore(apertium_like, protected)
    assert out == ["¡Denunciar el sindicato brutal!", "Un tratado de libre comercio fuerte."]
    assert protected.repairs == 0


def test_wrap_keeps_a_modifier_moved_into_the_span_towards_english(small: Glossary) -> None:
    # the mirror image: Spanish puts the adjective after the noun, English before it
    texts = ["Los sindicatos fuertes y la huelga general."]
    protected = protect(small, texts, "es", "en", ApertiumEngine.glossary_strategy)
    assert protected.texts == [
        "Los <g901>sindicatos</g901> fuertes y la <g902>huelga</g902> general."
    ]
    out = restore(
        ["The <g901>strong</g901> unions and the <g902>general</g902> strike."], protected
    )
    assert out == ["The strong unions and the general strike."]
    assert protected.repairs == 0


@pytest.mark.skipif(
    spanish_analyser() is None,
    reason="Apertium's Spanish analyser is not installed",
)
def test_wrap_keeps_a_modifier_moved_next_to_another_noun(small: Glossary) -> None:
    protected = protect(small, ["Denounce the brutal union!"], "en", "es", STRATEGY["apertium"])
    out = restore(["¡Denunciar la unión <g901>brutal</g901>!"], protected)
    assert out == ["¡Denunciar el sindicato brutal!"]


def test_spanish_analyser_is_found_through_the_pairs_mode_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = tmp_path / "apertium-eng-spa"
    pair.mkdir()
    (pair / "spa-eng.automorf.bin").write_bytes(b"")
    (tmp_path / "modes").mkdir()
    (tmp_path / "modes" / "spa-eng.mode").write_text(
        f"lt-proc -w '{pair / 'spa-eng.automorf.bin'}' | apertium-tagger -g $2 x.prob\n"
    )
    monkeypatch.setenv("APERTIUM_DATADIR", str(tmp_path))
    assert apertium_data_dirs()[0] == tmp_path
    assert spanish_analyser((tmp_path,)) == pair / "spa-eng.automorf.bin"
    assert spanish_analyser((tmp_path / "elsewhere",)) is None


@pytest.mark.skipif(
    spanish_analyser() is None,
    reason="Apertium's Spanish analyser is not installed",
)
def test_wrap_span_that_holds_the_form_itself_is_not_a_reordering() -> None:
    # Apertium's real output for a sentence of tests/data/casapalca-miners.en.txt: the span
    # holds the glossary form itself (with a trailing space); "son" (also a noun: the
    # Cuban "son") right before it must not be taken as the head of a reordered noun phrase
    glossary = load_glossary(SHIPPED)
    texts = ["The arrests are political repression aimed at the union."]
    protected = protect(glossary, texts, "en", "es", STRATEGY["apertium"])
    assert protected.texts == [
        "The arrests are <g901>political repression</g901> aimed at the <g902>union</g902>."
    ]
    draft = "Los arrestos son <g901>represión política </g901> apuntados en la <g902>unión</g902>."
    out = restore([draft], protected)
    assert out == ["Los arrestos son represión política apuntados en el sindicato."]
    # the same span after a content word the source really had before the term
    protected = protect(
        glossary, ["Brutal political repression."], "en", "es", STRATEGY["apertium"]
    )
    assert protected.placeholders[0][0].words_before == 1
    out = restore(["Son <g901>represión política </g901>."], protected)
    assert out == ["Son represión política."]


# ---------------------------------------------------------------- many-to-one entries

MANY_TO_ONE = textwrap.dedent(
    """\
    version: 1
    terms:
      - en: [miner, miners]
        es: [minero, mineros]
        ja: 鉱山労働者
      - en: [mineworker, mineworkers]
        es: [minero, mineros]
        ja: 鉱山労働者
    """
)


def test_many_to_one_entries_load_and_lint_says_which_entry_each_direction_uses() -> None:
    glossary, problems = parse_glossary(MANY_TO_ONE)
    assert glossary is not None and problems == []
    warnings = [p for p in lint(glossary) if p.kind == "shared form"]
    assert warnings and all(p.severity == "warning" and p.line == 6 for p in warnings)
    spanish = next(p for p in warnings if p.message.startswith("es:"))
    assert "is also in the entry on line 3" in spanish.message
    assert "es→en will use the first entry ('miner', line 3), not this one ('mineworker')" in (
        spanish.message
    )
    assert spanish.format("g.yml").startswith("g.yml:6: warning: shared form: es: form 'minero'")


def test_many_to_one_both_source_terms_are_enforced() -> None:
    glossary, _ = parse_glossary(MANY_TO_ONE)
    assert glossary is not None
    texts = ["The miners and the mineworkers marched."]
    protected = protect(glossary, texts, "en", "es", STRATEGY["apertium"])
    assert protected.texts == ["The <g901>miners</g901> and the <g902>mineworkers</g902> marched."]
    apertium_like = ["El <g901>mineros</g901> y el <g902>mineworkers</g902> marcharon."]
    out = restore(apertium_like, protected)
    assert out == ["Los mineros y los mineros marcharon."]
    report = verify(glossary, texts, out, "en", "es", ["s1"])
    assert (report.occurrences, report.applied) == (2, 2)
    # towards English the first entry is used
    back = [(m.term.forms["en"][0], m.text) for m in glossary.find("Los mineros marcharon.", "es")]
    assert back == [("miner", "mineros")]


def test_a_true_duplicate_is_still_refused() -> None:
    text = MANY_TO_ONE.replace("[mineworker, mineworkers]", "[miner, miners]")
    glossary, problems = parse_glossary(text)
    assert [(p.line, p.kind) for p in problems] == [(6, "duplicate")]


# ---------------------------------------------------------------- agreement beyond the article

needs_analyser = pytest.mark.skipif(
    spanish_analyser() is None or spanish_generator() is None,
    reason="Apertium's Spanish analyser and generator (apertium-eng-spa) are not installed",
)


@needs_analyser
def test_determiners_quantifiers_and_adjectives_agree_with_the_substituted_term() -> None:
    glossary = load_glossary(SHIPPED)
    texts = [
        "All unions must join the general strike.",
        "This union and our union are strong.",
        "All these unions support us.",
        "The new union is strong.",
    ]
    protected = protect(glossary, texts, "en", "es", STRATEGY["apertium"])
    apertium = [  # what Apertium returns for the protected texts
        "Todas <g901>las  uniones</g901> tienen que unir la huelga <g902>general</g902>.",
        "Esta <g901>unión</g901> y nuestra <g902>unión</g902> son fuertes.",
        "Todas estas <g901>uniones</g901> nos apoyan.",
        "La unión <g901>nueva</g901> es fuerte.",
    ]
    assert restore(apertium, protected) == [
        "Todos los sindicatos tienen que unir la huelga general.",
        "Este sindicato y nuestro sindicato son fuertes.",
        "Todos estos sindicatos nos apoyan.",
        "El sindicato nuevo es fuerte.",
    ]


@needs_analyser
@pytest.mark.skipif(not ApertiumEngine().available(), reason="Apertium is not installed")
def test_all_unions_with_the_shipped_glossary_and_apertium() -> None:
    glossary = load_glossary(SHIPPED)
    engine = ApertiumEngine()
    texts = ["All unions must join the general strike."]
    protected = protect(glossary, texts, "en", "es", engine.glossary_strategy)
    drafts = [t.text for t in engine.translate(protected.texts, "en", "es")]
    out = restore(drafts, protected)
    assert out[0].startswith("Todos los sindicatos "), out


@needs_analyser
def test_qa_flags_disagreement_around_a_term() -> None:
    assert disagreements("Todas los sindicatos luchan.", ["sindicatos"]) == [
        "“Todas” does not agree with “sindicatos” (masculine plural): “Todos”?"
    ]
    assert disagreements("El sindicato nueva resiste.", ["sindicato"]) == [
        "“nueva” does not agree with “sindicato” (masculine singular): “nuevo”?"
    ]
    assert disagreements("Todos los sindicatos nuevos y la huelga general.", ["sindicatos"]) == []
    entry = segment_entry(
        "b1.s1",
        "All unions fight.",
        "Todas los sindicatos luchan.",
        "en",
        "es",
        glossary=[{"term": "unions", "expected": "sindicatos", "note": ""}],
    )
    assert [q["check"] for q in entry["qa"]] == ["agreement"]
