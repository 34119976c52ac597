"""A translated DOCX/ODT package with every font size scaled by a small step.

Translations run longer than their source (Spanish about 20 % longer than English): a one-page
letter can become two pages. ``scale_fonts`` scales every font size the package states (styles,
document defaults, runs; headers and footers included) so that LibreOffice lays it out on the
source's pages again; ``export.page_fit`` decides the step by laying the document out.
"""

from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

from pipeline.inplace.common import parse_xml, serialize
from pipeline.inplace.wordml import W, child_in_order, w

ODF_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
ODF_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_ODF_SIZES = (
    f"{{{ODF_FO}}}font-size",
    f"{{{ODF_STYLE}}}font-size-asian",
    f"{{{ODF_STYLE}}}font-size-complex",
)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(pt|cm|mm|in|pc|px)\s*$")
_WORD_PARTS = re.compile(r"^word/(document|styles|header\d*|footer\d*|footnotes|endnotes)\.xml$")
WORD_DEFAULT_SIZE = 20
"""Half-points: the size WordprocessingML gives text when neither the defaults nor a style
says (10 pt)."""


def _scaled_half_points(value: str, scale: float) -> str:
    try:
        return str(max(2, round(int(value) * scale)))
    except ValueError:
        return value


def _scale_word_part(root: etree._Element, scale: float, defaults: bool) -> None:
    for tag in ("sz", "szCs"):
        for element in root.iter(w(tag)):
            value = element.get(w("val"))
            if value is not None:
                element.set(w("val"), _scaled_half_points(value, scale))
    if not defaults:
        return
    rpr = root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
    if rpr is not None and rpr.find(w("sz")) is None:
        size = str(round(WORD_DEFAULT_SIZE * scale))
        child_in_order(rpr, "sz").set(w("val"), size)
        child_in_order(rpr, "szCs").set(w("val"), size)


def _scale_odf_part(root: etree._Element, scale: float) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in _ODF_SIZES:
            value = element.get(name)
            m = _LENGTH.match(value) if value else None
            if m:
                element.set(name, f"{float(m.group(1)) * scale:.2f}{m.group(2)}")


def scale_fonts(package: bytes, fmt: str, scale: float) -> bytes:
    """``package`` (a DOCX or ODT, as bytes) with every stated font size times ``scale``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename
            if fmt == "docx" and _WORD_PARTS.match(name):
                root = parse_xml(data, name)
                if root.tag.startswith(f"{{{W}}}"):
                    _scale_word_part(root, scale, defaults=name == "word/styles.xml")
                    data = serialize(root)
            elif fmt == "odt" and name in ("content.xml", "styles.xml"):
                root = parse_xml(data, name)
                _scale_odf_part(root, scale)
                data = serialize(root)
            zout.writestr(info, data)
    return out.getvalue()
