"""The glossary is found from the inputs, not from the folder the command runs in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.glossary import discovery
from tests.conftest import ROOT, SAMPLE, requires_apertium


def _campaign(base: Path) -> Path:
    """~/campaign: a project (git) with its glossary and statements in subfolders."""
    campaign = base / "campaign"
    (campaign / ".git").mkdir(parents=True)
    (campaign / "source_docs" / "2026").mkdir(parents=True)
    shutil.copy(ROOT / "glossary.yml", campaign / "glossary.yml")
    shutil.copy(SAMPLE, campaign / "source_docs" / "2026" / "casapalca.txt")
    return campaign


def test_nearest_glossary_in_a_parent_up_to_the_project_root(tmp_path: Path) -> None:
    campaign = _campaign(tmp_path)
    statement = campaign / "source_docs" / "2026" / "casapalca.txt"
    found = discovery.resolve([statement], home=tmp_path)
    assert found.path == (campaign / "glossary.yml").resolve()
    nearer = campaign / "source_docs" / "glossary.yml"
    nearer.write_text("version: 1\nterms: []\n", encoding="utf-8")
    assert discovery.resolve([campaign / "source_docs"], home=tmp_path).path == nearer.resolve()


def test_the_search_stops_at_the_project_root(tmp_path: Path) -> None:
    """A glossary above the project (a .git folder) belongs to something else."""
    (tmp_path / "glossary.yml").write_text("version: 1\nterms: []\n", encoding="utf-8")
    project = tmp_path / "other"
    (project / "docs").mkdir(parents=True)
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    found = discovery.resolve([project / "docs"], home=tmp_path.parent)
    assert found.path is None
    assert found.searched[-1] == project.absolute()
    assert "searched their folders up to" in discovery.missing_warning(found)


def test_the_home_folder_is_the_last_searched(tmp_path: Path) -> None:
    (tmp_path / "glossary.yml").write_text("version: 1\nterms: []\n", encoding="utf-8")
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    assert discovery.resolve([home / "notes"], home=home).path is None


def test_inputs_with_different_glossaries_are_refused(tmp_path: Path) -> None:
    a, b = _campaign(tmp_path / "a"), _campaign(tmp_path / "b")
    with pytest.raises(discovery.AmbiguousGlossary) as err:
        discovery.resolve([a / "source_docs", b / "source_docs"], home=tmp_path)
    assert "--glossary FILE" in str(err.value)
    assert str(a / "source_docs") in str(err.value) and str(b / "source_docs") in str(err.value)


@requires_apertium
def test_run_from_another_folder_uses_the_inputs_glossary(cli, tmp_path: Path) -> None:
    campaign = _campaign(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ["translate", str(campaign / "source_docs"), "--to", "es", "--formats", "docx"]
    done = cli(*args, "--out", str(tmp_path / "out"), "--json", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["glossary"] == str((campaign / "glossary.yml").resolve())
    report = json.loads(Path(result["documents"][0]).read_text(encoding="utf-8"))
    assert report["targets"]["es"]["glossary"]["occurrences"] > 0
    assert "warning: no glossary.yml" not in done.stderr
    summary = cli(*args, "--out", str(tmp_path / "out2"), cwd=elsewhere)
    assert f"Glossary: {(campaign / 'glossary.yml').resolve()}" in summary.stdout


@requires_apertium
def test_no_glossary_found_is_a_warning_and_explicit_choices_win(cli, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    shutil.copy(SAMPLE, project / "casapalca.txt")
    args = ["translate", str(project / "casapalca.txt"), "--to", "es", "--formats", "docx"]
    done = cli(*args, "--out", str(tmp_path / "o1"), cwd=project)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "no glossary.yml" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ")
    assert "Glossary: none found" in done.stdout
    quiet = cli(*args, "--no-glossary", "--out", str(tmp_path / "o2"), cwd=project)
    assert "glossary" not in quiet.stderr.lower() and "--no-glossary" in quiet.stdout
    given = cli(*args, "--glossary", str(ROOT / "glossary.yml"), "--out", str(tmp_path / "o3"))
    assert given.returncode == 0 and f"Glossary: {ROOT / 'glossary.yml'}" in given.stdout


@requires_apertium
def test_the_glossary_beside_the_sources_is_not_named_as_an_unsupported_file(
    cli, tmp_path: Path
) -> None:
    campaign = _campaign(tmp_path)
    docs = campaign / "source_docs"
    shutil.copy(campaign / "glossary.yml", docs / "glossary.yml")  # the nearest: the run's
    (docs / "photo.jpg").write_bytes(b"\xff\xd8\xff")  # still named: not the glossary
    done = cli("translate", str(docs), "--to", "es", "--formats", "docx",
               "--out", str(tmp_path / "out"), cwd=campaign)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{docs}: 1 unsupported file not read: photo.jpg" in done.stderr.splitlines()
    assert f"Glossary: {(docs / 'glossary.yml').resolve()}" in done.stdout
