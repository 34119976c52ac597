"""Plain text: bytes → text, and the statement conventions → blocks.

Paragraphs are separated by blank (or whitespace-only) lines, and an indented line (spaces,
tabs or the ideographic space U+3000, as Japanese plain text is written) starts a new one. The
first line is the title when a blank line or an indented line follows it, or when it is short
and the text goes on below it in longer lines. Lines starting with ``-``/``*``/``•`` are bullet
items and ``1.`` numbered ones, ``>`` a quote. Wrapped lines are joined with a space, except
between Japanese (full-width) characters.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from pipeline.document import Block, BlockKind, Span
from pipeline.ingest.errors import ReadError
from pipeline.typography import is_wide

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy encodings statements come in, besides UTF-8/16: Japanese Windows (CP932, a superset of
# Shift_JIS), Japanese Unix (EUC-JP), e-mail Japanese (ISO-2022-JP), Western European Windows
# and Latin-1. charset-normalizer chooses among them by how coherent the decoded text is.
_LEGACY = ("cp932", "euc_jp", "iso2022_jp", "cp1252", "latin_1")


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was in (a Python codec name such as
    ``utf-8``, ``utf-16-le``, ``cp932``), or ReadError saying why it is not text."""
    text, encoding = _decode(data)
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 8:
        raise ReadError("looks like binary data, not text")
    return text, encoding


def _decode(data: bytes) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ReadError(
                    f"not valid {encoding.upper()} text although it starts with its mark "
                    f"(byte {exc.start + len(bom)})"
                ) from exc
    head = data[:4096]
    if b"\x00" in head:
        if _ascii_with_stray_zeros(head):
            raise ReadError("looks like binary data, not text")
        utf16 = _utf16_without_bom(head)
        if utf16:
            try:
                return data.decode(utf16), utf16
            except UnicodeDecodeError:
                pass
        raise ReadError("looks like binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(data, cp_isolation=list(_LEGACY)).best()
    if best is None:
        raise ReadError(
            "not text in a known encoding (tried UTF-8, UTF-16, Shift_JIS/CP932, EUC-JP, "
            "ISO-2022-JP, Windows-1252, Latin-1); save it as UTF-8"
        )
    encoding = codecs.lookup(best.encoding).name
    return data.decode(encoding), encoding


def _ascii_with_stray_zeros(head: bytes) -> bool:
    """Bytes all below 0x80 with zero bytes among them, too few for UTF-16 (where text in the
    ASCII range has a zero in every other byte): ASCII with NULs, never Japanese UTF-16, whose
    kanji and kana put bytes of 0x80 and above in any real sentence."""
    return max(head) < 0x80 and head.count(0) < len(head) // 4


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``-be`` when ``data`` (with zero bytes in it) reads as UTF-16 text in
    that byte order: the order whose text has the fewest unassigned or control characters."""
    best: tuple[int, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            sample = data[: len(data) // 2 * 2].decode(encoding)
        except UnicodeDecodeError:
            continue
        bad = sum(
            1
            for c in sample
            if unicodedata.category(c) in ("Cn", "Co", "Cs")
            or (ord(c) < 32 and c not in "\n\r\t\f")
        )
        if bad <= len(sample) // 100 and (best is None or bad < best[0]):
            best = (bad, encoding)
    return best[1] if best else None


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
