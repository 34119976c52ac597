"""Finding source files: the paths a user gives → the files a reader can take.

Folders are walked without following links that lead outside the folder given (unless
``follow_links``), without entering the output folder (nor any folder holding a report.json,
the mark of an earlier run's output), hidden folders or a link loop, and each file is found once
however it is named; review files are never sources. What is left out is said, not dropped silently:
``problems`` are failures (a path that does not exist, a folder that cannot be read or holds no
source file), ``skipped`` are notices (unsupported files, named and counted; links not
followed).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

# What marks the pipeline's own outputs, never read as sources: a document's output folder
# holds report.json; review DOCX files end in .review.docx.
_REPORT = "report.json"
_REVIEW_SUFFIX = ".review.docx"
# How many unsupported files a folder's line names before it says "and N more".
_NAMES_SHOWN = 10


@dataclass
class Sources:
    """What :func:`find_sources` found."""

    files: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _file_key(path: Path) -> tuple[int, int] | str:
    """The identity of a file: device and inode, or its real path when stat fails."""
    try:
        info = path.stat()
    except OSError:
        return os.path.realpath(path)
    return info.st_dev, info.st_ino


class _Walk:
    def __init__(self, suffixes: Collection[str], exclude: list[Path], follow_links: bool) -> None:
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.exclude = [os.path.realpath(p) for p in exclude]
        self.follow_links = follow_links
        self.result = Sources()
        self.seen_files: set[tuple[int, int] | str] = set()

    def add_file(self, path: Path) -> bool:
        key = _file_key(path)
        if key in self.seen_files:
            return False
        self.seen_files.add(key)
        self.result.files.append(path)
        return True

    def excluded(self, real: str) -> bool:
        return any(_inside(real, folder) for folder in self.exclude)

    def path(self, path: Path) -> None:
        real = os.path.realpath(path)
        if path.is_dir():
            if self.excluded(real):
                self.result.problems.append(
                    (path, "is the output folder (or inside it); not read as input")
                )
                return
            self.folder(path, real)
        elif path.exists() or path.is_symlink():
            self.add_file(path)  # the reader gives the exact reason if it cannot be read
        else:
            self.result.problems.append((path, "no such file or folder"))

    def _kind(self, entry: os.DirEntry[str], path: Path) -> str:
        """What a folder's entry is to the walk: a ``folder`` to go into, a ``source``, an
        ``unsupported`` file, or nothing (skipped, with its line when the user should know)."""
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if self.excluded(os.path.realpath(path)):
                return ""
            if (path / _REPORT).is_file():
                self.result.skipped.append(
                    (path, f"skipped: an output folder of this pipeline (holds {_REPORT})")
                )
                return ""
            return "folder"
        if path.name.lower().endswith(_REVIEW_SUFFIX):
            self.result.skipped.append(
                (path, "skipped: a review file (bring it back with `pipeline review import`)")
            )
            return ""
        if path.suffix.lower() in self.suffixes:
            return "" if self.excluded(os.path.realpath(path)) else "source"
        return "" if self.excluded(os.path.realpath(path)) else "unsupported"

    def folder(self, root: Path, root_real: str) -> None:
        found: list[Path] = []
        unsupported: list[Path] = []
        visited: set[tuple[int, int]] = set()
        stack: list[Path] = [root]
        while stack:
            folder = stack.pop()
            try:
                info = folder.stat()
                if (info.st_dev, info.st_ino) in visited:
                    continue
                visited.add((info.st_dev, info.st_ino))
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except PermissionError:
                self.result.problems.append((folder, "permission denied: cannot list this folder"))
                continue
            except OSError as exc:
                self.result.problems.append((folder, f"cannot list this folder: {exc.strerror}"))
                continue
            subfolders: list[Path] = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = Path(entry.path)
                if entry.is_symlink() and not self.link_allowed(path, root, root_real):
                    continue
                kind = self._kind(entry, path)
                if kind == "folder":
                    subfolders.append(path)
                elif kind == "source":
                    found.append(path)
                elif kind == "unsupported":
                    unsupported.append(path)
            stack.extend(reversed(subfolders))  # depth first, in name order
        for path in sorted(found):
            self.add_file(path)
        if unsupported:
            names = [p.relative_to(root).as_posix() for p in sorted(unsupported)]
            n = len(names)
            listed = ", ".join(names[:_NAMES_SHOWN])
            if n > _NAMES_SHOWN:
                listed += f" and {n - _NAMES_SHOWN} more"
            self.result.skipped.append(
                (root, f"{n} unsupported file{'s' if n != 1 else ''} not read: {listed}")
            )
        if not found and not any(_inside(str(p), str(root)) for p, _ in self.result.problems):
            self.result.problems.append(
                (root, f"no source files ({', '.join(self.suffixes)}) in this folder")
            )

    def link_allowed(self, link: Path, root: Path, root_real: str) -> bool:
        """Whether to follow ``link`` found while walking ``root``; says why not."""
        real = os.path.realpath(link)
        if not os.path.exists(real):
            self.result.skipped.append((link, "skipped: a broken link"))
            return False
        if os.path.isdir(real) and _inside(os.path.realpath(link.parent), real):
            self.result.skipped.append(
                (link, "skipped: a link loop (it leads back to a folder above it)")
            )
            return False
        if not self.follow_links and not _inside(real, root_real):
            self.result.skipped.append(
                (
                    link,
                    f"skipped: a link to {real}, outside {root} (use --follow-links to follow it)",
                )
            )
            return False
        return True


def find_sources(
    paths: list[Path],
    suffixes: Collection[str],
    *,
    exclude: list[Path] | None = None,
    follow_links: bool = False,
) -> Sources:
    """Expand ``paths`` into source files: files given by name are taken as they are (the
    reader says if it cannot read them); folders are walked for files whose suffix is in
    ``suffixes``, sorted by path. ``exclude`` lists folders and files never read nor named
    (the output folder, the run's glossary).
    """
    walk = _Walk(suffixes, exclude or [], follow_links)
    for path in paths:
        walk.path(Path(path))
    return walk.result
