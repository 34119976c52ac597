"""Line breaking and fitting for translated paragraphs put back into a PDF's text boxes.

Text is cut into units that may not be broken inside: a word of Latin script, or one CJK
character joined to its neighbours by the Japanese line-breaking rules (kinsoku shori): a
closing bracket, a comma or full stop, a small kana or the prolonged sound mark never starts a
line, an opening bracket never ends one. Lines are filled greedily with the font's own
advance widths; a paragraph that does not fit its box is set again a step smaller, down to
``MIN_SCALE`` of its size. One that still does not fit is reported as such and set smaller
still until it fits (never below ``FLOOR_POINTS``): small print that a reviewer is told about
is better than text running over its neighbours or text left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

MIN_SCALE = 0.7
"""The smallest share of the original font size a translation is set at to fit its box."""
FLOOR_POINTS = 3.0
"""Below ``MIN_SCALE`` a paragraph is reported as not fitting, and set no smaller than this."""
_STEP = 0.05

NO_START = frozenset(
    "、。，．・：；？！゛゜ヽヾゝゞ々〻ー’”）〕］｝〉》」』】〙〗〟｠»‐゠–〜～"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ!),.:;?]}%"
)
"""Characters that never start a line (kinsoku: gyōtō kinsoku)."""
NO_END = frozenset("‘“（〔［｛〈《「『【〘〖〝｟«([{")
"""Characters that never end a line (gyōmatsu kinsoku)."""

_CJK = re.compile(r"[\u2e80-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

Measure = Callable[[str, int], float]
"""The advance width of a text in a style (0: the block's own) at the block's font size 1."""


@dataclass(frozen=True)
class Unit:
    """Text a line never breaks inside; ``space``: a space separates it from the unit before."""

    text: str
    space: bool
    style: int = 0  # the style of its first character (0: the block's own)


@dataclass(frozen=True)
class SetLine:
    """One line set: its units, its width at size 1, and whether it ends the paragraph."""

    units: tuple[Unit, ...]
    last: bool

    @property
    def text(self) -> str:
        out = ""
        for i, unit in enumerate(self.units):
            out += (" " if unit.space and i else "") + unit.text
        return out


def units(text: str, styles: list[int] | None = None) -> list[Unit]:
    """``text`` cut where a line may break (spaces; between CJK characters, by kinsoku);
    ``styles`` gives each character's style."""
    atoms: list[Unit] = []
    space = False
    word, style = "", 0
    for index, char in enumerate(text):
        own = styles[index] if styles else 0
        if char.isspace():
            if word:
                atoms.append(Unit(word, space, style))
                word = ""
            space = bool(atoms)
        elif _CJK.match(char) or char in NO_START or char in NO_END:
            if word:
                atoms.append(Unit(word, space, style))
                word, space = "", False
            atoms.append(Unit(char, space, own))
            space = False
        else:
            if not word:
                style = own
            word += char
    if word:
        atoms.append(Unit(word, space, style))
    return _glue(atoms)


def _glue(atoms: list[Unit]) -> list[Unit]:
    """Join the atoms a line must not break between."""
    out: list[Unit] = []
    for atom in atoms:
        if out and not atom.space and _no_break(out[-1].text, atom.text):
            out[-1] = replace(out[-1], text=out[-1].text + atom.text)
        else:
            out.append(atom)
    return out


def _no_break(before: str, after: str) -> bool:
    if after[0] in NO_START or before[-1] in NO_END:
        return True
    # Latin words touching without a space (a CJK character next to a word breaks)
    return not (_CJK.match(before[-1]) or _CJK.match(after[0]))


def break_lines(
    parts: list[Unit], width: float, measure: Measure, space: float, indent: float = 0.0
) -> list[SetLine]:
    """Greedy lines no wider than ``width`` (the first ``indent`` narrower; all at font size
    1); a unit wider than a line alone is broken between its characters."""
    lines: list[SetLine] = []
    current: list[Unit] = []
    used = indent
    for unit in _fitting(parts, width, measure):
        advance = measure(unit.text, unit.style)
        gap = space if unit.space and current else 0.0
        if current and used + gap + advance > width:
            lines.append(SetLine(tuple(current), last=False))
            current, used, gap = [], 0.0, 0.0
        current.append(unit if current else replace(unit, space=False))
        used += gap + advance
    if current:
        lines.append(SetLine(tuple(current), last=True))
    return lines


def _fitting(parts: list[Unit], width: float, measure: Measure) -> list[Unit]:
    out: list[Unit] = []
    for unit in parts:
        if measure(unit.text, unit.style) <= width or len(unit.text) == 1:
            out.append(unit)
            continue
        piece, space = "", unit.space
        for char in unit.text:
            if piece and measure(piece + char, unit.style) > width:
                out.append(Unit(piece, space, unit.style))
                piece, space = "", False
            piece += char
        if piece:
            out.append(Unit(piece, space, unit.style))
    return out


@dataclass(frozen=True)
class Fit:
    """A paragraph set in a box: its lines at ``scale`` of the font size; ``fits``: within
    the box at a scale of at least ``MIN_SCALE``."""

    lines: list[SetLine]
    scale: float
    fits: bool


def fit(
    parts: list[Unit],
    width: float,
    lines_room: Callable[[float], int],
    measure: Measure,
    size: float,
    indent: float = 0.0,
) -> Fit:
    """Set ``text`` at the largest scale (1.0, 0.95 … ``MIN_SCALE``) whose lines fit.

    ``lines_room(scale)`` is how many lines the box holds at that scale. Past ``MIN_SCALE``
    the text is set smaller until it fits (down to ``FLOOR_POINTS``), and the fit says it
    does not fit."""
    space = measure(" ", 0)
    scale = 1.0
    while True:
        unit = size * scale
        lines = break_lines(parts, width / unit, measure, space, indent / unit)
        room = lines_room(scale)
        if len(lines) <= room:
            return Fit(lines, round(scale, 3), scale >= MIN_SCALE - 1e-9)
        smaller = scale - _STEP if scale > MIN_SCALE + 1e-9 else scale * 0.9
        if size * smaller < FLOOR_POINTS:
            return Fit(lines, round(scale, 3), False)
        scale = smaller


def split_by_shares(parts: list[Unit], shares: list[float]) -> list[list[Unit]]:
    """``parts`` cut into pieces about ``shares`` of their length (the parts of a paragraph
    that runs over a page or column break)."""
    if len(shares) <= 1:
        return [parts]
    total = sum(len(u.text) + u.space for u in parts) or 1
    pieces: list[list[Unit]] = [[] for _ in shares]
    bounds, acc = [], 0.0
    for share in shares[:-1]:
        acc += share
        bounds.append(acc * total)
    done = 0
    index = 0
    for unit in parts:
        while index < len(bounds) and done >= bounds[index]:
            index += 1
        pieces[index].append(unit)
        done += len(unit.text) + unit.space
    return [[replace(p[0], space=False), *p[1:]] if p else [] for p in pieces]
