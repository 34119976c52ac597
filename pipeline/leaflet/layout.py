"""The content side of a leaflet: a Document split into headline, deck, body and slogans,
and turned into the JSON data the Typst templates read (strings are inserted as text, never
as markup). Also the text rules the layout depends on: text units, dates, quote styles.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING, Any, Literal

from pipeline.document import LANGUAGE_NAMES, Block, Document, Span
from pipeline.export.fonts import fonts_for
from pipeline.leaflet.pdfboxes import BLEED_MM
from pipeline.typography import is_wide

if TYPE_CHECKING:
    from pipeline.leaflet.config import LeafletConfig
    from pipeline.leaflet.options import LeafletOptions

LABELS = {
    "en": {"overleaf": "continued overleaf →"},
    "es": {"overleaf": "sigue al dorso →"},
    "ja": {"overleaf": "裏面に続く →"},
}
MONTHS_ES = (
    *("enero", "febrero", "marzo", "abril", "mayo", "junio"),
    *("julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"),
)


# ---- text helpers -----------------------------------------------------------------------------
def text_units(text: str) -> int:
    """Length for layout decisions: CJK characters count double (they are about twice as wide)."""
    return sum(2 if is_wide(ch) else 1 for ch in text if not ch.isspace())


_CLOSERS = "\"'”’»)]）」』】"
_SENTENCE_END = re.compile(r"[.?。？](?=[\s\"'”’»)\]）」』]|$)")


def is_exclamation(text: str) -> bool:
    """True when every sentence of ``text`` ends in an exclamation mark (``!``, ``！``, ``¡…!``)."""
    t = text.strip().rstrip(_CLOSERS).rstrip()
    return bool(t) and t[-1] in "!！" and not _SENTENCE_END.search(t)


def is_slogan(block: Block, lang: str) -> bool:
    """A short exclamatory paragraph: set prominently, like a chant on a banner."""
    if block.kind not in ("paragraph", "quote"):
        return False
    limit = 80 if lang == "ja" else 170
    text = block.text.strip()
    return 0 < len(text) <= limit and is_exclamation(text)


def format_date(value: str | dt.date | None, lang: str) -> str:
    """The date as people write it in ``lang`` (ISO strings are parsed; other text is kept)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text[:10])
        except ValueError:
            return text
    day = value or dt.date.today()
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    if lang == "es":
        return f"{day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{day.day} {day.strftime('%B')} {day.year}" if lang == "en" else day.isoformat()


# Quotes: which characters open and close, and which level pairs each style uses.
_QUOTE_LEVELS = {"«»": [("«", "»"), ("“", "”"), ("‘", "’")], "“”": [("“", "”"), ("‘", "’")]}


def apply_quote_style(text: str, style: str) -> str:
    """Rewrite quotation marks to ``style`` («» or “”), nesting levels as the RAE describes.

    Straight double quotes are paired by context; ’ that closes no ‘ stays an apostrophe.
    Unbalanced quotes leave the text unchanged. The result has the same length as ``text``.
    """
    levels = _QUOTE_LEVELS[style]
    out = list(text)
    stack: list[str] = []  # the opening character seen, per open level
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else " "
        if ch == '"':
            opening = prev.isspace() or prev in "([{¿¡—–-«“‘" or not stack or stack[-1] != '"'
            if stack and stack[-1] == '"' and not (prev.isspace() and i + 1 < len(text)):
                opening = False
            ch_kind = "open" if opening else "close"
        elif ch in "«“‘":
            ch_kind = "open"
        elif ch in "»”":
            ch_kind = "close"
        elif ch == "’":
            if not (stack and stack[-1] == "‘"):
                continue  # an apostrophe
            ch_kind = "close"
        else:
            continue
        if ch_kind == "open":
            depth = min(len(stack), len(levels) - 1)
            stack.append(ch)
            out[i] = levels[depth][0]
        else:
            if not stack:
                return text
            stack.pop()
            out[i] = levels[min(len(stack), len(levels) - 1)][1]
    return text if stack else "".join(out)


def _restyle_spans(spans: list[Span], lang: str, config: LeafletConfig) -> list[Span]:
    """Apply the configured Spanish quote style across a block's spans (same lengths)."""
    if lang != "es":
        return spans
    joined = "".join(s.text if s.kind == "text" else "\0" for s in spans)
    styled = apply_quote_style(joined, config.spanish_quotes)
    result, pos = [], 0
    for s in spans:
        n = len(s.text) if s.kind == "text" else 1
        if s.kind == "text":
            result.append(Span(styled[pos : pos + n], s.bold, s.italic, s.link, s.kind, s.note))
        else:
            result.append(s)
        pos += n
    return result


# ---- Document → template data -----------------------------------------------------------------
def _span_data(spans: list[Span]) -> list[dict[str, Any]]:
    return [
        {
            "kind": s.kind,
            "text": s.text,
            "bold": s.bold,
            "italic": s.italic,
            "link": s.link,
            "note": s.note,
        }
        for s in spans
        if s.kind != "text" or s.text
    ]


