"""Document → pandoc JSON AST, the first step of the DOCX writer.

Figures become pandoc Figures (caption + Image, the translated caption as alt text) when the
writer gives ``image_path`` (where each picture's file is); table captions, paragraphs and
lists inside table cells, and the metadata (title, subtitle, author, date, abstract) go where
pandoc expects them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.document import Block, Document, Image, Span

ImagePath = Callable[[Image], str]
"""Where the file of a picture is, for pandoc to read it (the writer saves it there)."""
TEXT_WIDTH_IN = (
    6.0  # pandoc's reference.docx sets no page: Letter or A4 with 1 in margins, 6.5 or 6.27 in
)

PANDOC_API_VERSION = [1, 23, 1]
QUOTE_STYLE = "Quote"


def _str_inlines(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    word = ""
    for ch in text:
        if ch in " \t":
            if word:
                out.append({"t": "Str", "c": word})
                word = ""
            if not out or out[-1]["t"] != "Space":
                out.append({"t": "Space"})
        elif ch == "\n":
            if word:
                out.append({"t": "Str", "c": word})
                word = ""
            out.append({"t": "LineBreak"})
        else:
            word += ch
    if word:
        out.append({"t": "Str", "c": word})
    return out


def span_inlines(span: Span, notes: dict[str, Block]) -> list[dict[str, Any]]:
    """One span as pandoc inlines (formatting nested: link ⊃ strong ⊃ emph)."""
    if span.kind == "break":
        return [{"t": "LineBreak"}]
    if span.kind == "note_ref":
        note = notes.get(span.note or "")
        inner = spans_inlines(note.spans, notes) if note else []
        return [{"t": "Note", "c": [{"t": "Para", "c": inner}]}]
    inlines: list[dict[str, Any]] = (
        [{"t": "Code", "c": [["", [], []], span.text]}]  # pandoc's DOCX: "Verbatim Char"
        if span.code
        else _str_inlines(span.text)
    )
    if span.italic:
        inlines = [{"t": "Emph", "c": inlines}]
    if span.bold:
        inlines = [{"t": "Strong", "c": inlines}]
    if span.link:
        inlines = [{"t": "Link", "c": [["", [], []], inlines, [span.link, ""]]}]
    return inlines


def spans_inlines(spans: list[Span], notes: dict[str, Block]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for span in spans:
        out.extend(span_inlines(span, notes))
    return out


def _meta_inlines(spans: list[Span], notes: dict[str, Block]) -> dict[str, Any]:
    return {"t": "MetaInlines", "c": spans_inlines(spans, notes)}


def image_inline(
    image: Image, alt: list[dict[str, Any]], image_path: ImagePath, text_width: float
) -> dict[str, Any]:
    """A pandoc Image inline: the picture's file, shown at its width (never wider than the
    text) and with ``alt`` as its alt text."""
    width = f"{image.width_inches(text_width):.3f}in"
    return {"t": "Image", "c": [["", [], [["width", width]]], alt, [image_path(image), ""]]}


def document_ast(doc: Document, lang: str, image_path: ImagePath | None = None) -> dict[str, Any]:
    """The pandoc AST of ``doc`` (title, subtitle, author, date and abstract go to metadata,
    as pandoc expects); without ``image_path`` a figure is its caption's paragraph."""
    notes = doc.footnotes()
    meta: dict[str, Any] = {"lang": {"t": "MetaString", "c": lang}}
    for key in ("author", "date"):
        if doc.metadata.get(key):
            meta[key] = {"t": "MetaInlines", "c": _str_inlines(doc.metadata[key])}
    abstract = [
        {"t": "Para", "c": spans_inlines(b.spans, notes)}
        for b in doc.blocks
        if b.kind == "abstract"
    ]
    if abstract:
        meta["abstract"] = {"t": "MetaBlocks", "c": abstract}
    blocks: list[dict[str, Any]] = []
    body = [b for b in doc.body_blocks() if b.kind != "abstract"]
    captions = {b.table: b for b in body if b.kind == "caption" and b.table is not None}
    i = 0
    while i < len(body):
        block = body[i]
        if block.kind == "caption":
            if block.table is None:
                blocks.append({"t": "Para", "c": spans_inlines(block.spans, notes)})
            i += 1
        elif block.kind == "figure":
            inlines = spans_inlines(block.spans, notes)
            if block.image is not None and image_path is not None:
                picture = image_inline(block.image, inlines, image_path, TEXT_WIDTH_IN)
                shown = block.image.captioned and block.text.strip()
                caption = [{"t": "Plain", "c": inlines}] if shown else []
                blocks.append(
                    {
                        "t": "Figure",
                        "c": [["", [], []], [None, caption], [{"t": "Plain", "c": [picture]}]],
                    }
                )
            elif block.text.strip():
                blocks.append({"t": "Para", "c": inlines})
            i += 1
        elif block.kind == "title" and "title" not in meta:
            meta["title"] = _meta_inlines(block.spans, notes)
            i += 1
        elif block.kind == "subtitle" and "subtitle" not in meta:
            meta["subtitle"] = _meta_inlines(block.spans, notes)
            i += 1
        elif block.kind in ("title", "subtitle"):
            blocks.append(
                {"t": "Header", "c": [1, ["", [], []], spans_inlines(block.spans, notes)]}
            )
            i += 1
        elif block.kind == "heading":
            level = max(1, min(block.level or 1, 6))
            blocks.append(
                {"t": "Header", "c": [level, ["", [], []], spans_inlines(block.spans, notes)]}
            )
            i += 1
        elif block.kind == "code":  # pandoc's DOCX writer: the "Source Code" style
            blocks.append({"t": "CodeBlock", "c": [["", [], []], block.text]})
            i += 1
        elif block.kind == "list_item":
            j = i
            while j < len(body) and body[j].kind == "list_item":
                j += 1
            blocks.append(_list(body[i:j], notes, level=body[i].level or 1))
            i = j
        elif block.kind == "quote":
            j = i
            while j < len(body) and body[j].kind == "quote":
                j += 1
            paras = [{"t": "Para", "c": spans_inlines(b.spans, notes)} for b in body[i:j]]
            blocks.append(
                {
                    "t": "Div",
                    "c": [
                        ["", [], [["custom-style", QUOTE_STYLE]]],
                        [{"t": "BlockQuote", "c": paras}],
                    ],
                }
            )
            i = j
        elif block.kind == "table_cell":
            j = i
            while j < len(body) and body[j].kind == "table_cell" and body[j].table == block.table:
                j += 1
            blocks.append(_table(body[i:j], notes, captions.get(block.table or 0), image_path))
            i = j
        else:
            blocks.append({"t": "Para", "c": spans_inlines(block.spans, notes)})
            i += 1
    return {"pandoc-api-version": PANDOC_API_VERSION, "meta": meta, "blocks": blocks}


