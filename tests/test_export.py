"""Structure through translation, DOCX styles/language/fonts, PDF text and fonts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from pipeline.engines.registry import EngineSet
from pipeline.ingest import read_document
from pipeline.run import run_batch
from tests.conftest import requires_poppler
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import batch


@pytest.fixture(scope="module")
def translated(tmp_path_factory):
    """All three sample statements through the test engine into en, es and ja."""
    source_docs = Path(__file__).resolve().parents[1] / "source_docs"
    out = tmp_path_factory.mktemp("out")
    engines = EngineSet.with_engines("test", {"test": BracketEngine()})
    options = batch(
        paths=[source_docs], out_dir=out, allow_blocking=True
    )  # the bracket engine's ⟦words⟧ look like English to QA
    result = run_batch(options, engines=engines)
    assert result.failures == []
    return out


def _kinds(doc):
    return [(b.kind, b.level) for b in doc.blocks]


def test_structure_survives_translation(translated: Path, source_docs: Path):
    source = read_document(source_docs / "solidarity-statement.md")
    target = read_document(translated / "solidarity-statement" / "solidarity-statement.es.docx")
    assert _kinds(target) == _kinds(source)
    spans = [s for b in target.blocks for s in b.spans]
    assert any(s.bold and s.text == "⟦trade⟧ ⟦unionists⟧" for s in spans)
    assert any(s.italic and s.text == "⟦seven⟧ ⟦leaders⟧" for s in spans)
    assert any(
        s.link == "https://example.org/casapalca" and s.text == "⟦our⟧ ⟦website⟧" for s in spans
    )
    notes = [b for b in target.blocks if b.kind == "footnote"]
    assert notes and notes[0].text.startswith("⟦The⟧ ⟦mine⟧")


def _styles(path: Path) -> list[str]:
    return [p.style.name for p in docx.Document(str(path)).paragraphs]


def test_docx_uses_real_word_styles(translated: Path):
    styles = _styles(translated / "solidarity-statement" / "solidarity-statement.es.docx")
    for wanted in ("Title", "Subtitle", "Heading 1", "List Bullet", "Quote"):
        assert wanted in styles
    word = docx.Document(str(translated / "solidarity-statement" / "solidarity-statement.es.docx"))
    assert word.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
    )


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-GB"), ("es", "es-ES"), ("ja", "ja-JP")])
def test_docx_language_fonts_and_properties(translated: Path, lang: str, locale: str):
    path = translated / "solidarity-statement" / f"solidarity-statement.{lang}.docx"
    word = docx.Document(str(path))
    runs = [r for p in word.paragraphs for r in p.runs if r.text.strip()]
    assert runs
    for run in runs:
        rpr = run._r.rPr
        assert rpr.find(qn("w:lang")).get(qn("w:val")) == locale
        assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "Noto Serif CJK JP"
    props = word.core_properties
    assert props.language == locale
    assert props.subject == "solidarity-statement.md"
    assert props.title


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _squash(text: str) -> str:
    text = re.sub(r"\d+\s*/\s*\d+", "", text)  # page numbers
    return re.sub(r"[\s\u00ad•-]+", "", text)


@requires_poppler
@pytest.mark.parametrize(
    ("stem", "lang"),
    [
        ("solidarity-statement", "en"),
        ("declaracion-solidaridad", "es"),
        ("seimei-ja", "ja"),
        ("seimei-ja", "es"),
    ],
)
def test_pdf_text_reads_back(translated: Path, stem: str, lang: str):
    doc = read_document(translated / stem / f"{stem}.{lang}.docx")
    pdf = _pdf_text(translated / stem / f"{stem}.{lang}.pdf")
    for block in doc.blocks:
        if any(s.kind == "note_ref" for s in block.spans):
            # The footnote number sits inside the text in the PDF.
            assert re.sub(r"\d", "", _squash(block.text)) in re.sub(r"\d", "", _squash(pdf))
        else:
            assert _squash(block.text) in _squash(pdf), block.text


@requires_poppler
def test_japanese_pdf_embeds_cjk_font_and_text_matches(translated: Path, source_docs: Path):
    pdf = translated / "seimei-ja" / "seimei-ja.ja.pdf"
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes " in line for line in cjk)
    source = read_document(source_docs / "seimei-ja.txt")
    assert _squash(_pdf_text(pdf)) == _squash("".join(b.text for b in source.blocks))
