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
    if args[:1] == ["--slides"]:  # slides and subtitles in place (issue 23)
        slides_report(Path(args[1]) if len(args) > 1 else None)
        return 0
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


# --- slides and subtitles in place (issue 23) -------------------------------------------------
#
#     python -m benchmarks.fidelity --slides [FOLDER]
#
# builds (or takes from FOLDER) PPTX decks from the UDHR's English articles — a title slide,
# article slides with bullets, speaker notes, a photo with a fixed-size text box every third
# slide, a table every fifth — their ODP (LibreOffice), and SRT/VTT files cut from the same
# text (two lines of at most 42 characters a cue, sentences across cues). Each is read in place,
# translated en→es by Apertium and written; decks are laid out by LibreOffice. Counted: slides,
# shapes and pictures kept, frames shrunk and still overflowing (the fitting estimate), words
# outside a PDF page, cues and timings kept, cues over the line limits, cues split at the
# engine's markers or by length; seconds per slide and per cue. Baselines in the same command:
# LibreOffice converting the source deck (PDF seconds, words off the page) and the in-place
# round trip without translation (seconds).

UDHR = next(
    (
        p / "shared" / "corpora" / "udhr" / "eng.txt"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared" / "corpora" / "udhr" / "eng.txt").is_file()
    ),
    ROOT.parent / "shared" / "corpora" / "udhr" / "eng.txt",
)
"""The UDHR in English (``../shared``, beside the repository or its worktrees' folder)."""


def _articles() -> list[tuple[str, list[str]]]:
    lines = [line.strip() for line in UDHR.read_text(encoding="utf-8").splitlines()]
    articles: list[tuple[str, list[str]]] = []
    for line in lines:
        if re.fullmatch(r"Article \d+", line):
            articles.append((line, []))
        elif line and articles:
            articles[-1][1].append(line)
    return articles


def build_slide_corpus(folder: Path, decks: int = 3, per_deck: int = 10) -> list[Path]:
    """PPTX decks of the UDHR's articles and their ODP; the files' paths."""
    import io

    from PIL import Image
    from pptx import Presentation
    from pptx.util import Inches, Pt

    folder.mkdir(parents=True, exist_ok=True)
    articles = _articles()
    files: list[Path] = []
    for number in range(decks):
        prs = Presentation()
        title = prs.slides.add_slide(prs.slide_layouts[0])
        title.shapes.title.text = "Universal Declaration of Human Rights"
        title.placeholders[1].text = f"Articles {number * per_deck + 1}-{(number + 1) * per_deck}"
        for index, (heading, paragraphs) in enumerate(
            articles[number * per_deck : (number + 1) * per_deck]
        ):
            slide = prs.slides.add_slide(prs.slide_layouts[1])
            slide.shapes.title.text = heading
            body = slide.placeholders[1].text_frame
            body.text = paragraphs[0]
            for more in paragraphs[1:3]:
                body.add_paragraph().text = more
            slide.notes_slide.notes_text_frame.text = f"Read {heading} slowly."
            if index % 3 == 0:
                picture = io.BytesIO()
                Image.new("RGB", (240, 160), (40 + index * 20, 90, 160)).save(picture, "PNG")
                slide.shapes.add_picture(picture, Inches(7.4), Inches(5.6), Inches(1.5))
                box = slide.shapes.add_textbox(Inches(0.5), Inches(6.6), Inches(6.5), Inches(0.5))
                box.text_frame.word_wrap = True
                box.text_frame.text = f"{heading}: everyone has these rights."
                box.text_frame.paragraphs[0].runs[0].font.size = Pt(20)
            if index % 5 == 4:
                table = slide.shapes.add_table(2, 2, Inches(5), Inches(0.2), Inches(4), Inches(0.8))
                for col, text in enumerate(("Article", "Right")):
                    table.table.cell(0, col).text = text
                table.table.cell(1, 0).text = heading
                table.table.cell(1, 1).text = paragraphs[0].split(",")[0][:40]
        path = folder / f"udhr-{number + 1}.pptx"
        prs.save(str(path))
        files.append(path)
    from pipeline.export import libreoffice

    for path in list(files):
        odp = path.with_suffix(".odp")
        libreoffice.convert(path, "odp", odp)
        files.append(odp)
    return files


