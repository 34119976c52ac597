"""PDF (text layer), RTF and EPUB inputs: built in the test and read back with the same
paragraphs and headings as the original."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from PIL import Image as PILImage

from pipeline.ingest import ReadError, read_document
from pipeline.ingest.limits import Limits
from pipeline.ingest.pandoc import run_pandoc
from tests.conftest import requires

requires_soffice = requires("soffice")

LONG = (
    "On 12 March the police arrested seven leaders of the miners' union at Casapalca after a "
    "peaceful assembly. They have been held without charge ever since, and their families "
    "have not been allowed to visit them."
)


def _statement_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Free the Casapalca miners", style="Title")
    document.add_heading("What happened", 1)
    document.add_paragraph(LONG)
    document.add_paragraph("The company has refused to negotiate with the union for a year.")
    document.add_heading("Our demands", 2)
    document.add_paragraph("Release the seven leaders now.", style="List Bullet")
    document.add_paragraph(
        "Recognise the union and negotiate in good faith with the workers' representatives, "
        "without threats or reprisals against anyone.",
        style="List Bullet",
    )
    document.add_paragraph("Stop the repression.", style="List Number")
    document.add_heading("Solidarity", 1)
    for i in range(5):
        document.add_paragraph(f"Appendix paragraph {i}: " + LONG + " " + LONG)
    section = document.sections[0]
    section.header.paragraphs[0].text = "Miners' Solidarity Committee"
    section.footer.paragraphs[0].text = "solidarity@example.org"
    document.save(str(path))


def _shape(path: Path) -> list[tuple[str, int, bool, str]]:
    return [(b.kind, b.level, b.ordered, b.text) for b in read_document(path).blocks]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The statement as DOCX, and LibreOffice's PDF and RTF of it."""
    if shutil.which("soffice") is None:
        pytest.skip("soffice (LibreOffice) is not installed")
    folder = tmp_path_factory.mktemp("converted")
    original = folder / "statement.docx"
    _statement_docx(original)
    for target in ("pdf", "rtf"):
        subprocess.run(
            ["soffice", "--headless", "--convert-to", target, "--outdir", str(folder),
             str(original)],
            capture_output=True, check=True, timeout=180,
            env={"HOME": str(folder), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    return {"docx": original, "pdf": folder / "statement.pdf", "rtf": folder / "statement.rtf"}


@pytest.mark.slow
@requires_soffice
def test_pdf_made_by_libreoffice_reads_like_its_docx(converted: dict[str, Path]) -> None:
    original = _shape(converted["docx"])
    assert [kind for kind, *_ in original[:3]] == ["title", "heading", "paragraph"]
    assert _shape(converted["pdf"]) == original  # header, footer and the page break gone
    assert read_document(converted["pdf"]).source_format == "pdf"


@pytest.mark.slow
@requires_soffice
def test_rtf_made_by_libreoffice_reads_like_its_docx(converted: dict[str, Path]) -> None:
    assert _shape(converted["rtf"]) == _shape(converted["docx"])


def _typst_pdf(path: Path, source: str) -> None:
    import typst

    typ = path.with_suffix(".typ")
    typ.write_text(source)
    typst.compile(str(typ), output=str(path))


def test_pdf_columns_hyphenation_and_page_furniture(tmp_path: Path) -> None:
    left = " ".join(["Left column words about the union and its struggle."] * 12)
    right = " ".join(["Right column words about solidarity across borders."] * 12)
    pdf = tmp_path / "columns.pdf"
    _typst_pdf(
        pdf,
        '#set page(width: 16cm, height: 12cm, margin: 1.5cm, columns: 2, numbering: "1",'
        " header: [Bulletin of the committee])\n"
        '#set text(size: 9pt, hyphenate: true, lang: "en")\n'
        "#set par(justify: true)\n"
        f"{left}\n\n#colbreak()\n{right}\n\n#pagebreak()\nSecond page text. Incomprehensibilities"
        " notwithstanding, internationalisation continues.\n",
    )
    blocks = read_document(pdf).blocks
    texts = [b.text for b in blocks]
    assert texts[0] == left
    assert texts[1] == right
    assert "Bulletin" not in " ".join(texts)
    assert not any(t.strip().isdigit() for t in texts)
    assert "internationalisation continues." in texts[-1]


def test_scanned_pdf_is_refused_in_one_line(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    PILImage.new("RGB", (200, 280), (250, 250, 250)).save(scan, "PDF")
    with pytest.raises(ReadError) as info:
        read_document(scan)
    assert str(info.value) == (
        "the PDF has no text layer (a scan or images only): run OCR on it first "
        "(e.g. ocrmypdf) or give the original document"
    )


def test_damaged_pdf_and_page_limit(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    with pytest.raises(ReadError, match=r"^not a valid \.pdf file \(damaged or truncated\)$"):
        read_document(broken)
    pdf = tmp_path / "pages.pdf"
    _typst_pdf(pdf, "One.\n#pagebreak()\nTwo.\n#pagebreak()\nThree.\n")
    with pytest.raises(ReadError) as info:
        read_document(pdf, Limits(max_pdf_pages=2))
    assert str(info.value) == "the PDF has 3 pages (limit PIPELINE_MAX_PDF_PAGES=2)"


def test_epub_is_read(tmp_path: Path) -> None:
    source = tmp_path / "book.md"
    source.write_text("# Free the miners\n\nWe demand their release.\n\n- Now\n- Here\n")
    epub = tmp_path / "book.epub"
    run_pandoc(
        [str(source), "--from", "markdown", "--to", "epub", "--metadata", "title=Statement",
         "--output", str(epub)],
        Limits(),
    )  # fmt: skip
    kinds = [(b.kind, b.text) for b in read_document(epub).blocks]
    assert ("heading", "Free the miners") in kinds
    assert ("paragraph", "We demand their release.") in kinds
    assert ("list_item", "Now") in kinds


@pytest.mark.slow
@requires_soffice
def test_japanese_pdf_lines_join_without_spaces(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("鉱山労働者に自由を", style="Title")
    document.add_heading("何が起きたか", 1)
    document.add_paragraph(
        "三月十二日、警察は平和的な集会の後、カサパルカ鉱山労働組合の指導者七人を逮捕した。" * 4
    )
    document.add_paragraph("指導者を今すぐ釈放せよ。", style="List Bullet")
    original = tmp_path / "ja.docx"
    document.save(str(original))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(original)],
        capture_output=True, check=True, timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert _shape(tmp_path / "ja.pdf") == _shape(original)


def test_pdf_letterhead_title_over_two_lines_and_a_bold_sentence_end(tmp_path: Path) -> None:
    """A masthead line above a large title that wraps, and a paragraph whose last sentence is
    bold: one title, one paragraph (as a Word letterhead statement comes out of LibreOffice)."""
    body = (
        "In early September, the general secretary of the union of the Casapalca mine "
        "was caught by the police without warning, as he left the union office."
    )
    pdf = tmp_path / "letterhead.pdf"
    _typst_pdf(
        pdf,
        "#set page(width: 14cm, height: 20cm, margin: 1.5cm)\n#set text(size: 10pt)\n"
        "Solidarity Committee\n\n"
        '#text(size: 24pt, weight: "bold")[Free the jailed miners of the Casapalca mine]\n\n'
        f"{body} #strong[Two other leaders were also put in jail by the same police.]\n\n"
        "The union calls for solidarity.\n",
    )
    shape = [(b.kind, b.text) for b in read_document(pdf).blocks]
    assert shape == [
        ("paragraph", "Solidarity Committee"),
        ("title", "Free the jailed miners of the Casapalca mine"),
        ("paragraph", f"{body} Two other leaders were also put in jail by the same police."),
        ("paragraph", "The union calls for solidarity."),
    ]


@pytest.mark.slow
@requires_soffice
def test_pdf_list_in_a_table_cell_made_by_libreoffice(tmp_path: Path) -> None:
    """LibreOffice sets a bullet in a table cell as a line of its own; the item is still a list
    item, and the paragraph after the table is not glued to it."""
    document = docx.Document()
    document.add_paragraph("Actions of the week", style="Title")
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.cell(0, 0).text = "19 October"
    cell = table.cell(0, 1)
    cell.paragraphs[0].text = "Rally in front of the embassy"
    cell.add_paragraph("Bring banners", style="List Bullet")
    cell.add_paragraph("Invite the unions", style="List Bullet")
    document.add_paragraph("Workers of the world, unite against the repression of the unions!")
    original = tmp_path / "cell.docx"
    document.save(str(original))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(original)],
        capture_output=True, check=True, timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    shape = [(b.kind, b.text) for b in read_document(tmp_path / "cell.pdf").blocks]
    assert ("list_item", "Bring banners") in shape
    assert ("list_item", "Invite the unions") in shape
    assert shape[-1] == (
        "paragraph",
        "Workers of the world, unite against the repression of the unions!",
    )


def test_epub_title_repeated_as_the_first_heading_is_read_once(tmp_path: Path) -> None:
    source = tmp_path / "book.md"
    source.write_text("# Free the miners\n\nWe demand their release.\n\n# Our demands\n\nNow.\n")
    epub = tmp_path / "book.epub"
    run_pandoc(
        [str(source), "--from", "markdown", "--to", "epub", "--metadata",
         "title=Free the miners", "--output", str(epub)],
        Limits(),
    )  # fmt: skip
    kinds = [(b.kind, b.text) for b in read_document(epub).blocks]
    assert kinds[:2] == [("title", "Free the miners"), ("paragraph", "We demand their release.")]
    assert ("heading", "Our demands") in kinds


def test_odt_title_and_subtitle_styles_are_kept(tmp_path: Path) -> None:
    """pandoc's ODT reader turns the Title and Subtitle paragraph styles into plain
    paragraphs; the statement keeps them as its title and subtitle."""
    source = tmp_path / "s.md"
    source.write_text(
        "---\ntitle: Free the miners\nsubtitle: A statement of solidarity\n---\n\n"
        "We demand their release.\n\n# Our demands\n\nNow.\n"
    )
    odt = tmp_path / "s.odt"
    run_pandoc([str(source), "--to", "odt", "--output", str(odt)], Limits())
    kinds = [(b.kind, b.text) for b in read_document(odt).blocks]
    assert kinds[:4] == [
        ("title", "Free the miners"),
        ("subtitle", "A statement of solidarity"),
        ("paragraph", "We demand their release."),
        ("heading", "Our demands"),
    ]
