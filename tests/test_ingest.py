from pathlib import Path

import pytest

from pipeline.ingest import ReadError, read_document
from pipeline.ingest.text import read_text


def kinds(doc):
    return [b.kind for b in doc.blocks]


def test_txt_title_paragraphs_lists_and_quote():
    blocks = read_text(
        "The Title\n\nA subtitle\n\nFirst para\ncontinues.\n\n- one\n- two\n\n> quoted\n> words\n\nLast."
    )
    assert [b.kind for b in blocks] == [
        "title",
        "subtitle",
        "paragraph",
        "list_item",
        "list_item",
        "quote",
        "paragraph",
    ]
    assert blocks[2].text == "First para continues."
    assert blocks[5].text == "quoted words"


def test_txt_title_only_when_followed_by_blank_line():
    blocks = read_text("Not a title\nbecause the paragraph goes on.\n\nSecond.")
    assert blocks[0].kind == "paragraph"


def test_markdown_structure_and_inline_formatting(source_docs: Path):
    doc = read_document(source_docs / "solidarity-statement.md")
    assert kinds(doc)[:3] == ["title", "subtitle", "heading"]
    assert "list_item" in kinds(doc) and "quote" in kinds(doc) and "footnote" in kinds(doc)
    spans = [s for b in doc.blocks for s in b.spans]
    assert any(s.bold and s.text == "trade unionists" for s in spans)
    assert any(s.italic and s.text == "seven leaders" for s in spans)
    assert any(s.link == "https://example.org/casapalca" for s in spans)
    assert any(s.kind == "note_ref" for s in spans)


def test_docx_sample_reads_like_the_markdown(source_docs: Path):
    doc = read_document(source_docs / "declaracion-solidaridad.docx")
    assert doc.title.startswith("¡Alto a la represión")
    assert {"heading", "list_item", "quote", "footnote"} <= set(kinds(doc))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"   \n\n", "empty"),
        ("garbage.txt", bytes(range(256)) * 4, "binary"),
        ("broken.docx", b"PK\x03\x04 truncated", "damaged"),
        ("notes.pdf", b"%PDF-1.4", "not a valid .pdf file"),
        ("notes.pages", b"x", "unsupported file type"),
    ],
)
def test_bad_input_gets_one_clear_reason(tmp_path: Path, name: str, content: bytes, reason: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReadError) as info:
        read_document(path)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_real_docx(tmp_path: Path, source_docs: Path):
    data = (source_docs / "declaracion-solidaridad.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReadError, match="damaged or truncated"):
        read_document(path)


def test_missing_and_folder(tmp_path: Path):
    with pytest.raises(ReadError, match="cannot read"):
        read_document(tmp_path / "nope.txt")
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    with pytest.raises(ReadError, match="folder"):
        read_document(folder)


def test_list_inside_a_table_cell_keeps_its_text(tmp_path: Path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    cell = table.cell(0, 0)
    cell.paragraphs[0].text = "Week of action"
    cell.add_paragraph("Pickets at the embassy", style="List Bullet")
    cell.add_paragraph("Letters to the ministry", style="List Bullet")
    table.cell(0, 1).text = "March"
    path = tmp_path / "cell.docx"
    document.save(str(path))
    cells = [
        (b.row, b.col, b.level, b.text)
        for b in read_document(path).blocks
        if b.kind == "table_cell"
    ]
    # A cell holds several blocks: its paragraph, then its list items (level 1).
    assert cells == [
        (0, 0, 0, "Week of action"),
        (0, 0, 1, "Pickets at the embassy"),
        (0, 0, 1, "Letters to the ministry"),
        (0, 1, 0, "March"),
    ]
