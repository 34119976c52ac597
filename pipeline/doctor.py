"""Checks that every piece the pipeline needs is installed, with the command that fixes each."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass


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


def _argos_models() -> list[Check]:
    from pipeline import models

    return [
        Check(f"Argos {name}", ok, "installed" if ok else "no model", fix, essential=False)
        for name, ok, fix in models.doctor_lines()
    ]


def run_checks() -> list[Check]:
    """All checks, essential ones first."""
    checks = [_pandoc(), _typst(), _fonts()]
    checks += _apertium()
    checks += _argos_models()
    checks.append(_libreoffice())
    return checks
