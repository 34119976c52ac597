"""PDF through LibreOffice headless: failures are one line, the target is written atomically."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.export import libreoffice


def _fake_soffice(tmp_path: Path, body: str) -> str:
    script = tmp_path / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "statement.docx"
    path.write_bytes(b"not really a docx")
    return path


def test_missing_libreoffice(monkeypatch: pytest.MonkeyPatch, document: Path) -> None:
    monkeypatch.setattr(libreoffice, "soffice_binary", lambda: None)
    with pytest.raises(PipelineError, match="LibreOffice is not installed.*apt-get install"):
        libreoffice.write_pdf(document, document.with_suffix(".pdf"))


def test_failure_is_one_line(monkeypatch: pytest.MonkeyPatch, document: Path) -> None:
    fake = _fake_soffice(
        document.parent, 'echo "Error: source file could not be loaded" >&2\nexit 1'
    )
    monkeypatch.setattr(libreoffice, "soffice_binary", lambda: fake)
    target = document.with_suffix(".pdf")
    with pytest.raises(PipelineError) as caught:
        libreoffice.write_pdf(document, target)
    message = str(caught.value)
    assert "\n" not in message
    assert "statement.docx" in message and "could not be loaded" in message
    assert not target.exists()


def test_timeout_is_one_line(monkeypatch: pytest.MonkeyPatch, document: Path) -> None:
    fake = _fake_soffice(document.parent, "sleep 30")
    monkeypatch.setattr(libreoffice, "soffice_binary", lambda: fake)
    with pytest.raises(PipelineError, match="did not finish .* within 1 s"):
        libreoffice.write_pdf(document, document.with_suffix(".pdf"), timeout=1)


def test_writes_what_libreoffice_made(monkeypatch: pytest.MonkeyPatch, document: Path) -> None:
    # The fake converter writes OUTDIR/document.pdf as soffice does (args: ... --outdir DIR FILE).
    body = (
        'while [ "$1" != "--outdir" ]; do shift; done\nprintf "%%PDF-1.4 fake" > "$2/document.pdf"'
    )
    fake = _fake_soffice(document.parent, body)
    monkeypatch.setattr(libreoffice, "soffice_binary", lambda: fake)
    target = document.parent / "out" / "statement.es.pdf"
    libreoffice.write_pdf(document, target)
    assert target.read_bytes() == b"%PDF-1.4 fake"
    assert not list(target.parent.glob("*.part"))