def _cue_texts(text: str, limit: int = 42) -> list[list[str]]:
    """``text`` cut into cues of at most two lines of ``limit`` characters, at spaces."""
    cues: list[list[str]] = []
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
            if len(lines) == 2:
                cues.append(lines)
                lines = []
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    if lines:
        cues.append(lines)
    return cues


def _stamp(ms: int, sep: str) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def build_subtitle_corpus(folder: Path, files: int = 2) -> list[Path]:
    """SRT and WebVTT files of the UDHR's articles (one cue every 3 s); the files' paths."""
    folder.mkdir(parents=True, exist_ok=True)
    articles = _articles()
    out: list[Path] = []
    for number in range(files):
        cues = [
            c
            for _, paragraphs in articles[number * 15 : (number + 1) * 15]
            for p in paragraphs
            for c in _cue_texts(p)
        ]
        srt, vtt = [], ["WEBVTT - UDHR", "", "NOTE made for the fidelity benchmark", ""]
        for index, lines in enumerate(cues):
            start, end = index * 3000 + 500, index * 3000 + 2900
            srt += [str(index + 1), f"{_stamp(start, ',')} --> {_stamp(end, ',')}", *lines, ""]
            vtt += [f"{_stamp(start, '.')} --> {_stamp(end, '.')} line:85%", *lines, ""]
        for suffix, text in ((".srt", "\r\n".join(srt)), (".vtt", "\n".join(vtt))):
            path = folder / f"udhr-{number + 1}{suffix}"
            path.write_bytes(text.encode("utf-8"))
            out.append(path)
    return out


def _translate_in_place(path: Path, engine: object | None, lang: str) -> tuple[object, object]:
    """The source read in place and its Document translated by ``engine`` (None: as read)."""
    from pipeline import inplace
    from pipeline.document import Document
    from pipeline.segment import rebuild_block, segment_document

    source = inplace.read(path)
    if engine is None:
        return source, source.document
    segmented = segment_document(source.document, "en")
    texts = [s.text for sb in segmented for s in sb.segments]  # one engine call, as a run makes
    done = iter(t.text for t in engine.translate(texts, "en", lang))  # type: ignore[attr-defined]
    blocks = [rebuild_block(sb, [next(done) for _ in sb.segments], lang) for sb in segmented]
    return source, Document(blocks=blocks, lang=lang)


def _words_off_page(pdf: Path) -> int:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True)
    root = etree.fromstring(html.stdout, etree.HTMLParser())
    off = 0
    for page in root.iter("page"):
        width, height = float(page.get("width", 0)), float(page.get("height", 0))
        for word in page.iter("word"):
            off += float(word.get("xmax", 0)) > width + 1 or float(word.get("ymax", 0)) > height + 1
    return off


@dataclass
class SlideTally:
    decks: int = 0
    slides: int = 0
    slides_kept: int = 0
    shapes: int = 0
    shapes_kept: int = 0
    pictures: int = 0
    pictures_kept: int = 0
    frames: int = 0
    shrunk: int = 0
    overflowing: int = 0
    words_off_page: int = 0
    source_words_off_page: int = 0
    seconds_translate: float = 0.0
    seconds_identity: float = 0.0
    seconds_pdf: float = 0.0
    seconds_source_pdf: float = 0.0


