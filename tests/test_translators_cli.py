"""What translators see, end to end through ``python -m pipeline`` (Apertium en→es, the shipped
glossary): the summary and the ``--review`` hints, agreement around glossary terms, an OmegaT
project exported and read back, and an import that prints the whole corrected sentence."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from tests.conftest import ROOT, requires_apertium

pytestmark = [pytest.mark.slow, requires_apertium]

STATEMENT = """\
All unions must join the general strike.

The miners of Casapalca have been on strike since October 19 and their union demands the \
release of every arrested leader of the federation.

Long live international solidarity!
"""
EDIT = (
    "Los mineros de Casapalca están en huelga desde el 19 de octubre y su sindicato exige la "
    "libertad de cada dirigente detenido de la federación, sin excepción alguna."
)


def test_translator_round_trip_through_the_cli(cli, tmp_path: Path) -> None:
    source = tmp_path / "docs" / "strike.en.txt"
    source.parent.mkdir()
    source.write_text(STATEMENT, encoding="utf-8")
    out, cache = tmp_path / "out", tmp_path / "tm.sqlite3"
    args = ("translate", str(source), "--to", "es", "--engine", "apertium", "--out", str(out),
            "--formats", "docx", "--cache", str(cache), "--review",
            "--glossary", str(ROOT / "glossary.yml"))  # fmt: skip
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    (review_docx,) = out.glob("*/review/*.en-es.review.docx")
    review, base = review_docx.parent, review_docx.name.removesuffix(".review.docx")
    # --review says where the files are and how to bring corrections back
    assert "Review files for translators" in done.stdout
    assert f"{review}/  {base}.review.docx, {base}.xlf" in done.stdout
    assert f'pipeline review import {review_docx} --reviewer "NAME"' in done.stdout

    # the glossary's "sindicatos" replaces Apertium's "uniones": the quantifier agrees too
    report = json.loads((review.parent / "report.json").read_text(encoding="utf-8"))
    translated = " ".join(
        p.text for p in docx.Document(report["targets"]["es"]["outputs"]["docx"]).paragraphs
    )
    assert "Todos los sindicatos" in translated
    assert not [q for q in report["targets"]["es"]["qa"] if q["check"] == "agreement"]

    # an OmegaT project, and what import says before OmegaT has translated anything
    done = cli("review", "export", str(out), "--omegat")
    assert done.returncode == 0, done.stderr
    project = review / f"{base}.omegat"
    assert f"wrote {project}/" in done.stdout
    assert (project / "omegat.project").is_file()
    done = cli("review", "import", str(project), "--dry-run")
    assert done.returncode == 1
    assert "the OmegaT project has no translations yet" in done.stderr
    assert "Traceback" not in done.stderr

    # a correction at the very end of a long sentence: import prints all of it
    document = docx.Document(str(review_docx))
    row = next(r for r in document.tables[0].rows[1:] if "Casapalca" in r.cells[1].text)
    row.cells[2].text = EDIT
    document.save(str(review_docx))
    done = cli("review", "import", str(review_docx), "--reviewer", "Ana", "--cache", str(cache))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "approved (edited) by Ana" in done.stdout
    printed = " ".join(done.stdout.split())
    assert f"now: {EDIT}" in printed
    assert all(len(line) <= 88 for line in done.stdout.splitlines() if "now:" in line)

    # the next run shows the approval apart from the memory
    done = cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 (1 approved, 2 from memory)" in done.stdout
