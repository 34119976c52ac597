"""Blocks → sentence segments with inline markers, and translated segments → blocks.

A segment's text carries the block's inline formatting as markers the engines see:
``<gN>…</gN>`` around a formatted span (bold, italic, link) and ``<xN/>`` for a line break
or footnote reference. ``N`` indexes the block's ``SegmentedBlock.formats``. After
translation ``rebuild_block`` turns markers back into spans; a marker the engine dropped or
garbled is put back around the nearest matching text and counted as a repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline import markers
from pipeline.document import Block, Document, Segment, Span, merge_spans
from pipeline.typography import sentence_gap, tidy_spaces
from pipeline.verbatim import protect

ABBREVIATIONS = {
    "en": {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "etc",
        "vs",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "gen",
        "gov",
        "sen",
        "rep",
        "inc",
        "ltd",
        "co",
        "corp",
    },
    "es": {
        "sr",
        "sra",
        "srta",
        "sres",
        "dr",
        "dra",
        "lic",
        "ing",
        "prof",
        "ee.uu",
        "ee. uu",
        "etc",
        "núm",
        "nro",
        "art",
        "pág",
        "av",
        "avda",
        "gral",
        "cía",
        "s.a",
        "ud",
        "uds",
        "ene",
        "feb",
        "mar",
        "abr",
        "may",
        "jun",
        "jul",
        "ago",
        "sep",
        "sept",
        "oct",
        "nov",
        "dic",
        "aprox",
        "dpto",
        "tel",
        "p.ej",
        "fdo",
        "cap",
        "vol",
        "ca",
        "pdte",
        "sec",
    },
}


@dataclass
class SegmentedBlock:
    """A block cut into segments, with what is needed to put it back together."""

    block: Block
    segments: list[Segment]
    formats: dict[int, Span] = field(default_factory=dict)


@dataclass
class RebuildStats:
    markers_repaired: int = 0


def _segmenter(lang: str) -> Any:  # pysbd has no types
    """A new pysbd segmenter for one call.

    Never share one: ``Segmenter.segment`` keeps the text it works on in ``self.original_text``
    and computes the character spans from it, so two threads using one segmenter get spans of
    each other's text (41 of 115 UDHR paragraphs split differently under 2 threads), which
    changed segments between runs under ``--jobs 2`` and defeated the translation memory.
    Making one costs about 5 µs.
    """
    import pysbd

    return pysbd.Segmenter(
        language=lang if lang in ("en", "es", "ja") else "en", clean=False, char_span=True
    )


def _sentence_spans(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Where pysbd's sentences are in ``text``, each with the whitespace after it.

    What ``Segmenter.segment(char_span=True)`` computes, without its regular expression per
    sentence (``re.escape(sentence) + r"\\s*"``): compiling one per sentence cost more than the
    splitting and pushed every other pattern out of ``re``'s cache. The same rule: the first
    non-overlapping occurrence, scanning from the start, that ends after the previous span.
    """
    spans: list[tuple[int, int]] = []
    prior_end = 0
    for sentence in sentences:
        if not sentence:
            continue
        pos = 0
        while (start := text.find(sentence, pos)) >= 0:
            end = start + len(sentence)
            while end < len(text) and text[end].isspace():
                end += 1
            if end > prior_end:
                spans.append((start, end))
                prior_end = end
                break
            pos = end
    return spans


_ONE_SENTENCE = re.compile(r"[^\W_]+(?:[ ,:'’\-–—/%&、]+[^\W_]+)*")
"""Words with only spaces, commas, colons, hyphens, dashes, slashes and apostrophes between
them: no place pysbd could end a sentence (checked on the UDHR in ten languages, the test
statements and 20,000 random texts: pysbd never splits one)."""
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_FINAL_STOP = ".!?…。！？｡"


