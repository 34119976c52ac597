"""Bytes → text for every text-based input (plain text, Markdown, HTML, subtitles).

A byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-16 without one when the bytes
read as it; else UTF-8; else the legacy encoding charset-normalizer finds most coherent among
the few statements come in. Text with many control characters is refused as binary data.
"""

from __future__ import annotations

import codecs
import unicodedata

from pipeline.errors import ReadError

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


def _ascii_with_stray_zeros(head: bytes) -> bool:
    """Bytes all below 0x80 with zero bytes among them, too few for UTF-16 (where text in the
    ASCII range has a zero in every other byte): ASCII with NULs, never Japanese UTF-16, whose
    kanji and kana put bytes of 0x80 and above in any real sentence."""
    return max(head) < 0x80 and head.count(0) < len(head) // 4
