"""Unsure detections are shown (a summary mark, one stderr line with the fix), and the export
into a document's own language never runs an engine on a misdetected block."""

from __future__ import annotations

import json
from pathlib import Path

import docx

from pipeline.cli.summary import unsure_warnings
from pipeline.engines.registry import EngineSet
from pipeline.run import run_batch
from tests.conftest import DATA, requires_apertium
from tests.fixtures.stages import batch

EN = (DATA / "casapalca-miners.en.txt").read_text(encoding="utf-8").split("\n\n")
ES = (DATA / "casapalca-miners.es.txt").read_text(encoding="utf-8").split("\n\n")
# An English statement whose signature and meeting lines hold Spanish names: "Plaza Dos de
# Mayo" makes its line look Spanish (0.90), the two last lines look Spanish but unsure.
SIGNED = [
    *EN[:6],
    "Saturday, Plaza Dos de Mayo",
    "Mina Casapalca, Huarochirí",
    "Lucha de clases",
]


def _docx_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


@requires_apertium
def test_a_bilingual_bulletin_is_unsure_and_says_how_to_fix_it(cli, tmp_path: Path) -> None:
    bulletin = tmp_path / "bulletin.txt"
    bulletin.write_text("\n\n".join(EN[:3] + ES[:3]) + "\n", encoding="utf-8")
    args = ["translate", str(bulletin), "--to", "en,es", "--formats", "docx"]
    done = cli(*args, "--out", str(tmp_path / "o"), "--no-glossary")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "unsure" in line]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"warning: {bulletin}: language detection is unsure")
    assert "--from es" in lines[0] or "--from en" in lines[0]
    assert "?→es" in done.stdout and "language unsure" in done.stdout
    as_json = cli(*args, "--out", str(tmp_path / "o2"), "--no-glossary", "--json")
    assert any("unsure" in w for w in json.loads(as_json.stdout)["warnings"])
    fixed = cli(*args, "--out", str(tmp_path / "o3"), "--no-glossary", "--from", "en")
    assert "unsure" not in fixed.stderr


@requires_apertium
def test_misdetected_blocks_never_send_the_original_language_through_an_engine(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "signed.txt").write_text("\n\n".join(SIGNED) + "\n", encoding="utf-8")
    options = batch(paths=[src], targets=["en", "es"], formats=["docx"], out_dir=tmp_path / "o")
    result = run_batch(options, engines=EngineSet.with_engines("apertium", {}))
    report = json.loads((tmp_path / "o" / "signed" / "report.json").read_text(encoding="utf-8"))
    en = report["targets"]["en"]
    assert en["engine"] == "identity" and en["segments"]["machine_translated"] == 0
    text = _docx_text(tmp_path / "o" / "signed" / "signed.en.docx")
    for line in SIGNED[6:]:
        assert line in text  # the original as written
    actions = {b["index"]: b["action"] for b in report["targets"]["es"]["foreign_blocks"]}
    assert actions[7] == actions[8] == "treated as en (unsure detection)"
    (line,) = unsure_warnings(result)
    assert "2 blocks of unsure language treated as English" in line and "block 8" in line
