"""Issue 20, item 9: Japanese and headline typography in the PDFs, measured on the pages.

Japanese with long Latin names (``written_by_others.JAPANESE_MARKDOWN``) is never stretched:
no gap between two Japanese characters wider than a tenth of an em beyond their em boxes
(justified, the first line's gaps were a fifth of an em, and the glyphs looked spaced out,
"F L T I の 同 志 た ち"); headings, titles, captions and table cells are not hyphenated; a
bilingual leaflet names the organisation in both languages; a figure's caption is on the page
of its picture.
"""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pymupdf
import pytest

from pipeline.document import Block, Document, Image, Span
from pipeline.export.pdf import write_pdf
from pipeline.ingest import read_document
from pipeline.leaflet import write_leaflet
from pipeline.leaflet.config import load_config
from tests.fixtures import leaflet as fx
from tests.fixtures import office
from tests.fixtures import written_by_others as wbo

REPO = Path(__file__).resolve().parents[1]
MAX_EXTRA_GAP_EM = 0.1


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch not in "、。，．（）「」『』・"


def cjk_gaps(pdf: Path) -> list[tuple[float, str]]:
    """Every gap between two neighbouring Japanese characters on a line, in ems of their size,
    beyond their em boxes (0 when set solid); with the two characters."""
    gaps = []
    with pymupdf.open(str(pdf)) as document:
        for page in document:
            for block in page.get_text("rawdict")["blocks"]:
                for line in block.get("lines", []):
                    chars = [
                        (c["c"], c["bbox"], s["size"]) for s in line["spans"] for c in s["chars"]
                    ]
                    chars.sort(key=lambda c: c[1][0])
                    for (a, box_a, size), (b, box_b, _) in zip(chars, chars[1:], strict=False):
                        if _wide(a) and _wide(b):
                            gaps.append(((box_b[0] - box_a[2]) / size, a + b))
    return gaps


