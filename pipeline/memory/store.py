"""Translation memory store: a SQLite file that remembers machine output and approved translations.

Two tables:

* ``cache``: machine output, keyed by engine, model, model version, language pair, glossary
  version and the normalized source segment, so an unchanged segment is never machine-translated
  twice by the same engine setup.
* ``approved``: translations a person approved (review import, TMX import), keyed by language pair
  and normalized source segment, with reviewer, time and origin. They take precedence over the
  cache and over any engine, and feed fuzzy suggestions (rapidfuzz).

The file is opened in WAL mode with a busy timeout and every write is a short
``BEGIN IMMEDIATE`` transaction, so two runs may use the same file at once.
"""

from __future__ import annotations

import getpass
import os
import re
import sqlite3
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline import markers
from pipeline.document import LANGUAGES
from pipeline.errors import PipelineError
from pipeline.memory.files import create_atomically, truncation_problem

if TYPE_CHECKING:
    from pipeline.engines.base import Route

ENV_VAR = "PIPELINE_CACHE"
"""Environment variable naming the memory file (the CLI's ``--cache`` wins over it)."""

APP_NAME = "statement-pipeline"
FILE_NAME = "memory.sqlite3"

_APPLICATION_ID = 0x54524D31  # "TRM1": marks the SQLite file as ours
_SCHEMA_VERSION = 2  # 2: cache.unknown (words the engine left untranslated)
_BUSY_TIMEOUT_S = 30.0
_CHUNK = 500  # rows per write transaction and per IN (...) lookup

_WHITESPACE = re.compile(r"\s+")
_Item = TypeVar("_Item")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    engine TEXT NOT NULL,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    src TEXT NOT NULL,
    tgt TEXT NOT NULL,
    glossary TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at TEXT NOT NULL,
    unknown TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (engine, model, version, src, tgt, glossary, source)
);
CREATE TABLE IF NOT EXISTS approved (
    src TEXT NOT NULL,
    tgt TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    origin TEXT,
    plain_length INTEGER NOT NULL,
    PRIMARY KEY (src, tgt, source)
);
CREATE INDEX IF NOT EXISTS approved_by_length ON approved (src, tgt, plain_length);
"""


class TranslationMemoryError(PipelineError):
    """Base class of the memory's errors; the message is one line a user can act on."""


class MemoryFileError(TranslationMemoryError):
    """The memory file cannot be used (not SQLite, corrupt, someone else's database, busy...)."""

    def __init__(self, path: Path | str, detail: str):
        super().__init__(f"translation memory {path}: {detail}")
        self.path = Path(path)
        self.detail = detail


@dataclass(frozen=True)
class MemoryKey:
    """Identifies machine output: the same key and the same source segment mean reuse."""

    engine: str
    model: str
    version: str
    src: str
    tgt: str
    glossary: str  # glossary version hash, "" when no glossary

    @classmethod
    def from_route(cls, route: Route, src: str, tgt: str, glossary: str = "") -> MemoryKey:
        """The key for an engine ``Route`` (a pivot is part of the model, None becomes "")."""
        model = route.model or ""
        if route.pivot:
            model = f"{model} via {route.pivot}"
        version = "; ".join(part for part in (route.version, route.settings) if part)
        return cls(route.engine, model, version, src, tgt, glossary)


@dataclass(frozen=True)
class ApprovedEntry:
    """A translation a person approved."""

    source: str
    target: str
    reviewer: str
    approved_at: str  # ISO 8601, UTC, whole seconds


@dataclass(frozen=True)
class FuzzyMatch:
    """An approved entry whose source resembles the looked-up segment (score 0–100)."""

    source: str
    target: str
    score: float
    reviewer: str


@dataclass(frozen=True)
class StoredApproval:
    """An approved entry with its language pair and origin (for listing and export)."""

    src: str
    tgt: str
    entry: ApprovedEntry
    origin: str | None


