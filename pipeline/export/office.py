"""One running LibreOffice for ``pipeline.export.libreoffice``: ``soffice --headless
--accept=pipe,...`` with a profile of its own, and the UNO bridge (``uno_bridge.py``, run by
the system Python that has ``uno``) that hands it one document at a time over a pipe.

Both run in process groups of their own (a terminal's Ctrl-C stops the batch, not the file
being converted) and are killed as a group; the bridge also kills its soffice when its stdin
ends, so a pipeline that is killed leaves no LibreOffice behind.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pipeline.errors import PipelineError

STARTUP_TIMEOUT = 120.0
"""Seconds a LibreOffice may take to start and accept the bridge."""
BRIDGE = Path(__file__).with_name("uno_bridge.py")


class OfficeGone(PipelineError):
    """The running LibreOffice ended (or its bridge did) while it had a document (the pool
    starts another and tries again)."""


class OfficeHung(PipelineError):
    """The running LibreOffice did not answer within the document's timeout (the pool says
    so in the document's own ``LibreOfficeError``)."""


@dataclass
class OfficeStats:
    """What the running LibreOffices did in a batch: their busy intervals (starting or
    converting) merged into seconds, how many starts and restarts, how many documents."""

    starts: int = 0
    restarts: int = 0
    conversions: int = 0
    _intervals: list[tuple[float, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_busy(self, started: float, ended: float) -> None:
        with self._lock:
            self._intervals.append((started, ended))

    def busy_seconds(self) -> float:
        """Wall seconds during which at least one LibreOffice was starting or converting."""
        with self._lock:
            intervals = sorted(self._intervals)
        total, end = 0.0, float("-inf")
        for start, stop in intervals:
            if stop > end:
                total += stop - max(start, end)
                end = stop
        return total


class OfficeProcess:
    """One soffice and its bridge, started on demand and again after ``stop()``; used by
    one converting thread at a time (the pool hands it out)."""

    def __init__(self, binary: str, uno_python: str, stats: OfficeStats) -> None:
        self.binary, self.uno_python, self.stats = binary, uno_python, stats
        self.failure: str | None = None  # why it cannot start (then: one-off soffice calls)
        self._lock = threading.Lock()
        self._soffice: subprocess.Popen[bytes] | None = None
        self._bridge: subprocess.Popen[str] | None = None
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._work: Path | None = None

    def start_in_background(self) -> None:
        threading.Thread(target=self.ensure_started, daemon=True, name="office-start").start()

    def ensure_started(self) -> bool:
        """True once this LibreOffice is up (started now if it is not); False when it cannot
        start (``failure`` says why)."""
        with self._lock:
            if self._bridge is not None:
                return True
            if self.failure is not None:
                return False
            started = time.perf_counter()
            try:
                self._start()
                self.stats.starts += 1
                return True
            except OSError as exc:
                self.failure = f"cannot start LibreOffice: {exc.strerror or exc}"
            except (OfficeGone, OfficeHung) as exc:
                self.failure = f"LibreOffice did not start: {exc}"
            finally:
                self.stats.add_busy(started, time.perf_counter())
            self._kill()
            return False

    def _start(self) -> None:
        self._work = work = Path(tempfile.mkdtemp(prefix="pipeline-office-"))
        pipe = f"pipeline-{os.getpid()}-{secrets.token_hex(6)}"
        self._soffice = subprocess.Popen(
            [
                self.binary,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                "--nodefault",
                "--nolockcheck",
                "--nofirststartwizard",
                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": str(work)},
            start_new_session=True,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self._bridge = subprocess.Popen(
            [self.uno_python, "-I", str(BRIDGE), pipe, str(self._soffice.pid), str(work)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
            start_new_session=True,
        )
        self._answers = queue.Queue()
        threading.Thread(
            target=_read_lines, args=(self._bridge.stdout, self._answers), daemon=True
        ).start()
        first = self._answer(STARTUP_TIMEOUT, "start")
        if first != "ready":
            raise OfficeGone(
                (first or "the UNO bridge ended").removeprefix("error: ")[:200]
                + f" (LibreOffice through {self.uno_python}: is python3-uno installed?)"
            )

    def _answer(self, timeout: float, doing: str) -> str | None:
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise OfficeHung(f"no answer within {timeout:.0f} s while {doing}") from None
        return None if line is None else line.strip()

    def convert(self, source: Path, fmt: str, out: Path, timeout: float) -> None:
        """Convert ``source`` to ``fmt`` at ``out``. ``OfficeGone``: LibreOffice ended
        (``stop()`` and try again); ``OfficeHung``: no answer in time (``stop()`` it);
        ``ValueError``: LibreOffice's own error about this document."""
        soffice, bridge = self._soffice, self._bridge
        if soffice is None or bridge is None or bridge.stdin is None:
            raise OfficeGone("LibreOffice is not running")
        started = time.perf_counter()
        try:
            request = {"in": str(source), "out": str(out), "to": fmt}
            try:
                bridge.stdin.write(json.dumps(request) + "\n")
                bridge.stdin.flush()
            except OSError:
                raise OfficeGone("the UNO bridge ended") from None
            line = self._answer(timeout, f"converting {source.name}")
        finally:
            self.stats.add_busy(started, time.perf_counter())
        if line is None:
            raise OfficeGone("LibreOffice ended")
        answer = json.loads(line)
        if answer.get("ok"):
            self.stats.conversions += 1
            return
        if answer.get("gone") or soffice.poll() is not None:
            raise OfficeGone(str(answer.get("error", "LibreOffice ended")))
        raise ValueError(str(answer.get("error", "unknown error")))

    @property
    def soffice_pid(self) -> int | None:
        """The soffice process's id (its process group's too) while it runs."""
        return self._soffice.pid if self._soffice is not None else None

    def stop(self, *, gently: bool = False) -> None:
        """Kill this LibreOffice and its bridge (a later ``ensure_started`` starts anew);
        ``gently``: ask it to end first (the batch is over), as long as it does so quickly."""
        with self._lock:
            bridge = self._bridge
            if gently and bridge is not None and bridge.stdin is not None:
                with suppress(OSError):
                    bridge.stdin.close()  # the bridge then ends LibreOffice, and itself
                with suppress(subprocess.TimeoutExpired):
                    bridge.wait(timeout=5)
            self._kill()

    def _kill(self) -> None:
        for proc in (self._bridge, self._soffice):
            if proc is None:
                continue
            with suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            with suppress(OSError, subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if self._bridge is not None and self._bridge.stdin is not None:
            with suppress(OSError):
                self._bridge.stdin.close()
        self._bridge = self._soffice = None
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None


def _read_lines(stream: IO[str] | None, answers: queue.Queue[str | None]) -> None:
    if stream is not None:
        with suppress(OSError, ValueError):
            for line in stream:
                answers.put(line)
    answers.put(None)


# Comments, as Word and LibreOffice mark them. A running LibreOffice without Writer's GUI files
# (Debian's libreoffice-writer-nogui) aborts while it lays out a comment's margin window; a
# PDF shows no comments anyway (LibreOffice's default), so the copy it converts has none.
_COMMENT_MARKS = {
    "word/document.xml": re.compile(
        rb"<w:commentRange(?:Start|End)\b[^>]*/>|<w:commentReference\b[^>]*/>"
    ),
    "content.xml": re.compile(
        rb"<office:annotation\b.*?</office:annotation>|<office:annotation-end\b[^>]*/>"
        rb"|<office:annotation\b[^>]*/>",
        re.DOTALL,
    ),
}


def without_comments(path: Path, *, remove: bool = True) -> bool:
    """Whether the DOCX or ODT at ``path`` has comments; with ``remove``, their anchors are
    taken out of it (a copy to convert to PDF). Any other file is left as it is."""
    try:
        with zipfile.ZipFile(path) as package:
            entries = [(info, package.read(info)) for info in package.infolist()]
    except (zipfile.BadZipFile, OSError, KeyError, EOFError):
        return False  # not a package: LibreOffice says what is wrong with it
    changed = False
    for n, (info, data) in enumerate(entries):
        marks = _COMMENT_MARKS.get(info.filename)
        if marks is not None and marks.search(data):
            entries[n] = (info, marks.sub(b"", data))
            changed = True
    if not changed or not remove:
        return changed
    with zipfile.ZipFile(path, "w") as package:
        for info, data in entries:
            package.writestr(info, data)
    return True
