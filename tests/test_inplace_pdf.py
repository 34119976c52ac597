"""PDFs read into paragraphs and translated in place (issue 23), on real files made here:
the pipeline's own PDF (Typst), a LibreOffice PDF with a picture, a table and a heading, a
two-column PDF; the outputs checked with PyMuPDF and poppler (``pdffonts``, ``pdfimages``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest

from pipeline import inplace
from pipeline.document import Block, Document, Span
from pipeline.export.pdf import write_pdf
from pipeline.export.pdf_inplace import layout_entries, render
from pipeline.ingest import read_document
from pipeline.inplace.pdf import BlockFit, PdfSkeleton
from pipeline.inplace.pdf_fit import NO_START, units
from tests.conftest import requires_apertium, requires_poppler
from tests.fixtures import office

requires_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="no LibreOffice")

SENTENCE = (
    "the miners of casapalca were jailed after the strike and their families ask for justice "
    "from the company and the state while the union keeps marching every week"
)
WORDS = SENTENCE.split(" ")


def _paragraph(n: int, length: int) -> str:
    words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(length)]
    return " ".join(words).capitalize() + "."


def _statement() -> Document:
    blocks = [Block("title", [Span("Free the Casapalca miners")])]
    for n, length in enumerate([40, 18, 65, 9, 52, 30, 71, 24, 12, 48, 35, 60]):
        if n == 6:
            blocks.append(Block("heading", [Span("What we ask")], level=1))
        blocks.append(Block("paragraph", [Span(_paragraph(n, length))]))
    blocks.append(
        Block(
            "paragraph",
            [Span("Read more on "), Span("our site", link="https://example.org/"), Span(".")],
        )
    )
    return Document(blocks=blocks, lang="en")


@pytest.fixture(scope="module")
def own_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("own") / "statement.pdf"
    write_pdf(_statement(), path, "en")
    return path


def _longer(doc: Document, factor: float = 1.3, marker: str = "Traducido") -> Document:
    """A stand-in translation ``factor`` times as long, each block starting with ``marker``."""

    def grow(text: str) -> str:
        words = text.split()
        extra = words[: max(1, int(len(words) * (factor - 1)))]
        return " ".join([marker, *words[1:], *extra])

    return replace(doc, blocks=[b.with_spans([Span(grow(b.text))]) for b in doc.blocks])


def _lines(pdf: bytes | Path) -> list[list[pymupdf.Rect]]:
    doc = pymupdf.open(pdf) if isinstance(pdf, Path) else pymupdf.open(stream=pdf)
    out = []
    for page in doc:
        rects = []
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    if span["text"].strip():
                        rects.append(pymupdf.Rect(span["bbox"]))
        out.append(rects)
    return out


def _overlaps(pages: list[list[pymupdf.Rect]]) -> list[tuple[int, pymupdf.Rect, pymupdf.Rect]]:
    """Text spans that cover each other (more than a sliver: glyph boxes of neighbouring lines
    touch by design)."""
    found = []
    for number, rects in enumerate(pages):
        for i, a in enumerate(rects):
            for b in rects[i + 1 :]:
                cut = a & b
                deep = cut.height > 0.35 * min(a.height, b.height)
                if not cut.is_empty and deep and cut.width > 1.0:
                    found.append((number, a, b))
    return found


def _first_line(path: Path) -> pymupdf.Rect:
    page = pymupdf.open(path)[0]
    lines = [ln for b in page.get_text("dict")["blocks"] for ln in b.get("lines", [])]
    return pymupdf.Rect(min(lines, key=lambda ln: ln["bbox"][1])["bbox"])


def _fonts_embedded(path: Path) -> list[str]:
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return [row for row in listing if row.split()[-5] != "yes"]


def _images(path: Path) -> int:
    out = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(out.splitlines()[2:])


def _same_pages(a: Path, b: Path) -> None:
    one, two = pymupdf.open(a), pymupdf.open(b)
    assert one.page_count == two.page_count
    for p, q in zip(one, two, strict=True):
        assert abs(p.rect.width - q.rect.width) < 0.01 and abs(p.rect.height - q.rect.height) < 0.01


def _in_place(
    source: Path, out: Path, translate=_longer, lang: str = "es"
) -> tuple[PdfSkeleton, list[BlockFit]]:
    read = inplace.read(source)
    skeleton = read.skeleton
    assert isinstance(skeleton, PdfSkeleton)
    data, fits = render(skeleton, translate(read.document), lang)
    out.write_bytes(data)
    return skeleton, fits


def test_pipeline_pdf_comes_back_with_its_paragraphs(own_pdf: Path) -> None:
    blocks = read_document(own_pdf).blocks
    written = [b for b in _statement().blocks]
    assert [(b.kind, b.text) for b in blocks] == [(b.kind, b.text) for b in written]
    assert sum(b.kind == "paragraph" for b in blocks) == 13


@requires_poppler
def test_pipeline_pdf_in_place(own_pdf: Path, tmp_path: Path) -> None:
    out = tmp_path / "statement.es.pdf"
    _, fits = _in_place(own_pdf, out)
    _same_pages(own_pdf, out)
    assert _overlaps(_lines(out)) == []
    assert _fonts_embedded(out) == []
    text = pymupdf.open(out)[0].get_text()
    assert text.count("Traducido") >= 10
    # the title stands where it did, centred as it was
    source_title, title = _first_line(own_pdf), _first_line(out)
    assert abs(title.y0 - source_title.y0) < 3 and abs(title.y1 - source_title.y1) < 3
    assert abs((title.x0 + title.x1) / 2 - (source_title.x0 + source_title.x1) / 2) < 3
    assert len(pymupdf.open(out)[0].get_links()) == len(pymupdf.open(own_pdf)[0].get_links()) > 0
    report = layout_entries(fits)
    assert report["overflow"] == [] and report["shrunk"] == sum(f.scale < 1 for f in fits)


def test_overflow_is_reported_and_stays_in_its_block(own_pdf: Path, tmp_path: Path) -> None:
    def much_longer(doc: Document) -> Document:
        blocks = list(doc.blocks)
        blocks[4] = blocks[4].with_spans([Span(" ".join([blocks[4].text] * 8))])  # 9 words x 8
        return _longer(replace(doc, blocks=blocks), 1.05)

    _, fits = _in_place(own_pdf, tmp_path / "long.pdf", much_longer)
    overflow = [f for f in fits if not f.fits]
    assert [(f.block, f.page) for f in overflow] == [(4, 1)]
    shrunk = [f for f in fits if f.scale < 1.0]
    assert overflow[0] in shrunk


@requires_poppler
def test_japanese_in_place_breaks_lines_by_kinsoku(own_pdf: Path, tmp_path: Path) -> None:
    sentence = "鉱山労働者は「正義」を求めて、毎週、行進を続けている。家族は会社と国家に訴えた。"

    def japanese(doc: Document) -> Document:
        return replace(
            doc,
            blocks=[b.with_spans([Span(sentence * (1 + len(b.text) // 80))]) for b in doc.blocks],
        )

    out = tmp_path / "statement.ja.pdf"
    _in_place(own_pdf, out, japanese, "ja")
    assert _fonts_embedded(out) == []
    assert out.stat().st_size < 400_000  # the CJK font is embedded as a subset
    lines = [
        "".join(s["text"] for s in line["spans"]).strip()
        for page in pymupdf.open(out)
        for block in page.get_text("dict")["blocks"]
        for line in block.get("lines", [])
    ]
    starts = [ln[0] for ln in lines if ln]
    assert starts and not [c for c in starts if c in NO_START]
    assert _overlaps(_lines(out)) == []


def test_kinsoku_units() -> None:
    got = [u.text for u in units("「正義」を求めて、行進。Free miners!")]
    assert got[:4] == ["「正", "義」", "を", "求"]
    assert "て、" in got and "進。" in got
    assert got[-2:] == ["Free", "miners!"]


def _two_columns(path: Path) -> Path:
    import typst

    left = " ".join(["Left column words about the union and its long struggle."] * 14)
    right = " ".join(["Right column words about solidarity across the borders."] * 14)
    source = path.with_suffix(".typ")
    source.write_text(
        '#set page(paper: "a4", columns: 2)\n#set text(font: "Noto Serif", size: 10pt)\n'
        f"{left}\n\n{left}\n\n#colbreak()\n{right}\n\n{right}\n"
    )
    typst.compile(str(source), output=str(path), font_paths=["/usr/share/fonts"])
    return path


@requires_poppler
def test_two_column_pdf_read_in_order_and_set_in_its_columns(tmp_path: Path) -> None:
    source = _two_columns(tmp_path / "columns.pdf")
    texts = [b.text for b in read_document(source).blocks]
    assert len(texts) == 4 and texts[0].startswith("Left") and texts[3].startswith("Right")
    out = tmp_path / "columns.es.pdf"
    _in_place(source, out, lambda d: _longer(d, 1.15, "Izquierda"))
    _same_pages(source, out)
    assert _overlaps(_lines(out)) == []
    page = pymupdf.open(out)[0]
    middle = page.rect.width / 2
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            x0, _, x1, _ = line["bbox"]
            assert x1 < middle + 5 or x0 > middle - 5  # no line runs across both columns
    assert _fonts_embedded(out) == []


@pytest.mark.slow
@requires_soffice
@requires_poppler
def test_libreoffice_pdf_with_picture_table_and_heading(tmp_path: Path) -> None:
    docx = office.letterhead_docx(tmp_path / "letterhead.docx")
    source = office.to_format(docx, "pdf", tmp_path)
    read = inplace.read(source)
    kinds = [b.kind for b in read.document.blocks]
    texts = [b.text for b in read.document.blocks]
    assert kinds[:2] == ["heading", "title"]  # the letterhead's name above the title
    assert texts.index("Action") + 1 == texts.index("Days")  # the table read row by row
    out = tmp_path / "letterhead.es.pdf"
    skeleton, fits = _in_place(source, out, lambda d: _longer(d, 1.2, "Trad"))
    _same_pages(source, out)
    assert _images(out) == _images(source) == 2
    assert _overlaps(_lines(out)) == []
    assert _fonts_embedded(out) == []
    text = pymupdf.open(out)[0].get_text()
    assert text.count("Trad") >= len(read.document.blocks) - 2
    source_title = pymupdf.open(source)[0].search_for("jailed leaders")[0]
    title = pymupdf.open(out)[0].search_for("jailed leaders")[0]
    assert abs(title.y1 - source_title.y1) < 4 and abs(title.x0 - source_title.x0) < 60
    assert text.count("•") == pymupdf.open(source)[0].get_text().count("•")
    assert [f for f in fits if not f.fits] == []
    # the red 14 pt words are a span of their own, and come back red in their size
    (red,) = [b for b in read.document.blocks if "Free them now" in b.text]
    assert [(sp.text, sp.format_key) for sp in red.spans] == [
        ("We stand with the miners. ", None),
        ("Free them now!", "s1"),
    ]
    styled = replace(
        read.document,
        blocks=[
            b.with_spans([Span("Estamos con los mineros. "), Span("¡Libres ya!", format_key="s1")])
            if b is red
            else b
            for b in read.document.blocks
        ],
    )
    data, _ = render(skeleton, styled, "es")
    spans = [
        s
        for block in pymupdf.open(stream=data)[0].get_text("dict")["blocks"]
        for line in block.get("lines", [])
        for s in line["spans"]
    ]
    (slogan,) = [s for s in spans if "Libres ya" in s["text"]]
    assert slogan["color"] == 0xC00000 and round(slogan["size"]) == 14
    assert [s for s in spans if "Estamos" in s["text"]][0]["size"] == 11


def test_scanned_pdf_in_place_is_one_clear_line(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.draw_rect(pymupdf.Rect(50, 50, 300, 300), color=(0, 0, 0), fill=(0.5, 0.5, 0.5))
    doc.save(str(scan))
    with pytest.raises(Exception, match=r"^the PDF has no text layer \(a scan"):
        inplace.read(scan)


def test_soft_hyphen_and_hyphenated_line_end_are_joined(tmp_path: Path) -> None:
    path = tmp_path / "hyphen.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "The miners of the union recog-", fontsize=11)
    page.insert_text((72, 86), "nise no com\u00ad", fontsize=11)
    page.insert_text((72, 100), "pany rule over them.", fontsize=11)
    doc.save(str(path))
    (block,) = read_document(path).blocks
    assert (
        re.sub(r"\s+", " ", block.text)
        == "The miners of the union recognise no company rule over them."
    )


@pytest.mark.slow
@requires_apertium
@requires_poppler
def test_pdf_translated_in_place_through_the_cli(cli, own_pdf: Path, tmp_path: Path) -> None:
    source = tmp_path / "src" / "statement.pdf"
    source.parent.mkdir()
    source.write_bytes(own_pdf.read_bytes())
    before = source.read_bytes()
    out = tmp_path / "out"
    args = (str(source), "--to", "es", "--engine", "apertium", "--out", str(out), "--json")
    done = cli("translate", *args, "--review")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "statement" / "report.json").read_text(encoding="utf-8"))
    es = report["targets"]["es"]
    assert es["route"] == "in-place" and es["overflow"] == [] and "shrunk" in es
    pdf = Path(es["outputs"]["pdf"])
    assert pdf.name == "statement.es.pdf"
    _same_pages(source, pdf)
    assert _overlaps(_lines(pdf)) == [] and _fonts_embedded(pdf) == []
    text = pymupdf.open(pdf)[0].get_text()
    assert "Libre" in text and "mineros" in text and "Free the Casapalca" not in text
    assert Path(es["outputs"]["docx"]).is_file()  # a DOCX of its blocks, rendered
    assert list((out / "statement" / "review").glob("*.review.docx"))
    assert source.read_bytes() == before
    again = cli("translate", *args, "--review")
    assert again.returncode == 0
    assert json.loads(again.stdout)["unchanged"] == [str(out / "statement" / "report.json")]
    restyled = cli("translate", *args, "--restyle")
    assert restyled.returncode == 0
    report = json.loads((out / "statement" / "report.json").read_text(encoding="utf-8"))
    assert report["targets"]["es"]["route"] == "rendered"


@requires_poppler
def test_running_header_translated_on_every_page_page_numbers_kept(tmp_path: Path) -> None:
    import typst

    body = "\n\n".join(_paragraph(n, 60) for n in range(14))
    source = tmp_path / "running.typ"
    source.write_text(
        '#set page(paper: "a5", header: [Workers Solidarity Committee], '
        "footer: context [#h(1fr) #counter(page).display() #h(1fr)])\n"
        '#set text(font: "Noto Serif", size: 11pt)\n' + body + "\n"
    )
    pdf = tmp_path / "running.pdf"
    typst.compile(str(source), output=str(pdf), font_paths=["/usr/share/fonts"])
    pages = pymupdf.open(pdf).page_count
    assert pages >= 3
    assert "Workers" not in " ".join(b.text for b in read_document(pdf).blocks)
    read = inplace.read(pdf)
    areas = [p.area for p in read.skeleton.blocks]  # type: ignore[union-attr]
    assert areas.count("header") == 1 and "footer" not in areas  # bare numbers stay
    assert inplace.body_document(read.skeleton, read.document).blocks == read.document.blocks[:-1]
    out = tmp_path / "running.es.pdf"
    _in_place(pdf, out, lambda d: _longer(d, 1.1, "Comité"))
    for number, page in enumerate(pymupdf.open(out), start=1):
        text = page.get_text()
        assert "Comité Solidarity Committee" in text and str(number) in text.split()
    assert _overlaps(_lines(out)) == []


def test_damaged_pdfs_in_place_fail_in_one_line_or_work(own_pdf: Path, tmp_path: Path) -> None:
    from pipeline.errors import PipelineError

    data = own_pdf.read_bytes()
    for n, cut in enumerate([40, len(data) // 3, len(data) // 2, len(data) - 200]):
        broken = tmp_path / f"cut{n}.pdf"
        flipped = bytearray(data[:cut])
        flipped[cut // 2 : cut // 2 + 64] = bytes(64)
        broken.write_bytes(bytes(flipped))
        try:
            read = inplace.read(broken)
        except PipelineError as exc:
            assert "\n" not in str(exc) and str(exc)
            continue
        data_out, _ = render(read.skeleton, _longer(read.document), "es")  # type: ignore[arg-type]
        assert pymupdf.open(stream=data_out).page_count == pymupdf.open(broken).page_count


def test_many_short_paragraphs_over_pages_come_back(tmp_path: Path) -> None:
    """Short paragraphs (most gaps between lines are gaps between paragraphs), "Article N"
    lines that fall into a page's bottom margin now and then, a compound hyphen at a line
    end: every block comes back as written."""
    blocks = [Block("title", [Span("Declaration of the rights of miners")])]
    for n in range(1, 31):
        blocks.append(Block("paragraph", [Span(f"Article {n}")]))
        length = 12 + (n * 7) % 30
        text = _paragraph(n, length).replace("the state", "the non\u2010political state", 1)
        blocks.append(Block("paragraph", [Span(text)]))
    doc = Document(blocks=blocks, lang="en")
    pdf = tmp_path / "articles.pdf"
    write_pdf(doc, pdf, "en")
    assert pymupdf.open(pdf).page_count >= 3
    back = read_document(pdf).blocks
    assert [(b.kind, b.text) for b in back] == [(b.kind, b.text) for b in blocks]


def test_ocr_scan_translation_covers_the_scanned_words(tmp_path: Path) -> None:
    """A scan with an invisible OCR text layer: the words are in the picture, so the
    translation goes on white boxes over them (never on top of the scanned words)."""
    typed = pymupdf.open()
    typed.new_page().insert_text((72, 100), "The miners are free today.", fontsize=14)
    picture = typed[0].get_pixmap(dpi=100).tobytes("png")
    scan = pymupdf.open()
    page = scan.new_page()
    page.insert_image(page.rect, stream=picture)
    page.insert_text((72, 100), "The miners are free today.", fontsize=14, render_mode=3)
    path = tmp_path / "scan-ocr.pdf"
    scan.save(str(path))
    read = inplace.read(path)
    assert any("invisible layer" in note for note in read.document.notes)
    out = tmp_path / "scan-ocr.es.pdf"
    _in_place(path, out, lambda d: _longer(d, 1.0, "Los"))
    result = pymupdf.open(out)[0]
    assert "Los miners are free today." in result.get_text()
    assert _images(out) == 1
    line = read.skeleton.blocks[0].boxes[0].lines[0]  # type: ignore[union-attr]
    covers = [
        d["rect"]
        for d in result.get_drawings()
        if d.get("fill") == (1.0, 1.0, 1.0)
        and abs((d["rect"] & pymupdf.Rect(line)).get_area() - pymupdf.Rect(line).get_area()) < 2
    ]
    assert covers
