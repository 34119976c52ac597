"""Limits checked before any reader works on a file, so hostile input is refused cheaply.

Every refusal is one line that names the limit and the environment variable that raises it.
The defaults suit statements (a few pages to a few hundred); each can be changed with an
environment variable, read when the limits are made (never at import):

=============================  =======  ===================================================
variable                       default  what it bounds
=============================  =======  ===================================================
PIPELINE_MAX_FILE_MB           50       size of a source file (checked with stat first)
PIPELINE_MAX_UNZIPPED_MB       200      total uncompressed size of a DOCX/ODT/EPUB
PIPELINE_MAX_ZIP_ENTRIES       5000     number of entries in a DOCX/ODT/EPUB
PIPELINE_MAX_ZIP_RATIO         100      compression ratio of one entry (above 1 MB)
PIPELINE_MAX_PANDOC_MB         1024     memory pandoc may use (its ``+RTS -M`` heap cap)
PIPELINE_MAX_PANDOC_SECONDS    60       time pandoc may take to read one file
PIPELINE_MAX_NESTING           200      depth of nested quotes, lists, divs
PIPELINE_MAX_PDF_PAGES         500      pages of a PDF
PIPELINE_MAX_PDF_STREAM_MB     100      decoded size of one PDF stream (measured, not kept)
PIPELINE_MAX_PDF_DECODED_MB    500      decoded size of all of a PDF's streams together
PIPELINE_MAX_PDF_PAGE_OBJECTS  200000   drawing and text operators on one PDF page
PIPELINE_MAX_PDF_PAGE_CHARS    100000   characters of text on one PDF page
=============================  =======  ===================================================
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline.ingest.errors import ReadError

_MB = 1024 * 1024
# Entries smaller than this may have any compression ratio (an empty styles part compresses
# 200:1 and harms no one).
_RATIO_FLOOR_BYTES = _MB


@dataclass(frozen=True)
class Limits:
    """The resource limits of reading; :meth:`from_env` applies ``PIPELINE_MAX_*``."""

    max_file_mb: int = 50
    max_unzipped_mb: int = 200
    max_zip_entries: int = 5000
    max_zip_ratio: int = 100
    max_pandoc_mb: int = 1024
    max_pandoc_seconds: int = 60
    max_nesting: int = 200
    max_pdf_pages: int = 500
    max_pdf_stream_mb: int = 100
    max_pdf_decoded_mb: int = 500
    max_pdf_page_objects: int = 200_000
    max_pdf_page_chars: int = 100_000

    @staticmethod
    def variable(name: str) -> str:
        """The environment variable of the field ``name``: ``PIPELINE_MAX_FILE_MB``."""
        return f"PIPELINE_{name.upper()}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with every ``PIPELINE_MAX_*`` variable that is set applied."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, int] = {}
        for f in fields(cls):
            raw = environ.get(cls.variable(f.name))
            if raw is None or not raw.strip():
                continue
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value <= 0:
                raise ReadError(f"{cls.variable(f.name)}={raw!r} is not a positive whole number")
            values[f.name] = value
        return cls(**values)

    def refusal(self, name: str, what: str) -> ReadError:
        """The one-line error for exceeding the limit ``name``."""
        value = getattr(self, name)
        return ReadError(f"{what} (limit {self.variable(name)}={value})")


def check_regular_file(path: Path, limits: Limits) -> os.stat_result:
    """Stat ``path`` (following links) and refuse anything but a regular file within the size
    limit, before a byte is read."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise ReadError("a broken link: its target does not exist") from exc
        raise ReadError("cannot read: No such file or directory") from exc
    except PermissionError as exc:
        raise ReadError("permission denied") from exc
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise ReadError("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ReadError("not a regular file (a device, pipe or socket); give a file")
    if info.st_size > limits.max_file_mb * _MB:
        raise limits.refusal(
            "max_file_mb",
            f"the file is larger than {limits.max_file_mb} MB ({info.st_size / _MB:.0f} MB)",
        )
    return info


def read_bytes(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file within the size limit (never more than the limit, even if
    the file grows while it is read)."""
    check_regular_file(path, limits)
    cap = limits.max_file_mb * _MB
    try:
        with path.open("rb") as handle:
            data = handle.read(cap + 1)
    except PermissionError as exc:
        raise ReadError("permission denied") from exc
    except IsADirectoryError as exc:
        raise ReadError("is a folder, not a file") from exc
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > cap:
        raise limits.refusal("max_file_mb", f"the file is larger than {limits.max_file_mb} MB")
    return data


def check_zip(path: Path, kind: str, limits: Limits) -> list[str]:
    """Refuse a ZIP-based file (DOCX, ODT, EPUB) that is damaged or would expand beyond the
    limits, judging by its directory first and only then checking every entry's CRC (which
    reads no more than the sizes the directory declared). Returns the entry names."""
    try:
        with zipfile.ZipFile(path) as zf:
            entries = zf.infolist()
            if len(entries) > limits.max_zip_entries:
                raise limits.refusal(
                    "max_zip_entries", f"the .{kind} file has {len(entries)} parts inside"
                )
            total = sum(e.file_size for e in entries)
            if total > limits.max_unzipped_mb * _MB:
                raise limits.refusal(
                    "max_unzipped_mb",
                    f"the .{kind} file expands to {total / _MB:.0f} MB",
                )
            for entry in entries:
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_zip_ratio:
                    raise limits.refusal(
                        "max_zip_ratio",
                        f"the .{kind} file's part {entry.filename} is compressed "
                        f"{ratio:.0f}:1, like a zip bomb",
                    )
            bad = zf.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ReadError(f"not a valid .{kind} file (damaged or truncated zip)") from exc
    except NotImplementedError as exc:
        raise ReadError(f"not a valid .{kind} file (unsupported compression)") from exc
    if bad:
        raise ReadError(f"not a valid .{kind} file (damaged entry {bad})")
    return [e.filename for e in entries]
