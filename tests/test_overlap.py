"""A pipelined batch: wave k is written while wave k+1 is read and translated, never more
than two waves in memory, the writers take several files at once, and Ctrl-C still stops
after the files being written with report.json for what was finished."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from pipeline.document import Block, Document, Span
from pipeline.engines.registry import EngineSet
from pipeline.errors import PipelineError
from pipeline.export import writers as export_writers
from pipeline.export.pool import WriterPool
from pipeline.export.writers import WRITERS
from pipeline.run import run_batch
from tests.fixtures.engines import BracketEngine
from tests.fixtures.stages import batch

DOCUMENTS = 12  # read 4 at a time: with --wave-tokens 1, three waves of 4


def _statements(folder: Path) -> Path:
    folder.mkdir()
    for n in range(DOCUMENTS):
        (folder / f"doc{n:02d}.txt").write_text(
            f"Statement doc{n:02d} of the union\n\nThe workers of doc{n:02d} stand together.\n",
            encoding="utf-8",
        )
    return folder


class WaveEngine(BracketEngine):
    """Records which documents each engine call (one per wave) translates, and which
    report.json files were already written when it was called."""

    def __init__(self, out: Path) -> None:
        super().__init__()
        self.out = out
        self.waves: list[set[str]] = []
        self.reported: list[set[str]] = []
        self.second_wave = threading.Event()

    def translate(self, texts, src, tgt, progress=None):  # noqa: ANN001, ANN201
        self.waves.append({m for t in texts for m in re.findall(r"doc\d\d", t)})
        self.reported.append({p.parent.name for p in self.out.glob("*/report.json")})
        if len(self.waves) == 2:
            self.second_wave.set()
        return super().translate(texts, src, tgt, progress)


def test_a_wave_is_written_while_the_next_is_translated(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    engine = WaveEngine(out)
    waited: list[bool] = []
    docx = WRITERS["docx"]

    def docx_after_the_second_wave(doc: Document, path: Path, lang: str, title: str) -> None:
        """The first DOCX of wave 1 is written only once wave 2 is at the engine: a run
        that wrote each wave before reading the next would wait here for ever."""
        if not waited:
            waited.append(engine.second_wave.wait(timeout=20))
        docx(doc, path, lang, title)

    monkeypatch.setitem(export_writers.WRITERS, "docx", docx_after_the_second_wave)
    options = batch(
        paths=[_statements(tmp_path / "src")],
        targets=["es"],
        formats=["docx"],
        out_dir=out,
        wave_tokens=1,
        jobs=1,
        allow_blocking=True,  # the bracket engine's ⟦words⟧ look like English to QA
    )
    result = run_batch(options, engines=EngineSet.with_engines("test", {"test": engine}))
    assert result.exit_code == 0, result.failures
    assert waited == [True]  # wave 2 was translated while wave 1 was being written
    assert len(engine.waves) == 3 and all(len(w) == 4 for w in engine.waves)
    assert set().union(*engine.waves) == {f"doc{n:02d}" for n in range(DOCUMENTS)}
    # Wave k is written before wave k+1 is: when wave 3 is read and translated, wave 1 is
    # written and let go (at most two waves in memory).
    assert engine.waves[0] <= engine.reported[2]
    assert not engine.reported[2] & engine.waves[2]
    assert len(result.reports) == DOCUMENTS
    for doc in result.documents:  # what is kept of a document: its report, none of its text
        assert doc.lang == "en" and not hasattr(doc, "doc") and not hasattr(doc, "segments")
        assert Path(doc.targets["es"].outputs["docx"]).is_file()


class StoppingEngine(BracketEngine):
    """Ctrl-C (``RunControl.stop``) arrives while the second wave is at the engine."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop, self.calls_seen = stop, 0

    def translate(self, texts, src, tgt, progress=None):  # noqa: ANN001, ANN201
        self.calls_seen += 1
        if self.calls_seen == 2:
            self.stop.set()
        return super().translate(texts, src, tgt, progress)


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_during_the_next_wave_stops_after_the_files_being_written(
    tmp_path, jobs: int
) -> None:
    src = _statements(tmp_path / "src")
    out = tmp_path / "out"
    options = batch(
        paths=[src], targets=["es"], formats=["docx", "pdf"], out_dir=out, wave_tokens=1, jobs=jobs
    )
    engine = StoppingEngine(options.control.stop)
    result = run_batch(options, engines=EngineSet.with_engines("test", {"test": engine}))
    assert result.exit_code == 130
    assert engine.calls_seen == 2  # the third wave was never read
    reported = {p.parent.name for p in result.reports}
    not_done = {Path(line.split(" → ")[0]).stem for line in result.not_done}
    assert reported | not_done == {f"doc{n:02d}" for n in range(DOCUMENTS)}
    assert not reported & not_done
    assert {f"doc{n:02d}" for n in range(8, DOCUMENTS)} <= not_done
    for name in reported:  # a report only for a document whose files are all there
        assert (out / name / f"{name}.es.docx").is_file()
        assert (out / name / f"{name}.es.pdf").is_file()
    assert not list(out.rglob("*.part"))
    assert result.failures == []


def test_writes_waiting_for_a_worker_are_cancelled_once_stopped(tmp_path) -> None:
    doc = Document(blocks=[Block("paragraph", [Span("The miners stand together.")])], lang="en")
    stop = threading.Event()
    with WriterPool(2, stop) as pool:
        futures = [
            pool.submit(WRITERS["docx"], doc, tmp_path / f"d{n}.docx", "en", "t.txt")
            for n in range(6)
        ]
        stop.set()  # two are with the workers (starting up); four wait for one
        for future in futures[:2]:
            assert future.result(timeout=60) is None
        for future in futures[2:]:
            with pytest.raises(Exception):  # noqa: B017 - cancelled, not written
                future.result(timeout=60)
    assert [f.cancelled() for f in futures] == [False, False, True, True, True, True]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d0.docx", "d1.docx"]


def test_several_files_are_with_the_writers_at_once(tmp_path) -> None:
    """Submitted files are written in parallel by the worker processes; an error comes back
    as the writer raised it."""
    doc = Document(blocks=[Block("paragraph", [Span("The miners stand together.")])], lang="en")
    with WriterPool(2) as pool:
        futures = [
            pool.submit(WRITERS[fmt], doc, tmp_path / f"d{n}.{fmt}", "en", "t.txt")
            for n in range(3)
            for fmt in ("docx", "pdf")
        ]
        (tmp_path / "folder.pdf").mkdir()
        bad = pool.submit(WRITERS["pdf"], doc, tmp_path / "folder.pdf", "en", "t.txt")
        assert all(f.result(timeout=120) is None for f in futures)
        with pytest.raises((OSError, PipelineError)):
            bad.result(timeout=60)
    assert len(list(tmp_path.glob("d*.docx"))) == len(list(tmp_path.glob("d*.pdf"))) == 3