def is_one_sentence(text: str) -> bool:
    """``text`` (a title, a heading, "Point 3.2: every one has the right…") cannot be more
    than one sentence: words and ``_ONE_SENTENCE``'s marks, decimal points, one final stop."""
    body = text.strip()
    if body[-1:] in _FINAL_STOP:
        body = body[:-1]
    return _ONE_SENTENCE.fullmatch(_DECIMAL_POINT.sub("", body)) is not None


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Sentence boundaries in ``text`` as (start, end) offsets that cover the whole text."""
    if not text.strip() or is_one_sentence(text):
        return [(0, len(text))] if text else []
    return pysbd_sentences(text, lang)


def pysbd_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """``split_sentences`` by pysbd alone (and the false breaks after abbreviations re-joined)."""
    spans = _sentence_spans(text, _segmenter(lang).processor(text).process())
    if not spans:
        return [(0, len(text))]
    # pysbd's spans may skip whitespace; make them contiguous and covering.
    bounds = [0] + [end for _, end in spans[:-1]] + [len(text)]
    pieces = [
        (bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if bounds[i] < bounds[i + 1]
    ]
    return _merge_false_breaks(text, pieces, lang)


def _merge_false_breaks(
    text: str, pieces: list[tuple[int, int]], lang: str
) -> list[tuple[int, int]]:
    """Re-join splits after abbreviations (Sr., EE.UU., Dr.) and before lower-case words."""
    if lang == "ja":
        return pieces
    abbreviations = ABBREVIATIONS.get(lang, ABBREVIATIONS["en"])
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        if merged:
            prev = text[merged[-1][0] : merged[-1][1]].rstrip()
            nxt = text[start:end].lstrip()
            last_word = re.findall(r"([\w.]+)\.$", prev)
            is_abbrev = bool(last_word) and (
                last_word[0].lower() in abbreviations
                or re.fullmatch(r"(?:\w\.)*\w", last_word[0]) is not None
                and len(last_word[0]) <= 5
                and "." in last_word[0]
            )
            starts_lower = bool(nxt) and (nxt[0].islower() or nxt[0].isdigit())
            if is_abbrev or starts_lower or not re.search(r"[.!?…:;\"”’»)\]]$", prev):
                merged[-1] = (merged[-1][0], end)
                continue
        merged.append((start, end))
    return merged


def segment_document(doc: Document, lang: str | None = None) -> list[SegmentedBlock]:
    """Cut every block of ``doc`` into sentence segments (ids ``b<block>.s<n>``)."""
    lang = lang or doc.lang or "en"
    return [segment_block(block, i, block.lang or lang) for i, block in enumerate(doc.blocks)]


def segment_block(block: Block, index: int, lang: str) -> SegmentedBlock:
    """Cut one block into segments; headings, list items and cells are cut too when long.

    A code block has none (it is never translated); verbatim text (inline code, URLs, file
    names…, see ``verbatim.py``) is one ``<xN/>`` placeholder inside its sentence.
    """
    if block.kind == "code":
        return SegmentedBlock(block, [], {})
    spans = protect(_objects_outside_words(block.spans))
    plain, positions = _plain_text(spans)
    bounds = _outside_verbatim(split_sentences(plain, lang), spans, positions)
    formats: dict[int, Span] = {}
    segments: list[Segment] = []
    for start, end in bounds:
        text = _marked_text(spans, positions, start, end, formats)
        stripped = text.strip()
        if not stripped:
            if segments:
                segments[-1].trailing += text
            continue
        trailing = text[len(text.rstrip()) :]
        shown = {n: s.text for n, s in formats.items() if s.verbatim and f"<x{n}/>" in stripped}
        segments.append(
            Segment(
                id=f"b{index}.s{len(segments) + 1}",
                block=index,
                index=len(segments),
                text=stripped,
                lang=lang,
                trailing=trailing,
                verbatim=shown,
            )
        )
    return SegmentedBlock(block, segments, formats)


def _objects_outside_words(spans: list[Span]) -> list[Span]:
    """``spans`` with every object that cuts a word in two ("noo<bookmark>n", as LibreOffice
    writes some bookmarks) moved to the end of that word, so the engine sees the word whole."""
    out = list(spans)
    i = 1
    while i < len(out) - 1:
        obj, before, after = out[i], out[i - 1], out[i + 1]
        cuts_word = (
            obj.kind == "object"
            and before.kind == after.kind == "text"
            and not before.verbatim
            and not after.verbatim
            and before.text[-1:].isalnum()
            and after.text[:1].isalnum()
        )
        if cuts_word:
            rest = re.match(r"\w*", after.text)
            cut = rest.end() if rest else 0
            out[i - 1 : i + 2] = [
                before,
                replace(after, text=after.text[:cut]),
                obj,
                replace(after, text=after.text[cut:]),
            ]
            out = [x for x in out if x.kind != "text" or x.text or x is before]
            out = merge_spans(out)
        i += 1
    return out


def _outside_verbatim(
    bounds: list[tuple[int, int]], spans: list[Span], positions: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``bounds`` with every sentence boundary that falls inside a verbatim span removed (a
    file name's dot, a URL's "?" never end a sentence)."""
    inside = [(s, e) for span, (s, e) in zip(spans, positions, strict=True) if span.verbatim]
    if not inside:
        return bounds
    merged: list[tuple[int, int]] = []
    for start, end in bounds:
        if merged and any(s < start < e for s, e in inside):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _plain_text(spans: list[Span]) -> tuple[str, list[tuple[int, int]]]:
    """Plain text of spans (markers excluded) and each span's (start, end) in it."""
    parts: list[str] = []
    positions: list[tuple[int, int]] = []
    pos = 0
    for span in spans:
        text = span.text if span.kind == "text" else ""
        parts.append(text)
        positions.append((pos, pos + len(text)))
        pos += len(text)
    return "".join(parts), positions


