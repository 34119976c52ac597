"""Leaflets: a translated Document laid out as an A5/A4 sheet or a bilingual edition (Typst).

The Typst templates live in ``pipeline/layouts``; this module turns a Document into the JSON
data they read (strings are inserted as text, never as markup), picks columns and body size
so the statement fits one sheet front and back, and writes the PDF atomically.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

from pipeline.document import Block, Document, Span
from pipeline.errors import PipelineError
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.fonts import font_dirs, fonts_for
from pipeline.layouts import LAYOUT_DIR, LAYOUTS
from pipeline.leaflet_config import LeafletConfig

SHEET_PAGES = 2  # one sheet, front and back


class LeafletError(PipelineError, RuntimeError):
    """The leaflet could not be made (one line: what and why)."""


@dataclass(frozen=True)
class LeafletResult:
    """What was written: page count, the body size and columns chosen, and any overflow."""

    path: Path
    pages: int
    font_size: float
    columns: int
    overflow: str | None = None
    overflow_pages: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "pages": self.pages,
            "font_size": self.font_size,
            "columns": self.columns,
            "overflow": self.overflow,
            "overflow_pages": round(self.overflow_pages, 2),
        }


@dataclass(frozen=True)
class _Spec:
    """Sizes for one layout: body size in one and two columns, the floor when shrinking."""

    template: str
    one_column: float
    two_columns: float
    minimum: float
    one_column_max_units: int  # text length (CJK characters count double) set in one column


SPECS = {
    "leaflet-a5": _Spec("leaflet-a5.typ", 10.0, 9.0, 7.5, 1500),
    "leaflet-a4": _Spec("leaflet-a4.typ", 12.0, 10.0, 8.5, 2600),
    "bilingual-a4": _Spec("bilingual.typ", 10.0, 10.0, 7.5, 0),
    "bilingual-a5": _Spec("bilingual.typ", 8.5, 8.5, 7.0, 0),
}

LABELS = {
    "en": {"overleaf": "continued overleaf →"},
    "es": {"overleaf": "sigue al dorso →"},
    "ja": {"overleaf": "裏面に続く →"},
}
MONTHS_ES = (
    *("enero", "febrero", "marzo", "abril", "mayo", "junio"),
    *("julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"),
)


# ---- file names -------------------------------------------------------------------------------
def leaflet_filename(
    stem: str,
    lang: str,
    layout: str,
    *,
    src: str | None = None,
    bw: bool = False,
    bleed: bool = False,
    two_up: bool = False,
) -> str:
    """``<stem>.<lang>.leaflet-a5.pdf`` or ``<stem>.<src>-<lang>.bilingual.pdf``; print variants
    add ``.bw``, ``.bleed``, ``.2up`` so they never overwrite the screen version."""
    if layout not in LAYOUTS:
        raise LeafletError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    langs = f"{src}-{lang}" if layout == "bilingual" else lang
    suffix = "".join(s for s, on in ((".bw", bw), (".bleed", bleed), (".2up", two_up)) if on)
    return f"{stem}.{langs}.{layout}{suffix}.pdf"


# ---- text helpers -----------------------------------------------------------------------------
def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_units(text: str) -> int:
    """Length for layout decisions: CJK characters count double (they are about twice as wide)."""
    return sum(2 if _is_wide(ch) else 1 for ch in text if not ch.isspace())


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
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value.strip()
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


def _split(doc: Document, lang: str, config: LeafletConfig) -> _Parts:
    blocks = [b.with_spans(_restyle_spans(b.spans, lang, config)) for b in doc.body_blocks()]
    blocks = [b for b in blocks if b.text.strip() or b.kind == "table_cell"]
    title = ""
    for kind in ("title", "heading"):
        hit = next((b for b in blocks if b.kind == kind), None)
        if hit is not None:
            title = hit.text.strip()
            if kind == "title" or blocks.index(hit) == 0:
                blocks.remove(hit)
            break
    title = title or doc.metadata.get("title", "") or Path(doc.source_path).stem
    subtitle = None
    sub = next((b for b in blocks if b.kind == "subtitle"), None)
    if sub is not None:
        blocks.remove(sub)
        subtitle = sub.spans
    elif blocks and blocks[0].kind == "paragraph":
        # A short rallying line right under the headline is a deck, as newspapers set it.
        first = blocks[0].text.strip()
        limit = 90 if lang == "ja" else 200
        if len(first) <= limit and first[-1:] in "!！?？":
            subtitle = blocks.pop(0).spans
    closing: list[Block] = []
    while blocks and is_slogan(blocks[-1], lang) and len(closing) < 4:
        closing.insert(0, blocks.pop())
    notes = {
        nid: _restyle_spans(b.spans, lang, config) for nid, b in doc.footnotes().items() if nid
    }
    return _Parts(title, subtitle, blocks, closing, notes)


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
            table["cells"].append(_span_data(b.spans))
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
    script = "ja" if lang == "ja" else "latin"
    choice = config.fonts.get(script)
    display = ["Noto Sans CJK JP"] if lang == "ja" else ["Noto Sans Display", *base.heading]
    fonts = {"body": list(base.body), "heading": list(base.heading), "display": display}
    if choice is not None:
        for role in fonts:
            chosen = getattr(choice, role)
            if chosen:
                fonts[role] = [*chosen, *fonts[role]]
    return fonts


def _common_data(lang: str, config: LeafletConfig, doc: Document, bw: bool, bleed: bool) -> dict:
    return {
        "lang": lang,
        "org": config.organisation_for(lang),
        "tagline": config.tagline_for(lang),
        "contact": config.contact_for(lang),
        "url": config.url,
        "date": format_date(config.date or doc.metadata.get("date"), lang),
        "colours": {"accent": config.colours.accent, "ink": config.colours.ink},
        "bw": bw,
        "bleed": bleed,
        "labels": LABELS.get(lang, LABELS["en"]),
        "keywords": [],
        "logo": None,
        "qr": None,
    }


# ---- Typst ------------------------------------------------------------------------------------
@functools.cache
def typst_fonts() -> Any:
    """The fonts Typst may use, scanned once per process (``pipeline.export.fonts``)."""
    import typst

    return typst.Fonts(include_system_fonts=False, font_paths=font_dirs())


@contextmanager
def _typst_root(data: dict[str, Any], config: LeafletConfig, bw: bool) -> Iterator[Path]:
    """A private folder holding the templates, the data, the logo and the QR code."""
    with tempfile.TemporaryDirectory(prefix="leaflet-") as tmp:
        root = Path(tmp)
        for typ in LAYOUT_DIR.glob("*.typ"):
            shutil.copyfile(typ, root / typ.name)
        logo = config.logo_path(bw=bw)
        if logo is not None:
            data["logo"] = "/" + _prepare_logo(logo, root, bw)
        if config.url and config.qr:
            (root / "qr.svg").write_text(_qr_svg(config.url), encoding="utf-8")
            data["qr"] = "/qr.svg"
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        yield root


def _prepare_logo(logo: Path, root: Path, bw: bool) -> str:
    if not logo.is_file():
        raise LeafletError(f"logo {logo} does not exist")
    name = "logo" + logo.suffix.lower()
    if bw and logo.suffix.lower() != ".svg":
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - Pillow is a dependency
            raise LeafletError("--bw with a raster logo needs Pillow (pip install pillow)") from exc
        with Image.open(logo) as img:
            grey = img.convert("LA")
            grey.save(root / "logo.png")
        return "logo.png"
    if bw and logo.suffix.lower() == ".svg":
        (root / name).write_text(_grey_svg(logo.read_text(encoding="utf-8")), encoding="utf-8")
        return name
    shutil.copyfile(logo, root / name)
    return name


def _grey_svg(svg: str) -> str:
    """Replace every hex colour in an SVG by the grey of the same luminance."""

    def grey(match: re.Match[str]) -> str:
        h = match.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
        y = round(0.299 * r + 0.587 * g + 0.114 * b)
        return f"#{y:02x}{y:02x}{y:02x}"

    return re.sub(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", grey, svg)


def _qr_svg(url: str) -> str:
    import io

    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=0, dark="#000000")
    return buf.getvalue().decode("utf-8")


def _typst_error(exc: Exception) -> LeafletError:
    message = getattr(exc, "message", None) or str(exc).strip().splitlines()[0]
    return LeafletError(f"Typst could not lay out the leaflet: {message}")


def _metrics(
    root: Path, template: str, size: float, columns: int, balance: float = 0.0
) -> dict[str, Any]:
    """Where the text ends (page, column, y in pt), the foot's height and the page count."""
    import typst

    inputs = {"size": f"{size:g}", "columns": str(columns), "balance": f"{balance:.2f}"}
    try:
        raw = typst.query(
            root / template,
            "<leaflet-metrics>",
            field="value",
            one=True,
            root=root,
            font_paths=typst_fonts(),
            sys_inputs=inputs,
        )
    except RuntimeError as exc:  # typst.TypstError and plain compile failures
        raise _typst_error(exc) from exc
    return json.loads(raw)