@dataclass
class _Parts:
    """A Document split into what the leaflet places differently."""

    title: str
    subtitle: list[Span] | None
    body: list[Block]
    closing: list[Block]
    notes: dict[str, list[Span]]
    headline_from: str = "title"  # title, heading, metadata, or sentence (the document has none)


@dataclass(frozen=True)
class Photo:
    """The picture a leaflet shows under its headline, with its caption (if any)."""

    data: bytes
    suffix: str
    caption: list[Span]

    @property
    def caption_data(self) -> list[dict[str, Any]]:
        """The caption as the templates read spans."""
        return _span_data(self.caption)


def choose_photo(doc: Document, lang: str, config: LeafletConfig) -> Photo | None:
    """The leaflet's photo: the file ``photo:`` names in leaflet.yml, the statement's image
    it numbers (1 = the first), none for ``photo: false``, else the statement's first image."""
    choice = config.photo
    if choice is False:
        return None
    path = config.photo_path()
    if path is not None:
        return Photo(path.read_bytes(), path.suffix.lower().lstrip("."), [])
    figures = [b for b in doc.body_blocks() if b.image is not None]
    index = choice - 1 if isinstance(choice, int) and not isinstance(choice, bool) else 0
    if index >= len(figures):
        return None
    block = figures[index]
    assert block.image is not None
    captioned = block.kind == "figure" and block.image.captioned
    caption = _restyle_spans(block.spans, lang, config) if captioned else []
    return Photo(block.image.data, block.image.suffix, caption)


def _split(doc: Document, lang: str, config: LeafletConfig) -> _Parts:
    blocks = [b.with_spans(_restyle_spans(b.spans, lang, config)) for b in doc.body_blocks()]
    # Pictures: the leaflet shows one, as its photo (choose_photo); abstracts are for papers.
    blocks = [b for b in blocks if b.kind not in ("figure", "abstract") and b.image is None]
    blocks = [b for b in blocks if b.text.strip() or b.kind == "table_cell"]
    title, headline_from = _take_headline(blocks, doc)
    subtitle = _take_subtitle(blocks, lang)
    closing: list[Block] = []
    while blocks and is_slogan(blocks[-1], lang) and len(closing) < 4:
        closing.insert(0, blocks.pop())
    notes = {
        nid: _restyle_spans(b.spans, lang, config) for nid, b in doc.footnotes().items() if nid
    }
    return _Parts(title, subtitle, blocks, closing, notes, headline_from)


def _take_headline(blocks: list[Block], doc: Document) -> tuple[str, str]:
    """The headline and where it came from (title, heading, metadata or sentence); the block
    it came from is taken out of ``blocks`` when it leads the body."""
    for kind in ("title", "heading"):
        hit = next((b for b in blocks if b.kind == kind), None)
        if hit is not None:
            if kind == "title" or blocks.index(hit) == 0:
                blocks.remove(hit)
            if hit.text.strip():
                return hit.text.strip(), kind
            break
    if doc.metadata.get("title", "").strip():
        return doc.metadata["title"].strip(), "metadata"
    # never the file name: the statement's own first words
    return _first_sentence(blocks), "sentence"


def _take_subtitle(blocks: list[Block], lang: str) -> list[Span] | None:
    """The subtitle block's spans, or a short rallying line right under the headline (a deck,
    as newspapers set it), taken out of ``blocks``."""
    sub = next((b for b in blocks if b.kind == "subtitle"), None)
    if sub is not None:
        blocks.remove(sub)
        return sub.spans
    if blocks and blocks[0].kind == "paragraph":
        first = blocks[0].text.strip()
        limit = 90 if lang == "ja" else 200
        if len(first) <= limit and first[-1:] in "!！?？":
            return blocks.pop(0).spans
    return None


HEADLINE_MAX = 120
"""Longest first sentence used as a headline (text units) when a document has no title."""


def _first_sentence(blocks: list[Block]) -> str:
    """The headline of a document with no title or heading: its first paragraph when that is
    short (then taken out of the body), else the paragraph's first sentence, cut at a word
    (or, in Japanese, a character) with … when even that is long."""
    first = next((b for b in blocks if b.kind in ("paragraph", "quote", "subtitle")), None)
    if first is None:
        return ""
    text = first.text.strip()
    if text_units(text) <= HEADLINE_MAX:
        blocks.remove(first)
        return text
    match = re.match(r"(.+?[.!?。！？])(?=\s|$|[^\w])", text)
    sentence = match.group(1) if match else text
    if text_units(sentence) <= HEADLINE_MAX:
        return sentence
    cut, units = [], 0
    for ch in sentence:
        units += 2 if is_wide(ch) else 1
        if units > HEADLINE_MAX:
            break
        cut.append(ch)
    head = "".join(cut)
    if " " in head and not is_wide(head[-1]):
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,、，;:") + "…"


