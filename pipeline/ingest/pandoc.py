"""pandoc, sandboxed, and its JSON AST → the flat block list of ``document.py``.

Markdown, HTML, DOCX, ODT, EPUB and RTF are read by pandoc into its JSON AST, which this module
walks. pandoc always runs with ``--sandbox`` (nothing is fetched), a heap cap and a timeout.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.document import Block, BlockKind, Document, Span, merge_spans
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits


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
    source_format = fmt if fmt != "markdown" else "markdown+smart"
    args = ["--from", source_format, "--to", "json"]
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
    walker = _AstWalker(limits.max_nesting)
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
        walker.walk_blocks(ast.get("blocks", []))
    except (RecursionError, _TooDeep) as exc:
        raise _too_deep(limits) from exc
    blocks = walker.blocks + walker.notes
    doc = Document(blocks=blocks, source_format=fmt, metadata=metadata)
    doc.notes.extend(_offline_notes(walker.remote_images, warnings))
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


_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")


def _meta_text(value: dict[str, Any]) -> str:
    t = value.get("t")
    c: Any = value.get("c")
    if t == "MetaString":
        return str(c)
    if t in ("MetaInlines", "MetaBlocks"):
        walker = _AstWalker()
        spans = walker.inline_spans(c) if t == "MetaInlines" else []
        return "".join(s.text for s in spans)
    if t == "MetaList" and c:
        return ", ".join(_meta_text(v) for v in c)
    return ""


class _AstWalker:
    """Turns pandoc blocks/inlines into the flat Block/Span model."""

    def __init__(self, max_depth: int = 200) -> None:
        self.blocks: list[Block] = []
        self.notes: list[Block] = []
        self.tables = 0
        self.remote_images: list[str] = []
        self.max_depth = max_depth
        self.depth = 0

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
            inlines: list[Any] = []
            for i, line in enumerate(c):
                if i:
                    inlines.append({"t": "LineBreak"})
                inlines.extend(line)
            self._add("quote" if quote else "paragraph", inlines)
        elif t == "Table":
            self._table(c)
        elif t == "Figure":
            self.walk_blocks(c[2], quote=quote, level=level)
        elif t == "DefinitionList":
            for term, definitions in c:
                self._add("paragraph", term)
                for d in definitions:
                    self.walk_blocks(d, quote=quote, level=level)
        elif t == "CodeBlock":
            self.blocks.append(Block("paragraph", [Span(c[1])]))
        # HorizontalRule, RawBlock, Null: nothing to translate.

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
        head, bodies, foot = c[3], c[4], c[5]
        rows = list(head[1])
        for body in bodies:
            rows.extend(body[2])
            rows.extend(body[3])
        rows.extend(foot[1])
        for r, row in enumerate(rows):
            for col, cell in enumerate(row[1]):
                inlines: list[Any] = []
                for line in self._cell_lines(cell[4]):
                    if inlines:
                        inlines.append({"t": "LineBreak"})
                    inlines.extend(line)
                self.blocks.append(
                    Block(
                        "table_cell",
                        _trim(merge_spans(self.inline_spans(inlines))) or [Span("")],
                        table=self.tables,
                        row=r,
                        col=col,
                    )
                )

    def _cell_lines(self, blocks: list[dict[str, Any]], marker: str = "") -> list[list[Any]]:
        """The lines of a table cell's blocks: paragraphs, and list items (nested lists too)
        as lines that start with "• " or "1. ", so a list inside a cell keeps its text."""
        lines: list[list[Any]] = []
        with self._deeper():
            for block in blocks:
                t: Any = block.get("t")
                c: Any = block.get("c")
                if t in ("Para", "Plain"):
                    prefix = [{"t": "Str", "c": marker}] if marker and not lines else []
                    lines.append(prefix + list(c))
                elif t in ("BulletList", "OrderedList"):
                    ordered = t == "OrderedList"
                    start = int(c[0][0]) if ordered else 1
                    for n, item in enumerate(c[1] if ordered else c, start=start):
                        lines.extend(self._cell_lines(item, f"{n}. " if ordered else "• "))
                elif t in ("BlockQuote", "Div", "Figure"):
                    inner = c if t == "BlockQuote" else c[1] if t == "Div" else c[2]
                    lines.extend(self._cell_lines(inner))
                elif t == "LineBlock":
                    lines.extend(list(line) for line in c)
        return lines

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
            elif t == "Code" or t == "Math":
                spans.append(Span(c[1], bold, italic, link))
            elif t == "Image":
                target = c[2][0] if len(c) > 2 and c[2] else ""
                if isinstance(target, str) and _REMOTE.match(target):
                    self.remote_images.append(target)
                spans.extend(self.inline_spans(c[1], bold, italic, link))
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


def _is_quote_div(attr: list[Any]) -> bool:
    _, classes, keyvals = attr
    styles = {v for k, v in keyvals if k == "custom-style"}
    return bool({"Quote", "Block Text", "Intense Quote"} & (styles | set(classes)))


def _trim(spans: list[Span]) -> list[Span]:
    """Strip whitespace at the ends of a block and collapse runs of spaces."""
    out = [
        Span(re.sub(r"[ \t]+", " ", s.text), s.bold, s.italic, s.link, s.kind, s.note)
        for s in spans
    ]
    while out and out[0].kind == "text" and not out[0].text.strip():
        out.pop(0)
    while out and out[-1].kind == "text" and not out[-1].text.strip():
        out.pop()
    if out and out[0].kind == "text":
        out[0].text = out[0].text.lstrip()
    if out and out[-1].kind == "text":
        out[-1].text = out[-1].text.rstrip()
    return out
