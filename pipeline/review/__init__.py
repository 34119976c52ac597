"""The translator review round trip.

Export: a segments sidecar (``OUT/<stem>/review/<stem>.<src>-<tgt>.segments.json``, written
by the run) becomes a review DOCX and an XLIFF 1.2 file next to it. Import: a returned review
file becomes corrections stored as approved in the translation memory.

``sidecar`` is the model (rows, hashes, sidecar files), ``docx`` and ``xliff`` are the two
formats (a writer and a reader each), ``files`` the format table and where files live,
``importer`` the import.
"""

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
    segment_entry,
    sidecar_path,
    write_sidecar,
)

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
    "review_paths",
    "segment_entry",
    "sidecar_path",
    "write_review_files",
    "write_sidecar",
]
