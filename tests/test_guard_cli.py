"""The guard through the CLI (end to end, slow): with only a looping es→en model installed,
``--engine auto`` gives Apertium output and ``--engine argos`` names the broken model; no file
ever carries looping text; a garbage package is refused and the working model keeps working;
``doctor`` reports a model that does not load."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import requires_apertium, requires_poppler
from tests.fixtures import argos_models as fx
from tests.fixtures import looping_models as lm

STATEMENT = """\
Solidaridad con los mineros de Casapalca

Los mineros de Casapalca exigen justicia. El sindicato convoca una huelga general.

Las familias piden agua limpia y salarios dignos. ¡Viva la lucha de los trabajadores!
"""
LOOP = re.compile(r"\b(\w+)(?: \1){2,}\b")


@pytest.fixture
def looping_only(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine whose es→en model loops (plus an identity en→ja one)."""
    folder = tmp_path / "packages"
    from pipeline.engines import argos_packages as models

    models.install_file(lm.build_looping_package("es", "en", tmp_path), folder, force=True)
    models.install_file(fx.cached_package("en", "ja"), folder)
    return {"ARGOS_PACKAGES_DIR": str(folder)}


@pytest.fixture
def statement(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "declaracion.txt"
    path.parent.mkdir()
    path.write_text(STATEMENT, encoding="utf-8")
    return path


def _text_of(path: Path) -> str:
    """Every word a reader could see in an output file."""
    if path.suffix == ".pdf":
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as archive:
            xml = " ".join(
                archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml")
            )
        return re.sub(r"<[^>]+>", "", xml)
    return path.read_text(encoding="utf-8", errors="replace")


def _no_loop_anywhere(out: Path) -> list[Path]:
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".docx", ".pdf", ".xlf")]
    for path in files:
        found = LOOP.search(_text_of(path))
        assert found is None, f"{path.name}: {found.group(0)!r}"
    return files


@requires_apertium
@requires_poppler
def test_auto_gives_apertium_output_with_the_degenerate_count(
    cli, tmp_path, looping_only, statement
) -> None:
    out = tmp_path / "out"
    result = cli(
        "translate", str(statement), "--to", "en", "--engine", "auto", "--review",
        "--out", str(out), "--json", "--no-glossary", env=looping_only,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["failed"] == []
    [warning] = payload["warnings"]
    assert warning.startswith("es→en: argos-es-en 1.0 produces repeated text (")
    assert f"warning: {warning}" in result.stderr.splitlines()
    report = json.loads(Path(payload["documents"][0]).read_text(encoding="utf-8"))
    target = report["targets"]["en"]
    assert target["engine"] == "apertium" and target["model"] == "apertium-spa-eng"
    assert 0 < target["degenerate"] <= target["segments"]["total"]
    assert target["degenerate_handling"]["fallback"] == target["degenerate"]
    assert any(q["check"] == "degenerate" for q in target["qa"])
    files = _no_loop_anywhere(out)
    assert {p.suffix for p in files} == {".docx", ".pdf", ".xlf"}
    assert "miners" in _text_of(out / "declaracion" / "declaracion.en.docx")
    review = out / "declaracion" / "review"
    review_docx = _text_of(review / "declaracion.es-en.review.docx")
    assert "degenerate" in review_docx and "this draft is from apertium" in review_docx
    with zipfile.ZipFile(review / "declaracion.es-en.review.docx") as archive:
        assert 'w:fill="FFE2A8"' in archive.read("word/document.xml").decode()  # amber rows
    assert "QA degenerate: argos-es-en 1.0" in _text_of(review / "declaracion.es-en.xlf")


@requires_poppler
def test_argos_writes_no_looping_text_and_names_the_broken_model(
    cli, tmp_path, looping_only, statement
) -> None:
    out = tmp_path / "out"
    result = cli(
        "translate", str(statement), "--to", "es,en,ja", "--engine", "argos", "--review",
        "--out", str(out), "--no-glossary", env=looping_only,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    en = [line for line in lines if line.startswith(f"{statement}: en: ")]
    ja = [line for line in lines if line.startswith(f"{statement}: ja: ")]
    assert len(en) == 1 and "argos-es-en 1.0 produces repeated text" in en[0], lines
    assert len(ja) == 1 and "argos-es-en+argos-en-ja 1.0+1.0 produces repeated text" in ja[0]
    assert "Traceback" not in result.stderr
    files = _no_loop_anywhere(out)
    assert {p.name for p in files} == {"declaracion.es.docx", "declaracion.es.pdf"}  # the original
    report = json.loads((out / "declaracion" / "report.json").read_text(encoding="utf-8"))
    assert "produces repeated text" in report["targets"]["en"]["error"]


def test_a_garbage_package_is_refused_and_the_working_model_stays(cli, tmp_path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "packages")}
    assert cli("models", "install", str(fx.cached_package("es", "en")), env=env).returncode == 0
    garbage = lm.build_garbage_package("es", "en", tmp_path, version="2.0")
    result = cli("models", "install", str(garbage), env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"pipeline: {garbage}: the package does not work: CTranslate2 cannot")
    listed = cli("models", "list", "--json", env=env)
    assert '"version": "1.0"' in listed.stdout and '"version": "2.0"' not in listed.stdout
    doc = tmp_path / "a.txt"
    doc.write_text("Los mineros de Casapalca exigen justicia.\n", encoding="utf-8")
    run = cli(
        "translate", str(doc), "--to", "en", "--engine", "argos", "--formats", "docx",
        "--out", str(tmp_path / "out"), "--no-glossary", "--allow-blocking", env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_doctor_reports_a_model_that_does_not_load(cli, tmp_path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "packages")}
    assert cli("models", "install", str(fx.cached_package("es", "en")), env=env).returncode == 0
    [installed] = (tmp_path / "packages").iterdir()
    (installed / "model" / "model.bin").write_bytes(b"\0garbage" * 64)
    result = cli("doctor", "--json", env=env)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    broken = checks["Argos es→en: argos-es-en 1.0 does not work"]
    assert broken["ok"] is False and "CTranslate2 cannot load" in broken["detail"]
    assert broken["fix"] == "pipeline models install es en"


def test_doctor_reports_a_model_that_loops(cli, tmp_path, looping_only) -> None:
    result = cli("doctor", "--json", env=looping_only)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    looping = checks["Argos es→en: argos-es-en 1.0 does not work"]
    assert "as repeated text" in looping["detail"]
    assert "Argos en→ja: argos-en-ja 1.0 does not work" not in checks


@requires_apertium
def test_auto_falls_back_in_one_line_when_the_model_does_not_load(cli, tmp_path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "packages")}
    assert cli("models", "install", str(fx.cached_package("es", "en")), env=env).returncode == 0
    [installed] = (tmp_path / "packages").iterdir()
    (installed / "model" / "model.bin").write_bytes(b"\0garbage" * 64)
    doc = tmp_path / "a.txt"
    doc.write_text("Los mineros de Casapalca exigen justicia.\n", encoding="utf-8")
    result = cli(
        "translate", str(doc), "--to", "en", "--formats", "docx", "--out", str(tmp_path / "out"),
        "--no-glossary", "--json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("warning: es→en: cannot load the Argos model argos-es-en")
    assert line.endswith("; using apertium instead")
    report = json.loads(Path(json.loads(result.stdout)["documents"][0]).read_text("utf-8"))
    assert report["targets"]["en"]["engine"] == "apertium"
