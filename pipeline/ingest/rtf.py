"""RTF → Document through pandoc (sandboxed), with the heading styles pandoc's RTF reader
does not see.

pandoc's RTF reader knows headings only by ``\\outlinelevelN``; Word and LibreOffice mark
them by paragraph style (``\\s2`` whose stylesheet name is "Heading 1"). Before pandoc reads
the file, each paragraph in a heading or Title style gets the outline level of its style, and
a document that opens with a Title-style paragraph gets that paragraph back as its title.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.document import Block, BlockKind, Document, Image, Span
from pipeline.ingest import pandoc
from pipeline.ingest.images import ImageProblem, image_from_bytes
from pipeline.ingest.limits import Limits

_STYLE_ENTRY = re.compile(r"\{\\s(\d+)(?![\d])([^{}]*)\}")
_CONTROL_WORD = re.compile(r"\\[a-zA-Z]+-?\d*\s?|\\\*")
_STYLE_USE = re.compile(r"\\s(\d+)(?![\d])")
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.I)
_FURNITURE_NAMES = {"header", "footer", "header and footer"}


def _group_end(text: str, start: int) -> int:
    """The index just past the group that opens with the brace at ``start``."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def mark_outline_levels(rtf: str) -> tuple[str, bool]:
    """``rtf`` with ``\\outlinelevel`` after every heading- or Title-style paragraph's style,
    and whether the first body paragraph is in the Title style."""
    start = rtf.find("{\\stylesheet")
    if start < 0:
        return rtf, False
    end = _group_end(rtf, start)
    levels: dict[str, int] = {}
    title_styles: set[str] = set()
    furniture: set[str] = set()
    for number, content in _STYLE_ENTRY.findall(rtf[start:end]):
        name = _CONTROL_WORD.sub("", content).strip().rstrip(";").strip()
        if heading := _HEADING_NAME.match(name):
            levels[number] = int(heading.group(1)) - 1
        elif name.lower() == "title":
            levels[number] = 0
            title_styles.add(number)
        elif name.lower() in _FURNITURE_NAMES:
            furniture.add(number)
    body = rtf[end:]
    used = [n for n in _STYLE_USE.findall(body) if n not in furniture]
    starts_with_title = bool(used) and used[0] in title_styles

    def mark(match: re.Match[str]) -> str:
        level = levels.get(match.group(1))
        return match.group(0) if level is None else f"{match.group(0)}\\outlinelevel{level}"

    return rtf[:end] + _STYLE_USE.sub(mark, body), starts_with_title


def read_rtf(data: bytes, limits: Limits) -> Document:
    """Read RTF bytes into a Document (pandoc reads a marked copy from a temporary file).

    The pictures are lifted out first (``lift_pictures``): pandoc needs some 50 bytes of
    memory per hex digit of a picture, so a 20 MB picture would take it past 1 GB."""
    text, pictures = lift_pictures(data.decode("latin-1"), limits)
    marked, starts_with_title = mark_outline_levels(text)
    with tempfile.TemporaryDirectory(prefix="pipeline-rtf-") as folder:
        copy = Path(folder) / "source.rtf"
        copy.write_bytes(marked.encode("latin-1"))
        doc = pandoc.read_pandoc(copy, "rtf", limits)
    if starts_with_title and doc.blocks and doc.blocks[0].kind == "heading":
        doc.blocks[0].kind = "title"
        doc.blocks[0].level = 0
    return put_pictures_back(doc, pictures)


# --- pictures: decoded here, within the limit, never by pandoc -----------------------------

_PICT = re.compile(r"\{\\pict(?![a-z])")
_BRACE_OR_ESCAPE = re.compile(r"[{}\\]")
_PICT_WORD = re.compile(r"\\([a-z]+)(-?\d+)? ?")
_INNER_GROUP = re.compile(r"\{[^{}]*\}")
_TOKEN = "ZQXPICTURE{}QXZ"
_TOKEN_FOUND = re.compile(r"ZQXPICTURE(\d+)QXZ")


