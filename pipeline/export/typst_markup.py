"""Document → Typst markup, written directly from the document model (no pandoc process).

It writes what pandoc's Typst writer wrote from ``pandoc_ast.document_ast`` (the PDF writer
used that before, at the cost of a second pandoc process per document and language): the
first title and subtitle go to the template's title block, a second one is a level-1 heading;
runs of list items are one list (ordered when its first item is); runs of quote paragraphs one
block quote; table cells one table with a header row (paragraphs and lists inside a cell
kept, a table caption as the figure's caption); footnotes at their reference. A figure is
``#figure(image(…))`` with its caption, the picture scaled to the text width at most (the
writer saves the file where ``image_path`` says). Text is escaped so that nothing in a
statement is read as Typst markup.

``render_template`` fills the pandoc-style template (``$var$``, ``$if(var)$…$endif$``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.document import Block, Document, Image, Span

ImagePath = Callable[[Image], str]
"""The path (relative to the Typst root) the writer saved a picture at."""

# Characters with a meaning in Typst markup: escaped with a backslash wherever they occur.
# Quotes stay as they are (Typst makes them typographic, as it did with pandoc's output).
_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~=\-+/])")
_LEADING_NUMBER = re.compile(r"^(\d+)\.")  # "12." at a line start would open a numbered list


def escape_text(text: str) -> str:
    """Plain text as Typst markup that shows exactly that text."""
    escaped = _SPECIAL.sub(r"\\\1", text.replace("\t", " "))
    return _LEADING_NUMBER.sub(r"\1\\.", escaped)


def escape_string(text: str) -> str:
    """Text inside a Typst string literal ``"…"``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def escape_raw(text: str) -> str:
    """Text inside a Typst string literal, line breaks kept (for ``raw``)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def code_block_markup(text: str) -> str:
    """A code block: monospace, its lines as written, never broken across pages inside."""
    return f'#block(breakable: false, raw(block: true, "{escape_raw(text)}"))'


def span_markup(span: Span, notes: Mapping[str, Block]) -> str:
    """One span (formatting nested as in the pandoc AST: link ⊃ strong ⊃ emph)."""
    if span.kind == "break":
        return "#linebreak()"
    if span.kind == "note_ref":
        note = notes.get(span.note or "")
        return f"#footnote[{spans_markup(note.spans, notes) if note else ''}]"
    if span.code:
        markup = f'#raw("{escape_raw(span.text)}")'
        return f'#link("{escape_string(span.link)}")[{markup}]' if span.link else markup
    lines = [escape_text(line) for line in span.text.split("\n")]
    markup = "#linebreak()".join(lines)
    if not span.text.strip():
        return markup
    if span.italic:
        markup = f"#emph[{markup}]"
    if span.bold:
        markup = f"#strong[{markup}]"
    if span.link:
        markup = f'#link("{escape_string(span.link)}")[{markup}]'
    return markup


def spans_markup(spans: list[Span], notes: Mapping[str, Block]) -> str:
    """A block's spans as one line of markup."""
    out = "".join(span_markup(span, notes) for span in spans).strip(" ")
    return _LEADING_NUMBER.sub(r"\1\\.", out)


def image_markup(image: Image, image_path: ImagePath, text_width: float, alt: str = "") -> str:
    """``image(…)`` at the picture's width in inches, never wider than ``text_width``."""
    width = f"{image.width_inches(text_width):.3f}in"
    alt_arg = f', alt: "{escape_string(alt)}"' if alt.strip() else ""
    return f'image("{escape_string(image_path(image))}", width: {width}{alt_arg})'


def document_markup(
    doc: Document, image_path: ImagePath | None = None, text_width: float = 6.5
) -> tuple[str, dict[str, str]]:
    """The body markup of ``doc`` and its title block fields (``title``, ``subtitle``,
    ``author``, ``date``, ``abstract``); without ``image_path`` a figure is its caption."""
    notes = doc.footnotes()
    meta = _metadata(doc, notes)
    page = _Page(notes, image_path, text_width)
    body = [b for b in doc.body_blocks() if b.kind != "abstract"]
    captions = {b.table: b for b in body if b.kind == "caption" and b.table is not None}
    parts: list[str] = []
    i = 0
    while i < len(body):
        if body[i].kind in _RUNS:  # consecutive blocks that make one element
            j = _run_end(body, i)
            parts.append(_run_markup(body[i:j], page, captions))
            i = j
        else:
            parts.extend(_block_markup(body[i], meta, page))
            i += 1
    return "\n\n".join(parts) + "\n", meta


def _metadata(doc: Document, notes: Mapping[str, Block]) -> dict[str, str]:
    """The author, date and abstract (the title and subtitle come with the body)."""
    meta: dict[str, str] = {}
    for key in ("author", "date"):
        if doc.metadata.get(key):
            meta[key] = escape_text(doc.metadata[key])
    abstract = [spans_markup(b.spans, notes) for b in doc.blocks if b.kind == "abstract"]
    if abstract:
        meta["abstract"] = "\n\n".join(abstract)
    return meta


@dataclass(frozen=True)
class _Page:
    """What every block's markup needs: the footnotes, where pictures are, the text width."""

    notes: Mapping[str, Block]
    image_path: ImagePath | None
    text_width: float


_RUNS = ("list_item", "quote", "table_cell")
"""Block kinds whose consecutive blocks make one element (a list, a quote, a table)."""