def _measure(root: Path, template: str, size: float, columns: int) -> tuple[float, int]:
    """(pages' worth of content, page count) of the layout at body size ``size``."""
    m = _metrics(root, template, size, columns)
    height = m["bottom"] - m["top"]
    ncols = m["columns"]
    # The closing float spans every column, so it uses its height once per column.
    used = m["column"] * height + (m["y"] - m["top"]) + m["float"] * ncols
    return (m["page"] - 1) + used / (ncols * height), int(m["pages"])


def _balance(root: Path, template: str, size: float, pitch: float) -> float:
    """Room (pt) to reserve above the foot of the last page so its two columns end level.

    Estimated from where the text ends, then checked: a value that would push text onto
    another page is reduced a line at a time, and dropped after a few tries."""
    m = _metrics(root, template, size, 2)
    top = m["start-y"] if m["start-page"] == m["page"] else m["top"]
    column_bottom = m["bottom"] - m["float"]
    full = column_bottom - top
    if full <= 0 or m["y"] > column_bottom + 1:
        return 0.0
    text = (full if m["column"] == 1 else 0.0) + (m["y"] - top)
    target = math.ceil(text / 2 / pitch + 0.5) * pitch
    extra = full - target
    for _ in range(4):
        if extra < pitch:
            return 0.0
        check = _metrics(root, template, size, 2, extra)
        if check["pages"] == m["pages"] and check["page"] == m["page"]:
            return extra
        extra -= pitch
    return 0.0