def _deck_counts(path: Path) -> tuple[int, int, list[bytes]]:
    """Slides, shapes (groups' members included) and picture bytes of a PPTX or ODP."""
    if path.suffix == ".odp":
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read("content.xml"))
            draw = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
            pages = list(root.iter(f"{{{draw}}}page"))
            shapes = sum(
                1
                for p in pages
                for e in p.iter()
                if e.getparent() is not None
                and e.tag in (f"{{{draw}}}frame", f"{{{draw}}}custom-shape", f"{{{draw}}}g")
            )
            images = [
                zf.read(n) for n in sorted(zf.namelist()) if n.startswith(("Pictures/", "media/"))
            ]
        return len(pages), shapes, images
    from pptx import Presentation

    prs = Presentation(str(path))
    shapes = sum(
        len(
            list(
                s._element.iter(
                    "{http://schemas.openxmlformats.org/presentationml/2006/main}sp",
                    "{http://schemas.openxmlformats.org/presentationml/2006/main}pic",
                    "{http://schemas.openxmlformats.org/presentationml/2006/main}graphicFrame",
                )
            )
        )
        for s in prs.slides
    )
    pictures = [
        shape.image.blob for slide in prs.slides for shape in slide.shapes if shape.shape_type == 13
    ]
    return len(prs.slides), shapes, pictures


def measure_slides(files: list[Path], engine: object, lang: str = "es") -> SlideTally:
    from pipeline import inplace
    from pipeline.export import libreoffice
    from pipeline.inplace import presentation

    tally = SlideTally()
    with tempfile.TemporaryDirectory(prefix="fidelity-slides-") as tmp:
        for path in files:
            out = Path(tmp) / f"{path.stem}.{lang}{path.suffix}"
            start = time.perf_counter()
            source, doc = _translate_in_place(path, None, lang)
            inplace.write(source.skeleton, doc, lang, Path(tmp) / f"same{path.suffix}")  # type: ignore[attr-defined,arg-type]
            tally.seconds_identity += time.perf_counter() - start
            start = time.perf_counter()
            source, doc = _translate_in_place(path, engine, lang)
            skeleton = source.skeleton  # type: ignore[attr-defined]
            if isinstance(skeleton, presentation.PptxSkeleton):
                data, fitted = presentation.render_with_fit(skeleton, doc, lang)  # type: ignore[arg-type]
                out.write_bytes(data)
                tally.frames += fitted.frames
                tally.shrunk += fitted.shrunk + fitted.autofit
                tally.overflowing += fitted.overflowing
            else:
                inplace.write(skeleton, doc, lang, out)  # type: ignore[arg-type]
            tally.seconds_translate += time.perf_counter() - start
            start = time.perf_counter()
            libreoffice.convert(out, "pdf", out.with_suffix(".pdf"))
            tally.seconds_pdf += time.perf_counter() - start
            start = time.perf_counter()
            source_pdf = Path(tmp) / f"{path.stem}.source.pdf"
            libreoffice.convert(path, "pdf", source_pdf)
            tally.seconds_source_pdf += time.perf_counter() - start
            tally.words_off_page += _words_off_page(out.with_suffix(".pdf"))
            tally.source_words_off_page += _words_off_page(source_pdf)
            slides_in, shapes_in, pictures_in = _deck_counts(path)
            slides_out, shapes_out, pictures_out = _deck_counts(out)
            tally.decks += 1
            tally.slides += slides_in
            tally.slides_kept += min(slides_in, slides_out)
            tally.shapes += shapes_in
            tally.shapes_kept += min(shapes_in, shapes_out)
            tally.pictures += len(pictures_in)
            tally.pictures_kept += sum(1 for p in pictures_in if p in pictures_out)
    return tally


@dataclass
class CueTally:
    files: int = 0
    cues: int = 0
    cues_kept: int = 0
    timings_identical: int = 0
    over_limit: int = 0
    source_over_limit: int = 0
    groups: int = 0
    by_markers: int = 0
    by_length: int = 0
    seconds_translate: float = 0.0
    seconds_identity: float = 0.0


