"""Issue 20's mixed real-document batch: translated code spans, swapped fields, space defects,
placeholder debris and stretched Japanese, counted in the outputs.

Run from the repository root::

    python -m benchmarks.code_and_fields [--shared ../shared/samples] [--baseline ../main]

``--baseline`` runs the same batch with the pipeline in another checkout (e.g. ``main``) and
prints both counts.

The batch: a Word letter written by someone else (header "organisation ⇥ page ⇥ date" and
"Header ⇥ 1 ⇥ Test", a footer with fields, a comment anchor, a bookmark, code in Consolas, in a
code style and in an HTML Preformatted paragraph, URLs, addresses, file names, @handles), its
ODT written by LibreOffice, the team's letterhead DOCX, a Markdown statement with code, a
Japanese statement with long Latin names, and the shared sample statement when the folder is
given. Everything goes through ``python -m pipeline translate`` with Apertium (en→es) in one
run; the Japanese statement is exported to Japanese (its PDF is what is measured there).

Counted: every verbatim piece of the sources (code runs, code blocks, and what
``pipeline.verbatim`` finds in running text) that does not come back as written in the output
DOCX/ODT (translated code spans); every tab-separated field whose translation is not in its
own place (each source field translated alone by Apertium is compared with the output field at
its position: swapped fields); " ." / double spaces in the outputs where the sources had none;
leftover markers or placeholders; the widest gap between two Japanese characters in the PDF.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import inplace  # noqa: E402
from pipeline.ingest import read_document  # noqa: E402
from pipeline.verbatim import verbatim_pieces  # noqa: E402
from tests.fixtures import office  # noqa: E402
from tests.fixtures import written_by_others as wbo  # noqa: E402
from tests.test_typography_print import cjk_gaps  # noqa: E402

DEBRIS = re.compile(r"</?g\d+>|<x\d+/>|ZXQ\w*|<extra\d+>|\ue000")
SPACE_DEFECTS = re.compile(r"\S  +\S| [.,;:!?)]")


def build_batch(folder: Path, shared: Path | None) -> list[Path]:
    letter = wbo.letter_docx(folder / "letter.docx")
    office.to_format(letter, "odt", folder.parent)
    (folder.parent / "letter.odt").rename(folder / "letter-lo.odt")
    office.letterhead_docx(folder / "letterhead.docx")
    wbo.code_markdown(folder / "howto.md")
    files = sorted(folder.iterdir())
    if shared is not None:
        for sample in sorted(shared.glob("*.txt")):
            (folder / sample.name).write_bytes(sample.read_bytes())
            files.append(folder / sample.name)
    return files


def source_texts(path: Path) -> list[str]:
    """The source's paragraph texts (header, footer and code included)."""
    if path.suffix in (".docx", ".odt"):
        return [b.text for b in inplace.read(path).document.blocks] + _code_paragraphs(path)
    return [b.text for b in read_document(path).blocks]


def _code_paragraphs(path: Path) -> list[str]:
    """Code paragraphs in place are not blocks (never translated): their text from the file."""
    if path.name in ("letter.docx", "letter-lo.odt"):
        return [wbo.CODE_BLOCK, wbo.CODE_COMMAND, wbo.CODE_TAG]
    return []


def output_texts(path: Path) -> list[str]:
    """All paragraph texts of an output DOCX/ODT, headers and footers included."""
    if path.suffix == ".odt":
        return _odt_paragraphs(path)
    import docx

    document = docx.Document(str(path))
    paragraphs = list(document.paragraphs)
    for section in document.sections:
        paragraphs += section.header.paragraphs + section.footer.paragraphs
    for table in document.tables:
        paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return [p.text for p in paragraphs]


def _odt_paragraphs(path: Path) -> list[str]:
    import zipfile

    from lxml import etree

    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    found = []
    with zipfile.ZipFile(path) as package:
        for part in ("content.xml", "styles.xml"):
            root = etree.fromstring(package.read(part))
            for paragraph in root.iter(f"{{{text_ns}}}p", f"{{{text_ns}}}h"):
                for tab in paragraph.iter(f"{{{text_ns}}}tab"):
                    tab.text = "\t"
                for line_break in paragraph.iter(f"{{{text_ns}}}line-break"):
                    line_break.text = "\n"
                found.append("".join(paragraph.itertext()))
    return found


def _apertium(text: str) -> str:
    done = subprocess.run(["apertium", "eng-spa"], input=text, capture_output=True, text=True)
    return done.stdout.strip().replace("*", "")


def _header_footer(path: Path) -> list[str]:
    import docx

    document = docx.Document(str(path))
    return [p.text for s in document.sections for p in s.header.paragraphs + s.footer.paragraphs]


