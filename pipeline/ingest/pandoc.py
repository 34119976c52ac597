"""pandoc, sandboxed, and its JSON AST → the flat block list of ``document.py``.

Markdown, HTML, DOCX, ODT, EPUB and RTF are read by pandoc into its JSON AST, which this module
walks. pandoc always runs with ``--sandbox`` (nothing is fetched), a heap cap and a timeout.
Images become ``figure`` blocks holding the picture (``ingest/images.py``): pictures
embedded in a DOCX/ODT/EPUB/RTF are extracted by pandoc (``--extract-media``) into a temporary
folder that is removed once read; local paths are read relative to the source's folder; a
figure's caption, or else the image's alt text, is the block's text. Table captions, every
block inside table cells (lists too) and the metadata (title, subtitle, author, date,
abstract; a DOCX's Title/Subtitle styles reach pandoc's metadata) are kept.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.document import Block, BlockKind, Document, Span, merge_spans
from pipeline.ingest.errors import ReadError
from pipeline.ingest.images import ImageProblem, is_remote, load_image
from pipeline.ingest.limits import Limits

EMBEDDED_MEDIA = {"docx", "odt", "epub", "rtf"}
"""Formats whose pictures are inside the file (pandoc extracts them)."""


def pandoc_path() -> str:
    """The pandoc program (the one pypandoc-binary ships, else the one on PATH)."""
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:
        found = shutil.which("pandoc")
        if found is None:
            raise ReadError("cannot run pandoc: it is not installed") from exc
        return found


class PandocFailed(ReadError):
    """pandoc ran and failed; the message is its last line of error output."""


def run_pandoc(args: list[str], limits: Limits, *, stdin: str | None = None) -> tuple[str, str]:
    """Run pandoc sandboxed (no network, no files but those named in ``args``), with the
    memory cap and timeout of ``limits``; returns (stdout, stderr) or raises ReadError."""
    command = [
        pandoc_path(),
        "+RTS",
        f"-M{limits.max_pandoc_mb}m",
        "-RTS",
        "--sandbox",
        *args,
    ]
    try:
        done = subprocess.run(
            command,
            input=(stdin or "").encode("utf-8"),
            capture_output=True,
            timeout=limits.max_pandoc_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise limits.refusal(
            "max_pandoc_seconds", f"pandoc took longer than {limits.max_pandoc_seconds} s"
        ) from exc
    except OSError as exc:
        raise ReadError(f"cannot run pandoc: {exc.strerror or exc}") from exc
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        if "Heap exhausted" in stderr or done.returncode == 251:
            raise limits.refusal(
                "max_pandoc_mb", f"pandoc needed more than {limits.max_pandoc_mb} MB of memory"
            )
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise PandocFailed(reason[:200])
    return done.stdout.decode("utf-8", "replace"), stderr


def read_pandoc(path: Path, fmt: str, limits: Limits, *, text: str | None = None) -> Document:
    """Read ``path`` as pandoc format ``fmt`` into a Document.

    ``text``, when given, is the file's decoded text, passed to pandoc as UTF-8 (so any
    encoding the text reader detected works); otherwise pandoc reads the file itself.
    Remote resources are never fetched: a remote image becomes its alt text, with a note.
    """
    if fmt in EMBEDDED_MEDIA:
        with tempfile.TemporaryDirectory(prefix="pipeline-media-") as media:
            return _read(path, fmt, limits, text, media)
    return _read(path, fmt, limits, text, None)


def _read(path: Path, fmt: str, limits: Limits, text: str | None, media: str | None) -> Document:
    source_format = fmt if fmt != "markdown" else "markdown+smart"
    args = ["--from", source_format, "--to", "json"]
    if media is not None:
        args.append(f"--extract-media={media}")
    try:
        raw, warnings = run_pandoc(
            args if text is not None else [*args, str(path)], limits, stdin=text
        )
    except PandocFailed as exc:
        raise ReadError(f"pandoc cannot read it as {fmt}: {exc}") from exc
    try:
        ast = json.loads(raw)
    except RecursionError as exc:
        raise _too_deep(limits) from exc
    except ValueError as exc:
        raise ReadError(f"pandoc cannot read it as {fmt}: unreadable output") from exc
    walker = _AstWalker(limits.max_nesting, base=Path(path).parent, limits=limits)
    walker.extracted = str(Path(media).resolve()) if media is not None else None
    try:
        meta = ast.get("meta", {})
        metadata: dict[str, str] = {}
        for key in ("title", "subtitle", "author", "date", "abstract", "lang"):
            if key in meta:
                metadata[key] = _meta_text(meta[key])
        if metadata.get("title"):
            walker.blocks.append(Block("title", walker.meta_spans(meta["title"])))
        if metadata.get("subtitle"):
            walker.blocks.append(Block("subtitle", walker.meta_spans(meta["subtitle"])))
        if "abstract" in meta:
            walker.abstract(meta["abstract"])
        walker.walk_blocks(ast.get("blocks", []))
    except (RecursionError, _TooDeep) as exc:
        raise _too_deep(limits) from exc
    blocks = walker.blocks + walker.notes
    doc = Document(blocks=blocks, source_format=fmt, metadata=metadata)
    doc.notes.extend(_offline_notes(walker.remote_images, warnings))
    doc.notes.extend(walker.image_notes())
    return doc


def _too_deep(limits: Limits) -> ReadError:
    return limits.refusal(
        "max_nesting",
        f"quotes, lists or sections are nested more than {limits.max_nesting} levels deep",
    )


_NOT_FETCHED = re.compile(r"Could not fetch resource (\S+?):? ")


def _offline_notes(remote_images: list[str], warnings: str) -> list[str]:
    """One note per kind of remote resource that was not fetched (reading is offline)."""
    notes: list[str] = []
    images = list(dict.fromkeys(remote_images))
    if images:
        n = len(images)
        notes.append(
            f"{n} remote image{'s' if n != 1 else ''} not fetched (reading is offline); "
            f"the alt text stands in: {', '.join(images)}"[:300]
        )
    others = [u for u in dict.fromkeys(_NOT_FETCHED.findall(warnings)) if u not in remote_images]
    if others:
        n = len(others)
        notes.append(
            f"{n} remote resource{'s' if n != 1 else ''} (frames, includes) not fetched "
            f"(reading is offline): {', '.join(others)}"[:300]
        )
    return notes


class _TooDeep(Exception):
    """Raised inside the walker when the nesting limit is passed."""


def _meta_text(value: dict[str, Any]) -> str:
    t = value.get("t")
    c: Any = value.get("c")
    if t == "MetaString":
        return str(c)
    if t in ("MetaInlines", "MetaBlocks"):
        walker = _AstWalker()
        if t == "MetaBlocks":
            walker.walk_blocks(c)
            return " ".join(b.text for b in walker.blocks)
        return "".join(s.text for s in walker.inline_spans(c))
    if t == "MetaList" and c:
        return ", ".join(_meta_text(v) for v in c)
    return ""


_Place = tuple[int, int, int]  # a table cell: table number, row, column


def _cell(spans: list[Span], place: _Place, level: int = 0, ordered: bool = False) -> Block:
    table, row, col = place
    return Block("table_cell", spans, level=level, ordered=ordered, table=table, row=row, col=col)


class _AstWalker:
    """Turns pandoc blocks/inlines into the flat Block/Span model."""

    def __init__(
        self, max_depth: int = 200, *, base: Path | None = None, limits: Limits | None = None
    ) -> None:
        self.blocks: list[Block] = []
        self.notes: list[Block] = []
        self.tables = 0
        self.remote_images: list[str] = []
        self.max_depth = max_depth
        self.depth = 0
        self.base = base
        self.limits = limits  # None: images are not loaded (metadata text)
        self.figures: list[Block] = []  # images met inside the block being walked
        self.caption: list[Span] | None = None  # the caption of the Figure being walked
        self.problems: list[str] = []  # images that could not be carried, and why
        self.extracted: str | None = None  # the folder pandoc extracted the source's media to

    def image_notes(self) -> list[str]:
        """One note for the images that could not be carried (their alt text stands in)."""
        if not self.problems:
            return []
        n = len(self.problems)
        return [
            f"{n} image{'s' if n != 1 else ''} not carried (the alt text stands in): "
            f"{'; '.join(dict.fromkeys(self.problems))}"[:300]
        ]

    def abstract(self, value: dict[str, Any]) -> None:
        """The metadata ``abstract`` as ``abstract`` blocks (translated like the body)."""
        if value.get("t") == "MetaBlocks":
            start = len(self.blocks)
            self.walk_blocks(value["c"])
            for block in self.blocks[start:]:
                if block.kind in ("paragraph", "quote"):
                    block.kind = "abstract"
        elif value.get("t") in ("MetaInlines", "MetaString"):
            spans = self.meta_spans(value)
            if "".join(s.text for s in spans).strip():
                self.blocks.append(Block("abstract", _trim(spans)))

    def _image(self, c: list[Any], bold: bool, italic: bool, link: str | None) -> list[Span]:
        """An Image inline: a figure block (flushed after the block holding it) when the
        picture can be carried, else its alt text in place (with a note)."""
        alt = _trim(merge_spans(self.inline_spans(c[1], bold, italic, link)))
        target = c[2][0] if len(c) > 2 and c[2] else ""
        if not isinstance(target, str) or self.limits is None:
            return alt
        if is_remote(target):
            self.remote_images.append(target)
            return alt
        try:
            inside = [Path(self.extracted)] if self.extracted else []
            image = load_image(target, self.base, self.limits, inside=inside)
        except ImageProblem as exc:
            self.problems.append(str(exc))
            return alt
        if self.extracted and image.path and image.path.startswith(self.extracted):
            image.path = None  # inside the source file: its bytes are the source's
        attrs = dict(c[0][2]) if c and len(c[0]) > 2 else {}
        image.width, image.height = attrs.get("width"), attrs.get("height")
        if self.caption is not None:  # the first picture of a Figure takes its caption
            image.captioned = bool(_plain(self.caption).strip())
            spans, self.caption = self.caption or alt, None
        else:
            spans = alt
        self.figures.append(Block("figure", spans or [Span("")], image=image))
        return []

    @contextmanager
    def _deeper(self) -> Iterator[None]:
        """One level of nesting further; _TooDeep past the limit."""
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                raise _TooDeep
            yield
        finally:
            self.depth -= 1

    def meta_spans(self, value: dict[str, Any]) -> list[Span]:
        if value.get("t") == "MetaInlines":
            return merge_spans(self.inline_spans(value["c"]))
        return [Span(_meta_text(value))]

    def walk_blocks(
        self, blocks: list[dict[str, Any]], *, quote: bool = False, level: int = 0
    ) -> None:
        for block in blocks:
            self.walk_block(block, quote=quote, level=level)

    def _add(self, kind: BlockKind, inlines: list[Any], **fields: Any) -> None:
        spans = merge_spans(self.inline_spans(inlines))
        if any(s.text.strip() or s.kind == "note_ref" for s in spans):
            self.blocks.append(Block(kind, _trim(spans), **fields))

    def walk_block(self, block: dict[str, Any], *, quote: bool, level: int) -> None:
        with self._deeper():
            self._walk_block(block, quote=quote, level=level)
        if self.figures:  # pictures inside the block come right after it
            self.blocks.extend(self.figures)
            self.figures = []

    def _walk_block(self, block: dict[str, Any], *, quote: bool, level: int) -> None:
        t: Any = block.get("t")
        c: Any = block.get("c")
        if t in ("Para", "Plain"):
            self._add("quote" if quote else "paragraph", c)
        elif t == "Header":
            self._add("heading", c[2], level=int(c[0]))
        elif t == "BlockQuote":
            self.walk_blocks(c, quote=True, level=level)
        elif t in ("BulletList", "OrderedList"):
            ordered = t == "OrderedList"
            items = c[1] if ordered else c
            for item in items:
                self._list_item(item, ordered=ordered, level=level + 1)
        elif t == "Div":
            self.walk_blocks(c[1], quote=quote or _is_quote_div(c[0]), level=level)
        elif t == "LineBlock":
            self._add("quote" if quote else "paragraph", _line_block_inlines(c))
        elif t == "Table":
            self._table(c)
        elif t == "Figure":
            self._figure(c, quote=quote, level=level)
        elif t == "DefinitionList":
            for term, definitions in c:
                self._add("paragraph", term)
                for d in definitions:
                    self.walk_blocks(d, quote=quote, level=level)
        elif t == "CodeBlock":
            self.blocks.append(Block("code", [_code(c[1])]))
        # HorizontalRule, RawBlock, Null: nothing to translate.

    def _figure(self, c: list[Any], *, quote: bool, level: int) -> None:
        """A figure's blocks, its caption carried to its picture (or kept as a paragraph)."""
        caption = _trim(merge_spans(self.inline_spans(_caption_inlines(c[1]))))
        self.caption = caption
        self.walk_blocks(c[2], quote=quote, level=level)
        unused = self.caption
        if unused and not (self.blocks and self.blocks[-1].text == _plain(unused)):
            self.blocks.append(Block("paragraph", unused))  # no picture carried
        self.caption = None

    def _list_item(self, item: list[dict[str, Any]], *, ordered: bool, level: int) -> None:
        first = True
        for block in item:
            if first and block.get("t") in ("Para", "Plain"):
                self._add("list_item", block["c"], level=level, ordered=ordered)
                first = False
            else:
                self.walk_block(block, quote=False, level=level)

    def _table(self, c: list[Any]) -> None:
        self.tables += 1
        table = self.tables
        caption = _trim(merge_spans(self.inline_spans(_caption_inlines(c[1]))))
        if caption:
            self.blocks.append(Block("caption", caption, table=table))
        head, bodies, foot = c[3], c[4], c[5]
        rows = list(head[1])
        for body in bodies:
            rows.extend(body[2])
            rows.extend(body[3])
        rows.extend(foot[1])
        for r, row in enumerate(rows):
            for col, cell in enumerate(row[1]):
                place = (table, r, col)
                start = len(self.blocks)
                self._cell_blocks(cell[4], place, level=0, ordered=False)
                if len(self.blocks) == start:
                    self.blocks.append(_cell([Span("")], place))

    def _cell_blocks(
        self, blocks: list[dict[str, Any]], place: _Place, *, level: int, ordered: bool
    ) -> None:
        """The blocks inside one table cell: paragraphs (level 0) and list items (level ≥ 1)
        as ``table_cell`` blocks; anything else by its text."""
        for b in blocks:
            t: Any = b.get("t")
            c: Any = b.get("c")
            with self._deeper():
                if t in ("Para", "Plain", "Header"):
                    inlines = c[2] if t == "Header" else c
                    spans = _trim(merge_spans(self.inline_spans(inlines)))
                    if spans:
                        self.blocks.append(_cell(spans, place, level, ordered))
                    self._cell_figures(place, level)
                elif t in ("BulletList", "OrderedList"):
                    items = c[1] if t == "OrderedList" else c
                    for item in items:
                        self._cell_blocks(item, place, level=level + 1, ordered=t == "OrderedList")
                elif t in ("BlockQuote", "Div", "Figure"):
                    inner = c[1] if t == "Div" else c[2] if t == "Figure" else c
                    self._cell_blocks(inner, place, level=level, ordered=ordered)
                elif t == "LineBlock":
                    self._cell_blocks(
                        [{"t": "Para", "c": line} for line in c],
                        place,
                        level=level,
                        ordered=ordered,
                    )
                elif t == "Table":
                    start = len(self.blocks)
                    self._table(c)  # a nested table: its cells' text, in this cell
                    nested = self.blocks[start:]
                    del self.blocks[start:]
                    for n in nested:
                        if n.text.strip():
                            self.blocks.append(_cell(n.spans, place, level))
                    self.tables -= 1
                elif t == "CodeBlock":
                    self.blocks.append(_cell([_code(c[1])], place, level))

    def _cell_figures(self, place: _Place, level: int) -> None:
        """Pictures inside a cell stay in the cell (a cell block holding the image)."""
        for figure in self.figures:
            figure.kind = "table_cell"
            figure.level = level
            figure.table, figure.row, figure.col = place
            self.blocks.append(figure)
        self.figures = []

    def inline_spans(
        self,
        inlines: list[dict[str, Any]],
        bold: bool = False,
        italic: bool = False,
        link: str | None = None,
    ) -> list[Span]:
        with self._deeper():
            return self._inline_spans(inlines, bold, italic, link)

    def _inline_spans(
        self, inlines: list[dict[str, Any]], bold: bool, italic: bool, link: str | None
    ) -> list[Span]:
        spans: list[Span] = []
        for node in inlines:
            t: Any = node.get("t")
            c: Any = node.get("c")
            if t == "Str":
                spans.append(Span(c, bold, italic, link))
            elif t in ("Space", "SoftBreak"):
                spans.append(Span(" ", bold, italic, link))
            elif t == "LineBreak":
                spans.append(Span(kind="break"))
            elif t == "Strong":
                spans.extend(self.inline_spans(c, True, italic, link))
            elif t == "Emph":
                spans.extend(self.inline_spans(c, bold, True, link))
            elif t in ("Underline", "Strikeout", "SmallCaps", "Superscript", "Subscript"):
                spans.extend(self.inline_spans(c, bold, italic, link))
            elif t == "Span":
                spans.extend(self.inline_spans(c[1], bold, italic, link))
            elif t == "Link":
                spans.extend(self.inline_spans(c[1], bold, italic, c[2][0]))
            elif t == "Quoted":
                double = c[0].get("t") == "DoubleQuote"
                opening, closing = ("“", "”") if double else ("‘", "’")
                spans.append(Span(opening, bold, italic, link))
                spans.extend(self.inline_spans(c[1], bold, italic, link))
                spans.append(Span(closing, bold, italic, link))
            elif t == "Code":
                spans.append(Span(c[1], bold, italic, link, code=True, verbatim=True))
            elif t == "Math":
                spans.append(Span(c[1], bold, italic, link, verbatim=True))
            elif t == "Image":
                spans.extend(self._image(c, bold, italic, link))
            elif t == "Cite":
                spans.extend(self.inline_spans(c[1], bold, italic, link))
            elif t == "Note":
                note_id = f"n{len(self.notes) + 1}"
                inner: list[Any] = []
                for b in c:
                    if b.get("t") in ("Para", "Plain"):
                        if inner:
                            inner.append({"t": "LineBreak"})
                        inner.extend(b["c"])
                note_spans = _trim(merge_spans(self.inline_spans(inner)))
                self.notes.append(Block("footnote", note_spans, note_id=note_id))
                spans.append(Span(kind="note_ref", note=note_id))
        return spans


