"""The bilingual review DOCX: one table row per segment, the draft column the only one to edit.

Columns: segment id, source, draft, glossary terms and memory suggestions, QA findings.
Read-only columns are shaded grey, the draft column is white; rows with QA findings are
shaded amber and their findings are also Word comments on the draft. Inline markers stay as
literal tags (``<g1>…</g1>``, ``<x1/>``) in small grey type, so what a reviewer keeps is
exactly what the pipeline reads back. A hidden paragraph holds the pipeline's data
(ids and hashes of every source and draft) so an import detects rearranged rows, edited ids
and edited sources. Opens in Word and LibreOffice; tracked changes count as accepted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell, _Row
from docx.text.run import Run

from pipeline import markers
from pipeline.document import LANGUAGE_NAMES
from pipeline.export.atomic import atomic_path
from pipeline.review.sidecar import (
    JsonObject,
    ReturnedFile,
    ReturnedSegment,
    ReviewError,
    ReviewRow,
    ReviewSet,
    check_meta,
    hash_matches,
    rows_checksum,
    text_hash,
)

META_PREFIX = "statement-pipeline review data (do not edit): "
GREY = "EDEDED"
AMBER = "FFE2A8"
LIGHT_AMBER = "FFF4DC"
GREEN = "DDEFD9"
ORIGIN_WORDS = {"cache": "memory", "identity": "original text", "kept": "kept as written"}
"""Where a draft came from, in a translator's words."""
TAG_COLOUR = RGBColor(0x80, 0x80, 0x80)
COLUMN_WIDTHS = (Cm(2.0), Cm(8.6), Cm(8.6), Cm(4.2), Cm(4.2))
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class ReviewDocxError(ReviewError):
    """A DOCX that is not a readable review file; the message names what is wrong."""


@dataclass(frozen=True)
class DocxRow:
    """One table row as the reviewer left it."""

    id: str
    source: str
    target: str


@dataclass
class DocxReview:
    """A review DOCX as read back: its pipeline data (a JSON object) and its table rows."""

    meta: JsonObject
    rows: list[DocxRow] = field(default_factory=list)


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    for old in tc_pr.findall(qn("w:shd")):
        tc_pr.remove(old)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _repeat_header(row: _Row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _write_marked(cell: _Cell, text: str) -> list[Run]:
    """Put ``text`` in ``cell``, tags as small grey runs; returns the runs."""
    paragraph = cell.paragraphs[0]
    runs = []
    for index, part in enumerate(markers.split(text)):
        if not part:
            continue
        run = paragraph.add_run(part)
        if index % 2:  # markers.split puts the markers at odd positions
            run.font.color.rgb = TAG_COLOUR
            run.font.size = Pt(7.5)
        runs.append(run)
    if not runs:
        runs.append(paragraph.add_run(""))
    return runs


def _write_lines(cell: _Cell, lines: list[str]) -> None:
    first = True
    for line in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        run = paragraph.add_run(line)
        run.font.size = Pt(8.5)


def _setup(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.2))
    normal = document.styles["Normal"]
    normal.font.name = "Noto Sans"
    normal.font.size = Pt(10)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "Noto Sans CJK JP")


def _notes_lines(row: ReviewRow) -> list[str]:
    lines = []
    for term in row.glossary:
        line = f"{term.get('term', '')} → {term.get('expected', '')}"
        if term.get("note"):
            line += f" ({term['note']})"
        lines.append(line)
    for match in row.fuzzy:
        lines.append(f"Memory {float(match.get('score', 0)):.0f}%: {match.get('target', '')}")
        if match.get("source"):
            lines.append(f"  (for: {match['source']})")
    for number, text in row.verbatim.items():
        lines.append(f"<x{number}/> is kept as written: {text}")
    if row.origin == "approved":
        lines.append("Approved earlier")
    elif row.origin in ("cache", "identity", "kept"):
        lines.append(f"Draft from: {ORIGIN_WORDS.get(row.origin, row.origin)}")
    return lines