def swapped_fields(source: Path, output: Path) -> tuple[int, int]:
    """(fields checked, fields swapped) of a DOCX's tab-separated header and footer lines:
    a field is swapped when its place holds the translation of another field."""
    if source.suffix != ".docx":
        return 0, 0
    checked = swapped = 0
    for line, translated_line in zip(_header_footer(source), _header_footer(output), strict=False):
        fields, translated = line.split("\t"), translated_line.split("\t")
        alone = [_apertium(f.strip()) if re.search(r"[A-Za-z]", f) else f.strip() for f in fields]
        for k, (field, result) in enumerate(zip(fields, translated, strict=False)):
            if "\t" not in line or not re.search(r"[A-Za-z]", field):
                continue
            checked += 1
            first = result.split()[:1]
            elsewhere = [a.split()[:1] for j, a in enumerate(alone) if j != k and a]
            if first != alone[k].split()[:1] and first in elsewhere:
                swapped += 1
    return checked, swapped


def count_document(source: Path, output: Path) -> dict[str, int]:
    """Verbatim pieces lost, fields swapped, space defects and debris in one output."""
    sources, outputs = source_texts(source), output_texts(output)
    joined = "\n".join(outputs)
    pieces = [p for text in sources for p in verbatim_pieces(text)]
    pieces += [
        p for p in (wbo.CODE_BLOCK, wbo.CODE_COMMAND, wbo.CODE_TAG) if p in "\n".join(sources)
    ]
    lost = [p for p in pieces if p not in joined]
    fields_checked, swapped = swapped_fields(source, output)
    source_spaces = sum(len(SPACE_DEFECTS.findall(t)) for t in sources)
    return {
        "verbatim": len(pieces),
        "translated_code": len(lost),
        "fields": fields_checked,
        "swapped_fields": swapped,
        "space_defects": max(
            0, sum(len(SPACE_DEFECTS.findall(t)) for t in outputs if "\t" not in t) - source_spaces
        ),
        "debris": len(DEBRIS.findall(joined)),
    }


def run_batch(code: Path, work: Path, files: list[Path], folder: Path) -> dict[str, float]:
    """The batch translated by the pipeline at ``code``; the counts over its outputs."""
    jadir = work / "ja"
    wbo.japanese_markdown(jadir / "ja.md")
    out = work / f"out-{code.name}"
    env = {**os.environ, "PYTHONPATH": str(code), "PIPELINE_CACHE": str(work / f"{code.name}.tm")}
    started = time.perf_counter()
    command = [sys.executable, "-m", "pipeline", "translate", str(folder), "--to", "es",
               "--engine", "apertium", "--out", str(out), "--no-glossary", "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work)
    seconds = time.perf_counter() - started
    subprocess.run(
        [sys.executable, "-m", "pipeline", "translate", str(jadir), "--to", "ja", "--from", "ja",
         "--out", str(out), "--no-glossary", "--json"],
        capture_output=True, text=True, env=env, cwd=work,
    )  # fmt: skip
    print(f"{code}: {len(files)} documents, exit {done.returncode}, {seconds:.1f} s")
    totals: dict[str, float] = {}
    for source in files:
        report = json.loads((out / source.stem / "report.json").read_text(encoding="utf-8"))
        es = report["targets"]["es"]
        outputs = es.get("outputs", {})
        document = outputs.get("odt") or outputs.get("docx")
        if document is None:
            print(f"  {source.name}: no output ({es.get('error')})")
            continue
        counts = count_document(source, Path(document))
        pages = es.get("pages")
        shown = pages and (pages["source"], pages["translated"], pages["font_scale"])
        print(f"  {source.name:30} {counts} pages={shown}")
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    gaps = cjk_gaps(out / "ja" / "ja.ja.pdf")
    totals["widest_japanese_gap_em"] = round(max(g for g, _ in gaps), 3)
    print(f"  total: {totals}")
    return totals


def main(argv: list[str]) -> int:
    shared = Path(argv[argv.index("--shared") + 1]) if "--shared" in argv else None
    baseline = Path(argv[argv.index("--baseline") + 1]) if "--baseline" in argv else None
    with tempfile.TemporaryDirectory(prefix="nothing-silent-") as tmp:
        work = Path(tmp)
        folder = work / "source_docs"
        folder.mkdir()
        files = build_batch(folder, shared)
        ours = run_batch(ROOT, work, files, folder)
        if baseline is not None:
            before = run_batch(baseline.resolve(), work, files, folder)
            for key in ours:
                print(f"{key}: {before.get(key)} → {ours[key]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
