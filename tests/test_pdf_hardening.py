"""Hostile PDFs (issue 21): decompression bombs, a page of 20 000 lines, encryption.

Each is read in a fresh subprocess so that its peak memory can be asserted: every bomb is
refused in one line, well within 500 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.ingest import read_document
from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits
from pipeline.ingest.pdf import read_pdf
from tests.fixtures import hostile_pdf

ROOT = Path(__file__).resolve().parent.parent
_READ = """
import json, sys, time
from pathlib import Path
from pipeline.ingest import read_document
from tests.fixtures.memory import own_peak_mb
start = time.monotonic()
try:
    doc = read_document(Path(sys.argv[1]))
    outcome = {"blocks": [b.text for b in doc.blocks], "notes": doc.notes}
except Exception as exc:
    outcome = {"error": str(exc), "type": type(exc).__name__}
outcome["seconds"] = time.monotonic() - start
outcome["rss_mb"] = own_peak_mb()
print(json.dumps(outcome))
"""


def _read_fresh(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow  # a fresh interpreter, its peak memory measured
def test_flate_bomb_is_refused_within_memory(tmp_path: Path) -> None:
    bomb = hostile_pdf.flate_bomb(tmp_path / "bomb.pdf", mb=1024)
    assert bomb.stat().st_size < 1_200_000
    outcome = _read_fresh(bomb)
    assert outcome["type"] == "ReadError"
    assert outcome["error"].startswith("the PDF has a stream that decodes to more than 100 MB")
    assert "PIPELINE_MAX_PDF_STREAM_MB=100" in outcome["error"]
    assert outcome["rss_mb"] < 500


def test_streams_together_past_the_document_limit_are_refused(tmp_path: Path) -> None:
    pdf = hostile_pdf.many_streams(tmp_path / "streams.pdf", streams=4, mb=20)
    with pytest.raises(ReadError, match=r"PIPELINE_MAX_PDF_DECODED_MB=60\)$"):
        read_pdf(pdf.read_bytes(), Limits(max_pdf_decoded_mb=60))
    assert read_pdf(pdf.read_bytes(), Limits()).blocks[0].text == "Many streams."


@pytest.mark.slow  # a fresh interpreter, its peak memory measured
def test_page_of_20000_lines_is_refused_within_memory(tmp_path: Path) -> None:
    page = hostile_pdf.huge_page(tmp_path / "page.pdf", lines=20_000)
    outcome = _read_fresh(page)
    assert outcome["error"] == (
        "page 1 of the PDF has more than 100000 characters of text "
        "(limit PIPELINE_MAX_PDF_PAGE_CHARS=100000)"
    )
    assert outcome["rss_mb"] < 500
    with pytest.raises(ReadError, match=r"draws \d+ objects .*PIPELINE_MAX_PDF_PAGE_OBJECTS"):
        read_pdf(page.read_bytes(), Limits(max_pdf_page_objects=10_000))


def test_pdf_encrypted_with_an_empty_user_password_is_read(tmp_path: Path) -> None:
    pdf = hostile_pdf.encrypted(tmp_path / "open.pdf", "", "The miners are free.")
    doc = read_document(pdf)
    assert [b.text for b in doc.blocks] == ["The miners are free."]
    assert doc.notes == ["the PDF is encrypted with an empty password: read without one"]


def test_pdf_with_a_user_password_is_refused_in_one_line(tmp_path: Path) -> None:
    pdf = hostile_pdf.encrypted(tmp_path / "locked.pdf", "secret")
    with pytest.raises(ReadError) as caught:
        read_document(pdf)
    assert str(caught.value) == "the PDF is encrypted with a password: give an unprotected copy"
