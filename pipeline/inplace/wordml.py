"""WordprocessingML (DOCX) pieces the in-place DOCX module needs: names, relationships,
accepting tracked changes, run properties in schema order, the document language, and what a
paragraph and its runs are (styles, code, links, field separators).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from pipeline.document import BlockKind
from pipeline.inplace.common import (
    Format,
    InplaceError,
    Obj,
    Style,
    is_code_style,
    is_monospace,
    kind_of_style,
    parse_xml,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_NS = "http://www.w3.org/XML/1998/namespace"
OFFICE_DOCUMENT = R + "/officeDocument"

LOCALES = {"en": "en-GB", "es": "es-ES", "ja": "ja-JP"}
EAST_ASIAN_FONT = "Noto Serif CJK JP"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


W_P, W_R, W_T, W_RPR, W_PPR = w("p"), w("r"), w("t"), w("rPr"), w("pPr")
W_HYPERLINK = w("hyperlink")
W_SDT, W_SDT_PR, W_SDT_CONTENT = w("sdt"), w("sdtPr"), w("sdtContent")
WRAPPERS = "\x1f"
"""Joins the shells of nested wrappers (a link in a content control) in ``Format[1]``; the
character cannot occur in XML."""
TRANSPARENT = {w("smartTag"), w("customXml"), w("dir"), w("bdo"), w("ins"), w("moveTo")}
HINTS = {w("proofErr"), w("lastRenderedPageBreak")}
"""Rendering and proofing hints: dropped from rewritten paragraphs (their places change)."""
CHANGE_RECORDS = {
    w(t)
    for t in (
        "rPrChange",
        "pPrChange",
        "sectPrChange",
        "tblPrChange",
        "tblPrExChange",
        "trPrChange",
        "tcPrChange",
        "tblGridChange",
        "numberingChange",
        "cellIns",
        "cellDel",
        "cellMerge",
        "moveFromRangeStart",
        "moveFromRangeEnd",
        "moveToRangeStart",
        "moveToRangeEnd",
    )
}


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relationships(entries: dict[str, bytes], part: str) -> list[tuple[str, str, str, str]]:
    """(id, type, target, mode) of ``part``'s relationships; targets resolved to entry names."""
    rels = entries.get(rels_name(part))
    if rels is None:
        return []
    root = parse_xml(rels, rels_name(part))
    base = posixpath.dirname(part)
    out = []
    for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
        target, mode = rel.get("Target", ""), rel.get("TargetMode", "Internal")
        if mode != "External":
            target = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(base, target))
            )
        out.append((rel.get("Id", ""), rel.get("Type", ""), target, mode))
    return out


