"""The translator review round trip.

Export: a segments sidecar (``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json``, written
by the run) becomes a review DOCX and an XLIFF 1.2 file next to it. Import: a returned review
file becomes corrections stored as approved in the translation memory.

``sidecar`` is the model (rows, hashes, sidecar files), ``docx`` and ``xliff`` are the two
formats (a writer and a reader each), ``files`` the format table and where files live,
``importer`` the import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.review.files import (
        REVIEW_FORMATS,
        export_review,
        find_sidecars,
        review_paths,
        write_review_files,
    )
    from pipeline.review.importer import (
        ApprovingMemory,
        Correction,
        ImportResult,
        Refusal,
        default_reviewer,
        import_review,
        marker_problem,
        plan_import,
    )
    from pipeline.review.sidecar import (
        ReviewError,
        ReviewRow,
        ReviewSet,
        load_sidecar,
        record_entry,
        segment_entry,
        sidecar_path,
        write_sidecar,
    )

_SUBMODULE = {
    "REVIEW_FORMATS": "files",
    "export_review": "files",
    "find_sidecars": "files",
    "review_paths": "files",
    "write_review_files": "files",
    "ApprovingMemory": "importer",
    "Correction": "importer",
    "ImportResult": "importer",
    "Refusal": "importer",
    "default_reviewer": "importer",
    "import_review": "importer",
    "marker_problem": "importer",
    "plan_import": "importer",
    "ReviewError": "sidecar",
    "ReviewRow": "sidecar",
    "ReviewSet": "sidecar",
    "load_sidecar": "sidecar",
    "record_entry": "sidecar",
    "segment_entry": "sidecar",
    "sidecar_path": "sidecar",
    "write_sidecar": "sidecar",
}


def __getattr__(name: str) -> Any:
    """The package's names, each loaded from its module on first use: a run writes sidecars
    on every document and needs neither python-docx nor the XLIFF code for that."""
    module = _SUBMODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"pipeline.review.{module}"), name)


__all__ = [
    "REVIEW_FORMATS",
    "ApprovingMemory",
    "Correction",
    "ImportResult",
    "Refusal",
    "ReviewError",
    "ReviewRow",
    "ReviewSet",
    "default_reviewer",
    "export_review",
    "find_sidecars",
    "import_review",
    "load_sidecar",
    "marker_problem",
    "plan_import",
    "record_entry",
    "review_paths",
    "segment_entry",
    "sidecar_path",
    "write_review_files",
    "write_sidecar",
]
