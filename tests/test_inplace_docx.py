"""In-place DOCX translation: every element of the letterhead statement survives, translated.

The input is built at test time (``tests/fixtures/office.py``); the outputs are read back per
element: header/footer text, images, run formatting, styles, the table, fields, bookmarks,
the hyperlink, the footnote, the text box, tracked changes, languages, and every zip entry
that was not rewritten.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline import inplace
from pipeline.document import Document
from pipeline.engines.base import Translation
from pipeline.inplace.common import InplaceError
from pipeline.segment import rebuild_block, segment_document
from tests.fixtures import office
from tests.fixtures.engines import BracketEngine

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
}
REWRITTEN = {
    "word/document.xml",
    "word/header1.xml",
    "word/footer1.xml",
    "word/footnotes.xml",
    "word/styles.xml",
    "word/comments.xml",
}


def translate(doc: Document, engine: object, src: str, tgt: str) -> Document:
    """The translate stage in miniature: segments → engine → blocks rebuilt from markers."""
    blocks = []
    for sb in segment_document(doc, src):
        texts = [s.text for s in sb.segments]
        results: list[Translation] = engine.translate(texts, src, tgt) if texts else []  # type: ignore[attr-defined]
        blocks.append(rebuild_block(sb, [t.text for t in results], tgt))
    return Document(blocks=blocks, source_format=doc.source_format, lang=tgt)


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(name))


def text_of(element: etree._Element) -> str:
    return "".join(element.xpath(".//w:t/text()", namespaces=NS))


def paragraphs(root: etree._Element) -> list[etree._Element]:
    return root.xpath("//w:p", namespaces=NS)


@pytest.fixture(scope="module")
def letterhead(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return office.letterhead_docx(tmp_path_factory.mktemp("docx") / "letterhead.docx")


@pytest.fixture(scope="module")
def translated(letterhead: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = inplace.read(letterhead)
    out = tmp_path_factory.mktemp("out") / "letterhead.es.docx"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "es"), "es", out
    )
    return out


def test_reads_every_part_in_a_stable_order(letterhead: Path) -> None:
    source = inplace.read(letterhead)
    texts = [b.text for b in source.document.blocks]
    assert texts[0] == office.TITLE
    assert source.document.blocks[0].kind == "title"
    # body first (text box and table cells included), then header, footer, footnote
    for expected in (office.RED, office.TEXT_BOX, *office.CELL_ITEMS, office.QUOTE):
        assert any(expected in t for t in texts), expected
    assert texts.index(office.ORGANISATION) > texts.index(office.QUOTE)
    assert texts[-2:] == [office.FOOTNOTE, office.COMMENT]
    assert source.document.blocks[-2].kind == "footnote"
    cells = [b for b in source.document.blocks if b.kind == "table_cell"]
    assert {(b.row, b.col) for b in cells} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    # the text box appears once although the package holds it twice (DrawingML + VML)
    assert sum(office.TEXT_BOX in t for t in texts) == 1
    assert inplace.read(letterhead).document.blocks == source.document.blocks


def test_tracked_changes_are_read_accepted(letterhead: Path) -> None:
    source = inplace.read(letterhead)
    text = source.document.text
    assert office.INSERTED + " today." in text
    assert office.DELETED not in text
    assert source.tracked_changes == 2


def test_formatting_becomes_markers_and_objects_placeholders(letterhead: Path) -> None:
    source = inplace.read(letterhead)
    segments = [s.text for sb in segment_document(source.document, "en") for s in sb.segments]
    assert f"<g1>{office.RED}</g1>" in segments
    assert f"Read more on <g1>{office.LINK_TEXT}</g1> every day." in segments
    assert "The <x1/>strike<x2/> goes on until the end of the month." in segments
    assert "The union will not give up.<x1/>" in segments
    # the field and the footnote mark at the edges never reach the engine
    assert "Contact: <x1/>, page" in segments  # the address is verbatim
    assert office.FOOTNOTE in segments
    assert not any("PAGE" in s for s in segments)


def test_header_footer_footnote_and_text_box_translated(translated: Path) -> None:
    header = text_of(part(translated, "word/header1.xml"))
    footer = text_of(part(translated, "word/footer1.xml"))
    assert "⟦Workers⟧ ⟦Solidarity⟧ ⟦Committee⟧" in header
    assert "⟦Contact⟧" in footer
    footnotes = text_of(part(translated, "word/footnotes.xml"))
    assert "⟦The⟧ ⟦union⟧ ⟦was⟧ ⟦founded⟧ ⟦in⟧ 1952." in footnotes
    body = part(translated, "word/document.xml")
    boxes = body.xpath("//w:txbxContent", namespaces=NS)
    assert len(boxes) == 2  # DrawingML and its VML fallback
    assert all(text_of(box) == "⟦Join⟧ ⟦the⟧ ⟦march⟧ ⟦on⟧ ⟦Friday⟧." for box in boxes)
    assert "⟦Free⟧ ⟦the⟧ ⟦jailed⟧ ⟦leaders⟧" in text_of(body)


def test_comment_translated_and_anchored(translated: Path) -> None:
    comments = part(translated, "word/comments.xml")
    assert text_of(comments) == "⟦Check⟧ ⟦the⟧ ⟦date⟧ ⟦with⟧ ⟦the⟧ ⟦union⟧."
    assert comments.xpath("count(//w:annotationRef)", namespaces=NS) == 1
    body = part(translated, "word/document.xml")
    anchored = next(p for p in paragraphs(body) if "⟦noon⟧" in text_of(p))
    names = [etree.QName(c).localname for c in anchored]
    assert names[0] == "commentRangeStart" and "commentRangeEnd" in names
    assert anchored.xpath("count(.//w:commentReference)", namespaces=NS) == 1


def test_body_document_leaves_out_headers_footers_comments(letterhead: Path) -> None:
    source = inplace.read(letterhead)
    body = inplace.body_document(source.skeleton, source.document)
    texts = [b.text for b in body.blocks]
    assert office.TITLE in texts and office.FOOTNOTE in texts and office.TEXT_BOX in texts
    for left_out in (office.ORGANISATION, office.COMMENT):
        assert left_out not in texts
    assert not any(t.startswith("Contact") for t in texts)


def test_untouched_entries_are_byte_identical(letterhead: Path, translated: Path) -> None:
    with zipfile.ZipFile(letterhead) as a, zipfile.ZipFile(translated) as b:
        assert a.namelist() == b.namelist()
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
        for name in a.namelist():
            assert a.getinfo(name).compress_type == b.getinfo(name).compress_type
    assert changed <= REWRITTEN
    assert "word/document.xml" in changed


def test_images_and_sizes_equal(letterhead: Path, translated: Path) -> None:
    for name in ("word/document.xml", "word/header1.xml"):
        before, after = part(letterhead, name), part(translated, name)
        extents = "//wp:extent/@cx | //wp:extent/@cy"
        assert before.xpath(extents, namespaces=NS) == after.xpath(extents, namespaces=NS)
        blips = "//a:blip/@r:embed"
        assert before.xpath(blips, namespaces=NS) == after.xpath(blips, namespaces=NS)
    assert len(part(translated, "word/header1.xml").xpath("//a:blip", namespaces=NS)) == 1
    assert len(part(translated, "word/document.xml").xpath("//a:blip", namespaces=NS)) == 1


def _run_props(root: etree._Element, text: str) -> etree._Element:
    for run in root.xpath("//w:r[w:t]", namespaces=NS):
        if text in text_of(run):
            return run.find(f"{{{W}}}rPr")
    raise AssertionError(f"no run with {text!r}")


def test_run_colour_size_font_kept(translated: Path) -> None:
    rpr = _run_props(part(translated, "word/document.xml"), "⟦Free⟧ ⟦them⟧ ⟦now⟧!")
    assert rpr.find(f"{{{W}}}color").get(f"{{{W}}}val") == "C00000"
    assert rpr.find(f"{{{W}}}sz").get(f"{{{W}}}val") == "28"
    assert rpr.find(f"{{{W}}}rFonts").get(f"{{{W}}}ascii") == "Liberation Sans"
    plain = _run_props(part(translated, "word/document.xml"), "⟦We⟧ ⟦stand⟧")
    assert plain.find(f"{{{W}}}color") is None
    header = _run_props(part(translated, "word/header1.xml"), "⟦Workers⟧")
    assert header.find(f"{{{W}}}b") is not None


def test_styles_and_table_structure_equal(letterhead: Path, translated: Path) -> None:
    before, after = part(letterhead, "word/document.xml"), part(translated, "word/document.xml")
    style = "//w:p/w:pPr/w:pStyle/@w:val"
    assert before.xpath(style, namespaces=NS) == after.xpath(style, namespaces=NS)
    assert before.xpath("//w:sectPr", namespaces=NS)[0].getparent().tag == f"{{{W}}}body"
    sect = [etree.tostring(s) for s in after.xpath("//w:sectPr", namespaces=NS)]
    assert sect == [etree.tostring(s) for s in before.xpath("//w:sectPr", namespaces=NS)]
    for query in ("count(//w:tbl)", "count(//w:tr)", "count(//w:tc)", "count(//w:tc/w:p)"):
        assert before.xpath(query, namespaces=NS) == after.xpath(query, namespaces=NS), query
    bullets = "//w:tc/w:p/w:pPr/w:pStyle[@w:val='ListBullet']"
    assert len(after.xpath(bullets, namespaces=NS)) == 2
    cell = after.xpath("//w:tr[2]/w:tc[2]", namespaces=NS)[0]
    assert [text_of(p) for p in cell.findall(f"{{{W}}}p")] == [
        "⟦March⟧ ⟦on⟧ ⟦Monday⟧.",
        "⟦Strike⟧ ⟦on⟧ ⟦Friday⟧.",
    ]
    styles_before, styles_after = (
        part(letterhead, "word/styles.xml"),
        part(translated, "word/styles.xml"),
    )
    ids = "//w:style/@w:styleId"
    assert styles_before.xpath(ids, namespaces=NS) == styles_after.xpath(ids, namespaces=NS)


def test_fields_bookmarks_links_notes_present(translated: Path) -> None:
    footer = part(translated, "word/footer1.xml")
    kinds = footer.xpath("//w:fldChar/@w:fldCharType", namespaces=NS)
    assert kinds == ["begin", "separate", "end"]
    assert "PAGE" in "".join(footer.xpath("//w:instrText/text()", namespaces=NS))
    body = part(translated, "word/document.xml")
    marked = next(p for p in paragraphs(body) if "⟦strike⟧" in text_of(p))
    children = [etree.QName(c).localname for c in marked]
    start, end = children.index("bookmarkStart"), children.index("bookmarkEnd")
    assert "⟦strike⟧" in "".join(text_of(c) for c in list(marked)[start:end])
    assert marked.find(f"{{{W}}}bookmarkStart").get(f"{{{W}}}name") == "strike"
    link = body.xpath("//w:hyperlink", namespaces=NS)
    assert len(link) == 1 and text_of(link[0]) == "⟦our⟧ ⟦website⟧"
    assert link[0].get(f"{{{NS['r']}}}id")
    assert body.xpath("count(//w:footnoteReference)", namespaces=NS) == 1
    noted = next(p for p in paragraphs(body) if p.xpath(".//w:footnoteReference", namespaces=NS))
    assert "⟦union⟧" in text_of(noted)


def test_tracked_changes_accepted_in_output(translated: Path) -> None:
    body = part(translated, "word/document.xml")
    assert body.xpath("count(//w:ins | //w:del | //w:delText)", namespaces=NS) == 0
    assert "⟦The⟧ ⟦workers⟧ ⟦demand⟧ ⟦justice⟧ ⟦today⟧." in text_of(body)


def test_languages_set(translated: Path) -> None:
    styles = part(translated, "word/styles.xml")
    lang = styles.xpath("//w:docDefaults/w:rPrDefault/w:rPr/w:lang", namespaces=NS)[0]
    assert lang.get(f"{{{W}}}val") == "es-ES"
    body = part(translated, "word/document.xml")
    runs = body.xpath("//w:r[w:t]", namespaces=NS)
    assert runs and all(
        r.xpath("string(w:rPr/w:lang/@w:val)", namespaces=NS) == "es-ES" for r in runs
    )


def test_japanese_sets_east_asian_language_and_font(letterhead: Path, tmp_path: Path) -> None:
    source = inplace.read(letterhead)
    out = tmp_path / "letterhead.ja.docx"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "ja"), "ja", out
    )
    styles = part(out, "word/styles.xml")
    rpr = styles.xpath("//w:docDefaults/w:rPrDefault/w:rPr", namespaces=NS)[0]
    assert rpr.find(f"{{{W}}}lang").get(f"{{{W}}}eastAsia") == "ja-JP"
    assert rpr.find(f"{{{W}}}rFonts").get(f"{{{W}}}eastAsia")
    red = _run_props(part(out, "word/document.xml"), "⟦Free⟧ ⟦them⟧")
    fonts = red.find(f"{{{W}}}rFonts")
    assert fonts.get(f"{{{W}}}ascii") == "Liberation Sans" and fonts.get(f"{{{W}}}eastAsia")
    # rPr children stay in schema order (rFonts first, lang after colour and size)
    names = [etree.QName(c).localname for c in red]
    assert names.index("rFonts") < names.index("color") < names.index("sz") < names.index("lang")


def test_lost_markers_do_not_lose_objects(letterhead: Path, tmp_path: Path) -> None:
    source = inplace.read(letterhead)
    out = tmp_path / "dropped.docx"
    engine = BracketEngine(drop_markers=True)
    doc = translate(source.document, engine, "en", "es")
    inplace.write(source.skeleton, doc, "es", out)
    body = part(out, "word/document.xml")
    assert body.xpath("count(//w:bookmarkStart)", namespaces=NS) == 1
    assert body.xpath("count(//w:footnoteReference)", namespaces=NS) == 1
    assert body.xpath("count(//w:hyperlink)", namespaces=NS) == 1


def test_write_refuses_a_different_document(letterhead: Path, tmp_path: Path) -> None:
    source = inplace.read(letterhead)
    short = Document(blocks=source.document.blocks[:2])
    with pytest.raises(InplaceError, match="blocks"):
        inplace.write(source.skeleton, short, "es", tmp_path / "x.docx")
    assert not (tmp_path / "x.docx").exists()


def test_main_part_found_through_relationships(letterhead: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved.docx"
    with zipfile.ZipFile(letterhead) as zin, zipfile.ZipFile(moved, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename
            if name == "word/document.xml":
                name = "word/main.xml"
            elif name == "word/_rels/document.xml.rels":
                name = "word/_rels/main.xml.rels"
            elif name in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"word/document.xml", b"word/main.xml")
            zout.writestr(name, data)
    source = inplace.read(moved)
    assert source.document.blocks[0].text == office.TITLE
    out = tmp_path / "moved.es.docx"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "es"), "es", out
    )
    assert "⟦Free⟧" in text_of(part(out, "word/main.xml"))


def test_bad_inputs_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InplaceError, match="not a valid .docx file .damaged or truncated zip"):
        inplace.read(bad)
    (tmp_path / "empty.odt").write_bytes(b"")
    with pytest.raises(InplaceError, match="the file is empty"):
        inplace.read(tmp_path / "empty.odt")
    from docx import Document as new_docx

    new_docx().save(str(tmp_path / "blank.docx"))
    with pytest.raises(InplaceError, match="no text found"):
        inplace.read(tmp_path / "blank.docx")
    with pytest.raises(InplaceError, match="needs one of .docx, .odt, .pdf, .pptx"):
        inplace.read(tmp_path / "notes.rtf")


apertium = pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium not installed")
libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice not installed"
)


@apertium
@libreoffice
def test_apertium_en_es_and_libreoffice_pdf(letterhead: Path, tmp_path: Path) -> None:
    from pipeline.engines.apertium import ApertiumEngine
    from pipeline.export.libreoffice import write_pdf

    source = inplace.read(letterhead)
    doc = translate(source.document, ApertiumEngine(), "en", "es")
    out = tmp_path / "letterhead.es.docx"
    inplace.write(source.skeleton, doc, "es", out)
    header = text_of(part(out, "word/header1.xml"))
    assert "Comité" in header, header
    body = part(out, "word/document.xml")
    red = next(
        r
        for r in body.xpath("//w:r[w:rPr/w:color/@w:val='C00000']", namespaces=NS)
        if text_of(r).strip()
    )
    assert text_of(red) != office.RED and text_of(red).strip()
    assert "Comité" in text_of(part(out, "word/header1.xml"))
    assert body.xpath("count(//w:bookmarkStart)", namespaces=NS) == 1
    assert body.xpath("count(//w:hyperlink)", namespaces=NS) == 1
    pdf = tmp_path / "letterhead.es.pdf"
    write_pdf(out, pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert sorted((int(line.split()[3]), int(line.split()[4])) for line in listing) == [
        (120, 60),
        (300, 200),
    ]
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Comité" in text


def test_proofing_marks_do_not_split_words(tmp_path: Path) -> None:
    from docx import Document as new_docx

    doc = new_docx()
    para = doc.add_paragraph()
    runs = etree.fromstring(
        f'<root xmlns:w="{W}">'
        '<w:r><w:t xml:space="preserve">Solidar</w:t></w:r>'
        '<w:proofErr w:type="spellStart"/>'
        '<w:r><w:rPr><w:noProof/><w:lang w:val="en-US"/></w:rPr><w:t>ity</w:t></w:r>'
        '<w:proofErr w:type="spellEnd"/>'
        '<w:r><w:rPr><w:rFonts w:hint="eastAsia"/><w:szCs w:val="24"/></w:rPr>'
        '<w:t xml:space="preserve"> forever</w:t></w:r></root>'
    )
    for child in list(runs):
        para._p.append(child)
    path = tmp_path / "proof.docx"
    doc.save(str(path))
    source = inplace.read(path)
    segments = [s.text for sb in segment_document(source.document, "en") for s in sb.segments]
    assert segments == ["Solidarity forever"]


RUN_TEXT = st.text(alphabet="ab cñ.日", min_size=1, max_size=6)
RUN = st.tuples(
    RUN_TEXT,
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, "C00000", "0000FF"]),
    st.sampled_from(["", "tab", "br", "bookmark"]),
)


def _formatted_runs(para: etree._Element) -> tuple[str, list[str]]:
    """The paragraph's text (tabs and breaks as ``|``) and the visible run properties of each
    character that is not white space (formatting on white space alone is not carried)."""
    text, props_per_char = "", []
    for run in para.iter(f"{{{W}}}r"):
        rpr = run.find(f"{{{W}}}rPr")
        props = ""
        if rpr is not None:
            props = ",".join(
                sorted(
                    f"{etree.QName(c).localname}={c.get(f'{{{W}}}val', '')}"
                    for c in rpr
                    if etree.QName(c).localname in ("b", "i", "color")
                )
            )
        piece = "".join(
            c.text or "" if c.tag == f"{{{W}}}t" else "|" for c in run if c.tag != f"{{{W}}}rPr"
        )
        text += piece
        props_per_char.extend(props for ch in piece if not ch.isspace())
    return text, props_per_char


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(paragraphs_runs=st.lists(st.lists(RUN, min_size=1, max_size=6), min_size=1, max_size=4))
def test_identity_write_keeps_every_run(
    paragraphs_runs: list[list[tuple[str, bool, bool, str | None, str]]], tmp_path: Path
) -> None:
    """Writing a document back as it was read keeps every run's text and formatting."""
    from docx import Document as new_docx

    # A document with no text at all is refused by read() (its own test covers that).
    assume(any(text.strip() for runs in paragraphs_runs for text, *_ in runs))
    from docx.shared import RGBColor

    doc = new_docx()
    for runs in paragraphs_runs:
        para = doc.add_paragraph()
        for n, (text, bold, italic, colour, extra) in enumerate(runs):
            run = para.add_run(text)
            run.bold, run.italic = bold or None, italic or None
            if colour:
                run.font.color.rgb = RGBColor.from_string(colour)
            if extra == "tab":
                para.add_run().add_tab()
            elif extra == "br":
                para.add_run().add_break()
            elif extra == "bookmark":
                para._p.append(
                    etree.fromstring(f'<w:bookmarkStart xmlns:w="{W}" w:id="{n}" w:name="b{n}"/>')
                )
    path = tmp_path / "runs.docx"
    doc.save(str(path))
    source = inplace.read(path)
    out = tmp_path / "runs.out.docx"
    inplace.write(source.skeleton, source.document, "en", out)
    before = paragraphs(part(path, "word/document.xml"))
    after = paragraphs(part(out, "word/document.xml"))
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        assert _formatted_runs(a) == _formatted_runs(b)
        assert a.xpath("count(.//w:bookmarkStart)", namespaces=NS) == b.xpath(
            "count(.//w:bookmarkStart)", namespaces=NS
        )
    # Through segments and markers (an engine that copies): every character keeps its format.
    copied = translate(source.document, _Copy(), "en", "en")
    inplace.write(source.skeleton, copied, "en", out)
    after = paragraphs(part(out, "word/document.xml"))
    for a, b in zip(before, after, strict=True):
        assert _formatted_runs(a)[1] == _formatted_runs(b)[1]