def _marked_text(
    spans: list[Span],
    positions: list[tuple[int, int]],
    start: int,
    end: int,
    formats: dict[int, Span],
) -> str:
    out: list[str] = []
    for span, (s, e) in zip(spans, positions, strict=True):
        if span.kind == "text" and span.verbatim:
            # Never translated: the engine sees a placeholder, the text comes back from formats.
            if start <= s < end and span.text:
                n = len(formats) + 1
                formats[n] = span
                out.append(f"<x{n}/>")
            continue
        if span.kind != "text":
            # Zero-width: belongs to the sentence it ends, or starts when it opens the block.
            if (start < s <= end) or (s == start == 0):
                n = len(formats) + 1
                formats[n] = span
                out.append(f"<x{n}/>")
            continue
        lo, hi = max(s, start), min(e, end)
        if lo >= hi:
            continue
        piece = markers.escape(span.text[lo - s : hi - s])  # literal "<g1>" is text
        if span.formatted and piece.strip():
            n = len(formats) + 1
            formats[n] = span
            lead = piece[: len(piece) - len(piece.lstrip())]
            tail = piece[len(piece.rstrip()) :]
            out.append(f"{lead}<g{n}>{piece.strip()}</g{n}>{tail}")
        else:
            out.append(piece)
    return "".join(out)


def join_segments(texts: list[str], trailing: list[str], lang: str) -> str:
    """Join translated segments into block text; the gap between two sentences depends on
    the scripts on both sides (``typography.sentence_gap``): none between Japanese sentences,
    a space where Latin text meets Latin text."""
    out: list[str] = []
    for i, text in enumerate(texts):
        out.append(text)
        if i < len(texts) - 1:
            out.append(sentence_gap(text, texts[i + 1], trailing[i], lang))
    return "".join(out)


def rebuild_block(
    sb: SegmentedBlock,
    translations: list[str],
    lang: str,
    stats: RebuildStats | None = None,
) -> Block:
    """A copy of the block whose text is the translation, formatting restored from markers."""
    if not sb.segments:  # nothing to translate (a code block, a lone note reference)
        return sb.block
    stats = stats if stats is not None else RebuildStats()
    repaired = [
        tidy_spaces(seg.text, repair_markers(seg.text, tr, stats))
        for seg, tr in zip(sb.segments, translations, strict=True)
    ]
    text = join_segments(repaired, [s.trailing for s in sb.segments], lang)
    spans = _spans_from_markers(text, sb.formats)
    return sb.block.with_spans(spans or [Span("")])


def _spans_from_markers(text: str, formats: dict[int, Span]) -> list[Span]:
    spans: list[Span] = []
    current: Span | None = None
    pos = 0
    for m in markers.PATTERN.finditer(text):
        chunk = markers.unescape(text[pos : m.start()])
        if chunk:
            spans.append(replace(current or Span(), text=chunk))
        pos = m.end()
        if m.group(1):
            current = formats.get(int(m.group(1)))
        elif m.group(2):
            current = None
        else:
            template = formats.get(int(m.group(3)))
            if template is not None:
                spans.append(template if template.verbatim else replace(template, text=""))
    if pos < len(text):
        spans.append(replace(current or Span(), text=markers.unescape(text[pos:])))
    return merge_spans(spans)