def _blocks_data(blocks: list[Block], lang: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    counters: dict[int, int] = {}
    for b in blocks:
        if b.kind == "table_cell":
            if out and out[-1]["kind"] == "table" and out[-1]["id"] == b.table:
                table = out[-1]
            else:
                table = {"kind": "table", "id": b.table, "cells": [], "columns": 1, "slogan": False}
                out.append(table)
            # A cell's paragraphs and list items (level ≥ 1) are one cell, a line each.
            spans = [Span("• " * min(b.level, 1) + "  " * max(b.level - 1, 0)), *b.spans]
            if table.get("at") == (b.row, b.col):
                table["cells"][-1].extend(_span_data([Span(kind="break"), *spans]))
            else:
                table["cells"].append(_span_data(spans))
                table["at"] = (b.row, b.col)
            table["columns"] = max(table["columns"], (b.col or 0) + 1)
            continue
        if b.kind == "list_item" and b.ordered:
            counters[b.level] = counters.get(b.level, 0) + 1
        elif b.kind != "list_item":
            counters.clear()
        out.append(
            {
                "kind": b.kind,
                "spans": _span_data(b.spans),
                "level": max(b.level, 1),
                "ordered": b.ordered,
                "number": counters.get(b.level, 1),
                "slogan": is_slogan(b, lang),
            }
        )
    return out


def _fonts_data(lang: str, config: LeafletConfig) -> dict[str, list[str]]:
    base = fonts_for(lang)
    script: Literal["latin", "ja"] = "ja" if lang == "ja" else "latin"
    choice = config.fonts.get(script)
    display = ["Noto Sans CJK JP"] if lang == "ja" else ["Noto Sans Display", *base.heading]
    fonts = {"body": list(base.body), "heading": list(base.heading), "display": display}
    if choice is not None:
        for role in fonts:
            chosen = getattr(choice, role)
            if chosen:
                fonts[role] = [*chosen, *fonts[role]]
    return fonts


def _common_data(
    lang: str, config: LeafletConfig, doc: Document, options: LeafletOptions
) -> dict[str, Any]:
    return {
        "lang": lang,
        "org": config.organisation_for(lang),
        "tagline": config.tagline_for(lang),
        "contact": config.contact_for(lang),
        "url": config.url,
        "date": format_date(config.date or doc.metadata.get("date"), lang),
        "colours": {"accent": config.colours.accent, "ink": config.colours.ink},
        "bw": options.bw,
        "bleed": options.bleed,
        "bleed_mm": BLEED_MM,
        "labels": LABELS.get(lang, LABELS["en"]),
        "keywords": [],
        "logo": None,
        "qr": None,
        "photo": None,
    }


def leaflet_data(
    doc: Document, lang: str, config: LeafletConfig, options: LeafletOptions
) -> tuple[dict[str, Any], int]:
    """The template data of an A4/A5 leaflet and the body's length in text units."""
    parts = _split(doc, lang, config)
    data = _common_data(lang, config, doc, options)
    data.update(
        title=parts.title,
        subtitle=_span_data(parts.subtitle) if parts.subtitle else None,
        blocks=_blocks_data(parts.body, lang),
        closing=_blocks_data(parts.closing, lang),
        notes={k: _span_data(v) for k, v in parts.notes.items()},
        fonts=_fonts_data(lang, config),
        headline_from=parts.headline_from,
    )
    units = sum(text_units(b.text) for b in parts.body)
    return data, units


def bilingual_data(
    doc: Document, original: Document, lang: str, config: LeafletConfig, options: LeafletOptions
) -> dict[str, Any]:
    """The template data of a bilingual edition: ``original``'s block i beside ``doc``'s."""
    src = original.lang or "en"
    left, right = _split(original, src, config), _split(doc, lang, config)
    data = _common_data(lang, config, doc, options)

    def side(parts: _Parts, side_lang: str) -> dict[str, Any]:
        return {
            "lang": side_lang,
            "org": config.organisation_for(side_lang),
            "tagline": config.tagline_for(side_lang),
            "title": parts.title,
            "subtitle": _span_data(parts.subtitle) if parts.subtitle else None,
            "fonts": _fonts_data(side_lang, config),
            "notes": {k: _span_data(v) for k, v in parts.notes.items()},
        }

    rows = []
    for a, b in zip_longest(left.body + left.closing, right.body + right.closing):
        rows.append(
            {
                "left": _blocks_data([a], src)[0] if a is not None else None,
                "right": _blocks_data([b], lang)[0] if b is not None else None,
            }
        )
    data.update(
        title=f"{right.title} / {left.title}",
        headline_from=right.headline_from,
        left=side(left, src),
        right=side(right, lang),
        rows=rows,
        fonts=_fonts_data(lang, config),
        paper=config.paper,
        names={"left": _endonym(src), "right": _endonym(lang)},
    )
    return data


ENDONYMS = {"en": "English", "es": "Español", "ja": "日本語"}


def _endonym(lang: str) -> str:
    return ENDONYMS.get(lang, LANGUAGE_NAMES.get(lang, lang))
