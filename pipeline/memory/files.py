"""The memory file on disk: refusing a truncated one, creating a new one atomically.

A memory that was truncated (0 bytes, or shorter than its SQLite header says) must never be
taken for a new, empty memory: its approved translations would silently stop being used.
A new memory is therefore created whole (schema and all) and linked into place, so no run can
see a 0-byte memory that is legitimately new.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

_SQLITE_MAGIC = b"SQLite format 3\x00"


def truncation_problem(path: Path) -> str | None:
    """Why the existing file ``path`` is truncated or cannot be read; None when it looks whole
    (a file that is not SQLite at all is left to sqlite3 to name)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if size == 0:
        return (
            "is empty (0 bytes): the file was truncated or damaged and holds none of its "
            "approved translations; restore it from a backup, or delete it to start a new, "
            "empty memory"
        )
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    if pages and size < page_size * pages and not wal.exists():
        return (
            f"is truncated ({size} bytes of the {page_size * pages} its header announces); "
            "restore it from a backup, or move it away to start a new, empty memory"
        )
    return None


def create_atomically(path: Path, statements: Sequence[str]) -> None:
    """Create the SQLite file ``path`` with ``statements`` run in it, atomically: written in a
    temporary file beside it, then hard-linked into place. If another run created ``path``
    meanwhile, that file is kept. Raises ``OSError`` or ``sqlite3.Error``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            for statement in statements:
                if statement.strip():
                    conn.execute(statement)
        finally:
            conn.close()
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
