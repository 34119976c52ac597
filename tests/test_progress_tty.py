"""Progress on a terminal: under a pseudo-terminal ``pipeline translate`` shows documents read,
segments and the files being written (the PDF too) while it works; with ``--json`` it shows
none."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, requires_apertium
from tests.fixtures import office

pytestmark = [requires_apertium, pytest.mark.slow]
COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # within a line
MOVE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # the cursor moves: a line ends


def _under_pty(args: list[str], tmp_path: Path) -> tuple[int, list[tuple[float, str]]]:
    """Run the CLI with a pseudo-terminal as stdin, stdout and stderr; its exit code and
    the screen lines it drew, each with the time it was first seen."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm", COLUMNS="160")
    env["PIPELINE_CACHE"] = str(tmp_path / "memory.sqlite3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "translate", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
    )
    os.close(slave)
    seen: list[tuple[float, str]] = []
    pending = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        pending += chunk
        text = MOVE.sub("\n", COLOUR.sub("", pending.decode("utf-8", errors="replace")))
        now = time.monotonic()
        for line in text.replace("\r", "\n").split("\n"):
            if line.strip() and line.strip() not in {s for _, s in seen}:
                seen.append((now, line.strip()))
    os.close(master)
    return proc.wait(timeout=60), seen


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for n in range(3):
        office.letterhead_docx(src / f"letter-{n}.docx")
    return src


def test_progress_lines_while_writing(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    args = [str(src), "--to", "es", "--engine", "apertium", "--out", str(tmp_path / "out")]
    code, seen = _under_pty(args, tmp_path)
    lines = [line for _, line in seen]
    assert code == 0, lines
    assert any(re.search(r"reading.*\d+/3", line) for line in lines), lines
    assert any(re.search(r"translating.*\d+/\d+", line) for line in lines), lines
    # While writing: the outputs done / total and the file being written, the PDFs too.
    writing = [line for line in lines if line.startswith("writing")]
    assert any(re.search(r"\d/3 .*letter-\d\.es\.pdf", line) for line in writing), writing
    assert any(re.search(r"\d+ files? · letter-\d\.es\.docx", line) for line in writing), writing
    summary = next(t for t, line in seen if line.startswith("Translated in"))
    first_pdf = next(t for t, line in seen if ".es.pdf" in line and line.startswith("writing"))
    assert first_pdf < summary  # shown while writing, not after
    assert len(list((tmp_path / "out").glob("*/*.es.pdf"))) == 3


def test_no_progress_with_json(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    args = [str(src), "--to", "es", "--engine", "apertium", "--out", str(tmp_path / "out")]
    code, seen = _under_pty([*args, "--json"], tmp_path)
    lines = [line for _, line in seen]
    assert code == 0, lines
    assert not any(line.startswith(("reading", "translating", "writing")) for line in lines)
