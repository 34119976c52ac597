"""PPTX and ODP translated in place (issue 23): same slides and shapes, pictures kept, text
frames, tables, grouped shapes and speaker notes translated, autofit respected or the font
stepped down where the translation overflows; the PDF through LibreOffice.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation

from pipeline import inplace
from pipeline.document import Document, Span
from pipeline.inplace import presentation
from pipeline.inplace import slidefit as fit
from pipeline.inplace.common import InplaceError
from tests.fixtures import slides
from tests.fixtures.engines import BracketEngine
from tests.fixtures.office import to_format
from tests.test_inplace_docx import translate

requires_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
ODF = {
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}


class Longer(BracketEngine):
    """Brackets every word and adds a quarter more words (a Spanish-length translation)."""

    def translate(self, texts, src, tgt, progress=None):  # type: ignore[no-untyped-def]
        out = []
        for result in super().translate(texts, src, tgt, progress):
            words = re.findall(r"⟦[^⟧]*⟧", result.text)
            more = " ".join(words[: max(1, len(words) // 4)])
            out.append(replace(result, text=f"{result.text} {more}"))
        return out


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return slides.statement_pptx(tmp_path_factory.mktemp("pptx") / "deck.pptx")


@pytest.fixture(scope="module")
def translated(deck: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = inplace.read(deck)
    out = tmp_path_factory.mktemp("out") / "deck.es.pptx"
    inplace.write(source.skeleton, translate(source.document, Longer(), "en", "es"), "es", out)
    return out


def texts(path: Path) -> list[list[str]]:
    """Every paragraph's text per slide (shapes, groups, tables), then the notes."""
    out = []
    for slide in Presentation(str(path)).slides:
        found = [
            "".join(t.text or "" for t in p.iter(f"{{{A}}}t"))
            for p in slide._element.iter(f"{{{A}}}p")
        ]
        found.append(slide.notes_slide.notes_text_frame.text)
        out.append([t for t in found if t.strip()])
    return out


def test_reads_every_frame_table_group_and_note(deck: Path) -> None:
    source = inplace.read(deck)
    doc, skeleton = source.document, source.skeleton
    assert isinstance(skeleton, presentation.PptxSkeleton)
    assert skeleton.slides == 4
    kinds = [(b.kind, b.text) for b in doc.blocks]
    assert kinds[0] == ("title", slides.TITLE)
    assert kinds[1] == ("subtitle", slides.SUBTITLE)
    assert ("list_item", slides.BULLETS[0]) in kinds
    assert ("paragraph", slides.BOX) in kinds
    assert ("paragraph", slides.GROUP_TEXT) in kinds  # inside the group
    cells = [b for b in doc.blocks if b.kind == "table_cell"]
    assert [(b.row, b.col, b.text) for b in cells][:2] == [(0, 0, "City"), (0, 1, "Date")]
    assert len(cells) == 6
    notes = [
        b.text
        for b, ref in zip(doc.blocks, skeleton.blocks, strict=True)
        if ref.area == "speaker_notes"
    ]
    assert notes == list(slides.NOTES)
    linked = next(b for b in doc.blocks if slides.LINK_TEXT in b.text)
    spans = {s.text: s for s in linked.spans}
    assert spans[slides.BOLD].bold and spans[slides.LINK_TEXT].link == slides.URL
    assert "2" not in linked.text  # the slide-number field is kept, not translated
    # a re-rendered PDF shows the slides, not the speaker notes
    assert len(inplace.body_document(skeleton, doc).blocks) == len(doc.blocks) - 4


def test_translated_deck_keeps_slides_shapes_pictures(deck: Path, translated: Path) -> None:
    assert slides.shape_count(translated) == slides.shape_count(deck) == [2, 2, 4, 5]
    assert slides.pictures(translated) == slides.pictures(deck)  # same bytes, group's too
    before, after = texts(deck), texts(translated)
    assert [len(s) for s in after] == [len(s) for s in before]
    for slide in after:
        for text in slide:
            assert "⟦" in text or text.strip() == "2", text
    assert after[3][-1].startswith("⟦End⟧")  # the notes too