def pdf_lines(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [line.strip() for line in text.stdout.splitlines() if line.strip()]


def test_japanese_with_latin_names_is_not_stretched(tmp_path: Path) -> None:
    doc = read_document(wbo.japanese_markdown(tmp_path / "ja.md"))
    doc.lang = "ja"
    pdf = tmp_path / "ja.pdf"
    write_pdf(doc, pdf, "ja")
    gaps = cjk_gaps(pdf)
    assert len(gaps) > 100
    assert max(g for g, _ in gaps) <= MAX_EXTRA_GAP_EM, sorted(gaps, reverse=True)[:5]


def test_japanese_leaflet_with_latin_names_is_not_stretched(tmp_path: Path) -> None:
    paragraphs = [p for p in wbo.JAPANESE_MARKDOWN.split("\n\n")[1:] if p.strip()]
    doc = fx.document("ペルーの鉱山労働者に自由を", [p.strip() for p in paragraphs] * 3, "ja")
    result = write_leaflet(
        doc,
        tmp_path / "ja.leaflet-a5.pdf",
        "leaflet-a5",
        load_config(REPO / "leaflet.yml"),
        lang="ja",
    )
    gaps = cjk_gaps(result.path)
    assert len(gaps) > 100
    assert max(g for g, _ in gaps) <= MAX_EXTRA_GAP_EM, sorted(gaps, reverse=True)[:5]


HEADLINE = (
    "Solidaridad internacionalista con los trabajadores mineros encarcelados: la campaña "
    "continúa hasta conseguir la liberación incondicional de todos los dirigentes sindicales"
)
HYPHENS = ("-", "\u00ad", "\u2010")  # Typst's hyphen reads back as a soft hyphen
DISPLAY_WORDS = [
    "internacionalista",
    "liberación",
    "trabajadores",
    "encarcelados",
    "extraordinariamente",
    "comprometida",
    "solidaridad",
    "antiimperialista",
    "revolucionaria",
    "campaña",
]
BODY_WORDS = [
    "los",
    "compañeros",
    "organizaron",
    "manifestaciones",
    "multitudinarias",
    "frente",
    "a",
    "las",
    "oficinas",
    "centrales",
    "de",
    "la",
    "compañía",
    "minera",
    "exigiendo",
    "explicaciones",
    "inmediatas",
    "sobre",
    "las",
    "detenciones",
]


def _rotated(words: list[str], k: int, n: int) -> str:
    return " ".join((words[k % len(words) :] + words[: k % len(words)])[:n])


def hyphenated_fragments(pdf: Path) -> list[str]:
    """The word pieces that end a line with a hyphen."""
    return [
        line.rstrip("".join(HYPHENS)).split()[-1]
        for line in pdf_lines(pdf)
        if line.endswith(HYPHENS)
    ]


def test_headings_captions_and_cells_are_not_hyphenated(tmp_path: Path) -> None:
    """Display words (headings, the caption, table cells) never end a line with a hyphen,
    while the body is hyphenated (so hyphenation is on); the previous template hyphenated
    headings ("extraor-", "interna-")."""
    picture = office.png(600, 300, (30, 90, 160))
    blocks = []
    for k in range(16):
        blocks.append(Block("heading", [Span(_rotated(DISPLAY_WORDS, k, 10))], level=1))
        blocks.append(Block("paragraph", [Span(_rotated(BODY_WORDS, k, 22) + ".")]))
    blocks.append(
        Block(
            "figure",
            [Span(" ".join(DISPLAY_WORDS * 2))],
            image=Image(picture, "png", 600, 300, width="3in", captioned=True),
        )
    )
    blocks += [
        Block("table_cell", [Span(_rotated(DISPLAY_WORDS, k, 4))], table=1, row=k // 4, col=k % 4)
        for k in range(8)
    ]
    pdf = tmp_path / "es.pdf"
    write_pdf(Document(blocks=blocks, lang="es"), pdf, "es")
    fragments = hyphenated_fragments(pdf)
    assert any(any(w.startswith(f) for w in BODY_WORDS) for f in fragments), fragments
    display = [
        f
        for f in fragments
        if any(w.startswith(f) and w != f for w in DISPLAY_WORDS)
        and not any(w.startswith(f) for w in BODY_WORDS)
    ]
    assert display == [], display


def test_a_figure_caption_stays_on_the_page_of_its_picture(tmp_path: Path) -> None:
    filler = " ".join(
        ["We stand with the jailed miners of Casapalca and demand their release."] * 6
    )
    picture = office.png(800, 500, (30, 90, 160))
    caption = "The miners' families outside the prison in Lima, waiting for the trial."
    for paragraphs in range(8, 14):  # move the figure down the page until it meets the foot
        doc = Document(
            blocks=[Block("paragraph", [Span(filler)]) for _ in range(paragraphs)]
            + [
                Block(
                    "figure",
                    [Span(caption)],
                    image=Image(picture, "png", 800, 500, width="4.5in", captioned=True),
                )
            ],
            lang="en",
        )
        pdf = tmp_path / f"fig{paragraphs}.pdf"
        write_pdf(doc, pdf, "en")
        with pymupdf.open(str(pdf)) as document:
            pages = [
                (bool(page.get_images()), "families outside the prison" in page.get_text())
                for page in document
            ]
        for has_picture, has_caption in pages:
            assert has_picture == has_caption, (paragraphs, pages)


def test_bilingual_masthead_names_the_organisation_in_both_languages(tmp_path: Path) -> None:
    config = load_config(REPO / "leaflet.yml")
    original = fx.english_sample()
    translated = fx.spanish_doc()
    result = write_leaflet(
        translated,
        tmp_path / "en-es.bilingual.pdf",
        "bilingual",
        config,
        lang="es",
        original=original,
    )
    with pymupdf.open(str(result.path)) as document:
        first = document[0]
        band = [" ".join(w[4] for w in first.get_text("words") if w[3] < first.rect.height * 0.08)][
            0
        ]
    for lang in ("en", "es"):
        name = config.organisation_for(lang).upper()
        assert all(word in band for word in name.split()), (name, band)
    assert (
        config.tagline_for("en").split()[0] in band and config.tagline_for("es").split()[0] in band
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_leaflet_headlines_are_not_hyphenated(tmp_path: Path, lang: str) -> None:
    doc = fx.spanish_doc() if lang == "es" else fx.english_sample()
    doc.blocks[0] = Block("title", [Span(HEADLINE)])
    result = write_leaflet(
        doc,
        tmp_path / f"{lang}.leaflet-a5.pdf",
        "leaflet-a5",
        load_config(REPO / "leaflet.yml"),
        lang=lang,
    )
    with pymupdf.open(str(result.path)) as document:
        spans = [
            span
            for block in document[0].get_text("dict")["blocks"]
            for line in block.get("lines", [])
            for span in line["spans"]
        ]
    biggest = max(s["size"] for s in spans)
    headline = [s["text"].strip() for s in spans if s["size"] == biggest]
    assert headline and not any(t.endswith(HYPHENS) for t in headline), headline
