"""Finding source files: folders expanded into the files a reader can take."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path


def find_sources(
    paths: list[Path], suffixes: Collection[str]
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand folders into their files whose suffix is in ``suffixes`` (sorted).

    Returns the files and (path, reason) for paths that do not exist and folders without a
    source file.
    """
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith(".")
            )
            if not found:
                problems.append((path, f"no source files ({', '.join(suffixes)}) in this folder"))
            files.extend(found)
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            problems.append((path, "no such file or folder"))
    return files, problems
