"""Argos Translate model packages: list, install (index or file), remove, validate.

The package manager behind ``pipeline models`` and the Argos engine. It shows nothing itself:
downloads report their progress through a ``DownloadProgress`` the caller passes (the CLI
draws a terminal bar with it).

Packages live where argostranslate keeps them (``ARGOS_PACKAGES_DIR`` or argostranslate's
``settings.json``, default ``~/.local/share/argos-translate/packages``), so models installed
with ``argospm`` are found and ours are visible to argostranslate. Settings are read at call
time: argostranslate reads them into module globals at import, which would freeze them.

A package file is never extracted straight into the packages folder: it is checked (zip,
one top-level folder, no entry escaping it, no links, bounded size, ``metadata.json`` of type
``translate``, known language codes, a CTranslate2 model and a SentencePiece model),
extracted into a temporary folder on the same disk, load-tested there (both models loaded and
one sentence translated, ``model_check``), and only then renamed into place, the previous
version moved aside until then. A bad file leaves the installed models exactly as they were.

Versions on the shipped known-bad list (``known_bad.py``) are never picked from the index, and
a listed package file is installed only when forced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipeline.engines import archive as archive_checks
from pipeline.engines.base import EngineError
from pipeline.engines.known_bad import KnownBad, argos_package_name, find_known_bad
from pipeline.engines.model_check import (
    DegenerateTestTranslation,
    LoadTestError,
    check_language_code,
    load_test,
)
from pipeline.engines.paths import EnginePaths

PIVOT = "en"
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("en", "es"),
    ("es", "en"),
    ("en", "ja"),
    ("ja", "en"),
)
DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
MAX_UNCOMPRESSED_BYTES = archive_checks.MAX_UNCOMPRESSED_BYTES  # real Argos packages: ~100-300 MB
INDEX_TIMEOUT = 20.0
DOWNLOAD_TIMEOUT = 60.0
_CHUNK = archive_checks.CHUNK


class ModelError(EngineError):
    """A model operation failed; the message is one line naming the file or pair."""


@dataclass(frozen=True)
class InstalledModel:
    """An installed Argos translate package."""

    from_code: str
    to_code: str
    version: str
    path: Path
    size_bytes: int

    @property
    def package_id(self) -> str:
        return package_id(self.from_code, self.to_code)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.from_code,
            "to": self.to_code,
            "package": self.package_id,
            "version": self.version,
            "size_bytes": self.size_bytes,
            "path": str(self.path),
        }


def package_id(from_code: str, to_code: str) -> str:
    """The model id the pipeline reports, e.g. ``argos-en-es``."""
    return f"argos-{from_code}-{to_code}"


# --- settings, read at call time ------------------------------------------------------------


def _setting(key: str, default: str | None = None) -> str | None:
    from argostranslate import settings

    value = settings.get_setting(key)
    return default if value in (None, "") else str(value)


def packages_dir(data_dir: Path | None = None) -> Path:
    """The folder argostranslate installs packages into (created if missing); ``data_dir``:
    argostranslate's data folder (``EnginePaths.argos_data``; None: as the environment names
    it now)."""
    value = _setting("ARGOS_PACKAGES_DIR")
    data = data_dir if data_dir is not None else EnginePaths.from_env().argos_data
    path = Path(value).expanduser() if value else data / "packages"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"{path}: cannot create the Argos packages folder ({exc})") from exc
    return path


def package_dirs(data_dir: Path | None = None) -> list[Path]:
    """All folders searched for packages: ours first, then argostranslate's extra (snap) ones."""
    from argostranslate import settings

    dirs = [packages_dir(data_dir)]
    for extra in getattr(settings, "package_dirs", [])[1:]:
        if Path(extra) not in dirs:
            dirs.append(Path(extra))
    return dirs


def index_url() -> str:
    """URL of the Argos package index (``ARGOS_PACKAGE_INDEX`` + ``index.json``)."""
    base = _setting("ARGOS_PACKAGE_INDEX", DEFAULT_INDEX) or DEFAULT_INDEX
    if base.endswith(".json"):
        return base
    return (base if base.endswith("/") else base + "/") + "index.json"


# --- listing ----------------------------------------------------------------------------------


def _folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