def _list(items: list[Block], notes: dict[str, Block], level: int) -> dict[str, Any]:
    """Nested bullet/ordered lists from a run of list items with levels."""
    entries: list[list[dict[str, Any]]] = []
    i = 0
    while i < len(items):
        item = items[i]
        entry = [{"t": "Plain", "c": spans_inlines(item.spans, notes)}]
        j = i + 1
        while j < len(items) and (items[j].level or 1) > level:
            j += 1
        if j > i + 1:
            entry.append(_list(items[i + 1 : j], notes, level + 1))
        entries.append(entry)
        i = j
    ordered = items[0].ordered
    if ordered:
        return {"t": "OrderedList", "c": [[1, {"t": "Decimal"}, {"t": "Period"}], entries]}
    return {"t": "BulletList", "c": entries}


def _cell_content(
    blocks: list[Block], notes: dict[str, Block], image_path: ImagePath | None
) -> list[dict[str, Any]]:
    """The blocks of one table cell: paragraphs, lists (cell blocks with a level), pictures."""
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.level:
            j = i
            while j < len(blocks) and blocks[j].level:
                j += 1
            out.append(_list(blocks[i:j], notes, level=blocks[i].level))
            i = j
            continue
        inlines = spans_inlines(block.spans, notes)
        if block.image is not None and image_path is not None:
            cell_width = TEXT_WIDTH_IN / 2
            inlines = [image_inline(block.image, inlines, image_path, cell_width)]
        out.append({"t": "Plain" if len(blocks) == 1 else "Para", "c": inlines})
        i += 1
    return out


def _table(
    cells: list[Block],
    notes: dict[str, Block],
    caption: Block | None = None,
    image_path: ImagePath | None = None,
) -> dict[str, Any]:
    rows: dict[int, dict[int, list[Block]]] = {}
    for cell in cells:
        rows.setdefault(cell.row or 0, {}).setdefault(cell.col or 0, []).append(cell)
    ncols = max((max(r) + 1 for r in rows.values()), default=1)

    def cell_ast(blocks: list[Block] | None) -> list[Any]:
        content = _cell_content(blocks, notes, image_path) if blocks else []
        return [["", [], []], {"t": "AlignDefault"}, 1, 1, content]

    ordered_rows = [rows[k] for k in sorted(rows)]
    head = ordered_rows[:1]
    body = ordered_rows[1:]

    def row_ast(row: dict[int, list[Block]]) -> list[Any]:
        return [["", [], []], [cell_ast(row.get(c)) for c in range(ncols)]]

    caption_blocks = [{"t": "Plain", "c": spans_inlines(caption.spans, notes)}] if caption else []
    return {
        "t": "Table",
        "c": [
            ["", [], []],
            [None, caption_blocks],
            [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}] for _ in range(ncols)],
            [["", [], []], [row_ast(r) for r in head]],
            [[["", [], []], 0, [], [row_ast(r) for r in body]]],
            [["", [], []], []],
        ],
    }
