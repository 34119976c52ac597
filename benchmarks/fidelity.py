"""What survives the trip through the pipeline's DOCX route: text, images, headers and footers,
tables, lists in table cells, footnotes, text boxes and Title styles, counted in the files.

Run from the repository root::

    python -m benchmarks.fidelity [FOLDER ...]

The default folder is the team's generated statements (``benchmarks/make_fidelity_docx.py``,
built into a temporary folder when no folder is given). Each DOCX is read by the pipeline's
reader and written again by its DOCX writer without translation (the engine is not measured:
a source sentence that comes back is one the route carried), then both packages are opened as
ZIP/XML and counted: how many files are read, the share of the source's words found in the
output (headers, footers, footnotes and text boxes included), and per element how many of the
source's survive. The baseline, run in the same process, is pandoc alone (``pandoc -f docx -t
docx``); ratios are route ÷ baseline. The in-place route (``pipeline.inplace``, issue 12 item 1:
``read`` then ``write`` with the text as read) is measured too when that package exists.
``python -m benchmarks.fidelity --pdf [--count N]`` measures the PDF routes instead (in place
and rendered: pages, pictures, overflow, seconds per page; ``benchmarks/fidelity_pdf.py``).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
}
ELEMENTS = (
    "images",
    "header/footer parts",
    "header/footer pictures",
    "tables",
    "list items in cells",
    "footnotes",
    "text boxes",
    "Title/Subtitle",
)
_WORD = re.compile(r"\w+", re.UNICODE)

Route = Callable[[Path, Path], None]
"""``route(source, out)``: write the DOCX the route makes of ``source`` at ``out``."""


@dataclass
class Counts:
    """What one DOCX holds: its words and, per element, how many."""

    words: Counter[str] = field(default_factory=Counter)
    elements: dict[str, int] = field(default_factory=dict)


def _text(root: etree._Element) -> str:
    return " ".join(t.text or "" for t in root.iter(f"{{{NS['w']}}}t"))


def count(path: Path) -> Counts:
    """Open ``path`` as a package and count what it holds."""
    counts = Counts(elements=dict.fromkeys(ELEMENTS, 0))
    e = counts.elements
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")):
                continue
            root = etree.fromstring(zf.read(name))
            part = name.removeprefix("word/")
            pictures = len(root.findall(".//a:blip", NS)) + len(root.findall(".//v:imagedata", NS))
            if part == "document.xml":
                counts.words.update(w.lower() for w in _WORD.findall(_text(root)))
                e["images"] += pictures
                e["tables"] += len(root.findall(".//w:tbl", NS))
                e["list items in cells"] += len(
                    root.xpath(".//w:tbl//w:p[w:pPr/w:numPr]", namespaces=NS)
                )
                e["text boxes"] += sum(
                    1 for box in root.iterfind(".//w:txbxContent", NS) if _text(box).strip()
                )
                styles = [s.get(f"{{{NS['w']}}}val") for s in root.iterfind(".//w:pStyle", NS)]
                e["Title/Subtitle"] += sum(1 for s in styles if s in ("Title", "Subtitle"))
            elif part.startswith(("header", "footer")):
                text = _text(root)
                counts.words.update(w.lower() for w in _WORD.findall(text))
                if text.strip() or pictures:
                    e["header/footer parts"] += 1
                e["header/footer pictures"] += pictures
            elif part in ("footnotes.xml", "endnotes.xml"):
                for note in root.iterfind("w:footnote", NS) if part == "footnotes.xml" else []:
                    if note.get(f"{{{NS['w']}}}type") is None:
                        e["footnotes"] += 1
                        counts.words.update(w.lower() for w in _WORD.findall(_text(note)))
    return counts


def rendered_route(source: Path, out: Path) -> None:
    """The re-rendering route: the pipeline's reader → Document → its DOCX writer."""
    from pipeline.export.docx import write_docx
    from pipeline.ingest import read_document

    doc = read_document(source)
    write_docx(doc, out, doc.metadata.get("lang", "en")[:2] or "en", subject=source.name)


