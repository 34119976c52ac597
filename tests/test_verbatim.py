"""Code, URLs, e-mail addresses, file names and @handles are never translated (issue 20, item 3),
and an engine's spaces around markers do not reach the output (item 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import markers
from pipeline.document import Block, Span
from pipeline.ingest import read_document
from pipeline.segment import rebuild_block, segment_block, segment_document
from pipeline.typography import tidy_spaces
from pipeline.verbatim import protect, verbatim_pieces
from tests.fixtures import written_by_others as wbo

WORDS = {"output": "Salida", "input": "Entrada", "head": "jefa", "statement": "declaración"}


def hostile_engine(text: str) -> str:
    """Translates every word it can, including inside anything it sees, and moves markers."""
    out = re.sub(r"[A-Za-z]+", lambda m: WORDS.get(m.group().lower(), m.group()), text)
    return out


@pytest.mark.parametrize(
    "text, pieces",
    [
        ("Write to press@flti.org today.", ["press@flti.org"]),
        ("Read https://flti.org/statement.html.", ["https://flti.org/statement.html"]),
        ("Follow @FLTI_intl, please.", ["@FLTI_intl"]),
        (
            "The file statement.docx is in ~/campaign/source_docs.",
            ["statement.docx", "~/campaign/source_docs"],
        ),
        ("Run it with --sandbox now.", ["--sandbox"]),
        ("The page needs a <head> element.", ["<head>"]),
        ("See www.flti.org or flti.org for more.", ["www.flti.org", "flti.org"]),
    ],
)
def test_verbatim_pieces_of_running_text(text: str, pieces: list[str]) -> None:
    assert verbatim_pieces(text) == pieces


@pytest.mark.parametrize(
    "text",
    [
        "The U.S. and the U.K. signed it, e.g. in Nov. 2026.",
        "Mr. Smith and Dr. Pérez met at 10.30 a.m. in the and/or room.",
        "24/7 solidarity, 50% of the workers, 1952–2026.",
        "私たちは、カサパルカ鉱山で投獄された労働者たちと連帯する。",
    ],
)
def test_prose_has_no_verbatim_pieces(text: str) -> None:
    assert verbatim_pieces(text) == []


def test_protect_cuts_verbatim_spans_keeping_formatting() -> None:
    spans = protect([Span("Write to press@flti.org now", bold=True)])
    assert [(s.text, s.bold, s.verbatim) for s in spans] == [
        ("Write to ", True, False),
        ("press@flti.org", True, True),
        (" now", True, False),
    ]


def test_markdown_code_reaches_no_engine_and_comes_back_verbatim(tmp_path: Path) -> None:
    doc = read_document(wbo.code_markdown(tmp_path / "code.md"))
    code_blocks = [b for b in doc.blocks if b.kind == "code"]
    assert [b.text for b in code_blocks] == [wbo.CODE_BLOCK]
    segmented = segment_document(doc, "en")
    sent = " ".join(s.text for sb in segmented for s in sb.segments)
    for piece in (wbo.CODE_COMMAND, wbo.CODE_TAG, "--sandbox", *wbo.VERBATIM_IN_TEXT):
        assert piece not in markers.strip(sent), piece  # the engine never sees it
    rebuilt = [
        rebuild_block(sb, [hostile_engine(s.text) for s in sb.segments], "es") for sb in segmented
    ]
    text = "\n".join(b.text for b in rebuilt)
    for piece in (wbo.CODE_COMMAND, wbo.CODE_TAG, wbo.CODE_BLOCK, *wbo.VERBATIM_IN_TEXT):
        assert piece in text, piece
    assert "Salida" not in text and "jefa" not in text  # nothing of the code was translated
    inline = [s for b in rebuilt if b.kind != "code" for s in b.spans if s.code]
    assert [s.text for s in inline] == [wbo.CODE_COMMAND, wbo.CODE_TAG, "--sandbox"]


def test_a_lost_placeholder_is_put_back_not_dropped() -> None:
    block = Block(
        "paragraph", [Span("Run "), Span("make all", code=True, verbatim=True), Span(" now.")]
    )
    sb = segment_block(block, 0, "en")
    assert [s.text for s in sb.segments] == ["Run <x1/> now."]
    rebuilt = rebuild_block(sb, ["Ejecuta ahora."], "es")
    assert "make all" in rebuilt.text
    assert any(s.code and s.text == "make all" for s in rebuilt.spans)


def test_a_code_block_is_not_segmented() -> None:
    block = Block("code", [Span("pandoc -o output.html input.txt", code=True, verbatim=True)])
    sb = segment_block(block, 0, "en")
    assert sb.segments == []
    assert rebuild_block(sb, [], "es") == block


def test_no_sentence_boundary_inside_a_file_name() -> None:
    block = Block("paragraph", [Span("Open the file report.final.PDF. Then read it.")])
    texts = [s.text for s in segment_block(block, 0, "en").segments]
    assert texts == ["Open the file report.final.PDF.", "Then read it."] or all(
        "report.final" not in t for t in texts
    )


@pytest.mark.parametrize(
    "source, draft, expected",
    [
        (
            "We start a new paragraph<x1/><x2/>.",
            "Empezamos un párrafo nuevo <x1/><x2/> .",
            "Empezamos un párrafo nuevo <x1/><x2/>.",
        ),
        (
            "The march starts at noon<x3/>, and ends.",
            "La marcha empieza a mediodía <x3/> , y acaba.",
            "La marcha empieza a mediodía <x3/>, y acaba.",
        ),
        ("Read <x1/>this", "Lee <x1/> esto", "Lee <x1/>esto"),
        ("Why ? Because", "¿Por qué ? Porque", "¿Por qué ? Porque"),  # the source had it
        ("Two  spaces", "Dos  espacios", "Dos  espacios"),
    ],
)
def test_tidy_spaces(source: str, draft: str, expected: str) -> None:
    assert tidy_spaces(source, draft) == expected


def test_language_detection_reads_prose_not_code(tmp_path: Path) -> None:
    """A Spanish statement with English code and addresses is Spanish, and its code block is
    not a foreign block."""
    from pipeline.detect import detect_document

    text = (
        "# Cómo publicar la declaración\n\n"
        "Para convertir la declaración, ejecuten `pandoc -o output.html input.txt --sandbox` "
        "en la carpeta de la campaña y escriban a press@flti.org.\n\n"
        '```\nfor file in source_docs/*.md; do pandoc --from markdown --to html "$file"; done\n'
        "echo 'The statement was converted and the output is ready for the website'\n```\n\n"
        "Los compañeros de la federación minera seguirán la campaña hasta la liberación.\n"
    )
    path = tmp_path / "publicar.md"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    found = detect_document(doc)
    assert found.language == "es"
    assert found.foreign_blocks() == []


def test_review_files_show_what_a_placeholder_keeps(tmp_path: Path) -> None:
    """A translator sees the code a placeholder stands for: a line in the review DOCX, and the
    XLIFF ``<x>``'s ``equiv-text`` (the file still valid against the strict schema)."""
    import docx as python_docx
    from lxml import etree

    from pipeline.review.files import write_review_files
    from pipeline.review.sidecar import sidecar_path, write_sidecar
    from tests.fixtures.xliff_schema import schema_errors, strict_schema

    block = Block("paragraph", [Span("Run "), Span(wbo.CODE_COMMAND, code=True, verbatim=True),
                                Span(" in the folder.")])  # fmt: skip
    (segment,) = segment_block(block, 0, "en").segments
    assert segment.verbatim == {1: wbo.CODE_COMMAND}
    entry = {
        "id": segment.id, "block": 0, "source": segment.text,
        "target": "Ejecuten <x1/> en la carpeta.", "origin": "machine", "glossary": [],
        "qa": [], "fuzzy": [], "verbatim": {"1": wbo.CODE_COMMAND},
    }  # fmt: skip
    sidecar = write_sidecar(
        sidecar_path(tmp_path / "howto", "howto", "en", "es"),
        document="howto", src="en", tgt="es", segments=[entry], engine="apertium",
    )  # fmt: skip
    files = write_review_files(sidecar)
    cells = [
        c.text for row in python_docx.Document(str(files["docx"])).tables[0].rows for c in row.cells
    ]
    assert any(f"<x1/> is kept as written: {wbo.CODE_COMMAND}" in c for c in cells)
    xs = etree.parse(str(files["xliff"])).iter("{urn:oasis:names:tc:xliff:document:1.2}x")
    assert {x.get("equiv-text") for x in xs} == {wbo.CODE_COMMAND}
    assert schema_errors(strict_schema(), files["xliff"]) == ""
