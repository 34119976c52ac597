"""In-place DOCX: read the translatable paragraphs of every part, write them back translated.

``read`` follows the package relationships to the main part and from it to the headers,
footers, footnotes, endnotes and comments; every paragraph with words (text boxes and table
cells included) becomes a ``Block``, in a stable order: body, headers, footers, footnotes,
endnotes, comments. Tracked changes are accepted while reading (insertions kept, deletions
dropped). ``write`` copies the original package entry by entry and replaces only the XML parts
whose paragraphs it rewrote, plus ``styles.xml`` for the document language (and a picture's
paragraph is kept with its caption's, so a longer translation cannot push the caption to the
next page). The
WordprocessingML names, relationships, change acceptance and run properties are in
``wordml.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.document import Block, Document, SpanKind
from pipeline.inplace.common import (
    Format,
    FormatTable,
    Fragment,
    InplaceError,
    Item,
    Obj,
    Text,
    base_format,
    core_spans,
    core_writer,
    field_edges,
    file_sha256,
    is_code_paragraph,
    open_package,
    package_bytes,
    parse_xml,
    reassemble,
    serialize,
    write_atomic,
)
from pipeline.inplace.wordml import (
    HINTS,
    MC,
    TRANSPARENT,
    W_HYPERLINK,
    W_P,
    W_PPR,
    W_R,
    W_RPR,
    W_SDT,
    W_SDT_CONTENT,
    W_SDT_PR,
    W_T,
    WRAPPERS,
    XML_NS,
    Styles,
    accept_changes,
    canonical,
    describe_formats,
    is_separator,
    keep_pictures_with_captions,
    linked_images_note,
    main_part,
    natural_key,
    offline_relationships,
    relationships,
    set_language,
    set_style_languages,
    shallow,
    style_names,
    w,
)

PART_ORDER = ("header", "footer", "footnotes", "endnotes", "comments")
AREAS = {
    "hdr": "header",
    "ftr": "footer",
    "footnotes": "note",
    "endnotes": "note",
    "comments": "comment",
}


@dataclass(frozen=True)
class ParagraphRef:
    """Where a block came from: the part, the paragraph's position, its base formatting.

    ``area`` is body, header, footer, note or comment; ``aliases`` are the positions of
    fallback copies of the same paragraph (a text box's VML fallback); ``field`` is the
    field's number in the paragraph (``common.split_fields``).
    """

    part: str
    index: int
    base: Format
    aliases: tuple[int, ...] = ()
    area: str = "body"
    field: int = 0


@dataclass
class DocxSkeleton:
    """Everything ``write`` needs besides the translated Document (plain, picklable data)."""

    source: str
    sha256: str
    main_part: str
    styles_part: str | None
    parts: list[str]
    blocks: list[ParagraphRef]
    formats: dict[str, Format] = field(default_factory=dict)
    tracked_changes: int = 0
    format: str = "docx"
    stated_pages: int | None = None
    """The page count the file states about itself, when it can be believed (``stated_pages``)."""


# --- reading paragraphs -------------------------------------------------------------------


UNSEEN = {w(t) for t in ("lang", "rPrChange", "noProof", "szCs", "bCs", "iCs")}
"""Run properties that do not change how Latin or Japanese text looks: ignored when runs are
compared, so a spelling mark or a complex-script size never puts a marker inside a word."""


def _chain(outer: str, shell: str) -> str:
    return f"{outer}{WRAPPERS}{shell}" if outer else shell


def _is_hyperlink(instruction: str) -> bool:
    return instruction.strip().upper().startswith("HYPERLINK")


def _in_link(wrappers: str) -> bool:
    """Whether runs under ``wrappers`` are inside a link already (links do not nest)."""
    for shell in wrappers.split(WRAPPERS) if wrappers else ():
        element = etree.fromstring(shell)
        if element.tag == W_HYPERLINK or (
            element.tag == w("fldSimple") and _is_hyperlink(element.get(w("instr"), ""))
        ):
            return True
    return False


def _open_content_control(sdt: etree._Element) -> bool:
    """An inline content control whose words can be translated: one with content, not bound
    to document data (Word would put the data back) and not showing its placeholder."""
    props = sdt.find(W_SDT_PR)
    if sdt.find(W_SDT_CONTENT) is None:
        return False
    if props is None:
        return True
    return props.find(w("dataBinding")) is None and props.find(w("showingPlcHdr")) is None


def _sdt_shell(sdt: etree._Element) -> str:
    """The content control without its content (properties kept)."""
    shell = etree.fromstring(etree.tostring(sdt))
    content = shell.find(W_SDT_CONTENT)
    assert content is not None
    for child in list(content):
        content.remove(child)
    return canonical(shell)


def _rpr_key(rpr: etree._Element | None) -> str:
    """The run properties that make a formatting (as XML, "" for none)."""
    if rpr is None:
        return ""
    copy = etree.fromstring(etree.tostring(rpr))
    for child in list(copy):
        if child.tag in UNSEEN:
            copy.remove(child)
        elif child.tag == w("rFonts"):
            child.attrib.pop(w("hint"), None)
            if not child.attrib:
                copy.remove(child)
    return canonical(copy) if len(copy) or copy.attrib else ""


class _Reader:
    """Turns one paragraph's children into items (text with formatting, kept objects)."""

    def __init__(self, notes: dict[str, str]):
        self.items: list[Item] = []
        self.field_depth = 0
        self.field: list[Fragment] = []
        self.instruction = ""  # the field code of the outermost field being read
        self.in_result = False  # reading the shown words of a HYPERLINK field
        self.notes = notes

    def read(self, paragraph: etree._Element) -> list[Item]:
        self.items = []
        self.field_depth = 0
        self.field = []
        self.instruction = ""
        self.in_result = False
        for child in paragraph:
            self._content(child, "")
        if self.field:
            self.items.append(Obj(self.field))
        return self.items

    def _collecting(self) -> bool:
        """Whether content goes into the field being read (not the link text of its result)."""
        return self.field_depth > (1 if self.in_result else 0)

    def _field_char(self, fragment: Fragment, kind: str | None) -> None:
        """A field's begin, separate or end mark. A field is one object, except that the result
        of a HYPERLINK field (its shown words) is read as text between two objects."""
        outer = 1 if self.in_result else 0
        if kind == "begin":
            if self.field_depth == outer:
                self.field, self.instruction = [], ""
            self.field_depth += 1
            self.field.append(fragment)
        elif self.field_depth > outer:
            self.field.append(fragment)
            if kind == "separate" and self.field_depth == 1 and _is_hyperlink(self.instruction):
                self.items.append(Obj(self.field))
                self.field, self.in_result = [], True
            elif kind == "end":
                self.field_depth -= 1
                if self.field_depth == outer:
                    self.items.append(Obj(self.field))
                    self.field = []
        elif kind == "end" and self.in_result:
            self.items.append(Obj([fragment]))
            self.field_depth, self.in_result = 0, False
        else:
            self._object(fragment)

    def _object(
        self, fragment: Fragment, kind: SpanKind = "object", note: str | None = None
    ) -> None:
        if self._collecting():
            self.field.append(fragment)
        else:
            self.items.append(Obj([fragment], kind, note))

    def _content(self, element: etree._Element, link: str) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag == W_PPR or tag in HINTS:
            return
        if tag == W_R:
            self._run(element, link)
        elif tag == W_HYPERLINK and not _in_link(link):
            wrapper = _chain(link, shallow(element))
            for child in element:
                self._content(child, wrapper)
        elif tag == W_SDT and _open_content_control(element):
            wrapper = _chain(link, _sdt_shell(element))
            for child in element.find(W_SDT_CONTENT):
                self._content(child, wrapper)
        elif (
            tag == w("fldSimple")
            and _is_hyperlink(element.get(w("instr"), ""))
            and not _in_link(link)
            and not self._collecting()
        ):
            wrapper = _chain(link, shallow(element))
            for child in element:
                self._content(child, wrapper)
        elif tag in TRANSPARENT:
            for child in element:
                self._content(child, link)
        else:
            self._object(("para", element, link))

    def _run(self, run: etree._Element, link: str) -> None:
        rpr = run.find(W_RPR)
        rpr_xml = canonical(rpr) if rpr is not None else ""
        fmt = (_rpr_key(rpr), link)
        for child in run:
            tag = child.tag
            if not isinstance(tag, str) or tag == W_RPR or tag in HINTS:
                continue
            fragment: Fragment = ("run", child, rpr_xml, link)
            if tag == w("fldChar"):
                self._field_char(fragment, child.get(w("fldCharType")))
            elif tag == w("instrText") and self.field_depth == 1 and not self.in_result:
                self.instruction += child.text or ""
                self.field.append(fragment)
            elif self._collecting():
                self.field.append(fragment)
            else:
                self._run_content(child, fragment, fmt)

    def _run_content(self, child: etree._Element, fragment: Fragment, fmt: Format) -> None:
        """One child of a run outside a field: text, a hyphen, a break, a note mark or an object."""
        tag = child.tag
        if tag == W_T:
            self._text(child.text or "", fmt)
        elif tag == w("noBreakHyphen"):
            self._text("\u2011", fmt)
        elif tag == w("softHyphen"):
            return
        elif tag in (w("br"), w("cr")) and child.get(w("type"), "textWrapping") in (
            "textWrapping",
            "",
        ):
            self._object(fragment, "break")
        elif tag in (w("footnoteReference"), w("endnoteReference")):
            prefix = "fn" if tag == w("footnoteReference") else "en"
            note = f"{prefix}{child.get(w('id'))}"
            self._object(fragment, "note_ref", note if note in self.notes else None)
        else:
            self._object(fragment)

    def _text(self, text: str, fmt: Format) -> None:
        if not text:
            return
        last = self.items[-1] if self.items else None
        if isinstance(last, Text) and last.fmt == fmt:
            last.text += text
        else:
            self.items.append(Text(text, fmt))


def _fallback_aliases(root: etree._Element, order: dict[etree._Element, int]) -> dict[int, int]:
    """Fallback copies of text-box paragraphs (``mc:Fallback``) → the paragraph they copy."""
    aliases: dict[int, int] = {}
    for alternate in root.iter(f"{{{MC}}}AlternateContent"):
        choice = alternate.find(f"{{{MC}}}Choice")
        fallback = alternate.find(f"{{{MC}}}Fallback")
        if choice is None or fallback is None:
            continue
        chosen, copies = list(choice.iter(W_P)), list(fallback.iter(W_P))
        if len(chosen) == len(copies):
            for original, copy in zip(chosen, copies, strict=True):
                aliases[order[copy]] = order[original]
    return aliases


def _in_fallback(paragraph: etree._Element) -> bool:
    return any(a.tag == f"{{{MC}}}Fallback" for a in paragraph.iterancestors())


def _note_ids(root: etree._Element, prefix: str) -> list[tuple[str, etree._Element]]:
    notes = []
    for note in root:
        if note.tag in (w("footnote"), w("endnote")) and note.get(w("type")) in (None, "normal"):
            notes.append((f"{prefix}{note.get(w('id'))}", note))
    return notes


def _parts(entries: dict[str, bytes], main: str) -> tuple[list[str], str | None, dict[str, str]]:
    """The parts to translate (main first), the styles part, and the hyperlink targets."""
    by_kind: dict[str, list[str]] = {k: [] for k in PART_ORDER}
    styles = None
    links: dict[str, str] = {}
    for rel_id, kind, target, _mode in relationships(entries, main):
        short = kind.rsplit("/", 1)[-1]
        if short == "hyperlink":
            links[rel_id] = target
        elif short == "styles" and target in entries:
            styles = target
        elif short in by_kind and target in entries and target not in by_kind[short]:
            by_kind[short].append(target)
    ordered = [main]
    for kind in PART_ORDER:
        ordered.extend(sorted(by_kind[kind], key=natural_key))
    return ordered, styles, links


@dataclass
class _Part:
    """One parsed part: its root, paragraphs in document order, and changes accepted."""

    name: str
    root: etree._Element
    paragraphs: list[etree._Element]
    changes: int


def _load_part(entries: dict[str, bytes], name: str) -> _Part:
    root = parse_xml(entries[name], name)
    changes = accept_changes(root)
    return _Part(name, root, list(root.iter(W_P)), changes)


def read(path: Path) -> tuple[Document, DocxSkeleton]:
    """Read a DOCX into a Document of its translatable paragraphs and the skeleton to write it."""
    path = Path(path)
    entries = open_package(path, "docx")
    main = main_part(entries)
    parts, styles_part, links = _parts(entries, main)
    styles = Styles(style_names(entries, styles_part))
    table = FormatTable()
    describe = describe_formats(links, styles.names)
    blocks: list[Block] = []
    refs: list[ParagraphRef] = []
    changes = 0
    loaded = [_load_part(entries, name) for name in parts]
    notes: dict[str, str] = {}
    for part in loaded:
        tag = part.root.tag
        if tag in (w("footnotes"), w("endnotes")):
            prefix = "fn" if tag == w("footnotes") else "en"
            for note_id, _ in _note_ids(part.root, prefix):
                notes[note_id] = note_id
    reader = _Reader(notes)
    table_count = 0
    for part in loaded:
        changes += part.changes
        order = {p: i for i, p in enumerate(part.paragraphs)}
        aliases = _fallback_aliases(part.root, order)
        copies: dict[int, list[int]] = {}
        for copy, original in aliases.items():
            copies.setdefault(original, []).append(copy)
        note_of: dict[etree._Element, str] = {}
        if part.root.tag in (w("footnotes"), w("endnotes")):
            prefix = "fn" if part.root.tag == w("footnotes") else "en"
            for note_id, note in _note_ids(part.root, prefix):
                for paragraph in note.iter(W_P):
                    note_of[paragraph] = note_id
        tables = {t: table_count + i for i, t in enumerate(part.root.iter(w("tbl")))}
        table_count += len(tables)
        seen_notes: set[str] = set()
        area = AREAS.get(etree.QName(part.root).localname, "body")
        for index, paragraph in enumerate(part.paragraphs):
            if _in_fallback(paragraph) or styles.is_code(paragraph):
                continue
            for number, edges in field_edges(reader.read(paragraph), is_separator):
                if is_code_paragraph(edges.core, describe):
                    continue
                base = base_format(edges.core)
                block = _block_for(paragraph, part, styles, tables, note_of, seen_notes)
                block.spans = core_spans(edges.core, table, base, describe)
                blocks.append(block)
                copied = tuple(copies.get(index, ()))
                refs.append(ParagraphRef(part.name, index, base, copied, area, number))
    document = Document(blocks=blocks, source_path=str(path), source_format="docx")
    document.notes.extend(linked_images_note(entries))
    skeleton = DocxSkeleton(
        source=str(path),
        sha256=file_sha256(path),
        main_part=main,
        styles_part=styles_part,
        parts=parts,
        blocks=refs,
        formats=dict(table.formats),
        tracked_changes=changes,
    )
    return document, skeleton


def _block_for(
    paragraph: etree._Element,
    part: _Part,
    styles: Styles,
    tables: dict[etree._Element, int],
    note_of: dict[etree._Element, str],
    seen_notes: set[str],
) -> Block:
    if paragraph in note_of:
        note_id = note_of[paragraph]
        if note_id in seen_notes:
            return Block("paragraph")
        seen_notes.add(note_id)
        return Block("footnote", note_id=note_id)
    cell = next(
        (a for a in paragraph.iterancestors(w("tc"), w("txbxContent")) if a.tag == w("tc")), None
    )
    if cell is not None:
        row = cell.getparent()
        tbl = row.getparent() if row is not None else None
        if row is not None and tbl is not None and tbl in tables:
            rows = [r for r in tbl if r.tag == w("tr")]
            cells = [c for c in row if c.tag == w("tc")]
            return Block(
                "table_cell",
                table=tables[tbl],
                row=rows.index(row) if row in rows else 0,
                col=cells.index(cell) if cell in cells else 0,
            )
    kind, level, ordered = styles.kind(paragraph)
    if part.root.tag != w("document") and kind in ("title", "subtitle", "heading"):
        kind, level = "paragraph", 0
    return Block(kind, level=level, ordered=ordered)


# --- writing --------------------------------------------------------------------------------


def _parse_fragment(xml: str) -> etree._Element:
    return etree.fromstring(xml)


class _Writer:
    """Emits items as the children of a rewritten paragraph."""

    def __init__(self, paragraph: etree._Element, lang: str):
        self.paragraph = paragraph
        self.lang = lang
        self.link_xml = ""
        self.container = paragraph

    def _target(self, link_xml: str) -> etree._Element:
        """The element runs go into for wrappers ``link_xml`` (links, content controls)."""
        if link_xml != self.link_xml:
            self.link_xml = link_xml
            container = self.paragraph
            for shell in link_xml.split(WRAPPERS) if link_xml else ():
                element = _parse_fragment(shell)
                container.append(element)
                content = element.find(W_SDT_CONTENT) if element.tag == W_SDT else None
                container = content if content is not None else element
            self.container = container
        return self.container

    def _new_run(self, rpr_xml: str, link_xml: str, text_run: bool) -> etree._Element:
        run = etree.SubElement(self._target(link_xml), W_R)
        if rpr_xml or text_run:
            rpr = _parse_fragment(rpr_xml) if rpr_xml else etree.Element(W_RPR)
            if text_run:
                set_language(rpr, self.lang)
            run.append(rpr)
        return run

    def emit(self, item: Item) -> None:
        if isinstance(item, Text):
            self._text(item)
            return
        run: etree._Element | None = None
        run_key: tuple[str, str] | None = None
        for fragment in item.fragments:
            if fragment[0] == "para":
                _, element, link_xml = fragment
                element.tail = None
                self._target(link_xml).append(element)
                run, run_key = None, None
            else:
                _, element, rpr_xml, link_xml = fragment
                if run is None or run_key != (rpr_xml, link_xml):
                    run = self._new_run(rpr_xml, link_xml, text_run=False)
                    run_key = (rpr_xml, link_xml)
                element.tail = None
                run.append(element)

    def _text(self, item: Text) -> None:
        rpr_xml, link_xml = item.fmt
        run = self._new_run(rpr_xml, link_xml, text_run=True)
        for piece in re.split(r"(\t|\n|\u2011)", item.text):
            if piece == "\t":
                etree.SubElement(run, w("tab"))
            elif piece == "\n":
                etree.SubElement(run, w("br"))
            elif piece == "\u2011":
                etree.SubElement(run, w("noBreakHyphen"))
            elif piece:
                t = etree.SubElement(run, W_T)
                t.text = piece
                if piece != piece.strip():
                    t.set(f"{{{XML_NS}}}space", "preserve")


def _rewrite(
    paragraph: etree._Element,
    items: list[Item],
    lang: str,
) -> None:
    for child in list(paragraph):
        if child.tag != W_PPR:
            paragraph.remove(child)
    writer = _Writer(paragraph, lang)
    for item in items:
        writer.emit(item)


def write(skeleton: DocxSkeleton, translated: Document, lang: str, path: Path) -> None:
    """Write the source package with the translated blocks' text in place, atomically."""
    write_atomic(Path(path), render(skeleton, translated, lang))


def render(
    skeleton: DocxSkeleton, translated: Document, lang: str, *, offline: bool = False
) -> bytes:
    """The source package with the translated blocks' text in place, as bytes.

    ``offline``: a copy for LibreOffice to convert, with every external target but hyperlinks
    (linked pictures, templates, frames) pointed inside the package, so nothing is fetched.
    """
    source = Path(skeleton.source)
    if len(translated.blocks) != len(skeleton.blocks):
        raise InplaceError(
            f"{source.name}: the translation has {len(translated.blocks)} blocks, "
            f"the document {len(skeleton.blocks)}"
        )
    if file_sha256(source) != skeleton.sha256:
        raise InplaceError(f"{source.name} changed while it was being translated; run again")
    entries = open_package(source, "docx")
    parts = {name: _load_part(entries, name) for name in skeleton.parts}
    notes = {
        note_id: note_id
        for part in parts.values()
        if part.root.tag in (w("footnotes"), w("endnotes"))
        for note_id, _ in _note_ids(part.root, "fn" if part.root.tag == w("footnotes") else "en")
    }
    reader = _Reader(notes)
    cores: dict[etree._Element, dict[int, Callable[[list[Item]], list[Item]]]] = {}
    for ref, block in zip(skeleton.blocks, translated.blocks, strict=True):
        part = parts[ref.part]
        for index in (ref.index, *ref.aliases):
            cores.setdefault(part.paragraphs[index], {})[ref.field] = core_writer(
                block, skeleton.formats, ref.base
            )
    plans = [
        (paragraph, reassemble(reader.read(paragraph), is_separator, fields))
        for paragraph, fields in cores.items()
    ]
    for paragraph, items in plans:
        _rewrite(paragraph, items, lang)
    names = style_names(entries, skeleton.styles_part)
    kept = {name for name, part in parts.items() if keep_pictures_with_captions(part.root, names)}
    changed = {
        name: serialize(part.root)
        for name, part in parts.items()
        if _touched(part, skeleton) or name in kept
    }
    if skeleton.styles_part and skeleton.styles_part in entries:
        styles = parse_xml(entries[skeleton.styles_part], skeleton.styles_part)
        set_style_languages(styles, lang)
        changed[skeleton.styles_part] = serialize(styles)
    if offline:
        changed.update(offline_relationships(entries))
    return package_bytes(source, changed)


def offline_copy(skeleton: DocxSkeleton) -> bytes:
    """The source package with every external target but hyperlinks pointed inside it."""
    source = Path(skeleton.source)
    return package_bytes(source, offline_relationships(open_package(source, "docx")))


def _touched(part: _Part, skeleton: DocxSkeleton) -> bool:
    return part.changes > 0 or any(ref.part == part.name for ref in skeleton.blocks)


__all__ = [
    "DocxSkeleton",
    "ParagraphRef",
    "offline_copy",
    "read",
    "render",
    "write",
]
