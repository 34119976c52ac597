"""RTF → Document through pandoc (sandboxed), with the heading styles pandoc's RTF reader
does not see.

pandoc's RTF reader knows headings only by ``\\outlinelevelN``; Word and LibreOffice mark
them by paragraph style (``\\s2`` whose stylesheet name is "Heading 1"). Before pandoc reads
the file, each paragraph in a heading or Title style gets the outline level of its style, and
a document that opens with a Title-style paragraph gets that paragraph back as its title.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from pipeline.document import Document
from pipeline.ingest import pandoc
from pipeline.ingest.limits import Limits

_STYLE_ENTRY = re.compile(r"\{\\s(\d+)(?![\d])([^{}]*)\}")
_CONTROL_WORD = re.compile(r"\\[a-zA-Z]+-?\d*\s?|\\\*")
_STYLE_USE = re.compile(r"\\s(\d+)(?![\d])")
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.I)
_FURNITURE_NAMES = {"header", "footer", "header and footer"}


def _group_end(text: str, start: int) -> int:
    """The index just past the group that opens with the brace at ``start``."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def mark_outline_levels(rtf: str) -> tuple[str, bool]:
    """``rtf`` with ``\\outlinelevel`` after every heading- or Title-style paragraph's style,
    and whether the first body paragraph is in the Title style."""
    start = rtf.find("{\\stylesheet")
    if start < 0:
        return rtf, False
    end = _group_end(rtf, start)
    levels: dict[str, int] = {}
    title_styles: set[str] = set()
    furniture: set[str] = set()
    for number, content in _STYLE_ENTRY.findall(rtf[start:end]):
        name = _CONTROL_WORD.sub("", content).strip().rstrip(";").strip()
        if heading := _HEADING_NAME.match(name):
            levels[number] = int(heading.group(1)) - 1
        elif name.lower() == "title":
            levels[number] = 0
            title_styles.add(number)
        elif name.lower() in _FURNITURE_NAMES:
            furniture.add(number)
    body = rtf[end:]
    used = [n for n in _STYLE_USE.findall(body) if n not in furniture]
    starts_with_title = bool(used) and used[0] in title_styles

    def mark(match: re.Match[str]) -> str:
        level = levels.get(match.group(1))
        return match.group(0) if level is None else f"{match.group(0)}\\outlinelevel{level}"

    return rtf[:end] + _STYLE_USE.sub(mark, body), starts_with_title


def read_rtf(data: bytes, limits: Limits) -> Document:
    """Read RTF bytes into a Document (pandoc reads a marked copy from a temporary file)."""
    marked, starts_with_title = mark_outline_levels(data.decode("latin-1"))
    with tempfile.TemporaryDirectory(prefix="pipeline-rtf-") as folder:
        copy = Path(folder) / "source.rtf"
        copy.write_bytes(marked.encode("latin-1"))
        doc = pandoc.read_pandoc(copy, "rtf", limits)
    if starts_with_title and doc.blocks and doc.blocks[0].kind == "heading":
        doc.blocks[0].kind = "title"
        doc.blocks[0].level = 0
    return doc
