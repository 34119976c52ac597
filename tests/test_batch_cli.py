"""What batch users trip over on the command line (issue 15): progress bars that finish, one
line per missing language pair with both fixes, true closing lines, ``doctor``'s bottom line,
help texts with values, option conflicts caught before any work, and the summary table
(formatting marks, leaflet pages). Also the sentence gaps of joined Japanese output."""

from __future__ import annotations

import argparse
import io
import json
import re
from pathlib import Path

import pytest

from pipeline.cli import build_parser, main
from pipeline.cli.summary import closing_line, failure_lines, print_summary
from pipeline.doctor import Check, Direction, bottom_line, directions, run_checks
from pipeline.document import Block, Document, Span
from pipeline.engines.registry import EngineSet
from pipeline.jobs import DocumentReport, Progress, RunResult, Source, TargetReport
from pipeline.run import run_batch
from pipeline.segment import join_segments, rebuild_block, segment_document
from tests.conftest import requires_apertium
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import batch

EN_TEXT = (
    "Free the Casapalca miners\n\n"
    "The police arrested three union leaders. They are in jail. They are in jail.\n\n"
    "We demand their immediate release. Solidarity across borders!\n"
)


class Recording(Progress):
    def __init__(self) -> None:
        self.total_outputs = self.total_segments = self.outputs = self.segments = 0

    def start(self, outputs: int, segments: int) -> None:
        self.total_outputs, self.total_segments = outputs, segments

    def segments_done(self, n: int) -> None:
        self.segments += n

    def output_done(self, description: str) -> None:
        self.outputs += 1