class _Copy:
    def translate(self, texts: list[str], src: str, tgt: str) -> list[Translation]:
        return [Translation(t) for t in texts]


def test_content_controls(tmp_path: Path) -> None:
    """An open inline content control is translated inside it; a data-bound one is kept."""
    from docx import Document as new_docx

    doc = new_docx()
    para = doc.add_paragraph("Signed by ")
    for child in etree.fromstring(
        f'<root xmlns:w="{W}">'
        '<w:sdt><w:sdtPr><w:alias w:val="Signer"/><w:id w:val="5"/></w:sdtPr>'
        "<w:sdtContent><w:r><w:rPr><w:b/></w:rPr><w:t>the committee</w:t></w:r></w:sdtContent>"
        '</w:sdt><w:r><w:t xml:space="preserve"> on </w:t></w:r>'
        '<w:sdt><w:sdtPr><w:dataBinding w:xpath="/date" w:storeItemID="{1}"/><w:id w:val="6"/>'
        "</w:sdtPr><w:sdtContent><w:r><w:t>Monday</w:t></w:r></w:sdtContent></w:sdt>"
        "<w:r><w:t>.</w:t></w:r></root>"
    ):
        para._p.append(child)
    path = tmp_path / "controls.docx"
    doc.save(str(path))
    source = inplace.read(path)
    segments = [s.text for sb in segment_document(source.document, "en") for s in sb.segments]
    assert segments == ["Signed by <g1>the committee</g1> on <x2/>."]
    out = tmp_path / "controls.es.docx"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "es"), "es", out
    )
    body = part(out, "word/document.xml")
    controls = body.xpath("//w:sdt", namespaces=NS)
    assert len(controls) == 2
    assert controls[0].xpath("string(w:sdtPr/w:alias/@w:val)", namespaces=NS) == "Signer"
    assert text_of(controls[0]) == "⟦the⟧ ⟦committee⟧"
    assert controls[0].xpath("count(.//w:b)", namespaces=NS) == 1
    assert text_of(controls[1]) == "Monday"
    assert text_of(body).startswith("⟦Signed⟧ ⟦by⟧ ⟦the⟧ ⟦committee⟧ ⟦on⟧ Monday.")


