"""In-place translation through ``python -m pipeline translate`` (issue 12's done-when).

The letterhead DOCX (``tests/fixtures/office.py``) translated en→es with Apertium comes back as
itself with its text in Spanish (header, footer, table, text box, footnote), its PDF laid out by
LibreOffice with its images; a reviewer's edit in the review DOCX reaches the in-place DOCX on
the next run; ``--restyle`` and ``--pdf-engine typst`` take the re-rendering route.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

from tests.conftest import ROOT, requires_apertium
from tests.fixtures import office

pytestmark = [pytest.mark.slow, requires_apertium]
requires_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
EDIT = "Una herida a uno es una herida a todos, corregido por Ana."


def _translate(cli, *args: str) -> dict:
    glossary = str(ROOT / "glossary.yml")  # the inputs are in tmp: no glossary.yml beside them
    done = cli("translate", *args, "--engine", "apertium", "--json", "--glossary", glossary)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def _report(out: Path, stem: str) -> dict:
    return json.loads((out / stem / "report.json").read_text(encoding="utf-8"))


def _part_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name).decode("utf-8")


@requires_libreoffice
def test_letterhead_in_place_with_review_round_trip(cli, tmp_path: Path) -> None:
    source = office.letterhead_docx(tmp_path / "src" / "letterhead.docx")
    before = source.read_bytes()
    out, cache = tmp_path / "out", tmp_path / "tm.sqlite"
    args = (str(source), "--to", "es", "--out", str(out), "--cache", str(cache), "--review")
    _translate(cli, *args)
    report = _report(out, "letterhead")
    es = report["targets"]["es"]
    assert es["route"] == "in-place"
    assert report["source"]["tracked_changes"]["accepted"] == 2
    translated = Path(es["outputs"]["docx"])
    assert translated.name == "letterhead.es.docx"
    assert "Comité" in _part_text(translated, "word/header1.xml")
    assert "PAGE" in _part_text(translated, "word/footer1.xml")
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(translated) as b:
        assert a.namelist() == b.namelist()
        media = [n for n in a.namelist() if n.startswith("word/media/")]
        assert len(media) == 2 and all(a.read(n) == b.read(n) for n in media)
    word = docx.Document(str(translated))
    assert len(word.inline_shapes) == 1  # the photo (the logo is in the header)
    assert word.sections[0].header.paragraphs[0].text.startswith("Comité")
    listing = subprocess.run(
        ["pdfimages", "-list", es["outputs"]["pdf"]], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(listing) == 2
    assert source.read_bytes() == before

    # The reviewer edits the quote's draft in the review DOCX; the next run puts it in place.
    sidecar = next(out.glob("letterhead/review/*.en-es.segments.json"))
    segments = json.loads(sidecar.read_text(encoding="utf-8"))["segments"]
    (quote,) = [s for s in segments if s["source"] == office.QUOTE]
    review_docx = sidecar.with_name(sidecar.name.replace(".segments.json", ".review.docx"))
    document = docx.Document(str(review_docx))
    (row,) = [r for r in document.tables[0].rows if r.cells[0].text == quote["id"]]
    row.cells[2].text = EDIT
    document.save(str(review_docx))
    done = cli("review", "import", str(review_docx), "--reviewer", "ana", "--cache", str(cache))
    assert done.returncode == 0, done.stdout + done.stderr
    _translate(cli, *args)
    again = _report(out, "letterhead")["targets"]["es"]
    assert again["segments"]["approved"] == 1 and again["route"] == "in-place"
    word = docx.Document(again["outputs"]["docx"])
    (edited,) = [p for p in word.paragraphs if EDIT in p.text]
    assert edited.style.name == "Quote"
    assert word.sections[0].header.paragraphs[0].text.startswith("Comité")


@requires_libreoffice
def test_odt_in_place_and_typst_pdf(cli, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    source = office.letterhead_docx(folder / "letterhead.docx")
    odt = office.to_format(source, "odt", folder)
    out = tmp_path / "out"
    _translate(cli, str(odt), str(source), "--to", "es", "--out", str(out), "--pdf-engine", "typst")
    odt_target = _report(out, "letterhead-odt")["targets"]["es"]
    assert odt_target["route"] == "in-place"
    assert Path(odt_target["outputs"]["odt"]).name == "letterhead-odt.es.odt"
    # ...and its DOCX is LibreOffice's conversion of the in-place ODT (header kept)
    converted = Path(odt_target["outputs"]["docx"])
    assert converted.name == "letterhead-odt.es.docx"
    assert docx.Document(str(converted)).sections[0].header.paragraphs[0].text.startswith("Comité")
    assert "Comité" in _part_text(Path(odt_target["outputs"]["odt"]), "styles.xml")
    docx_target = _report(out, "letterhead-docx")["targets"]["es"]
    pdf = subprocess.run(
        ["pdftotext", docx_target["outputs"]["pdf"], "-"], capture_output=True, text=True
    ).stdout
    # Typst lays out the body: the header and footer are not in it, the text box is.
    assert "Comité" not in pdf and "viernes" in pdf


def test_restyle_takes_the_rendering_route(cli, tmp_path: Path) -> None:
    source = office.letterhead_docx(tmp_path / "src" / "letterhead.docx")
    out = tmp_path / "out"
    _translate(cli, str(source), "--to", "es", "--out", str(out), "--restyle", "--formats", "docx")
    es = _report(out, "letterhead")["targets"]["es"]
    assert es["route"] == "rendered"
    assert "tracked_changes" not in _report(out, "letterhead")["source"]
    word = docx.Document(es["outputs"]["docx"])
    assert not any(p.text.strip() for p in word.sections[0].header.paragraphs)
    assert any("encarcelados" in p.text for p in word.paragraphs)