def pandoc_route(source: Path, out: Path) -> None:
    """The baseline: pandoc alone, DOCX to DOCX."""
    from pypandoc import get_pandoc_path as pandoc_path

    subprocess.run(
        [pandoc_path(), "--sandbox", "-f", "docx", "-t", "docx", str(source), "-o", str(out)],
        check=True,
        capture_output=True,
    )


def routes() -> dict[str, Route]:
    """The routes measured: the baseline first."""
    found: dict[str, Route] = {"pandoc alone": pandoc_route, "rendered": rendered_route}
    if importlib.util.find_spec("pipeline.inplace") is not None:
        inplace = importlib.import_module("pipeline.inplace")
        if hasattr(inplace, "read") and hasattr(inplace, "write"):

            def inplace_route(source: Path, out: Path) -> None:
                read = inplace.read(source)
                inplace.write(read.skeleton, read.document, read.document.lang or "en", out)

            found["in-place"] = inplace_route
        else:
            print("(pipeline.inplace has no read/write this benchmark knows; not measured)")
    else:
        print("(pipeline.inplace is not in this tree: the in-place route is not measured)")
    return found


@dataclass
class Tally:
    """One route's totals over the folder."""

    read: int = 0
    failed: list[str] = field(default_factory=list)
    words_kept: int = 0
    elements_kept: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def measure(files: list[Path], route: Route, sources: dict[Path, Counts]) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="fidelity-out-") as tmp:
        for path in files:
            out = Path(tmp) / path.name
            start = time.perf_counter()
            try:
                route(path, out)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
                tally.failed.append(f"{path.name}: {str(exc).splitlines()[0][:120]}")
                continue
            finally:
                tally.seconds += time.perf_counter() - start
            tally.read += 1
            got, want = count(out), sources[path]
            tally.words_kept += sum((got.words & want.words).values())
            for key, wanted in want.elements.items():
                tally.elements_kept[key] += min(wanted, got.elements.get(key, 0))
    return tally


def _share(kept: int, total: int) -> str:
    return f"{kept}/{total} ({kept / total:.0%})" if total else "-"


def report(files: list[Path]) -> dict[str, Tally]:
    sources = {path: count(path) for path in files}
    total_words = sum(sum(c.words.values()) for c in sources.values())
    totals = Counter[str]()
    for c in sources.values():
        totals.update(c.elements)
    tallies = {name: measure(files, route, sources) for name, route in routes().items()}
    names = list(tallies)
    width = max(len(k) for k in ("files read", "words", *ELEMENTS)) + 2
    print(f"{len(files)} DOCX files, {total_words} words")
    print("".ljust(width) + "".join(n.ljust(22) for n in names) + "ratio to pandoc alone")
    rows: list[tuple[str, list[int], int]] = [
        ("files read", [t.read for t in tallies.values()], len(files)),
        ("words", [t.words_kept for t in tallies.values()], total_words),
    ]
    rows += [
        (key, [t.elements_kept[key] for t in tallies.values()], totals[key]) for key in ELEMENTS
    ]
    for label, kept, total in rows:
        base = kept[0]
        ratios = " ".join(f"{k / base:.2f}" if base else "-" for k in kept[1:])
        print(label.ljust(width) + "".join(_share(k, total).ljust(22) for k in kept) + ratios)
    print("seconds".ljust(width) + "".join(f"{t.seconds:.1f}".ljust(22) for t in tallies.values()))
    for name, tally in tallies.items():
        for line in tally.failed:
            print(f"  {name} failed: {line}")
    return tallies


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--pdf"]:  # the PDF routes, in place and rendered: fidelity_pdf.py
        from benchmarks.fidelity_pdf import main as pdf_main

        return pdf_main(args[1:])
    if args:
        files = sorted(
            p for a in args for p in (Path(a).glob("*.docx") if Path(a).is_dir() else [Path(a)])
        )
        return 0 if report(files) else 1
    from benchmarks.make_fidelity_docx import build

    with tempfile.TemporaryDirectory(prefix="fidelity-src-") as tmp:
        files = build(Path(tmp))
        print(f"(the team's generated statements: benchmarks/make_fidelity_docx.py, {len(files)})")
        report(files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