def write_review_docx(review: ReviewSet, path: Path) -> Path:
    """Write ``review`` as a review DOCX at ``path`` (atomically)."""
    src_name = LANGUAGE_NAMES.get(review.src, review.src)
    tgt_name = LANGUAGE_NAMES.get(review.tgt, review.tgt)
    document = new_document()
    _setup(document)
    document.add_heading(f"Review: {review.document} ({src_name} → {tgt_name})", level=1)
    intro = document.add_paragraph()
    intro.add_run("Edit only the Draft column. ").bold = True
    intro.add_run(
        "Keep the grey tags such as <g1>…</g1> around the same words: they carry bold, italics "
        "and links. Do not add, delete or sort rows. Amber rows have QA findings (also shown as "
        "comments); green rows were approved by a reviewer earlier (change them only to correct "
        "them again); grey rows are machine drafts or drafts from the memory. When done, save "
        "as Word (.docx) and run: pipeline review import FILE --reviewer NAME"
    )
    flagged = sum(1 for r in review.rows if r.qa)
    document.add_paragraph(
        f"{len(review.rows)} sentences, {flagged} with QA findings. "
        f"Engine: {review.engine or 'unknown'} {review.model or ''}".rstrip()
    )
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    table.autofit = False
    headers = ("Id", f"Source ({src_name})", f"Draft ({tgt_name}) — edit here",
               "Glossary and memory", "QA findings")  # fmt: skip
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=True):
        column.width = width  # the grid LibreOffice lays out by
    header = table.rows[0]
    _repeat_header(header)
    for cell, text, width in zip(header.cells, headers, COLUMN_WIDTHS, strict=True):
        cell.width = width
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell, GREY if text != headers[2] else "FFFFFF")
    manifest_rows = []
    for row in review.rows:
        cells = table.add_row().cells
        for cell, width in zip(cells, COLUMN_WIDTHS, strict=True):
            cell.width = width
        id_run = cells[0].paragraphs[0].add_run(row.id)
        id_run.font.size = Pt(8)
        _write_marked(cells[1], row.source)
        draft_runs = _write_marked(cells[2], row.target)
        _write_lines(cells[3], _notes_lines(row))
        _write_lines(cells[4], [f"{q.get('check', '')}: {q.get('detail', '')}" for q in row.qa])
        fill = AMBER if row.qa else GREEN if row.origin == "approved" else GREY
        for index in (0, 1, 3, 4):
            _shade(cells[index], fill)
        _shade(cells[2], LIGHT_AMBER if row.qa else "FFFFFF")
        if row.qa:
            text = "\n".join(f"{q.get('check', '')}: {q.get('detail', '')}" for q in row.qa)
            document.add_comment(draft_runs, text=text, author="pipeline QA", initials="QA")
        manifest_rows.append([row.id, text_hash(row.source), text_hash(row.target)])
    meta = dict(review.meta())
    meta["rows"] = manifest_rows
    props = document.core_properties
    props.title = f"Review: {review.document} {review.src}-{review.tgt}"
    props.subject = "statement-pipeline review"
    props.keywords = f"statement-pipeline, review, {review.src}-{review.tgt}"
    props.comments = "Written by statement-pipeline for review; edit only the Draft column."
    # The pipeline's data goes in a hidden paragraph: Word and LibreOffice keep hidden text
    # when they save, while long document properties are cut or dropped.
    data = document.add_paragraph()
    data_run = data.add_run(
        META_PREFIX + json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    )
    data_run.font.hidden = True
    data_run.font.size = Pt(1)
    with atomic_path(path) as tmp:
        document.save(str(tmp))
    return path


def cell_text(cell: _Cell) -> str:
    """A cell's text as a reviewer left it: paragraphs joined by spaces, tracked insertions
    kept and deletions dropped (i.e. changes accepted)."""
    paragraphs = []
    for p in cell._tc.iter(f"{_W}p"):
        parts = []
        for el in p.iter():
            if el.tag == f"{_W}t":
                parts.append(el.text or "")
            elif el.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
                parts.append(" ")
        paragraphs.append("".join(parts))
    return " ".join(" ".join(paragraphs).split())


