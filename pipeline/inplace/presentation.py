"""In-place PPTX: the paragraphs of every slide and its speaker notes, read and written back.

python-pptx opens the package (after the zip checks every in-place reader makes) and walks
each slide's shapes in order: text frames, tables (cell by cell), grouped shapes (into the
group), then the speaker notes. Every DrawingML paragraph (``a:p``) with words is a block; its
runs (``a:r``) are items whose formatting is the run's properties (``a:rPr``), so bold, colour,
size and links stay on the words they were on. Line breaks (``a:br``) and fields (``a:fld``,
a slide number) are kept objects. Writing opens the source again, rewrites those paragraphs
(``a:pPr`` and ``a:endParaRPr`` kept), fits each changed text frame (``fit.py``) and saves
through python-pptx, so pictures, layouts, masters and every other part are carried over.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.document import Block, BlockKind, Document
from pipeline.inplace import slidefit as fit
from pipeline.inplace.common import (
    Format,
    FormatTable,
    InplaceError,
    Item,
    Obj,
    Style,
    Text,
    base_format,
    core_items,
    core_spans,
    file_sha256,
    open_package,
    split_edges,
)
from pipeline.inplace.wordml import canonical, linked_images_note, offline_relationships

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"

LOCALES = {"en": "en-GB", "es": "es-ES", "ja": "ja-JP"}
UNSEEN = ("lang", "altLang", "dirty", "err", "noProof", "smtClean", "smtId")
"""Run attributes that do not change how text looks (ignored when runs are compared)."""


def a(tag: str) -> str:
    return f"{{{A}}}{tag}"


A_P, A_R, A_T, A_RPR, A_PPR, A_BR, A_END = (
    a("p"),
    a("r"),
    a("t"),
    a("rPr"),
    a("pPr"),
    a("br"),
    a("endParaRPr"),
)
TITLES = {"title": ("heading", 1), "ctrTitle": ("title", 0), "subTitle": ("subtitle", 0)}


@dataclass(frozen=True)
class ParagraphRef:
    """Where a block came from: the paragraph's position in reading order, its base
    formatting; ``area`` is ``body`` (a slide) or ``speaker_notes``."""

    index: int
    base: Format
    area: str = "body"
    slide: int = 0


@dataclass
class PptxSkeleton:
    """Everything ``render`` needs besides the translated Document (plain, picklable data)."""

    source: str
    sha256: str
    blocks: list[ParagraphRef]
    formats: dict[str, Format] = field(default_factory=dict)
    slides: int = 0
    tracked_changes: int = 0
    format: str = "pptx"


@dataclass
class _Frame:
    """One text frame found while walking a slide: its ``a:txBody`` and shape size."""

    body: etree._Element
    width: int
    height: int
    placeholder: str
    area: str
    table: int | None = None
    cells: dict[etree._Element, tuple[int, int]] = field(default_factory=dict)
    inherited: fit.Inherited = fit.Inherited()


@dataclass
class _Walk:
    """The presentation open, with its frames in reading order (slide by slide)."""

    presentation: Any
    frames: list[tuple[int, _Frame]]
    slides: int


def _ph_type(shape: Any) -> str:
    """The placeholder's XML type (``title``, ``ctrTitle``, ``subTitle``, ``body``…) or ""."""
    ph = shape._element.find(f".//{{{P}}}nvPr/{{{P}}}ph")
    if ph is None:
        return ""
    return str(ph.get("type", "body"))


_STYLES = {"title": "titleStyle", "ctrTitle": "titleStyle", "": "otherStyle"}
"""The master's text style a placeholder type takes its sizes from (else ``bodyStyle``)."""


def _autofit_of(element: Any) -> str:
    props = element.find(f".//{a('bodyPr')}") if element is not None else None
    for kind in ("normAutofit", "spAutoFit", "noAutofit"):
        if props is not None and props.find(a(kind)) is not None:
            return kind
    return ""


