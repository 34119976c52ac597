"""The translation memory: the SQLite store (cache, approved, fuzzy, stats) and TMX exchange.

The policy that uses it (approved → cache → engine) is the translate stage's, in
``pipeline.translate``.
"""

from pipeline.memory.store import (
    APP_NAME,
    ENV_VAR,
    FILE_NAME,
    ApprovedEntry,
    FuzzyMatch,
    MemoryFileError,
    MemoryKey,
    StoredApproval,
    TranslationMemory,
    TranslationMemoryError,
    default_memory_path,
    normalize_source,
    resolve_memory_path,
)
from pipeline.memory.tmx import (
    TmxError,
    TmxImportResult,
    export_tmx,
    import_tmx,
    import_tmx_detailed,
    read_tmx,
)

__all__ = [
    "APP_NAME",
    "ENV_VAR",
    "FILE_NAME",
    "ApprovedEntry",
    "FuzzyMatch",
    "MemoryFileError",
    "MemoryKey",
    "StoredApproval",
    "TmxError",
    "TmxImportResult",
    "TranslationMemory",
    "TranslationMemoryError",
    "default_memory_path",
    "export_tmx",
    "import_tmx",
    "import_tmx_detailed",
    "normalize_source",
    "read_tmx",
    "resolve_memory_path",
]
