"""What print shops and leaflet makers check on the rendered PDFs (issue 15): page boxes on
bleed output, the language of every PDF, the cut line on 2-up sheets, slogans kept with what
follows them, the date printed once, overflow that names a layout that fits, and
``pipeline leaflet`` reading a renamed output folder and writing to ``--out``.

Checked with pypdf and poppler-utils (pdftotext, pdftoppm) on the real Typst output.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from pipeline.document import Block, Document, Span
from pipeline.export.writers import WRITERS
from pipeline.leaflet import write_leaflet
from pipeline.leaflet.config import LeafletConfig, load_config
from tests.fixtures import leaflet as fx

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)

REPO = Path(__file__).resolve().parents[1]
MM = 72 / 25.4


def config() -> LeafletConfig:
    return load_config(REPO / "leaflet.yml")


def page_text(pdf: Path, page: int, layout: bool = True) -> str:
    mode = ["-layout"] if layout else []
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), *mode, str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def box(page, name: str) -> tuple[float, ...]:
    return tuple(round(float(v), 2) for v in page[name])


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("print")


# ---- page boxes --------------------------------------------------------------------------------
@pytest.mark.parametrize("layout, paper", [("leaflet-a5", (148, 210)), ("leaflet-a4", (210, 297))])
def test_bleed_pdf_has_trim_bleed_and_art_boxes(out: Path, layout: str, paper: tuple) -> None:
    result = write_leaflet(
        fx.spanish_doc(), out / f"{layout}.bleed.pdf", layout, config(), lang="es", bleed=True
    )
    reader = PdfReader(result.path)
    assert len(reader.pages) == result.pages
    for page in reader.pages:
        media = box(page, "/MediaBox")
        trim = box(page, "/TrimBox")
        bleed = box(page, "/BleedBox")
        assert box(page, "/ArtBox") == trim
        # The trim is the paper, centred; the bleed 3 mm beyond it on every side.
        assert trim[2] - trim[0] == pytest.approx(paper[0] * MM, abs=0.05)
        assert trim[3] - trim[1] == pytest.approx(paper[1] * MM, abs=0.05)
        assert trim[0] - media[0] == pytest.approx(media[2] - trim[2], abs=0.05)
        for i in (0, 1):
            assert trim[i] - bleed[i] == pytest.approx(3 * MM, abs=0.05)
            assert bleed[i + 2] - trim[i + 2] == pytest.approx(3 * MM, abs=0.05)
        assert media[0] < bleed[0] and bleed[2] < media[2]  # the crop marks sit outside
    # pypdf's rewrite keeps what Typst wrote: language, metadata, embedded fonts.
    assert reader.trailer["/Root"]["/Lang"] == "es"
    assert reader.metadata is not None and reader.metadata.title
    fonts = subprocess.run(["pdffonts", str(result.path)], capture_output=True, text=True).stdout
    assert "NotoSans" in fonts and " no " not in fonts.split("\n", 2)[2]


def test_screen_pdf_has_no_print_boxes(out: Path) -> None:
    result = write_leaflet(fx.spanish_doc(), out / "screen.pdf", "leaflet-a5", config(), lang="es")
    page = PdfReader(result.path).pages[0]
    assert "/TrimBox" not in page and "/BleedBox" not in page


# ---- language ----------------------------------------------------------------------------------
def test_every_pdf_says_its_language(out: Path) -> None:
    """The document PDF, the leaflets, the 2-up sheet and the bilingual edition all carry the
    language of their text in /Lang (the 2-up sheet used to say en for Spanish)."""
    es, ja = fx.spanish_doc(), fx.japanese_doc()
    written: dict[str, tuple[Path, str]] = {}
    for doc, lang in ((es, "es"), (ja, "ja")):
        path = out / f"doc.{lang}.pdf"
        WRITERS["pdf"](doc, path, lang, f"statement.{lang}.txt")
        written[f"document {lang}"] = (path, lang)
        leaflet = write_leaflet(doc, out / f"l.{lang}.pdf", "leaflet-a5", config(), lang=lang)
        written[f"leaflet {lang}"] = (leaflet.path, lang)
        two_up = write_leaflet(
            doc, out / f"l.{lang}.2up.pdf", "leaflet-a5", config(), lang=lang, two_up=True
        )
        written[f"2-up {lang}"] = (two_up.path, lang)
    bilingual = write_leaflet(
        ja, out / "es-ja.bilingual.pdf", "bilingual", config(), lang="ja", original=es
    )
    written["bilingual es-ja"] = (bilingual.path, "ja")
    langs = {
        what: (str(PdfReader(path).trailer["/Root"].get("/Lang")), lang)
        for what, (path, lang) in written.items()
    }
    assert all(got == want for got, want in langs.values()), langs


# ---- two-up ------------------------------------------------------------------------------------
def test_two_up_has_a_dashed_cut_line_down_the_middle(out: Path) -> None:
    result = write_leaflet(
        fx.spanish_doc(), out / "cut.2up.pdf", "leaflet-a5", config(), lang="es", two_up=True
    )
    dpi = 100
    prefix = out / "cut"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(result.path), str(prefix)],
        check=True,
    )
    image = np.asarray(Image.open(next(out.glob("cut-*.png"))).convert("L"))
    px = dpi / 25.4
    x = round(148.5 * px)
    strip = image[:, x - 1 : x + 2].min(axis=1)  # the centre line, a pixel either side
    inked = strip < 200
    height = len(inked)
    middle = inked[round(20 * px) : height - round(20 * px)]  # away from the edge marks
    # Dashed: marks along the whole height, with gaps between them.
    assert middle.mean() > 0.3, "no cut line between the two copies"
    assert middle.mean() < 0.9, "the cut line should be dashed, not solid"
    thirds = np.array_split(middle, 3)
    assert all(part.any() for part in thirds)


# ---- keep with next, one date ------------------------------------------------------------------
SLOGAN = "¡Adelante, compañeros!"


def _points_with_slogan_after(j: int) -> Document:
    """70 one-line paragraphs with a slogan after paragraph ``j``: the same length for every
    ``j``, so the size chosen is the same and only the slogan moves down the front page."""
    blocks = [Block("title", [Span(fx.TITLE_ES)])]
    for i in range(70):
        blocks.append(Block("paragraph", [Span(f"Punto {i}: justicia ya.")]))
        if i == j:
            blocks.append(Block("paragraph", [Span(SLOGAN)]))
    return Document(blocks, source_path="puntos.txt", lang="es", metadata={"date": "2026-11-20"})


def test_a_slogan_is_never_the_last_line_of_the_front_page(out: Path) -> None:
    """Moving the slogan down the front page one paragraph at a time: where it would land on
    the last line (at positions 30 and 31 without keep-with-next), it goes overleaf with the
    paragraph after it instead."""
    seen = []
    for j in range(27, 34):
        result = write_leaflet(
            _points_with_slogan_after(j), out / f"slogan{j}.pdf", "leaflet-a5", config(), lang="es"
        )
        assert result.pages == 2
        lines = [line.strip() for line in page_text(result.path, 1).splitlines() if line.strip()]
        assert "1/2" in lines[-1]  # the running foot
        last = lines[-2]
        seen.append(last)
        assert last != SLOGAN, f"slogan after paragraph {j} ends the front page"
        # Nothing is lost: the slogan is on one of the two pages, exactly once.
        both = page_text(result.path, 1) + page_text(result.path, 2)
        assert both.count("Adelante") == 1
    assert len(set(seen)) > 1  # the page end did move with the slogan


def test_the_date_is_printed_once_on_each_page(out: Path) -> None:
    result = write_leaflet(fx.spanish_doc(), out / "date.pdf", "leaflet-a5", config(), lang="es")
    assert result.pages == 2
    for page in (1, 2):
        assert page_text(result.path, page).count("20 de noviembre de 2026") == 1, page


# ---- overflow ----------------------------------------------------------------------------------
def test_overflowing_a5_says_which_layout_fits(out: Path) -> None:
    doc = fx.spanish_doc()
    doc.blocks = doc.blocks + doc.blocks[1:-1] + doc.blocks[1:-2]  # about 2.3 statements
    result = write_leaflet(doc, out / "long.a5.pdf", "leaflet-a5", config(), lang="es")
    assert result.pages > 2 and result.overflow and result.overflow_pages > 0
    assert not result.fits
    assert result.suggestion and result.suggestion.startswith("fits on A4 at ")
    size = float(result.suggestion.split(" at ")[1].split(" pt")[0])
    # The suggestion is true: the A4 leaflet fits one sheet at that size.
    a4 = write_leaflet(doc, out / "long.a4.pdf", "leaflet-a4", config(), lang="es")
    assert a4.fits and a4.pages <= 2 and a4.font_size == size
    assert a4.overflow is None and a4.overflow_pages == 0 and a4.suggestion is None
    entry = result.as_dict()
    assert entry["fits"] is False and entry["suggestion"] == result.suggestion
    assert "fits on A4" in result.summary()


def test_fitting_leaflet_reports_no_overflow_at_all(out: Path) -> None:
    """overflow null goes with overflow_pages 0, never with a fraction of a page."""
    for lang, doc in (("es", fx.spanish_doc()), ("ja", fx.japanese_doc())):
        result = write_leaflet(doc, out / f"fit.{lang}.pdf", "leaflet-a5", config(), lang=lang)
        entry = result.as_dict()
        assert result.pages <= 2
        assert (entry["overflow"], entry["overflow_pages"], entry["fits"]) == (None, 0, True)


# ---- pipeline leaflet --------------------------------------------------------------------------
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


def test_pipeline_leaflet_reads_a_renamed_folder_and_writes_to_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output folder renamed after translating (peru/ → for-the-print-shop/) is read by
    its files' own names; the leaflets go to --out, and nothing is written beside the input."""
    docx = pytest.importorskip("docx")
    folder = tmp_path / "for-the-print-shop"
    folder.mkdir()
    d = docx.Document()
    d.add_heading(fx.TITLE_ES, level=0)
    for p in fx.PARAGRAPHS_ES:
        d.add_paragraph(p)
    d.save(folder / "peru.es.docx")
    report = {
        "source": {"path": str(tmp_path / "gone" / "peru.txt")},
        "detected": {"language": "en"},
        "targets": {"es": {"outputs": {"docx": str(tmp_path / "output/peru/peru.es.docx")}}},
    }
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    before = sorted(p.name for p in folder.iterdir())
    printed = tmp_path / "printed"
    code = _cli(str(folder), "--to", "es", "--layout", "leaflet-a5", "--out", str(printed))
    assert code == 0, capsys.readouterr()
    assert (printed / "peru.es.leaflet-a5.pdf").is_file()
    assert sorted(p.name for p in folder.iterdir()) == before
    assert "fits one sheet" in capsys.readouterr().out