def _level_sizes(style: etree._Element | None) -> list[float | None]:
    """Sizes in points per level (``a:lvl1pPr``…``a:lvl9pPr``) that ``style`` sets."""
    out: list[float | None] = []
    for level in range(1, 10):
        rpr = style.find(f"{a(f'lvl{level}pPr')}/{a('defRPr')}") if style is not None else None
        size = rpr.get("sz") if rpr is not None else None
        out.append(int(size) / 100 if size and size.isdigit() else None)
    return out


def _inherited(shape: Any, master: Any, defaults: etree._Element | None) -> fit.Inherited:
    """A shape's autofit and sizes as its layout and master placeholders (a placeholder) or
    the presentation's default text style (any other shape) give them."""
    chain = [shape._element]
    base = shape
    while getattr(base, "is_placeholder", False) and len(chain) < 3:
        try:
            base = base._base_placeholder
        except (AttributeError, KeyError, ValueError):
            base = None
        if base is None:
            break
        chain.append(base._element)
    autofit = next((k for k in map(_autofit_of, chain) if k), "")
    ph = _ph_type(shape)
    styles: list[etree._Element | None] = [e.find(f".//{a('lstStyle')}") for e in chain]
    if ph:
        name = _STYLES.get(ph, "bodyStyle")
        styles.append(master._element.find(f"{{{P}}}txStyles/{{{P}}}{name}"))
    else:
        styles.append(defaults)
    levels = [_level_sizes(style) for style in styles]
    sizes: list[float] = []
    for level in range(9):
        given = [lv[level] for lv in levels if lv[level] is not None]
        sizes.append(float(given[0]) if given and given[0] is not None else fit.DEFAULT_SIZE)
    return fit.Inherited(autofit, tuple(sizes))


def _shape_frames(
    shapes: Any, tables: list[int], master: Any, defaults: etree._Element | None
) -> Iterator[_Frame]:
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shape_frames(shape.shapes, tables, master, defaults)  # into the group
            continue
        width, height = int(shape.width or 0), int(shape.height or 0)
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            body = shape.text_frame._txBody
            inherited = _inherited(shape, master, defaults)
            yield _Frame(body, width, height, _ph_type(shape), "body", inherited=inherited)
        elif getattr(shape, "has_table", False) and shape.has_table:
            tbl = shape._element.find(f".//{a('tbl')}")
            cells = {}
            for row_no, row in enumerate(tbl.findall(a("tr"))):
                for col_no, cell in enumerate(row.findall(a("tc"))):
                    cells[cell] = (row_no, col_no)
            tables[0] += 1
            yield _Frame(tbl, width, height, "", "body", tables[0] - 1, cells)


def _walk(data: bytes) -> _Walk:
    from pptx import Presentation

    try:
        presentation = Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises KeyError, ValueError, lxml errors…
        raise InplaceError(f"not a valid .pptx file ({type(exc).__name__})") from exc
    frames: list[tuple[int, _Frame]] = []
    tables = [0]
    defaults = presentation._element.find(f"{{{P}}}defaultTextStyle")
    for number, slide in enumerate(presentation.slides):
        master = slide.slide_layout.slide_master
        for frame in _shape_frames(slide.shapes, tables, master, defaults):
            frames.append((number, frame))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                frames.append((number, _Frame(notes._txBody, 0, 0, "notes", "speaker_notes")))
    return _Walk(presentation, frames, len(presentation.slides))


def _paragraphs(frame: _Frame) -> Iterator[etree._Element]:
    for paragraph in frame.body.iter(A_P):
        if not any(anc.tag == f"{{{MC}}}Fallback" for anc in paragraph.iterancestors()):
            yield paragraph


# --- reading a paragraph ------------------------------------------------------------------


def _rpr_key(rpr: etree._Element | None) -> str:
    if rpr is None:
        return ""
    copy = etree.fromstring(etree.tostring(rpr))
    for name in UNSEEN:
        copy.attrib.pop(name, None)
    return canonical(copy) if len(copy) or copy.attrib else ""


