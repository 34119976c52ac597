"""Apertium: rule-based en↔es machine translation, fully offline (Debian ``apertium-eng-spa``)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pipeline import markers
from pipeline.engines.apertium_pipe import IndependentPipeline, mode_file, mode_stages
from pipeline.engines.base import EngineError, Progress, Route, Strategy, Translation

MODES = {("en", "es"): "eng-spa", ("es", "en"): "spa-eng"}
INSTALL_HINT = "apt-get install apertium apertium-eng-spa"

_SEGMENT = re.compile(r"<p>(.*?)</p>", re.S)
# Apertium marks: *unknown word, #generation error, @transfer error.
_UNKNOWN = re.compile(r"(?<![\w*])\*(\w[\w'’.-]*\w|\w)")
_OTHER_MARKS = re.compile(r"(?<![\w#@])[#@](?=\w)")
# an unknown symbol ("*·" for the "·" between an address and a PO box): the mark goes, the
# symbol stays, and it is not an untranslated word
_UNKNOWN_SYMBOL = re.compile(r"(?<![\w*])\*(?=[^\s\w*])")


def strip_marks(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove Apertium's unknown-word marks; return the clean text and the unknown words."""
    unknown = tuple(m.group(1) for m in _UNKNOWN.finditer(text))
    clean = _UNKNOWN.sub(r"\1", text)
    clean = _OTHER_MARKS.sub("", clean)
    clean = _UNKNOWN_SYMBOL.sub("", clean)
    return clean, unknown


@cache
def _installed_modes(binary: str) -> frozenset[str]:
    try:
        out = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines() if line.strip())


@cache
def _data_version(mode: str, data_dirs: tuple[Path, ...] | None) -> str:
    """Which Apertium data a draft comes from: the mode's files by size and time of change."""
    path = mode_file(mode, data_dirs)
    if path is None:
        return "apertium, no mode file: one segment a call"
    try:
        files = [path, *(Path(p) for p in re.findall(r"'([^']+\.bin)'", path.read_text()))]
        stamp = ",".join(f"{f.stat().st_size}:{int(f.stat().st_mtime)}" for f in files)
    except OSError:
        stamp = "unreadable"
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:12]
    return f"data {digest}, each segment on its own"


class ApertiumEngine:
    """Runs Apertium's programs once per batch and direction, each segment translated on its own.

    A segment's draft depends on the segment alone, never on what it is batched with
    (``pipeline.engines.apertium_pipe`` says why Apertium's own ``apertium`` command does not
    give that); a mode without a mode file falls back to ``apertium`` once per segment.
    """

    name = "apertium"
    markup = True
    glossary_strategy = Strategy(names="wrap", terms="wrap")  # measured: span kept in place

    def __init__(
        self,
        binary: str | None = None,
        timeout: float = 600.0,
        data_dirs: Sequence[Path] | None = None,
    ) -> None:
        """``data_dirs``: where the language pairs are (``EnginePaths.apertium``; None: as
        the environment names them when a mode is first looked up)."""
        self.binary = binary or shutil.which("apertium")
        self.data_dirs = tuple(data_dirs) if data_dirs is not None else None
        self.timeout = timeout
        self._pipelines: dict[str, IndependentPipeline | None] = {}

    def available(self) -> bool:
        return bool(self.binary)

    def route(self, src: str, tgt: str) -> Route | None:
        mode = MODES.get((src, tgt))
        if not self.binary or not mode or mode not in _installed_modes(self.binary):
            return None
        return Route(
            engine=self.name, model=f"apertium-{mode}", settings=_data_version(mode, self.data_dirs)
        )

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        if not texts:
            return []
        if self.route(src, tgt) is None:
            raise EngineError(f"Apertium cannot translate {src}→{tgt}: {INSTALL_HINT}")
        raw = self._run_batch(list(texts), MODES[(src, tgt)])
        results = []
        for text in raw:
            clean, unknown = strip_marks(markers.from_html(text))
            results.append(Translation(clean.strip(), unknown))
        if progress:
            progress(len(texts))
        return results

    def _run_batch(self, texts: list[str], mode: str) -> list[str]:
        pipeline = self._pipeline(mode)
        if pipeline is not None:
            out = pipeline.translate([f"<p>{markers.to_html(t)}</p>" for t in texts])
            pieces = _SEGMENT.findall(out)
            if len(pieces) == len(texts):
                return pieces
        # No mode file, or a segment whose markup confused the deformatter: one call each.
        return [self._single(mode, t) for t in texts]

    def _pipeline(self, mode: str) -> IndependentPipeline | None:
        if mode not in self._pipelines:
            path = mode_file(mode, self.data_dirs)
            self._pipelines[mode] = (
                IndependentPipeline(mode_stages(path), timeout=self.timeout) if path else None
            )
        return self._pipelines[mode]

    def _single(self, mode: str, text: str) -> str:
        out = self._call(mode, f"<p>{markers.to_html(text)}</p>\n")
        pieces = _SEGMENT.findall(out)
        return pieces[0] if pieces else re.sub(r"</?p>", "", out).strip()

    def _call(self, mode: str, payload: str) -> str:
        assert self.binary
        try:
            proc = subprocess.run(
                [self.binary, "-f", "html", mode],
                input=payload,
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"Apertium took longer than {self.timeout:.0f} s") from exc
        except OSError as exc:
            raise EngineError(f"cannot run Apertium ({exc}): {INSTALL_HINT}") from exc
        if proc.returncode != 0:
            detail = (proc.stderr or "").strip().splitlines()[-1:] or ["no message"]
            raise EngineError(f"Apertium failed ({mode}): {detail[0]}")
        return proc.stdout
