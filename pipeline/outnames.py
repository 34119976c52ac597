"""Output folder names: one per source, never shared, readable, safe on any disk.

A source's output folder is ``OUT/<name>/`` and its files ``<name>.<lang>.<fmt>``. The name is
the file's stem, preceded by the folders between the folder given on the command line and the
file, joined with ``--``: ``source_docs/peru.txt`` → ``peru``, ``source_docs/a/statement.txt``
→ ``a--statement``. It depends only on the file and the folder it was found in, so it is the
same from run to run whatever else is in the batch. Should two sources of one batch still get
the same name (files given by name from different folders, ``s.txt`` beside ``s.md``, names that
differ only in case), the clashing ones get their parent folder, then their extension, then a
number, until every name is distinct (compared without case, for case-insensitive disks).

Characters that are unsafe or misleading in a file name (newlines and other control or
invisible characters, slashes and their look-alikes, ``\\ : * ? " < > |``) become ``_``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

SEPARATOR = "--"
"""Between the folders and the stem in a name (``a--statement``)."""

MAX_NAME_BYTES = 120
"""A name's length in UTF-8 (the files add ``.<lang>.leaflet-a5.bw.bleed.2up.pdf``; disks
allow 255 bytes)."""

_SLASH_LIKE = "/\\\u2044\u2215\u29f8\u29f9\uff0f\uff3c\u2571\u2572\u3033\u30fb"
_UNSAFE = re.compile(f'[{re.escape(_SLASH_LIKE)}:*?"<>|]')


def safe_name(text: str) -> str:
    """``text`` as a file name part: unsafe characters replaced by ``_``, not hidden, bounded."""
    text = unicodedata.normalize("NFC", text)
    chars = [
        "_" if unicodedata.category(c).startswith(("C", "Z")) and c != " " else c for c in text
    ]
    name = _UNSAFE.sub("_", "".join(chars))
    name = re.sub(r"_{2,}", "_", name).strip(" ._") or "document"
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" ._")
    return name


def output_file(stem: str, langs: str, kind: str) -> str:
    """The name of every output file: ``<stem>.<langs>.<kind>``. ``langs`` is the target
    language (``peru.es.docx``, ``peru.es.leaflet-a5.bw.pdf``) or the pair (``peru.en-es.
    segments.json``, ``peru.en-es.bilingual.pdf``); ``kind`` the format or what the file is."""
    return f"{stem}.{langs}.{kind}"


def _relative_folders(path: Path, roots: Sequence[Path]) -> list[str]:
    """The folders between the deepest root containing ``path`` and the file."""
    real = os.path.abspath(path)
    best: list[str] | None = None
    for root in roots:
        base = os.path.abspath(root)
        if real.startswith(base.rstrip(os.sep) + os.sep):
            parts = list(Path(os.path.relpath(real, base)).parts[:-1])
            if best is None or len(parts) < len(best):
                best = parts
    return best or []


def output_names(files: Sequence[Path], roots: Sequence[Path] = ()) -> list[str]:
    """One distinct, safe output name per file (see the module docstring); ``roots`` are the
    folders the files were found in (the command line's folders)."""
    folders = [_relative_folders(f, [r for r in roots if Path(r).is_dir()]) for f in files]
    names = [
        SEPARATOR.join(safe_name(p) for p in [*fs, f.stem])
        for f, fs in zip(files, folders, strict=True)
    ]

    for group in _clashes(names):
        parents = {Path(os.path.abspath(files[i])).parent for i in group}
        suffixes = {files[i].suffix.lower() for i in group}
        for i in group:
            if len(parents) > 1:
                names[i] = _with_parent(names[i], files[i])
            if len(parents) < len(group) and len(suffixes) > 1:
                names[i] = _with_suffix(names[i], files[i])
    taken = {name.casefold() for name in names}
    for group in _clashes(names):
        for i in group[1:]:  # the first keeps its name; the others are numbered
            n = 2
            while f"{names[i]}-{n}".casefold() in taken:
                n += 1
            names[i] = f"{names[i]}-{n}"
            taken.add(names[i].casefold())
    return names


def _clashes(names: list[str]) -> list[list[int]]:
    """Groups of indexes whose names are equal without case."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name.casefold(), []).append(i)
    return [group for group in seen.values() if len(group) > 1]


def _with_parent(name: str, path: Path) -> str:
    parent = Path(os.path.abspath(path)).parent.name
    prefix = safe_name(parent) + SEPARATOR
    return name if not parent or name.startswith(prefix) else prefix + name


def _with_suffix(name: str, path: Path) -> str:
    suffix = path.suffix.lstrip(".").lower()
    return f"{name}-{safe_name(suffix)}" if suffix else name
