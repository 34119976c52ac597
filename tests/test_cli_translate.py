"""End-to-end through ``python -m pipeline translate``: outputs, report.json, exit codes, bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import docx
import pytest

from tests.conftest import requires_apertium


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@requires_apertium
def test_sample_statement_to_spanish_with_apertium(cli, tmp_path: Path, sample_statement: Path):
    before = _sha(sample_statement)
    proc = cli(
        "translate",
        str(sample_statement),
        "--to",
        "es",
        "--engine",
        "apertium",
        "--out",
        str(tmp_path / "out"),
    )
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "out" / "casapalca-miners.en"
    report = json.loads((folder / "report.json").read_text())
    assert report["source"]["sha256"] == before == _sha(sample_statement)
    assert report["source"]["format"] == "txt"
    assert report["detected"]["language"] == "en"
    es = report["targets"]["es"]
    assert es["engine"] == "apertium" and es["model"] == "apertium-eng-spa" and es["pivot"] is None
    assert es["segments"]["total"] == es["segments"]["machine_translated"] > 30
    assert es["segments"]["from_memory"] == 0
    assert isinstance(es["untranslated_words"], int)
    assert es["glossary"]["compliance"] >= 0.98, es["glossary"]["misses"]
    assert Path(es["outputs"]["docx"]).exists() and Path(es["outputs"]["pdf"]).exists()
    text = "\n".join(p.text for p in docx.Document(es["outputs"]["docx"]).paragraphs)
    assert "mineros" in text and "*" not in text
    pdf = subprocess.run(
        ["pdftotext", es["outputs"]["pdf"], "-"], capture_output=True, text=True
    ).stdout
    assert "mineros" in pdf
    assert not list(folder.glob("*.part"))


@requires_apertium
def test_source_docs_default_run(cli, tmp_path: Path):
    """The README's main job: en↔es with Apertium, Japanese exported as itself."""
    out = tmp_path / "out"
    proc = cli("translate", "--out", str(out), "--json", "--engine", "apertium")
    data = json.loads(proc.stdout)
    assert len(data["documents"]) == 3
    for stem, lang in [
        ("solidarity-statement", "es"),
        ("declaracion-solidaridad", "en"),
        ("seimei-ja", "ja"),
    ]:
        assert (out / stem / f"{stem}.{lang}.docx").exists()
        assert (out / stem / f"{stem}.{lang}.pdf").exists()
    # Pairs Apertium cannot do are reported one per line, and the exit code says so.
    reasons = [f["reason"] for f in data["failed"]]
    assert reasons and all("Apertium cannot translate" in r for r in reasons)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == len(data["failed"])


def test_usage_errors_exit_2(cli):
    assert cli("translate", "--to", "xx").returncode == 2
    assert cli("translate", "--formats", "rtf").returncode == 2
    assert cli("translate", "--bogus").returncode == 2
    assert cli("translate", "--engine", "libretranslate").returncode == 2
    proc = cli()
    assert proc.returncode == 2


def test_help_is_complete(cli):
    out = cli("translate", "--help").stdout
    for flag in (
        "--to",
        "--from",
        "--formats",
        "--out",
        "--glossary",
        "--engine",
        "--jobs",
        "--json",
        "--force",
    ):
        assert flag in out


