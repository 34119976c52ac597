"""Checks that every piece the pipeline needs is installed, with the command that fixes each."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.document import LANGUAGES
from pipeline.errors import PipelineError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    essential: bool = True

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "fix": self.fix,
            "essential": self.essential,
        }


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


def _libreoffice() -> Check:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        return Check(
            "LibreOffice (optional, review smoke test)",
            False,
            "not installed",
            "apt-get install libreoffice-writer-nogui",
            essential=False,
        )
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    return Check(
        "LibreOffice (optional, review smoke test)", True, version or path, essential=False
    )


def argos_lines(languages: Sequence[str] = LANGUAGES) -> list[tuple[str, bool, str]]:
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
                needed = [hop for hop in hops if hop not in by_pair]
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


def _argos_models() -> list[Check]:
    checks = [
        Check(f"Argos {name}", ok, "installed" if ok else "no model", fix, essential=False)
        for name, ok, fix in argos_lines()
    ]
    checks += [
        Check(f"Argos {name}", False, why, fix, essential=False)
        for name, why, fix in known_bad_lines()
    ]
    return checks


def run_checks() -> list[Check]:
    """All checks, essential ones first."""
    checks = [_pandoc(), _typst(), _fonts()]
    checks += _apertium()
    checks += _argos_models()
    checks.append(_libreoffice())
    return checks