def test_hyperlink_fields_translate_their_shown_words(tmp_path: Path) -> None:
    """HYPERLINK fields (complex and simple) keep their code; the words they show are text."""
    from docx import Document as new_docx

    doc = new_docx()
    para = doc.add_paragraph("Read ")
    for child in etree.fromstring(
        f'<root xmlns:w="{W}">'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://example.org" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        '<w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t>our site</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:r><w:t xml:space="preserve"> and </w:t></w:r>'
        '<w:fldSimple w:instr=" HYPERLINK &quot;https://example.org/a&quot; ">'
        "<w:r><w:t>the archive</w:t></w:r></w:fldSimple>"
        '<w:r><w:t xml:space="preserve"> on page </w:t></w:r>'
        '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        "<w:r><w:t>.</w:t></w:r></root>"
    ):
        para._p.append(child)
    path = tmp_path / "links.docx"
    doc.save(str(path))
    source = inplace.read(path)
    segments = [s.text for sb in segment_document(source.document, "en") for s in sb.segments]
    assert segments == ["Read <x1/><g2>our site</g2><x3/> and <g4>the archive</g4> on page <x5/>."]
    assert [s.link for s in source.document.blocks[0].spans if s.text == "the archive"] == [
        "https://example.org/a"
    ]
    out = tmp_path / "links.es.docx"
    inplace.write(
        source.skeleton, translate(source.document, BracketEngine(), "en", "es"), "es", out
    )
    body = part(out, "word/document.xml")
    (para_out,) = body.xpath("//w:body/w:p", namespaces=NS)
    assert text_of(para_out) == "⟦Read⟧ ⟦our⟧ ⟦site⟧ ⟦and⟧ ⟦the⟧ ⟦archive⟧ ⟦on⟧ ⟦page⟧ 1."
    assert "HYPERLINK" in "".join(para_out.xpath(".//w:instrText/text()", namespaces=NS))
    assert para_out.xpath(
        "w:fldChar/@w:fldCharType | w:r/w:fldChar/@w:fldCharType", namespaces=NS
    ) == [
        "begin",
        "separate",
        "end",
    ]
    simple = para_out.xpath("w:fldSimple", namespaces=NS)
    assert [text_of(f) for f in simple] == ["⟦the⟧ ⟦archive⟧", "1"]
    underlined = para_out.xpath("w:r[w:rPr/w:u]", namespaces=NS)
    assert [text_of(r) for r in underlined] == ["⟦our⟧ ⟦site⟧"]


def test_offline_copy_points_external_resources_inside(letterhead: Path, tmp_path: Path) -> None:
    """The copy LibreOffice converts links to nothing outside; the output keeps its links."""
    linked = tmp_path / "linked.docx"
    with zipfile.ZipFile(letterhead) as zin, zipfile.ZipFile(linked, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdRemote" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/image" Target="http://127.0.0.1:9/a.png" '
                    b'TargetMode="External"/></Relationships>',
                )
            zout.writestr(info.filename, data)
    source = inplace.read(linked)
    assert source.document.notes == [
        "1 linked image outside the file not fetched (reading is offline): http://127.0.0.1:9/a.png"
    ]
    kept, offline = tmp_path / "kept.docx", tmp_path / "offline.docx"
    inplace.write(source.skeleton, source.document, "en", kept)
    inplace.write(source.skeleton, source.document, "en", offline, offline=True)
    rels = "word/_rels/document.xml.rels"
    with zipfile.ZipFile(kept) as z:
        assert b"http://127.0.0.1:9/a.png" in z.read(rels)
    with zipfile.ZipFile(offline) as z:
        data = z.read(rels)
    assert b"http://127.0.0.1:9/a.png" not in data
    assert office.URL.encode() in data  # hyperlinks stay: nothing loads them