def _statements(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"statement{i}.txt"
        path.write_text(EN_TEXT, encoding="utf-8")
        paths.append(path)
    return paths


def _run(tmp_path: Path, engine: BracketEngine, targets: list[str], n: int = 3) -> tuple:
    _statements(tmp_path / "src", n)
    options = batch(
        [tmp_path / "src"], tmp_path / "out", targets=targets, formats=["docx"],
        allow_blocking=True,  # the bracket engine's ⟦words⟧ look like English to QA
    )  # fmt: skip
    progress = Recording()
    result = run_batch(options, progress, EngineSet.with_engines("test", {"test": engine}))
    return result, progress


# ---- progress ----------------------------------------------------------------------------------
def test_progress_bars_end_full_with_repeats_and_a_pair_no_engine_covers(tmp_path: Path) -> None:
    """Repeated sentences go to the engine once and en→ja has no engine: the segments bar
    still ends at its total (it stopped at 82/216 before)."""
    result, progress = _run(tmp_path, BracketEngine(pairs=[("en", "es")]), ["en", "es", "ja"])
    assert progress.total_segments > 0
    assert progress.segments == progress.total_segments
    assert progress.outputs == progress.total_outputs == 3 * 3
    assert result.failures  # ja failed for every document


def test_progress_counts_foreign_blocks_in_the_source_language_target(tmp_path: Path) -> None:
    """A Spanish block inside an English statement is translated for the en target too: the
    bar's total includes it, and ends full."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "mixed.txt").write_text(
        EN_TEXT + "\n«¡El pueblo unido jamás será vencido! Lo gritamos en todas las calles.»\n",
        encoding="utf-8",
    )
    options = batch([src], tmp_path / "o", targets=["en", "es"], formats=["docx"])
    progress = Recording()
    run_batch(options, progress, EngineSet.with_engines("test", {"test": BracketEngine()}))
    assert progress.segments == progress.total_segments > 0


# ---- failures and closing lines ----------------------------------------------------------------
def test_a_missing_pair_is_one_line_with_both_fixes(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, BracketEngine(pairs=[("en", "es")]), ["es", "ja"])
    assert len(result.failures) == 3  # report.json and --json keep one entry per document
    lines = failure_lines(result)
    assert len(lines) == 1, lines
    line = lines[0]
    assert "en→ja" in line and "3 documents" in line
    assert "`pipeline models install en ja`" in line
    assert "`pipeline models install FILE.argosmodel`" in line
    for i in range(3):
        assert f"statement{i}.txt" in line


def test_single_failures_keep_their_path_first(tmp_path: Path) -> None:
    result = RunResult()
    from pipeline.jobs import Failure

    result.failures = [Failure("a.txt", "empty file"), Failure("b.rtf", "unsupported")]
    assert failure_lines(result) == ["a.txt: empty file", "b.rtf: unsupported"]


def test_closing_line_says_outputs_only_when_some_were_written(tmp_path: Path) -> None:
    written, _ = _run(tmp_path / "a", BracketEngine(pairs=[("en", "es")]), ["es"], n=1)
    line = closing_line(written)
    assert line is not None and line.startswith("Outputs and report.json under")
    nothing, _ = _run(tmp_path / "b", BracketEngine(pairs=[("en", "es")]), ["ja"], n=1)
    assert nothing.reports  # report.json was written, saying why
    line = closing_line(nothing)
    assert line is not None and line.startswith("No outputs written")
    assert closing_line(RunResult()) is None


# ---- summary table -----------------------------------------------------------------------------
def _summary(result: RunResult) -> str:
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_summary(result, 1.0)
    return buf.getvalue()


def _doc_with(*targets: TargetReport) -> DocumentReport:
    source = Source(path=Path("s.txt"), stem="s", out_dir=Path("out/s"))
    return DocumentReport(source, "en", targets={t.lang: t for t in targets})


def test_repaired_formatting_marks_read_as_done_not_as_a_problem() -> None:
    one = TargetReport(lang="es", total=1, markers_repaired=1)
    two = TargetReport(lang="es", total=1, markers_repaired=2, untranslated=("w",))
    out_one = _summary(RunResult(documents=[_doc_with(one)]))
    out_two = _summary(RunResult(documents=[_doc_with(two)]))
    assert "1 formatting mark put back" in out_one and "marks repaired" not in out_one
    assert "2 formatting marks put back" in out_two and "1 untranslated word" in out_two
    assert "1 untranslated words" not in out_two


def test_summary_shows_leaflet_pages_and_fit() -> None:
    fits = TargetReport(
        lang="es",
        total=1,
        leaflet={"pages": 2, "font_size": 8.5, "overflow": None, "overflow_pages": 0},
    )
    over = TargetReport(
        lang="ja",
        total=1,
        leaflet={
            "pages": 3,
            "font_size": 7.5,
            "overflow": "overflows one sheet (front and back) by 0.4 page",
            "overflow_pages": 0.4,
            "suggestion": "fits on A4 at 9 pt (--layout leaflet-a4)",
        },
    )
    text = _summary(RunResult(documents=[_doc_with(fits, over)]))
    assert "leaflet" in text.splitlines()[1] or "leaflet" in text
    assert "2 p, 8.5 pt" in text
    assert "3 p, 7.5 pt: overflows; fits on A4 at 9 pt" in text
    failed = TargetReport(lang="es", error="no engine can translate en→es")
    rows = [
        r
        for r in _summary(RunResult(documents=[_doc_with(failed, over)])).splitlines()
        if "en→es" in r
    ]
    cells = [c.strip() for c in rows[0].split("│")[1:-1]]
    assert cells[-1] == "no engine can translate en→es" and cells[-2] == "-"  # not in "leaflet"
    plain = _summary(RunResult(documents=[_doc_with(TargetReport(lang="es", total=1))]))
    assert "leaflet" not in plain  # no column without leaflets


# ---- option conflicts, help --------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--bleed"], "--bleed applies to leaflets: add --layout"),
        (["--bw", "--bleed"], "--bleed and --bw apply to leaflets"),
        (["--layout", "leaflet-a5", "--two-up", "--bleed"], "--two-up works only with"),
        (["--layout", "leaflet-a4", "--two-up"], "--two-up works only with"),
        (["--two-up"], "--two-up works only with"),
        (["--url", "http://127.0.0.1:5000"], "--url is for a LibreTranslate server"),
        (["--api-key", "k"], "--api-key is for a LibreTranslate server"),
        (["--engine", "libretranslate"], "needs --url"),
        (["--no-glossary", "--glossary", "g.yml"], "contradict each other"),
    ],
)
def test_option_conflicts_are_usage_errors_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    src = _statements(tmp_path / "src", 1)[0]
    out = tmp_path / "out"
    code = main(["translate", str(src), "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and err.count("\n") == 1
    assert not out.exists()  # nothing was read, translated or written


def _help_texts() -> dict[str, str]:
    parser = build_parser()
    texts = {}

    def walk(p: argparse.ArgumentParser, name: str) -> None:
        texts[name] = p.format_help()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    walk(child, f"{name} {sub}")

    walk(parser, "pipeline")
    return texts


def test_help_texts_show_values_not_names_or_none() -> None:
    texts = _help_texts()
    assert len(texts) > 15
    for name, text in texts.items():
        assert "(default: None)" not in text, name
        assert not re.search(r"pipeline\.\w+\.[A-Z_]{3,}", text), name
    assert "confidence below 0.75" in re.sub(r"\s+", " ", texts["pipeline translate"])


# ---- doctor ------------------------------------------------------------------------------------
def test_doctor_bottom_line_says_what_works_and_what_not_yet() -> None:
    checks = [Check("pandoc", True, "3.9"), Check("Typst", True, "ok")]
    found = [
        Direction("en", "es", engine="Apertium"),
        Direction("es", "en", engine="Apertium"),
        Direction("en", "ja", reason="no engine can translate en→ja: install its Argos model"),
        Direction("ja", "en", reason="no engine can translate ja→en: install its Argos model"),
    ]
    line = bottom_line(checks, found)
    assert line.startswith("You can translate now: en↔es (Apertium).")
    assert "Not yet: en→ja, ja→en, because they need an Argos model" in line
    assert "pipeline models install --defaults" in line and "FILE.argosmodel" in line
    broken = bottom_line([Check("pandoc", False, "missing")], found)
    assert broken.startswith("You cannot translate yet: pandoc missing")
    everything = bottom_line(checks, found[:2])
    assert everything.endswith("Every direction among en, es and ja is covered.")


@requires_apertium
def test_doctor_does_not_call_argos_en_es_missing_when_apertium_covers_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-models"))
    found = directions()
    assert {d.name: d.engine for d in found}["en→es"] == "Apertium"
    checks = {c.name: c for c in run_checks(found)}
    en_es = checks["Argos en→es"]
    assert not en_es.ok and not en_es.needed and "Apertium translates en→es" in en_es.detail
    assert checks["Argos en→ja"].needed
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "optional" in out and "You can translate now: en↔es (Apertium)" in out
    assert "…" not in out  # nothing is cut: paths and commands wrap instead


# ---- Japanese sentence gaps --------------------------------------------------------------------
def test_sentence_gaps_follow_the_scripts_on_both_sides() -> None:
    ja = join_segments(
        ["彼らは逮捕された。", "leaders.", "They are in jail.", "我々は釈放を要求する。", "連帯！"],
        ["", "", "", "", ""],
        "ja",
    )
    assert ja == "彼らは逮捕された。leaders. They are in jail.我々は釈放を要求する。連帯！"
    assert join_segments(["One.", "Two."], ["", ""], "en") == "One. Two."
    assert join_segments(["「団結を」", "二つ。"], [" ", ""], "es") == "「団結を」二つ。"
    assert join_segments(["Una.", "Dos."], ["\n", ""], "ja") == "Una.\nDos."


def test_japanese_rebuild_keeps_spaces_between_latin_sentences_left_untranslated() -> None:
    """A Japanese target whose sentences came back in Latin script (an engine that left them,
    or a kept English block) reads "leaders. They are in jail." not "leaders.They are"."""
    doc = Document(
        [Block("paragraph", [Span("They arrested the leaders. They are in jail. We demand.")])],
        source_path="s.txt",
        lang="en",
    )
    (block,) = segment_document(doc, "en")
    assert len(block.segments) == 3
    rebuilt = rebuild_block(block, [s.text for s in block.segments], "ja")
    assert rebuilt.text == "They arrested the leaders. They are in jail. We demand."
    japanese = rebuild_block(
        block, ["彼らは指導者を逮捕した。", "投獄されている。", "要求する。"], "ja"
    )
    assert japanese.text == "彼らは指導者を逮捕した。投獄されている。要求する。"


# ---- end to end --------------------------------------------------------------------------------
@requires_apertium
def test_translate_with_a_bleed_leaflet_end_to_end(cli, tmp_path: Path) -> None:  # noqa: ANN001
    """python -m pipeline translate --layout leaflet-a5 --bleed: the summary's leaflet column,
    report.json's leaflet fields, the print boxes on the PDF, and the closing line."""
    from pypdf import PdfReader

    src = _statements(tmp_path / "src", 1)[0]
    out = tmp_path / "out"
    proc = cli(
        "translate",
        str(src),
        "--to",
        "es",
        "--engine",
        "apertium",
        "--formats",
        "docx",
        "--layout",
        "leaflet-a5",
        "--bleed",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "leaflet" in proc.stdout and " p, " in proc.stdout
    assert proc.stdout.rstrip().endswith(f"Outputs and report.json under {out}/")
    report = json.loads((out / "statement0" / "report.json").read_text(encoding="utf-8"))
    leaflet = report["targets"]["es"]["leaflet"]
    assert leaflet["fits"] is True and leaflet["overflow"] is None
    assert leaflet["overflow_pages"] == 0 and leaflet["suggestion"] is None
    assert leaflet["notes"] == []
    pdf = Path(leaflet["path"])
    assert pdf.name == "statement0.es.leaflet-a5.bleed.pdf"
    page = PdfReader(pdf).pages[0]
    assert "/TrimBox" in page and "/BleedBox" in page and "/ArtBox" in page