def _run_end(body: list[Block], start: int) -> int:
    """Where the run of blocks of ``body[start]``'s kind (and table) ends."""
    first = body[start]
    end = start
    while end < len(body) and body[end].kind == first.kind:
        if first.kind == "table_cell" and body[end].table != first.table:
            break
        end += 1
    return end


def _run_markup(run: list[Block], page: _Page, captions: Mapping[int, Block]) -> str:
    first, notes = run[0], page.notes
    if first.kind == "list_item":
        return "\n".join(_list(run, notes, first.level or 1, 0))
    if first.kind == "quote":
        paras = "\n\n".join(spans_markup(b.spans, notes) for b in run)
        return f"#quote(block: true)[\n{paras}\n]"
    table_caption = captions.get(first.table or 0)
    cap = spans_markup(table_caption.spans, notes) if table_caption else ""
    return _table(run, notes, cap, page.image_path, page.text_width)


def _block_markup(block: Block, meta: dict[str, str], page: _Page) -> list[str]:
    """The markup of one block (none for a title that goes to ``meta``, or a table's
    caption, which goes with its table)."""
    kind, notes = block.kind, page.notes
    if kind == "caption":
        return [spans_markup(block.spans, notes)] if block.table is None else []
    if kind == "code":
        return [code_block_markup(block.text)]
    if kind == "figure":
        caption = spans_markup(block.spans, notes)
        if block.image is not None and page.image_path is not None:
            picture = image_markup(block.image, page.image_path, page.text_width, block.text)
            cap = f", caption: [{caption}]" if caption and block.image.captioned else ""
            return [f"#figure({picture}{cap})"]
        return [caption] if caption else []
    if kind in ("title", "subtitle") and kind not in meta:
        meta[kind] = spans_markup(block.spans, notes)
        return []
    if kind in ("title", "subtitle", "heading"):
        level = 1 if kind != "heading" else max(1, min(block.level or 1, 6))
        return [f"{'=' * level} {spans_markup(block.spans, notes)}"]
    return [spans_markup(block.spans, notes)]


def _list(items: list[Block], notes: Mapping[str, Block], level: int, depth: int) -> list[str]:
    """A run of list items as nested Typst lists (deeper items belong to the one before)."""
    mark = "+" if items[0].ordered else "-"
    lines: list[str] = []
    i = 0
    while i < len(items):
        lines.append(f"{'  ' * depth}{mark} {spans_markup(items[i].spans, notes)}")
        j = i + 1
        while j < len(items) and (items[j].level or 1) > level:
            j += 1
        if j > i + 1:
            lines.extend(_list(items[i + 1 : j], notes, level + 1, depth + 1))
        i = j
    return lines


def _cell_markup(
    blocks: list[Block],
    notes: Mapping[str, Block],
    image_path: ImagePath | None,
    text_width: float,
) -> str:
    """One table cell's blocks: paragraphs, lists (cell blocks with a level), pictures."""
    parts: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.level:
            j = i
            while j < len(blocks) and blocks[j].level:
                j += 1
            parts.append("\n".join(_list(blocks[i:j], notes, blocks[i].level, 0)))
            i = j
            continue
        if block.image is not None and image_path is not None:
            parts.append("#" + image_markup(block.image, image_path, text_width / 2, block.text))
        else:
            parts.append(spans_markup(block.spans, notes))
        i += 1
    if len(parts) == 1 and not (blocks[0].level or blocks[0].image):
        return parts[0]
    return "\n" + "\n\n".join(parts) + "\n"


def _table(
    cells: list[Block],
    notes: Mapping[str, Block],
    caption: str = "",
    image_path: ImagePath | None = None,
    text_width: float = 6.5,
) -> str:
    rows: dict[int, dict[int, list[Block]]] = {}
    for cell in cells:
        rows.setdefault(cell.row or 0, {}).setdefault(cell.col or 0, []).append(cell)
    ncols = max((max(r) + 1 for r in rows.values()), default=1)
    ordered = [rows[k] for k in sorted(rows)]

    def row_markup(row: dict[int, list[Block]]) -> str:
        cells_ = [row.get(c) for c in range(ncols)]
        return " ".join(
            f"[{_cell_markup(c, notes, image_path, text_width) if c else ''}]," for c in cells_
        )

    lines = [
        "#figure(",
        "  align(center)[#table(",
        f"    columns: {ncols},",
        f"    align: ({'auto,' * ncols}),",
    ]
    if ordered:
        lines += [f"    table.header({row_markup(ordered[0])}),", "    table.hline(),"]
    lines += [f"    {row_markup(row)}" for row in ordered[1:]]
    lines += ["  )]", "  , kind: table"]
    if caption:
        lines += [f"  , caption: [{caption}]"]
    lines += ["  )"]
    return "\n".join(lines)


_CONDITIONAL = re.compile(r"\$if\(([\w-]+)\)\$((?:(?!\$if\().)*?)\$endif\$", re.DOTALL)
_VARIABLE = re.compile(r"\$([\w-]+)\$")


def render_template(template: str, variables: Mapping[str, str]) -> str:
    """Fill a pandoc-style template: ``$if(name)$…$endif$`` kept when ``name`` is set and
    not empty, then every ``$name$`` replaced (unknown names by nothing)."""

    def conditional(match: re.Match[str]) -> str:
        return match.group(2) if variables.get(match.group(1)) else ""

    previous = None
    while previous != template:  # nested conditionals, innermost last
        previous, template = template, _CONDITIONAL.sub(conditional, template)
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), ""), template)