def _link_target(rpr: etree._Element | None, part: Any) -> str:
    link = rpr.find(a("hlinkClick")) if rpr is not None else None
    if link is None:
        return ""
    rel_id = link.get(f"{{{R}}}id", "")
    try:
        return str(part.rels[rel_id].target_ref) if rel_id else "#"
    except KeyError:
        return "#"


def _items(paragraph: etree._Element, part: Any) -> list[Item]:
    items: list[Item] = []
    for child in paragraph:
        tag = child.tag
        if not isinstance(tag, str) or tag in (A_PPR, A_END):
            continue
        if tag == A_R:
            rpr = child.find(A_RPR)
            fmt = (_rpr_key(rpr), _link_target(rpr, part))
            text = "".join(t.text or "" for t in child.findall(A_T))
            last = items[-1] if items else None
            if isinstance(last, Text) and last.fmt == fmt:
                last.text += text
            elif text:
                items.append(Text(text, fmt))
        elif tag == A_BR:
            items.append(Obj([("el", child)], "break"))
        else:
            items.append(Obj([("el", child)]))
    return items


def _describe(fmt: Format) -> Style:
    bold = italic = False
    if fmt[0]:
        rpr = etree.fromstring(fmt[0])
        bold = rpr.get("b") in ("1", "true")
        italic = rpr.get("i") in ("1", "true")
    return Style(bold, italic, fmt[1] or None)


def _kind(frame: _Frame, paragraph: etree._Element, seen_title: bool) -> tuple[BlockKind, int]:
    if frame.area != "body":
        return "paragraph", 0
    if frame.placeholder in TITLES:
        kind, level = TITLES[frame.placeholder]
        if kind == "title" and seen_title:
            return "heading", 1
        return kind, level  # type: ignore[return-value]
    ppr = paragraph.find(A_PPR)
    level = int(ppr.get("lvl", "0")) if ppr is not None else 0
    if frame.placeholder in ("body", "obj"):
        return "list_item", level + 1
    return "paragraph", 0


def _cell_block(frame: _Frame, paragraph: etree._Element) -> Block | None:
    cell = next(paragraph.iterancestors(a("tc")), None)
    if frame.table is None or cell is None or cell not in frame.cells:
        return None
    row, col = frame.cells[cell]
    return Block("table_cell", table=frame.table, row=row, col=col)


def read(path: Path) -> tuple[Document, PptxSkeleton]:
    """Read a PPTX into a Document of its translatable paragraphs and the skeleton to write it."""
    path = Path(path)
    entries = open_package(path, "pptx")  # the zip checks, before python-pptx unpacks anything
    walk = _walk(path.read_bytes())
    table = FormatTable()
    blocks: list[Block] = []
    refs: list[ParagraphRef] = []
    index = 0
    seen_title = False
    for slide_no, frame in walk.frames:
        owner = _owner_part(walk.presentation, slide_no, frame.area)
        for paragraph in _paragraphs(frame):
            edges = split_edges(_items(paragraph, owner))
            index += 1
            if edges is None:
                continue
            base = base_format(edges.core)
            block = _cell_block(frame, paragraph)
            if block is None:
                kind, level = _kind(frame, paragraph, seen_title)
                seen_title = seen_title or kind == "title"
                block = Block(kind, level=level)
            block.spans = core_spans(edges.core, table, base, _describe)
            blocks.append(block)
            refs.append(ParagraphRef(index - 1, base, frame.area, slide_no))
    document = Document(blocks=blocks, source_path=str(path), source_format="pptx")
    document.notes.extend(linked_images_note(entries))  # linked pictures are never fetched
    skeleton = PptxSkeleton(
        source=str(path),
        sha256=file_sha256(path),
        blocks=refs,
        formats=dict(table.formats),
        slides=walk.slides,
    )
    return document, skeleton


def _owner_part(presentation: Any, slide_no: int, area: str) -> Any:
    slide = presentation.slides[slide_no]
    return slide.notes_slide.part if area == "speaker_notes" else slide.part


