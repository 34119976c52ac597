"""The re-rendering route carries images, captions, lists in table cells and metadata (issue 12
item 3): statements built here (a PNG drawn with Pillow at test time) go through the batch with
the deterministic test engine, and the DOCX, PDF and leaflet are read back."""

from __future__ import annotations

import base64
import io
import subprocess
import tempfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Inches
from PIL import Image as PILImage

from pipeline.engines.registry import EngineSet
from pipeline.ingest import read_document
from pipeline.leaflet.config import LeafletConfig
from pipeline.run import run_batch
from tests.conftest import requires_poppler
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import batch

PHOTO_PX = (600, 400)  # at 150 dpi: 4 × 2.667 in
LOGO_PX = (120, 120)

MARKDOWN = """---
title: Free the miners
subtitle: A statement of the union
author: Ana Pérez
date: 2026-11-30
abstract: |
  The union demands the release of the seven leaders.
---

The strike goes on in the valley today.

![The seven leaders in front of the prison](photo.png)

Our logo ![the union logo](logo.png){width=1.5in} stands with them.

| Action | Where |
|--------|-------|
| March  | Lima  |

: Table of actions this week

| Demand | Details |
|--------|---------|
| Release | See below |
"""

HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Solidarity with the miners</title>
<meta name="author" content="Luis Rojas"></head>
<body>
<h1>Solidarity with the miners</h1>
<p>The workers of the mine are on strike.</p>
<figure><img src="photo.png" alt="Workers at the gate" width="300">
<figcaption>Workers at the gate of the mine</figcaption></figure>
<table>
<caption>Our demands</caption>
<tr><th>Demand</th><th>How</th></tr>
<tr><td>Freedom</td><td><p>We ask for:</p><ul><li>the release of the leaders</li>
<li>an end to the trials</li></ul></td></tr>
</table>
<p>An embedded picture: <img src="data:image/png;base64,{data}" alt="the red square"></p>
</body></html>
"""


def _png(path: Path, size: tuple[int, int], colour: tuple[int, int, int], dpi: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG", dpi=(dpi, dpi))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def statements(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("src")
    _png(folder / "photo.png", PHOTO_PX, (180, 20, 30), 150)
    red = _png(folder / "logo.png", LOGO_PX, (20, 60, 160), 96)
    (folder / "miners.md").write_text(MARKDOWN, encoding="utf-8")
    html = HTML.replace("{data}", base64.b64encode(red).decode("ascii"))
    (folder / "solidarity.html").write_text(html, encoding="utf-8")
    return folder


def _run(paths: list[Path], out: Path, **options) -> None:
    engines = EngineSet.with_engines("test", {"test": BracketEngine()})
    result = run_batch(
        batch(
            paths=paths,
            out_dir=out,
            targets=["es"],
            source_lang="en",
            allow_blocking=True,
            **options,
        ),  # the bracket engine's ⟦words⟧ look like English to QA
        engines=engines,
    )
    assert result.failures == []


@pytest.fixture(scope="module")
def translated(statements: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    # --jobs 2: the writers run in worker processes, so the pictures travel pickled.
    _run([statements / "miners.md", statements / "solidarity.html"], out, jobs=2)
    return out


def _pdfimages(path: Path) -> list[tuple[int, int]]:
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    return [(int(r[3]), int(r[4])) for r in rows]


def _pdftext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_markdown_images_reach_the_docx_at_their_size(translated: Path) -> None:
    word = docx.Document(str(translated / "miners" / "miners.es.docx"))
    shapes = list(word.inline_shapes)
    assert len(shapes) == 2
    photo, logo = shapes
    assert abs(photo.width - Inches(4)) < Inches(0.01)  # 600 px at 150 dpi
    assert abs(photo.height - Inches(4 * 400 / 600)) < Inches(0.01)
    assert abs(logo.width - Inches(1.5)) < Inches(0.01)  # {width=1.5in}
    assert abs(logo.height - Inches(1.5)) < Inches(0.01)
    # The alt text and the caption were translated like any text.
    descr = [p.get("descr") for p in word.element.body.iter(qn("wp:docPr"))]
    assert "⟦the⟧ ⟦union⟧ ⟦logo⟧" in descr
    captions = [p.text for p in word.paragraphs if p.style.name == "Image Caption"]
    # A figure's caption is shown; a picture inside the text has only its alt text.
    assert captions == ["⟦The⟧ ⟦seven⟧ ⟦leaders⟧ ⟦in⟧ ⟦front⟧ ⟦of⟧ ⟦the⟧ ⟦prison⟧"]
    # The picture's bytes are the source's.
    blobs = [
        rel.target_part.blob
        for rel in word.part.rels.values()
        if rel.reltype.endswith("/image") and not rel.is_external
    ]
    sizes = sorted(PILImage.open(io.BytesIO(b)).size for b in blobs)
    assert sizes == sorted([PHOTO_PX, LOGO_PX])


@requires_poppler
def test_markdown_images_reach_the_pdf(translated: Path) -> None:
    pdf = translated / "miners" / "miners.es.pdf"
    assert sorted(_pdfimages(pdf)) == sorted([PHOTO_PX, LOGO_PX])
    text = _pdftext(pdf)
    assert "⟦seven⟧ ⟦leaders⟧" in text  # the figure caption
    assert "⟦Table⟧ ⟦of⟧ ⟦actions⟧" in text  # the table caption


def test_report_counts_the_pictures_carried(translated: Path) -> None:
    import json

    for stem in ("miners", "solidarity"):
        report = json.loads((translated / stem / "report.json").read_text(encoding="utf-8"))
        assert report["source"]["images"] == 2


def test_metadata_reaches_the_docx(translated: Path) -> None:
    word = docx.Document(str(translated / "miners" / "miners.es.docx"))
    props = word.core_properties
    assert props.author == "Ana Pérez"
    assert props.title == "⟦Free⟧ ⟦the⟧ ⟦miners⟧"
    by_style = {p.style.name: p.text for p in word.paragraphs}
    assert by_style["Title"] == "⟦Free⟧ ⟦the⟧ ⟦miners⟧"
    assert by_style["Subtitle"] == "⟦A⟧ ⟦statement⟧ ⟦of⟧ ⟦the⟧ ⟦union⟧"
    assert by_style["Author"] == "Ana Pérez"
    assert by_style["Date"] == "2026-11-30"
    assert by_style["Abstract"].startswith("⟦The⟧ ⟦union⟧ ⟦demands⟧")
    table_captions = [p.text for p in word.paragraphs if p.style.name == "Table Caption"]
    assert table_captions == ["⟦Table⟧ ⟦of⟧ ⟦actions⟧ ⟦this⟧ ⟦week⟧"]


@requires_poppler
def test_metadata_reaches_the_pdf_title_block(translated: Path) -> None:
    text = _pdftext(translated / "miners" / "miners.es.pdf")
    head = text[: text.index("⟦strike⟧")]
    for wanted in ("⟦Free⟧ ⟦the⟧ ⟦miners⟧", "Ana Pérez", "2026-11-30", "Resumen", "⟦demands⟧"):
        assert wanted in head


def test_html_figure_list_in_cell_and_data_image_in_the_docx(translated: Path) -> None:
    path = translated / "solidarity" / "solidarity.es.docx"
    word = docx.Document(str(path))
    shapes = list(word.inline_shapes)
    assert len(shapes) == 2
    assert abs(shapes[0].width - Inches(300 / 96)) < Inches(0.01)  # width="300" (CSS px)
    assert abs(shapes[1].width - Inches(120 / 96)) < Inches(0.01)  # data: URI, 96 dpi
    cell = word.tables[0].cell(1, 1)
    items = [p for p in cell.paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None]
    assert [p.text for p in items] == [
        "⟦the⟧ ⟦release⟧ ⟦of⟧ ⟦the⟧ ⟦leaders⟧",
        "⟦an⟧ ⟦end⟧ ⟦to⟧ ⟦the⟧ ⟦trials⟧",
    ]
    assert cell.paragraphs[0].text == "⟦We⟧ ⟦ask⟧ ⟦for⟧:"
    # Read back: the cell still holds its paragraph and a two-item list.
    back = read_document(path)
    in_cell = [b for b in back.blocks if b.kind == "table_cell" and (b.row, b.col) == (1, 1)]
    assert [b.level for b in in_cell] == [0, 1, 1]
    assert [b.kind for b in back.blocks].count("caption") == 1
    assert len(back.images()) == 2


@requires_poppler
def test_html_images_and_the_list_in_a_cell_reach_the_pdf(translated: Path) -> None:
    pdf = translated / "solidarity" / "solidarity.es.pdf"
    assert sorted(_pdfimages(pdf)) == sorted([PHOTO_PX, LOGO_PX])
    text = _pdftext(pdf)
    assert "⟦release⟧ ⟦of⟧ ⟦the⟧ ⟦leaders⟧" in text and "⟦trials⟧" in text
    assert "⟦Our⟧ ⟦demands⟧" in text


@requires_poppler
def test_leaflet_shows_the_first_image_as_its_photo(statements: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(
        [statements / "miners.md"],
        out,
        formats=["pdf"],
        layout="leaflet-a5",
        leaflet_config=LeafletConfig(),
    )
    leaflet = out / "miners" / "miners.es.leaflet-a5.pdf"
    assert _pdfimages(leaflet) == [PHOTO_PX]
    assert "⟦seven⟧ ⟦leaders⟧" in _pdftext(leaflet)  # its caption


@requires_poppler
def test_leaflet_yml_names_the_photo(statements: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "leaflet.yml"
    for choice, wanted in (("2", [LOGO_PX]), ("false", []), ("logo.png", [LOGO_PX])):
        if choice == "logo.png":
            _png(tmp_path / "logo.png", LOGO_PX, (0, 0, 0), 96)
        config_file.write_text(f"photo: {choice}\n", encoding="utf-8")
        from pipeline.leaflet.config import load_config

        out = tmp_path / f"out-{choice}"
        _run(
            [statements / "miners.md"],
            out,
            formats=["pdf"],
            layout="leaflet-a5",
            leaflet_config=load_config(config_file),
        )
        assert _pdfimages(out / "miners" / "miners.es.leaflet-a5.pdf") == wanted, choice


def test_a_changed_picture_file_rebuilds_the_document(statements: Path, tmp_path: Path) -> None:
    """Incremental runs: the Markdown's bytes are the same but the photo it shows changed, so
    the document is built again (and not when nothing changed)."""
    import shutil

    folder = tmp_path / "src"
    shutil.copytree(statements, folder)
    out = tmp_path / "out"
    engines = EngineSet.with_engines("test", {"test": BracketEngine()})

    def run():
        options = batch(
            paths=[folder / "miners.md"],
            out_dir=out,
            targets=["es"],
            source_lang="en",
            formats=["docx"],
            allow_blocking=True,  # the bracket engine's ⟦words⟧ look like English to QA
        )
        return run_batch(options, engines=engines)

    assert run().unchanged == []
    assert len(run().unchanged) == 1
    _png(folder / "photo.png", (300, 300), (0, 0, 0), 150)
    again = run()
    assert again.unchanged == []
    word = docx.Document(str(out / "miners" / "miners.es.docx"))
    assert abs(word.inline_shapes[0].width - Inches(2)) < Inches(0.01)  # 300 px at 150 dpi


def test_a_file_that_is_not_a_picture_is_noted_and_its_alt_text_kept(tmp_path: Path) -> None:
    (tmp_path / "fake.png").write_text("not a picture", encoding="utf-8")
    (tmp_path / "s.md").write_text(
        "We march today.\n\nSee ![the march](fake.png) and ![gone](missing.png).\n",
        encoding="utf-8",
    )
    doc = read_document(tmp_path / "s.md")
    assert doc.images() == []
    assert "the march" in doc.text and "gone" in doc.text
    assert len(doc.notes) == 1
    assert "2 images not carried" in doc.notes[0] and "fake.png is not a picture" in doc.notes[0]


def test_docx_embedded_image_title_and_subtitle_styles(tmp_path: Path) -> None:
    """A DOCX's embedded picture (extracted by pandoc into a temporary folder) and its
    Title/Subtitle paragraphs reach the re-rendered DOCX."""
    _png(tmp_path / "p.png", PHOTO_PX, (10, 120, 10), 150)
    source = docx.Document()
    source.add_paragraph("Free the miners", style="Title")
    source.add_paragraph("A statement of the union", style="Subtitle")
    source.add_paragraph("The strike goes on in the valley today.")
    source.add_picture(str(tmp_path / "p.png"), width=Inches(3))
    source.core_properties.author = "Ana Pérez"
    source.save(str(tmp_path / "letter.docx"))
    out = tmp_path / "out"
    _run([tmp_path / "letter.docx"], out, formats=["docx"])
    word = docx.Document(str(out / "letter" / "letter.es.docx"))
    styles = {p.style.name: p.text for p in word.paragraphs}
    assert styles["Title"] == "⟦Free⟧ ⟦the⟧ ⟦miners⟧"
    assert styles["Subtitle"] == "⟦A⟧ ⟦statement⟧ ⟦of⟧ ⟦the⟧ ⟦union⟧"
    assert word.core_properties.author == "Ana Pérez"
    (shape,) = word.inline_shapes
    assert abs(shape.width - Inches(3)) < Inches(0.01)


def test_fidelity_benchmark_counts_what_the_rendered_route_keeps(tmp_path: Path) -> None:
    """The benchmark's generator and counter on four statements: the re-rendering route keeps
    every picture, table, list item in a cell, footnote and Title; headers and footers are
    not carried by it (the in-place route's job), and the counter sees that."""
    from benchmarks import fidelity
    from benchmarks.make_fidelity_docx import build

    files = build(tmp_path / "src", count=4)
    sources = {path: fidelity.count(path) for path in files}
    totals: dict[str, int] = {}
    for counts in sources.values():
        for key, n in counts.elements.items():
            totals[key] = totals.get(key, 0) + n
    assert totals["images"] == 3 and totals["list items in cells"] == 6
    assert totals["header/footer parts"] == 7 and totals["text boxes"] == 1
    tally = fidelity.measure(files, fidelity.rendered_route, sources)
    assert tally.read == 4 and tally.failed == []
    for key in ("images", "tables", "list items in cells", "footnotes", "Title/Subtitle"):
        assert tally.elements_kept[key] == totals[key], key
    assert tally.elements_kept["header/footer parts"] == 0


def test_leaflet_fit_shrinks_the_photo_before_the_text(tmp_path: Path) -> None:
    """The fit-to-sheet search accounts for the photo: a short statement keeps it at full
    height; as the text grows, the photo is made smaller while the text stays at its nominal
    size (9 pt in two columns on A5), before the text is set smaller."""
    from pipeline.document import Block, Document, Image, Span
    from pipeline.leaflet import write_leaflet
    from pipeline.leaflet.typst import SPECS

    buffer = io.BytesIO()
    PILImage.new("RGB", (800, 600), (200, 0, 0)).save(buffer, "PNG")
    picture = Image(buffer.getvalue(), "png", 800, 600)
    sentence = "The workers of the valley have been on strike for nine days and demand justice. "

    def leaflet(paragraphs: int):
        blocks = [
            Block("title", [Span("Free the miners")]),
            Block("figure", [Span("The leaders")], image=picture),
            *(Block("paragraph", [Span(sentence * 4)]) for _ in range(paragraphs)),
        ]
        doc = Document(blocks=blocks, source_path="s.md", lang="en")
        return write_leaflet(doc, tmp_path / "l.pdf", "leaflet-a5", LeafletConfig(), lang="en")

    assert leaflet(3).photo == 1.0
    nominal = SPECS["leaflet-a5"].two_columns
    for paragraphs in range(9, 20):
        result = leaflet(paragraphs)
        if result.photo is not None and result.photo < 1.0:
            break
    else:
        pytest.fail("the photo was never made smaller")
    assert result.pages <= 2 and result.font_size >= nominal


@pytest.mark.parametrize("fmt", ["odt", "epub"])
def test_odt_and_epub_embedded_pictures_reach_the_docx(
    statements: Path, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pictures inside an ODT or EPUB (pandoc writes the files here from the Markdown
    statement) are extracted into a temporary folder, carried, and the folder is removed."""
    from pipeline.ingest.pandoc import pandoc_path

    source = tmp_path / f"miners.{fmt}"
    subprocess.run(
        [pandoc_path(), str(statements / "miners.md"), "-o", str(source)],
        cwd=statements,
        check=True,
    )
    own_tmp = tmp_path / "tmp"  # not /tmp: tests running in parallel make their own folders
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    before = set(Path(tempfile.gettempdir()).glob("pipeline-media-*"))
    doc = read_document(source)
    assert set(Path(tempfile.gettempdir()).glob("pipeline-media-*")) == before
    assert sorted((i.width_px, i.height_px) for i in doc.images()) == sorted([PHOTO_PX, LOGO_PX])
    out = tmp_path / "out"
    _run([source], out, formats=["docx"])
    word = docx.Document(str(out / "miners" / "miners.es.docx"))
    assert len(word.inline_shapes) == 2


@requires_poppler
def test_pipeline_leaflet_relayout_finds_the_photo_in_the_translated_docx(
    translated: Path, tmp_path: Path
) -> None:
    """``pipeline leaflet output/<stem>/`` reads the translated DOCX back: its pictures are
    carried too, so the laid-out-again leaflet shows the photo."""
    from pipeline.leaflet.relayout import relayout

    outcomes = relayout(
        translated / "miners", ["es"], "leaflet-a5", LeafletConfig(), out=tmp_path / "again"
    )
    assert [o.error for o in outcomes] == [None]
    leaflet = next((tmp_path / "again").rglob("*.leaflet-a5.pdf"))
    assert _pdfimages(leaflet) == [PHOTO_PX]


@requires_poppler
def test_a_picture_inside_a_table_cell_stays_in_the_cell(statements: Path, tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes((statements / "photo.png").read_bytes())
    (tmp_path / "cell.md").write_text(
        "The leaders of the union.\n\n"
        "| Leader | Photo |\n|---|---|\n| Ana Quispe | ![Ana at the march](photo.png) |\n",
        encoding="utf-8",
    )
    doc = read_document(tmp_path / "cell.md")
    (cell,) = [b for b in doc.blocks if b.image is not None]
    assert (cell.kind, cell.row, cell.col, cell.text) == ("table_cell", 1, 1, "Ana at the march")
    out = tmp_path / "out"
    _run([tmp_path / "cell.md"], out)
    word = docx.Document(str(out / "cell" / "cell.es.docx"))
    assert len(word.tables[0].cell(1, 1)._tc.xpath(".//pic:pic")) == 1
    assert _pdfimages(out / "cell" / "cell.es.pdf") == [PHOTO_PX]


def test_only_a_figure_caption_is_shown_as_a_caption(statements: Path, tmp_path: Path) -> None:
    (tmp_path / "p.png").write_bytes((statements / "photo.png").read_bytes())
    (tmp_path / "f.html").write_text(
        "<p>We march today.</p>"
        '<figure><img src="p.png" alt="only an alt text"></figure>'
        '<figure><img src="p.png" alt="alt"><figcaption>The march</figcaption></figure>'
        '<p>Inline <img src="p.png" alt="inline picture"> here.</p>',
        encoding="utf-8",
    )
    figures = [b for b in read_document(tmp_path / "f.html").blocks if b.image is not None]
    assert [(b.text, b.image.captioned) for b in figures if b.image] == [
        ("only an alt text", False),
        ("The march", True),
        ("inline picture", False),
    ]