@requires_apertium
def test_bad_inputs_one_line_each_and_the_batch_goes_on(cli, tmp_path: Path, source_docs: Path):
    src = tmp_path / "in"
    src.mkdir()
    good = src / "good.md"
    good.write_text((source_docs / "solidarity-statement.md").read_text())
    (src / "empty.txt").write_bytes(b"")
    (src / "garbage.txt").write_bytes(bytes(range(256)) * 8)
    (src / "cut.docx").write_bytes(
        (source_docs / "declaracion-solidaridad.docx").read_bytes()[:3000]
    )
    (src / "notes.pages").write_text("{\\rtf1 hello}")  # .rtf is a supported input now
    missing = tmp_path / "missing.txt"
    hashes = {p: _sha(p) for p in src.iterdir()}
    out = tmp_path / "out"
    proc = cli(
        "translate",
        str(src),
        str(src / "notes.pages"),
        str(missing),
        "--to",
        "es,ja",
        "--engine",
        "apertium",
        "--out",
        str(out),
        "--json",
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    expected = {
        "empty.txt": "empty",
        "garbage.txt": "binary",
        "cut.docx": "damaged or truncated",
        "notes.pages": "unsupported file type",
        "missing.txt": "no such file",
        "good.md": "Apertium cannot translate en→ja",
    }
    for name, reason in expected.items():
        assert any(name in line and reason in line for line in lines), (name, lines)
    assert (out / "good" / "good.es.docx").exists() and (out / "good" / "good.es.pdf").exists()
    assert {p: _sha(p) for p in src.iterdir()} == hashes
    assert not list(out.rglob("*.part"))


def test_output_folder_that_cannot_be_written(cli, tmp_path: Path, source_docs: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    proc = cli("translate", str(source_docs / "seimei-ja.txt"), "--to", "ja", "--out", str(blocker))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "seimei-ja.txt" in proc.stderr and "cannot write" in proc.stderr


def test_identity_export_of_japanese(cli, tmp_path: Path, source_docs: Path):
    proc = cli(
        "translate",
        str(source_docs / "seimei-ja.txt"),
        "--to",
        "ja",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "seimei-ja" / "report.json").read_text())
    assert report["detected"]["language"] == "ja"
    assert report["targets"]["ja"]["engine"] == "identity"
    assert report["targets"]["ja"]["segments"]["machine_translated"] == 0


@pytest.mark.parametrize("engine", ["argos"])
def test_engine_without_models_is_a_clear_error(
    cli, tmp_path: Path, source_docs: Path, engine: str
):
    proc = cli(
        "translate",
        str(source_docs / "solidarity-statement.md"),
        "--to",
        "ja",
        "--engine",
        engine,
        "--out",
        str(tmp_path),
        env={"ARGOS_PACKAGES_DIR": str(tmp_path / "no-models")},
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "en→ja" in proc.stderr


@requires_apertium
def test_translate_with_leaflet_layouts(cli, tmp_path: Path, sample_statement: Path):
    for layout, name in [
        ("leaflet-a5", "casapalca-miners.en.es.leaflet-a5.pdf"),
        ("bilingual", "casapalca-miners.en.en-es.bilingual.pdf"),
    ]:
        proc = cli(
            "translate",
            str(sample_statement),
            "--to",
            "es",
            "--engine",
            "apertium",
            "--layout",
            layout,
            "--out",
            str(tmp_path),
            "--formats",
            "docx",
        )
        assert proc.returncode == 0, proc.stderr
        folder = tmp_path / "casapalca-miners.en"
        report = json.loads((folder / "report.json").read_text())
        leaflet = report["targets"]["es"]["leaflet"]
        assert Path(report["targets"]["es"]["outputs"][layout]) == folder / name
        assert (folder / name).exists() and leaflet["pages"] >= 1
        assert leaflet["overflow"] is None or "overflows" in leaflet["overflow"]


def test_two_up_needs_a5(cli, tmp_path: Path, source_docs: Path):
    proc = cli(
        "translate",
        str(source_docs / "seimei-ja.txt"),
        "--to",
        "ja",
        "--two-up",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 2 and "--two-up" in proc.stderr


@requires_apertium
def test_drafts_carry_whole_markers_when_the_engine_splits_a_span(cli, tmp_path: Path):
    """Apertium splits "<g1>huelga indefinida</g1>" around its reordering; the stored draft
    (review files, QA, memory) has the span whole again and QA finds nothing to flag."""
    src = tmp_path / "huelga.md"
    src.write_text("Los trabajadores siguen en *huelga indefinida*.\n", encoding="utf-8")
    proc = cli(
        "translate",
        str(src),
        "--to",
        "en",
        "--from",
        "es",
        "--engine",
        "apertium",
        "--out",
        str(tmp_path / "o"),
        "--formats",
        "docx",
    )
    assert proc.returncode == 0, proc.stderr
    sidecar = json.loads(
        (tmp_path / "o" / "huelga" / "review" / "huelga.es-en.segments.json").read_text()
    )
    target = sidecar["segments"][0]["target"]
    assert target.count("<g1>") == 1 and target.count("</g1>") == 1
    report = json.loads((tmp_path / "o" / "huelga" / "report.json").read_text())
    assert not [q for q in report["targets"]["en"]["qa"] if "marker" in q["detail"]]
