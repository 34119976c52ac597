"""Which ``glossary.yml`` a run uses when none is given: the one next to its inputs.

The movement's glossary lives with its statements (``~/campaign/glossary.yml`` beside
``~/campaign/source_docs/``), so it is found from each input, not from the folder the command
runs in: the input's own folder (a file's folder, or the folder given), then each parent in
turn, up to and including the **project root**. The project root is the first folder on the
way up that holds ``.git`` or ``pyproject.toml``; the search also stops at the user's home
folder and at the filesystem root (both still searched). The nearest ``glossary.yml`` wins.

Several inputs whose nearest glossaries differ cannot share one run's glossary (a term would
be rendered one way or the other by accident): ``resolve`` says so in one line and the run
stops before anything is read (``AmbiguousGlossary``). Inputs with no glossary of their own
beside inputs with one use that one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError

GLOSSARY_NAME = "glossary.yml"
ROOT_MARKERS = (".git", "pyproject.toml")
"""A folder holding one of these is a project root: the search goes no higher."""


class AmbiguousGlossary(PipelineError):
    """Inputs whose nearest glossaries differ; the message names them and the fix."""


@dataclass(frozen=True)
class Found:
    """The glossary a run uses (``path`` None: none was found) and where the search went."""

    path: Path | None
    inputs: tuple[Path, ...]  # the inputs it was found from
    searched: tuple[Path, ...] = ()  # the folders looked in (for the warning), nearest first


def _start(path: Path) -> Path:
    resolved = path.expanduser().absolute()
    return resolved if resolved.is_dir() else resolved.parent


def _stops_at(folder: Path, home: Path | None) -> bool:
    if folder == home or folder.parent == folder:
        return True
    return any((folder / marker).exists() for marker in ROOT_MARKERS)


def nearest(path: Path, home: Path | None = None) -> tuple[Path | None, tuple[Path, ...]]:
    """The nearest ``glossary.yml`` for one input, and the folders searched."""
    if home is None:
        try:
            home = Path.home()
        except RuntimeError:  # no home folder known
            home = None
    folder = _start(path)
    searched: list[Path] = []
    while True:
        searched.append(folder)
        candidate = folder / GLOSSARY_NAME
        if candidate.is_file():
            return candidate, tuple(searched)
        if _stops_at(folder, home):
            return None, tuple(searched)
        folder = folder.parent


def resolve(paths: Sequence[Path], home: Path | None = None) -> Found:
    """The one glossary for ``paths``; ``AmbiguousGlossary`` when their nearest ones differ."""
    by_glossary: dict[Path, list[Path]] = {}
    searched: list[Path] = []
    for path in paths:
        found, folders = nearest(path, home)
        searched.extend(f for f in folders if f not in searched)
        if found is not None:
            by_glossary.setdefault(found.resolve(), []).append(path)
    if len(by_glossary) > 1:
        listed = "; ".join(
            f"{glossary} for {', '.join(str(p) for p in inputs)}"
            for glossary, inputs in by_glossary.items()
        )
        raise AmbiguousGlossary(
            f"the inputs have different glossaries ({listed}): translate each group in its own "
            "run, or choose one with --glossary FILE"
        )
    if not by_glossary:
        return Found(None, tuple(paths), tuple(searched))
    ((glossary, inputs),) = by_glossary.items()
    return Found(glossary, tuple(inputs), tuple(searched))


def missing_warning(found: Found) -> str:
    """The ``warning:`` line when no glossary was found for the inputs."""
    top = found.searched[-1] if found.searched else Path(".")
    return (
        f"no {GLOSSARY_NAME} found beside the inputs (searched their folders up to {top}): "
        "translating without the movement glossary; give one with --glossary FILE, or "
        "--no-glossary to translate without one on purpose"
    )