def test_run_formatting_field_and_language_kept(translated: Path) -> None:
    slide = Presentation(str(translated)).slides[1]
    paragraph = slide.placeholders[1].text_frame.paragraphs[2]
    runs = paragraph.runs
    assert runs[0].text.startswith("⟦Justice⟧") and runs[0].font.bold
    link = next(r for r in runs if r.hyperlink.address)
    assert link.hyperlink.address == slides.URL and "⟦website⟧" in link.text
    assert any(r.font.color.type is not None and str(r.font.color.rgb) == "C01010" for r in runs)
    assert paragraph._p.find(f"{{{A}}}fld") is not None  # the slide number
    langs = {r._r.find(f"{{{A}}}rPr").get("lang") for r in runs}
    assert langs == {"es-ES"}


def test_overflowing_frames_shrink(deck: Path, translated: Path) -> None:
    def frame(path: Path, text: str) -> etree._Element:
        for shape in Presentation(str(path)).slides[3].shapes:
            if shape.has_text_frame and text in shape.text_frame.text:
                return shape.text_frame._txBody
        raise AssertionError(text)

    tight = frame(translated, "⟦workers⟧")
    sizes = {int(r.get("sz")) for r in tight.iter(f"{{{A}}}rPr")}
    assert sizes and max(sizes) < 2400 and min(sizes) >= 2400 * fit.MIN_SCALE  # stepped down
    shrink = frame(translated, "⟦union⟧").find(f"{{{A}}}bodyPr/{{{A}}}normAutofit")
    assert shrink is not None and int(shrink.get("fontScale")) < 100000  # autofit kept, scaled


def test_fit_report_counts_what_still_overflows(deck: Path) -> None:
    source = inplace.read(deck)
    assert isinstance(source.skeleton, presentation.PptxSkeleton)
    long = [b.with_spans([Span(" ".join(["palabra"] * 120))]) for b in source.document.blocks]
    _, report = presentation.render_with_fit(source.skeleton, Document(blocks=long), "es")
    assert report.overflowing >= 3 and report.frames >= 8
    _, calm = presentation.render_with_fit(source.skeleton, source.document, "en")
    assert calm.overflowing == 0 and calm.shrunk == 0


