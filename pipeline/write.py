"""The write stage of one target: QA, then its files through the writer pool, phase by phase.

``submit_target`` checks one translated target (``pipeline.qa``) and hands the files of the
first phase of ``pipeline.outputs.OUTPUTS`` to the writers; ``finish_target`` waits for them,
hands over the later phases and returns the target's report (``pipeline.report``). A local run
(``pipeline.run``) keeps several documents' targets in flight between the two calls; a Dask
worker (``pipeline.cluster``) calls both for one document into a folder of its own.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.blocking import Held, held
from pipeline.errors import PipelineError, unexpected
from pipeline.export.pool import WriterPool
from pipeline.jobs import IDENTITY, INTERRUPTED, TargetDraft, TargetReport
from pipeline.options import OutputMode
from pipeline.outputs import OUTPUTS, PHASES, OutputSpec, OutputTarget, Task, translated_document
from pipeline.plan import DocumentPlan
from pipeline.qa import Checked, check_target
from pipeline.report import TargetFiles, target_report


@dataclass(frozen=True)
class Writing:
    """What writing a target needs: the run's mode, its stop (Ctrl-C) and the writers."""

    mode: OutputMode
    stop: threading.Event
    writers: WriterPool


@dataclass
class Submitted:
    """One target on its way through QA and the writers (the write stage's own state)."""

    draft: TargetDraft
    checked: Checked | None = None
    target: OutputTarget | None = None  # None: nothing to write (interrupted, failed)
    markers_repaired: int = 0
    files: list[tuple[OutputSpec, Task, Future[Any]]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    leaflet: dict[str, Any] | None = None
    in_place: bool = False
    layout: dict[str, Any] | None = None
    error: str | None = None
    failed: set[str] = field(default_factory=set)  # specs with an error
    held: Held | None = None  # print-ready outputs held back by blocking findings

    def fails(self, line: str, spec: str | None = None) -> None:
        self.error = self.error or line  # the first error is the target's line
        if spec is not None:
            self.failed.add(spec)

    def files_report(self) -> TargetFiles:
        route = (self.draft.route or IDENTITY) if self.target is not None else None
        return TargetFiles(self.outputs, self.leaflet, self.in_place, self.markers_repaired,
                           route, self.error, self.held, self.layout)  # fmt: skip


def write_target(plan: DocumentPlan, draft: TargetDraft, writing: Writing) -> TargetReport:
    """One target written, start to end."""
    return finish_target(submit_target(plan, draft, writing), writing)


def submit_target(plan: DocumentPlan, draft: TargetDraft, writing: Writing) -> Submitted:
    """QA of one translated target, then its first files handed to the writers; an
    unforeseen error becomes the target's line and the other targets go on."""
    submitted = Submitted(draft)
    mode = writing.mode
    try:
        if writing.stop.is_set():
            submitted.fails(draft.error or INTERRUPTED)
            return submitted
        submitted.checked = check_target(plan.targets[draft.lang], draft.records, mode.glossary)
        submitted.held = held(submitted.checked.findings_json, mode.formats, mode.layout,
                              mode.allow_blocking)  # fmt: skip
        if draft.error is not None:
            return submitted
        # Translated: reviewers get their files even if a PDF fails.
        prepared = plan.prepared
        document, repaired = translated_document(prepared, submitted.checked.records, draft.lang)
        submitted.markers_repaired = repaired
        submitted.target = OutputTarget(prepared, draft.lang, mode, document, submitted.checked,
                                        draft.route or IDENTITY, submitted.held)  # fmt: skip
        _submit_phase(submitted, 0, writing)
    except Exception as exc:
        submitted.fails(draft.error or unexpected(exc, "while writing"))
    return submitted


def _submit_phase(submitted: Submitted, phase: int, writing: Writing) -> None:
    """The files of every output spec of ``phase`` this target gets, to the writers."""
    target = submitted.target
    assert target is not None
    for spec in OUTPUTS:
        if spec.phase != phase or not spec.wanted(target):
            continue
        if any(earlier in submitted.failed for earlier in spec.after):
            continue
        for task in spec.tasks(target):
            future = writing.writers.submit(task.call, *task.args, finish=phase > 0, path=task.path)
            submitted.files.append((spec, task, future))


def finish_target(submitted: Submitted, writing: Writing) -> TargetReport:
    """Wait for one target's files, phase by phase, and make its report."""
    try:
        for phase in PHASES:
            if phase > 0 and submitted.target is not None:
                _submit_phase(submitted, phase, writing)
            files, submitted.files = submitted.files, []
            for spec, task, future in files:
                _collect(submitted, spec, task, future)
        if submitted.error is not None and writing.stop.is_set():
            # A writer's subprocess can catch the terminal's Ctrl-C while it starts (before it
            # has its own process group): that file was interrupted, not bad; none is half-done.
            submitted.error = INTERRUPTED
    except Exception as exc:
        submitted.fails(unexpected(exc, "while writing"))
    return target_report(submitted.draft, submitted.checked, submitted.files_report())


def _collect(submitted: Submitted, spec: OutputSpec, task: Task, future: Future[Any]) -> None:
    """One file's outcome: its report entries, or its error (the first one is the target's
    line); a file no writer had started when the run was interrupted is not done."""
    if future.cancelled():
        submitted.fails(INTERRUPTED, spec.key)
        return
    try:
        written = task.done(future.result())
    except Exception as exc:
        submitted.fails(_error_line(spec, exc, task.path), spec.key)
        return
    submitted.outputs.update(written.outputs)
    submitted.in_place = submitted.in_place or written.in_place
    if written.leaflet is not None:
        submitted.leaflet = dict(written.leaflet)
    if written.layout is not None:  # a PDF in place: what was shrunk, what did not fit
        submitted.layout = dict(written.layout)


def _error_line(spec: OutputSpec, exc: Exception, path: Path) -> str:
    """A writer's error as the target's line: the spec's own wording, else the message of a
    ``PipelineError``, the ``OSError`` with the path, or an unexpected error."""
    own = spec.error_line(exc, path) if spec.error_line is not None else None
    if own is not None:
        return own
    if isinstance(exc, PipelineError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot write {path}: {exc.strerror or exc}"
    return unexpected(exc, "while writing")