def _read_package(path: Path) -> InstalledModel | None:
    from argostranslate.package import Package

    if path.name.startswith(".") or not (path / "metadata.json").is_file():
        return None
    try:
        pkg = Package(path)
    except (OSError, ValueError, AttributeError, TypeError):  # unreadable or odd metadata.json
        return None
    if pkg.type != "translate" or not pkg.from_code or not pkg.to_code:
        return None
    return InstalledModel(
        from_code=str(pkg.from_code),
        to_code=str(pkg.to_code),
        version=str(pkg.package_version or ""),
        path=path,
        size_bytes=_folder_size(path),
    )


def installed_models(dirs: Sequence[Path] | None = None) -> list[InstalledModel]:
    """Installed translate packages, sorted by pair; the first folder wins for a pair."""
    found: dict[tuple[str, str], InstalledModel] = {}
    for directory in dirs if dirs is not None else package_dirs():
        if not directory.is_dir():
            continue
        for child in sorted(directory.iterdir()):
            if not child.is_dir():
                continue
            model = _read_package(child)
            if model is None:
                continue
            key = (model.from_code, model.to_code)
            if key not in found or _version_key(model.version) > _version_key(found[key].version):
                found[key] = model
    return sorted(found.values(), key=lambda m: (m.from_code, m.to_code))


def _version_key(version: str) -> tuple[Any, ...]:
    import packaging.version

    try:
        return (1, packaging.version.parse(version))
    except packaging.version.InvalidVersion:
        return (0, version)


def find_route(
    src: str, tgt: str, models: Iterable[InstalledModel] | None = None
) -> list[InstalledModel] | None:
    """The packages that translate src→tgt: one (direct) or two (through English), or None."""
    chosen = installed_models() if models is None else models
    by_pair = {(m.from_code, m.to_code): m for m in chosen}
    if (src, tgt) in by_pair:
        return [by_pair[(src, tgt)]]
    if PIVOT not in (src, tgt) and (src, PIVOT) in by_pair and (PIVOT, tgt) in by_pair:
        return [by_pair[(src, PIVOT)], by_pair[(PIVOT, tgt)]]
    return None


def pivot_pairs(models: Sequence[InstalledModel]) -> list[tuple[str, str]]:
    """Pairs with no direct package that are reachable through English."""
    direct = {(m.from_code, m.to_code) for m in models}
    sources = {m.from_code for m in models if m.to_code == PIVOT}
    targets = {m.to_code for m in models if m.from_code == PIVOT}
    return sorted((s, t) for s in sources for t in targets if s != t and (s, t) not in direct)


# --- validation and installation from a file ----------------------------------------------------


@dataclass(frozen=True)
class PackageFile:
    """What a checked package file contains."""

    path: Path
    folder: str
    from_code: str
    to_code: str
    version: str
    uncompressed_bytes: int


def _bad(path: Path, why: str) -> ModelError:
    return ModelError(f"{path}: {why}; nothing was installed")