def test_ingest_and_bad_packages(deck: Path, tmp_path: Path) -> None:
    restyled = [b.text for b in inplace.text_of(deck).blocks]  # --restyle reads it so
    assert restyled[0] == slides.TITLE and not set(slides.NOTES) & set(restyled)
    broken = tmp_path / "broken.pptx"
    broken.write_bytes(deck.read_bytes()[:2000])
    not_a_deck = tmp_path / "letter.pptx"
    with zipfile.ZipFile(not_a_deck, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    for path in (broken, not_a_deck):
        with pytest.raises(InplaceError) as caught:
            inplace.read(path)
        assert "not a valid .pptx file" in str(caught.value)


@requires_libreoffice
def test_deck_saved_by_libreoffice(deck: Path, tmp_path: Path) -> None:
    odp = to_format(deck, "odp", tmp_path / "odp")
    saved = to_format(odp, "pptx", tmp_path / "lo")
    source = inplace.read(saved)
    assert [b.text for b in source.document.blocks] == [
        b.text for b in inplace.read(deck).document.blocks
    ]
    out = tmp_path / "saved.es.pptx"
    inplace.write(source.skeleton, translate(source.document, Longer(), "en", "es"), "es", out)
    assert slides.shape_count(out) == slides.shape_count(saved)
    assert slides.pictures(out) == slides.pictures(saved)
    assert all("⟦" in t or t == "2" for s in texts(out) for t in s)


def _odp_counts(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("content.xml"))
    return {
        tag: len(root.xpath(f"//{tag}", namespaces=ODF))
        for tag in (
            "draw:page",
            "draw:frame",
            "draw:image",
            "draw:g",
            "table:table-cell",
            "presentation:notes",
        )
    }


@requires_libreoffice
def test_odp_in_place(deck: Path, tmp_path: Path) -> None:
    odp = to_format(deck, "odp", tmp_path / "odp")
    source = inplace.read(odp)
    assert source.skeleton.format == "odp"
    doc = source.document
    assert doc.source_format == "odp"
    areas = [ref.area for ref in source.skeleton.blocks]
    assert areas.count("speaker_notes") == 4
    assert doc.blocks[0].kind in ("title", "heading") and doc.blocks[0].text == slides.TITLE
    assert sum(b.kind == "table_cell" for b in doc.blocks) == 6
    out = tmp_path / "deck.es.odp"
    inplace.write(source.skeleton, translate(doc, Longer(), "en", "es"), "es", out)
    assert _odp_counts(out) == _odp_counts(odp)
    with zipfile.ZipFile(odp) as a, zipfile.ZipFile(out) as b:
        media = [n for n in a.namelist() if n.startswith(("Pictures/", "media/"))]
        assert media and all(a.read(n) == b.read(n) for n in media)
        content = etree.fromstring(b.read("content.xml"))
    back = [b.text for b in inplace.read(out).document.blocks]
    assert all("⟦" in t for t in back)
    # the fixed-size text box the longer translation overflows now shrinks text on overflow
    with zipfile.ZipFile(odp) as zf:
        before = etree.fromstring(zf.read("content.xml"))
    tight = '//draw:custom-shape[.//text:p[contains(., "{}")]]'
    for root, text, shrinks in (
        (before, "workers demand", "false"),
        (content, "⟦workers⟧", "true"),
    ):
        frame = root.xpath(tight.format(text), namespaces=ODF)[0]
        name = frame.get("{" + ODF["draw"] + "}style-name")
        style = root.xpath(
            f'//style:style[@style:name="{name}"]', namespaces={**ODF, "style": STYLE}
        )[0]
        props = style.find(f"{{{STYLE}}}graphic-properties")
        assert props.get(f"{{{STYLE}}}shrink-to-fit") == shrinks
    link = content.xpath("//text:a", namespaces=ODF)[0]
    assert link.get(f"{{{ODF['xlink']}}}href") == slides.URL
    assert "⟦website⟧" in "".join(link.itertext()) and len(link) == 0  # Impress: text only


@requires_libreoffice
def test_pdf_through_libreoffice(translated: Path, deck: Path, tmp_path: Path) -> None:
    from pipeline.export import libreoffice

    pdf = tmp_path / "deck.es.pdf"
    libreoffice.convert(translated, "pdf", pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+4", info)
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    )
    assert len(images.stdout.strip().splitlines()) - 2 >= 2  # the photo and the logo
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "⟦Free⟧" in words.stdout and "⟦Ciudad⟧" not in words.stdout
    assert "⟦City⟧" in words.stdout


def test_skeleton_is_picklable(deck: Path) -> None:
    import pickle

    source = inplace.read(deck)
    assert pickle.loads(pickle.dumps(source.skeleton)) == source.skeleton
    assert (
        io.BytesIO(inplace.render(source.skeleton, source.document, "en")).getvalue()[:2] == b"PK"
    )


def test_linked_picture_is_not_fetched_and_named(deck: Path, tmp_path: Path) -> None:
    """A picture linked from outside the deck: never opened, named in report.json's notes,
    and pointed at nothing in the copy LibreOffice converts."""
    linked = tmp_path / "linked.pptx"
    with zipfile.ZipFile(deck) as zin, zipfile.ZipFile(linked, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "ppt/slides/_rels/slide3.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/image" Target="http://127.0.0.1:9/x.png"'
                    b' TargetMode="External"/></Relationships>',
                )
            zout.writestr(info, data)
    source = inplace.read(linked)
    assert any("http://127.0.0.1:9/x.png" in note for note in source.document.notes)
    offline = inplace.render(source.skeleton, source.document, "en", offline=True)
    with zipfile.ZipFile(io.BytesIO(offline)) as zf:
        rels = zf.read("ppt/slides/_rels/slide3.xml.rels")
    assert b"127.0.0.1" not in rels and b"offline-not-fetched" in rels
