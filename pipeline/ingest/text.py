"""Plain text: the statement conventions → blocks (bytes → text is ``pipeline.textcodec``).

Paragraphs are separated by blank (or whitespace-only) lines, and an indented line (spaces,
tabs or the ideographic space U+3000, as Japanese plain text is written) starts a new one. The
first line is the title when a blank line or an indented line follows it, or when it is short
and the text goes on below it in longer lines. Lines starting with ``-``/``*``/``•`` are bullet
items and ``1.`` numbered ones, ``>`` a quote. Wrapped lines are joined with a space, except
between Japanese (full-width) characters.
"""

from __future__ import annotations

import re

from pipeline.document import Block, BlockKind, Span
from pipeline.typography import is_wide

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


_INDENTED = re.compile(r"^[ \t\u3000]+\S")
TITLE_MAX_UNITS = 80
"""Longest first line (CJK characters count double) taken as a title with no blank line after."""


def _units(text: str) -> int:
    return sum(2 if is_wide(ch) else 1 for ch in text.strip())


def _chunks(text: str) -> list[list[str]]:
    """The paragraphs of ``text`` as lists of lines: a blank or whitespace-only line ends
    one, an indented line starts a new one, and a short first line followed by longer ones
    (not a sentence going on: no comma at its end, no lower-case start below) is a chunk of
    its own, the title."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            if current:
                chunks.append(current)
            current = []
            continue
        if current and _INDENTED.match(line):
            chunks.append(current)
            current = []
        current.append(line.rstrip())
    if current:
        chunks.append(current)
    if chunks and len(chunks[0]) > 1 and _title_line(chunks[0][0], chunks[0][1]):
        chunks[0:1] = [[chunks[0][0]], chunks[0][1:]]
    return chunks


def _title_line(first: str, second: str) -> bool:
    """Whether ``first`` reads as a title although ``second`` follows it directly."""
    head, below = first.strip(), second.strip()
    return (
        _units(head) <= TITLE_MAX_UNITS
        and _units(head) < 0.75 * _units(below)
        and not re.search(r"[,;:\-–、，：；]$", head)
        and not below[:1].islower()
        and _list_item(first) is None
    )


def _join(lines: list[str]) -> str:
    """Wrapped lines as one paragraph: a space between them, none between CJK characters."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if out and not (is_wide(out[-1]) and is_wide(line[0])):
            out += " "
        out += line
    return out


def read_text(text: str) -> list[Block]:
    """Split plain text into blocks following the statement conventions."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    for i, lines in enumerate(_chunks(text)):
        if i == 0 and len(lines) == 1:
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
        blocks.append(Block(kind, [Span(_join(lines))]))
    return blocks
