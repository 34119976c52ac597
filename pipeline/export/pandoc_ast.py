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
    meta = _metadata(doc, lang, notes)
    body = [b for b in doc.body_blocks() if b.kind != "abstract"]
    captions = {b.table: b for b in body if b.kind == "caption" and b.table is not None}
    blocks: list[dict[str, Any]] = []
    i = 0
    while i < len(body):
        if body[i].kind in _RUNS:  # consecutive blocks that make one pandoc block
            j = _run_end(body, i)
            blocks.append(_run_ast(body[i:j], notes, captions, image_path))
            i = j
        else:
            blocks.extend(_block_ast(body[i], meta, notes, image_path))
            i += 1
    return {"pandoc-api-version": PANDOC_API_VERSION, "meta": meta, "blocks": blocks}


def _metadata(doc: Document, lang: str, notes: dict[str, Block]) -> dict[str, Any]:
    """The language, author, date and abstract (the title and subtitle come with the body)."""
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
    return meta


_RUNS = ("list_item", "quote", "table_cell")
"""Block kinds whose consecutive blocks make one pandoc block (a list, a quote, a table)."""


def _run_end(body: list[Block], start: int) -> int:
    """Where the run of blocks of ``body[start]``'s kind (and table) ends."""
    first = body[start]
    end = start
    while end < len(body) and body[end].kind == first.kind and body[end].table == first.table:
        end += 1
    return end


def _run_ast(
    run: list[Block],
    notes: dict[str, Block],
    captions: dict[int, Block],
    image_path: ImagePath | None,
) -> dict[str, Any]:
    first = run[0]
    if first.kind == "list_item":
        return _list(run, notes, level=first.level or 1)
    if first.kind == "quote":
        paras = [{"t": "Para", "c": spans_inlines(b.spans, notes)} for b in run]
        attributes = ["", [], [["custom-style", QUOTE_STYLE]]]
        return {"t": "Div", "c": [attributes, [{"t": "BlockQuote", "c": paras}]]}
    return _table(run, notes, captions.get(first.table or 0), image_path)


def _block_ast(
    block: Block, meta: dict[str, Any], notes: dict[str, Block], image_path: ImagePath | None
) -> list[dict[str, Any]]:
    """The pandoc blocks of one block (none for a title that goes to ``meta``, or a
    table's caption, which goes with its table)."""
    kind = block.kind
    if kind == "caption":
        return (
            [{"t": "Para", "c": spans_inlines(block.spans, notes)}] if block.table is None else []
        )
    if kind == "figure":
        return _figure(block, notes, image_path)
    if kind == "code":  # pandoc's DOCX writer: the "Source Code" style
        return [{"t": "CodeBlock", "c": [["", [], []], block.text]}]
    if kind in ("title", "subtitle") and kind not in meta:
        meta[kind] = _meta_inlines(block.spans, notes)
        return []
    if kind in ("title", "subtitle", "heading"):
        level = max(1, min(block.level or 1, 6)) if kind == "heading" else 1
        return [{"t": "Header", "c": [level, ["", [], []], spans_inlines(block.spans, notes)]}]
    return [{"t": "Para", "c": spans_inlines(block.spans, notes)}]


def _figure(
    block: Block, notes: dict[str, Block], image_path: ImagePath | None
) -> list[dict[str, Any]]:
    inlines = spans_inlines(block.spans, notes)
    if block.image is not None and image_path is not None:
        picture = image_inline(block.image, inlines, image_path, TEXT_WIDTH_IN)
        shown = block.image.captioned and block.text.strip()
        caption = [{"t": "Plain", "c": inlines}] if shown else []
        content = [["", [], []], [None, caption], [{"t": "Plain", "c": [picture]}]]
        return [{"t": "Figure", "c": content}]
    return [{"t": "Para", "c": inlines}] if block.text.strip() else []


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
