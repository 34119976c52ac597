"""In-place ODT: read the translatable paragraphs of content.xml and styles.xml, write them back.

Paragraphs (``text:p``, ``text:h``) of the body, of frames and shapes, tables, lists, notes and
comments (content.xml) and of the master pages' headers and footers (styles.xml) become
blocks, in a stable order: body, headers, footers, notes, comments. ``text:span`` styles and
``text:a`` links are formats; fields, bookmarks, frames, notes and tabs are kept objects.
Tracked changes are accepted (the change marks and the stored deletions are dropped). The
languages are set in the default paragraph style and in every style that names one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.document import Block, BlockKind, Document, SpanKind
from pipeline.inplace import odp
from pipeline.inplace.common import (
    Format,
    FormatTable,
    Fragment,
    InplaceError,
    Item,
    Obj,
    Style,
    Text,
    base_format,
    core_spans,
    core_writer,
    field_edges,
    file_sha256,
    is_code_paragraph,
    is_code_style,
    is_monospace,
    kind_of_style,
    open_package,
    package_bytes,
    parse_xml,
    reassemble,
    serialize,
    write_atomic,
)

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
XLINK = "http://www.w3.org/1999/xlink"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"

PARTS = ("content.xml", "styles.xml")
COUNTRIES = {"en": "GB", "es": "ES", "ja": "JP"}
EAST_ASIAN_FONT = "Noto Serif CJK JP"


def t(tag: str) -> str:
    return f"{{{TEXT}}}{tag}"


def s(tag: str) -> str:
    return f"{{{STYLE}}}{tag}"


T_P, T_H, T_SPAN, T_A, T_S = t("p"), t("h"), t("span"), t("a"), t("s")
PARAGRAPHS = (T_P, T_H)
HINTS = {t("soft-page-break")}
CHANGE_MARKS = {t("change-start"), t("change-end"), t("change")}
ORDER = {"body": 0, "speaker_notes": 0, "header": 1, "footer": 2, "note": 3, "comment": 4}


@dataclass(frozen=True)
class ParagraphRef:
    """Where a block came from: the part, the paragraph's position, its base formatting.

    ``area`` is body, header, footer, note, comment or speaker_notes (a slide's notes);
    ``field`` the field's number in the paragraph (``common.split_fields``).
    """

    part: str
    index: int
    base: Format
    area: str = "body"
    field: int = 0


@dataclass
class OdtSkeleton:
    """Everything ``write`` needs besides the translated Document (plain, picklable data)."""

    source: str
    sha256: str
    blocks: list[ParagraphRef]
    formats: dict[str, Format] = field(default_factory=dict)
    tracked_changes: int = 0
    format: str = "odt"
    stated_pages: int | None = None
    """The page count the file states about itself, when it can be believed (``stated_pages``)."""


# --- tracked changes --------------------------------------------------------------------------


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def accept_changes(root: etree._Element) -> int:
    """Accept every tracked change in a part, in place; the number of changes accepted."""
    count = 0
    for tracked in list(root.iter(t("tracked-changes"))):
        count += len(tracked.findall(t("changed-region")))
        _remove_keeping_tail(tracked)
    for mark in list(root.iter(*CHANGE_MARKS)):
        _remove_keeping_tail(mark)
    return count


# --- reading --------------------------------------------------------------------------------


def _canonical(element: etree._Element) -> str:
    return bytes(etree.tostring(element, method="c14n", exclusive=True)).decode("utf-8")


def _shallow(element: etree._Element) -> str:
    copy = etree.Element(element.tag, attrib=dict(element.attrib), nsmap=element.nsmap)
    return _canonical(copy)


class _Reader:
    """Turns one paragraph's mixed content into items."""

    def __init__(self, part: str):
        self.part = part
        self.items: list[Item] = []
        self.after_space = True

    def read(self, paragraph: etree._Element) -> list[Item]:
        self.items = []
        self.after_space = True
        self._mixed(paragraph, (), "")
        return self.items

    def _fmt(self, spans: tuple[str, ...], link: str) -> Format:
        return (self.part + "|" + "/".join(spans), link)

    def _text(self, text: str, spans: tuple[str, ...], link: str, raw: bool = True) -> None:
        """Add text; ``raw`` character data has ODF's white-space collapsing applied."""
        if raw:
            text = re.sub(r"[\n\r\t ]+", " ", text)
            if self.after_space and text.startswith(" "):
                text = text[1:]
        if not text:
            return
        self.after_space = text.endswith(" ")
        fmt = self._fmt(spans, link)
        last = self.items[-1] if self.items else None
        if isinstance(last, Text) and last.fmt == fmt:
            last.text += text
        else:
            self.items.append(Text(text, fmt))

    def _object(
        self,
        element: etree._Element,
        spans: tuple[str, ...],
        link: str,
        kind: SpanKind = "object",
        note: str | None = None,
    ) -> None:
        fragment: Fragment = ("el", element, spans, link)
        self.items.append(Obj([fragment], kind, note))
        self.after_space = kind == "break"

    def _mixed(self, element: etree._Element, spans: tuple[str, ...], link: str) -> None:
        self._text(element.text or "", spans, link)
        for child in element:
            self._child(child, spans, link)
            self._text(child.tail or "", spans, link)

    def _child(self, child: etree._Element, spans: tuple[str, ...], link: str) -> None:
        tag = child.tag
        if not isinstance(tag, str) or tag in HINTS:
            return
        if tag == T_SPAN:
            self._mixed(child, (*spans, child.get(t("style-name"), "")), link)
        elif tag == T_A and not link:
            self._mixed(child, spans, _shallow(child))
        elif tag == T_S:
            self._text(" " * int(child.get(t("c"), "1") or 1), spans, link, raw=False)
        elif tag == t("line-break"):
            self._object(child, spans, link, "break")
        elif tag == t("note"):
            self._object(child, spans, link, "note_ref", child.get(t("id")))
        else:
            self._object(child, spans, link)


@dataclass
class _StyleInfo:
    """Paragraph style names with their parents and display names; text styles' weight."""

    parents: dict[str, str] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    bold: set[str] = field(default_factory=set)
    italic: set[str] = field(default_factory=set)
    fonts: dict[str, str] = field(default_factory=dict)  # style → its font (a font-face name)
    fixed: set[str] = field(default_factory=set)  # font-face names of fixed pitch

    def is_code(self, scoped: str) -> bool:
        """A style, or one it inherits from, in a code style or a monospace font."""
        seen: list[str] = []
        while scoped and scoped not in seen and len(seen) < 20:
            seen.append(scoped)
            name = scoped.partition("|")[2] or scoped
            font = self.fonts.get(scoped, "")
            if (
                is_code_style(self.display.get(scoped, name))
                or is_code_style(name)
                or font in self.fixed
                or is_monospace(font)
            ):
                return True
            scoped = self.parents.get(scoped, "")
        return False

    def add(self, root: etree._Element, part: str) -> None:
        for face in root.iter(s("font-face")):
            if face.get(s("font-pitch")) == "fixed":
                self.fixed.add(face.get(s("name"), ""))
        for style in root.iter(s("style")):
            name = style.get(s("name"), "")
            scoped = (
                f"{part}|{name}"
                if style.getparent().tag == f"{{{OFFICE}}}automatic-styles"
                else name
            )
            self.parents[scoped] = style.get(s("parent-style-name"), "")
            self.display[scoped] = style.get(s("display-name"), name.replace("_20_", " "))
            props = style.find(s("text-properties"))
            if props is not None:
                font = props.get(s("font-name")) or props.get(f"{{{FO}}}font-family") or ""
                if font:
                    self.fonts[scoped] = font.strip("'\"")
                if props.get(f"{{{FO}}}font-weight") == "bold":
                    self.bold.add(scoped)
                if props.get(f"{{{FO}}}font-style") == "italic":
                    self.italic.add(scoped)

    def names(self, part: str, name: str) -> list[str]:
        """The display names of a paragraph style and its ancestors."""
        out: list[str] = []
        scoped = f"{part}|{name}" if f"{part}|{name}" in self.parents else name
        while scoped and scoped not in out and len(out) < 20:
            out.append(scoped)
            scoped = self.parents.get(scoped, "")
        return [self.display.get(n, n).lower() for n in out]


def _kind(paragraph: etree._Element, part: str, styles: _StyleInfo) -> tuple[BlockKind, int, bool]:
    on_slide = odp.slide_kind(paragraph)
    if on_slide is not None:
        return (*on_slide, False)
    if paragraph.tag == T_H:
        level = int(paragraph.get(t("outline-level"), "1") or 1)
        return "heading", level, False
    names = styles.names(part, paragraph.get(t("style-name"), ""))
    lists = [a for a in paragraph.iterancestors(t("list"))]
    for name in names:
        styled = kind_of_style(name)
        if styled is not None:
            return styled
        if "quot" in name:
            return "quote", 0, False
    if lists:
        return "list_item", len(lists), any("number" in n for n in names)
    return "paragraph", 0, False


def _area(paragraph: etree._Element) -> str:
    for ancestor in paragraph.iterancestors():
        tag = ancestor.tag
        if tag == t("note-body"):
            return "note"
        if tag == f"{{{PRESENTATION}}}notes":
            return "speaker_notes"
        if tag == f"{{{OFFICE}}}annotation":
            return "comment"
        if tag in (s("header"), s("header-left"), s("header-first")):
            return "header"
        if tag in (s("footer"), s("footer-left"), s("footer-first")):
            return "footer"
    return "body"


@dataclass
class _Part:
    name: str
    root: etree._Element
    paragraphs: list[etree._Element]
    changes: int


def _load(entries: dict[str, bytes], name: str) -> _Part:
    root = parse_xml(entries[name], name)
    changes = accept_changes(root)
    if name == "styles.xml":
        masters = root.find(f"{{{OFFICE}}}master-styles")
        paragraphs = list(masters.iter(*PARAGRAPHS)) if masters is not None else []
    else:
        body = root.find(f"{{{OFFICE}}}body")
        paragraphs = list(body.iter(*PARAGRAPHS)) if body is not None else []
    return _Part(name, root, paragraphs, changes)


def _describe(styles: _StyleInfo) -> Callable[[Format], Style]:
    def describe(fmt: Format) -> Style:
        part, _, path = fmt[0].partition("|")
        chain = [n for n in path.split("/") if n]
        scoped = [f"{part}|{n}" if f"{part}|{n}" in styles.parents else n for n in chain]
        link = etree.fromstring(fmt[1]).get(f"{{{XLINK}}}href") if fmt[1] else None
        return Style(
            any(n in styles.bold for n in scoped),
            any(n in styles.italic for n in scoped),
            link,
            any(styles.is_code(n) for n in scoped),
        )

    return describe


def read(path: Path) -> tuple[Document, OdtSkeleton]:
    """Read an ODT or ODP into a Document of its translatable paragraphs and the skeleton to
    write it. A presentation's (ODP) blocks are its slides' frames, tables and speaker notes in
    slide order; its master pages' placeholder prompts are not translated."""
    path = Path(path)
    kind = "odp" if path.suffix.lower() == ".odp" else "odt"
    entries = open_package(path, kind)
    if "content.xml" not in entries:
        raise InplaceError(f"not a valid .{kind} file (no content.xml)")
    parts = [_load(entries, name) for name in PARTS if name in entries]
    styles = _StyleInfo()
    for part in parts:
        styles.add(part.root, part.name)
    describe = _describe(styles)
    table = FormatTable()
    found: list[tuple[int, int, int, Block, ParagraphRef]] = []
    table_count = 0
    for part_no, part in enumerate(parts):
        reader = _Reader(part.name)
        tables = {tb: table_count + i for i, tb in enumerate(part.root.iter(f"{{{TABLE}}}table"))}
        table_count += len(tables)
        seen_notes: set[str] = set()
        for index, paragraph in enumerate(part.paragraphs if _translated(part, kind) else ()):
            if _is_code_paragraph(paragraph, part.name, styles):
                continue
            area = _area(paragraph)
            for number, edges in field_edges(reader.read(paragraph), is_separator):
                if is_code_paragraph(edges.core, describe):
                    continue
                base = base_format(edges.core)
                block = _block(paragraph, part.name, area, styles, tables, seen_notes)
                block.spans = core_spans(edges.core, table, base, describe)
                ref = ParagraphRef(part.name, index, base, area, number)
                found.append((ORDER[area], part_no, index, block, ref))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    document = Document(blocks=[f[3] for f in found], source_path=str(path), source_format=kind)
    remote = list(dict.fromkeys(h for part in parts for h in _remote_links(part.root, images=True)))
    if remote:
        n = len(remote)
        document.notes.append(
            f"{n} remote image{'s' if n != 1 else ''} not fetched (reading is offline); "
            f"the alt text stands in: {', '.join(remote)}"[:300]
        )
    skeleton = OdtSkeleton(
        source=str(path),
        sha256=file_sha256(path),
        blocks=[f[4] for f in found],
        formats=dict(table.formats),
        tracked_changes=sum(p.changes for p in parts),
        format=kind,
    )
    return document, skeleton


def _translated(part: _Part, kind: str) -> bool:
    """Whether a part's paragraphs are read: a presentation's styles.xml holds only its
    master pages' prompts ("Click to add Title"), never the deck's words."""
    return kind == "odt" or part.name == "content.xml"


def is_separator(obj: Obj) -> bool:
    """A tab: it separates a paragraph's fields ("name ⇥ page ⇥ date")."""
    return len(obj.fragments) == 1 and obj.fragments[0][1].tag == t("tab")


def _is_code_paragraph(paragraph: etree._Element, part: str, styles: _StyleInfo) -> bool:
    """A paragraph in a code style (Preformatted Text, Source Code) or a monospace font."""
    name = paragraph.get(t("style-name"), "")
    scoped = f"{part}|{name}" if f"{part}|{name}" in styles.parents else name
    return bool(name) and styles.is_code(scoped)


def _block(
    paragraph: etree._Element,
    part: str,
    area: str,
    styles: _StyleInfo,
    tables: dict[etree._Element, int],
    seen_notes: set[str],
) -> Block:
    if area == "note":
        note = next(paragraph.iterancestors(t("note")), None)
        note_id = note.get(t("id")) if note is not None else None
        if note_id and note_id not in seen_notes:
            seen_notes.add(note_id)
            return Block("footnote", note_id=note_id)
        return Block("paragraph")
    cell = next(paragraph.iterancestors(f"{{{TABLE}}}table-cell"), None)
    if cell is not None and area == "body":
        row = cell.getparent()
        tbl = next(cell.iterancestors(f"{{{TABLE}}}table"), None)
        if row is not None and tbl is not None and tbl in tables:
            rows = list(tbl.iter(f"{{{TABLE}}}table-row"))
            cells = [c for c in row if c.tag == f"{{{TABLE}}}table-cell"]
            return Block(
                "table_cell",
                table=tables[tbl],
                row=rows.index(row) if row in rows else 0,
                col=cells.index(cell) if cell in cells else 0,
            )
    kind, level, ordered = _kind(paragraph, part, styles)
    if area != "body" and kind in ("title", "subtitle", "heading"):
        kind, level = "paragraph", 0
    return Block(kind, level=level, ordered=ordered)


# --- writing --------------------------------------------------------------------------------


class _Writer:
    """Emits items as the mixed content of a rewritten paragraph."""

    def __init__(self, paragraph: etree._Element, link_inside: bool = False):
        self.paragraph = paragraph
        self.key: tuple[tuple[str, ...], str] = ((), "")
        self.container = paragraph
        self.at_line_start = True
        self.link_inside = link_inside  # spans around the link, not in it (Impress)

    def _target(self, spans: tuple[str, ...], link: str) -> etree._Element:
        if (spans, link) == self.key:
            return self.container
        self.key = (spans, link)
        container = self.paragraph
        if link and not self.link_inside:
            container = self._link(container, link)
        for name in spans:
            span = etree.SubElement(container, T_SPAN)
            if name:
                span.set(t("style-name"), name)
            container = span
        if link and self.link_inside:
            container = self._link(container, link)
        self.container = container
        return container

    @staticmethod
    def _link(container: etree._Element, link: str) -> etree._Element:
        """A presentation's link is a field that shows only its own text: no span inside."""
        anchor = etree.fromstring(link)
        container.append(anchor)
        return anchor

    @staticmethod
    def _append_text(container: etree._Element, text: str) -> None:
        if len(container):
            last = container[-1]
            last.tail = (last.tail or "") + text
        else:
            container.text = (container.text or "") + text

    def text(self, item: Text) -> None:
        path, link = item.fmt
        spans = tuple(path.partition("|")[2].split("/")) if path.partition("|")[2] else ()
        container = self._target(spans, link)
        for piece in re.split(r"(\t|\n| +)", item.text):
            if not piece:
                continue
            if piece == "\t":
                etree.SubElement(container, t("tab"))
                self.at_line_start = False
            elif piece == "\n":
                etree.SubElement(container, t("line-break"))
                self.at_line_start = True
            elif piece.strip() == "":
                count = len(piece)
                if not self.at_line_start:
                    self._append_text(container, " ")
                    count -= 1
                if count:
                    space = etree.SubElement(container, T_S)
                    if count > 1:
                        space.set(t("c"), str(count))
                self.at_line_start = False
            else:
                self._append_text(container, piece)
                self.at_line_start = False

    def emit(self, item: Item) -> None:
        if isinstance(item, Text):
            self.text(item)
            return
        for fragment in item.fragments:
            _, element, spans, link = fragment
            element.tail = None
            self._target(spans, link).append(element)
            self.at_line_start = item.kind == "break"


def _rewrite(paragraph: etree._Element, items: list[Item], link_inside: bool = False) -> None:
    for child in list(paragraph):
        paragraph.remove(child)
    paragraph.text = None
    writer = _Writer(paragraph, link_inside)
    for item in items:
        writer.emit(item)


def _declare_font(root: etree._Element) -> None:
    decls = root.find(f"{{{OFFICE}}}font-face-decls")
    if decls is None:
        decls = etree.Element(f"{{{OFFICE}}}font-face-decls")
        root.insert(0, decls)
    if any(f.get(s("name")) == EAST_ASIAN_FONT for f in decls):
        return
    face = etree.SubElement(decls, s("font-face"))
    face.set(s("name"), EAST_ASIAN_FONT)
    face.set(f"{{{SVG}}}font-family", f"'{EAST_ASIAN_FONT}'")
    face.set(s("font-family-generic"), "roman")
    face.set(s("font-pitch"), "variable")


def _language(props: etree._Element, lang: str) -> None:
    props.set(f"{{{FO}}}language", lang)
    props.set(f"{{{FO}}}country", COUNTRIES.get(lang, "none"))
    if lang == "ja":
        props.set(s("language-asian"), "ja")
        props.set(s("country-asian"), "JP")
        props.set(s("font-name-asian"), EAST_ASIAN_FONT)


def set_languages(root: etree._Element, lang: str, defaults: bool) -> None:
    """The language in every style that names one, and (``defaults``) the default style."""
    for props in root.iter(s("text-properties")):
        if props.get(f"{{{FO}}}language") is not None or props.get(s("language-asian")):
            _language(props, lang)
    if lang == "ja":
        _declare_font(root)
    if not defaults:
        return
    styles = root.find(f"{{{OFFICE}}}styles")
    if styles is None:
        styles = etree.SubElement(root, f"{{{OFFICE}}}styles")
    default = next(
        (d for d in styles.findall(s("default-style")) if d.get(s("family")) == "paragraph"),
        None,
    )
    if default is None:
        default = etree.Element(s("default-style"))
        default.set(s("family"), "paragraph")
        styles.insert(0, default)
    props = default.find(s("text-properties"))
    if props is None:
        props = etree.SubElement(default, s("text-properties"))
    _language(props, lang)


def write(skeleton: OdtSkeleton, translated: Document, lang: str, path: Path) -> None:
    """Write the source package with the translated blocks' text in place, atomically."""
    write_atomic(Path(path), render(skeleton, translated, lang))


def _is_remote(href: str) -> bool:
    return "://" in href or href.startswith("//")


def _remote_links(root: etree._Element, images: bool = False) -> list[str]:
    """Remote ``xlink:href`` targets of what a renderer would load (images with ``images``;
    else also objects, plug-ins, linked sections), never of links a reader clicks."""
    found = []
    for element in root.iter():
        href = element.get(f"{{{XLINK}}}href") if isinstance(element.tag, str) else None
        if not href or not _is_remote(href) or element.tag in (T_A, f"{{{DRAW}}}a"):
            continue
        if not images or element.tag == f"{{{DRAW}}}image":
            found.append(href)
    return found


def _offline(root: etree._Element) -> None:
    """Point every remote resource a renderer would load at nothing (a copy to convert)."""
    for element in root.iter():
        href = element.get(f"{{{XLINK}}}href") if isinstance(element.tag, str) else None
        if href and _is_remote(href) and element.tag not in (T_A, f"{{{DRAW}}}a"):
            element.set(f"{{{XLINK}}}href", "")


def render(
    skeleton: OdtSkeleton, translated: Document, lang: str, *, offline: bool = False
) -> bytes:
    """The source package with the translated blocks' text in place, as bytes.

    ``offline``: a copy for LibreOffice to convert, with remote images, objects and linked
    sections pointed at nothing, so nothing is fetched.
    """
    source = Path(skeleton.source)
    if len(translated.blocks) != len(skeleton.blocks):
        raise InplaceError(
            f"{source.name}: the translation has {len(translated.blocks)} blocks, "
            f"the document {len(skeleton.blocks)}"
        )
    if file_sha256(source) != skeleton.sha256:
        raise InplaceError(f"{source.name} changed while it was being translated; run again")
    entries = open_package(source, skeleton.format)
    parts = {name: _load(entries, name) for name in PARTS if name in entries}
    cores: dict[etree._Element, tuple[str, dict[int, Callable[[list[Item]], list[Item]]]]] = {}
    for ref, block in zip(skeleton.blocks, translated.blocks, strict=True):
        paragraph = parts[ref.part].paragraphs[ref.index]
        fields = cores.setdefault(paragraph, (ref.part, {}))[1]
        fields[ref.field] = core_writer(block, skeleton.formats, ref.base)
    plans = [
        (paragraph, reassemble(_Reader(part).read(paragraph), is_separator, fields))
        for paragraph, (part, fields) in cores.items()
    ]
    for paragraph, items in plans:
        _rewrite(paragraph, items, link_inside=skeleton.format == "odp")
    if skeleton.format == "odp" and "content.xml" in parts:
        odp.shrink_on_overflow(parts["content.xml"].root, [p for p, _ in plans])
    changed: dict[str, bytes] = {}
    for name, part in parts.items():
        set_languages(part.root, lang, defaults=name == "styles.xml")
        if offline:
            _offline(part.root)
        changed[name] = serialize(part.root)
    return package_bytes(source, changed)


def offline_copy(skeleton: OdtSkeleton) -> bytes:
    """The source package with remote images, objects and linked sections pointed at nothing."""
    source = Path(skeleton.source)
    entries = open_package(source, skeleton.format)
    changed = {}
    for name in PARTS:
        if name in entries:
            root = parse_xml(entries[name], name)
            _offline(root)
            changed[name] = serialize(root)
    return package_bytes(source, changed)


__all__ = [
    "OdtSkeleton",
    "ParagraphRef",
    "offline_copy",
    "accept_changes",
    "read",
    "render",
    "set_languages",
    "write",
]