def natural_key(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def main_part(entries: dict[str, bytes]) -> str:
    for _, kind, target, _ in relationships(entries, ""):
        if kind == OFFICE_DOCUMENT and target in entries:
            return target
    if "word/document.xml" in entries:
        return "word/document.xml"
    raise InplaceError("not a valid .docx file (no main document part)")


def accept_changes(root: etree._Element) -> int:
    """Accept every tracked change in a part, in place; the number of changes accepted."""
    count = 0
    for element in list(root.iter(w("del"), w("ins"))):
        parent = element.getparent()
        if parent is None or parent.tag not in (W_RPR, w("trPr")):
            continue
        if element.tag == w("del") and parent.tag == w("trPr"):
            row = parent.getparent()
            if row is not None and row.getparent() is not None:
                row.getparent().remove(row)
        else:
            parent.remove(element)
        count += 1
    for element in list(root.iter(*CHANGE_RECORDS)):
        if element.getparent() is not None:
            element.getparent().remove(element)
            count += 1
    for element in list(root.iter(w("del"), w("moveFrom"))):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
            count += 1
    for element in list(root.iter(w("ins"), w("moveTo"))):
        parent = element.getparent()
        if parent is None:
            continue
        index = parent.index(element)
        for child in list(element):
            parent.insert(index, child)
            index += 1
        parent.remove(element)
        count += 1
    return count


def canonical(element: etree._Element) -> str:
    """``element`` as XML with only the namespaces it uses (the same in every part)."""
    return bytes(etree.tostring(element, method="c14n", exclusive=True)).decode("utf-8")


def shallow(element: etree._Element) -> str:
    copy = etree.Element(element.tag, attrib=dict(element.attrib), nsmap=element.nsmap)
    return canonical(copy)


RPR_ORDER = [
    "rStyle",
    "rFonts",
    "b",
    "bCs",
    "i",
    "iCs",
    "caps",
    "smallCaps",
    "strike",
    "dstrike",
    "outline",
    "shadow",
    "emboss",
    "imprint",
    "noProof",
    "snapToGrid",
    "vanish",
    "webHidden",
    "color",
    "spacing",
    "w",
    "kern",
    "position",
    "sz",
    "szCs",
    "highlight",
    "u",
    "effect",
    "bdr",
    "shd",
    "fitText",
    "vertAlign",
    "rtl",
    "cs",
    "em",
    "lang",
    "eastAsianLayout",
    "specVanish",
    "oMath",
]


def child_in_order(rpr: etree._Element, name: str) -> etree._Element:
    """``rpr``'s child ``w:name``, created at its schema position when missing."""
    found = rpr.find(w(name))
    if found is not None:
        return found
    element = etree.Element(w(name))
    rank = RPR_ORDER.index(name)
    for index, child in enumerate(rpr):
        local = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if local in RPR_ORDER and RPR_ORDER.index(local) > rank:
            rpr.insert(index, element)
            return element
    rpr.append(element)
    return element


def set_language(rpr: etree._Element, lang: str) -> None:
    """Language (and for Japanese the East Asian font) of one run-properties element."""
    locale = LOCALES.get(lang, lang)
    element = child_in_order(rpr, "lang")
    element.set(w("val"), locale)
    element.set(w("eastAsia"), locale)
    if lang == "ja":
        fonts = child_in_order(rpr, "rFonts")
        fonts.attrib.pop(w("eastAsiaTheme"), None)
        fonts.set(w("eastAsia"), EAST_ASIAN_FONT)
        fonts.set(w("hint"), "eastAsia")


def set_style_languages(root: etree._Element, lang: str) -> None:
    """Document default language (docDefaults) and every style that names a language."""
    defaults = root.find(w("docDefaults"))
    if defaults is None:
        defaults = etree.Element(w("docDefaults"))
        root.insert(0, defaults)
    rpr_default = defaults.find(w("rPrDefault"))
    if rpr_default is None:
        rpr_default = etree.Element(w("rPrDefault"))
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(W_RPR)
    if rpr is None:
        rpr = etree.SubElement(rpr_default, W_RPR)
    set_language(rpr, lang)
    for style in root.iter(w("style")):
        style_rpr = style.find(W_RPR)
        if style_rpr is not None and style_rpr.find(w("lang")) is not None:
            set_language(style_rpr, lang)


def external_images(entries: dict[str, bytes]) -> list[str]:
    """The targets of the pictures a package links to outside itself (never opened)."""
    targets: list[str] = []
    for name, data in entries.items():
        if not name.endswith(".rels"):
            continue
        for rel in parse_xml(data, name).iter(f"{{{PKG_REL}}}Relationship"):
            if rel.get("TargetMode") == "External" and rel.get("Type", "").endswith("/image"):
                targets.append(rel.get("Target", ""))
    return list(dict.fromkeys(t for t in targets if t))


def offline_relationships(entries: dict[str, bytes]) -> dict[str, bytes]:
    """The relationship parts with every external target but hyperlinks pointed at a missing
    part inside the package, for a copy LibreOffice converts (so it fetches nothing)."""
    changed: dict[str, bytes] = {}
    for name, data in entries.items():
        if not name.endswith(".rels"):
            continue
        root = parse_xml(data, name)
        touched = False
        for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
            external = rel.get("TargetMode") == "External"
            if external and not rel.get("Type", "").endswith("/hyperlink"):
                del rel.attrib["TargetMode"]
                rel.set("Target", "offline-not-fetched")
                touched = True
        if touched:
            changed[name] = etree.tostring(
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )
    return changed


def linked_images_note(entries: dict[str, bytes]) -> list[str]:
    """report.json's note on linked pictures (the words the DOCX reader of ingest uses)."""
    linked = external_images(entries)
    if not linked:
        return []
    n = len(linked)
    return [
        f"{n} linked image{'s' if n != 1 else ''} outside the file not fetched "
        f"(reading is offline): {', '.join(linked)}"[:300]
    ]


# --- what a paragraph and its runs are (reading) ---------------------------------------------


_SEPARATING_RUN_CHILDREN = frozenset({w("tab"), w("ptab")})


def is_separator(obj: Obj) -> bool:
    """A tab: it separates a paragraph's fields ("name ⇥ page ⇥ date"). A page-number field
    inside a field stays a marker in its sentence ("on page <x1/>."); one beside a tab is at
    its field's edge, where it never reaches the engine."""
    fragments = obj.fragments
    return (
        len(fragments) == 1
        and fragments[0][0] == "run"
        and fragments[0][1].tag in (_SEPARATING_RUN_CHILDREN)
    )


@dataclass
class Styles:
    names: dict[str, str]

    def is_code(self, paragraph: etree._Element) -> bool:
        """A paragraph in a code style (pandoc's Source Code, Word's HTML Preformatted)."""
        ppr = paragraph.find(W_PPR)
        pstyle = ppr.find(w("pStyle")) if ppr is not None else None
        style_id = pstyle.get(w("val"), "") if pstyle is not None else ""
        return bool(style_id) and (
            is_code_style(style_id) or is_code_style(self.names.get(style_id, ""))
        )

    def kind(self, paragraph: etree._Element) -> tuple[BlockKind, int, bool]:
        ppr = paragraph.find(W_PPR)
        style_id = ""
        numbered = False
        level = 0
        if ppr is not None:
            pstyle = ppr.find(w("pStyle"))
            style_id = pstyle.get(w("val"), "") if pstyle is not None else ""
            numpr = ppr.find(w("numPr"))
            if numpr is not None:
                numbered = True
                ilvl = numpr.find(w("ilvl"))
                level = int(ilvl.get(w("val"), "0")) + 1 if ilvl is not None else 1
        name = self.names.get(style_id, style_id).lower()
        styled = kind_of_style(name)
        if styled is not None:
            return styled
        if "quote" in name or name == "block text":
            return "quote", 0, False
        if numbered or name.startswith("list"):
            return "list_item", max(level, 1), "number" in name
        return "paragraph", 0, False


def style_names(entries: dict[str, bytes], styles_part: str | None) -> dict[str, str]:
    if styles_part is None or styles_part not in entries:
        return {}
    root = parse_xml(entries[styles_part], styles_part)
    names = {}
    for style in root.iter(w("style")):
        name = style.find(w("name"))
        if name is not None:
            names[style.get(w("styleId"), "")] = name.get(w("val"), "")
    return names


def is_code_run(rpr: etree._Element, style_names: dict[str, str]) -> bool:
    """A run in a code character style or a monospace font."""
    style = rpr.find(w("rStyle"))
    if style is not None:
        style_id = style.get(w("val"), "")
        if is_code_style(style_id) or is_code_style(style_names.get(style_id, "")):
            return True
    fonts = rpr.find(w("rFonts"))
    return fonts is not None and is_monospace(fonts.get(w("ascii"), ""))


def _is_on(element: etree._Element | None) -> bool:
    return element is not None and element.get(w("val"), "true") not in ("0", "false", "off")


def describe_formats(
    links_by_part: dict[str, str], style_names: dict[str, str]
) -> Callable[[Format], Style]:
    def describe(fmt: Format) -> Style:
        rpr_xml, link_xml = fmt
        bold = italic = code = False
        if rpr_xml:
            rpr = etree.fromstring(rpr_xml)
            bold, italic = _is_on(rpr.find(w("b"))), _is_on(rpr.find(w("i")))
            code = is_code_run(rpr, style_names)
        link = None
        for shell in link_xml.split(WRAPPERS) if link_xml else ():
            element = etree.fromstring(shell)
            if element.tag == w("fldSimple"):
                target = re.search(r'HYPERLINK\s+"([^"]*)"', element.get(w("instr"), ""), re.I)
                link = target.group(1) if target else "#"
                continue
            if element.tag != W_HYPERLINK:
                continue
            rel = element.get(f"{{{R}}}id")
            anchor = element.get(w("anchor"))
            link = links_by_part.get(rel or "") or (f"#{anchor}" if anchor else "#")
        return Style(bold, italic, link, code)

    return describe


_PICTURES = (w("drawing"), w("pict"))


def _is_caption(paragraph: etree._Element, names: dict[str, str]) -> bool:
    ppr = paragraph.find(W_PPR)
    style = ppr.find(w("pStyle")) if ppr is not None else None
    style_id = style.get(w("val"), "") if style is not None else ""
    return bool(style_id) and "caption" in (names.get(style_id, style_id)).lower()


def _keep_next(paragraph: etree._Element) -> bool:
    """Give ``paragraph`` "keep with next" (in schema order); whether it changed."""
    ppr = paragraph.find(W_PPR)
    if ppr is None:
        ppr = etree.Element(W_PPR)
        paragraph.insert(0, ppr)
    if ppr.find(w("keepNext")) is not None:
        return False
    style = ppr.find(w("pStyle"))
    ppr.insert(0 if style is None else ppr.index(style) + 1, etree.Element(w("keepNext")))
    return True


def keep_pictures_with_captions(root: etree._Element, names: dict[str, str]) -> bool:
    """A picture's paragraph and the caption paragraph right after (or before) it are kept on
    one page ("keep with next"), so a longer translation cannot push the caption away from its
    picture; whether anything changed."""
    changed = False
    for paragraph in list(root.iter(W_P)):
        if next(paragraph.iter(*_PICTURES), None) is None:
            continue
        after, before = paragraph.getnext(), paragraph.getprevious()
        if after is not None and after.tag == W_P and _is_caption(after, names):
            changed |= _keep_next(paragraph)
        if before is not None and before.tag == W_P and _is_caption(before, names):
            changed |= _keep_next(before)
    return changed
