"""A document with one failed target is not rebuilt on every run: its other targets, made
from the same inputs and with every file intact, are kept as they are (report.json entry
included); only the failed target is tried again, and the exit code still says it failed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SAMPLE, requires_apertium

pytestmark = requires_apertium


def _times(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(out.glob("*/*.es.*"))}


def test_failed_target_does_not_rebuild_the_others(cli, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "statement.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    args = ["translate", str(src), "--to", "es,ja", "--engine", "apertium", "--out", str(out)]
    first = cli(*args)
    assert first.returncode == 1 and "ja: Apertium cannot translate en→ja" in first.stderr
    written = _times(out)
    assert set(written) == {"statement.es.docx", "statement.es.pdf"}

    again = cli(*args)
    assert again.returncode == 1  # ja still fails, and says so
    assert "ja: Apertium cannot translate en→ja" in again.stderr
    assert "outputs up to date, kept" in again.stdout
    assert _times(out) == written  # es not written again
    report = json.loads((out / "statement" / "report.json").read_text(encoding="utf-8"))
    es = report["targets"]["es"]
    assert set(es["outputs"]) == {"docx", "pdf"} and "error" not in es
    assert "error" in report["targets"]["ja"]
    assert set(es["outputs"].values()) <= set(report["fingerprint"]["files"])

    (out / "statement" / "statement.es.pdf").unlink()  # a file gone: that target is rebuilt
    third = cli(*args)
    assert third.returncode == 1
    assert (out / "statement" / "statement.es.pdf").is_file()
    assert "outputs up to date, kept" not in third.stdout

    forced = cli(*args, "--force")
    assert forced.returncode == 1
    assert _times(out)["statement.es.docx"] != written["statement.es.docx"]
