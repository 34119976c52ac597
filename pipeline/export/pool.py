"""The document writers on every core: worker processes for ``--jobs N``.

Writing a DOCX and a PDF is mostly Python (python-docx, the Typst binding) that holds the
GIL, so threads do not write two documents at once. With more than one job the writers run
in ``N`` worker processes (started with ``forkserver``: never forked from a process that
runs threads), each with its own running pandoc (``pandoc_server``); with one job, or for a
single document, they run in a thread of the calling process. Errors come back as they were
raised (``PipelineError`` subclasses, ``OSError``).

``submit(call, *args)`` returns at once with a future of what ``call`` returns, so the files
of several documents can be in flight together; no more than ``N`` are handed to the workers
at a time, and those waiting for a worker are cancelled once ``stop`` is set (an interrupted
run finishes the files being written and starts no other), unless submitted with
``finish=True`` (the files made from files already written: a leaflet, the review files).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import (
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from contextlib import suppress
from multiprocessing import util
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from pipeline.document import Block, Document, Span
from pipeline.export import pandoc_server
from pipeline.export.writers import Writer


def _start_worker(owner: int) -> None:
    """In a worker process: convert through a running pandoc until the process ends, and end
    when the process that started the pool is gone (killed, say), instead of waiting on its
    queue for ever; its pandoc then sees the end of its input and ends too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the batch in the main process
    servers = pandoc_server.PandocServers()
    pandoc_server.use_servers(servers)
    util.Finalize(None, servers.close, exitpriority=10)
    threading.Thread(target=_exit_without, args=(owner,), daemon=True).start()


def _exit_without(owner: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(owner, 0)
        except (ProcessLookupError, PermissionError):  # gone (its number reused by another user)
            os._exit(1)


def _call(call: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return call(*args)


def _warm(writers: Sequence[Writer], langs: Sequence[str]) -> None:
    """In a worker process: write a one-line document with each writer in each language into
    a temporary folder, so the imports, fonts, the running pandoc and what a writer keeps per
    language are ready before the first real document arrives. A writer that fails here fails
    again, with its own line, on that document."""
    with tempfile.TemporaryDirectory(prefix="pipeline-warm-") as folder:
        for lang in langs:
            doc = Document(blocks=[Block("paragraph", [Span("Warm-up.")])], lang=lang)
            for n, writer in enumerate(writers):
                with suppress(Exception):
                    writer(doc, Path(folder) / f"warm-{lang}-{n}.out", lang, "warm-up")


_Call = tuple[Callable[..., Any], tuple[Any, ...], bool, Path | None]
"""A call, its arguments, whether it runs even once the run is stopped, the file it writes."""


class FileWatcher(Protocol):
    """Told when each file is handed to a writer and when it is done (the run's progress)."""

    def file_started(self, path: Path) -> None: ...

    def file_done(self, path: Path) -> None: ...


def _sendable(call: Callable[..., Any]) -> bool:
    """A writer another process can run: a module-level function (sent by name). The
    in-place writers are closures over the source package and run in the calling process."""
    name = getattr(call, "__qualname__", "")
    return bool(name) and "<locals>" not in name and getattr(call, "__module__", None) is not None


class _Lane:
    """One executor and the writes waiting for it: at most ``slots`` handed over at a time,
    so a write not started yet can still be cancelled."""

    def __init__(
        self,
        executor: Executor,
        slots: int,
        stop: threading.Event,
        watcher: FileWatcher | None = None,
    ) -> None:
        self.executor, self.slots, self.stop, self.watcher = executor, slots, stop, watcher
        self.waiting: deque[tuple[Future[Any], _Call]] = deque()
        self.lock = threading.Lock()

    def submit(self, call: _Call) -> Future[Any]:
        future: Future[Any] = Future()
        with self.lock:
            self.waiting.append((future, call))
        self._dispatch()
        return future

    def _dispatch(self) -> None:
        started: list[tuple[Future[Any], _Call]] = []
        with self.lock:
            if self.stop.is_set():  # interrupted: only the calls that must finish are left
                for future, call in list(self.waiting):
                    if not call[2]:
                        self.waiting.remove((future, call))
                        future.cancel()
            while self.waiting and self.slots > 0:
                future, call = self.waiting.popleft()
                if future.set_running_or_notify_cancel():
                    self.slots -= 1
                    started.append((future, call))
        for future, call in started:
            if self.watcher is not None and call[3] is not None:
                self.watcher.file_started(call[3])
                future.add_done_callback(functools.partial(_watch_done, self.watcher, call[3]))
            try:
                inner = self.executor.submit(_call, call[0], call[1])
            except Exception as exc:  # the executor is shut down or broken
                self._done(future, None, exc)
                continue
            inner.add_done_callback(functools.partial(self._finished, future))

    def _finished(self, outer: Future[Any], inner: Future[Any]) -> None:
        if inner.cancelled():
            self._done(outer, None, CancelledError())
        else:
            exc = inner.exception()
            self._done(outer, None if exc is not None else inner.result(), exc)

    def _done(self, outer: Future[Any], value: Any, exc: BaseException | None) -> None:
        with self.lock:
            self.slots += 1
        if exc is None:
            outer.set_result(value)
        else:
            outer.set_exception(exc)
        self._dispatch()

    def cancel_waiting(self) -> None:
        with self.lock:
            waiting, self.waiting = list(self.waiting), deque()
        for future, _ in waiting:
            future.cancel()


def _watch_done(watcher: FileWatcher, path: Path, future: Future[Any]) -> None:
    watcher.file_done(path)


class WriterPool:
    """Writes documents, in ``workers`` processes when more than one; ``stop`` (the run's
    Ctrl-C) cancels the writes still waiting for a worker; ``watcher`` is told when each file
    starts and ends."""

    def __init__(
        self,
        workers: int,
        stop: threading.Event | None = None,
        watcher: FileWatcher | None = None,
    ) -> None:
        self.workers = workers
        self._stop = stop or threading.Event()
        self._processes: ProcessPoolExecutor | None = None
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="writer")
        self._local = _Lane(self._threads, workers, self._stop, watcher)
        # Conversions LibreOffice does wait on it, not on the GIL: their own threads, so the
        # next document's DOCX is written while LibreOffice lays out this one's PDF.
        self._office_threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="office")
        self._office = _Lane(self._office_threads, workers, self._stop, watcher)
        self._remote: _Lane | None = None
        if workers > 1:
            self._processes = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self._remote = _Lane(self._processes, workers, self._stop, watcher)

    def warm_up(self, writers: Sequence[Writer], langs: Sequence[str]) -> None:
        """Start the worker processes now (they start when first needed otherwise) and have
        each write a one-line document with ``writers`` in each of ``langs`` into a temporary
        folder, while the caller goes on reading and translating. Nothing to do without
        worker processes."""
        if self._processes is None:
            return
        sendable = [w for w in writers if _sendable(w)]
        for _ in range(self.workers):  # each submit starts a worker while none is idle
            with suppress(Exception):
                self._processes.submit(_warm, sendable, list(langs))

    def submit(
        self,
        call: Callable[..., Any],
        *args: Any,
        finish: bool = False,
        path: Path | None = None,
    ) -> Future[Any]:
        """Run ``call(*args)`` (a writer of ``pipeline.export.writers``: ``doc, path, lang,
        title``; or any output's writer, ``pipeline.outputs``) when a worker is free; the
        future's result is what it returned, its exception what it raised. Cancelled if the
        run is stopped before a worker takes it, unless ``finish``. ``path``: the file it
        writes, for the watcher."""
        lane = self._remote if self._remote is not None and _sendable(call) else self._local
        if getattr(call, "through_libreoffice", False):
            lane = self._office
        return lane.submit((call, args, finish, path))

    def write(self, writer: Writer, doc: Document, path: Path, lang: str, title: str) -> None:
        """Write ``doc`` at ``path`` with ``writer``; returns when it is written."""
        self.submit(writer, doc, path, lang, title).result()

    def close(self) -> None:
        for lane in (self._local, self._office, self._remote):
            if lane is not None:
                lane.cancel_waiting()
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._office_threads.shutdown(wait=True, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)
            self._processes = None

    def __enter__(self) -> WriterPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
