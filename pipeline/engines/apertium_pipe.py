"""Apertium's programs run so that each segment is translated as if it were sent alone.

``apertium -f html MODE`` streams a batch through one chain of programs, and one of them keeps
state from one segment to the next: apertium-tagger's ``find_similar_ambiguity_class`` takes
a reference to the tagger's *open class* (the tags an unknown word may have) and assigns to it
whenever a word of an ambiguity class the tagger was not trained on comes by (English "a lot
of", adjective or quantifier). From then on every unknown word of the stream gets that
smaller class, and the words around it are tagged differently: "run Java applications"
became "corrido Java aplicaciones" after "a lot of" two hundred segments earlier, "correr"
alone.

So the batch goes through the chain in three parts. The programs before the tagger
(morphological analysis) and after it (transfer and generation) run once for the batch in
null-flush mode, one NUL-terminated part per segment; they keep nothing from one part to the
next. The tagger runs in between, one segment at a time through its pipes, with ``--debug``:
it reports each word of an unseen ambiguity class on stderr, and after a segment that had
one it is started again (a few milliseconds), so the next segment meets the tagger as
trained. A segment's draft then depends on the segment alone, whatever it is batched with.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from pipeline.engines.base import EngineError
from pipeline.engines.paths import EnginePaths

NUL = "\0"
# Paragraphs go in one a line; apertium-deshtml keeps the markup between them inside a
# superblank ("[<\/p>\n<p>]", with the tags of a segment's first or last span beside them),
# and escaped text never holds a raw "<p>".
SEGMENT_START = "\n<p>"
SEGMENT_SPLIT = "]" + NUL + "[<p>"


def apertium_data_dirs() -> list[Path]:
    """Where Apertium keeps its language pairs, in the order the ``apertium`` command looks,
    as the environment names them now (``EnginePaths.apertium``), for callers given none."""
    return list(EnginePaths.from_env().apertium)


def mode_file(mode: str, data_dirs: Sequence[Path] | None = None) -> Path | None:
    """The ``modes/MODE.mode`` file the ``apertium`` command would run."""
    for data_dir in apertium_data_dirs() if data_dirs is None else data_dirs:
        candidate = data_dir / "modes" / f"{mode}.mode"
        if candidate.is_file():
            return candidate
    return None


def mode_stages(path: Path, *, marks_unknown: bool = True) -> list[list[str]]:
    """The programs of a mode as ``apertium`` runs them (word blanks, null flush), one argv each."""
    try:
        script = subprocess.run(
            ["apertium-wblank-mode", "-z", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineError(f"cannot read the Apertium mode {path.name}: {exc}") from exc
    option = "-g" if marks_unknown else "-n"
    stages = []
    for command in script.strip().split("|"):
        argv = [option if word == "$1" else word for word in shlex.split(command) if word != "$2"]
        if argv:
            stages.append(argv)
    return stages


def _chain(stages: Sequence[Sequence[str]]) -> str:
    return " | ".join(shlex.join(argv) for argv in stages)


class _Tagger:
    """One apertium-tagger process fed one NUL-terminated segment at a time."""

    def __init__(self, argv: Sequence[str]):
        self.argv = [argv[0], "-d", *argv[1:]]
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stderr is not None
        os.set_blocking(proc.stderr.fileno(), False)
        return proc

    def tag(self, part: bytes) -> bytes:
        """Tag one segment's analyses; afterwards the tagger is as trained again."""
        proc = self.proc or self._start()
        self.proc = proc
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        writer = threading.Thread(target=_write, args=(proc.stdin, part + b"\0"), daemon=True)
        writer.start()
        out = _read_until_nul(proc.stdout.fileno())
        writer.join()
        if out is None:
            self.close()
            raise EngineError("apertium-tagger stopped in the middle of a batch")
        if _drain(proc.stderr.fileno()):
            self.close()  # an unseen ambiguity class changed the tagger: a fresh one next time
        return out

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.kill()
        proc.wait()


def _write(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except (BrokenPipeError, OSError):
        pass


def _read_until_nul(fd: int) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        chunks.append(chunk)
        if chunk.endswith(b"\0"):
            return b"".join(chunks)[:-1]


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _run(command: str | list[str], data: str, timeout: float) -> str:
    try:
        proc = subprocess.run(
            command,
            input=data.encode(),
            capture_output=True,
            timeout=timeout,
            shell=isinstance(command, str),
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"Apertium took longer than {timeout:.0f} s") from exc
    except OSError as exc:
        raise EngineError(f"cannot run Apertium ({exc})") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise EngineError(f"Apertium failed: {detail[0]}")
    return proc.stdout.decode()


class IndependentPipeline:
    """A mode's programs, run on a batch of HTML paragraphs, each translated on its own."""

    def __init__(self, stages: Sequence[Sequence[str]], timeout: float = 600.0):
        at = next(
            (i for i, argv in enumerate(stages) if Path(argv[0]).name == "apertium-tagger"), None
        )
        if at is None:
            raise EngineError("this Apertium mode has no apertium-tagger stage")
        self.before = _chain(stages[:at])
        self.tagger = stages[at]
        self.after = _chain(stages[at + 1 :])
        self.timeout = timeout

    def translate(self, paragraphs: Sequence[str]) -> str:
        """``<p>…</p>`` paragraphs in, Apertium's HTML of their translations out, in order."""
        payload = "\n".join(paragraphs) + "\n"
        stream = _run(["apertium-deshtml"], payload, self.timeout)
        parts = stream.replace(SEGMENT_START, SEGMENT_SPLIT).split(NUL)
        if len(parts) != len(paragraphs):
            raise EngineError("Apertium's deformatter did not keep the segments apart")
        analysed = _run(self.before, NUL.join(parts) + NUL, self.timeout).split(NUL)
        translated = self._tag_and_transfer(analysed[: len(parts)])
        return _run(["apertium-rehtml"], translated.replace(NUL, ""), self.timeout)

    def _tag_and_transfer(self, parts: Sequence[str]) -> str:
        """Each part tagged on its own, streamed into transfer and generation as it comes."""
        after = subprocess.Popen(
            self.after,
            shell=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert after.stdin is not None
        collected: dict[str, bytes] = {}
        readers = [
            threading.Thread(target=_collect, args=(stream, collected, key), daemon=True)
            for key, stream in (("out", after.stdout), ("err", after.stderr))
        ]
        for reader in readers:
            reader.start()
        tagger = _Tagger(self.tagger)
        try:
            for part in parts:
                after.stdin.write(tagger.tag(part.encode()) + b"\0")
        except BrokenPipeError:
            pass
        finally:
            tagger.close()
            after.stdin.close()
        try:
            after.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            after.kill()
            raise EngineError(f"Apertium took longer than {self.timeout:.0f} s") from exc
        for reader in readers:
            reader.join()
        if after.returncode != 0:
            detail = collected.get("err", b"").decode(errors="replace").strip().splitlines()
            raise EngineError(f"Apertium failed: {(detail or ['no message'])[-1]}")
        return collected.get("out", b"").decode()


def _collect(stream: IO[bytes], into: dict[str, bytes], key: str) -> None:
    into[key] = stream.read()