def _code(text: str) -> Span:
    """Code as written: a verbatim span in code style (never translated)."""
    return Span(text, code=True, verbatim=True)


def _plain(spans: list[Span]) -> str:
    return "".join(s.text for s in spans if s.kind == "text")


def _caption_inlines(caption: list[Any]) -> list[Any]:
    """The inlines of a pandoc Caption ``[short, blocks]``, paragraphs joined by breaks."""
    inlines: list[Any] = []
    blocks = caption[1] if isinstance(caption, list) and len(caption) > 1 else []
    for b in blocks or []:
        if b.get("t") in ("Para", "Plain"):
            if inlines:
                inlines.append({"t": "LineBreak"})
            inlines.extend(b["c"])
    return inlines


def _is_quote_div(attr: list[Any]) -> bool:
    _, classes, keyvals = attr
    styles = {v for k, v in keyvals if k == "custom-style"}
    return bool({"Quote", "Block Text", "Intense Quote"} & (styles | set(classes)))


def _trim(spans: list[Span]) -> list[Span]:
    """Strip whitespace at the ends of a block and collapse runs of spaces."""
    out = [s if s.verbatim else replace(s, text=re.sub(r"[ \t]+", " ", s.text)) for s in spans]
    while out and out[0].kind == "text" and not out[0].text.strip() and not out[0].verbatim:
        out.pop(0)
    while out and out[-1].kind == "text" and not out[-1].text.strip() and not out[-1].verbatim:
        out.pop()
    if out and out[0].kind == "text" and not out[0].verbatim:
        out[0] = replace(out[0], text=out[0].text.lstrip())
    if out and out[-1].kind == "text" and not out[-1].verbatim:
        out[-1] = replace(out[-1], text=out[-1].text.rstrip())
    return out


def _line_block_inlines(lines: list[list[Any]]) -> list[Any]:
    """A line block's lines as one paragraph's inlines, a line break between lines."""
    inlines: list[Any] = []
    for i, line in enumerate(lines):
        if i:
            inlines.append({"t": "LineBreak"})
        inlines.extend(line)
    return inlines
