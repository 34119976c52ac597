"""What pandoc's ODT reader drops from an OpenDocument text: the Title and Subtitle
paragraph styles (LibreOffice's "Title" paragraph comes out of pandoc as a plain paragraph).

``content.xml`` is read with the standard library's expat parser, which resolves no external
entities; the package has been checked by :func:`pipeline.ingest.limits.check_zip` first.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from xml.etree import ElementTree

from pipeline.document import BlockKind, Document

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_KINDS: dict[str, BlockKind] = {"Title": "title", "Subtitle": "subtitle"}
_LOOK_AHEAD = 5  # the title is among the first paragraphs


def styled_titles(data: bytes) -> dict[BlockKind, str]:
    """``{"title": text, "subtitle": text}`` of the first Title/Subtitle-styled paragraphs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            root = ElementTree.fromstring(package.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return {}
    parents = {
        style.get(f"{_STYLE}name", ""): style.get(f"{_STYLE}parent-style-name", "")
        for style in root.iter(f"{_STYLE}style")
    }
    found: dict[BlockKind, str] = {}
    for index, para in enumerate(root.iter(f"{_TEXT}p")):
        if index >= _LOOK_AHEAD:
            break
        name = para.get(f"{_TEXT}style-name", "")
        kind = _KINDS.get(name) or _KINDS.get(parents.get(name, ""))
        text = " ".join("".join(para.itertext()).split())
        if kind and text and kind not in found:
            found[kind] = text
    return found


def mark_titles(doc: Document, titles: dict[BlockKind, str]) -> Document:
    """Give the paragraphs ``titles`` names their title/subtitle kind (once each)."""
    if not titles or any(b.kind == "title" for b in doc.blocks):
        return doc
    for i, block in enumerate(doc.blocks[:_LOOK_AHEAD]):
        for kind, text in titles.items():
            if block.kind == "paragraph" and " ".join(block.text.split()) == text:
                doc.blocks[i] = dataclasses.replace(block, kind=kind, level=0)
                break
    return doc