def read_review_docx(path: Path) -> DocxReview:
    """Read a returned review DOCX: its pipeline data and (id, source, draft) per row."""
    try:
        document = new_document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise ReviewDocxError(f"not a readable DOCX file ({exc})".splitlines()[0]) from None
    except Exception as exc:  # zipfile/lxml errors on damaged files
        raise ReviewDocxError(f"damaged DOCX file ({type(exc).__name__})") from None
    stored = ""
    for p in document.element.body.iter(f"{_W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{_W}t"))
        if text.startswith(META_PREFIX):
            stored = text
    if not stored:
        raise ReviewDocxError(
            "is not a review file from `pipeline review export`, or its table was copied into a "
            "new document (the review data hidden in the file is missing); edit and import the "
            "file as it was given to you"
        )
    try:
        meta = json.loads(stored[len(META_PREFIX) :])
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict):
        raise ReviewDocxError("the pipeline's data in its document properties is damaged")
    if not document.tables:
        raise ReviewDocxError("has no review table")
    table = max(document.tables, key=lambda t: len(t.rows))
    rows = []
    for n, tr in enumerate(table.rows):
        cells = tr.cells
        if n == 0:
            continue  # header
        if len(cells) < 3:
            raise ReviewDocxError(f"table row {n + 1} has {len(cells)} columns; expected 5")
        rows.append(DocxRow(cell_text(cells[0]), cell_text(cells[1]), cell_text(cells[2])))
    return DocxReview(meta=meta, rows=rows)


def read_returned(path: Path) -> ReturnedFile:
    """A returned review DOCX as segments to import; ``ReviewError`` when it cannot be used.

    Rows are matched to the export by their id: when rows were deleted, moved or copied, or
    an id edited, every intact row is still imported and the others are listed (as
    ``ReturnedSegment.problem``).
    """
    doc = read_review_docx(path)
    meta = check_meta(doc.meta)
    exported = _exported_rows(doc.meta)
    hashes = {seg_id: (source_hash, draft_hash) for seg_id, source_hash, draft_hash in exported}
    ids_now = [r.id for r in doc.rows]
    ids_then = [seg_id for seg_id, _, _ in exported]
    if ids_now == ids_then:
        returned = [
            ReturnedSegment(
                id=seg_id,
                source=row.source,
                target=row.target,
                draft_changed=not hash_matches(row.target, draft_hash),
                source_edited=not hash_matches(row.source, source_hash),
            )
            for row, (seg_id, source_hash, draft_hash) in zip(doc.rows, exported, strict=True)
        ]
        if not any(r.source_edited for r in returned) and (
            rows_checksum((r.id, r.source) for r in returned) != meta.checksum
        ):
            raise ReviewError(_DAMAGED)
        return ReturnedFile(meta, returned)
    # rows were deleted, moved, copied or their ids edited: every intact row is imported
    # by its id (its own source and draft hashes still tell what changed), the rest listed
    returned, seen = [], set()
    for n, row in enumerate(doc.rows, start=2):
        problem = None
        if row.id not in hashes:
            problem = (
                f"table row {n}: {row.id!r} is not an id this file was made with (an edited "
                "or added row); nothing imported from it"
            )
        elif row.id in seen:
            problem = f"table row {n}: row {row.id} appears twice; only the first was imported"
        seen.add(row.id)
        source_hash, draft_hash = hashes.get(row.id, ("", ""))
        returned.append(
            ReturnedSegment(
                id=row.id,
                source=row.source,
                target=row.target,
                draft_changed=problem is None and not hash_matches(row.target, draft_hash),
                source_edited=problem is None and not hash_matches(row.source, source_hash),
                problem=problem,
            )
        )
    returned += [
        ReturnedSegment(
            seg_id, "", "", False, problem="its row was deleted from the table; nothing imported"
        )
        for seg_id in ids_then
        if seg_id not in seen
    ]
    return ReturnedFile(meta, returned)


_DAMAGED = "the file's pipeline data does not match its own table (damaged)"


def _exported_rows(meta: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """The (id, source hash, draft hash) of every row as exported."""
    rows = meta.get("rows") or []
    if not isinstance(rows, list):
        raise ReviewError(_DAMAGED)
    exported = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 3 and all(isinstance(v, str) for v in row)):
            raise ReviewError(_DAMAGED)
        exported.append((row[0], row[1], row[2]))
    return exported
