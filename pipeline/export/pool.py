"""The document writers on every core: worker processes for ``--jobs N``.

Writing a DOCX and a PDF is mostly Python (python-docx, the Typst binding) that holds the
GIL, so threads do not write two documents at once. With more than one job the writers run
in ``N`` worker processes (started with ``forkserver``: never forked from a process that
runs threads), each with its own running pandoc (``pandoc_server``); with one job, or for a
single document, they run in the calling thread. Errors come back as they were raised
(``PipelineError`` subclasses, ``OSError``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import util
from pathlib import Path
from types import TracebackType

from pipeline.document import Document
from pipeline.export import pandoc_server
from pipeline.export.writers import WRITERS


def _start_worker(owner: int) -> None:
    """In a worker process: convert through a running pandoc until the process ends, and end
    when the process that started the pool is gone (killed, say), instead of waiting on its
    queue for ever; its pandoc then sees the end of its input and ends too."""
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


def _write(fmt: str, doc: Document, path: Path, lang: str, title: str) -> None:
    WRITERS[fmt](doc, path, lang, title)


class WriterPool:
    """Writes documents with ``WRITERS``, in ``workers`` processes when more than one."""

    def __init__(self, workers: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )

    def write(self, fmt: str, doc: Document, path: Path, lang: str, title: str) -> None:
        """Write ``doc`` as ``fmt`` at ``path``; returns when it is written."""
        if self._pool is None:
            _write(fmt, doc, path, lang, title)
        else:
            self._pool.submit(_write, fmt, doc, path, lang, title).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> WriterPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