def repair_markers(source: str, translated: str, stats: RebuildStats | None = None) -> str:
    """Make ``translated`` carry exactly the markers of ``source``, each once and balanced.

    Markers the engine kept are left where it put them. A dropped ``<gN>`` pair is put back
    around the source span's text when the translation contains it, else around the word at
    the same relative position; a dropped ``<xN/>`` goes at its relative position. Each
    repair is counted in ``stats.markers_repaired``.
    """
    stats = stats if stats is not None else RebuildStats()
    wanted_pairs = [m.number for m in markers.tokens(source) if m.kind == "open"]
    wanted_empty = [m.number for m in markers.tokens(source) if m.kind == "empty"]
    if not wanted_pairs and not wanted_empty and not markers.has_markers(translated):
        return translated

    translated = _join_split_spans(translated, wanted_pairs)
    kept_pairs = set()
    for n in wanted_pairs:
        balanced = translated.count(f"<g{n}>") == 1 == translated.count(f"</g{n}>")
        if balanced and re.search(rf"<g{n}>.*?</g{n}>", translated, re.S):
            kept_pairs.add(n)
    kept_empty = {n for n in wanted_empty if translated.count(f"<x{n}/>") == 1}

    # Remove every marker that is unwanted, duplicated or unbalanced.
    def keep(m: re.Match[str]) -> str:
        if m.group(1) and int(m.group(1)) in kept_pairs:
            return m.group(0)
        if m.group(2) and int(m.group(2)) in kept_pairs:
            return m.group(0)
        if m.group(3) and int(m.group(3)) in kept_empty:
            return m.group(0)
        return ""

    out = markers.PATTERN.sub(keep, translated)
    source_plain = markers.strip(source)
    for n in wanted_pairs:
        if n in kept_pairs:
            continue
        stats.markers_repaired += 1
        inner = re.search(rf"<g{n}>(.*?)</g{n}>", source, re.S)
        inner_text = markers.strip(inner.group(1)) if inner else ""
        out = _wrap_nearest(out, inner_text, n, _relative_position(source, f"<g{n}>", source_plain))
    for n in wanted_empty:
        if n in kept_empty:
            continue
        stats.markers_repaired += 1
        rel = _relative_position(source, f"<x{n}/>", source_plain)
        idx = _position_in(out, rel)
        out = out[:idx] + f"<x{n}/>" + out[idx:]
    return out


def _join_split_spans(text: str, numbers: list[int]) -> str:
    """Rejoin a span the engine split in pieces (``<g1>siete</g1> <g1>dirigentes</g1>``).

    Only when nothing but whitespace and punctuation lies between the pieces, so the span
    covers the same words it covered before.
    """
    for n in numbers:
        opens, closes = text.count(f"<g{n}>"), text.count(f"</g{n}>")
        if opens < 2 or opens != closes:
            continue
        first, last = text.index(f"<g{n}>"), text.rindex(f"</g{n}>")
        inner = text[first + len(f"<g{n}>") : last]
        between = re.findall(rf"</g{n}>(.*?)<g{n}>", inner, re.S)
        if all(not re.search(r"\w|<", gap) for gap in between):
            inner = inner.replace(f"</g{n}>", "").replace(f"<g{n}>", "")
            text = text[:first] + f"<g{n}>" + inner + f"</g{n}>" + text[last + len(f"</g{n}>") :]
    return text


def _relative_position(marked: str, marker: str, plain: str) -> float:
    idx = marked.find(marker)
    before = len(markers.strip(marked[: max(idx, 0)]))
    return before / max(len(plain), 1)


def _position_in(text: str, rel: float) -> int:
    """An index in ``text`` outside any marker, at the word boundary nearest to ``rel``."""
    plain_len = len(markers.strip(text))
    target = round(rel * plain_len)
    # Walk the marked text counting plain characters.
    count = 0
    i = 0
    while i < len(text) and count < target:
        m = markers.ANY.match(text, i)
        if m:
            i = m.end()
            continue
        i += 1
        count += 1
    # Move to a word boundary, past closing markers.
    while 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum():
        i += 1
    while (m := markers.PATTERN.match(text, i)) is not None and m.group(2) is not None:
        i = m.end()
    return i


def _wrap_nearest(text: str, inner: str, n: int, rel: float) -> str:
    if inner.strip():
        for m in re.finditer(rf"(?<!\w){re.escape(inner)}(?!\w)", text):
            if not _inside_tag(text, m.start()):
                return text[: m.start()] + f"<g{n}>" + inner + f"</g{n}>" + text[m.end() :]
    start = _position_in(text, rel)
    # Wrap the word starting at (or after) ``start``.
    word = re.compile(r"[^\s<>]+").search(text, start)
    if not word:
        words = list(re.finditer(r"[^\s<>]+", text))
        if not words:
            return text + f"<g{n}></g{n}>"
        word = words[-1]
    return text[: word.start()] + f"<g{n}>" + word.group(0) + f"</g{n}>" + text[word.end() :]


def _inside_tag(text: str, idx: int) -> bool:
    return any(m.start() < idx < m.end() for m in markers.ANY.finditer(text))
