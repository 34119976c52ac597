"""In-place ODT translation: the letterhead statement as LibreOffice saves it, read back per element.

The ODT is the DOCX of ``tests/fixtures/office.py`` converted by LibreOffice headless (skipped
without it); a second, small ODT is built with odfpy for white space and tracked changes.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline import inplace
from pipeline.inplace.odt import OdtSkeleton
from tests.fixtures import office
from tests.fixtures.engines import BracketEngine
from tests.test_inplace_docx import translate

NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
TEXT = NS["text"]
libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice not installed"
)


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(name))


def text_of(element: etree._Element) -> str:
    return "".join(element.itertext())


@pytest.fixture(scope="module")
def letterhead(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed")
    folder = tmp_path_factory.mktemp("odt")
    docx = office.letterhead_docx(folder / "letterhead.docx")
    return office.to_format(docx, "odt", folder)


@pytest.fixture(scope="module")
def translated(letterhead: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = inplace.read(letterhead)
    out = tmp_path_factory.mktemp("out") / "letterhead.es.odt"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "es"), "es", out
    )
    return out


@libreoffice
def test_reads_every_element_in_order(letterhead: Path) -> None:
    source = inplace.read(letterhead)
    assert isinstance(source.skeleton, OdtSkeleton)
    blocks = source.document.blocks
    texts = [b.text for b in blocks]
    assert texts[0] == office.TITLE and blocks[0].kind == "title"
    for expected in (office.RED, office.TEXT_BOX, *office.CELL_ITEMS, office.QUOTE):
        assert any(expected in t for t in texts), expected
    assert texts.index(office.ORGANISATION) > texts.index(office.QUOTE)
    assert texts[-2:] == [office.FOOTNOTE, office.COMMENT] and blocks[-2].kind == "footnote"
    assert office.INSERTED + " today." in texts
    assert office.DELETED not in source.document.text
    assert source.tracked_changes == 2
    assert {(b.row, b.col) for b in blocks if b.kind == "table_cell"} == {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    }
    segments = [text for texts in inplace_segments(source) for text in texts]
    assert f"<g1>{office.RED}</g1>" in segments
    assert "The <x1/>strike<x2/> goes on until the end of the month." in segments
    assert f"Read more on <g1>{office.LINK_TEXT}</g1> every day." in segments


def inplace_segments(source: inplace.InplaceSource) -> list[list[str]]:
    from pipeline.segment import segment_document

    return [[s.text for s in sb.segments] for sb in segment_document(source.document, "en")]


@libreoffice
def test_text_translated_everywhere(translated: Path) -> None:
    styles = part(translated, "styles.xml")
    header = styles.xpath("//style:master-page/style:header", namespaces=NS)[0]
    footer = styles.xpath("//style:master-page/style:footer", namespaces=NS)[0]
    assert "⟦Workers⟧ ⟦Solidarity⟧ ⟦Committee⟧" in text_of(header)
    assert "⟦Contact⟧" in text_of(footer)
    assert len(footer.xpath(".//text:page-number", namespaces=NS)) == 1
    content = part(translated, "content.xml")
    body = text_of(content.find(".//office:body", NS))
    for expected in (
        "⟦Free⟧ ⟦the⟧ ⟦jailed⟧ ⟦leaders⟧",
        "⟦Free⟧ ⟦them⟧ ⟦now⟧!",
        "⟦Strike⟧ ⟦on⟧ ⟦Friday⟧.",
        "⟦Join⟧ ⟦the⟧ ⟦march⟧ ⟦on⟧ ⟦Friday⟧.",
        "⟦The⟧ ⟦union⟧ ⟦was⟧ ⟦founded⟧ ⟦in⟧ 1952.",
        "⟦The⟧ ⟦workers⟧ ⟦demand⟧ ⟦justice⟧ ⟦today⟧.",
    ):
        assert expected in body, expected
    assert office.DELETED not in body
    assert not content.xpath("//text:tracked-changes | //text:change-start", namespaces=NS)


@libreoffice
def test_structure_images_styles_kept(letterhead: Path, translated: Path) -> None:
    before, after = part(letterhead, "content.xml"), part(translated, "content.xml")
    for query in (
        "count(//table:table)",
        "count(//table:table-row)",
        "count(//table:table-cell)",
        "count(//table:table-cell//text:list-item)",
        "count(//draw:frame)",
        "count(//draw:image)",
        "count(//text:note)",
        "count(//text:bookmark-start)",
        "count(//text:a)",
    ):
        assert before.xpath(query, namespaces=NS) == after.xpath(query, namespaces=NS), query
    sizes = "//draw:frame/@svg:width | //draw:frame/@svg:height"
    assert before.xpath(sizes, namespaces=NS) == after.xpath(sizes, namespaces=NS)
    kept = "[not(ancestor::text:tracked-changes)]/@text:style-name"
    names = f"//text:p{kept} | //text:h{kept}"
    assert before.xpath(names, namespaces=NS) == after.xpath(names, namespaces=NS)
    red = next(
        s for s in after.xpath("//text:span", namespaces=NS) if "⟦Free⟧ ⟦them⟧" in text_of(s)
    )
    original = next(
        s for s in before.xpath("//text:span", namespaces=NS) if office.RED in text_of(s)
    )
    assert red.get(f"{{{TEXT}}}style-name") == original.get(f"{{{TEXT}}}style-name")
    link = after.xpath("//text:a", namespaces=NS)[0]
    assert link.get(f"{{{NS['xlink']}}}href") == office.URL
    assert text_of(link) == "⟦our⟧ ⟦website⟧"
    with zipfile.ZipFile(letterhead) as a, zipfile.ZipFile(translated) as b:
        assert a.namelist() == b.namelist()
        assert b.infolist()[0].filename == "mimetype"
        assert b.infolist()[0].compress_type == zipfile.ZIP_STORED
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
    assert changed == {"content.xml", "styles.xml"}


@libreoffice
def test_languages_set(translated: Path, letterhead: Path, tmp_path: Path) -> None:
    styles = part(translated, "styles.xml")
    default = styles.xpath(
        "//style:default-style[@style:family='paragraph']/style:text-properties", namespaces=NS
    )[0]
    assert default.get(f"{{{NS['fo']}}}language") == "es"
    assert default.get(f"{{{NS['fo']}}}country") == "ES"
    source = inplace.read(letterhead)
    out = tmp_path / "letterhead.ja.odt"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "ja"), "ja", out
    )
    default = part(out, "styles.xml").xpath(
        "//style:default-style[@style:family='paragraph']/style:text-properties", namespaces=NS
    )[0]
    assert default.get(f"{{{NS['style']}}}language-asian") == "ja"
    assert default.get(f"{{{NS['style']}}}country-asian") == "JP"
    assert default.get(f"{{{NS['style']}}}font-name-asian") == "Noto Serif CJK JP"
    faces = part(out, "styles.xml").xpath("//style:font-face/@style:name", namespaces=NS)
    assert "Noto Serif CJK JP" in faces


@libreoffice
def test_libreoffice_pdf_keeps_images(translated: Path, tmp_path: Path) -> None:
    from pipeline.export.libreoffice import write_pdf

    pdf = tmp_path / "letterhead.es.pdf"
    write_pdf(translated, pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(listing) == 2
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "⟦Workers⟧" in text and "⟦Contact⟧" in text


def test_white_space_and_changes_from_odfpy(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import P, S, Span, Tab

    doc = OpenDocumentText()
    bold = Style(name="Bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    p = P(text="Two  spaces")  # raw double space: one space in ODF
    p.addElement(S(c=3))
    p.addText("and")
    p.addElement(Tab())
    span = Span(stylename=bold, text="bold words")
    p.addElement(span)
    p.addText(" end.")
    doc.text.addElement(p)
    path = tmp_path / "spaces.odt"
    doc.save(str(path))

    source = inplace.read(path)
    # the tab separates two fields: each its own block, written back on its side of the tab
    assert [b.text for b in source.document.blocks] == ["Two spaces   and", "bold words end."]
    segments = [text for texts in inplace_segments(source) for text in texts]
    assert segments == ["Two spaces   and", "bold words <g1>end.</g1>"]
    out = tmp_path / "spaces.es.odt"
    inplace.write(source.skeleton, source.document, "es", out)
    again = inplace.read(out)
    assert [b.text for b in again.document.blocks] == [b.text for b in source.document.blocks]
    para = part(out, "content.xml").xpath("//text:p", namespaces=NS)[0]
    assert para.xpath("count(text:tab)", namespaces=NS) == 1
    assert para.xpath("text:span/text()", namespaces=NS) == ["bold words"]


@libreoffice
def test_docx_written_by_libreoffice_reads_the_same(letterhead: Path, tmp_path: Path) -> None:
    """LibreOffice's own DOCX (from the ODT) has the same translatable paragraphs."""
    from pipeline.inplace.docx import DocxSkeleton

    docx = office.to_format(letterhead, "docx", tmp_path)
    from_lo = inplace.read(docx)
    assert isinstance(from_lo.skeleton, DocxSkeleton)
    assert [b.text for b in from_lo.document.blocks] == [
        b.text for b in inplace.read(letterhead).document.blocks
    ]
    out = tmp_path / "lo.es.docx"
    inplace.write(
        from_lo.skeleton, translate(from_lo.document, BracketEngine(), "en", "es"), "es", out
    )
    again = inplace.read(out)
    assert all("⟦" in b.text for b in again.document.blocks if any(c.isalpha() for c in b.text))
