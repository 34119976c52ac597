"""In-place DOCX to es DOCX+PDF at batch speed, against one bare ``soffice --convert-to pdf``.

Builds ``--count`` letterhead-like DOCX statements (a header with the organisation's name and
a logo, a footer with the contact line and a PAGE field, a title, a photo, a table, five
paragraphs of the UDHR each, different in every file), saved by LibreOffice as a user's would
be (python-docx writes them, then LibreOffice saves them: DOCX → ODT → DOCX, because its
headless DOCX → DOCX keeps the statistics it read, python-docx's template's "1 page, 0
characters"); with ``--python-docx`` as python-docx leaves them (statistics not to be believed:
each source is laid out to count its pages). It measures, in turns:

* the floor: one ``soffice --headless --convert-to pdf`` call converting every source file,
  with a fresh profile of its own;
* the run: ``python -m pipeline translate DIR --to es --formats docx,pdf --engine apertium``
  (``--jobs`` as given) with a fresh translation memory: its wall time, its ``--json``
  ``seconds`` (``libreoffice``: the seconds a running LibreOffice was starting or
  converting, the PDF stage);
* with ``--old``: the same run converting each PDF with a one-off soffice (as before
  issue 26), by pointing ``$PIPELINE_UNO_PYTHON`` at a Python without ``uno``.

"Seconds per document after the first" is the time between the first and the last PDF
written (their modification times) over count - 1. Each series runs ``--repeat`` times,
interleaved (floor, run, floor, run...) because the machine is shared; the best and the
spread of each are printed, and the ratios of the best runs to the best floor.

    /work/main/.venv/bin/python benchmarks/office_pdf.py [--count 20] [--repeat 3] [--jobs 1]
        [--old] [--python-docx]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))
UDHR_EN = SHARED / "corpora" / "udhr" / "eng.txt"
FALLBACK = [
    "Everyone has the right to life, liberty and security of person.",
    "No one shall be held in slavery or servitude in any of its forms.",
    "All are equal before the law and are entitled without any discrimination to equal "
    "protection of the law.",
    "Everyone has the right to freedom of peaceful assembly and association.",
    "Everyone has the right to form and to join trade unions for the protection of his interests.",
]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _lines() -> list[str]:
    if not UDHR_EN.is_file():
        return FALLBACK
    lines = [" ".join(line.split()) for line in UDHR_EN.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if len(line) > 60] or FALLBACK


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", size, colour)
    ImageDraw.Draw(picture).ellipse((10, 10, size[0] - 10, size[1] - 10), fill="white")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def _page_field(paragraph: object) -> None:
    from docx.oxml import parse_xml

    for xml in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        paragraph._p.append(parse_xml(f'<w:r xmlns:w="{W}">{xml}</w:r>'))  # type: ignore[attr-defined]


def write_statements(folder: Path, count: int) -> list[Path]:
    """``count`` letterhead-like DOCX statements in ``folder``."""
    from docx import Document
    from docx.shared import Cm

    folder.mkdir(parents=True, exist_ok=True)
    lines = _lines()
    logo, photo = folder / "logo.png", folder / "photo.png"
    logo.write_bytes(_png((240, 120), (181, 18, 27)))
    photo.write_bytes(_png((600, 400), (30, 90, 160)))
    paths = []
    for n in range(count):
        doc = Document()
        header = doc.sections[0].header.paragraphs[0]
        header.add_run(f"Miners' Solidarity Network, section {n + 1}").bold = True
        header.add_run(" ").add_picture(str(logo), width=Cm(2))
        footer = doc.sections[0].footer.paragraphs[0]
        footer.add_run("Contact: solidarity@example.org, page ")
        _page_field(footer)
        doc.add_heading(f"Statement {n + 1}: free the jailed miners", 0)
        doc.add_picture(str(photo), width=Cm(9))
        for k in range(5):
            doc.add_paragraph(f"{n + 1}.{k + 1}. {lines[(n * 5 + k) % len(lines)]}")
        table = doc.add_table(rows=3, cols=3)
        table.style = doc.styles["Table Grid"]
        for r, row in enumerate(("Action Place Day", "March Square Monday", "Strike Mine Friday")):
            for c, word in enumerate(row.split()):
                table.cell(r, c).text = word if r else f"{word} {n + 1}"
        path = folder / f"statement-{n + 1:03d}.docx"
        doc.save(str(path))
        paths.append(path)
    logo.unlink()
    photo.unlink()
    return paths


def _soffice(args: list[str], work: Path) -> float:
    """One bare ``soffice --headless ARGS`` with a fresh profile of its own: its seconds."""
    profile = Path(tempfile.mkdtemp(prefix="soffice-profile-", dir=work))
    started = time.perf_counter()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", *args],
        check=True,
        capture_output=True,
        timeout=600,
        env={**os.environ, "HOME": str(profile)},
    )
    seconds = time.perf_counter() - started
    shutil.rmtree(profile, ignore_errors=True)
    return seconds


def save_in_libreoffice(sources: list[Path], work: Path) -> None:
    """Each of ``sources`` saved again by LibreOffice, in place (through ODT: see above)."""
    odt = work / "saved-odt"
    _soffice(["--convert-to", "odt", "--outdir", str(odt), *map(str, sources)], work)
    docx = work / "saved-docx"
    odts = [str(odt / f"{source.stem}.odt") for source in sources]
    _soffice(["--convert-to", "docx:MS Word 2007 XML", "--outdir", str(docx), *odts], work)
    for source in sources:
        shutil.move(docx / source.name, source)
    shutil.rmtree(odt)
    shutil.rmtree(docx)


def _spread(pdfs: list[Path]) -> float:
    """Seconds per PDF after the first: (last mtime - first mtime) / (count - 1)."""
    times = sorted(p.stat().st_mtime for p in pdfs)
    return (times[-1] - times[0]) / max(1, len(times) - 1)


def floor(sources: list[Path], work: Path) -> tuple[float, float]:
    """One bare ``soffice --convert-to pdf`` of every source: its seconds, and per PDF
    after the first."""
    out = work / "floor-out"
    shutil.rmtree(out, ignore_errors=True)
    seconds = _soffice(["--convert-to", "pdf", "--outdir", str(out), *map(str, sources)], work)
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == len(sources), f"the floor wrote {len(pdfs)} PDFs"
    return seconds, _spread(pdfs)


def run(docs: Path, work: Path, jobs: int, *, old: bool = False) -> dict[str, float]:
    """One ``pipeline translate`` run: wall seconds, per PDF after the first, and its
    ``--json`` seconds per stage."""
    out = work / "run-out"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(REPO), PIPELINE_CACHE=str(work / "memory.sqlite3"))
    env["PIPELINE_MODELS_DIR"] = str(work / "no-models")
    env["PIPELINE_LAYOUT_CACHE"] = str(work / "layout.sqlite3")
    Path(env["PIPELINE_LAYOUT_CACHE"]).unlink(missing_ok=True)
    if old:
        env["PIPELINE_UNO_PYTHON"] = sys.executable  # no uno there: a soffice per document
    Path(env["PIPELINE_CACHE"]).unlink(missing_ok=True)
    args = [sys.executable, "-m", "pipeline", "translate", str(docs), "--to", "es"]
    args += ["--formats", "docx,pdf", "--engine", "apertium", "--from", "en"]
    args += ["--out", str(out), "--jobs", str(jobs), "--json"]
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"the run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    pdfs = sorted(out.glob("*/*.es.pdf"))
    stages = json.loads(proc.stdout)["seconds"]
    return {"wall": seconds, "per_doc": _spread(pdfs), "pdfs": len(pdfs), **stages}


def _summary(values: list[float]) -> str:
    return f"best {min(values):.2f} s (spread {min(values):.2f}-{max(values):.2f}, median {statistics.median(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--old", action="store_true", help="also the one-off soffice per PDF")
    parser.add_argument(
        "--python-docx", action="store_true", help="the sources as python-docx writes them"
    )
    args = parser.parse_args()
    if shutil.which("soffice") is None or shutil.which("apertium") is None:
        print("skipped: soffice and apertium are needed")
        return 0
    work = Path(tempfile.mkdtemp(prefix="office-pdf-bench-"))
    try:
        sources = write_statements(work / "docs", args.count)
        if not args.python_docx:
            save_in_libreoffice(sources, work)
        floors: list[tuple[float, float]] = []
        runs: list[dict[str, float]] = []
        olds: list[dict[str, float]] = []
        for turn in range(args.repeat):
            floors.append(floor(sources, work))
            runs.append(run(work / "docs", work, args.jobs))
            if args.old:
                olds.append(run(work / "docs", work, args.jobs, old=True))
            print(
                f"turn {turn + 1}: floor {floors[-1][0]:.2f} s, run {runs[-1]['wall']:.2f} s "
                f"(libreoffice {runs[-1].get('libreoffice', 0):.2f} s)"
                + (f", old {olds[-1]['wall']:.2f} s" if olds else ""),
                flush=True,
            )
        _report(args, floors, runs, olds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _report(
    args: argparse.Namespace,
    floors: list[tuple[float, float]],
    runs: list[dict[str, float]],
    olds: list[dict[str, float]],
) -> None:
    best_floor = min(f[0] for f in floors)
    print(
        f"\n{args.count} letterhead DOCX "
        f"({'as python-docx writes them' if args.python_docx else 'saved by LibreOffice'}) "
        f"→ es DOCX+PDF (Apertium), --jobs {args.jobs}, "
        f"{args.repeat} interleaved turns; {platform.node()}, {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"floor (one soffice --convert-to of {args.count}): {_summary([f[0] for f in floors])}")
    print(f"  per document after the first: {_summary([f[1] for f in floors])}")
    series = [("run", runs)] + ([("old (a soffice per PDF)", olds)] if olds else [])
    for name, values in series:
        walls = [r["wall"] for r in values]
        pdf = [r.get("libreoffice", 0.0) for r in values]
        print(f"{name}: whole run {_summary(walls)} = {min(walls) / best_floor:.2f}x the floor")
        print(f"  PDF stage (LibreOffice busy): {_summary(pdf)} = {min(pdf) / best_floor:.2f}x")
        print(f"  per document after the first: {_summary([r['per_doc'] for r in values])}")
        turns = [r["wall"] / f[0] for r, f in zip(values, floors, strict=True)]
        pdf_turns = [r.get("libreoffice", 0.0) / f[0] for r, f in zip(values, floors, strict=True)]
        print(
            "  against the floor of the same turn: whole run "
            + ", ".join(f"{x:.2f}x" for x in turns)
            + "; PDF stage "
            + ", ".join(f"{x:.2f}x" for x in pdf_turns)
        )
        for stage in ("prepare", "translate", "write"):
            print(f"  {stage}: {_summary([r.get(stage, 0.0) for r in values])}")


if __name__ == "__main__":
    sys.exit(main())
