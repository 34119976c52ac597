"""DOCX writer: ms per document through pandoc + python-docx against the direct writer.

The same documents, in the same process, both ways: ``write_docx_pandoc`` through a running
pandoc (``pandoc_server.serving()``, as a batch's writer processes use it) and
``write_docx_direct``. The documents are the sample statements in ``source_docs/`` and, when
``../shared`` (or
``$PIPELINE_SHARED``) is there, 50 statements made from the UDHR as ``benchmarks/scale.py``
makes them (a title and 8 paragraphs each). Each route writes every document once to warm up
(the direct writer's probe of its shared parts, pandoc's start), then ``--rounds`` times.

    /work/main/.venv/bin/python benchmarks/docx_writer.py [--rounds 3] [--lang es]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.scale import UDHR_EN, write_statements  # noqa: E402
from pipeline.document import Document  # noqa: E402
from pipeline.export import pandoc_server  # noqa: E402
from pipeline.export.docx import write_docx_direct, write_docx_pandoc  # noqa: E402
from pipeline.export.docx_direct import can_write, template  # noqa: E402
from pipeline.ingest import read_document  # noqa: E402


def documents(folder: Path) -> tuple[list[Document], str]:
    docs = [read_document(p) for p in sorted((REPO / "source_docs").iterdir())]
    what = f"{len(docs)} sample statements"
    if UDHR_EN.is_file():
        write_statements(folder / "udhr", 50)
        docs += [read_document(p) for p in sorted((folder / "udhr").iterdir())]
        what += " + 50 UDHR statements"
    else:
        what += " (no UDHR statements: ../shared is absent)"
    assert all(can_write(d) for d in docs)
    return docs, what


def timed(write, docs: list[Document], out: Path, lang: str, rounds: int) -> float:  # noqa: ANN001
    """Best of ``rounds`` passes over ``docs``, in ms per document."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for n, doc in enumerate(docs):
            write(doc, out / f"{n}.docx", lang, subject=f"{n}.txt")
        best = min(best, time.perf_counter() - start)
    return best / len(docs) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lang", default="es")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-docx-") as tmp:
        folder = Path(tmp)
        docs, what = documents(folder)
        (folder / "p").mkdir()
        (folder / "d").mkdir()
        with pandoc_server.serving():
            start = time.perf_counter()
            template(args.lang)  # the direct writer's one pandoc-route probe per process
            probe_ms = (time.perf_counter() - start) * 1000
            write_docx_pandoc(docs[0], folder / "p" / "warm.docx", args.lang)
            pandoc_ms = timed(write_docx_pandoc, docs, folder / "p", args.lang, args.rounds)
            direct_ms = timed(write_docx_direct, docs, folder / "d", args.lang, args.rounds)
    print(
        f"DOCX writer, {len(docs)} documents ({what}), lang {args.lang}, best of {args.rounds}; "
        f"{platform.processor() or platform.machine()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"  pandoc + python-docx : {pandoc_ms:7.2f} ms/document")
    print(f"  direct               : {direct_ms:7.2f} ms/document")
    print(f"  ratio                : {pandoc_ms / direct_ms:7.1f}x faster")
    print(f"  direct writer's probe (once per process and language): {probe_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