@dataclass(frozen=True)
class _Candidates:
    data_version: int
    rows: list[tuple[str, str, str, int]]  # source, target, reviewer, plain length
    lengths: list[int]
    plains: list[str]


@dataclass(frozen=True)
class NewApproval:
    """An approval about to be stored (normalized source, checked languages)."""

    src: str
    tgt: str
    source: str
    target: str
    reviewer: str
    approved_at: str


def normalize_source(text: str) -> str:
    """NFC, whitespace runs collapsed to one space, stripped; markers are kept as they are."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def default_memory_path() -> Path:
    """Where the memory lives unless ``--cache`` says otherwise: $PIPELINE_CACHE, else the
    platform's user data folder (``~/.local/share/statement-pipeline/memory.sqlite3`` on Linux).
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / FILE_NAME


def resolve_memory_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The memory file for a command: ``--cache PATH`` first, then $PIPELINE_CACHE, then default."""
    if cli_value:
        return Path(cli_value).expanduser()
    return default_memory_path()


def utc_iso(when: datetime | None) -> str:
    moment = (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment.isoformat()


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # getpass raises various errors when no user name is known
        return "unknown"


def _describe(exc: sqlite3.Error) -> str:
    message = str(exc)
    if "file is not a database" in message:
        return (
            "not an SQLite database (corrupt, or another kind of file); "
            "move it away or choose another file with --cache"
        )
    if "malformed" in message:
        return (
            "the database is damaged (malformed); move it away or choose another file with --cache"
        )
    if "locked" in message or "busy" in message:
        return f"busy: another run held it locked for over {_BUSY_TIMEOUT_S:.0f} s; try again"
    if "unable to open" in message:
        return "cannot open the file (check that its folder exists and is writable)"
    if "readonly" in message:
        return "the file or its folder is read-only"
    return message


def _chunks(items: Sequence[_Item], size: int = _CHUNK) -> Iterator[Sequence[_Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class TranslationMemory:
    """The translation memory file. Open it once per run; use it as a context manager."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        """Open (and, when ``create``, create) the memory at ``path``.

        Raises ``MemoryFileError`` naming the path when the file is not a usable memory.
        """
        self.path = Path(path).expanduser()
        self._conn: sqlite3.Connection | None = None
        self._candidates: dict[tuple[str, str], _Candidates] = {}
        if self.path.is_dir():
            raise MemoryFileError(self.path, "is a folder; give a file path to --cache")
        if self.path.exists():
            problem = truncation_problem(self.path)
            if problem:
                raise MemoryFileError(self.path, problem)
        else:
            if not create:
                raise MemoryFileError(self.path, "does not exist yet")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                create_atomically(
                    self.path,
                    [*_SCHEMA.split(";"), f"PRAGMA application_id = {_APPLICATION_ID}"]
                    + [f"PRAGMA user_version = {_SCHEMA_VERSION}"],
                )
            except OSError as exc:
                raise MemoryFileError(
                    self.path, f"cannot create it or its folder ({exc.strerror})"
                ) from None
            except sqlite3.Error as exc:
                raise MemoryFileError(self.path, _describe(exc)) from None
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            self._prepare()
        except sqlite3.Error as exc:
            self.close()
            raise MemoryFileError(self.path, _describe(exc)) from None

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise MemoryFileError(self.path, "is closed")
        return self._conn

    def _prepare(self) -> None:
        conn = self.conn
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id != _APPLICATION_ID and (app_id != 0 or tables):
            raise MemoryFileError(
                self.path, "is an SQLite database of another program, not a translation memory"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if app_id == 0:
            with self._write() as cur:
                # Another process may have created the schema while we waited for the lock.
                if cur.execute("PRAGMA application_id").fetchone()[0] != _APPLICATION_ID:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            cur.execute(statement)
                    cur.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                    cur.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise MemoryFileError(
                self.path, f"was written by a newer version of the pipeline (schema {version})"
            )
        if version < _SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        """Bring a memory written by an older version up to the current schema."""
        with self._write() as cur:
            columns = {row[1] for row in cur.execute("PRAGMA table_info(cache)")}
            if "unknown" not in columns:
                cur.execute("ALTER TABLE cache ADD COLUMN unknown TEXT NOT NULL DEFAULT ''")
            cur.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    class _Transaction:
        def __init__(self, memory: TranslationMemory):
            self.memory = memory

        def __enter__(self) -> sqlite3.Cursor:
            self.cursor = self.memory.conn.cursor()
            self.cursor.execute("BEGIN IMMEDIATE")
            return self.cursor

        def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
            if exc_type is None:
                self.cursor.execute("COMMIT")
            elif self.memory.conn.in_transaction:
                self.cursor.execute("ROLLBACK")

    def _write(self) -> TranslationMemory._Transaction:
        """A short write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``)."""
        return TranslationMemory._Transaction(self)

    def _guard(self, exc: sqlite3.Error) -> MemoryFileError:
        return MemoryFileError(self.path, _describe(exc))

    # -- machine output cache --------------------------------------------------------------

    def get_cached(self, key: MemoryKey, sources: Sequence[str]) -> dict[str, str]:
        """Cached machine output for ``sources`` under ``key``: {source as given: target}."""
        return {source: entry[0] for source, entry in self.get_cached_entries(key, sources).items()}

    def get_cached_entries(
        self, key: MemoryKey, sources: Sequence[str]
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Like ``get_cached`` with the words the engine left untranslated:
        {source as given: (target, unknown words)}."""
        by_norm: dict[str, list[str]] = {}
        for text in sources:
            by_norm.setdefault(normalize_source(text), []).append(text)
        found: dict[str, tuple[str, tuple[str, ...]]] = {}
        norms = list(by_norm)
        try:
            for chunk in _chunks(norms):
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    "SELECT source, target, unknown FROM cache WHERE engine=? AND model=? "
                    f"AND version=? AND src=? AND tgt=? AND glossary=? AND source IN ({marks})",
                    (key.engine, key.model, key.version, key.src, key.tgt, key.glossary, *chunk),
                )
                for source, target, unknown in rows:
                    words = tuple(w for w in unknown.split("\n") if w)
                    for original in by_norm.get(source, ()):
                        found[original] = (target, words)
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        return found

    def put_cached(
        self,
        key: MemoryKey,
        pairs: Sequence[tuple[str, str] | tuple[str, str, Sequence[str]]],
    ) -> None:
        """Store machine output (source, target[, unknown words]) under ``key``; replaces older
        output."""
        now = utc_iso(None)
        rows = [
            (
                *_key_tuple(key),
                normalize_source(pair[0]),
                pair[1],
                now,
                "\n".join(pair[2]) if len(pair) > 2 else "",
            )
            for pair in pairs
            if normalize_source(pair[0])
        ]
        try:
            for chunk in _chunks(rows):
                with self._write() as cur:
                    cur.executemany(
                        "INSERT OR REPLACE INTO cache (engine, model, version, src, tgt, glossary, "
                        "source, target, created_at, unknown) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        chunk,
                    )
        except sqlite3.Error as exc:
            raise self._guard(exc) from None

    # -- approved translations -------------------------------------------------------------

    def approval_state(self, src: str, tgt: str) -> list[Any]:
        """A cheap summary of the approved translations of a pair (count, newest row, newest
        time, total length) that changes whenever one is added, replaced or removed: an
        incremental run compares it before looking at a document's own segments."""
        try:
            row = self.conn.execute(
                "SELECT count(*), max(rowid), max(approved_at), total(length(target)) "
                "FROM approved WHERE src=? AND tgt=?",
                (src, tgt),
            ).fetchone()
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        return list(row)

    def get_approved(self, src: str, tgt: str, sources: Sequence[str]) -> dict[str, ApprovedEntry]:
        """Approved translations for ``sources`` (exact match after normalization)."""
        by_norm: dict[str, list[str]] = {}
        for text in sources:
            by_norm.setdefault(normalize_source(text), []).append(text)
        found: dict[str, ApprovedEntry] = {}
        try:
            for chunk in _chunks(list(by_norm)):
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    "SELECT source, target, reviewer, approved_at FROM approved "
                    f"WHERE src=? AND tgt=? AND source IN ({marks})",
                    (src, tgt, *chunk),
                )
                for source, target, reviewer, approved_at in rows:
                    entry = ApprovedEntry(source, target, reviewer, approved_at)
                    for original in by_norm.get(source, ()):
                        found[original] = entry
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        return found

    def approve(
        self,
        src: str,
        tgt: str,
        source: str,
        target: str,
        reviewer: str,
        when: datetime | None = None,
        origin: str | None = None,
    ) -> bool:
        """Store ``target`` as the approved translation of ``source``; True when new or changed.

        An existing approval with the same target is left as it is (reviewer and time kept).
        """
        return (
            self.approve_many(
                [new_approval(src, tgt, source, target, reviewer, utc_iso(when))], origin
            )[0]
            > 0
        )

    def approve_many(
        self, entries: Sequence[NewApproval], origin: str | None, keep_newer: bool = False
    ) -> tuple[int, int, int]:
        """Upsert approvals; returns (changed, unchanged, kept_newer). With ``keep_newer`` an
        existing, newer, different approval is kept."""
        changed = unchanged = kept = 0
        try:
            for chunk in _chunks(entries):
                with self._write() as cur:
                    for e in chunk:
                        row = cur.execute(
                            "SELECT target, approved_at FROM approved "
                            "WHERE src=? AND tgt=? AND source=?",
                            (e.src, e.tgt, e.source),
                        ).fetchone()
                        if row is not None and row[0] == e.target:
                            unchanged += 1
                            continue
                        if row is not None and keep_newer and row[1] > e.approved_at:
                            kept += 1
                            continue
                        cur.execute(
                            "INSERT OR REPLACE INTO approved (src, tgt, source, target, reviewer, "
                            "approved_at, origin, plain_length) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                e.src,
                                e.tgt,
                                e.source,
                                e.target,
                                e.reviewer,
                                e.approved_at,
                                origin,
                                len(markers.strip(e.source)),
                            ),
                        )
                        changed += 1
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        if changed:
            self._candidates.clear()  # data_version only tracks other connections' writes
        return changed, unchanged, kept

    def approved_entries(
        self, src: str | None = None, tgt: str | None = None
    ) -> list[StoredApproval]:
        """All approved entries (optionally of one source and/or target language), sorted."""
        query = "SELECT src, tgt, source, target, reviewer, approved_at, origin FROM approved"
        clauses, params = [], []
        if src:
            clauses.append("src=?")
            params.append(src)
        if tgt:
            clauses.append("tgt=?")
            params.append(tgt)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY src, tgt, source"
        try:
            rows = self.conn.execute(query, params).fetchall()
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        return [
            StoredApproval(s, t, ApprovedEntry(source, target, reviewer, at), origin)
            for s, t, source, target, reviewer, at, origin in rows
        ]

    # -- fuzzy suggestions -----------------------------------------------------------------

    def fuzzy(
        self, src: str, tgt: str, source: str, threshold: float = 75.0, limit: int = 3
    ) -> list[FuzzyMatch]:
        """Approved entries of the pair whose source resembles ``source``, best first."""
        return self.fuzzy_many(src, tgt, [source], threshold, limit).get(source, [])

    def fuzzy_many(
        self, src: str, tgt: str, sources: Sequence[str], threshold: float = 75.0, limit: int = 3
    ) -> dict[str, list[FuzzyMatch]]:
        """``fuzzy`` for many segments with one database read: {source as given: matches}.

        Scores are rapidfuzz ``fuzz.ratio`` on the texts without markers. Only candidates whose
        length can reach ``threshold`` are compared (ratio ≤ 200·min/(a+b)).
        """
        from rapidfuzz import fuzz, process

        threshold = max(0.0, min(100.0, threshold))
        queries = {text: markers.strip(normalize_source(text)) for text in sources}
        lengths = [len(q) for q in queries.values() if q]
        if not lengths or limit <= 0:
            return {}
        low_factor = threshold / (200.0 - threshold) if threshold < 200 else 1.0
        high_factor = (200.0 - threshold) / threshold if threshold > 0 else float("inf")
        candidates = self._fuzzy_candidates(src, tgt)
        if not candidates.rows:
            return {}
        rows, row_lengths, plains = candidates.rows, candidates.lengths, candidates.plains
        result: dict[str, list[FuzzyMatch]] = {}
        for text, query in queries.items():
            if not query:
                continue
            n = len(query)
            first = bisect_left(row_lengths, int(n * low_factor))
            last = bisect_right(row_lengths, n * high_factor + 1)
            if first >= last:
                continue
            hits = process.extract(
                query,
                plains[first:last],
                scorer=fuzz.ratio,
                score_cutoff=threshold,
                limit=limit,
            )
            matches = [
                FuzzyMatch(
                    rows[first + i][0], rows[first + i][1], round(score, 1), rows[first + i][2]
                )
                for _, score, i in hits
            ]
            if matches:
                result[text] = matches
        return result

    def _fuzzy_candidates(self, src: str, tgt: str) -> _Candidates:
        """The pair's approved entries sorted by length, kept until the file changes."""
        try:
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            cached = self._candidates.get((src, tgt))
            if cached is not None and cached.data_version == version:
                return cached
            rows = self.conn.execute(
                "SELECT source, target, reviewer, plain_length FROM approved "
                "WHERE src=? AND tgt=? ORDER BY plain_length, source",
                (src, tgt),
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        candidates = _Candidates(
            version, rows, [r[3] for r in rows], [markers.strip(r[0]) for r in rows]
        )
        self._candidates[(src, tgt)] = candidates
        return candidates

    # -- statistics ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts for ``pipeline tm stats``: cached output per engine setup, approvals per pair."""
        try:
            cached = self.conn.execute(
                "SELECT engine, model, version, src, tgt, glossary, COUNT(*) FROM cache "
                "GROUP BY engine, model, version, src, tgt, glossary "
                "ORDER BY engine, model, src, tgt"
            ).fetchall()
            approved = self.conn.execute(
                "SELECT src, tgt, COUNT(*), COUNT(DISTINCT reviewer), MAX(approved_at) "
                "FROM approved GROUP BY src, tgt ORDER BY src, tgt"
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._guard(exc) from None
        return {
            "path": str(self.path),
            "bytes": self.path.stat().st_size if self.path.exists() else 0,
            "cached": [
                {
                    "engine": e,
                    "model": m,
                    "version": v,
                    "src": s,
                    "tgt": t,
                    "glossary": g,
                    "entries": n,
                }
                for e, m, v, s, t, g, n in cached
            ],
            "approved": [
                {"src": s, "tgt": t, "entries": n, "reviewers": r, "latest": latest}
                for s, t, n, r, latest in approved
            ],
        }


def _key_tuple(key: MemoryKey) -> tuple[str, str, str, str, str, str]:
    return (key.engine, key.model, key.version, key.src, key.tgt, key.glossary)


def new_approval(
    src: str, tgt: str, source: str, target: str, reviewer: str, when: str
) -> NewApproval:
    for lang in (src, tgt):
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}: choose from en, es, ja")
    norm = normalize_source(source)
    if not norm or not target.strip():
        raise ValueError("an approved entry needs a non-empty source and target")
    return NewApproval(src, tgt, norm, target.strip(), reviewer.strip() or os_user(), when)
