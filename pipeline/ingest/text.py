"""Plain text: bytes → text, and the statement conventions → blocks.

Paragraphs are separated by blank lines, the first line is the title when a blank line
follows it, lines starting with ``-``/``*``/``•`` are bullet items and ``1.`` numbered ones,
``>`` a quote.
"""

from __future__ import annotations

import re

from pipeline.document import Block, BlockKind, Span
from pipeline.ingest.errors import ReadError


def decode(data: bytes) -> str:
    """The text of ``data`` (UTF-8, with or without BOM), or ReadError saying why not."""
    if b"\x00" in data[:4096]:
        raise ReadError("looks like binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not valid UTF-8 text (byte {exc.start})") from exc
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 8:
        raise ReadError("looks like binary data, not text")
    return text


_BULLET = re.compile(r"^\s*(?:[-*•·]\s+|・\s*)(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")


def _looks_like_subtitle(lines: list[str]) -> bool:
    line = lines[0].strip()
    return len(lines) == 1 and len(line) <= 90 and not re.search(r"[.!?。！？:：]$", line)


def _list_item(line: str) -> Block | None:
    """The list item ``line`` is, or None when it is not one."""
    if bullet := _BULLET.match(line):
        return Block("list_item", [Span(bullet.group(1).strip())], level=1, ordered=False)
    if numbered := _NUMBERED.match(line):
        return Block("list_item", [Span(numbered.group(1).strip())], level=1, ordered=True)
    return None


def read_text(text: str) -> list[Block]:
    """Split plain text into blocks following the statement conventions."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    blocks: list[Block] = []
    first_line = text.lstrip("\n").split("\n", 1)[0]
    for i, para in enumerate(paragraphs):
        lines = [ln.rstrip() for ln in para.strip("\n").split("\n")]
        if i == 0 and len(lines) == 1 and first_line.strip() == lines[0].strip():
            blocks.append(Block("title", [Span(lines[0].strip())]))
            continue
        if i == 1 and blocks and blocks[0].kind == "title" and _looks_like_subtitle(lines):
            blocks.append(Block("subtitle", [Span(lines[0].strip())]))
            continue
        items = [_list_item(ln) for ln in lines]
        if all(items):
            blocks.extend(item for item in items if item is not None)
            continue
        kind: BlockKind = "paragraph"
        quoted = [_QUOTE.match(ln) for ln in lines]
        if all(quoted):
            kind = "quote"
            lines = [m.group(1) for m in quoted if m is not None]
        joined = " ".join(ln.strip() for ln in lines if ln.strip())
        blocks.append(Block(kind, [Span(joined)]))
    return blocks
