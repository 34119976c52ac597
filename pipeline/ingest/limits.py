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
PIPELINE_MAX_PICTURE_MB        20       decoded size of one picture written inside an RTF
PIPELINE_MAX_IMPORT_MB         100      size of a file imported (TMX, XLIFF, TBX, CSV, YAML…)
PIPELINE_MAX_IMPORT_UNITS      200000   units of a TMX/XLIFF, entries of a TBX/CSV glossary
PIPELINE_MAX_YAML_NODES        1000000  values of a YAML file once its aliases are expanded
PIPELINE_MAX_MESSAGES          200      lines said about one imported file (the rest counted)
PIPELINE_MAX_RESPONSE_MB       16       body of one answer from a server (LibreTranslate)
PIPELINE_MAX_REQUEST_SECONDS   300      one whole request to a server, however it trickles
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
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from pipeline.ingest.errors import ReadError
from pipeline.untrusted import YamlBounds, load_yaml

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
    max_picture_mb: int = 20
    max_import_mb: int = 100
    max_import_units: int = 200_000
    max_yaml_nodes: int = 1_000_000
    max_messages: int = 200
    max_response_mb: int = 16
    max_request_seconds: int = 300
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
    except (
        zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, zlib.error
    ) as exc:  # fmt: skip
        raise ReadError(f"not a valid .{kind} file (damaged or truncated zip)") from exc
    except NotImplementedError as exc:
        raise ReadError(f"not a valid .{kind} file (unsupported compression)") from exc
    if bad:
        raise ReadError(f"not a valid .{kind} file (damaged entry {bad})")
    return [e.filename for e in entries]


# --- every reader, importer and client, with its bounds: the one list -----------------------


@dataclass(frozen=True)
class Bounds:
    """How one reader, importer or client is bounded: the ``Limits`` fields on its size and
    its depth (or, written ``"fixed: …"``, a bound set by the library it uses), and its rule
    about files outside the document."""

    name: str
    size: tuple[str, ...]
    depth: str
    outside_files: str


_NO_FILES = "reads only the file given"
_PANDOC = ("max_file_mb", "max_pandoc_mb", "max_pandoc_seconds")
_ZIPPED = ("max_file_mb", "max_unzipped_mb", "max_zip_entries", "max_zip_ratio", *_PANDOC)
_PDF = ("max_file_mb", *(f.name for f in fields(Limits) if f.name.startswith("max_pdf_")))
_PICTURES = (
    "pictures only from inside the source's folder (or data: URIs); an absolute or ../ path "
    "is alt text and a note; nothing fetched (pandoc --sandbox)"
)
_INSIDE = "pictures only from inside the file itself; links to other files are never followed"
_XML = "fixed: 256 XML levels (lxml without huge_tree)"
_XML_FILES = "no DTD, no entity resolved (an entity reference refuses its unit), no network"

READER_BOUNDS: dict[str, Bounds] = {
    ".txt": Bounds("plain text", ("max_file_mb",), "fixed: flat (no nesting)", _NO_FILES),
    ".md": Bounds("Markdown", _PANDOC, "max_nesting", _PICTURES),
    ".markdown": Bounds("Markdown", _PANDOC, "max_nesting", _PICTURES),
    ".html": Bounds("HTML", _PANDOC, "max_nesting", _PICTURES),
    ".htm": Bounds("HTML", _PANDOC, "max_nesting", _PICTURES),
    ".docx": Bounds("DOCX", _ZIPPED, "max_nesting", _INSIDE),
    ".odt": Bounds("ODT", _ZIPPED, "max_nesting", _INSIDE),
    ".epub": Bounds("EPUB", _ZIPPED, "max_nesting", _INSIDE),
    ".rtf": Bounds("RTF", (*_PANDOC, "max_picture_mb"), "max_nesting", _INSIDE),
    # Every ``max_pdf_*`` limit is the PDF reader's (pages; the decoded stream bytes and the
    # objects and text per page of its rewrite, issue 23): the row takes them all.
    ".pdf": Bounds("PDF", _PDF, "max_nesting", _NO_FILES),
}
"""Every suffix ``pipeline.ingest.READERS`` reads, with its bounds (a test checks both agree)."""