def check_package_file(path: Path | str) -> PackageFile:
    """Check a ``.argosmodel`` file without extracting it; raise ModelError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise _bad(path, "not an Argos model (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            files, folders, total = archive_checks.check_entries(
                archive, lambda why: _bad(path, why), MAX_UNCOMPRESSED_BYTES
            )
            if len(folders) != 1 or any(len(parts) == 1 for parts in files):
                raise _bad(path, "not an Argos model (expected one top-level folder)")
            folder = folders.pop()
            if folder.startswith("."):
                raise _bad(path, f"package folder {folder!r} is hidden")
            if (folder, "metadata.json") not in files:
                raise _bad(path, "not an Argos model (no metadata.json)")
            try:
                meta = json.loads(archive.read(f"{folder}/metadata.json").decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise _bad(path, f"metadata.json is not valid JSON ({exc})") from exc
    except zipfile.BadZipFile as exc:
        raise _bad(path, f"corrupt zip archive ({exc})") from exc
    except (OSError, RuntimeError, NotImplementedError) as exc:
        raise _bad(path, f"cannot read the archive ({exc})") from exc
    if not isinstance(meta, dict):
        raise _bad(path, "metadata.json is not a JSON object")
    kind = meta.get("type", "translate")
    if kind != "translate":
        raise _bad(path, f"package type is {kind!r}, not a translation model")
    from_code, to_code = meta.get("from_code"), meta.get("to_code")
    for key, code in (("from_code", from_code), ("to_code", to_code)):
        if (problem := check_language_code(code)) is not None:
            raise _bad(path, f"metadata.json: {key} {problem}")
    assert isinstance(from_code, str) and isinstance(to_code, str)
    if (folder, "model", "model.bin") not in files:
        raise _bad(path, "no CTranslate2 model (model/model.bin) in the package")
    if (folder, "sentencepiece.model") not in files:
        if (folder, "bpe.model") in files:
            raise _bad(path, "BPE-tokenized packages are not supported (no sentencepiece.model)")
        raise _bad(path, "no sentencepiece.model in the package")
    return PackageFile(
        path=path,
        folder=folder,
        from_code=from_code,
        to_code=to_code,
        version=str(meta.get("package_version", "")),
        uncompressed_bytes=total,
    )


def _extract(checked: PackageFile, destination: Path) -> None:
    """Extract entry by entry, counting real bytes (declared sizes can lie)."""
    archive_checks.extract(
        checked.path, destination, lambda why: _bad(checked.path, why), MAX_UNCOMPRESSED_BYTES
    )


def _verify_extracted(checked: PackageFile, folder: Path, force: bool) -> None:
    """The unpacked package loads and translates a test sentence (``model_check.load_test``)."""
    from argostranslate.package import Package

    if _read_package(folder) is None:
        raise _bad(checked.path, "metadata.json cannot be read as an Argos package")
    try:
        prefix = Package(folder).target_prefix or ""
        load_test(folder, checked.from_code, prefix, None if force else checked.to_code)
    except DegenerateTestTranslation as exc:
        raise ModelError(
            f"{checked.path}: the package does not work: {exc}; nothing was installed "
            "(add --force to install it anyway)"
        ) from exc
    except LoadTestError as exc:
        raise _bad(checked.path, f"the package does not work: {exc}") from exc


def _staging_dir(target_dir: Path) -> Path:
    """A temporary folder on the same disk as target_dir, outside it when possible."""
    device = target_dir.stat().st_dev
    for parent in (target_dir.parent, target_dir):
        try:
            if parent.stat().st_dev == device:  # rename() needs the same file system
                return Path(tempfile.mkdtemp(prefix=".pipeline-models-", dir=parent))
        except OSError:
            continue
    raise ModelError(f"{target_dir}: cannot write to the Argos packages folder")


def install_file(
    path: Path | str, target_dir: Path | None = None, force: bool = False
) -> InstalledModel:
    """Install a ``.argosmodel`` file; replaces an installed package for the same pair.

    A known-bad package, or one whose test translation loops, is refused unless ``force``.
    """
    checked = check_package_file(path)
    bad = find_known_bad(checked.from_code, checked.to_code, checked.version)
    if bad is not None and not force:
        raise ModelError(
            f"{checked.path}: {bad.package} {bad.version} is a known-bad model: {bad.describe()}; "
            "nothing was installed (add --force to install it anyway)"
        )
    target_dir = target_dir or packages_dir()
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"{target_dir}: cannot create the Argos packages folder ({exc})") from exc
    staging = _staging_dir(target_dir)
    try:
        _extract(checked, staging / "new")
        new_folder = staging / "new" / checked.folder
        _verify_extracted(checked, new_folder, force)
        replaced = [
            m.path
            for m in installed_models([target_dir])
            if (m.from_code, m.to_code) == (checked.from_code, checked.to_code)
        ]
        destination = target_dir / checked.folder
        if destination.exists() and destination not in replaced:
            replaced.append(destination)
        moved: list[tuple[Path, Path]] = []
        try:
            for i, old in enumerate(replaced):
                backup = staging / f"old-{i}"
                os.rename(old, backup)
                moved.append((backup, old))
            os.rename(new_folder, destination)
        except OSError as exc:
            for backup, old in reversed(moved):
                os.rename(backup, old)
            raise ModelError(f"{checked.path}: cannot install into {target_dir} ({exc})") from exc
    except OSError as exc:
        raise ModelError(f"{checked.path}: cannot install into {target_dir} ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    model = _read_package(destination)
    assert model is not None
    return model


def remove(src: str, tgt: str, target_dir: Path | None = None) -> list[InstalledModel]:
    """Remove the installed package(s) for src→tgt; raise ModelError when none is installed."""
    target_dir = target_dir or packages_dir()
    matches = [m for m in installed_models([target_dir]) if (m.from_code, m.to_code) == (src, tgt)]
    if not matches:
        raise ModelError(f"no Argos model {src}→{tgt} is installed in {target_dir}")
    for model in matches:
        staging = _staging_dir(target_dir)
        try:
            os.rename(model.path, staging / model.path.name)  # disappears at once
        except OSError as exc:
            raise ModelError(f"{model.path}: cannot remove ({exc})") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return matches


# --- the Argos package index --------------------------------------------------------------------


@dataclass(frozen=True)
class IndexEntry:
    """One translate package offered by the index."""

    from_code: str
    to_code: str
    version: str
    links: tuple[str, ...]
    size: int | None
    sha256: str | None

    @property
    def file_name(self) -> str:
        name = argos_package_name(self.from_code, self.to_code)
        return f"{name}-{self.version.replace('.', '_')}"


@dataclass(frozen=True)
class Skipped:
    """A version the index offers that was not picked because it is known to be bad."""

    entry: IndexEntry
    known_bad: KnownBad

    def line(self) -> str:
        """One line for the user: what was skipped and why."""
        e = self.entry
        return (
            f"{e.from_code}→{e.to_code}: skipped {self.known_bad.package} {e.version} "
            f"(known bad: {self.known_bad.describe()})"
        )


def known_bad_installed(
    models: Sequence[InstalledModel] | None = None,
) -> list[tuple[InstalledModel, KnownBad]]:
    """Installed packages that are on the known-bad list."""
    found = []
    for model in installed_models() if models is None else models:
        bad = find_known_bad(model.from_code, model.to_code, model.version)
        if bad is not None:
            found.append((model, bad))
    return found


MAX_INDEX_BYTES = 16 << 20
"""The official index is about 100 kB; a server sending more is not one."""


def fetch_index(url: str | None = None, timeout: float = INDEX_TIMEOUT) -> list[IndexEntry]:
    """Download and parse the Argos index; ModelError when unreachable or malformed."""
    url = url or index_url()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "statement-pipeline"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_INDEX_BYTES + 1)  # never more than an index can be
        data = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_INDEX_BYTES else None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot reach the Argos package index {url} ({reason})") from exc
    if data is None:
        raise ModelError(f"the Argos package index {url} sent more than 16 MB: not an index")
    if not isinstance(data, list):
        raise ModelError(f"the Argos package index {url} is not a list of packages")
    return [entry for entry in map(_index_entry, data) if entry is not None]


def _index_entry(item: object) -> IndexEntry | None:
    """One package of the index; None for what is not a translation package."""
    from argostranslate.package import AvailablePackage

    if not isinstance(item, dict):
        return None
    pkg = AvailablePackage(item)
    if pkg.type != "translate" or not pkg.from_code or not pkg.to_code:
        return None
    size = item.get("size") or item.get("filesize")
    checksum = item.get("sha256") or item.get("checksum")
    if isinstance(checksum, str) and checksum.lower().startswith("sha256:"):
        checksum = checksum[7:]
    return IndexEntry(
        from_code=pkg.from_code,
        to_code=pkg.to_code,
        version=str(pkg.package_version or ""),
        links=tuple(str(link) for link in pkg.links or ()),
        size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        sha256=checksum.lower() if isinstance(checksum, str) and checksum else None,
    )


def choose_from_index(
    entries: Sequence[IndexEntry], src: str, tgt: str
) -> tuple[IndexEntry, list[Skipped]]:
    """The newest src→tgt package not on the known-bad list, and the newer ones skipped."""
    matches = [e for e in entries if (e.from_code, e.to_code) == (src, tgt)]
    if not matches:
        raise ModelError(f"the Argos package index has no model {src}→{tgt}")
    skipped: list[Skipped] = []
    for entry in sorted(matches, key=lambda e: _version_key(e.version), reverse=True):
        bad = find_known_bad(entry.from_code, entry.to_code, entry.version)
        if bad is None:
            return entry, skipped
        skipped.append(Skipped(entry, bad))
    listed = "; ".join(f"{s.entry.version}: {s.known_bad.describe()}" for s in skipped)
    raise ModelError(
        f"the Argos package index offers only known-bad {src}→{tgt} models ({listed}); "
        f"install a good .argosmodel file with `pipeline models install FILE`"
    )


ByteProgress = Callable[[int, int | None], None]
"""Called with the bytes downloaded so far and the total when known."""


class DownloadProgress(Protocol):
    """Shows one download at a time (a terminal bar, a log line, nothing)."""

    def start(self, description: str) -> ByteProgress | None:
        """A download called ``description`` begins; returns the callback to feed, if any."""
        ...

    def stop(self) -> None:
        """The download started last has ended (installed or failed)."""
        ...


def _download(entry: IndexEntry, destination: Path, progress: ByteProgress | None) -> None:
    errors = []
    for link in entry.links:
        if urllib.parse.urlparse(link).scheme not in ("http", "https"):
            continue
        try:
            request = urllib.request.Request(link, headers={"User-Agent": "statement-pipeline"})
            with (
                urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response,
                open(destination, "wb") as sink,
            ):
                total = entry.size or int(response.headers.get("Content-Length") or 0) or None
                limit = entry.size if entry.size is not None else MAX_UNCOMPRESSED_BYTES
                done = 0
                while chunk := response.read(_CHUNK):
                    if (done := done + len(chunk)) > limit:  # never write more than announced
                        raise ModelError(
                            f"{entry.file_name}.argosmodel: the server sent more than the {limit}"
                            f" bytes {'the index announces' if entry.size else 'any model'};"
                            " download stopped, nothing was installed"
                        )
                    sink.write(chunk)
                    if progress:
                        progress(done, total)
            return
        except (urllib.error.URLError, OSError) as exc:
            errors.append(f"{link}: {getattr(exc, 'reason', exc)}")
    raise ModelError(
        f"cannot download the {entry.from_code}→{entry.to_code} model ("
        + ("; ".join(errors) or "no http(s) link in the index")
        + ")"
    )


def _verify_download(entry: IndexEntry, path: Path) -> None:
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        raise ModelError(
            f"{entry.file_name}.argosmodel: downloaded {size} bytes, the index says {entry.size}; "
            "nothing was installed"
        )
    if entry.sha256:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != entry.sha256:
            raise ModelError(
                f"{entry.file_name}.argosmodel: checksum does not match the index; "
                "nothing was installed"
            )


def install_from_index(
    src: str,
    tgt: str,
    entries: Sequence[IndexEntry] | None = None,
    progress: ByteProgress | None = None,
    target_dir: Path | None = None,
) -> InstalledModel:
    """Download the newest src→tgt package not known to be bad, verify it, install it.

    ``choose_from_index`` tells which (newer, known-bad) versions this skips.
    """
    entry, _skipped = choose_from_index(entries if entries is not None else fetch_index(), src, tgt)
    target_dir = target_dir or packages_dir()
    staging = _staging_dir(target_dir)
    try:
        download = staging / f"{entry.file_name}.argosmodel"
        _download(entry, download, progress)
        _verify_download(entry, download)
        return install_file(download, target_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- defaults -----------------------------------------------------------------------------


def install_default_models(
    pairs: Sequence[tuple[str, str]] = DEFAULT_PAIRS, progress: DownloadProgress | None = None
) -> list[str]:
    """Install the Argos models for ``pairs`` that are missing; one line per outcome.

    When the index cannot be reached, returns a single line saying so (no exception): the
    pipeline goes on with the models already installed.
    """
    installed = {(m.from_code, m.to_code): m for m in installed_models()}
    missing = [p for p in pairs if p not in installed]
    lines = [
        f"{s}→{t}: {installed[(s, t)].package_id} {installed[(s, t)].version} already installed"
        for s, t in pairs
        if (s, t) in installed
    ]
    if not missing:
        return lines
    try:
        entries = fetch_index()
    except ModelError as exc:
        have = ", ".join(f"{s}→{t}" for s, t in pairs if (s, t) in installed) or "none"
        return [f"{exc}: continuing with the installed Argos models ({have})"]
    for src, tgt in missing:
        try:
            _entry, skipped = choose_from_index(entries, src, tgt)
        except ModelError as exc:
            lines.append(f"{src}→{tgt}: not installed: {exc}")
            continue
        lines.extend(s.line() for s in skipped)
        update = progress.start(f"{src}→{tgt}") if progress else None
        try:
            model = install_from_index(src, tgt, entries, progress=update)
            lines.append(f"{src}→{tgt}: installed {model.package_id} {model.version}")
        except ModelError as exc:
            lines.append(f"{src}→{tgt}: not installed: {exc}")
        finally:
            if progress:
                progress.stop()
    return lines


def install_command(src: str, tgt: str) -> str:
    """The command that installs what src→tgt needs (direct model)."""
    return f"pipeline models install {src} {tgt}"
