"""PDF (and DOCX, ODT...) of an office document through LibreOffice headless, so it keeps its
layout.

Within ``serving(workers)`` (one batch) conversions go to LibreOffice processes that stay up
for the batch: ``workers`` of them, each ``soffice --headless --accept=pipe...`` with its own
temporary profile (never the user's), driven through UNO by a small bridge run by the system
Python that has ``uno`` (``uno_bridge.py``; Debian's python3-uno). They start when first
needed, or at ``warm_up()`` while the batch is still reading. One that dies is started again
and the document it was converting is tried once more; a document it does not finish within
the timeout fails alone, with one line, and that LibreOffice is killed and started again for
the next one. Documents are opened hidden, read-only, without updating links or running
macros, from a copy in the process's own folder.

Outside ``serving()``, or without python3-uno, each conversion runs ``soffice --convert-to``
with its own temporary profile, as before. Either way the result is written atomically; a
missing or failing LibreOffice is one line (``LibreOfficeError``).

The public calls: ``convert(source, fmt, target)`` and ``write_pdf(source, target)``.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.office import (
    OfficeGone,
    OfficeHung,
    OfficeProcess,
    OfficeStats,
    without_comments,
)

INSTALL_HINT = "apt-get install libreoffice-writer-nogui"
TIMEOUT = 300.0
"""Seconds a one-off ``soffice --convert-to`` may take (it starts LibreOffice too)."""
DOCUMENT_TIMEOUT = 120.0
"""Seconds a running LibreOffice may take over one document ($PIPELINE_LIBREOFFICE_TIMEOUT)."""
UNO_PYTHON = "/usr/bin/python3"
"""The Python with LibreOffice's ``uno`` module ($PIPELINE_UNO_PYTHON)."""


class LibreOfficeError(PipelineError):
    """LibreOffice is missing or could not convert the document; the message is one line."""


