"""Atomic output: write to a temporary file in the target folder, then rename over the target.

The temporary file is ``.<name>.<pid>.<random>.part``; one left behind by a run that was killed
(``kill -9``, power loss) is removed by the next run that writes into that folder
(:func:`remove_stale_parts`).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_PART = re.compile(r"^\..+\.(\d+)\.[^.]+\.part$")
STALE_SECONDS = 3600
"""A ``.part`` file without a process id is taken as stale after this long."""


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    On any error the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    write_bytes_atomic(target, text.encode("utf-8"))


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_parts(folder: Path) -> list[Path]:
    """Remove the ``.part`` files under ``folder`` left by runs that no longer exist (their
    process is gone, or, for names without a process id, older than ``STALE_SECONDS``);
    returns what was removed. A live run's temporary files are left alone."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for path in folder.rglob(".*.part"):
        match = _PART.match(path.name)
        try:
            if match:
                stale = not _running(int(match.group(1)))
            else:
                stale = now - path.lstat().st_mtime > STALE_SECONDS
            if stale and path.is_file():
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed
