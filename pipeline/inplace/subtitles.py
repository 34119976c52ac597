"""In-place SRT and WebVTT: each cue's text translated in its cue, everything else as it was.

The file is read as text (its encoding found as for plain text: UTF-8/16 or a legacy one) and
cut into what is kept verbatim — cue numbers, timing lines with their cue settings, the WebVTT
header, NOTE, STYLE and REGION blocks, blank lines — and the cues' text. The timings are never
parsed into numbers and written again, so they stay byte for byte (a library that re-formats
them, as ``srt``, ``webvtt-py`` and ``pysubs2`` do, would turn ``0:00:01.5`` or ``00:01.500``
into its own form, and drop what it does not model).

Consecutive cues that carry one sentence are translated together, as one block (a sentence
cut between two cues is translated with its context): a cue whose text ends a sentence, a
dialogue cue, a gap of more than ``GAP_MS`` or ``MAX_GROUP`` cues end a group. Between two
cues of a group the engine sees a marker (``<xN/>``); the translation is split back into the
cues where the engine put the markers, or, when it lost them or put them out of proportion,
by the source cues' lengths (``cuetext.split_by_length``). Each cue's lines are then wrapped
to the target language's limits (``cuetext.wrap``). Output is UTF-8 (with a byte-order mark
when the source had one), with the source's line endings.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.document import Block, Document
from pipeline.inplace import cuetext
from pipeline.inplace.common import (
    Format,
    FormatTable,
    InplaceError,
    Item,
    Obj,
    Style,
    Text,
    base_format,
    core_items,
    core_spans,
    file_sha256,
    split_edges,
)

TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}(?:[,.]\d{1,3})?)\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}(?:[,.]\d{1,3})?)"
)
END_OF_SENTENCE = re.compile(r"[.!?。！？…♪]['\"’”」』)）\]]*$")
KEPT_VTT_BLOCKS = re.compile(r"^(NOTE|STYLE|REGION)(?:[ \t]|$)")
GAP_MS = 1500
MAX_GROUP = 4
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class Cue:
    """One cue: its timing line (verbatim), text lines, and where its text sits in the file."""

    timing: str
    lines: list[str]
    start_ms: int
    end_ms: int


@dataclass
class Parsed:
    """A subtitle file cut into kept text (``str``) and cue texts (the cue's index)."""

    pieces: list[str | int]
    cues: list[Cue]
    newline: str


@dataclass(frozen=True)
class GroupRef:
    """Where a block came from: the cues it spans and its base formatting."""

    cues: tuple[int, ...]
    base: Format
    area: str = "body"


@dataclass
class SubtitleSkeleton:
    """Everything ``render`` needs besides the translated Document (plain, picklable data)."""

    source: str
    sha256: str
    blocks: list[GroupRef]
    formats: dict[str, Format] = field(default_factory=dict)
    cues: int = 0
    encoding: str = "utf-8"
    bom: bool = False
    tracked_changes: int = 0
    format: str = "srt"


@dataclass
class SplitStats:
    """How a render split groups into cues and fitted lines (for benchmarks and tests)."""

    groups: int = 0
    by_markers: int = 0
    by_length: int = 0
    rebalanced: int = 0  # groups whose words moved between cues so each fits two lines
    over_limit: list[int] = field(default_factory=list)  # cue indices still too long


def _ms(stamp: str) -> int:
    parts = re.split(r"[:,.]", stamp)
    if re.search(r"[,.]\d+$", stamp):
        *clock, frac = parts
        millis = int(frac.ljust(3, "0")[:3])
    else:
        clock, millis = parts, 0
    seconds = 0
    for value in clock:
        seconds = seconds * 60 + int(value)
    return seconds * 1000 + millis


def parse(text: str, fmt: str) -> Parsed:
    """Cut a subtitle file's text into kept pieces and cues (``fmt``: srt or vtt).

    Joining the pieces, with each cue's lines joined by the file's line ending in its place,
    gives the text back exactly."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n")
    pieces: list[str | int] = []
    cues: list[Cue] = []

    def keep(piece: str) -> None:
        if pieces and isinstance(pieces[-1], str):
            pieces[-1] += piece
        else:
            pieces.append(piece)

    def ending(i: int) -> str:
        return "\n" if i < len(lines) - 1 else ""

    i = 0
    first_block = True
    while i < len(lines):
        if not lines[i].strip():
            keep(lines[i] + ending(i))
            i += 1
            continue
        end = i
        while end < len(lines) and lines[end].strip():
            end += 1
        block = [line.rstrip("\r") for line in lines[i:end]]
        timing_at = _timing_line(block, fmt, first_block)
        first_block = False
        if timing_at is None or timing_at + 1 >= len(block):
            for j in range(i, end):
                keep(lines[j] + ending(j))
            i = end
            continue
        for j in range(i, i + timing_at + 1):
            keep(lines[j] + ending(j))
        match = TIMING.match(block[timing_at])
        assert match is not None
        pieces.append(len(cues))
        start_ms, end_ms = _ms(match.group(1)), _ms(match.group(2))
        cues.append(Cue(block[timing_at], block[timing_at + 1 :], start_ms, end_ms))
        keep(("\r" if lines[end - 1].endswith("\r") else "") + ending(end - 1))
        i = end
    return Parsed(pieces, cues, newline)


def _timing_line(block: list[str], fmt: str, first: bool) -> int | None:
    if fmt == "vtt" and (
        (first and block[0].lstrip("\ufeff").startswith("WEBVTT"))
        or KEPT_VTT_BLOCKS.match(block[0])
    ):
        return None
    for at in range(min(2, len(block))):
        if TIMING.match(block[at]):
            return at
    return None


def _decode(path: Path) -> tuple[str, str, bool]:
    from pipeline.errors import ReadError
    from pipeline.textcodec import decode

    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise InplaceError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text, encoding = decode(data)
    except ReadError as exc:
        raise InplaceError(str(exc)) from exc
    return text, encoding, data.startswith(codecs.BOM_UTF8)


# --- reading ---------------------------------------------------------------------------------


def _describe(fmt: Format) -> Style:
    tags = [cuetext._tag_name(t) for t in fmt[0].split(cuetext.JOIN) if t]
    return Style(bold="b" in tags, italic="i" in tags)


def _ends_group(cue: Cue, following: Cue | None, size: int) -> bool:
    if following is None or size >= MAX_GROUP:
        return True
    if cuetext.is_dialogue(cue.lines) or cuetext.is_dialogue(following.lines):
        return True
    if following.start_ms - cue.end_ms > GAP_MS:
        return True
    text = re.sub(r"<[^>]*>|\{\\[^}]*\}", "", " ".join(cue.lines)).strip()
    return bool(END_OF_SENTENCE.search(text))


def groups(cues: list[Cue]) -> list[list[int]]:
    """The cues in groups that are translated together (one sentence across cues)."""
    out: list[list[int]] = []
    current: list[int] = []
    for index, cue in enumerate(cues):
        current.append(index)
        following = cues[index + 1] if index + 1 < len(cues) else None
        if _ends_group(cue, following, len(current)):
            out.append(current)
            current = []
    return out


def _group_core(parsed: Parsed, members: list[int], escaped: bool) -> list[Item] | None:
    """The items the engine sees for a group: every cue's words, a kept ``cue`` object
    between two cues (with a space after it when the source separates words by spaces)."""
    core: list[Item] = []
    for position, index in enumerate(members):
        edges = split_edges(cuetext.read_items(parsed.cues[index].lines, escaped))
        if edges is None:
            return None
        if position:
            core.append(Obj([("cue", index)]))
            last = core[-2] if len(core) > 1 else None
            if isinstance(last, Text) and not _wide(last.text[-1:]):
                core.append(Text(" ", last.fmt))
        core.extend(edges.core)
    return core


def _wide(char: str) -> bool:
    from pipeline.typography import is_wide

    return bool(char) and is_wide(char)


def read(path: Path) -> tuple[Document, SubtitleSkeleton]:
    """Read an SRT or WebVTT file into a Document (one block per group of cues)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    text, encoding, bom = _decode(path)
    if fmt == "vtt" and not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InplaceError("not a valid .vtt file (it does not start with WEBVTT)")
    parsed = parse(text, fmt)
    if not parsed.cues:
        raise InplaceError(f"not a valid .{fmt} file (no cues with a timing line and text)")
    escaped = fmt == "vtt"
    table = FormatTable()
    blocks: list[Block] = []
    refs: list[GroupRef] = []
    for members in _translatable_groups(parsed, escaped):
        core = _group_core(parsed, members, escaped)
        assert core is not None
        base = base_format(core)
        blocks.append(Block("paragraph", spans=core_spans(core, table, base, _describe)))
        refs.append(GroupRef(tuple(members), base))
    document = Document(blocks=blocks, source_path=str(path), source_format=fmt, encoding=encoding)
    skeleton = SubtitleSkeleton(
        source=str(path),
        sha256=file_sha256(path),
        blocks=refs,
        formats=dict(table.formats),
        cues=len(parsed.cues),
        encoding=encoding,
        bom=bom,
        format=fmt,
    )
    return document, skeleton


def _translatable_groups(parsed: Parsed, escaped: bool) -> list[list[int]]:
    """The groups, with cues without words (a "♪" is a word; "<i></i>" is not) left out."""
    worded = [
        i
        for i, cue in enumerate(parsed.cues)
        if split_edges(cuetext.read_items(cue.lines, escaped)) is not None
    ]
    cues = [parsed.cues[i] for i in worded]
    return [[worded[i] for i in group] for group in groups(cues)]


# --- writing ---------------------------------------------------------------------------------


def _pieces(items: list[Item], members: list[int], spaced: bool) -> list[list[Item]] | None:
    """``items`` cut at the cue objects the engine kept in order; None when it did not, or
    (``spaced``: a language with spaces between words) when one is inside a word."""
    pieces: list[list[Item]] = [[]]
    expected = iter(members[1:])
    for item in items:
        if isinstance(item, Obj) and item.fragments and item.fragments[0][0] == "cue":
            if item.fragments[0][1] != next(expected, None):
                return None
            pieces.append([])
        else:
            pieces[-1].append(item)
    if len(pieces) != len(members):
        return None
    if spaced:
        for before, after in zip(pieces, pieces[1:], strict=False):
            left = "".join(i.text for i in before if isinstance(i, Text))[-1:]
            right = "".join(i.text for i in after if isinstance(i, Text))[:1]
            if left and right and not left.isspace() and not right.isspace():
                return None
    return [cuetext.trimmed(p) for p in pieces]


def _proportionate(pieces: list[list[Item]], weights: list[int]) -> bool:
    """Whether every piece has words and a share of the text within 3x its source cue's."""
    lengths = [cuetext.visible_length(p) for p in pieces]
    total, source_total = max(sum(lengths), 1), max(sum(weights), 1)
    for length, weight in zip(lengths, weights, strict=True):
        if length == 0:
            return False
        share, expected = length / total, weight / source_total
        if share > 3 * expected or share < expected / 3:
            return False
    return True


def split_group(
    items: list[Item], members: list[int], weights: list[int], lang: str, stats: SplitStats
) -> list[list[Item]]:
    """A group's translated items as one list per cue: at the engine's markers when they are
    in order and in proportion, else by the source cues' lengths; then words at the edges
    move to a neighbouring cue where one is too long for two lines and the neighbour is not."""
    stats.groups += 1
    if len(members) == 1:
        return [cuetext.trimmed(items)]
    spaced = cuetext.limits_for(lang).spaced
    pieces = _pieces(items, members, spaced)
    if pieces is not None and _proportionate(pieces, weights):
        stats.by_markers += 1
    else:
        stats.by_length += 1
        plain = [i for i in items if not (isinstance(i, Obj) and i.fragments[0][0] == "cue")]
        pieces = [cuetext.trimmed(p) for p in cuetext.split_by_length(plain, weights, spaced)]
    pieces, moved = cuetext.rebalance(pieces, lang)
    stats.rebalanced += moved
    return pieces


def render(
    skeleton: SubtitleSkeleton, translated: Document, lang: str, *, offline: bool = False
) -> bytes:
    """The subtitle file with each cue's text translated (``offline``: nothing to fetch)."""
    data, _ = render_with_stats(skeleton, translated, lang)
    return data


def render_with_stats(
    skeleton: SubtitleSkeleton, translated: Document, lang: str
) -> tuple[bytes, SplitStats]:
    source = Path(skeleton.source)
    if len(translated.blocks) != len(skeleton.blocks):
        raise InplaceError(
            f"{source.name}: the translation has {len(translated.blocks)} blocks, "
            f"the subtitles {len(skeleton.blocks)}"
        )
    if file_sha256(source) != skeleton.sha256:
        raise InplaceError(f"{source.name} changed while it was being translated; run again")
    text, _, _ = _decode(source)
    parsed = parse(text, skeleton.format)
    escaped = skeleton.format == "vtt"
    stats = SplitStats()
    texts: dict[int, list[str]] = {}
    for ref, block in zip(skeleton.blocks, translated.blocks, strict=True):
        members = list(ref.cues)
        core = _group_core(parsed, members, escaped)
        if core is None:
            continue
        items = core_items(block.spans, core, skeleton.formats, ref.base)
        weights = [_weight(parsed.cues[i], escaped) for i in members]
        lower = {i for i in members[1:] if _starts_lower(parsed.cues[i], escaped)}
        pieces = split_group(_lower_after_markers(items, lower), members, weights, lang, stats)
        for index, piece in zip(members, pieces, strict=True):
            texts[index] = _cue_lines(parsed.cues[index], piece, lang, escaped, stats, index)
    out: list[str] = []
    for kept in parsed.pieces:
        if isinstance(kept, str):
            out.append(kept)
        else:
            lines = texts.get(kept, parsed.cues[kept].lines)
            out.append("\r\n".join(lines) if parsed.newline == "\r\n" else "\n".join(lines))
    body = "".join(out)
    return (codecs.BOM_UTF8 if skeleton.bom else b"") + body.encode("utf-8"), stats


def _lower_after_markers(items: list[Item], cues: set[int]) -> list[Item]:
    """The first word after the marker of each cue in ``cues`` lowercased (see
    ``_starts_lower``), before the text is split between the cues."""
    out: list[Item] = []
    pending = False
    for item in items:
        if isinstance(item, Obj) and item.fragments and item.fragments[0][0] == "cue":
            pending = item.fragments[0][1] in cues
        elif pending and isinstance(item, Text) and item.text.strip():
            item = cuetext.lower_first([item])[0]
            pending = False
        out.append(item)
    return out


def _starts_lower(cue: Cue, escaped: bool) -> bool:
    """Whether the cue's text starts in the middle of a sentence (a lowercase letter): an
    engine that capitalises after a marker (Apertium: after a line break) is undone there."""
    text = "".join(i.text for i in cuetext.read_items(cue.lines, escaped) if isinstance(i, Text))
    first = next((c for c in text if c.isalpha()), "")
    return first.islower()


def _weight(cue: Cue, escaped: bool) -> int:
    return max(1, cuetext.visible_length(cuetext.read_items(cue.lines, escaped)))


def _cue_lines(
    cue: Cue, core: list[Item], lang: str, escaped: bool, stats: SplitStats, index: int
) -> list[str]:
    """A cue's new text lines: its kept prefix and suffix (``{\\an8}``…) around the
    translated core, wrapped."""
    edges = split_edges(cuetext.read_items(cue.lines, escaped))
    if edges is None or not core:
        return cue.lines if not core else []
    dialogue = cuetext.is_dialogue(cue.lines)
    lines, over = cuetext.wrap(
        [*edges.prefix, *core, *edges.suffix], lang, escaped, dialogue=dialogue
    )
    if over:
        stats.over_limit.append(index)
    return lines


__all__ = [
    "Cue",
    "GroupRef",
    "Parsed",
    "SplitStats",
    "SubtitleSkeleton",
    "groups",
    "parse",
    "read",
    "render",
    "render_with_stats",
    "split_group",
]
