"""Language detection: documents, blocks in context, foreign blocks, determinism, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import detect
from pipeline.document import Block, Document, Span
from tests.conftest import DATA, ROOT, requires_apertium

CORPUS = DATA / "corpus"  # en, es, ja: also the training text of the test Argos models
CONFUSABLE = DATA / "detect"  # short statements in languages close to es or co-occurring

SPANISH_QUOTE = "¡El pueblo unido jamás será vencido! Los mineros no están solos."
QUECHUA_GREETING = "Allillanchu, turaykuna panaykuna."
MIXED_STATEMENT = [
    ("title", "Solidarity with the miners of Casapalca"),
    (
        "paragraph",
        "We, the undersigned unions, stand with the striking miners who have been on strike "
        "for three weeks against the company and its hired thugs.",
    ),
    ("quote", SPANISH_QUOTE),
    ("paragraph", QUECHUA_GREETING),
    ("heading", "Article 1"),
    (
        "paragraph",
        "We demand the immediate release of the detained workers and an end to the repression.",
    ),
    ("paragraph", "2024"),
]
JAPANESE_STATEMENT = [
    ("title", "世界人権宣言"),
    ("heading", "前文"),
    (
        "paragraph",
        "人類社会のすべての構成員の固有の尊厳と平等で譲ることのできない権利とを承認することは、"
        "世界における自由、正義及び平和の基礎であるので、",
    ),
    ("heading", "第１条"),
    (
        "paragraph",
        "すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。",
    ),
    ("heading", "第２条"),
    ("paragraph", "何人も、奴隷にされ、又は苦役に服することはない。"),
]
PORTUGUESE_STATEMENT = [
    ("title", "Declaração de solidariedade"),
    (
        "paragraph",
        "Os trabalhadores portugueses estão ao lado dos mineiros peruanos na sua luta pelos "
        "direitos sindicais e contra a repressão do governo e das empresas.",
    ),
]


def make_document(blocks: list[tuple[str, str]]) -> Document:
    return Document(blocks=[Block(kind, [Span(text)]) for kind, text in blocks])  # type: ignore[arg-type]


def languages(result: detect.DocumentLanguage) -> list[str]:
    return [b.language for b in result.blocks]


def test_detect_text_basic_languages() -> None:
    assert (
        detect.detect_text("The workers of the world stand together against repression.")[0] == "en"
    )
    assert (
        detect.detect_text("Los trabajadores del mundo están unidos contra la represión.")[0]
        == "es"
    )
    assert detect.detect_text("労働者は団結して弾圧に反対する。")[0] == "ja"
    assert detect.detect_text("Os trabalhadores estão unidos contra a repressão.")[0] == "pt"
    assert detect.detect_text("1234 — !!")[0] == detect.UNDETERMINED
    lang, confidence = detect.detect_text("Le peuple uni ne sera jamais vaincu, camarades.")
    assert lang == "fr" and 0.5 < confidence <= 1.0


def test_kana_is_japanese_even_when_short() -> None:
    assert detect.detect_text("ありがとう")[0] == "ja"
    assert detect.detect_text("ストライキ")[0] == "ja"


def test_andean_languages_from_word_evidence() -> None:
    assert detect.detect_text(QUECHUA_GREETING)[0] == "qu"
    assert detect.detect_text("Jallalla kullakanaka, jilatanaka!")[0] == "ay"


def test_model_is_available_offline() -> None:
    detect.ensure_available()  # the bundled model file, no download
    code = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from pipeline.detect import detect_text\n"
        "print(detect_text('Los trabajadores unidos jamás serán vencidos.')[0])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert proc.stdout.strip() == "es"


def test_language_outside_candidates_is_reported_as_itself() -> None:
    lang, _ = detect.detect_text(
        "Die Arbeiterinnen und Arbeiter in Deutschland erklären sich solidarisch mit den Bergleuten."
    )
    assert lang == "de"


def test_mixed_document_lists_spanish_quote_and_quechua_greeting() -> None:
    doc = make_document(MIXED_STATEMENT)
    result = detect.detect_document(doc)
    assert result.language == "en"
    assert len(result.blocks) == len(doc.blocks)
    assert [b.index for b in result.blocks] == list(range(len(doc.blocks)))
    by_index = {b.index: b for b in result.blocks}
    assert by_index[2].language == "es" and by_index[2].confidence > 0.9
    assert by_index[3].language == "qu"
    # Short and ambiguous blocks inherit the document's language.
    assert by_index[4].language == "en"  # "Article 1"
    assert by_index[6].language == "en"  # "2024"
    foreign = {b.index: b.language for b in result.foreign_blocks()}
    assert foreign == {2: "es", 3: "qu"}


def test_given_document_language_still_finds_foreign_blocks() -> None:
    result = detect.detect_document(make_document(MIXED_STATEMENT), language="en")
    assert (result.language, result.confidence, result.warning) == ("en", 1.0, None)
    assert {b.index: b.language for b in result.foreign_blocks()} == {2: "es", 3: "qu"}


def test_kanji_only_headings_in_japanese_document() -> None:
    result = detect.detect_document(make_document(JAPANESE_STATEMENT))
    assert result.language == "ja"
    assert languages(result) == ["ja"] * len(JAPANESE_STATEMENT)
    assert result.foreign_blocks() == []


def test_japanese_heading_inside_english_document() -> None:
    blocks = [*MIXED_STATEMENT[:2], ("heading", "第１条"), *MIXED_STATEMENT[5:6]]
    result = detect.detect_document(make_document(blocks))
    assert result.language == "en"
    assert languages(result) == ["en", "en", "ja", "en"]


def test_portuguese_document_is_portuguese_and_refused_with_clear_message() -> None:
    result = detect.detect_document(make_document(PORTUGUESE_STATEMENT))
    assert result.language == "pt"
    assert result.language not in detect.TRANSLATABLE
    assert detect.unsupported_message(result.language) == (
        "cannot translate from Portuguese (pt): this pipeline translates from en, es, ja"
    )
    assert detect.unsupported_message("de") == (
        "cannot translate from German (de): this pipeline translates from en, es, ja"
    )
    assert detect.unsupported_message("xx") == (
        "cannot translate from xx: this pipeline translates from en, es, ja"
    )


def test_low_confidence_warning() -> None:
    unsure = detect.detect_document(make_document([("paragraph", "Ok")]))
    assert unsure.confidence < detect.LOW_CONFIDENCE
    assert unsure.warning and "--from" in unsure.warning
    sure = detect.detect_document(make_document(MIXED_STATEMENT))
    assert sure.confidence >= detect.LOW_CONFIDENCE
    assert sure.warning is None


def test_empty_document_is_undetermined() -> None:
    result = detect.detect_document(make_document([("paragraph", "   "), ("paragraph", "42")]))
    assert result.language == detect.UNDETERMINED
    assert result.confidence == 0.0
    assert languages(result) == [detect.UNDETERMINED] * 2


def test_same_answer_on_every_run() -> None:
    doc = make_document(MIXED_STATEMENT)
    first = detect.detect_document(doc)
    for _ in range(5):
        assert detect.detect_document(doc) == first
    texts = [text for _, text in MIXED_STATEMENT]
    expected = [list(detect.detect_text(t)) for t in texts]
    code = (
        "import json, sys\n"
        "from pipeline.detect import detect_text\n"
        "print(json.dumps([list(detect_text(t)) for t in json.loads(sys.stdin.read())]))\n"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(fresh.stdout) == expected


@pytest.fixture
def statement_files(tmp_path: Path) -> tuple[Path, Path]:
    mixed = tmp_path / "statement.txt"
    mixed.write_text("\n\n".join(text for _, text in MIXED_STATEMENT) + "\n", encoding="utf-8")
    portuguese = tmp_path / "declaracao.txt"
    portuguese.write_text(
        "\n\n".join(text for _, text in PORTUGUESE_STATEMENT) + "\n", encoding="utf-8"
    )
    return mixed, portuguese


def test_cli_json_blocks_shape(cli, statement_files: tuple[Path, Path], tmp_path: Path) -> None:
    mixed, portuguese = statement_files
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\x00\x01\x02binary")
    proc = cli("detect", str(mixed), str(broken), str(portuguese), "--json", "--blocks")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"{broken}: looks like binary data, not text"]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [obj["path"] for obj in lines] == [str(mixed), str(portuguese)]
    first = lines[0]
    assert set(first) == {"path", "language", "confidence", "warning", "blocks"}
    assert first["language"] == "en" and first["warning"] is None
    assert [b["index"] for b in first["blocks"]] == list(range(len(MIXED_STATEMENT)))
    assert all(set(b) == {"index", "language", "confidence", "text"} for b in first["blocks"])
    assert first["blocks"][2] == {
        "index": 2,
        "language": "es",
        "confidence": first["blocks"][2]["confidence"],
        "text": SPANISH_QUOTE,
    }
    assert lines[1]["language"] == "pt"


def test_cli_plain_output(cli, statement_files: tuple[Path, Path]) -> None:
    mixed, _ = statement_files
    proc = cli("detect", str(mixed))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{mixed}: English (en), confidence ")
    with_blocks = cli("detect", str(mixed), "--blocks")
    assert "es  " in with_blocks.stdout and "¡El pueblo unido" in with_blocks.stdout


@requires_apertium
def test_spanish_quote_in_english_statement_stays_as_written_in_the_english_export(
    cli, statement_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """The export into the document's own language is the original as written: no engine
    runs en→en (a misdetected block would otherwise be garbled), the quote stays Spanish."""
    import docx

    mixed, _ = statement_files
    out = tmp_path / "out"
    args = ["translate", str(mixed), "--to", "en,es", "--formats", "docx", "--out", str(out)]
    proc = cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    text = "\n".join(
        p.text for p in docx.Document(str(out / "statement" / "statement.en.docx")).paragraphs
    )
    assert "Los mineros no están solos" in text
    report = json.loads((out / "statement" / "report.json").read_text(encoding="utf-8"))
    en = report["targets"]["en"]
    assert en["engine"] == "identity" and en["segments"]["machine_translated"] == 0
    quote = next(b for b in en["foreign_blocks"] if b["language"] == "es")
    assert quote["action"].startswith("kept (the original's own language")
    es = report["targets"]["es"]
    assert next(b for b in es["foreign_blocks"] if b["language"] == "es")["action"] == "identity"


@requires_apertium
def test_portuguese_statement_is_refused(
    cli, statement_files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, portuguese = statement_files
    proc = cli(
        "translate", str(portuguese), "--to", "en", "--formats", "docx", "--out", str(tmp_path)
    )
    assert proc.returncode == 1
    assert "Portuguese (pt)" in proc.stderr
    assert not (tmp_path / "declaracao" / "declaracao.en.docx").exists()


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("lang", ["en", "es", "ja"])
def test_corpus_blocks_with_context_meet_target(lang: str) -> None:
    lines = _lines(CORPUS / f"{lang}.txt")
    result = detect.detect_blocks(lines)
    assert result.language == lang
    for low, high in ((0, 40), (41, 120), (121, 10**9)):
        picked = [
            b for b, line in zip(result.blocks, lines, strict=True) if low <= len(line) <= high
        ]
        right = sum(b.language == lang for b in picked)
        assert right >= 0.99 * len(picked), (low, high, right, len(picked))


@pytest.mark.parametrize("lang", ["pt", "gl", "it", "ca", "fr"])
def test_confusable_documents_reported_as_what_they_are(lang: str) -> None:
    lines = _lines(CONFUSABLE / f"{lang}.txt")
    chunks = [lines[i : i + 10] for i in range(0, len(lines), 10)]
    found = [detect.detect_blocks(chunk).language for chunk in [lines, *chunks]]
    assert sum(f == lang for f in found) >= 0.95 * len(found), found


def test_unsure_short_block_keeps_the_document_language():
    """A two-word table cell that fastText half-thinks is Portuguese stays Spanish."""
    from pipeline.detect import detect_blocks

    result = detect_blocks(
        [
            "Huelga en la mina",
            "Aumento salarial",
            "Reincorporación",
            "Los trabajadores siguen en huelga indefinida contra los despidos de la empresa.",
        ]
    )
    assert result.language == "es"
    assert [b.language for b in result.blocks] == ["es"] * 4


# --- --detector langdetect (issue 13) ---------------------------------------------------


def test_langdetect_detector_is_deterministic_and_agrees_on_clear_text() -> None:
    texts = {
        "es": "Exigimos la liberación inmediata de los siete dirigentes sindicales.",
        "en": "We demand the immediate release of the seven union leaders.",
        "pt": "Exigimos a libertação imediata dos sete dirigentes sindicais presos.",
        "ja": "私たちは七人の労働組合指導者の即時釈放を要求します。",
    }
    for lang, text in texts.items():
        answers = {detect.detect_text(text, "langdetect") for _ in range(5)}
        assert len(answers) == 1
        assert answers.pop()[0] == lang
    doc = Document(blocks=[Block("paragraph", [Span(t)]) for t in texts.values()][:2])
    first = detect.detect_document(doc, detector="langdetect")
    assert first == detect.detect_document(doc, detector="langdetect")


def test_unknown_detector_is_one_line() -> None:
    with pytest.raises(detect.DetectorUnavailable, match="^unknown detector 'cld3': use one of"):
        detect.detect_blocks(["some text"], detector="cld3")


def test_fasttext_stays_the_default() -> None:
    assert detect.DEFAULT_DETECTOR == "fasttext" and detect.DETECTORS == ("fasttext", "langdetect")


def test_a_short_statement_with_kana_is_surely_japanese() -> None:
    """Kana are no guess: a two-line Japanese statement is not "unsure" for being short,
    while a few Han characters alone (Chinese as well) still are."""
    found = detect.detect_blocks(["連帯声明", "私たちはカサパルカの鉱山労働者の釈放を要求します。"])
    assert found.language == "ja" and found.confidence >= detect.LOW_CONFIDENCE
    han_only = detect.detect_blocks(["連帯声明"])
    assert han_only.language == "ja" and han_only.confidence < detect.LOW_CONFIDENCE
