"""The inline-marker format, defined once.

Segments carry inline formatting as markers around the words it belongs to: ``<gN>``…``</gN>``
(bold, italic, a link, a run's colour…) and ``<xN/>`` (a line break, a footnote reference, a
field). Engines see these markers; every other module matches, strips, checks or converts them
through this module only.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

PATTERN = re.compile(r"<g(\d+)>|</g(\d+)>|<x(\d+)/>")
"""One marker; group 1 is an opening ``gN``'s number, 2 a closing one's, 3 an ``xN``'s."""

ANY_SOURCE = r"</?g\d+>|<x\d+/>"
"""The source of ``ANY``, for composing larger patterns (``rf"(?:{markers.ANY_SOURCE})*"``)."""

OPEN_SOURCE = r"<g\d+>"
"""An opening marker's pattern source, for composing larger patterns."""

ANY = re.compile(ANY_SOURCE)
"""One marker, without groups (for ``split`` and ``sub``)."""

LEADING = re.compile(rf"(?:{ANY_SOURCE})*")
"""The markers at the start of a text (``LEADING.match(text).end()``)."""

OPENING_AT_END = re.compile(r"<g(\d+)>$")
"""An opening marker that ends a text; group 1 is its number."""

_SPLIT = re.compile(r"(</?g\d+>|<x\d+/>)")
_DAMAGED = re.compile(r"</?[gx]\d+\s*/?>|<\s*/?\s*[gx]\s*\d")
_HTML_MARK = re.compile(
    r'<span class="x(\d+)">\s*</span>|<span class="g(\d+)">|</span>|<br class="x(\d+)"\s*/?>(?:</br>)?'
)

ESCAPE = "\ue000"
"""Stands for the ``<`` of marker-like literal text (a private-use character; see ``escape``)."""

_ESCAPED = re.compile("\ue000(\ue000)?")
_ESCAPED_MARKER = re.compile("\ue000(?:/?g\\d+>|x\\d+/>)")
SHIELD_BASE = 9000
"""Escaped literals travel through an engine as ``<xN/>`` markers numbered from here."""

MarkerKind = Literal["open", "close", "empty"]


@dataclass(frozen=True)
class Marker:
    """One marker found in a text: its kind, number and place."""

    kind: MarkerKind
    number: int
    start: int
    end: int

    @property
    def ident(self) -> str:
        """``"N"`` for a ``gN`` pair, ``"xN"`` for an empty marker."""
        return f"x{self.number}" if self.kind == "empty" else str(self.number)

    @property
    def text(self) -> str:
        return render(self.kind, self.number)


def render(kind: MarkerKind, number: int) -> str:
    """The marker's text: ``<gN>``, ``</gN>`` or ``<xN/>``."""
    return {"open": f"<g{number}>", "close": f"</g{number}>", "empty": f"<x{number}/>"}[kind]


def tokens(text: str) -> Iterator[Marker]:
    """The markers in ``text``, in order."""
    for m in PATTERN.finditer(text):
        if m.group(1) is not None:
            yield Marker("open", int(m.group(1)), m.start(), m.end())
        elif m.group(2) is not None:
            yield Marker("close", int(m.group(2)), m.start(), m.end())
        else:
            yield Marker("empty", int(m.group(3)), m.start(), m.end())


def numbered(numbers: list[int] | tuple[int, ...] | set[int]) -> re.Pattern[str]:
    """Any marker (opening, closing or empty) whose number is one of ``numbers``."""
    alternatives = "|".join(str(n) for n in sorted(numbers)) or "(?!)"
    return re.compile(rf"</?g(?:{alternatives})>|<x(?:{alternatives})/>")


def pair(number: int) -> re.Pattern[str]:
    """A ``<gN>…</gN>`` pair for one number; group 1 is what it encloses (may span lines)."""
    return re.compile(rf"<g{number}>(.*?)</g{number}>", re.S)


def pair_tags(number: int) -> re.Pattern[str]:
    """The opening or closing marker of one number."""
    return re.compile(rf"</?g{number}>")


def strip(text: str) -> str:
    """``text`` without its markers."""
    return ANY.sub("", text)


def split(text: str) -> list[str]:
    """``text`` cut into plain pieces and markers, markers at the odd positions."""
    return _SPLIT.split(text)


def has_markers(text: str) -> bool:
    return ANY.search(text) is not None


def _tag(ident: str) -> str:
    return f"<{ident}/>" if ident.startswith("x") else f"<g{ident}>"


