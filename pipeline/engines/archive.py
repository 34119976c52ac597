"""Model archives (zip) checked before anything is extracted, and extracted safely.

One rule set for every model file the pipeline installs (Argos ``.argosmodel``, OPUS-MT release
zips): no entry may escape the destination folder (absolute paths, ``..``, drive letters,
backslashes), no symbolic links, a bounded number of entries and uncompressed size, no entry
with a zip-bomb compression ratio, and extraction counts the real bytes (declared sizes can
lie). Problems are raised through the caller's ``bad`` factory, so each installer words its own
one-line error.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

MAX_UNCOMPRESSED_BYTES = 4 * 1024**3  # real models are ~100 MB - 2.5 GB
MAX_ENTRIES = 10_000
MAX_RATIO = 1000  # uncompressed/compressed per entry beyond 1 MB: a zip bomb
CHUNK = 1 << 16

Bad = Callable[[str], Exception]
"""Makes the exception to raise from a one-line reason (the caller adds the file name)."""


def entry_parts(info: zipfile.ZipInfo, bad: Bad) -> tuple[str, ...]:
    """The path parts of one entry; ``bad(...)`` when it is a link or would escape the folder."""
    name = info.filename
    mode = (info.external_attr >> 16) & 0xFFFF
    if stat.S_ISLNK(mode):
        raise bad(f"entry {name!r} is a symbolic link (refused)")
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\0" in name:
        raise bad(f"entry {name!r} would be written outside the package folder")
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if ".." in parts or not parts:
        raise bad(f"entry {name!r} would be written outside the package folder")
    return parts


def check_entries(
    archive: zipfile.ZipFile, bad: Bad, max_bytes: int = MAX_UNCOMPRESSED_BYTES
) -> tuple[set[tuple[str, ...]], set[str], int]:
    """(file paths as parts, top-level names, uncompressed bytes) after the safety checks."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise bad(f"{len(infos)} entries is too many for a model package")
    top: set[str] = set()
    files: set[tuple[str, ...]] = set()
    total = 0
    for info in infos:
        parts = entry_parts(info, bad)
        top.add(parts[0])
        if not info.is_dir():
            files.add(parts)
        total += info.file_size
        if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise bad(f"entry {info.filename!r} is a zip bomb (compression ratio)")
    if total > max_bytes:
        raise bad(f"uncompressed size {total / 1e9:.1f} GB is absurd for a model package")
    return files, top, total


def extract(
    path: Path, destination: Path, bad: Bad, max_bytes: int = MAX_UNCOMPRESSED_BYTES
) -> None:
    """Extract entry by entry into ``destination``, counting real bytes."""
    written = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                parts = entry_parts(info, bad)
                target = destination.joinpath(*parts)
                if not target.resolve().is_relative_to(destination.resolve()):
                    raise bad(f"entry {info.filename!r} escapes the package folder")
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                entry_bytes = 0
                with archive.open(info) as source, open(target, "wb") as sink:
                    while chunk := source.read(CHUNK):
                        entry_bytes += len(chunk)
                        written += len(chunk)
                        if entry_bytes > info.file_size or written > max_bytes:
                            raise bad(f"entry {info.filename!r} is larger than declared")
                        sink.write(chunk)
    except zipfile.BadZipFile as exc:
        raise bad(f"corrupt zip archive ({exc})") from exc
