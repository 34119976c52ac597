"""PDF of an in-place document through LibreOffice headless, so the PDF keeps its layout.

Each conversion runs ``soffice --headless --convert-to pdf`` with its own temporary user
profile (parallel runs never share one), on a copy of the input in a temporary folder, with a
timeout; the PDF is then written atomically. A missing or failing LibreOffice is one line.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.export.atomic import write_bytes_atomic

INSTALL_HINT = "apt-get install libreoffice-writer-nogui"
TIMEOUT = 300.0


class LibreOfficeError(PipelineError):
    """LibreOffice is missing or could not convert the document; the message is one line."""


def soffice_binary() -> str | None:
    """The LibreOffice command (``soffice`` or ``libreoffice``), or None when not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice_binary() is not None


def convert(source: Path, fmt: str, target: Path, *, timeout: float = TIMEOUT) -> None:
    """Convert ``source`` to ``fmt`` (``pdf``, ``odt``, ``docx``) at ``target``, atomically."""
    source, target = Path(source), Path(target)
    binary = soffice_binary()
    if binary is None:
        raise LibreOfficeError(
            f"LibreOffice is not installed (needed for {fmt.upper()}): {INSTALL_HINT}"
        )
    with tempfile.TemporaryDirectory(prefix="pipeline-lo-") as work:
        folder = Path(work)
        profile, outdir = folder / "profile", folder / "out"
        outdir.mkdir()
        copy = folder / f"document{source.suffix.lower()}"
        shutil.copyfile(source, copy)
        command = [
            binary,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(copy),
        ]
        env = {**os.environ, "HOME": str(folder)}
        try:
            proc = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise LibreOfficeError(f"cannot start LibreOffice: {exc.strerror or exc}") from exc
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise LibreOfficeError(
                f"LibreOffice did not finish converting {source.name} to {fmt.upper()} "
                f"within {timeout:.0f} s"
            ) from exc
        result = outdir / f"document.{fmt}"
        if proc.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            detail = stderr.decode(errors="replace").strip().splitlines()
            reason = detail[-1][:200] if detail else f"exit code {proc.returncode}, no output"
            raise LibreOfficeError(
                f"LibreOffice could not convert {source.name} to {fmt.upper()}: {reason}"
            )
        write_bytes_atomic(target, result.read_bytes())


def write_pdf(source: Path, target: Path, *, timeout: float = TIMEOUT) -> None:
    """The PDF of an office document (DOCX, ODT) as LibreOffice lays it out."""
    convert(source, "pdf", target, timeout=timeout)