def test_pipeline_leaflet_help_shows_no_none_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from pipeline.cli import leaflet as leaflet_cmd

    parser = argparse.ArgumentParser(prog="pipeline")
    leaflet_cmd.register(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["leaflet", "--help"])
    text = capsys.readouterr().out
    assert "None" not in text and "--out DIR" in text


# ---- headline ----------------------------------------------------------------------------------
def test_no_title_means_the_first_sentence_never_the_file_name(out: Path) -> None:
    """A document without a title or heading (as a plain-text file read without one): the
    headline is its first sentence, the same on A4 and A5, and the result says so."""
    paragraphs = [" ".join(fx.PARAGRAPHS_ES[1:3]), *fx.PARAGRAPHS_ES[3:6]]
    blocks = [Block("paragraph", [Span(p)]) for p in paragraphs]
    doc = Document(blocks, source_path="udhr-ja.ja.docx", lang="es", metadata={})
    results = {
        layout: write_leaflet(doc, out / f"untitled.{layout}.pdf", layout, config(), lang="es")
        for layout in ("leaflet-a5", "leaflet-a4")
    }
    first = fx.PARAGRAPHS_ES[1][:40]
    for layout, result in results.items():
        text = re.sub(r"[\s\-\u00ad\u2010]", "", page_text(result.path, 1, layout=False))
        assert "udhr" not in text, layout
        # The headline, and the paragraph in the body.
        assert text.count(re.sub(r"\s", "", first)) == 2, layout
        assert result.notes and "no title" in result.notes[0]
        assert result.as_dict()["notes"] == list(result.notes)
    titled = write_leaflet(fx.spanish_doc(), out / "titled.pdf", "leaflet-a5", config(), lang="es")
    assert titled.notes == ()


def test_pipeline_leaflet_refuses_a_bilingual_of_the_original_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docx = pytest.importorskip("docx")
    folder = tmp_path / "peru"
    folder.mkdir()
    source = tmp_path / "peru.txt"
    source.write_text(fx.TITLE_ES + "\n\n" + "\n\n".join(fx.PARAGRAPHS_ES), encoding="utf-8")
    d = docx.Document()
    d.add_heading("Peru: solidarity", level=0)
    d.add_paragraph("The miners are in jail.")
    d.save(folder / "peru.en.docx")
    report = {"source": {"path": str(source)}, "detected": {"language": "es"}}
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    code = _cli(str(folder), "--to", "en,es", "--layout", "bilingual")
    assert code == 2
    assert "the bilingual layout needs a target language" in capsys.readouterr().out
    assert not list(folder.glob("*.pdf"))  # not even the en edition was made