def _size_steps(low: float, high: float) -> list[float]:
    steps, s = [], low
    while s <= high + 1e-9:
        steps.append(round(s, 2))
        s += 0.25
    return steps


def _fit(root: Path, spec: _Spec, columns: int, nominal: float) -> tuple[float, float, int]:
    """Choose the body size: the largest (0.25 pt steps) at which everything fits one page when
    it does so at the nominal size, else one sheet front and back; shrink no lower than the
    floor and grow no more than a fifth, so a short text fills its sheet instead of floating.

    Returns (size, pages' worth of content, page count)."""
    cache: dict[float, tuple[float, int]] = {}

    def measure(size: float) -> tuple[float, int]:
        if size not in cache:
            cache[size] = _measure(root, spec.template, size, columns)
        return cache[size]

    pages_at_nominal = measure(nominal)[1]
    target = 1 if pages_at_nominal == 1 else SHEET_PAGES
    if pages_at_nominal <= target:
        candidates = _size_steps(nominal, nominal * 1.15)
    else:
        candidates = _size_steps(spec.minimum, nominal)
        if measure(candidates[0])[1] > target:
            return candidates[0], *measure(candidates[0])
    # candidates[0] fits; find the largest that still does (page count grows with size).
    lo, hi = 0, len(candidates)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(candidates[mid])[1] <= target:
            lo = mid
        else:
            hi = mid
    return candidates[lo], *measure(candidates[lo])


def _compile(root: Path, template: str, sys_inputs: dict[str, str]) -> bytes:
    import typst

    try:
        return typst.compile(
            root / template, root=root, font_paths=typst_fonts(), sys_inputs=sys_inputs
        )
    except RuntimeError as exc:  # typst.TypstError and plain compile failures
        raise _typst_error(exc) from exc


def _impose_two_up(pdf: bytes, pages: int, title: str, author: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="leaflet-2up-") as tmp:
        root = Path(tmp)
        shutil.copyfile(LAYOUT_DIR / "two-up.typ", root / "two-up.typ")
        (root / "leaflet.pdf").write_bytes(pdf)
        inputs = {"pages": str(pages), "title": title, "author": author}
        return _compile(root, "two-up.typ", inputs)


def describe_overflow(content_pages: float, pages: int, size: float) -> str | None:
    """``None`` when the content fits one sheet, else by how much it overflows."""
    excess = content_pages - SHEET_PAGES
    if pages <= SHEET_PAGES:
        return None
    return (
        f"overflows one sheet (front and back) by {max(excess, 0.05):.1f} page "
        f"({pages} pages even at {size:g} pt)"
    )


