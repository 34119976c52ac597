"""What the PDF routes keep: pages, page size, pictures, and how the text fits, per route.

Run from the repository root::

    python -m benchmarks.fidelity_pdf [FILE.pdf | FOLDER ...] [--count N]

The default set is made here: the team's generated statements (``make_fidelity_docx``)
converted to PDF by LibreOffice (pictures, tables, headers and footers), the same statements
as this tool's own PDFs (Typst), and one two-column PDF. Each PDF goes through

* **in-place** (``pipeline.inplace.read`` then ``pipeline.export.pdf_inplace.render``) with
  a stand-in translation 25 % longer than the source (each block's words and a quarter of
  them again: Spanish runs about that much longer than English), so shrinking and overflow
  are exercised; the engine is not measured;
* **rendered** (the baseline, the route before issue 23): the pipeline's reader → its Typst
  PDF writer, the same longer text.

Counted in the output files: pages equal to the source's, page sizes equal, pictures
(``pdfimages -list``) kept, blocks shrunk and blocks that did not fit (in-place only), and
seconds per page. Ratios are in-place ÷ rendered.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.document import Document, Span  # noqa: E402


def longer(doc: Document) -> Document:
    """Each block's words and a quarter of them again."""

    def grow(text: str) -> str:
        words = text.split()
        return " ".join([*words, *words[: len(words) // 4]])

    return replace(doc, blocks=[b.with_spans([Span(grow(b.text))]) for b in doc.blocks])


@dataclass
class Tally:
    files: int = 0
    failed: list[str] = field(default_factory=list)
    same_pages: int = 0
    same_size: int = 0
    pictures: int = 0
    shrunk: int = 0
    overflow: int = 0
    blocks: int = 0
    pages: int = 0
    seconds: float = 0.0


def pictures(path: Path) -> int:
    out = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(out.splitlines()[2:])


def _pages(path: Path) -> list[tuple[float, float]]:
    import pymupdf

    with pymupdf.open(path) as doc:
        return [(round(p.rect.width), round(p.rect.height)) for p in doc]


def in_place(source: Path, out: Path, tally: Tally) -> None:
    from pipeline import inplace
    from pipeline.export.pdf_inplace import render

    read = inplace.read(source)
    data, fits = render(read.skeleton, longer(read.document), "es")  # type: ignore[arg-type]
    out.write_bytes(data)
    tally.blocks += len(read.document.blocks)
    tally.shrunk += sum(1 for f in fits if f.scale < 1.0 and f.fits)
    tally.overflow += sum(1 for f in fits if not f.fits)


def rendered(source: Path, out: Path, tally: Tally) -> None:
    from pipeline.export.pdf import write_pdf
    from pipeline.ingest import read_document

    doc = read_document(source)
    tally.blocks += len(doc.blocks)
    write_pdf(longer(doc), out, "es")


def measure(files: list[Path], route: str, folder: Path) -> Tally:
    tally = Tally()
    run = in_place if route == "in-place" else rendered
    for source in files:
        out = folder / f"{route}-{source.name}"
        start = time.perf_counter()
        try:
            run(source, out, tally)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            tally.failed.append(f"{source.name}: {str(exc).splitlines()[0][:120]}")
            continue
        finally:
            tally.seconds += time.perf_counter() - start
        tally.files += 1
        want, got = _pages(source), _pages(out)
        tally.pages += len(want)
        tally.same_pages += len(want) == len(got)
        tally.same_size += want == got
        tally.pictures += min(pictures(out), pictures(source))
    return tally


def report(files: list[Path]) -> dict[str, Tally]:
    with tempfile.TemporaryDirectory(prefix="fidelity-pdf-") as tmp:
        tallies = {r: measure(files, r, Path(tmp)) for r in ("rendered", "in-place")}
    total_pictures = sum(pictures(f) for f in files)
    print(f"{len(files)} PDF files, {total_pictures} pictures")
    width = 24
    print("".ljust(width) + "rendered (baseline)".ljust(22) + "in-place".ljust(22) + "ratio")

    def row(label: str, values: list[float], total: int | None = None, fmt: str = "{:.0f}") -> None:
        cells = [fmt.format(v) + (f"/{total}" if total is not None else "") for v in values]
        ratio = f"{values[1] / values[0]:.2f}" if values[0] else "-"
        print(label.ljust(width) + "".join(c.ljust(22) for c in cells) + ratio)

    base, new = tallies["rendered"], tallies["in-place"]
    row("files written", [base.files, new.files], len(files))
    row("same page count", [base.same_pages, new.same_pages], len(files))
    row("same page sizes", [base.same_size, new.same_size], len(files))
    row("pictures kept", [base.pictures, new.pictures], total_pictures)
    print("blocks shrunk to fit".ljust(width) + "-".ljust(22) + f"{new.shrunk}/{new.blocks}")
    print("blocks that did not fit".ljust(width) + "-".ljust(22) + f"{new.overflow}/{new.blocks}")
    per_page = [t.seconds / t.pages if t.pages else 0.0 for t in (base, new)]
    row("seconds per page", per_page, fmt="{:.3f}")
    for name, tally in tallies.items():
        for line in tally.failed:
            print(f"  {name} failed: {line}")
    return tallies


def build(folder: Path, count: int) -> list[Path]:
    """LibreOffice PDFs of the generated statements, Typst PDFs of the same, a two-column PDF."""
    import typst

    from benchmarks.make_fidelity_docx import build as build_docx
    from pipeline.export.pdf import write_pdf
    from pipeline.ingest import read_document

    docx = build_docx(folder / "docx", count)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), *map(str, docx)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    files = sorted(folder.glob("*.pdf"))
    for path in docx:
        typst_pdf = folder / f"{path.stem}.typst.pdf"
        doc = read_document(path)
        write_pdf(doc, typst_pdf, "en")
        files.append(typst_pdf)
    left = " ".join(["Left column words about the union and its long struggle."] * 14)
    right = " ".join(["Right column words about solidarity across the borders."] * 14)
    source = folder / "two-columns.typ"
    source.write_text(
        '#set page(paper: "a4", columns: 2)\n#set text(font: "Noto Serif", size: 10pt)\n'
        f"= Two columns\n\n{left}\n\n{left}\n\n#colbreak()\n{right}\n\n{right}\n"
    )
    typst.compile(
        str(source), output=str(folder / "two-columns.pdf"), font_paths=["/usr/share/fonts"]
    )
    files.append(folder / "two-columns.pdf")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--count", type=int, default=8, help="generated statements (default 8)")
    args = parser.parse_args(argv)
    if args.paths:
        files = sorted(f for p in args.paths for f in (p.glob("*.pdf") if p.is_dir() else [p]))
        report(files)
        return 0
    with tempfile.TemporaryDirectory(prefix="fidelity-pdf-src-") as tmp:
        files = build(Path(tmp), args.count)
        print(f"(generated: {args.count} statements by LibreOffice and by Typst, one two-column)")
        report(files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
