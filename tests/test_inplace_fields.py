"""Issue 20, item 4: tab-separated fields of a DOCX/ODT paragraph are separate segments written
back in their own places, whatever an engine does to word order, and code runs stay verbatim.

A neural engine may put the words of a sentence in another order ("Header ⇥ 1 ⇥ Test" became
"Prueba ⇥ 1 ⇥ de encabezamiento"); ``reversing_engine`` does that to every segment, markers and
all. Fields never share a segment, so they cannot swap.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

from pipeline import inplace, markers
from pipeline.document import Document
from pipeline.segment import rebuild_block, segment_document
from tests.fixtures import written_by_others as wbo


def reversing_engine(text: str) -> str:
    """Every word (a marker counts as one) in reverse order, upper-cased: a "translation"."""
    words = re.findall(rf"{markers.ANY_SOURCE}|[^\s<]+", text)
    return " ".join(w if markers.has_markers(w) else w.upper() for w in reversed(words))


def _translate(source: inplace.InplaceSource) -> Document:
    segmented = segment_document(source.document, "en")
    blocks = [
        rebuild_block(sb, [reversing_engine(s.text) for s in sb.segments], "es") for sb in segmented
    ]
    return Document(blocks=blocks, source_format=source.document.source_format)


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    return wbo.letter_docx(tmp_path / "letter.docx")


def test_header_fields_are_separate_segments(letter: Path) -> None:
    source = inplace.read(letter)
    texts = [s.text for sb in segment_document(source.document, "en") for s in sb.segments]
    assert "Header" in texts and "Test" in texts and "1" in texts
    assert wbo.ORGANISATION in texts and wbo.DATE in texts
    assert not [t for t in texts if "Header" in t and "Test" in t]


def test_a_reordering_engine_cannot_swap_fields(letter: Path, tmp_path: Path) -> None:
    source = inplace.read(letter)
    out = tmp_path / "letter.es.docx"
    inplace.write(source.skeleton, _translate(source), "es", out)
    header = [p.text for p in docx.Document(str(out)).sections[0].header.paragraphs]
    assert header[0].split("\t") == ["COMMITTEE SOLIDARITY WORKERS", "1", "2026 DECEMBER 4"]
    assert header[1].split("\t") == ["HEADER", "1", "TEST"]
    footer = docx.Document(str(out)).sections[0].footer.paragraphs[0].text
    assert footer.split("\t")[0] == "COMMITTEE THE CONTACT"


def test_code_runs_and_paragraphs_survive_a_reordering_engine(letter: Path, tmp_path: Path) -> None:
    source = inplace.read(letter)
    out = tmp_path / "letter.es.docx"
    inplace.write(source.skeleton, _translate(source), "es", out)
    body = docx.Document(str(out)).paragraphs
    runs = [r for p in body for r in p.runs]
    assert any(r.text == wbo.CODE_COMMAND and r.font.name == "Consolas" for r in runs)
    assert any(r.text == wbo.CODE_TAG and r.style.name == "HTML Code" for r in runs)
    text = "\n".join(p.text for p in body)
    for piece in wbo.VERBATIM_IN_TEXT:
        assert piece in text, piece
    listing = [p for p in body if p.style.name == "HTML Preformatted"]
    assert [p.text for p in listing] == [wbo.CODE_BLOCK]


def test_a_picture_is_kept_with_its_caption(tmp_path: Path) -> None:
    """Word's Caption paragraph after a photo: the photo's paragraph keeps with it, so a longer
    translation cannot push the caption onto the next page alone."""
    from tests.fixtures import office

    photo = tmp_path / "photo.png"
    photo.write_bytes(office.png(300, 200, (30, 90, 160)))
    document = docx.Document()
    document.add_paragraph("The families waited outside the prison for the whole day.")
    document.add_picture(str(photo))
    document.add_paragraph("The families outside the prison in Lima.", style="Caption")
    source_path = tmp_path / "photo.docx"
    document.save(str(source_path))
    source = inplace.read(source_path)
    out = tmp_path / "photo.es.docx"
    inplace.write(source.skeleton, _translate(source), "es", out)
    paragraphs = docx.Document(str(out)).paragraphs
    assert [p.paragraph_format.keep_with_next for p in paragraphs] == [None, True, None]
    assert paragraphs[2].text == "LIMA. IN PRISON THE OUTSIDE FAMILIES THE"
