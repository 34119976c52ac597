"""Slides and subtitles through ``python -m pipeline translate`` with Apertium en→es (issue 23).

A folder with a python-pptx deck, its LibreOffice ODP, an SRT in Windows-1252 and a WebVTT
comes back as ``<stem>.es.pptx``/``.odp``/``.srt``/``.vtt`` (route in-place) plus the decks'
PDFs laid out by LibreOffice; the review files hold the slides' and cues' segments; a second
run skips every file (incremental).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from pipeline.inplace import subtitles
from tests.conftest import requires_apertium
from tests.fixtures import slides
from tests.fixtures.office import to_format

pytestmark = [
    pytest.mark.slow,
    requires_apertium,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    import os
    import sys

    root = tmp_path_factory.mktemp("slides")
    src = root / "src"
    src.mkdir()
    deck = slides.statement_pptx(src / "deck.pptx")
    odp = to_format(deck, "odp", root / "odp")
    shutil.copy(odp, src / "meeting.odp")
    (src / "talk.srt").write_bytes(slides.SRT.encode("cp1252"))
    (src / "video.vtt").write_text(slides.VTT, encoding="utf-8")
    out = root / "out"
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "PIPELINE_CACHE": str(root / "tm.sqlite3"),
        "PIPELINE_MODELS_DIR": str(root / "models"),
    }
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "translate",
        str(src),
        "--to",
        "es",
        "--from",
        "en",
    ]
    command += ["--engine", "apertium", "--out", str(out), "--review", "--json", "--no-glossary"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert again.returncode == 0, again.stderr
    return src, out, {"first": json.loads(done.stdout), "again": json.loads(again.stdout)}


def _report(out: Path, stem: str) -> dict:  # type: ignore[type-arg]
    return json.loads((out / stem / "report.json").read_text(encoding="utf-8"))


def _words_inside_pages(pdf: Path) -> None:
    """Every word of the PDF lies on its page (nothing ran off a slide)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True)
    root = etree.fromstring(html.stdout, etree.HTMLParser())
    pages = root.iter("page")
    for page in pages:
        width, height = float(page.get("width")), float(page.get("height"))
        for word in page.iter("word"):
            assert float(word.get("xmax")) <= width + 1 and float(word.get("ymax")) <= height + 1


def test_every_file_in_place(run: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    src, out, _ = run
    for stem, fmt, extra in (
        ("deck", "pptx", "pdf"),
        ("meeting", "odp", "pdf"),
        ("talk", "srt", None),
        ("video", "vtt", None),
    ):
        report = _report(out, stem)
        es = report["targets"]["es"]
        assert es["route"] == "in-place", stem
        assert report["source"]["format"] == fmt
        assert Path(es["outputs"][fmt]).name == f"{stem}.es.{fmt}"
        if extra:
            assert Path(es["outputs"][extra]).is_file()
        else:
            assert set(es["outputs"]) == {fmt, "review_docx", "xliff"}  # no PDF of a subtitle
        sidecar = out / stem / "review" / f"{stem}.en-es.segments.json"
        segments = json.loads(sidecar.read_text(encoding="utf-8"))["segments"]
        assert segments and all(s["target"] for s in segments)
    assert _report(out, "talk")["source"]["encoding"] == "cp1252"


def test_deck_pdf_pages_pictures_and_words(run: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, _ = run
    for stem in ("deck", "meeting"):
        pdf = out / stem / f"{stem}.es.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        assert re.search(r"Pages:\s+4\n", info.stdout), stem
        images = subprocess.run(
            ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
        )
        assert len(images.stdout.strip().splitlines()) - 2 >= 2, stem
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Ciudad" in text and "mineros" in text, stem
        _words_inside_pages(pdf)


def test_subtitles_keep_timings_and_limits(run: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    src, out, _ = run
    for stem, fmt, encoding in (("talk", "srt", "cp1252"), ("video", "vtt", "utf-8")):
        source = (src / f"{stem}.{fmt}").read_bytes().decode(encoding)
        translated = (out / stem / f"{stem}.es.{fmt}").read_bytes().decode("utf-8")
        before, after = subtitles.parse(source, fmt), subtitles.parse(translated, fmt)
        assert [c.timing for c in after.cues] == [c.timing for c in before.cues]
        assert [p for p in after.pieces if isinstance(p, str)] == [
            p for p in before.pieces if isinstance(p, str)
        ]  # numbers, timings, settings, header, NOTE/STYLE/REGION: the same characters
        for cue in after.cues:
            visible = [re.sub(r"<[^>]*>|\{[^}]*\}", "", line) for line in cue.lines]
            assert 1 <= len(visible) <= 2 and all(len(v) <= 42 for v in visible), cue.lines
    talk = (out / "talk" / "talk.es.srt").read_bytes().decode("utf-8")
    assert "mineros" in talk and "- ¡" in talk
    assert "\r\n" in talk and "\n" not in talk.replace("\r\n", "")


def test_second_run_skips_everything(run: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, reports = run
    assert len(reports["again"].get("unchanged", [])) == 4 or all(
        _report(out, stem)["unchanged"] for stem in ("deck", "meeting", "talk", "video")
    )


EDIT = "<g1>Los mineros de Casapalca</g1> llevan<x2/> dos años presos, y sus familias siguen esperando."


def test_reviewed_cue_reaches_the_subtitles(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A reviewer's edit of a sentence across two cues (its cue marker kept) reaches the SRT
    on the next run, split where the reviewer put the marker."""
    import docx

    source = tmp_path / "src" / "talk.srt"
    source.parent.mkdir()
    source.write_bytes(slides.SRT.encode("cp1252"))
    out, cache = tmp_path / "out", tmp_path / "tm.sqlite"
    args = ("translate", str(source), "--to", "es", "--from", "en", "--engine", "apertium")
    args += ("--out", str(out), "--cache", str(cache), "--review", "--no-glossary")
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    sidecar = next(out.glob("talk/review/*.en-es.segments.json"))
    segments = json.loads(sidecar.read_text(encoding="utf-8"))["segments"]
    first = next(s for s in segments if "<x2/>" in s["source"])
    review_docx = sidecar.with_name(sidecar.name.replace(".segments.json", ".review.docx"))
    document = docx.Document(str(review_docx))
    (row,) = [r for r in document.tables[0].rows if r.cells[0].text == first["id"]]
    row.cells[2].text = EDIT
    document.save(str(review_docx))
    done = cli("review", "import", str(review_docx), "--reviewer", "ana", "--cache", str(cache))
    assert done.returncode == 0, done.stdout + done.stderr
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "talk" / "report.json").read_text(encoding="utf-8"))
    assert report["targets"]["es"]["segments"]["approved"] == 1
    cues = subtitles.parse((out / "talk" / "talk.es.srt").read_bytes().decode("utf-8"), "srt").cues
    assert " ".join(cues[0].lines) == "<i>Los mineros de Casapalca</i> llevan"
    assert " ".join(cues[1].lines) == "dos años presos, y sus familias siguen esperando."
