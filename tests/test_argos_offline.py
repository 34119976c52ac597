"""Offline guarantee: install from files and translate with every connection refused."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.fixtures import argos_models as fx

SPANISH_STATEMENT = """\
# Solidaridad con Casapalca

Los mineros de **Casapalca** y la FSTMB exigen justicia. ¿Dónde está el Sr. Quispe?

El 12 de marzo de 2024, 1.250 trabajadores pararon a las 06:30. ¡Viva la lucha!
"""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every outgoing connection raises; the attempts are recorded."""
    attempts: list[tuple] = []

    def refuse(self, address, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        attempts.append(address)
        raise OSError(f"network blocked by the offline test: {address}")

    def refuse_create(address, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        attempts.append(address)
        raise OSError(f"network blocked by the offline test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_create)
    return attempts


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "argos-packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder))
    monkeypatch.setenv("PIPELINE_CACHE", str(tmp_path / "memory.sqlite3"))
    return folder


def install_with_cli(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(fx.cached_package(s, t)) for s, t in (("es", "en"), ("en", "ja"), ("en", "es"))]
    assert main(["models", "install", *files]) == 0
    assert "installed en→ja: argos-en-ja 1.0" in capsys.readouterr().out


def test_engine_offline_with_pivot(
    packages: Path, no_network: list[tuple], capsys: pytest.CaptureFixture[str]
) -> None:
    # The packages are built before the network goes away (building opens no socket either).
    for pair in (("es", "en"), ("en", "ja"), ("en", "es")):
        fx.cached_package(*pair)
    install_with_cli(capsys)
    from pipeline.engines.argos import ArgosEngine

    engine = ArgosEngine()
    assert engine.route("es", "ja").pivot == "en"
    texts = ["¿Dónde están los 43 de Ayotzinapa?", "「労働組合」と FSTMB、1.250 trabajadores."]
    assert [t.text for t in engine.translate(texts, "es", "ja")] == texts
    assert no_network == []


def _docx_paragraphs(path: Path) -> list[tuple[str, list[str]]]:
    import docx

    document = docx.Document(str(path))
    return [
        (p.text, [r.text for r in p.runs if r.bold]) for p in document.paragraphs if p.text.strip()
    ]


@pytest.mark.slow
def test_pipeline_translate_offline_end_to_end(
    packages: Path,
    no_network: list[tuple],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for pair in (("es", "en"), ("en", "ja"), ("en", "es")):
        fx.cached_package(*pair)
    install_with_cli(capsys)
    source = tmp_path / "docs" / "solidaridad.md"
    source.parent.mkdir()
    source.write_text(SPANISH_STATEMENT, encoding="utf-8")
    out = tmp_path / "out"

    arguments = [
        "translate",
        str(source),
        "--from",
        "es",
        "--to",
        "en,ja",
        "--engine",
        "argos",
        "--formats",
        "docx,pdf",
        "--allow-blocking",  # identity models: their drafts are the source language, blocked
        "--out",
        str(out),
        "--no-glossary",  # exact text below; tests/test_glossary_argos.py covers the glossary
    ]
    code = main(arguments)
    assert code == 0, capsys.readouterr()
    report = json.loads((out / "solidaridad" / "report.json").read_text(encoding="utf-8"))
    en, ja = report["targets"]["en"], report["targets"]["ja"]
    assert (en["engine"], en["model"], en["pivot"]) == ("argos", "argos-es-en", None)
    assert (ja["engine"], ja["model"], ja["pivot"]) == ("argos", "argos-es-en+argos-en-ja", "en")
    assert ja["segments"]["machine_translated"] == ja["segments"]["total"] > 0
    for lang in ("en", "ja"):
        assert (out / "solidaridad" / f"solidaridad.{lang}.pdf").stat().st_size > 0
    # Identity models: the translated documents hold exactly the source text and its bold run.
    source_docx = out / "source.docx"
    import pypandoc

    pypandoc.convert_file(str(source), "docx", outputfile=str(source_docx))
    expected = [text for text, _ in _docx_paragraphs(source_docx)]
    for lang in ("en", "ja"):
        paragraphs = _docx_paragraphs(out / "solidaridad" / f"solidaridad.{lang}.docx")
        # The copied text is Spanish: in the Japanese document too, Latin sentences keep the
        # space between them (only Japanese sentences are joined without one).
        assert [text for text, _ in paragraphs] == expected
        assert any("Casapalca" in bold for _, runs in paragraphs for bold in runs)
    # Run again into the same folder: nothing changed, so the document is not rebuilt.
    assert main(arguments) == 0
    kept = json.loads((out / "solidaridad" / "report.json").read_text(encoding="utf-8"))
    assert kept["unchanged"] is True
    # Into another folder, it is rebuilt, and nothing is machine-translated: every segment comes
    # from the memory.
    other = tmp_path / "out2"
    assert main([*arguments[:-2], str(other), "--no-glossary"]) == 0
    again = json.loads((other / "solidaridad" / "report.json").read_text(encoding="utf-8"))
    for lang in ("en", "ja"):
        segments = again["targets"][lang]["segments"]
        assert segments["machine_translated"] == 0
        assert segments["from_memory"] == segments["total"] > 0
    assert no_network == []


def _network_namespace_works() -> bool:
    import shutil
    import subprocess

    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.slow
def test_pipeline_cli_in_a_network_namespace(tmp_path: Path) -> None:
    """The whole CLI, pandoc and typst included, in a namespace with no network at all."""
    import os
    import subprocess
    import sys

    if not _network_namespace_works():
        pytest.skip("cannot create a network namespace here (needs unshare and privileges)")
    repo = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "ARGOS_PACKAGES_DIR": str(tmp_path / "argos-packages"),
        "PIPELINE_CACHE": str(tmp_path / "memory.sqlite3"),
    }
    files = [str(fx.cached_package(s, t)) for s, t in (("es", "en"), ("en", "ja"))]
    source = tmp_path / "solidaridad.md"
    source.write_text(SPANISH_STATEMENT, encoding="utf-8")

    def offline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["unshare", "-n", sys.executable, "-m", "pipeline", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    installed = offline("models", "install", *files)
    assert installed.returncode == 0, installed.stderr
    defaults = offline("models", "install", "--defaults")
    assert defaults.returncode == 0 and "cannot reach the Argos package index" in defaults.stdout
    out = tmp_path / "out"
    done = offline(
        "translate", str(source), "--from", "es", "--to", "ja", "--engine", "argos",
        "--out", str(out), "--json", "--allow-blocking",  # identity model: blocked drafts
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "solidaridad" / "report.json").read_text(encoding="utf-8"))
    assert report["targets"]["ja"]["pivot"] == "en"
    assert (out / "solidaridad" / "solidaridad.ja.pdf").stat().st_size > 0
    assert (out / "solidaridad" / "solidaridad.ja.docx").stat().st_size > 0
