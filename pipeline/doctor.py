"""Checks that every piece the pipeline needs is installed, with the command that fixes each."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.document import LANGUAGES
from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from pipeline.engines.registry import EngineOptions


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    essential: bool = True
    needed: bool = True  # False: missing, but something else covers it (an optional extra)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "fix": self.fix,
            "essential": self.essential,
            "needed": self.needed,
        }


ENGINE_NAMES = {"apertium": "Apertium", "argos": "Argos", "libretranslate": "LibreTranslate"}


@dataclass(frozen=True)
class Direction:
    """One translation direction: the engine ``pipeline translate`` would use, or why none."""

    src: str
    tgt: str
    engine: str | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        return f"{self.src}→{self.tgt}"


def engine_label(route_engine: str, pivot: str | None) -> str:
    """``Argos``, ``Argos through en``, ``Argos + Apertium through en`` (a pivot across engines)."""
    label = " + ".join(ENGINE_NAMES.get(name, name) for name in route_engine.split("+"))
    return label + (f" through {pivot}" if pivot else "")


def directions(
    languages: Sequence[str] = LANGUAGES, options: EngineOptions | None = None
) -> list[Direction]:
    """What ``pipeline translate --engine auto`` can do for every direction, asked of the
    same engine choice the run makes (so the answer cannot drift from the run's); ``options``
    carries engines.yml as the run reads it."""
    from pipeline.engines.registry import EngineOptions, EngineSet

    engines = EngineSet(options or EngineOptions())
    found = []
    for src in languages:
        for tgt in languages:
            if src == tgt:
                continue
            try:
                _, route = engines.choose(src, tgt)
            except PipelineError as exc:
                found.append(Direction(src, tgt, reason=str(exc)))
                continue
            found.append(Direction(src, tgt, engine=engine_label(route.engine, route.pivot)))
    return found


def bottom_line(checks: Sequence[Check], found: Sequence[Direction]) -> str:
    """The answer to "can I translate now?" in two sentences: what works, and what does not
    yet, with why and the command that fixes it."""
    broken = [c.name for c in checks if c.essential and not c.ok]
    if broken:
        return (
            f"You cannot translate yet: {', '.join(broken)} missing (see the fix column); "
            "documents and PDFs need them."
        )
    ready = [d for d in found if d.engine]
    missing = [d for d in found if not d.engine]
    parts = _ready_directions(ready)
    now = f"You can translate now: {', '.join(parts)}." if parts else "You cannot translate yet."
    if not missing:
        return now + " Every direction among en, es and ja is covered."
    names = ", ".join(d.name for d in missing)
    return f"{now} Not yet: {names}, because {_why_missing(missing)}."


def _ready_directions(ready: Sequence[Direction]) -> list[str]:
    """``en↔es (Apertium)`` when both ways share an engine, else ``en→ja (Argos)``."""
    done: set[tuple[str, str]] = set()
    parts = []
    for d in ready:
        if (d.src, d.tgt) in done:
            continue
        back = next((r for r in ready if (r.src, r.tgt) == (d.tgt, d.src)), None)
        if back is not None and back.engine == d.engine:
            parts.append(f"{d.src}↔{d.tgt} ({d.engine})")
            done.add((d.tgt, d.src))
        else:
            parts.append(f"{d.name} ({d.engine})")
        done.add((d.src, d.tgt))
    return parts


def _why_missing(missing: Sequence[Direction]) -> str:
    if any("Argos model" in d.reason for d in missing):
        return (
            f"{'they need' if len(missing) > 1 else 'it needs'} an Argos model: "
            "`pipeline models install --defaults` (online) or "
            "`pipeline models install FILE.argosmodel` (a file, offline)"
        )
    return "no engine covers them" if len(missing) > 1 else "no engine covers it"


def _pandoc() -> Check:
    try:
        import pypandoc

        version = pypandoc.get_pandoc_version()
        return Check("pandoc", True, f"pandoc {version} ({pypandoc.get_pandoc_path()})")
    except (ImportError, OSError) as exc:
        return Check("pandoc", False, str(exc), "pip install pypandoc-binary")


def _typst() -> Check:
    try:
        import typst

        typst.compile(b'#set text(font: "Noto Sans")\nok', ignore_system_fonts=True)
        return Check("PDF engine (Typst)", True, "typst Python package compiles in-process")
    except ImportError:
        return Check("PDF engine (Typst)", False, "typst is not installed", "pip install typst")
    except Exception as exc:  # noqa: BLE001 - any failure means the PDF engine is unusable
        return Check(
            "PDF engine (Typst)",
            False,
            str(exc).splitlines()[0],
            "pip install --force-reinstall typst",
        )


def _fonts() -> Check:
    from pipeline.export.fonts import INSTALL_HINT, missing_fonts

    missing = missing_fonts()
    if missing:
        return Check(
            "fonts (Noto, Noto CJK JP)", False, f"missing {', '.join(missing)}", INSTALL_HINT
        )
    return Check("fonts (Noto, Noto CJK JP)", True, "Noto Serif/Sans and Noto CJK JP found")


def _apertium() -> list[Check]:
    from pipeline.engines.apertium import INSTALL_HINT, MODES, ApertiumEngine

    engine = ApertiumEngine()
    if not engine.available():
        return [
            Check("Apertium", False, "apertium is not installed", INSTALL_HINT, essential=False)
        ]
    checks = []
    for (src, tgt), mode in MODES.items():
        ok = engine.route(src, tgt) is not None
        checks.append(
            Check(
                f"Apertium {src}→{tgt}",
                ok,
                mode if ok else f"mode {mode} missing",
                INSTALL_HINT,
                essential=False,
            )
        )
    return checks


def _uno() -> Check:
    """python3-uno: one LibreOffice stays up for a batch (without it, a soffice per PDF)."""
    from pipeline.export.libreoffice import uno_python

    name = "python3-uno (one LibreOffice for a whole batch)"
    python = uno_python()
    try:
        ok = subprocess.run([python, "-c", "import uno"], capture_output=True).returncode == 0
    except OSError:
        ok = False
    if ok:
        return Check(name, True, python, essential=False)
    return Check(
        name,
        False,
        f"{python} cannot import uno: each PDF gets a soffice of its own (slower)",
        "apt-get install python3-uno",
        essential=False,
    )


def _libreoffice() -> Check:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        return Check(
            "LibreOffice (PDF of DOCX/ODT translated in place)",
            False,
            "not installed",
            "apt-get install libreoffice-writer-nogui",
            essential=False,
        )
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    return Check(
        "LibreOffice (PDF of DOCX/ODT translated in place)", True, version or path, essential=False
    )


def _impress() -> Check:
    """Impress lays out the PDF of a slide deck (``loimpress`` comes with it on Debian)."""
    name = "LibreOffice Impress (PDF of PPTX/ODP translated in place)"
    found = shutil.which("loimpress") or shutil.which("simpress")
    if not found:
        return Check(
            name, False, "not installed", "apt-get install libreoffice-impress", essential=False
        )
    return Check(name, True, found, essential=False)


def argos_lines(
    languages: Sequence[str] = LANGUAGES, covered: Collection[str] = ()
) -> list[tuple[str, bool, str]]:
    """(check, ok, fix command) for every direction among ``languages``.

    The check names the direction and, when covered, the packages used (``en→es (argos-en-es
    1.9)``, ``es→ja through en (…)``); the fix is the exact command that installs what is missing.
    """
    from pipeline.engines import argos_packages as packages

    try:
        models = packages.installed_models()
    except (OSError, PipelineError) as exc:
        return [(f"Argos packages folder unreadable ({exc})", False, "")]
    by_pair = {(m.from_code, m.to_code): m for m in models}
    pivot = packages.PIVOT
    lines = []
    for src in languages:
        for tgt in languages:
            if src == tgt:
                continue
            route = packages.find_route(src, tgt, models)
            if route and len(route) == 1:
                m = route[0]
                lines.append((f"{src}→{tgt} ({m.package_id} {m.version})", True, ""))
            elif route:
                used = ", ".join(f"{m.package_id} {m.version}" for m in route)
                lines.append((f"{src}→{tgt} through {pivot} ({used})", True, ""))
            elif pivot in (src, tgt):
                lines.append((f"{src}→{tgt}", False, packages.install_command(src, tgt)))
            else:
                hops = [(src, pivot), (pivot, tgt)]
                # a leg another engine covers (Apertium es→en) needs no Argos model: the run
                # pivots across engines (pipeline.engines.pivot)
                needed = [h for h in hops if h not in by_pair and f"{h[0]}→{h[1]}" not in covered]
                fix = " && ".join(packages.install_command(s, t) for s, t in needed)
                lines.append((f"{src}→{tgt} (direct or through {pivot})", False, fix))
    return lines


def known_bad_lines() -> list[tuple[str, str, str]]:
    """(check, why, fix command) for every installed Argos package on the known-bad list."""
    from pipeline.engines import argos_packages as packages

    try:
        found = packages.known_bad_installed()
    except (OSError, PipelineError):
        return []  # argos_lines reports the unreadable folder
    return [
        (
            f"{m.from_code}→{m.to_code}: {m.package_id} {m.version} is known bad",
            bad.describe(),
            packages.install_command(m.from_code, m.to_code),
        )
        for m, bad in found
    ]


def broken_model_lines() -> list[tuple[str, str, str]]:
    """(check, why, fix command) for every installed Argos package that does not load or
    cannot translate a test sentence (``engines.model_check.load_test``)."""
    from argostranslate.package import Package

    from pipeline.engines import argos_packages as packages
    from pipeline.engines.model_check import LoadTestError, load_test

    try:
        models = packages.installed_models()
    except (OSError, PipelineError):
        return []  # argos_lines reports the unreadable folder
    lines = []
    for m in models:
        try:
            load_test(m.path, m.from_code, Package(m.path).target_prefix or "", m.to_code)
        except LoadTestError as exc:
            lines.append(
                (
                    f"{m.from_code}→{m.to_code}: {m.package_id} {m.version} does not work",
                    f"{m.path}: {exc}",
                    packages.install_command(m.from_code, m.to_code),
                )
            )
    return lines


def _argos_models(covered: dict[str, str] | None = None) -> list[Check]:
    """The Argos directions; one ``covered`` by another engine (direction → engine) is an
    optional extra, not a problem."""
    covered = covered or {}
    checks = []
    for name, ok, fix in argos_lines(covered=covered):
        direction = name.split(" ", 1)[0]
        other = covered.get(direction, "")
        if ok or not other or other in ("Argos", "Argos through en"):
            detail = "installed" if ok else "no model"
            checks.append(Check(f"Argos {name}", ok, detail, fix, essential=False))
        else:
            detail = f"no model; not needed: {other} translates {direction}"
            checks.append(Check(f"Argos {name}", False, detail, fix, essential=False, needed=False))
    checks += [
        Check(f"Argos {name}", False, why, fix, essential=False)
        for name, why, fix in known_bad_lines() + broken_model_lines()
    ]
    return checks


def _family_models() -> list[Check]:
    """One line per installed CTranslate2 model (OPUS-MT, NLLB-200, M2M-100): pairs and
    licence, non-commercial licences said so."""
    from pipeline.engines.ct2_models import installed_family_models

    checks = []
    for model in installed_family_models():
        man = model.manifest
        pairs = ", ".join(f"{a}→{b}" for a, b in man.pairs)
        note = " (non-commercial use only)" if man.non_commercial else ""
        detail = f"{man.family}, {pairs}, licence {man.licence}{note}"
        checks.append(Check(f"model {model.name}", True, detail, essential=False))
    return checks


def run_checks(found: Sequence[Direction] | None = None) -> list[Check]:
    """All checks, essential ones first; ``found`` (from ``directions()``) tells which Argos
    directions another engine covers."""
    covered = {d.name: d.engine for d in found or () if d.engine}
    checks = [_pandoc(), _typst(), _fonts()]
    checks += _apertium()
    checks += _argos_models(covered)
    checks += _family_models()
    checks.append(_libreoffice())
    if checks[-1].ok:
        checks.append(_uno())
        checks.append(_impress())
    return checks
