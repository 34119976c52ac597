"""DOCX package checks: find the main document part as Word does, through ``_rels/.rels``.

Only internal relationships are followed; an external one (``TargetMode="External"``, a URL)
is never opened. The standard library's expat parser resolves no external entities and
refuses entity expansion attacks.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from pipeline.ingest.errors import ReadError

_OFFICE_DOCUMENT = "/officeDocument"  # the end of the main part's relationship type
_DEFAULT_MAIN = "word/document.xml"


def main_part(path: Path, names: list[str]) -> str:
    """The name of the DOCX's main document part, or ReadError when it has none."""
    if "_rels/.rels" not in names:
        if _DEFAULT_MAIN in names:
            return _DEFAULT_MAIN
        raise ReadError("not a valid .docx file (no _rels/.rels and no word/document.xml)")
    try:
        with zipfile.ZipFile(path) as zf:
            root = ElementTree.fromstring(zf.read("_rels/.rels"))
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError) as exc:
        raise ReadError("not a valid .docx file (unreadable _rels/.rels)") from exc
    for rel in root:
        if not rel.get("Type", "").endswith(_OFFICE_DOCUMENT):
            continue
        if rel.get("TargetMode", "Internal") == "External":
            raise ReadError("not a valid .docx file (its main part is outside the file)")
        target = posixpath.normpath(rel.get("Target", "").lstrip("/"))
        if target in names:
            return target
        raise ReadError(f"not a valid .docx file (its main part {target} is missing)")
    if _DEFAULT_MAIN in names:
        return _DEFAULT_MAIN
    raise ReadError("not a valid .docx file (no main document part)")


_CORE = "docProps/core.xml"
_CORE_FIELDS = {
    "{http://purl.org/dc/elements/1.1/}title": "title",
    "{http://purl.org/dc/elements/1.1/}creator": "author",
    "{http://purl.org/dc/elements/1.1/}description": "description",
}


def core_properties(path: Path, names: list[str]) -> dict[str, str]:
    """A DOCX's core properties (title, author), for the metadata its body does not give."""
    if _CORE not in names:
        return {}
    try:
        with zipfile.ZipFile(path) as zf:
            root = ElementTree.fromstring(zf.read(_CORE))
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError):
        return {}
    found: dict[str, str] = {}
    for element in root:
        key = _CORE_FIELDS.get(element.tag)
        if key and element.text and element.text.strip():
            found[key] = element.text.strip()
    return found


_IMAGE = "/image"  # the end of an image relationship's type


def external_images(path: Path, names: list[str]) -> list[str]:
    """The targets of the pictures a DOCX links to outside itself (never opened)."""
    targets: list[str] = []
    with zipfile.ZipFile(path) as zf:
        for name in names:
            if not name.endswith(".rels") or name == "_rels/.rels":
                continue
            try:
                root = ElementTree.fromstring(zf.read(name))
            except (ElementTree.ParseError, KeyError, zipfile.BadZipFile):
                continue
            for rel in root:
                if rel.get("TargetMode") == "External" and rel.get("Type", "").endswith(_IMAGE):
                    targets.append(rel.get("Target", ""))
    return list(dict.fromkeys(t for t in targets if t))
