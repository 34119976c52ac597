"""Hostile and broken input at the reader: limits before work, exact one-line reasons.

Every input is generated here at test time; nothing large is committed.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from pipeline.ingest import ReadError, read_document
from pipeline.ingest.limits import Limits

DOC_TEXT = "Free the miners\n\nWe demand the release of the seven union leaders.\n"


def one_line_error(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(ReadError) as info:
        read_document(path, limits)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- files that are not regular files, sizes, permissions ---------------------------------


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "x.txt"
    os.mkfifo(fifo)
    assert one_line_error(fifo) == "not a regular file (a device, pipe or socket); give a file"


def test_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    assert "not a regular file" in one_line_error(link)


def test_size_is_checked_by_stat_before_reading(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:  # sparse: 3 MB on paper, nothing on disk
        handle.truncate(3 * 1024 * 1024)

    def never(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", never)
    message = one_line_error(big, Limits(max_file_mb=2))
    assert message == "the file is larger than 2 MB (3 MB) (limit PIPELINE_MAX_FILE_MB=2)"


def test_limits_come_from_the_environment() -> None:
    limits = Limits.from_env({"PIPELINE_MAX_FILE_MB": "7", "PIPELINE_MAX_ZIP_RATIO": " 30 "})
    assert limits.max_file_mb == 7 and limits.max_zip_ratio == 30
    assert limits.max_unzipped_mb == Limits().max_unzipped_mb
    with pytest.raises(ReadError, match=r"^PIPELINE_MAX_NESTING='lots' is not a positive"):
        Limits.from_env({"PIPELINE_MAX_NESTING": "lots"})


def test_file_size_limit_through_the_environment(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "a.txt"
    path.write_text(DOC_TEXT * 40000)  # about 2.6 MB
    monkeypatch.setenv("PIPELINE_MAX_FILE_MB", "1")
    assert one_line_error(path).endswith("(limit PIPELINE_MAX_FILE_MB=1)")


def test_permission_denied_is_said(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(DOC_TEXT)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)  # tests may run as root, where chmod does not bite
    assert one_line_error(path) == "permission denied"


def test_broken_link_is_said(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    assert one_line_error(link) == "a broken link: its target does not exist"


# --- ZIP-based inputs: sizes, entries, ratio before any parsing ---------------------------


def _zip_entry_headers(name: bytes, crc: int, csize: int, usize: int, offset: int):
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, csize, usize, len(name), 0)
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, csize, usize, len(name),
        0, 0, 0, 0, 0, offset,
    )  # fmt: skip
    return local + name, central + name


def write_bomb_docx(path: Path, expanded_mb: int) -> None:
    """A DOCX whose word/document.xml really expands to ``expanded_mb`` MB of XML.

    A 1 MB block of XML is deflated once and its compressed form repeated (a full flush
    between blocks makes them independent), so building a 2 GB bomb takes about a second.
    """
    block = (b"<w:p><w:r><w:t>lucha</w:t></w:r></w:p>" * 30000)[: 1 << 20]
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    once = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(expanded_mb):
        crc = zlib.crc32(block, crc)
    small = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    }
    centrals: list[bytes] = []
    with path.open("wb") as out:
        for name, data in small.items():
            deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed = deflater.compress(data) + deflater.flush()
            local, central = _zip_entry_headers(
                name.encode(), zlib.crc32(data), len(packed), len(data), out.tell()
            )
            out.write(local + packed)
            centrals.append(central)
        tail = packer.flush()
        size = expanded_mb << 20
        local, central = _zip_entry_headers(
            b"word/document.xml", crc, len(once) * expanded_mb + len(tail), size, out.tell()
        )
        out.write(local)
        for _ in range(expanded_mb):
            out.write(once)
        out.write(tail)
        centrals.append(central)
        start = out.tell()
        directory = b"".join(centrals)
        out.write(directory)
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 3, 3, len(directory), start, 0))


def test_bomb_builder_makes_a_real_zip(tmp_path: Path) -> None:
    path = tmp_path / "small-bomb.docx"
    write_bomb_docx(path, 3)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("word/document.xml").file_size == 3 << 20


def test_zip_expanding_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    write_bomb_docx(path, 300)
    message = one_line_error(path)
    assert message == "the .docx file expands to 300 MB (limit PIPELINE_MAX_UNZIPPED_MB=200)"


def test_zip_compression_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dense.docx"
    write_bomb_docx(path, 20)
    message = one_line_error(path)
    assert message.startswith("the .docx file's part word/document.xml is compressed ")
    assert message.endswith(":1, like a zip bomb (limit PIPELINE_MAX_ZIP_RATIO=100)")


def test_zip_entry_count_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.odt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("content.xml", "<x/>")
        for i in range(30):
            zf.writestr(f"Pictures/{i}.png", b"")
    message = one_line_error(path, Limits(max_zip_entries=20))
    assert message == "the .odt file has 31 parts inside (limit PIPELINE_MAX_ZIP_ENTRIES=20)"


def test_docx_main_part_found_through_the_package_relationships(tmp_path: Path) -> None:
    original = tmp_path / "a.docx"
    document = docx.Document()
    document.add_heading("Main part elsewhere", 1)
    document.add_paragraph("Hello from another path.")
    document.save(str(original))
    moved = tmp_path / "moved.docx"
    with zipfile.ZipFile(original) as zin, zipfile.ZipFile(moved, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            name = {
                "word/document.xml": "word/main.xml",
                "word/_rels/document.xml.rels": "word/_rels/main.xml.rels",
            }.get(info.filename, info.filename)
            if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"word/document.xml", b"word/main.xml")
            zout.writestr(name, data)
    doc = read_document(moved)
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Main part elsewhere"),
        ("paragraph", "Hello from another path."),
    ]


# --- deep nesting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("quotes.md", ">" * 600 + " deep\n"),
        ("lists.md", "".join("  " * i + "- level\n" for i in range(250))),
        ("divs.html", "<div>" * 700 + "deep" + "</div>" * 700),
    ],
)
def test_deep_nesting_is_refused_in_one_line(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    message = one_line_error(path)
    assert message == (
        "quotes, lists or sections are nested more than 200 levels deep "
        "(limit PIPELINE_MAX_NESTING=200)"
    )


def test_moderate_nesting_is_read(tmp_path: Path) -> None:
    path = tmp_path / "quotes.md"
    path.write_text(">" * 50 + " still a quote\n")
    doc = read_document(path)
    assert [(b.kind, b.text) for b in doc.blocks] == [("quote", "still a quote")]


# --- encodings --------------------------------------------------------------------------

JAPANESE = (
    "鉱山労働者に自由を\n\n"
    "私たちは、不当に投獄された七人の労働組合指導者の即時釈放を要求します。"
    "彼らは労働者の権利を守るために闘ってきました。\n"
)
SPANISH = "¡Libertad para los mineros!\n\nExigimos la liberación de los siete dirigentes, señor ministro.\n"


@pytest.mark.parametrize(
    ("text", "encoding", "recorded"),
    [
        (JAPANESE, "cp932", "cp932"),
        (JAPANESE, "euc_jp", "euc_jp"),
        (JAPANESE, "utf-16", "utf-16-le"),  # with its byte-order mark
        (JAPANESE, "utf-16-le", "utf-16-le"),  # without one
        (SPANISH, "utf-16-be", "utf-16-be"),
        (SPANISH, "utf-8-sig", "utf-8"),
        (SPANISH, "latin-1", "cp1252"),
        (SPANISH, "utf-8", "utf-8"),
    ],
)
def test_text_encodings_are_detected_and_recorded(
    tmp_path: Path, text: str, encoding: str, recorded: str
) -> None:
    path = tmp_path / "statement.txt"
    path.write_bytes(text.encode(encoding))
    doc = read_document(path)
    assert doc.encoding == recorded
    assert doc.text == text.strip().replace("\n\n", "\n\n")
    assert doc.blocks[0].kind == "title"


def test_markdown_in_cp932_is_read_through_pandoc(tmp_path: Path) -> None:
    path = tmp_path / "statement.md"
    path.write_bytes(("# " + JAPANESE).encode("cp932"))
    doc = read_document(path)
    assert doc.encoding == "cp932"
    assert doc.blocks[0].text == "鉱山労働者に自由を"


def test_short_latin1_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Año de lucha".encode("latin-1"))
    assert read_document(path).text == "Año de lucha"


# --- pandoc's memory cap and timeout ----------------------------------------------------


def _large_markdown(path: Path) -> Path:
    paragraph = "Some **bold** words and *italic* words in a paragraph. " * 20
    path.write_text((paragraph + "\n\n") * 3000)  # about 3 MB
    return path


def test_pandoc_memory_cap(tmp_path: Path) -> None:
    message = one_line_error(_large_markdown(tmp_path / "big.md"), Limits(max_pandoc_mb=30))
    assert message == "pandoc needed more than 30 MB of memory (limit PIPELINE_MAX_PANDOC_MB=30)"


def test_pandoc_timeout(tmp_path: Path) -> None:
    message = one_line_error(_large_markdown(tmp_path / "big.md"), Limits(max_pandoc_seconds=1))
    assert message == "pandoc took longer than 1 s (limit PIPELINE_MAX_PANDOC_SECONDS=1)"