def check(source: str, target: str) -> list[str]:
    """What is wrong with ``target``'s markers given ``source``'s; empty when they fit.

    Checks nesting (every ``</gN>`` closes the innermost open ``<gN>``), markers lost or added
    relative to the source, and damaged markers such as ``<g1 >`` or ``</ g1>``.
    """
    problems: list[str] = []
    stack: list[int] = []
    for marker in tokens(target):
        if marker.kind == "open":
            stack.append(marker.number)
        elif marker.kind == "close":
            if stack and stack[-1] == marker.number:
                stack.pop()
            else:
                problems.append(f"</g{marker.number}> without its opening tag")
    problems.extend(f"<g{number}> not closed" for number in stack)
    wanted = Counter(m.ident for m in tokens(source) if m.kind != "close")
    found = Counter(m.ident for m in tokens(target) if m.kind != "close")
    missing, extra = wanted - found, found - wanted
    if missing:
        problems.append("formatting marker lost: " + ", ".join(_tag(i) for i in sorted(missing)))
    if extra:
        problems.append("marker not in source: " + ", ".join(_tag(i) for i in sorted(extra)))
    if _DAMAGED.search(strip(target)):
        problems.append("a damaged tag (like <g1 > or </ g1>) is in the text")
    return problems


def to_html(text: str) -> str:
    """Escape a marker-carrying segment and turn its markers into inline HTML spans.

    An ``<xN/>`` is an empty ``<span class="xN"></span>``, not a ``<br>``: an engine's HTML
    reader takes a ``<br>`` for the end of a sentence (Apertium capitalised the next word and
    translated "run" as a past participle) where it stands for code, a URL or a field inside it.
    """
    out = html.escape(text, quote=False)
    out = re.sub(r"&lt;g(\d+)&gt;", r'<span class="g\1">', out)
    out = re.sub(r"&lt;/g\d+&gt;", "</span>", out)
    out = re.sub(r"&lt;x(\d+)/&gt;", r'<span class="x\1"></span>', out)
    return out


def from_html(text: str, unescape: bool = True) -> str:
    """Inverse of ``to_html`` on an engine's HTML output.

    ``unescape=False`` is for engines that already decoded character entities in their answer
    (LibreTranslate does), so that a literal ``&amp;`` in the text is not decoded twice.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _HTML_MARK.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        empty = m.group(1) or m.group(3)
        if m.group(2):
            stack.append(m.group(2))
            out.append(f"<g{m.group(2)}>")
        elif empty:
            out.append(f"<x{empty}/>")
        elif stack:
            out.append(f"</g{stack.pop()}>")
    out.append(text[pos:])
    joined = "".join(out)
    return html.unescape(joined) if unescape else joined


# --- literal text that looks like a marker ---------------------------------------------------


def escape(text: str) -> str:
    """Source or glossary text made safe to carry markers: a literal ``<g1>``, ``</g3>`` or
    ``<x1/>`` in it would otherwise be taken for formatting and deleted. Its ``<`` becomes
    ``ESCAPE`` (an existing ``ESCAPE`` is doubled); ``unescape`` gives the text back verbatim."""
    text = text.replace(ESCAPE, ESCAPE + ESCAPE)
    return ANY.sub(lambda m: ESCAPE + m.group()[1:], text)


def unescape(text: str) -> str:
    """Inverse of ``escape``, for text whose markers have been turned into formatting."""
    if ESCAPE not in text:
        return text
    return _ESCAPED.sub(lambda m: ESCAPE if m.group(1) else "<", text)


def shield(text: str) -> tuple[str, list[str]]:
    """``text`` with its escaped literals replaced by ``<xN/>`` markers (N from
    ``SHIELD_BASE``), so an engine carries them as it carries formatting; and the literals."""
    literals: list[str] = []

    def one(m: re.Match[str]) -> str:
        literals.append(m.group())
        return f"<x{SHIELD_BASE + len(literals) - 1}/>"

    return _ESCAPED_MARKER.sub(one, text), literals


def unshield(text: str, literals: list[str]) -> str:
    """Inverse of ``shield`` on an engine's output; a literal the engine lost is put back at
    the end of the segment (nothing is deleted)."""
    if not literals:
        return text
    found: set[int] = set()

    def one(m: re.Match[str]) -> str:
        k = int(m.group(1)) - SHIELD_BASE
        if 0 <= k < len(literals) and k not in found:
            found.add(k)
            return literals[k]
        return m.group()

    out = re.sub(r"<x(\d+)/>", one, text)
    lost = [lit for k, lit in enumerate(literals) if k not in found]
    return (out.rstrip() + " " + " ".join(lost)) if lost else out