def measure_subtitles(files: list[Path], engine: object, lang: str = "es") -> CueTally:
    from pipeline.inplace import cuetext, subtitles

    tally = CueTally()
    for path in files:
        fmt = path.suffix.lstrip(".")
        start = time.perf_counter()
        source, doc = _translate_in_place(path, None, lang)
        subtitles.render_with_stats(source.skeleton, doc, "en")  # type: ignore[attr-defined,arg-type]
        tally.seconds_identity += time.perf_counter() - start
        start = time.perf_counter()
        source, doc = _translate_in_place(path, engine, lang)
        data, stats = subtitles.render_with_stats(source.skeleton, doc, lang)  # type: ignore[attr-defined,arg-type]
        tally.seconds_translate += time.perf_counter() - start
        before = subtitles.parse(path.read_bytes().decode("utf-8"), fmt)
        after = subtitles.parse(data.decode("utf-8"), fmt)
        tally.files += 1
        tally.cues += len(before.cues)
        tally.cues_kept += min(len(before.cues), len(after.cues))
        tally.timings_identical += sum(
            a.timing == b.timing for a, b in zip(before.cues, after.cues, strict=False)
        )
        limit = cuetext.limits_for(lang).hard
        tally.over_limit += sum(
            len(c.lines) > 2 or any(len(line) > limit for line in c.lines) for c in after.cues
        )
        tally.source_over_limit += sum(
            len(c.lines) > 2 or any(len(line) > 42 for line in c.lines) for c in before.cues
        )
        tally.groups += stats.groups
        tally.by_markers += stats.by_markers
        tally.by_length += stats.by_length
    return tally


def slides_report(folder: Path | None = None) -> tuple[SlideTally, CueTally]:
    """Build (or take) the decks and subtitles, measure them, print the figures."""
    from pipeline.engines.apertium import ApertiumEngine

    engine = ApertiumEngine()
    with tempfile.TemporaryDirectory(prefix="fidelity-slides-src-") as tmp:
        base = folder or Path(tmp)
        decks = sorted([*base.glob("*.pptx"), *base.glob("*.odp")]) or build_slide_corpus(base)
        subs = sorted([*base.glob("*.srt"), *base.glob("*.vtt")]) or build_subtitle_corpus(base)
        slides = measure_slides(decks, engine)
        cues = measure_subtitles(subs, engine)
    print(f"{slides.decks} decks (PPTX and ODP), {slides.slides} slides; Apertium en→es")
    print(f"  slides kept            {_share(slides.slides_kept, slides.slides)}")
    print(f"  shapes kept            {_share(slides.shapes_kept, slides.shapes)}")
    print(f"  pictures kept (bytes)  {_share(slides.pictures_kept, slides.pictures)}")
    print(
        f"  PPTX frames fitted     {slides.shrunk} of {slides.frames} shrunk, {slides.overflowing} still overflowing"
    )
    print(
        f"  words off the PDF page {slides.words_off_page} (source deck: {slides.source_words_off_page})"
    )
    per_slide = slides.seconds_translate / max(slides.slides, 1)
    identity = slides.seconds_identity / max(slides.slides, 1)
    pdf, source_pdf = (
        slides.seconds_pdf / max(slides.slides, 1),
        slides.seconds_source_pdf / max(slides.slides, 1),
    )
    print(
        f"  s/slide read+translate+write {per_slide:.3f} (round trip untranslated {identity:.3f}, {per_slide / max(identity, 1e-9):.1f}x)"
    )
    print(
        f"  s/slide PDF                  {pdf:.3f} (LibreOffice on the source {source_pdf:.3f}, {pdf / max(source_pdf, 1e-9):.2f}x)"
    )
    print(f"{cues.files} subtitle files (SRT and VTT), {cues.cues} cues; Apertium en→es")
    print(f"  cues kept              {_share(cues.cues_kept, cues.cues)}")
    print(f"  timings byte-identical {_share(cues.timings_identical, cues.cues)}")
    print(f"  cues over 2×42         {cues.over_limit} (source: {cues.source_over_limit})")
    print(
        f"  groups across cues     {cues.groups}: split at markers {cues.by_markers}, by length {cues.by_length}"
    )
    per_cue, identity_cue = (
        cues.seconds_translate / max(cues.cues, 1),
        cues.seconds_identity / max(cues.cues, 1),
    )
    print(
        f"  s/cue                  {per_cue:.4f} (round trip untranslated {identity_cue:.4f}, {per_cue / max(identity_cue, 1e-9):.1f}x)"
    )
    return slides, cues


if __name__ == "__main__":
    raise SystemExit(main())
