"""A LibreOffice that stays up for the batch (``pipeline.export.libreoffice.serving``): many
documents through one soffice, restarted when it is killed, a hanging document failing alone
after its timeout, one-off soffice calls without python3-uno; and the batch through the CLI
with a LibreOffice killed in the middle of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.export import libreoffice
from pipeline.export.libreoffice import LibreOfficeError, OfficePool
from tests.conftest import ROOT, requires, requires_apertium, requires_poppler
from tests.fixtures import office

UNO_PYTHON = Path(libreoffice.UNO_PYTHON)
needs_uno = pytest.mark.skipif(
    libreoffice.soffice_binary() is None
    or not UNO_PYTHON.exists()
    or subprocess.run([str(UNO_PYTHON), "-c", "import uno"], capture_output=True).returncode,
    reason="LibreOffice and python3-uno are needed",
)
pytestmark = [needs_uno, requires_poppler, requires("soffice")]


@pytest.fixture(scope="module")
def letterheads(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("letterheads")
    return [office.letterhead_docx(folder / f"letterhead-{n}.docx") for n in range(3)]


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet waited for, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _pid(pool: OfficePool | None) -> int:
    assert pool is not None
    pid = pool.processes[0].soffice_pid
    assert pid is not None
    return pid


def test_one_libreoffice_converts_the_batch(letterheads: list[Path], tmp_path: Path) -> None:
    with libreoffice.serving(1) as pool:
        assert pool is not None
        for n, source in enumerate(letterheads):
            libreoffice.write_pdf(source, tmp_path / f"{n}.pdf")
        pid = _pid(pool)
        assert pool.stats.starts == 1 and pool.stats.conversions == 3
        assert pool.stats.restarts == 0  # the comment in the letterhead did not bring it down
    for n in range(3):
        text = _text(tmp_path / f"{n}.pdf")
        assert office.ORGANISATION in text and office.TITLE in text
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "LibreOffice outlived the batch"
    assert all(source.exists() for source in letterheads)  # sources untouched


def test_killed_libreoffice_is_started_again(letterheads: list[Path], tmp_path: Path) -> None:
    with libreoffice.serving(1) as pool:
        libreoffice.write_pdf(letterheads[0], tmp_path / "before.pdf")
        os.killpg(_pid(pool), signal.SIGKILL)
        libreoffice.write_pdf(letterheads[1], tmp_path / "after.pdf")
        assert pool is not None and pool.stats.starts == 2
    assert office.TITLE in _text(tmp_path / "after.pdf")


def test_hanging_libreoffice_fails_that_document_alone(
    letterheads: list[Path], tmp_path: Path
) -> None:
    with libreoffice.serving(1) as pool:
        libreoffice.write_pdf(letterheads[0], tmp_path / "first.pdf")
        hung = _pid(pool)
        os.killpg(hung, signal.SIGSTOP)  # LibreOffice stops answering, as when it hangs
        started = time.monotonic()
        with pytest.raises(LibreOfficeError) as caught:
            libreoffice.write_pdf(letterheads[1], tmp_path / "hung.pdf", timeout=3)
        assert time.monotonic() - started < 30
        message = str(caught.value)
        assert "\n" not in message
        assert "did not finish converting" in message and "within 3 s" in message
        assert not (tmp_path / "hung.pdf").exists()
        assert not _alive(hung), "the hung LibreOffice was not killed"
        libreoffice.write_pdf(letterheads[2], tmp_path / "next.pdf")  # a fresh one
        assert _pid(pool) != hung
    assert office.TITLE in _text(tmp_path / "next.pdf")


def test_without_uno_each_document_gets_its_own_soffice(
    letterheads: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_UNO_PYTHON", sys.executable)  # a Python without uno
    with libreoffice.serving(1) as pool:
        libreoffice.write_pdf(letterheads[0], tmp_path / "one.pdf")
        assert pool is not None and pool.broken is not None and "uno" in pool.broken
    assert office.TITLE in _text(tmp_path / "one.pdf")


def test_a_document_libreoffice_cannot_open_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a real package")
    with libreoffice.serving(1), pytest.raises(LibreOfficeError) as caught:
        libreoffice.write_pdf(broken, tmp_path / "broken.pdf")
    assert "\n" not in str(caught.value) and "broken.docx" in str(caught.value)


def _office_of(pid: int) -> int | None:
    """The soffice.bin a pipeline process started (its UNO pipe names the pipeline), not
    the oosplash wrapper in front of it."""
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        accepts = any(a.startswith(f"--accept=pipe,name=pipeline-{pid}-".encode()) for a in cmdline)
        if accepts and cmdline[0].endswith(b"soffice.bin"):
            return int(proc.name)
    return None


@requires_apertium
@pytest.mark.slow
def test_batch_completes_when_libreoffice_is_killed_midway(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    for n in range(5):
        office.letterhead_docx(src / f"statement-{n}.docx")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(tmp_path / "memory.sqlite3"))
    command = [sys.executable, "-m", "pipeline", "translate", str(src), "--to", "es"]
    command += ["--engine", "apertium", "--from", "en", "--out", str(out), "--json"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    killed, seen = None, set()
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        office_pid = _office_of(proc.pid)
        if office_pid is not None:
            seen.add(office_pid)
        if killed is None and office_pid is not None and list(out.glob("*/*.es.pdf")):
            killed = office_pid
            os.kill(killed, signal.SIGKILL)  # LibreOffice crashes in the middle of the batch
        time.sleep(0.02)
    stdout, _ = proc.communicate(timeout=300)
    assert killed is not None, "the batch ended before LibreOffice could be killed"
    assert proc.returncode == 0, stdout
    assert len(seen) >= 2, "no second LibreOffice was started"
    pdfs = sorted(out.glob("*/*.es.pdf"))
    assert len(pdfs) == 5
    for pdf in pdfs:  # each the Spanish letterhead, as LibreOffice lays it out
        text = _text(pdf)
        assert "mineros" in text and "We stand with the miners" not in text


@requires_apertium
@pytest.mark.slow
def test_no_libreoffice_outlives_a_killed_pipeline(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for n in range(3):
        office.letterhead_docx(src / f"statement-{n}.docx")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(tmp_path / "memory.sqlite3"))
    command = [sys.executable, "-m", "pipeline", "translate", str(src), "--to", "es"]
    command += ["--engine", "apertium", "--out", str(tmp_path / "out"), "--json"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _office_of(proc.pid) is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    soffice = _office_of(proc.pid)
    assert soffice is not None, "no LibreOffice was started"
    proc.kill()  # kill -9: no clean-up in the pipeline itself
    proc.wait()
    deadline = time.monotonic() + 30  # the bridge sees its stdin end and ends LibreOffice
    while _office_of(proc.pid) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _office_of(proc.pid) is None, "LibreOffice outlived the pipeline"


@pytest.mark.skipif(
    not Path("/usr/lib/libreoffice/program/libsdlo.so").exists(), reason="no LibreOffice Impress"
)
def test_slides_through_the_running_libreoffice(tmp_path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Free the miners"
    slide.placeholders[1].text = "We march on Friday"
    deck.save(str(tmp_path / "deck.pptx"))
    with libreoffice.serving(1) as pool:
        libreoffice.write_pdf(tmp_path / "deck.pptx", tmp_path / "deck.pdf")
        libreoffice.convert(tmp_path / "deck.pptx", "odp", tmp_path / "deck.odp")
        assert pool is not None and pool.stats.conversions == 2 and pool.broken is None
    assert "We march on Friday" in _text(tmp_path / "deck.pdf")
    assert (tmp_path / "deck.odp").read_bytes()[:2] == b"PK"


@requires_apertium
@pytest.mark.slow
def test_batch_goes_on_when_libreoffice_hangs_on_a_document(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    for n in range(6):
        office.letterhead_docx(src / f"statement-{n}.docx")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(tmp_path / "memory.sqlite3"))
    env["PIPELINE_LIBREOFFICE_TIMEOUT"] = "4"
    command = [sys.executable, "-m", "pipeline", "translate", str(src), "--to", "es"]
    command += ["--engine", "apertium", "--from", "en", "--out", str(out)]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stopped = None
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if stopped is None and list(out.glob("*/*.es.pdf")):
            stopped = _office_of(proc.pid)
            if stopped is not None:
                os.kill(stopped, signal.SIGSTOP)  # LibreOffice hangs on the next document
        time.sleep(0.02)
    _, stderr = proc.communicate(timeout=300)
    assert stopped is not None, "the batch ended before LibreOffice could be stopped"
    assert proc.returncode == 1, stderr
    lines = [line for line in stderr.splitlines() if "LibreOffice" in line]
    assert len(lines) == 1, stderr  # that document alone, one line
    assert "did not finish converting" in lines[0] and "within 4 s" in lines[0]
    assert len(list(out.glob("*/*.es.pdf"))) == 5  # every other document has its PDF
    assert not _alive(stopped)
