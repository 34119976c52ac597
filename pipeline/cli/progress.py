"""Progress bars for ``pipeline translate`` on a terminal (loaded only when one is shown).

Three lines, from the first document on: documents read, segments translated, and outputs
(documents × languages) written, each with the file it is at; the writing line also counts
the files written (DOCX, PDF...). Called from the run's threads; rich locks its own state.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pipeline.jobs import Progress


class RichProgress(Progress):
    """Progress bars on a terminal: documents read, segments, outputs written."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.bars = Bars(
            TextColumn("{task.description:<11}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}"),
            transient=True,
        )
        self.reading_task = self.bars.add_task("reading", total=0, detail="documents")
        self.segments = self.bars.add_task("translating", total=0, detail="segments")
        self.outputs = self.bars.add_task("writing", total=0, detail="documents × languages")
        self._lock = threading.Lock()
        self._started = False
        self._files_done = 0
        self._writing: list[str] = []  # the files being written, oldest first

    def _show(self) -> None:
        with self._lock:
            if not self._started:
                self.bars.start()
                self._started = True

    def documents(self, total: int) -> None:
        self.bars.update(self.reading_task, total=total)
        self._show()

    def reading(self, names: list[str]) -> None:
        shown = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}" if names else ""
        self.bars.update(self.reading_task, detail=shown)

    def read(self, n: int) -> None:
        self.bars.advance(self.reading_task, n)
        task = self.bars.tasks[self.reading_task]
        if task.total is not None and task.completed >= task.total:
            self.bars.update(self.reading_task, detail="documents")

    def start(self, outputs: int, segments: int) -> None:
        self.bars.update(self.outputs, total=outputs)
        self.bars.update(self.segments, total=segments)
        self._show()

    def more_segments(self, n: int) -> None:
        total = self.bars.tasks[self.segments].total or 0
        self.bars.update(self.segments, total=total + n)

    def segments_done(self, n: int) -> None:
        self.bars.advance(self.segments, n)

    def output_done(self, description: str) -> None:
        self.bars.advance(self.outputs, 1)

    def file_started(self, path: Path) -> None:
        with self._lock:
            self._writing.append(Path(path).name)
            detail = self._detail()
        # drawn now: a DOCX is written between two of rich's refreshes and would never show
        self.bars.update(self.outputs, detail=detail, refresh=True)

    def file_done(self, path: Path) -> None:
        with self._lock:
            self._files_done += 1
            name = Path(path).name
            if name in self._writing:
                self._writing.remove(name)
            detail = self._detail()
        self.bars.update(self.outputs, detail=detail)

    def _detail(self) -> str:
        files = f"{self._files_done} file{'s' if self._files_done != 1 else ''}"
        return f"{files} · {self._writing[-1]}" if self._writing else files

    def stop(self) -> None:
        self.bars.stop()
