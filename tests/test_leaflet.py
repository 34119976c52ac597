"""Leaflet layouts: rendered PDFs checked by what can be measured on the page.

Needs poppler-utils (pdftotext, pdftoppm, pdffonts, pdfinfo) and the Noto fonts; the English
sample comes from tests/data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.document import Block, Document, Span
from pipeline.leaflet import LeafletError, leaflet_filename, write_leaflet
from pipeline.leaflet.config import ConfigError, LeafletConfig, load_config
from pipeline.leaflet.layout import apply_quote_style, format_date, is_slogan
from tests.fixtures import leaflet as fx

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext") or not shutil.which("pdftoppm"),
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)

REPO = Path(__file__).resolve().parents[1]
MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)
A4_LANDSCAPE = (297 * MM, 210 * MM)


# ---- helpers ----------------------------------------------------------------------------------
@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Line:
    page: int
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Page:
    width: float
    height: float
    lines: list[Line]

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]


def layout(pdf: Path) -> list[Page]:
    """Pages with their lines and words in PDF points (pdftotext -bbox-layout)."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml).replace('xmlns="http://www.w3.org/1999/xhtml"', "")
    pages = []
    for n, p in enumerate(ET.fromstring(xml).iter("page"), 1):
        lines = []
        for line in p.iter("line"):
            words = [
                Word(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                for w in line.iter("word")
            ]
            lines.append(Line(n, words))
        pages.append(Page(float(p.get("width")), float(p.get("height")), lines))
    return pages


def pdftext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout


def render(pdf: Path, dpi: int = 50) -> list[np.ndarray]:
    """Every page as an RGB array (pdftoppm)."""
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    files = sorted(pdf.parent.glob(prefix.name + "-*.png"))
    images = [np.asarray(Image.open(f).convert("RGB")) for f in files]
    for f in files:
        f.unlink()
    return images


def squash(text: str) -> str:
    """Text without whitespace or hyphens, NFKC: what survives any line breaking."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\-\u00ad\u2010]", "", text)


def config(**overrides: object) -> LeafletConfig:
    base = load_config(REPO / "leaflet.yml")
    return base.model_copy(update=overrides)


# ---- rendered leaflets (built once per test module) ------------------------------------------
@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("leaflets")


@pytest.fixture(scope="module")
def english_a5(out: Path):
    doc = fx.english_sample()
    result = write_leaflet(doc, out / "en.leaflet-a5.pdf", "leaflet-a5", config(), lang="en")
    return doc, result


@pytest.fixture(scope="module")
def spanish_a5(out: Path):
    doc = fx.spanish_doc()
    result = write_leaflet(doc, out / "es.leaflet-a5.pdf", "leaflet-a5", config(), lang="es")
    return doc, result


@pytest.fixture(scope="module")
def japanese_a5(out: Path):
    doc = fx.japanese_doc()
    result = write_leaflet(doc, out / "ja.leaflet-a5.pdf", "leaflet-a5", config(), lang="ja")
    return doc, result


# ---- page geometry ------------------------------------------------------------------------------
def test_english_sample_fits_one_a5_sheet_by_shrinking(english_a5) -> None:
    _, result = english_a5
    pages = layout(result.path)
    assert result.pages == len(pages) == 2
    assert result.overflow is None
    assert (pages[0].width, pages[0].height) == pytest.approx(A5, abs=0.5)
    # The statement is too long for the nominal 9 pt: it was shrunk, within bounds.
    assert result.columns == 2
    assert 7.5 <= result.font_size < 9.0


@pytest.mark.parametrize("which", ["english_a5", "spanish_a5", "japanese_a5"])
def test_text_stays_inside_the_margins(which: str, request: pytest.FixtureRequest) -> None:
    _, result = request.getfixturevalue(which)
    for page in layout(result.path):
        for w in page.words:
            x1 = w.x1
            if w.text[-1:] in "。、」）":
                # Typst sets line-end CJK punctuation half-width; pdftotext still reports the
                # full-em advance from the font, half an em past the real glyph box.
                x1 -= (w.y1 - w.y0) / 2
            assert w.x0 >= 10 * MM - 0.5 and x1 <= page.width - 10 * MM + 0.5, w
            assert w.y0 >= 8 * MM and w.y1 <= page.height - 5 * MM, w
    for img in render(result.path, dpi=72):
        side = round(9 * MM)
        assert (img[:, :side] >= 250).all() and (img[:, -side:] >= 250).all()


@pytest.mark.parametrize("which", ["english_a5", "japanese_a5"])
def test_nothing_is_clipped_at_the_paper_edge(which: str, request: pytest.FixtureRequest) -> None:
    _, result = request.getfixturevalue(which)
    edge = round(5 / 25.4 * 50)  # 5 mm at 50 dpi
    for img in render(result.path):
        border = np.concatenate(
            [img[:edge].reshape(-1, 3), img[-edge:].reshape(-1, 3)]
            + [img[:, :edge].reshape(-1, 3), img[:, -edge:].reshape(-1, 3)]
        )
        assert (border >= 250).all(), "ink within 5 mm of the paper edge"


def _band_rows(img: np.ndarray, accent=(0xB5, 0x12, 0x1B)) -> tuple[int, int]:
    """First and last pixel row of the accent-coloured masthead band on a page image."""
    diff = np.abs(img.astype(int) - np.array(accent)).sum(axis=2)
    rows = np.where((diff < 60).mean(axis=1) > 0.5)[0]
    return int(rows.min()), int(rows.max())


@pytest.mark.parametrize("which", ["english_a5", "spanish_a5", "japanese_a5"])
def test_no_text_overlaps_the_masthead(which: str, request: pytest.FixtureRequest) -> None:
    doc, result = request.getfixturevalue(which)
    dpi = 72
    img = render(result.path, dpi=dpi)[0]
    top, bottom = _band_rows(img)
    assert 8 * MM < top < 12 * MM and bottom - top > 10 * MM  # a real band at the top
    cfg = config()
    masthead = squash(cfg.organisation_for(doc.lang) + cfg.tagline_for(doc.lang))
    page = layout(result.path)[0]
    for line in page.lines:
        inside = [w for w in line.words if w.y1 > top and w.y0 < bottom]
        for w in inside:
            assert squash(w.text).upper() in masthead.upper(), f"{w.text!r} overlaps the masthead"
    # ... and the headline starts right under it.
    start = squash(doc.title)[:6]
    first = next(line for line in page.lines if squash(line.text).startswith(start))
    assert bottom < first.words[0].y0 < bottom + 10 * MM


def test_pdftotext_gives_back_the_document_text(english_a5) -> None:
    doc, result = english_a5
    cfg = config()
    text = squash(pdftext(result.path))
    # Drop the page furniture: running foot, page numbers, contact footer.
    chrome = [
        cfg.organisation_for("en"),
        cfg.tagline_for("en"),
        *cfg.contact_for("en"),
        cfg.url or "",
        format_date("2026-11-20", "en"),
        "continued overleaf →",
        "·",
    ]
    for piece in sorted(chrome, key=len, reverse=True):
        text = text.replace(squash(piece), "").replace(squash(piece).upper(), "")
    text = re.sub(r"\d/\d", "", text)
    expected = squash("".join(b.text for b in doc.blocks))
    assert text == expected


def test_japanese_kinsoku_on_real_text(japanese_a5) -> None:
    _, result = japanese_a5
    lines = [line.text.replace(" ", "") for page in layout(result.path) for line in page.lines]
    body = [t for t in lines if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)]
    assert len(body) > 40
    for text in body:
        assert text[0] not in "。、」』）！？・ー", f"line starts with {text[0]!r}: {text}"
        assert text[-1] not in "「『（", f"line ends with {text[-1]!r}: {text}"
    # Opening brackets occur mid-text, so the check above had something to bite on.
    assert any("「" in t for t in body) and any(t[-1] in "。、" for t in body)


def test_japanese_latin_spacing(japanese_a5) -> None:
    """Typst's cjk-latin-spacing puts about a quarter em between kana/kanji and Latin or
    digits; pdftotext sees it as a gap between words."""
    _, result = japanese_a5
    gaps = []
    for page in layout(result.path):
        for line in page.lines:
            for a, b in zip(line.words, line.words[1:], strict=False):
                if re.fullmatch(r"[A-Za-z0-9]+", a.text) and re.match(r"[\u3040-\u9fff]", b.text):
                    gaps.append((b.x0 - a.x1) / (a.y1 - a.y0))
    assert gaps, "no Latin/Japanese boundary found"
    assert all(0.1 < g < 0.4 for g in gaps), gaps


def test_japanese_pages_keep_vertical_rhythm(japanese_a5) -> None:
    """Body lines in a column sit on one pitch (1.7 × body size)."""
    _, result = japanese_a5
    page = layout(result.path)[0]
    left = [
        line.words[0].y0
        for line in page.lines
        if line.words and line.words[0].x0 < page.width / 2 and line.words[0].y0 > 70 * MM
    ]
    steps = np.diff(sorted(set(round(y, 1) for y in left))) / (result.font_size * 1.7)
    # Consecutive lines, paragraph breaks included (no extra space in Japanese setting), are
    # one pitch apart; only a slogan set in the column may break the grid.
    assert len(steps) > 10
    close = steps[steps < 1.5]
    assert len(close) >= 0.9 * len(steps) and np.allclose(close, 1.0, atol=0.02), steps


@pytest.mark.parametrize("which", ["spanish_a5", "japanese_a5"])
def test_last_page_columns_end_level(which: str, request: pytest.FixtureRequest) -> None:
    """Typst does not balance columns; the layout reserves room above the foot so the two
    columns of the last page end within a couple of lines of each other. A slogan is kept
    with the two first lines of the paragraph after it, so when one is on the last page the
    columns can only be levelled by that whole piece: they may differ by it as well."""
    doc, result = request.getfixturevalue(which)
    page = layout(result.path)[-1]
    mid = page.width / 2
    foot_top = min(w.y0 for w in page.words if squash(w.text).startswith("https"))
    body = [w for w in page.words if w.y1 < foot_top - 20 * MM]
    left_end = max((w.y1 for w in body if w.x1 < mid), default=0.0)
    right_end = max((w.y1 for w in body if w.x0 > mid), default=0.0)
    pitch = result.font_size * (1.7 if which == "japanese_a5" else 1.32)
    allowed = 2.2 * pitch
    blocks = doc.blocks[1:]
    while blocks and is_slogan(blocks[-1], doc.lang or "en"):
        blocks = blocks[:-1]  # closing slogans are set in the foot, not in the columns
    in_body = [squash(b.text)[:12] for b in blocks if is_slogan(b, doc.lang or "en")]
    body_text = squash("".join(w.text for w in body))
    if any(s in body_text for s in in_body):
        allowed += 2 * 1.18 * pitch + 2 * pitch
    assert abs(left_end - right_end) <= allowed


def test_no_widows_or_orphans(english_a5) -> None:
    """No column starts with a paragraph's last line alone or ends with its first line alone.

    Paragraphs are told apart by the extra space between them (half a line)."""
    doc, result = english_a5
    paragraphs = {squash(b.text) for b in doc.blocks}
    checked = 0
    pages = layout(result.path)
    first_body = squash(doc.blocks[2].text)[:15]  # after the title and the deck
    body_top = next(
        ln.words[0].y0 for ln in pages[0].lines if squash(ln.text).startswith(first_body)
    )
    closing = squash(doc.blocks[-1].text)[:15]
    foot = next(ln.words[0].y0 for ln in pages[-1].lines if squash(ln.text).startswith(closing))
    for n, page in enumerate(pages):
        mid = page.width / 2
        bottom = foot - 1 if n == len(pages) - 1 else page.height - 12 * MM
        for left in (True, False):
            lines = sorted(
                (
                    line
                    for line in page.lines
                    if line.words
                    and (line.words[0].x1 < mid) == left
                    and line.words[0].y0 >= (body_top - 1 if n == 0 else 0)
                    and line.words[0].y0 < bottom
                ),
                key=lambda line: line.words[0].y0,
            )
            if len(lines) < 4:
                continue
            tops = [line.words[0].y0 for line in lines]
            pitch = float(np.median(np.diff(tops)))

            first, last = lines[0], lines[-1]
            # widow: the column's first line ends a paragraph that began in the previous column
            if tops[1] - tops[0] > 1.25 * pitch and squash(first.text) not in paragraphs:
                starts = any(p.startswith(squash(first.text)) for p in paragraphs)
                assert starts, f"widow at the top of a column: {first.text!r}"
            # orphan: the column's last line starts a paragraph that goes on elsewhere
            if tops[-1] - tops[-2] > 1.25 * pitch and squash(last.text) not in paragraphs:
                raise AssertionError(f"orphan at the foot of a column: {last.text!r}")
            checked += 1
    assert checked >= 3


def test_spanish_punctuation_on_real_text(spanish_a5) -> None:
    doc, result = spanish_a5
    text = pdftext(result.path)
    for mark in "¿¡":
        assert text.count(mark) == doc.text.count(mark)
    # Configured «» style: the “…” in the source came out as «…».
    assert "«el asesinato de un policía»" in re.sub(r"\s+", " ", text)
    for page in layout(result.path):
        for line in page.lines:
            t = line.text
            assert not t.endswith(("¡", "¿", "«")), t
            assert not t.startswith(("!", "?", "»", ",", ".")), t


def test_spanish_curly_quotes_when_configured(out: Path) -> None:
    doc = fx.spanish_doc()
    result = write_leaflet(
        doc, out / "es-curly.pdf", "leaflet-a5", config(spanish_quotes="“”"), lang="es"
    )
    text = re.sub(r"\s+", " ", pdftext(result.path))
    assert "“el asesinato de un policía”" in text and "«" not in text


def test_english_is_hyphenated(english_a5) -> None:
    doc, result = english_a5
    words = set(re.findall(r"[A-Za-z’]+", doc.text))
    broken = [
        (a.words[-1].text, b.words[0].text)
        for page in layout(result.path)
        for a, b in zip(page.lines, page.lines[1:], strict=False)
        if a.words and b.words and a.words[-1].text.endswith(("-", "\u00ad"))
    ]
    hyphenated = [a[:-1] + re.match(r"[A-Za-z’]*", b).group() for a, b in broken]
    assert sum(w in words for w in hyphenated) >= 5, broken
    assert any(w in words for w in hyphenated), broken


def test_fonts_are_embedded_and_subset(spanish_a5, japanese_a5) -> None:
    for _, result in (spanish_a5, japanese_a5):
        rows = subprocess.run(
            ["pdffonts", str(result.path)], capture_output=True, check=True, text=True
        ).stdout.splitlines()[2:]
        assert rows
        for row in rows:
            name, emb, sub = row.split()[0], row.split()[-5], row.split()[-4]
            assert (emb, sub) == ("yes", "yes"), row
            assert re.match(r"[A-Z]{6}\+", name), row


def test_pdf_metadata(japanese_a5) -> None:
    doc, result = japanese_a5
    info = subprocess.run(
        ["pdfinfo", str(result.path)], capture_output=True, check=True, text=True
    ).stdout
    assert f"Title:           {doc.title}" in info
    assert "Author:          労働者連帯委員会" in info
    assert b"/Lang(ja)" in result.path.read_bytes()


# ---- print options ---------------------------------------------------------------------------
def _colour_pixels(img: np.ndarray) -> int:
    rgb = img.astype(int)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 0).sum())


def test_bw_output_has_no_colour(out: Path) -> None:
    logo = out / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
        '<circle cx="20" cy="20" r="18" fill="#d62828"/></svg>'
    )
    cfg = config(logo=logo)
    doc = fx.spanish_doc()
    colour = write_leaflet(doc, out / "colour.pdf", "leaflet-a5", cfg, lang="es")
    bw = write_leaflet(doc, out / "bw.pdf", "leaflet-a5", cfg, lang="es", bw=True)
    assert _colour_pixels(render(colour.path)[0]) > 1000  # the check can fail
    for img in render(bw.path, dpi=72):
        assert _colour_pixels(img) == 0


def test_bleed_adds_3mm_and_crop_marks(out: Path) -> None:
    doc = fx.spanish_doc()
    result = write_leaflet(doc, out / "bleed.pdf", "leaflet-a5", config(), lang="es", bleed=True)
    page = layout(result.path)[0]
    slug = 9 * MM  # 3 mm bleed + 6 mm for the marks
    assert (page.width, page.height) == pytest.approx((A5[0] + 2 * slug, A5[1] + 2 * slug), 0.5)
    dpi = 144
    img = render(result.path, dpi=dpi)[0]
    px = dpi / 25.4
    trim_x, trim_y = round(9 * px), round(9 * px)
    # Crop marks: dark pixels on the trim line outside the bleed, none inside the slug corner.
    mark = img[trim_y - 1 : trim_y + 2, round(1 * px) : round(5 * px)]
    assert (mark.min(axis=2) < 128).any()
    assert (img[: round(4 * px), : round(4 * px)] >= 250).all()
    # The masthead band runs into the bleed: accent colour 1.5 mm outside the trim.
    outside = img[trim_y + round(6 * px), trim_x - round(1.5 * px)]
    assert outside[0] > 150 and outside[1] < 60


def test_two_up_imposes_a5_twice_on_a4(out: Path) -> None:
    doc = fx.spanish_doc()
    result = write_leaflet(doc, out / "2up.pdf", "leaflet-a5", config(), lang="es", two_up=True)
    pages = layout(result.path)
    assert len(pages) == result.pages
    assert (pages[0].width, pages[0].height) == pytest.approx(A4_LANDSCAPE, abs=0.5)
    title = squash(doc.title)[:20]
    left = squash("".join(w.text for w in pages[0].words if w.x1 < pages[0].width / 2))
    right = squash("".join(w.text for w in pages[0].words if w.x0 > pages[0].width / 2))
    assert title in left and title in right


def test_two_up_needs_a5_without_bleed(out: Path) -> None:
    with pytest.raises(LeafletError, match="two-up"):
        write_leaflet(
            fx.spanish_doc(), out / "x.pdf", "leaflet-a4", config(), lang="es", two_up=True
        )


# ---- fitting -----------------------------------------------------------------------------------
def test_overflow_is_reported_after_shrinking(out: Path) -> None:
    doc = fx.english_sample()
    doc.blocks = doc.blocks + doc.blocks[1:] + doc.blocks[1:]
    result = write_leaflet(doc, out / "long.pdf", "leaflet-a5", config(), lang="en")
    assert result.pages > 2 and result.font_size == 7.5
    assert result.overflow and re.match(r"overflows one sheet .* by \d+\.\d page", result.overflow)
    assert 2.0 < result.overflow_pages < 5
    assert result.path.is_file()


def test_short_text_is_one_column_on_one_page(out: Path) -> None:
    doc = fx.document("¡Libertad para los mineros de Casapalca!", fx.PARAGRAPHS_ES[1:3], "es")
    result = write_leaflet(doc, out / "short.pdf", "leaflet-a5", config(), lang="es")
    assert (result.pages, result.columns) == (1, 1) and result.overflow is None
    assert result.font_size >= 10


# ---- bilingual ---------------------------------------------------------------------------------
def test_bilingual_sets_paragraph_i_next_to_paragraph_i(out: Path) -> None:
    original = fx.english_sample()
    original.blocks = original.blocks[:7]
    translation = fx.document(fx.TITLE_ES, fx.PARAGRAPHS_ES[:6], "es")
    result = write_leaflet(
        translation, out / "bi.pdf", "bilingual", config(), lang="es", original=original
    )
    pages = layout(result.path)
    mid = pages[0].width / 2

    def top_of(text: str, left: bool) -> tuple[int, float]:
        start = squash(text)[:12]
        for n, page in enumerate(pages):
            for line in page.lines:
                words = [w for w in line.words if (w.x1 < mid) == left]
                if words and squash("".join(w.text for w in words)).startswith(start):
                    return n, round(words[0].y0)
        raise AssertionError(f"paragraph not found: {text[:40]}")

    pairs = list(zip(original.blocks[2:7], translation.blocks[2:7], strict=True))
    for en, es in pairs:
        assert top_of(en.text, True) == top_of(es.text, False)
    info = subprocess.run(["pdfinfo", str(result.path)], capture_output=True, text=True).stdout
    assert "Perú" in info and "Peru" in info


def test_bilingual_needs_the_original(out: Path) -> None:
    with pytest.raises(LeafletError, match="original"):
        write_leaflet(fx.spanish_doc(), out / "x.pdf", "bilingual", config(), lang="es")


# ---- text rules ------------------------------------------------------------------------------
def test_quote_style_nests_and_keeps_apostrophes() -> None:
    assert apply_quote_style('Dijo "basta" hoy', "«»") == "Dijo «basta» hoy"
    assert apply_quote_style("«uno “dos” tres»", "“”") == "“uno ‘dos’ tres”"
    assert apply_quote_style("“uno “dos” tres”", "«»") == "«uno “dos” tres»"
    assert apply_quote_style("O’Higgins dijo ‘no’", "«»") == "O’Higgins dijo «no»"
    assert apply_quote_style("sin cerrar “aquí", "«»") == "sin cerrar “aquí"


def test_slogans_are_short_exclamations() -> None:
    def para(text: str) -> Block:
        return Block("paragraph", [Span(text)])

    assert is_slogan(para("¡Unámonos por encima de las fronteras!"), "es")
    assert is_slogan(para("国境を越えて団結し、反撃しよう！"), "ja")
    assert is_slogan(para("Free them now! Stop the repression!"), "en")
    assert not is_slogan(para("They arrested him. Free him!"), "en")
    assert not is_slogan(para("Why now?"), "en")
    assert not is_slogan(para("x" * 200 + "!"), "en")


def test_dates_per_language() -> None:
    assert format_date("2026-11-20", "es") == "20 de noviembre de 2026"
    assert format_date("2026-11-20", "ja") == "2026年11月20日"
    assert format_date("2026-11-20", "en") == "20 November 2026"
    assert format_date("Noviembre 2026", "es") == "Noviembre 2026"


def test_file_names() -> None:
    assert leaflet_filename("st", "es", "leaflet-a5") == "st.es.leaflet-a5.pdf"
    assert leaflet_filename("st", "es", "bilingual", src="en") == "st.en-es.bilingual.pdf"
    name = leaflet_filename("st", "ja", "leaflet-a5", bw=True, two_up=True)
    assert name == "st.ja.leaflet-a5.bw.2up.pdf"


# ---- config ------------------------------------------------------------------------------------
def test_example_config_loads() -> None:
    cfg = load_config(REPO / "leaflet.yml")
    assert cfg.organisation_for("es") == "Comité de Solidaridad Obrera"
    assert cfg.spanish_quotes == "«»" and cfg.url and cfg.contact_for("ja")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("colours:\n  accent: reddish\n", "colours.accent: 'reddish' is not a colour"),
        ("colour:\n  accent: '#ff0000'\n", "colour: unknown key (did you mean 'colours'?)"),
        ("spanish_quotes: '<<>>'\n", "spanish_quotes: '<<>>' is not a quote style"),
        ("paper: letter\n", "paper: 'letter' is not allowed"),
        ("url: example.org\n", "url: 'example.org' is not a web address"),
        ("logo: missing.png\n", "logo: "),
        ("fonts:\n  latin:\n    body: Comic Sans MS\n", "fonts.latin.body: font 'Comic Sans MS'"),
        ("organisation: [a, b\n", "not valid YAML at line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("contact: 12\n", "contact: 12 is not a line of text or a list of lines"),
        ("qr: maybe\n", "qr: 'maybe' is not true or false"),
        ("colours: red\n", "colours: 'red' is not a set of colours, e.g. {accent:"),
        ("organisation: 5\n", "organisation: 5 is not text, or text per language"),
        ("tagline:\n  xx: hi\n", "tagline: 'xx' is not a language here; use en, es or ja"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "leaflet.yml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{path}: ")
    assert message in text
    assert "Input should" not in text and "instance of" not in text  # not pydantic's words


def test_contact_may_be_one_line_of_text(tmp_path: Path) -> None:
    path = tmp_path / "leaflet.yml"
    path.write_text("contact: solidarity@example.org\n", encoding="utf-8")
    assert load_config(path).contact_for("es") == ["solidarity@example.org"]
    path.write_text("contact:\n  en: a@example.org\n  es: [b@example.org, PO Box 12]\n")
    config = load_config(path)
    assert config.contact_for("en") == ["a@example.org"]
    assert config.contact_for("es") == ["b@example.org", "PO Box 12"]


# ---- command line ------------------------------------------------------------------------------
def _cli(*argv: str) -> int:
    import argparse

    from pipeline.cli import leaflet as leaflet_cmd
    from pipeline.cli.common import CommandError

    parser = argparse.ArgumentParser(prog="pipeline")
    leaflet_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["leaflet", *argv])
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"pipeline: {exc}")
        return exc.exit_code


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "statement"
    folder.mkdir()
    assert _cli(str(folder), "--to", "es", "--layout", "bilingual", "--two-up") == 2
    assert "--two-up works only with" in capsys.readouterr().out
    assert _cli(str(tmp_path / "nope"), "--to", "es", "--layout", "leaflet-a5") == 2
    assert "no such file or folder" in capsys.readouterr().out
    bad = tmp_path / "bad.yml"
    bad.write_text("colours: {ink: black}\n")
    code = _cli(str(folder), "--to", "es", "--layout", "leaflet-a5", "--config", str(bad))
    assert code == 2 and "colours.ink: 'black' is not a colour" in capsys.readouterr().out


def test_cli_lays_out_translated_outputs(tmp_path: Path) -> None:
    """End to end through the reader: OUT/<stem>/<stem>.es.docx → leaflet PDF."""
    ingest = pytest.importorskip("pipeline.ingest")
    docx = pytest.importorskip("docx")
    folder = tmp_path / "peru"
    folder.mkdir()
    d = docx.Document()
    d.add_heading(fx.TITLE_ES, level=0)
    for p in fx.PARAGRAPHS_ES:
        d.add_paragraph(p)
    d.save(folder / "peru.es.docx")
    assert ingest.read_document(folder / "peru.es.docx").blocks
    code = _cli(str(folder), "--to", "es", "--layout", "leaflet-a5", "--two-up", "--json")
    assert code == 0
    assert (folder / "peru.es.leaflet-a5.pdf").is_file()
    assert (folder / "peru.es.leaflet-a5.2up.pdf").is_file()


def test_every_block_kind_is_set(out: Path) -> None:
    blocks = [
        Block("title", [Span("Free the Casapalca miners")]),
        Block("heading", [Span("What happened")], level=2),
        Block(
            "paragraph",
            [
                Span("Three leaders were "),
                Span("arrested", bold=True),
                Span(" without "),
                Span("warning", italic=True),
                Span("."),
                Span(kind="note_ref", note="n1"),
                Span(kind="break"),
                Span("See "),
                Span("our site", link="https://example.org"),
                Span("."),
            ],
        ),
        Block("list_item", [Span("Release the leaders")], level=1, ordered=True),
        Block("list_item", [Span("Drop the charges")], level=1, ordered=True),
        Block("list_item", [Span("Respect the union")], level=2),
        Block("quote", [Span("An injury to one is an injury to all.")]),
        Block("table_cell", [Span("Mine")], table=0, row=0, col=0),
        Block("table_cell", [Span("Casapalca")], table=0, row=0, col=1),
        Block("footnote", [Span("Arrested in September.")], note_id="n1"),
    ]
    doc = Document(blocks, lang="en")
    result = write_leaflet(doc, out / "kinds.pdf", "leaflet-a4", config(), lang="en")
    text = squash(pdftext(result.path))
    for piece in (
        "What happened",
        "arrested",
        "warning",
        "our site",
        "Release the leaders",
        "Drop the charges",
        "Respect the union",
        "An injury to one",
        "Casapalca",
        "Arrested in September.",
    ):
        assert squash(piece) in text, piece
    assert result.pages == 1 and result.columns == 1


@pytest.mark.slow
def test_end_to_end_through_python_m_pipeline(tmp_path: Path) -> None:
    """`python -m pipeline leaflet` on an output folder: JSON result, PDFs beside the DOCX."""
    import json
    import sys

    pytest.importorskip("pipeline.ingest")
    docx = pytest.importorskip("docx")
    folder = tmp_path / "out" / "peru"
    folder.mkdir(parents=True)
    d = docx.Document()
    d.add_heading(fx.TITLE_JA, level=0)
    for p in fx.PARAGRAPHS_JA:
        d.add_paragraph(p)
    d.save(folder / "peru.ja.docx")
    shutil.copyfile(REPO / "leaflet.yml", tmp_path / "leaflet.yml")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "leaflet", str(folder), "--to", "ja,es"]
        + ["--layout", "leaflet-a5", "--bw", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 1, proc.stderr  # es was never translated
    outputs = {o["lang"]: o for o in json.loads(proc.stdout)["outputs"]}
    assert "not found" in outputs["es"]["error"]
    ja = outputs["ja"]
    assert ja["pages"] <= 2 and ja["overflow"] is None
    assert Path(ja["path"]).name == "peru.ja.leaflet-a5.bw.pdf" and Path(ja["path"]).is_file()
    assert (
        "労働者連帯委員会"
        in subprocess.run(["pdfinfo", ja["path"]], capture_output=True, text=True).stdout
    )


def test_relayout_library_reports_per_language(tmp_path: Path) -> None:
    """pipeline.leaflet.relayout without the CLI: a missing language is an outcome, not an
    exception; a wrong request is a usage error."""
    from pipeline.leaflet.relayout import RelayoutError, relayout

    folder = tmp_path / "statement"
    folder.mkdir()
    seen = []
    outcomes = relayout(folder, ["es"], "leaflet-a5", config(), on_outcome=seen.append)
    assert seen == outcomes and outcomes[0].result is None
    assert outcomes[0].as_dict() == {
        "lang": "es",
        "layout": "leaflet-a5",
        "error": f"{folder / 'statement.es.docx'}: not found; translate to es first",
    }
    with pytest.raises(RelayoutError) as info:
        relayout(tmp_path / "nope", ["es"], "leaflet-a5", config())
    assert info.value.usage and "no such file or folder" in str(info.value)
    with pytest.raises(RelayoutError) as info:
        relayout(folder, ["es"], "bilingual", config())
    assert info.value.usage and "needs the source file" in str(info.value)