def reads_beside(path: Path) -> bool:
    """Whether reading ``path`` takes files from beside it (a Markdown or HTML file's
    pictures from the source's folder), so it must be read where that folder is."""
    bounds = READER_BOUNDS.get(Path(path).suffix.lower())
    return bounds is not None and bounds.outside_files == _PICTURES


IMPORTER_BOUNDS: dict[str, Bounds] = {
    "tmx": Bounds(
        "TMX import (tm import)",
        ("max_import_mb", "max_import_units", "max_messages"),
        _XML,
        _XML_FILES,
    ),
    "xliff": Bounds(
        "review XLIFF import",
        ("max_import_mb", "max_import_units", "max_messages"),
        _XML,
        _XML_FILES,
    ),
    "review-docx": Bounds(
        "review DOCX import",
        ("max_import_mb", "max_unzipped_mb", "max_zip_entries", "max_zip_ratio"),
        _XML,
        "reads only the file given (its zip checked as a source DOCX is)",
    ),
    "omegat": Bounds(
        "OmegaT project import",
        ("max_import_mb", "max_import_units", "max_messages"),
        _XML,
        "reads only the project's own target/ files and its TMX; no entity resolved",
    ),
    "tbx": Bounds("TBX glossary import", ("max_import_mb", "max_import_units"), _XML, _XML_FILES),
    "csv": Bounds(
        "CSV glossary import",
        ("max_import_mb", "max_import_units"),
        "fixed: flat (rows)",
        _NO_FILES,
    ),
    "yaml": Bounds(
        "YAML (glossary.yml, leaflet.yml, engines.yml, model manifests)",
        ("max_import_mb", "max_yaml_nodes"),
        "max_nesting",
        "no tags, no includes (the safe loader); aliases counted as expanded",
    ),
    "libretranslate": Bounds(
        "LibreTranslate client",
        ("max_response_mb", "max_request_seconds"),
        "max_nesting",
        "connects only to the --url given; follows no redirect",
    ),
}
"""Every importer of a file the pipeline did not write itself, and every network client."""


def check_import_size(path: Path, limits: Limits, what: str) -> int:
    """The size of ``path`` (a file to import) or ``ReadError`` past ``max_import_mb``, by
    stat, before a byte is read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from exc
    if size > limits.max_import_mb * _MB:
        raise limits.refusal(
            "max_import_mb", f"the {what} is larger than {limits.max_import_mb} MB "
            f"({size / _MB:.0f} MB)"
        )  # fmt: skip
    return size


def capped(lines: list[str], limits: Limits) -> list[str]:
    """At most ``max_messages`` of ``lines``, the rest counted in a last line."""
    cap = limits.max_messages
    if len(lines) <= cap:
        return lines
    rest = len(lines) - cap
    return [
        *lines[:cap],
        f"… and {rest} more line{'s' if rest != 1 else ''} like these "
        f"(limit {limits.variable('max_messages')}={cap}; --json lists them all)",
    ]


def load_untrusted_yaml(text: str, limits: Limits | None = None) -> tuple[yaml.Node | None, Any]:
    """(node graph, data) of YAML text within ``max_import_mb``, ``max_yaml_nodes`` (aliases
    counted as expanded) and ``max_nesting``; a ``yaml.YAMLError`` (``YamlBounds``) past
    them, so a caller's handling of bad YAML applies."""
    limits = limits or Limits.from_env()
    if len(text) > limits.max_import_mb * _MB:
        raise YamlBounds(
            f"larger than {limits.max_import_mb} MB "
            f"(limit {limits.variable('max_import_mb')}={limits.max_import_mb})",
            None,
        )
    try:
        return load_yaml(text, max_nodes=limits.max_yaml_nodes, max_depth=limits.max_nesting)
    except YamlBounds as exc:
        name = "max_nesting" if "levels deep" in str(exc.problem) else "max_yaml_nodes"
        value = getattr(limits, name)
        refused = YamlBounds(f"{exc.problem} (limit {limits.variable(name)}={value})", None)
        refused.problem_mark = exc.problem_mark
        raise refused from exc
