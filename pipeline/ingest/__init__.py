"""Readers: source files → Document.

``read_document`` picks the reader by suffix (:data:`READERS`); ``find_sources`` expands the
paths a user gives into the files a reader can take. Every refusal is a :class:`ReadError`
with a one-line reason.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from pipeline.document import Document
from pipeline.ingest import pandoc, sources, text
from pipeline.ingest.errors import ReadError

MAX_BYTES = 50 * 1024 * 1024

__all__ = ["READERS", "SUPPORTED", "ReadError", "find_sources", "read_document"]


def _read_text(path: Path, data: bytes) -> Document:
    return Document(blocks=text.read_text(text.decode(data)), source_format="txt")


def _read_with_pandoc(fmt: str) -> Callable[[Path, bytes], Document]:
    def read(path: Path, data: bytes) -> Document:
        if fmt in ("docx", "odt"):
            _check_zip(path, fmt)
        else:
            text.decode(data)
        return pandoc.read_pandoc(path, fmt)

    return read


READERS: dict[str, Callable[[Path, bytes], Document]] = {
    ".txt": _read_text,
    **{suffix: _read_with_pandoc(fmt) for suffix, fmt in pandoc.FORMATS.items()},
}
"""Suffix → reader: ``reader(path, data)`` with the file's bytes already read."""
SUPPORTED = tuple(READERS)


def find_sources(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand folders into their supported files (sorted); (path, reason) for paths that
    do not exist and folders without a source file."""
    return sources.find_sources(paths, SUPPORTED)


def read_document(path: Path) -> Document:
    """Read a source file into a Document, or raise ReadError with a one-line reason."""
    path = Path(path)
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise ReadError(
            f"unsupported file type {suffix or '(none)'!r}: use one of {', '.join(SUPPORTED)}"
        )
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise ReadError("is a folder, not a file") from exc
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise ReadError("the file is empty")
    if len(data) > MAX_BYTES:
        raise ReadError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    doc = reader(path, data)
    doc.source_path = str(path)
    if not any(b.text.strip() for b in doc.blocks):
        raise ReadError("no text found in the document")
    return doc


def _check_zip(path: Path, fmt: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ReadError(f"not a valid .{fmt} file (damaged or truncated zip)") from exc
    if bad:
        raise ReadError(f"not a valid .{fmt} file (damaged entry {bad})")
    wanted = "word/document.xml" if fmt == "docx" else "content.xml"
    if wanted not in names:
        raise ReadError(f"not a valid .{fmt} file (no {wanted})")
