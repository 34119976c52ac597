"""Issue 20, items 3 and 4, through ``python -m pipeline translate`` with Apertium and LibreOffice.

A letter written in Word by someone else (``tests/fixtures/written_by_others.py``) and its ODT
made by LibreOffice, and a Markdown statement with code, translated en→es as one batch: no
code, URL, address, file name or @handle is translated, code keeps its code style in the DOCX
and the PDF, every tab-separated header/footer field stays in its place, no space appears
before punctuation or doubled where the source had none, and the page count of the in-place
documents is in report.json (a full one-page letter is kept on its page by a font step).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from pipeline import inplace
from tests.conftest import ROOT, requires_apertium
from tests.fixtures import office
from tests.fixtures import written_by_others as wbo

requires_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
pytestmark = [pytest.mark.slow, requires_apertium, requires_libreoffice]

CODE = (wbo.CODE_COMMAND, wbo.CODE_TAG, *wbo.VERBATIM_IN_TEXT)


def _batch(cli, tmp_path: Path) -> tuple[Path, dict[str, dict]]:
    src = tmp_path / "source_docs"
    letter = wbo.letter_docx(src / "letter.docx")
    office.to_format(letter, "odt", tmp_path)
    (tmp_path / "letter.odt").rename(src / "letter-lo.odt")
    wbo.code_markdown(src / "howto.md")
    wbo.full_page_letter_docx(src / "full.docx", 26)
    out = tmp_path / "out"
    done = cli(
        "translate", str(src), "--to", "es", "--engine", "apertium", "--out", str(out),
        "--no-glossary", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    reports = {
        stem: json.loads((out / stem / "report.json").read_text(encoding="utf-8"))
        for stem in ("letter", "letter-lo", "howto", "full")
    }
    return out, reports


def _fields(paragraph_text: str) -> list[str]:
    return [f.strip() for f in paragraph_text.split("\t")]


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _space_defects(text: str) -> list[str]:
    return re.findall(r"\S  +\S| [.,;:!?)]", text)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    """The batch, run once for the module's tests."""
    tmp_path = tmp_path_factory.mktemp("nothing-silent")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PIPELINE_CACHE": str(tmp_path / "memory.sqlite3"),
            "PIPELINE_MODELS_DIR": str(tmp_path / "ct2-models"),
        }
        command = [sys.executable, "-m", "pipeline", *args]
        return subprocess.run(
            command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900
        )

    return _batch(cli, tmp_path)


def test_word_letter_fields_code_and_spaces(batch: tuple[Path, dict[str, dict]]) -> None:
    out, reports = batch
    es = reports["letter"]["targets"]["es"]
    assert es["route"] == "in-place"
    translated = docx.Document(es["outputs"]["docx"])
    header = [p.text for p in translated.sections[0].header.paragraphs]
    organisation, page, date = _fields(header[0])
    assert page == "1" and "diciembre" in date and "2026" in date
    assert "Comité" in organisation and "diciembre" not in organisation
    left, one, right = _fields(header[1])  # Word's "Header ⇥ 1 ⇥ Test"
    assert (one, right) == ("1", "Prueba") and left != "Prueba" and left
    contact, page_of = _fields(translated.sections[0].footer.paragraphs[0].text)
    assert "comité" in contact and page_of.startswith("Página 1")

    body = "\n".join(p.text for p in translated.paragraphs)
    for piece in CODE:
        assert piece in body, piece
    assert wbo.CODE_BLOCK.split("\n")[0] in body
    assert "Salida" not in body and "Entrada" not in body and "jefa" not in body
    assert _space_defects(body) == []
    runs = [r for p in translated.paragraphs for r in p.runs]
    assert any(r.text == wbo.CODE_COMMAND and r.font.name == "Consolas" for r in runs)
    assert any(r.text == wbo.CODE_TAG and r.style.name == "HTML Code" for r in runs)
    listing = [p for p in translated.paragraphs if p.style.name == "HTML Preformatted"]
    assert listing and listing[0].text == wbo.CODE_BLOCK

    pdf = _pdf_text(Path(es["outputs"]["pdf"]))
    for piece in CODE:
        assert piece in pdf, piece
    assert es["pages"] == {"source": 1, "translated": 1, "font_scale": 1.0, "note": None}


def test_libreoffice_odt_fields_and_code(batch: tuple[Path, dict[str, dict]]) -> None:
    out, reports = batch
    es = reports["letter-lo"]["targets"]["es"]
    again = inplace.read(Path(es["outputs"]["odt"]))
    texts = [b.text for b in again.document.blocks]
    assert texts.index("Encabezamiento") + 2 == texts.index("Prueba")  # fields in order
    joined = "\n".join(texts)
    for piece in CODE:
        assert piece in joined, piece
    words_only = [b.text for b in again.document.blocks if all(s.kind == "text" for s in b.spans)]
    assert _space_defects("\n".join(words_only)) == []  # (a field shows no text when read back)
    header = _pdf_text(Path(es["outputs"]["pdf"])).splitlines()
    line = next(ln for ln in header if "Prueba" in ln)
    assert line.index("Encabezamiento") < line.index("Prueba")


def test_markdown_code_keeps_its_style(batch: tuple[Path, dict[str, dict]]) -> None:
    out, reports = batch
    es = reports["howto"]["targets"]["es"]
    rendered = docx.Document(es["outputs"]["docx"])
    verbatim = [
        r.text for p in rendered.paragraphs for r in p.runs if r.style.name == "Verbatim Char"
    ]
    assert wbo.CODE_COMMAND in verbatim and wbo.CODE_TAG in verbatim and "--sandbox" in verbatim
    source_code = [p for p in rendered.paragraphs if p.style.name == "Source Code"]
    assert [p.text for p in source_code] == [wbo.CODE_BLOCK]
    for run in (r for p in source_code for r in p.runs if r.text.strip()):
        assert run.font.name is None  # the style's monospace font, not the body's
    text = "\n".join(p.text for p in rendered.paragraphs)
    for piece in CODE:
        assert piece in text, piece
    pdf = _pdf_text(Path(es["outputs"]["pdf"]))
    for piece in (wbo.CODE_COMMAND, *wbo.VERBATIM_IN_TEXT):
        assert piece in pdf, piece


def test_a_full_page_is_kept_on_its_page(batch: tuple[Path, dict[str, dict]]) -> None:
    out, reports = batch
    pages = reports["full"]["targets"]["es"]["pages"]
    assert pages["source"] == pages["translated"] == 1
    assert pages["font_scale"] < 1.0 and "smaller" in pages["note"]
