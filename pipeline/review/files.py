"""Where review files live and which module reads or writes each format.

Review files sit next to their sidecar with the same base name:
``<stem>.<src>-<tgt>.segments.json`` → ``<stem>.<src>-<tgt>.review.docx`` and ``….xlf``.
A returned file's format is known by its suffix (``FORMATS``); adding a format is one module
with a writer and a reader, and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.errors import ReadError
from pipeline.ingest.limits import Limits, check_import_size, check_zip
from pipeline.review import docx, omegat, xliff
from pipeline.review.sidecar import (
    SIDECAR_SUFFIX,
    ReturnedFile,
    ReviewError,
    ReviewSet,
    load_sidecar,
    sidecar_name,
)

DOCX_SUFFIX = ".review.docx"
XLIFF_SUFFIX = ".xlf"


@dataclass(frozen=True)
class ReviewFormat:
    """One review file format: the suffix it is written with, the suffixes read as it."""

    name: str
    suffix: str
    read_suffixes: tuple[str, ...]
    write: Callable[[ReviewSet, Path], Path]
    read: Callable[[Path], ReturnedFile]


FORMATS: dict[str, ReviewFormat] = {
    "docx": ReviewFormat("docx", DOCX_SUFFIX, (".docx",), docx.write_review_docx,
                         docx.read_returned),
    "xliff": ReviewFormat("xliff", XLIFF_SUFFIX, (".xlf", ".xliff"), xliff.write_xliff,
                          xliff.read_returned),
    "omegat": ReviewFormat("omegat", omegat.PROJECT_SUFFIX, (".tmx",), omegat.write_project,
                           omegat.read_returned),
}  # fmt: skip
REVIEW_FORMATS = ("docx", "xliff")
"""What ``translate --review`` writes; ``review export --omegat`` adds OmegaT projects."""

SAVE_AS_DOCX = (".odt", ".doc", ".rtf", ".fodt")


def format_of(path: Path) -> ReviewFormat:
    """The format of a returned review file, by its suffix; ``ReviewError`` for other files.

    A folder is an OmegaT project; an XLIFF inside one is read as the XLIFF it is.
    """
    if path.is_dir():
        return FORMATS["omegat"]
    suffix = path.suffix.lower()
    if suffix in SAVE_AS_DOCX:
        raise ReviewError(
            f"saved as {suffix}: open it and save it as Word (.docx), then import the .docx"
        )
    for fmt in FORMATS.values():
        if suffix in fmt.read_suffixes:
            return fmt
    known = [s for fmt in FORMATS.values() for s in fmt.read_suffixes]
    raise ReviewError(
        f"not a review file (expected {', '.join(known[:-1])} or {known[-1]}, "
        "or an OmegaT project folder)"
    )


def read_returned(path: Path) -> ReturnedFile:
    """A returned review file of any format, as segments to import; a file is checked
    against ``max_import_mb`` (a review DOCX also as a source DOCX's zip is) before it is
    read."""
    fmt = format_of(path)
    if path.is_file():
        limits = Limits.from_env()
        try:
            check_import_size(path, limits, "review file")
            if path.suffix.lower() == ".docx":
                check_zip(path, "docx", limits)
        except ReadError as exc:
            if "(limit PIPELINE_" in str(exc):  # a damaged file: the reader says it its way
                raise ReviewError(str(exc)) from None
    return fmt.read(path)


def review_paths(sidecar: Path) -> dict[str, Path]:
    """Where the review files for a sidecar go: next to it, same base name (OmegaT: a folder)."""
    base = sidecar.name.removesuffix(SIDECAR_SUFFIX)
    return {name: sidecar.with_name(base + fmt.suffix) for name, fmt in FORMATS.items()}


def write_review_files(
    sidecar: Path | ReviewSet, formats: Sequence[str] = REVIEW_FORMATS
) -> dict[str, Path]:
    """Write the review DOCX and/or XLIFF for one sidecar; returns {format: path}."""
    review = sidecar if isinstance(sidecar, ReviewSet) else load_sidecar(sidecar)
    if review.sidecar is None:
        raise ReviewError("review set has no sidecar path to write next to")
    targets = review_paths(review.sidecar)
    written: dict[str, Path] = {}
    for name in formats:
        if name not in FORMATS:
            raise ValueError(f"unknown review format {name!r}")
        written[name] = FORMATS[name].write(review, targets[name])
    return written


def find_sidecars(root: Path, name: str | None = None) -> list[Path]:
    """Sidecars under ``root`` (an output folder, a document's folder, or a sidecar itself),
    all of them or only those called ``name``."""
    if root.is_file():
        wanted = root.name == name if name else root.name.endswith(SIDECAR_SUFFIX)
        return [root] if wanted else []
    pattern = name or "*" + SIDECAR_SUFFIX
    return sorted(p for p in root.rglob(pattern) if p.is_file())


def current_sidecar(
    document: str, src: str, tgt: str, near: Path, against: Path | None = None
) -> Path | None:
    """The sidecar holding the current segments of a returned file's document and pair.

    ``against`` (a sidecar, or a folder searched recursively) wins when given; otherwise the
    sidecar must sit next to the returned file ``near``.
    """
    if against is not None and against.is_file():
        return against
    name = sidecar_name(document, src, tgt)
    candidates = [near.parent / name]
    if against is not None:
        candidates.append(against / name)
        candidates.extend(find_sidecars(against, name))
    return next((c for c in candidates if c.is_file()), None)


def export_review(
    root: Path, formats: Sequence[str] = REVIEW_FORMATS
) -> list[tuple[Path, dict[str, Path] | str]]:
    """Regenerate review files for every sidecar under ``root``.

    Returns (sidecar, {format: path}) per sidecar, or (sidecar, error line) when one failed.
    """
    results: list[tuple[Path, dict[str, Path] | str]] = []
    for sidecar in find_sidecars(root):
        try:
            results.append((sidecar, write_review_files(sidecar, formats)))
        except ReviewError as exc:
            results.append((sidecar, str(exc)))
        except OSError as exc:
            results.append((sidecar, f"{sidecar}: cannot write review files ({exc.strerror})"))
    return results
