"""The Argos engine on identity packages: exact text, batching, pivoting, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.engines import argos_packages as models
from pipeline.engines.argos import ArgosEngine, decode_pieces
from pipeline.engines.base import EngineError, Route
from tests.fixtures import argos_models as fx

SENTENCES = {
    "en": [
        "The FSTMB stands with the miners of Casapalca.",
        "On 12 March 2024, 1,250 workers (and their families) stopped work at 06:30.",
        "Solidarity is not charity: it is mutual aid!",
        "Dr. Ana O'Neill & Mr. J. R. Smith said: \"We won't go back.\"",
        "snake_case_name, __TERM_1__, ⟦G1⟧, [1], {2}, <3> — 50% / $3.50 ± 2",
        "Email: union@example.org; web https://example.org/a_b?c=d#e",
    ],
    "es": [
        "¿Dónde están los 43 compañeros de Ayotzinapa?",
        "¡Viva la lucha de los mineros de Casapalca y de la FSTMB!",
        "El Sr. Quispe — secretario general — firmó el 1.º de mayo de 2024.",
        "La señora Núñez pagó 1.234,56 soles (¡demasiado!) por la atención médica.",
        "Árbol, pingüino, cigüeña, «comillas» y ‘apóstrofos’.",
    ],
    "ja": [
        "「労働組合」は団結して闘う。",
        "カサパルカの鉱山労働者に連帯します！",
        "２０２４年３月１２日、１２５０人の労働者がストライキに入った。",
        "すべての人は、生命、自由及び身体の安全に対する権利を有する。",
        "鬱蒼とした森で、彼らは「ＦＳＴＭＢ」と書かれた旗を掲げた？",
        "株式会社ABCは、100%の賃上げ要求を拒否した（本当に？）。",
    ],
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> list[models.InstalledModel]:
    folder = fx.install_identity_packages(tmp_path_factory.mktemp("argos-packages"))
    return models.installed_models([folder])


@pytest.fixture(scope="module")
def engine(installed: list[models.InstalledModel]) -> ArgosEngine:
    return ArgosEngine(models=installed)


def test_engine_declares_it_cannot_carry_markers(engine: ArgosEngine) -> None:
    assert engine.name == "argos"
    assert engine.markup is False


def test_routes_direct_pivot_and_missing(engine: ArgosEngine) -> None:
    assert engine.route("en", "es") == Route("argos", "argos-en-es", "1.0", None)
    assert engine.route("ja", "en") == Route("argos", "argos-ja-en", "1.0", None)
    assert engine.route("es", "ja") == Route("argos", "argos-es-en+argos-en-ja", "1.0+1.0", "en")
    assert engine.route("ja", "es") == Route("argos", "argos-ja-en+argos-en-es", "1.0+1.0", "en")
    assert engine.route("en", "en") is None
    assert engine.route("en", "fr") is None


@pytest.mark.parametrize("lang", ["en", "es", "ja"])
def test_identity_model_returns_exact_text(engine: ArgosEngine, lang: str) -> None:
    texts = SENTENCES[lang]
    for tgt in ("en", "es", "ja"):
        if tgt == lang:
            continue
        result = engine.translate(texts, lang, tgt)
        assert [t.text for t in result] == texts, f"{lang}→{tgt}"


def test_pivot_es_ja_round_trips_every_kind_of_text(engine: ArgosEngine) -> None:
    texts = [t for lang in ("es", "en", "ja") for t in SENTENCES[lang]]
    done: list[int] = []
    result = engine.translate(texts, "es", "ja", progress=done.append)
    assert [t.text for t in result] == texts
    assert sum(done) == len(texts)


def test_corpus_lines_round_trip(engine: ArgosEngine) -> None:
    for lang in ("en", "es", "ja"):
        lines = fx.corpus_file(lang).read_text(encoding="utf-8").splitlines()
        texts = [" ".join(line.split()) for line in lines if line.strip()][:60]
        tgt = "en" if lang != "en" else "es"
        assert [t.text for t in engine.translate(texts, lang, tgt)] == texts


def test_sentencepiece_covers_every_character_of_the_japanese_corpus(
    installed: list[models.InstalledModel],
) -> None:
    import sentencepiece as spm

    ja_en = next(m for m in installed if (m.from_code, m.to_code) == ("ja", "en"))
    sp = spm.SentencePieceProcessor(model_file=str(ja_en.path / "sentencepiece.model"))
    text = fx.corpus_file("ja").read_text(encoding="utf-8")
    missing = {c for c in text if not c.isspace() and sp.piece_to_id(c) == sp.unk_id()}
    assert missing == set()


def test_unknown_characters_come_back_and_are_reported(engine: ArgosEngine) -> None:
    texts = ["鬱蒼とした森。", "Ωmega ∮ Ǆemal ☭ and FSTMB"]
    result = engine.translate(texts, "ja", "en")
    assert [t.text for t in result] == texts
    assert "鬱蒼" in result[0].unknown_words
    for word in result[1].unknown_words:
        assert word in texts[1]


def test_order_kept_and_empty_segments(engine: ArgosEngine) -> None:
    texts = ["", "Long " * 40 + "end.", "  ", "Short.", "Medium length sentence here."]
    result = engine.translate(texts, "en", "es")
    assert [t.text for t in result] == ["", texts[1].strip(), "  ", "Short.", texts[4]]
    assert engine.translate([], "en", "es") == []


def test_deterministic(engine: ArgosEngine) -> None:
    texts = SENTENCES["en"] + SENTENCES["ja"]
    first = engine.translate(texts, "en", "ja")
    second = engine.translate(list(reversed(texts)), "en", "ja")
    assert [t.text for t in first] == [t.text for t in reversed(second)]
    assert first == engine.translate(texts, "en", "ja")


def test_one_call_per_input_length_with_its_own_decoding_bound(
    installed: list[models.InstalledModel],
) -> None:
    engine = ArgosEngine(models=installed)
    engine.translate(["warm up"], "es", "en")
    engine.translate(["warm up"], "en", "ja")
    calls: list[tuple[str, list[list[str]], dict]] = []
    for pair, loaded in engine._loaded.items():
        real = loaded.translator

        class Spy:
            def __init__(self, real, pair) -> None:  # noqa: ANN001
                self.real, self.pair = real, pair

            def translate_batch(self, batch, **options):  # noqa: ANN001, ANN003
                calls.append(("-".join(self.pair), batch, options))
                return self.real.translate_batch(batch, **options)

        loaded.translator = Spy(real, pair)
    texts = SENTENCES["es"] * 3
    translators = {pair: m.translator for pair, m in engine._loaded.items()}
    result = engine.translate(texts, "es", "ja")
    assert [t.text for t in result] == texts
    pairs = [c[0] for c in calls]
    assert pairs == sorted(pairs, key=["es-en", "en-ja"].index) and set(pairs) == {"es-en", "en-ja"}
    for pair in ("es-en", "en-ja"):
        batches = [batch for name, batch, _ in calls if name == pair]
        assert sum(len(batch) for batch in batches) == len(texts)
        lengths = [len(batch[0]) for batch in batches]
        assert lengths == sorted(set(lengths))  # one call per input length, shortest first
    for _, batch, options in calls:
        # no padding, and a bound that depends on the segment's own length only
        assert len({len(b) for b in batch}) == 1
        assert options["max_decoding_length"] == 2 * len(batch[0]) + 16
        assert options["beam_size"] == 4
        assert options["batch_type"] == "tokens"
        assert options["replace_unknowns"] is True
    # the same Translator objects serve later calls (one per pair for the engine's life)
    assert {pair: m.translator for pair, m in engine._loaded.items()} == translators


def test_missing_pair_says_what_to_install(installed: list[models.InstalledModel]) -> None:
    engine = ArgosEngine(models=[m for m in installed if m.to_code != "ja"])
    assert engine.route("es", "ja") is None
    with pytest.raises(EngineError, match="pipeline models install es ja"):
        engine.translate(["Hola."], "es", "ja")


def test_engine_reads_argos_packages_dir_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "elsewhere"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder))
    assert ArgosEngine().route("en", "es") is None
    models.install_file(fx.cached_package("en", "es"))
    engine = ArgosEngine()
    assert engine.route("en", "es") == Route("argos", "argos-en-es", "1.0", None)
    assert engine.translate(["Hola, FSTMB."], "en", "es")[0].text == "Hola, FSTMB."


def test_decode_pieces_is_exact() -> None:
    assert (
        decode_pieces(["▁Hello", "▁snake", "_", "case", "▁", "鬱蒼", "!"])
        == "Hello snake_case 鬱蒼!"
    )
    assert decode_pieces(["▁", "<0xE5>", "<0x8A>", "<0xB4>", "働"]) == "労働"
    assert decode_pieces(["▁a", "▁", "▁b"]) == "a  b"
    assert decode_pieces([]) == ""


def test_threads_and_beam_follow_cores_or_argos_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from pipeline.engines.argos import default_beam_size, default_threads

    for key in ("ARGOS_INTER_THREADS", "ARGOS_INTRA_THREADS", "ARGOS_BEAM_SIZE"):
        monkeypatch.delenv(key, raising=False)
    assert default_threads() == (os.cpu_count() or 1, 1)
    assert default_beam_size() == 4
    monkeypatch.setenv("ARGOS_INTER_THREADS", "1")
    monkeypatch.setenv("ARGOS_INTRA_THREADS", "3")
    monkeypatch.setenv("ARGOS_BEAM_SIZE", "2")
    assert default_threads() == (1, 3)
    engine = ArgosEngine(models=[])
    assert (engine.inter_threads, engine.intra_threads, engine.beam_size) == (1, 3, 2)
    assert engine.route("en", "es") is None


def test_overlong_segment_is_chunked_not_truncated(
    engine: ArgosEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.engines.argos as argos_module

    monkeypatch.setattr(argos_module, "MAX_INPUT_TOKENS", 40)
    text = " ".join(f"w{i}" for i in range(30)) + " fin."  # ~100 pieces: three chunks
    short = "Short one."
    result = engine.translate([text, short], "en", "es")
    assert [t.text for t in result] == [text, short]