@dataclass
class LiftedPictures:
    """The pictures taken out of an RTF (by number) and what could not be carried."""

    images: dict[int, Image] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def lift_pictures(rtf: str, limits: Limits) -> tuple[str, LiftedPictures]:
    """``rtf`` with every ``{\\pict …}`` group replaced by a token, and the pictures: each
    decoded from hex here (a picture past ``max_picture_mb`` is left out, with a note), so
    pandoc never reads picture data. A ``\\nonshppict`` fallback copy is dropped."""
    lifted = LiftedPictures()
    out: list[str] = []
    pos = 0
    for match in _PICT.finditer(rtf):
        start = match.start()
        if start < pos:
            continue  # inside a group already lifted
        end = _group_end_fast(rtf, start)
        out.append(rtf[pos:start])
        pos = end
        if "\\nonshppict" in rtf[max(0, start - 40) : start]:
            continue  # Word's fallback copy of the picture just before it
        number = len(lifted.images) + len(lifted.problems)
        problem = _lift_one(rtf[start + 1 : end - 1], number, lifted, limits)
        if problem is None:
            out.append(f" {_TOKEN.format(number)} ")
        else:
            lifted.problems.append(problem)
    out.append(rtf[pos:])
    return "".join(out), lifted


def _group_end_fast(text: str, start: int) -> int:
    """The index just past the group opening at ``start``, jumping over runs of data (hex
    pictures hold no braces or backslashes)."""
    depth = 0
    at = start
    while found := _BRACE_OR_ESCAPE.search(text, at):
        at = found.end()
        if found.group(0) == "\\":
            at += 1  # an escaped brace or backslash, or a control word's first letter
            continue
        depth += 1 if found.group(0) == "{" else -1
        if depth == 0:
            return at
    return len(text)


def _lift_one(group: str, number: int, lifted: LiftedPictures, limits: Limits) -> str | None:
    """Decode one picture group's hex data into ``lifted.images[number]``; the reason when
    it cannot be carried."""
    body = _INNER_GROUP.sub("", group)  # {\\*\\picprop …}, {\\*\\blipuid …}
    words: dict[str, int] = {}
    at = 0
    while match := _PICT_WORD.match(body, at):
        words[match.group(1)] = int(match.group(2) or 0)
        at = match.end()
    name = f"picture {number + 1} of the RTF"
    if "bin" in words:
        return f"{name} is stored as raw binary (not carried)"
    payload = _CONTROL_WORD.sub("", body[at:])
    if len(payload) // 2 > limits.max_picture_mb * 1024 * 1024:
        return (
            f"{name} is larger than {limits.max_picture_mb} MB "
            f"(limit {limits.variable('max_picture_mb')}={limits.max_picture_mb})"
        )
    try:
        data = bytes.fromhex(payload)
        image = image_from_bytes(data, name)
    except ValueError:
        return f"{name} is damaged (its hex data does not decode)"
    except ImageProblem as exc:
        return str(exc)
    if words.get("picwgoal"):
        image.width = f"{words['picwgoal'] / 1440:.2f}in"
    lifted.images[number] = image
    return None


def put_pictures_back(doc: Document, lifted: LiftedPictures) -> Document:
    """Each picture token pandoc left in the text becomes a figure block after its block
    (a cell's picture stays in the cell); a block that held only the token is the figure."""
    blocks: list[Block] = []
    for block in doc.blocks:
        numbers = [int(n) for n in _TOKEN_FOUND.findall(block.text)]
        if not numbers:
            blocks.append(block)
            continue
        spans = [replace(s, text=_TOKEN_FOUND.sub("", s.text)) for s in block.spans]
        if "".join(s.text for s in spans).strip():
            blocks.append(block.with_spans(_trimmed(spans)))
        for number in numbers:
            image = lifted.images.get(number)
            if image is not None:
                kind: BlockKind = "table_cell" if block.kind == "table_cell" else "figure"
                blocks.append(replace(block, kind=kind, spans=[Span("")], image=image))
    doc.blocks = blocks
    if lifted.problems:
        n = len(lifted.problems)
        doc.notes.append(
            f"{n} image{'s' if n != 1 else ''} not carried: {'; '.join(lifted.problems)}"[:300]
        )
    return doc


def _trimmed(spans: list[Span]) -> list[Span]:
    out = [s for s in spans if s.text or s.kind != "text"]
    if out and out[0].kind == "text":
        out[0] = replace(out[0], text=out[0].text.lstrip())
    if out and out[-1].kind == "text":
        out[-1] = replace(out[-1], text=out[-1].text.rstrip())
    return [re_spaced(s) for s in out]


def re_spaced(span: Span) -> Span:
    return replace(span, text=re.sub(r"  +", " ", span.text)) if span.kind == "text" else span
