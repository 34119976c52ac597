"""Text normalisation for matching: width and quote folding, position maps, CJK helpers."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from pipeline import markers

_TYPOGRAPHIC = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‛": "'",
        "ʼ": "'",
        "´": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ",
    }
)
_VOICED_MARKS = "\uff9e\uff9f\u3099\u309a"


def is_cjk(char: str) -> bool:
    """Scripts written without spaces between words (kana, kanji, full-width forms)."""
    return ord(char) >= 0x2E80


def is_word_char(char: str) -> bool:
    """A letter or digit of a script that separates words with spaces."""
    return char.isalnum() and not is_cjk(char)


def normalize_form(text: str) -> str:
    """NFKC (full/half width), ASCII quotes and hyphens, single spaces; case kept."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """``normalize_form`` and case-folded: the key terms are matched on."""
    return normalize_form(text).casefold()


@dataclass(frozen=True)
class Normalized:
    """A text with markers removed, normalised and case-folded, mapped back to the original.

    ``starts[i]``/``ends[i]`` are the offsets in the original text of the character that
    became ``folded[i]``.
    """

    folded: str
    starts: list[int]
    ends: list[int]


@functools.lru_cache(maxsize=2048)
def normalize_with_map(text: str) -> Normalized:
    """Fold ``text`` for matching and keep, per folded character, where it came from.

    A pure function, memoised: protect, verify, the review files and the incremental
    fingerprint look at the same segments. Text whose every character folds to one
    character by itself (most Latin text) is folded a word at a time; the rest one
    character (and its combining marks) at a time."""
    pieces = _marker_free_pieces(text)
    if all(_folds_alone(c) for piece in pieces for c in set(piece[1])):
        return _fold_words(pieces)
    return _fold_characters(text)


_SPACE_OR_WORD = re.compile(r"\s+|\S+")


@functools.cache
def _folds_alone(char: str) -> bool:
    """``char`` folds to exactly one character (or is a space) whatever is around it."""
    if char.isspace():
        return True
    if unicodedata.combining(char) or char in _VOICED_MARKS or char == "<":
        return False
    folded = unicodedata.normalize("NFKC", char).translate(_TYPOGRAPHIC).casefold()
    return (
        len(folded) == 1
        and not folded.isspace()
        and folded == char.translate(_TYPOGRAPHIC).casefold()
    )


def _marker_free_pieces(text: str) -> list[tuple[int, str]]:
    """The stretches of ``text`` between inline markers, with their offsets."""
    pieces, pos = [], 0
    for m in markers.PATTERN.finditer(text):
        if m.start() > pos:
            pieces.append((pos, text[pos : m.start()]))
        pos = m.end()
    if pos < len(text):
        pieces.append((pos, text[pos:]))
    return pieces


def _fold_words(pieces: list[tuple[int, str]]) -> Normalized:
    folded: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last_space = True
    for offset, piece in pieces:
        for m in _SPACE_OR_WORD.finditer(piece.translate(_TYPOGRAPHIC).casefold()):
            start, end = offset + m.start(), offset + m.end()
            if m.group()[0].isspace():
                if not last_space:
                    folded.append(" ")
                    starts.append(start)
                    ends.append(start + 1)
                    last_space = True
                continue
            folded.append(m.group())
            starts.extend(range(start, end))
            ends.extend(range(start + 1, end + 1))
            last_space = False
    return Normalized("".join(folded), starts, ends)


def _fold_characters(text: str) -> Normalized:
    folded: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos, n = 0, len(text)
    last_space = True
    while pos < n:
        if text[pos] == "<":
            m = markers.PATTERN.match(text, pos)
            if m:
                pos = m.end()
                continue
        end = pos + 1
        while end < n and (unicodedata.combining(text[end]) or text[end] in _VOICED_MARKS):
            end += 1
        piece = unicodedata.normalize("NFKC", text[pos:end]).translate(_TYPOGRAPHIC).casefold()
        for char in piece:
            if char.isspace():
                if last_space:
                    continue
                char = " "
            last_space = char == " "
            folded.append(char)
            starts.append(pos)
            ends.append(end)
        pos = end
    return Normalized("".join(folded), starts, ends)