def soffice_binary() -> str | None:
    """The LibreOffice command (``soffice`` or ``libreoffice``), or None when not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice_binary() is not None


def document_timeout() -> float:
    """Seconds one document may take in a running LibreOffice ($PIPELINE_LIBREOFFICE_TIMEOUT)."""
    try:
        value = float(os.environ.get("PIPELINE_LIBREOFFICE_TIMEOUT", "") or DOCUMENT_TIMEOUT)
    except ValueError:
        return DOCUMENT_TIMEOUT
    return value if value > 0 else DOCUMENT_TIMEOUT


def uno_python() -> str:
    """The Python that runs the UNO bridge ($PIPELINE_UNO_PYTHON, else /usr/bin/python3)."""
    return os.environ.get("PIPELINE_UNO_PYTHON") or UNO_PYTHON


class OfficePool:
    """``workers`` running LibreOffices for one batch, each converting one document at a
    time; started lazily, replaced when one dies or hangs."""

    def __init__(self, workers: int, binary: str, timeout: float | None = None) -> None:
        self.binary, self.timeout = binary, timeout or document_timeout()
        self.uno_python = uno_python()
        self.stats = OfficeStats()
        self._idle: queue.SimpleQueue[OfficeProcess] = queue.SimpleQueue()
        self.processes = [
            OfficeProcess(binary, self.uno_python, self.stats) for _ in range(max(1, workers))
        ]
        for office in self.processes:
            self._idle.put(office)
        self.broken: str | None = None  # why the bridge cannot run (then: one-off soffice)
        self._warm = False

    def warm_up(self) -> None:
        """Start every LibreOffice now, in the background (while the batch reads); once."""
        if self._warm or self.broken is not None:
            return
        self._warm = True
        for office in self.processes:
            office.start_in_background()

    def convert(
        self,
        source: Path,
        fmt: str,
        out: Path,
        timeout: float | None = None,
        name: str | None = None,
    ) -> bool:
        """Convert ``source`` to ``fmt`` at ``out`` in a running LibreOffice; False when none
        can run (no python3-uno), or when it ended twice under this document: the caller
        converts with a one-off soffice. Raises ``LibreOfficeError`` (naming ``name``, else
        the file's) when the document fails, or hangs: then alone."""
        if self.broken is not None:
            return False
        office = self._idle.get()
        try:
            return self._convert_with(
                office, source, fmt, out, timeout or self.timeout, name or source.name
            )
        finally:
            self._idle.put(office)

    def _convert_with(
        self, office: OfficeProcess, source: Path, fmt: str, out: Path, timeout: float, name: str
    ) -> bool:
        for attempt in (1, 2):
            try:
                if not office.ensure_started():
                    self.broken = office.failure
                    return False
                office.convert(source, fmt, out, timeout)
                return True
            except OfficeHung:
                office.stop()
                raise LibreOfficeError(
                    f"LibreOffice did not finish converting {name} to {fmt.upper()} "
                    f"within {timeout:.0f} s (stopped; the batch goes on)"
                ) from None
            except OfficeGone:
                office.stop()  # died under this document: a fresh one tries it once more,
                self.stats.restarts += 1
                if attempt == 2:  # then a one-off soffice (--convert-to lays out less)
                    return False
            except ValueError as refused:  # LibreOffice's own answer about this document
                raise LibreOfficeError(
                    f"LibreOffice could not convert {name} to {fmt.upper()}: {refused}"
                ) from None
        return True  # not reached

    def close(self) -> None:
        for office in self.processes:
            office.stop(gently=True)


_pool: OfficePool | None = None  # set by serving() for the length of a batch only
_pool_lock = threading.Lock()


@contextmanager
def serving(workers: int = 1) -> Iterator[OfficePool | None]:
    """Convert through ``workers`` running LibreOffices until the block ends (one batch);
    they start at the first conversion or at ``warm_up()``. Yields None (one-off soffice
    calls) when LibreOffice is not installed."""
    global _pool
    binary = soffice_binary()
    pool = OfficePool(workers, binary) if binary is not None else None
    with _pool_lock:
        previous, _pool = _pool, pool
    try:
        yield pool
    finally:
        with _pool_lock:
            _pool = previous
        if pool is not None:
            pool.close()


def seconds(pool: OfficePool | None) -> dict[str, float]:
    """``{"libreoffice": s}``: the wall seconds ``pool``'s LibreOffices were starting or
    converting (the PDF stage of a batch); empty when none was."""
    busy = pool.stats.busy_seconds() if pool is not None else 0.0
    return {"libreoffice": busy} if busy else {}


def warm_up() -> None:
    """Start the batch's LibreOffices now, in the background (nothing outside ``serving()``)."""
    pool = _pool
    if pool is not None:
        pool.warm_up()


def convert(source: Path, fmt: str, target: Path, *, timeout: float | None = None) -> None:
    """Convert ``source`` to ``fmt`` (``pdf``, ``odt``, ``docx``, ``pptx``, ``odp``) at
    ``target``, atomically; ``source`` is not touched (LibreOffice opens a copy).

    Inside ``serving()`` a running LibreOffice converts it (``timeout``: that document's own,
    default $PIPELINE_LIBREOFFICE_TIMEOUT or 120 s); otherwise a one-off ``soffice``.
    """
    source, target = Path(source), Path(target)
    binary = soffice_binary()
    if binary is None:
        raise LibreOfficeError(
            f"LibreOffice is not installed (needed for {fmt.upper()}): {INSTALL_HINT}"
        )
    pool = _pool
    with tempfile.TemporaryDirectory(prefix="pipeline-lo-") as work:
        folder = Path(work)
        copy = folder / f"document{source.suffix.lower()}"
        shutil.copyfile(source, copy)
        result = folder / f"document.{fmt}"
        if pool is not None and _runs_in(pool, copy, fmt, timeout, source.name):
            if not result.is_file() or result.stat().st_size == 0:
                raise LibreOfficeError(
                    f"LibreOffice could not convert {source.name} to {fmt.upper()}: no output"
                )
        else:
            _convert_once(binary, source.name, copy, fmt, timeout or TIMEOUT)
        write_bytes_atomic(target, result.read_bytes())


def _runs_in(pool: OfficePool, copy: Path, fmt: str, timeout: float | None, name: str) -> bool:
    """Whether ``pool`` converted ``copy`` (False: a one-off soffice must)."""
    # A comment is laid out in a margin window that aborts a LibreOffice without Writer's GUI
    # files once it runs as a server (not in --convert-to); a PDF shows no comments anyway.
    if without_comments(copy, remove=fmt == "pdf") and fmt != "pdf":
        return False
    return pool.convert(copy, fmt, copy.with_suffix(f".{fmt}"), timeout, name)


def write_pdf(source: Path, target: Path, *, timeout: float | None = None) -> None:
    """The PDF of an office document (DOCX, ODT, PPTX, ODP) as LibreOffice lays it out."""
    convert(source, "pdf", target, timeout=timeout)


def _convert_once(binary: str, name: str, copy: Path, fmt: str, timeout: float) -> None:
    """``soffice --convert-to`` on ``copy`` (into its folder) with a profile of its own."""
    folder = copy.parent
    command = [
        binary,
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        fmt,
        "--outdir",
        str(folder),
        str(copy),
    ]
    env = {**os.environ, "HOME": str(folder)}
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise LibreOfficeError(f"cannot start LibreOffice: {exc.strerror or exc}") from exc
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise LibreOfficeError(
            f"LibreOffice did not finish converting {name} to {fmt.upper()} within {timeout:.0f} s"
        ) from exc
    finally:
        if _pool is not None:
            _pool.stats.add_busy(started, time.perf_counter())
    result = copy.with_suffix(f".{fmt}")
    if proc.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
        detail = stderr.decode(errors="replace").strip().splitlines()
        reason = detail[-1][:200] if detail else f"exit code {proc.returncode}, no output"
        raise LibreOfficeError(f"LibreOffice could not convert {name} to {fmt.upper()}: {reason}")
