"""The page count a DOCX or ODT states about itself, when it can be believed.

Word and LibreOffice store their own statistics when they save a document: a DOCX's
``docProps/app.xml`` (``<Pages>``, ``<Characters>``, ``<Application>``), an ODT's ``meta.xml``
(``meta:document-statistic``, ``meta:generator``). The page count is the saving application's
layout of the file as its author last saw it. It is believed only when

* the application that saved the file is one that lays it out (Word, LibreOffice), and
* the stated character count matches the text in the file, so the statistics were written
  for this text: a template's figures carried along by a tool that does not count
  (python-docx's default template says 1 page and 0 characters whatever is written into it),
  or a file edited by such a tool after its last save, do not match; and
* for LibreOffice, the count is at most ``LIBREOFFICE_BELIEVED_PAGES``: a LibreOffice that
  saves before its layout is finished (a headless ``--convert-to``) states more pages than it
  lays out from 5 pages on (measured with 7.4: 6 stated for 5 laid out, 12 for 10; exact up
  to 4, and exact at any length once the layout is done, as when a user has the file open).

``stated_pages(path, fmt)`` gives the count, or None when it is absent or not believed;
``inplace.read`` keeps it in the DOCX's or ODT's skeleton (``stated_pages``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from pipeline.inplace.common import InplaceError, parse_xml
from pipeline.inplace.odt import OFFICE, STYLE, TEXT
from pipeline.inplace.wordml import W

EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
LAYING_OUT = re.compile(r"^\s*(Microsoft (Office|Macintosh) Word|LibreOffice)\b")
"""The applications whose saved page count is their own layout of the file."""
LIBREOFFICE_BELIEVED_PAGES = 4
"""The longest page count LibreOffice states that is believed without laying the file out."""
SLACK = 0.05
"""How far the stated character count may be from the file's text (a share of it), plus
``SLACK_CHARACTERS``: applications differ over fields, text boxes, headers and notes."""
SLACK_CHARACTERS = 10
_SPACE = re.compile(r"\s+")
_WORD_EXTRA_PARTS = re.compile(r"^word/(header\d*|footer\d*|footnotes|endnotes)\.xml$")
_MAX_PART = 32 * 1024 * 1024


def _characters(texts: Iterable[str]) -> int:
    """Characters other than white space (what both applications count)."""
    return sum(len(_SPACE.sub("", text)) for text in texts)


def _read(package: zipfile.ZipFile, name: str) -> etree._Element | None:
    try:
        info = package.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_PART:
        return None
    return parse_xml(package.read(info), name)


def _word_texts(root: etree._Element) -> list[str]:
    """The ``w:t`` texts of a WordprocessingML part, a text box's fallback copy left out."""
    fallback = f"{{{MC}}}Fallback"
    return [
        t.text or ""
        for t in root.iter(f"{{{W}}}t")
        if not any(a.tag == fallback for a in t.iterancestors())
    ]


def _believable(stated: int, body: int, extra: int) -> bool:
    """Whether ``stated`` characters describe a text of ``body`` characters (``extra`` more
    in headers, footers and notes, which one application counts and another does not)."""
    low = body * (1 - SLACK) - SLACK_CHARACTERS
    high = (body + extra) * (1 + SLACK) + SLACK_CHARACTERS
    return body > 0 and low <= stated <= high


def _believed_count(application: str, pages: int | None) -> int | None:
    """``pages`` when ``application`` lays documents out and may be believed at that count."""
    if not pages or pages < 1 or not LAYING_OUT.match(application):
        return None
    if application.lstrip().startswith("LibreOffice") and pages > LIBREOFFICE_BELIEVED_PAGES:
        return None
    return pages


def _number(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _docx_pages(package: zipfile.ZipFile) -> int | None:
    app = _read(package, "docProps/app.xml")
    if app is None:
        return None
    application = app.findtext(f"{{{EXTENDED}}}Application") or ""
    pages = _believed_count(application, _number(app.findtext(f"{{{EXTENDED}}}Pages")))
    characters = _number(app.findtext(f"{{{EXTENDED}}}Characters"))
    body = _read(package, "word/document.xml") if pages and characters is not None else None
    if pages is None or characters is None or body is None:
        return None
    extra = 0
    for name in package.namelist():
        part = _read(package, name) if _WORD_EXTRA_PARTS.match(name) else None
        extra += _characters(_word_texts(part)) if part is not None else 0
    return pages if _believable(characters, _characters(_word_texts(body)), extra) else None


_ODF_SKIPPED = frozenset({f"{{{OFFICE}}}annotation", f"{{{TEXT}}}tracked-changes"})
"""Left out of an ODT's text: comments and the record of tracked changes."""


def _odf_text(element: etree._Element) -> Iterator[str]:
    if not isinstance(element.tag, str) or element.tag in _ODF_SKIPPED:
        return
    yield element.text or ""
    for child in element:
        yield from _odf_text(child)
        yield child.tail or ""


def _odf_texts(root: etree._Element | None, container: str) -> list[str]:
    """The text of every ``container`` element (``office:text``, ``style:master-page``)."""
    if root is None:
        return []
    return [text for element in root.iter(container) for text in _odf_text(element)]


def _odt_pages(package: zipfile.ZipFile) -> int | None:
    meta = _read(package, "meta.xml")
    statistic = meta.find(f".//{{{META}}}document-statistic") if meta is not None else None
    if meta is None or statistic is None:
        return None
    generator = meta.findtext(f".//{{{META}}}generator") or ""
    pages = _believed_count(generator, _number(statistic.get(f"{{{META}}}page-count")))
    characters = _number(statistic.get(f"{{{META}}}non-whitespace-character-count"))
    content = _read(package, "content.xml") if pages and characters is not None else None
    if pages is None or characters is None or content is None:
        return None
    body = _characters(_odf_texts(content, f"{{{OFFICE}}}text"))
    extra = _characters(_odf_texts(_read(package, "styles.xml"), f"{{{STYLE}}}master-page"))
    return pages if _believable(characters, body, extra) else None


def stated_pages(path: Path, fmt: str) -> int | None:
    """The page count the DOCX or ODT at ``path`` states, when the application that saved it
    lays documents out and its statistics match the file's text; else None."""
    if fmt not in ("docx", "odt"):
        return None
    try:
        with zipfile.ZipFile(path) as package:
            return _docx_pages(package) if fmt == "docx" else _odt_pages(package)
    except (OSError, zipfile.BadZipFile, InplaceError):
        return None