# --- writing --------------------------------------------------------------------------------


def _set_language(rpr: etree._Element, lang: str) -> None:
    rpr.set("lang", LOCALES.get(lang, lang))
    rpr.attrib.pop("altLang", None)


def _rewrite(paragraph: etree._Element, items: list[Item], lang: str) -> None:
    end = paragraph.find(A_END)
    for child in list(paragraph):
        if child.tag not in (A_PPR, A_END):
            paragraph.remove(child)

    def place(element: etree._Element) -> None:
        if end is not None:
            end.addprevious(element)
        else:
            paragraph.append(element)

    for item in items:
        if isinstance(item, Obj):
            for fragment in item.fragments:
                element = fragment[1]
                element.tail = None
                place(element)
            continue
        for number, line in enumerate(item.text.split("\n")):
            rpr = etree.fromstring(item.fmt[0]) if item.fmt[0] else etree.Element(A_RPR)
            _set_language(rpr, lang)
            if number:
                brk = etree.Element(A_BR)
                brk.append(etree.fromstring(etree.tostring(rpr)))
                place(brk)
            if line:
                run = etree.Element(A_R)
                run.append(rpr)
                etree.SubElement(run, A_T).text = line
                place(run)
    if end is not None:
        _set_language(end, lang)


def render(
    skeleton: PptxSkeleton, translated: Document, lang: str, *, offline: bool = False
) -> bytes:
    """The source presentation with the translated blocks' text in place, as bytes.

    ``offline``: a copy for LibreOffice, with every external target but hyperlinks (linked
    pictures, media) pointed inside the package, so converting fetches nothing.
    """
    data, _ = render_with_fit(skeleton, translated, lang, offline=offline)
    return data


def render_with_fit(
    skeleton: PptxSkeleton, translated: Document, lang: str, *, offline: bool = False
) -> tuple[bytes, fit.FitReport]:
    """``render``, with what fitting the text frames did (frames shrunk, still overflowing)."""
    source = Path(skeleton.source)
    if len(translated.blocks) != len(skeleton.blocks):
        raise InplaceError(
            f"{source.name}: the translation has {len(translated.blocks)} blocks, "
            f"the presentation {len(skeleton.blocks)}"
        )
    if file_sha256(source) != skeleton.sha256:
        raise InplaceError(f"{source.name} changed while it was being translated; run again")
    walk = _walk(source.read_bytes())
    paragraphs: list[tuple[etree._Element, _Frame, Any]] = []
    for slide_no, frame in walk.frames:
        owner = _owner_part(walk.presentation, slide_no, frame.area)
        paragraphs.extend((p, frame, owner) for p in _paragraphs(frame))
    changed: dict[int, tuple[_Frame, float]] = {}
    for ref, block in zip(skeleton.blocks, translated.blocks, strict=True):
        paragraph, frame, owner = paragraphs[ref.index]
        edges = split_edges(_items(paragraph, owner))
        if edges is None:
            continue
        if id(frame.body) not in changed:
            before = fit.source_extent(frame.body, frame.width, frame.height, frame.inherited)
            changed[id(frame.body)] = (frame, before)
        core = core_items(block.spans, edges.core, skeleton.formats, ref.base)
        _rewrite(paragraph, [*edges.prefix, *core, *edges.suffix], lang)
    report = fit.FitReport()
    for frame, before in changed.values():
        if frame.table is None and frame.area == "body":
            report.add(
                fit.fit_frame(frame.body, frame.width, frame.height, before, frame.inherited)
            )
    out = io.BytesIO()
    walk.presentation.save(out)
    data = out.getvalue()
    return (_offline(data) if offline else data), report


def _offline(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        entries = {i.filename: zin.read(i) for i in zin.infolist()}
        changed = offline_relationships(entries)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, changed.get(info.filename, entries[info.filename]))
    return out.getvalue()


__all__ = ["ParagraphRef", "PptxSkeleton", "read", "render", "render_with_fit"]
