"""Progress bars for ``pipeline translate`` on a terminal (loaded only when one is shown)."""

from __future__ import annotations

from pipeline.jobs import Progress


class RichProgress(Progress):
    """Progress bars on a terminal: outputs (documents × languages) and segments."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self.outputs = self.bars.add_task("documents × languages", total=0)
        self.segments = self.bars.add_task("segments", total=0)

    def start(self, outputs: int, segments: int) -> None:
        self.bars.update(self.outputs, total=outputs)
        self.bars.update(self.segments, total=segments)
        self.bars.start()

    def more_segments(self, n: int) -> None:
        total = self.bars.tasks[self.segments].total or 0
        self.bars.update(self.segments, total=total + n)

    def segments_done(self, n: int) -> None:
        self.bars.advance(self.segments, n)

    def output_done(self, description: str) -> None:
        self.bars.advance(self.outputs, 1)

    def stop(self) -> None:
        self.bars.stop()
