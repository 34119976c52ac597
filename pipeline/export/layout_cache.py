"""Page counts LibreOffice gave source files, remembered across runs.

When a source's own statistics cannot be believed (``inplace.stated_pages``), ``page_fit``
lays the source out once to count its pages; the count is kept here, keyed by the file's
sha256 and by what decides a layout besides the file (the LibreOffice build and the font
caches), so the next run over the same file does not lay it out again. A small SQLite file:
$PIPELINE_LAYOUT_CACHE, else ``layout.sqlite3`` in the user's cache folder
(``~/.cache/statement-pipeline`` on Linux). It is a cache: one that cannot be read or
written is passed by, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

ENV_VAR = "PIPELINE_LAYOUT_CACHE"
APP_NAME = "statement-pipeline"
FILE_NAME = "layout.sqlite3"
FONT_CACHES = ("/var/cache/fontconfig", "~/.cache/fontconfig")
"""Folders fontconfig rewrites when fonts are installed or removed (a font changes layouts)."""
_BUSY_TIMEOUT_S = 5.0


def cache_path() -> Path:
    """$PIPELINE_LAYOUT_CACHE, else ``layout.sqlite3`` in the user's cache folder."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / FILE_NAME


def layout_key(binary: str) -> str:
    """What decides a layout besides the file: the LibreOffice build at ``binary`` (its
    ``versionrc``) and when the font caches last changed."""
    program = Path(binary).resolve().parent
    parts = [str(program)]
    for path in (program / "versionrc", *map(Path, FONT_CACHES)):
        with contextlib.suppress(OSError):
            stat = path.expanduser().stat()
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS source_pages ("
            " sha256 TEXT NOT NULL, layout TEXT NOT NULL, pages INTEGER NOT NULL,"
            " PRIMARY KEY (sha256, layout))"
        )
        yield conn
    finally:
        conn.close()


def remembered_pages(sha256: str, layout: str) -> int | None:
    """The page count kept for the file ``sha256`` under ``layout``, or None."""
    path = cache_path()
    if not path.is_file():
        return None
    try:
        with _connection(path) as conn:
            row = conn.execute(
                "SELECT pages FROM source_pages WHERE sha256 = ? AND layout = ?", (sha256, layout)
            ).fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def remember_pages(sha256: str, layout: str, pages: int) -> None:
    """Keep ``pages`` for the file ``sha256`` under ``layout`` (silently not, when the cache
    cannot be written)."""
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _connection(path) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO source_pages (sha256, layout, pages) VALUES (?, ?, ?)",
                (sha256, layout, pages),
            )
    except (OSError, sqlite3.Error):
        return