# ---- public API -------------------------------------------------------------------------------
def write_leaflet(
    doc: Document,
    path: Path,
    layout: str,
    config: LeafletConfig,
    *,
    lang: str,
    original: Document | None = None,
    bleed: bool = False,
    bw: bool = False,
    two_up: bool = False,
) -> LeafletResult:
    """Lay ``doc`` (in ``lang``) out as ``layout`` and write the PDF to ``path`` atomically.

    ``bilingual`` needs ``original`` (the source document; paragraph i is set next to
    paragraph i). The body size shrinks within sane bounds until the text fits one sheet
    front and back; when it still does not, the result says by how much it overflows.
    ``two_up`` imposes an A5 leaflet twice on each A4 landscape page (not with ``bleed``).
    """
    if layout not in LAYOUTS:
        raise LeafletError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    if two_up and (layout != "leaflet-a5" or bleed):
        raise LeafletError(
            "--two-up imposes an A5 leaflet on A4 and works only with leaflet-a5 without --bleed"
        )
    if layout == "bilingual":
        if original is None:
            raise LeafletError("the bilingual layout needs the original document")
        data, spec, columns, units = _bilingual_data(doc, original, lang, config, bw, bleed)
        nominal = spec.one_column
    else:
        data, columns, units = _leaflet_data(doc, lang, config, bw, bleed)
        spec = SPECS[layout]
        if units <= spec.one_column_max_units:
            columns, nominal = 1, spec.one_column
        else:
            columns, nominal = 2, spec.two_columns
    data["columns"] = columns
    data["size"] = nominal
    with _typst_root(data, config, bw) as root:
        size, content_pages, pages = _fit(root, spec, columns, nominal)
        balance = 0.0
        if layout != "bilingual" and columns == 2 and pages <= SHEET_PAGES:
            pitch = size * (1.7 if lang == "ja" else 1.32)
            balance = _balance(root, spec.template, size, pitch)
        inputs = {"size": f"{size:g}", "columns": str(columns), "balance": f"{balance:.2f}"}
        pdf = _compile(root, spec.template, inputs)
    if two_up:
        pdf = _impose_two_up(pdf, pages, data["title"], data["org"])
    write_bytes_atomic(path, pdf)
    overflow = describe_overflow(content_pages, pages, size)
    return LeafletResult(
        path=path,
        pages=pages,
        font_size=size,
        columns=columns,
        overflow=overflow,
        overflow_pages=max(0.0, content_pages - SHEET_PAGES),
    )


def _leaflet_data(
    doc: Document, lang: str, config: LeafletConfig, bw: bool, bleed: bool
) -> tuple[dict[str, Any], int, int]:
    parts = _split(doc, lang, config)
    data = _common_data(lang, config, doc, bw, bleed)
    data.update(
        title=parts.title,
        subtitle=_span_data(parts.subtitle) if parts.subtitle else None,
        blocks=_blocks_data(parts.body, lang),
        closing=_blocks_data(parts.closing, lang),
        notes={k: _span_data(v) for k, v in parts.notes.items()},
        fonts=_fonts_data(lang, config),
    )
    units = sum(text_units(b.text) for b in parts.body)
    return data, 2, units


def _bilingual_data(
    doc: Document,
    original: Document,
    lang: str,
    config: LeafletConfig,
    bw: bool,
    bleed: bool,
) -> tuple[dict[str, Any], _Spec, int, int]:
    src = original.lang or "en"
    left, right = _split(original, src, config), _split(doc, lang, config)
    data = _common_data(lang, config, doc, bw, bleed)

    def side(parts: _Parts, side_lang: str) -> dict[str, Any]:
        return {
            "lang": side_lang,
            "org": config.organisation_for(side_lang),
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
        left=side(left, src),
        right=side(right, lang),
        rows=rows,
        fonts=_fonts_data(lang, config),
        paper=config.paper,
        names={"left": _endonym(src), "right": _endonym(lang)},
    )
    spec = SPECS[f"bilingual-{config.paper}"]
    return data, spec, 2, 0


ENDONYMS = {"en": "English", "es": "Español", "ja": "日本語"}


def _endonym(lang: str) -> str:
    from pipeline.document import LANGUAGE_NAMES

    return ENDONYMS.get(lang, LANGUAGE_NAMES.get(lang, lang))
