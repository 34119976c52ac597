"""Review round trip: sidecar → review DOCX / XLIFF → edited by a reviewer → corrections
stored as approved; bad returns (rearranged, edited ids, changed sources, other documents)
refused with a clear line while the rest is imported."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from lxml import etree

from pipeline.markers import strip as markers_strip
from pipeline.memory import TranslationMemory
from pipeline.review import (
    import_review,
    load_sidecar,
    marker_problem,
    plan_import,
    segment_entry,
    sidecar_path,
    write_review_files,
    write_sidecar,
)
from pipeline.review.docx import META_PREFIX as DOCX_META_PREFIX
from pipeline.review.docx import cell_text, read_review_docx
from pipeline.review.sidecar import ReviewError
from pipeline.review.xliff import XLIFF_12_NS, read_xliff
from tests.fixtures.xliff_schema import schema_errors, strict_schema

NS = {"x": XLIFF_12_NS}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

SEGMENTS = [
    # id, source, draft, origin, glossary, fuzzy
    ("b0.s0", "Solidarity with the <g1>miners</g1> of Peru",
     "Solidaridad con los <g1>mineros</g1> de Perú", "machine",
     [{"term": "miners", "expected": "mineros"}], []),
    ("b1.s0", "On October 19, 1,000 workers of the Casapalca mine went on strike.",
     "El 19 de octubre, 100 trabajadores de la mina Casapalca fueron en huelga.", "machine",
     [], [{"source": "On October 19, 900 workers went on strike.",
           "target": "El 19 de octubre, 900 trabajadores se declararon en huelga.",
           "score": 88.0}]),
    ("b1.s1", "The union stands with them.<x1/>", "El sindicato está con ellos.<x1/>", "approved",
     [{"term": "union", "expected": "sindicato", "note": "labour union"}], []),
    ("b2.s0", "Free our brothers!", "¡Liberad a nuestros hermanos!", "cache", [], []),
]  # fmt: skip


@pytest.fixture
def memory(tmp_path: Path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as real:
        yield real


def approvals(memory) -> dict[str, tuple[str, str]]:
    """{source: (approved target, reviewer)} for the test segments."""
    found = memory.get_approved("en", "es", [s[1] for s in SEGMENTS])
    return {source: (e.target, e.reviewer) for source, e in found.items()}


def make_sidecar(out: Path, document: str = "peru", segments=SEGMENTS) -> Path:
    entries = [
        segment_entry(i, s, t, "en", "es", block=n, origin=o, glossary=g, fuzzy=f)
        for n, (i, s, t, o, g, f) in enumerate(segments)
    ]
    return write_sidecar(
        sidecar_path(out / document, document, "en", "es"),
        document=document,
        src="en",
        tgt="es",
        segments=entries,
        source_path=f"/statements/{document}.en.txt",
        source_sha256="0" * 64,
        engine="apertium",
        model="apertium-eng-spa",
    )


@pytest.fixture
def exported(tmp_path: Path) -> dict[str, Path]:
    sidecar = make_sidecar(tmp_path / "out")
    files = write_review_files(sidecar)
    return {"sidecar": sidecar, **files}


def edit_docx(path: Path, edits: dict[int, str], out: Path | None = None) -> Path:
    """Replace the draft cell of table rows (1 = first segment) like a reviewer would."""
    document = docx.Document(str(path))
    table = document.tables[0]
    for row, text in edits.items():
        table.rows[row].cells[2].text = text
    target = out or path
    document.save(str(target))
    return target


# --- export ------------------------------------------------------------------------------


def test_sidecar_carries_qa_from_the_checks(exported):
    review = load_sidecar(exported["sidecar"])
    qa = {r.id: [q["check"] for q in r.qa] for r in review.rows}
    assert qa["b1.s0"] == ["numbers"]  # 1,000 → 100
    assert qa["b0.s0"] == [] and qa["b1.s1"] == []  # approved rows are not checked


def test_segment_entry_can_defer_to_the_glossary_verdict():
    glossary = [{"term": "comrade", "expected": "compañero", "note": ""}]
    own = segment_entry("s", "Our comrade spoke.", "Nuestra compañera habló.", "en", "es",
                        glossary=glossary)  # fmt: skip
    assert [q["check"] for q in own["qa"]] == ["glossary"]
    deferred = segment_entry("s", "Our comrade spoke.", "Nuestra compañera habló.", "en", "es",
                             glossary=glossary, expected_terms=[])  # fmt: skip
    assert deferred["qa"] == [] and deferred["glossary"] == glossary


def test_review_paths_follow_the_contract(exported):
    assert exported["docx"].name == "peru.en-es.review.docx"
    assert exported["xliff"].name == "peru.en-es.xlf"
    assert exported["docx"].parent == exported["sidecar"].parent
    assert exported["sidecar"].relative_to(exported["sidecar"].parents[2]).as_posix() == (
        "peru/review/peru.en-es.segments.json"
    )


def test_xliff_validates_against_the_official_strict_schema(exported):
    """Every construct the export writes (notes, alt-trans, states, approved, g/x inline codes,
    one context-group per unit) is allowed by OASIS xliff-core-1.2-strict.xsd."""
    assert schema_errors(strict_schema(), exported["xliff"]) == ""


def test_xliff_carries_ids_notes_states_and_tags(exported):
    tree = etree.parse(str(exported["xliff"]))
    root = tree.getroot()
    assert root.get("version") == "1.2"
    file_el = root.find("x:file", NS)
    assert (file_el.get("original"), file_el.get("source-language")) == ("peru", "en")
    assert file_el.get("target-language") == "es"
    units = {u.get("id"): u for u in root.iterfind(".//x:trans-unit", NS)}
    assert list(units) == [s[0] for s in SEGMENTS]
    states = {
        i: (u.find("x:target", NS).get("state"), u.find("x:target", NS).get("state-qualifier"))
        for i, u in units.items()
    }
    # machine drafts (engine or remembered engine output) are marked as such for CAT tools
    mt = ("needs-review-translation", "leveraged-mt")
    assert states == {"b0.s0": mt, "b1.s0": mt, "b1.s1": ("final", None), "b2.s0": mt}
    assert units["b1.s1"].get("approved") == "yes"
    first = units["b0.s0"]
    g = first.find("x:source/x:g", NS)
    assert g.get("id") == "1" and g.text == "miners"
    assert units["b1.s1"].find("x:target/x:x", NS).get("id") == "1"
    notes = [n.text for n in units["b1.s0"].iterfind("x:note", NS)]
    assert any(n.startswith("QA numbers:") and "1,000" in n for n in notes)
    assert any(
        "Glossary: union → sindicato" in n.text for n in units["b1.s1"].iterfind("x:note", NS)
    )
    alt = units["b1.s0"].find("x:alt-trans", NS)
    assert alt.get("match-quality") == "88"
    assert "900 trabajadores" in alt.find("x:target", NS).text


def test_schema_rejects_what_xliff_1_2_forbids(exported):
    """The validation above can fail: the schema refuses what XLIFF 1.2 strict forbids."""
    schema = strict_schema()
    tree = etree.parse(str(exported["xliff"]))
    bad_state = copy.deepcopy(tree)
    bad_state.find(".//x:target", NS).set("state", "reviewed")
    assert not schema.validate(bad_state)
    no_id = copy.deepcopy(tree)
    del no_id.find(".//x:trans-unit", NS).attrib["id"]
    assert not schema.validate(no_id)
    target_first = copy.deepcopy(tree)
    unit = target_first.find(".//x:trans-unit", NS)
    unit.insert(0, unit.find("x:target", NS))
    assert not schema.validate(target_first)
    # context-group names must be unique in a <file> (exports once reused one name per unit)
    same_group = copy.deepcopy(tree)
    for group in same_group.iterfind(".//x:context-group", NS):
        group.set("name", "x-statement-pipeline")
    assert "U_context-group_name" in schema_errors(schema, same_group)


def test_xliff_context_groups_are_unique_and_read_back(exported):
    tree = etree.parse(str(exported["xliff"]))
    names = [g.get("name") for g in tree.iterfind(".//x:context-group", NS)]
    assert len(names) == len(SEGMENTS) == len(set(names))
    review = read_xliff(exported["xliff"])
    assert all(u.source_sha256 and u.draft_sha256 for u in review.units)


def test_review_docx_table_shading_comments_and_tags(exported):
    document = docx.Document(str(exported["docx"]))
    table = document.tables[0]
    assert len(table.rows) == len(SEGMENTS) + 1
    assert "edit here" in table.rows[0].cells[2].text
    ids = [cell_text(r.cells[0]) for r in table.rows[1:]]
    assert ids == [s[0] for s in SEGMENTS]
    assert cell_text(table.rows[1].cells[1]) == SEGMENTS[0][1]  # tags kept as text, exactly

    def fill(cell) -> str:
        shd = cell._tc.tcPr.find(f"{W}shd")
        return shd.get(f"{W}fill")

    flagged, plain = table.rows[2], table.rows[1]
    assert fill(flagged.cells[0]) != fill(plain.cells[0])  # flagged row highlighted
    assert fill(plain.cells[2]) == "FFFFFF"  # the editable column stands out
    assert "numbers" in cell_text(flagged.cells[4])
    comments = list(document.comments)
    assert len(comments) == 1 and "1,000" in comments[0].text
    tag_runs = [r for r in table.rows[1].cells[2].paragraphs[0].runs if r.text.startswith("<")]
    assert [r.text for r in tag_runs] == ["<g1>", "</g1>"]
    assert all(r.font.color.rgb is not None for r in tag_runs)
    assert "Memory 88%" in cell_text(flagged.cells[3])
    review = read_review_docx(exported["docx"])
    assert review.meta["document"] == "peru" and len(review.meta["rows"]) == len(SEGMENTS)


def test_export_regenerates_every_sidecar_under_an_output_folder(tmp_path):
    from pipeline.review import export_review

    out = tmp_path / "out"
    make_sidecar(out, "peru")
    make_sidecar(out, "chile")
    (out / "broken" / "review").mkdir(parents=True)
    (out / "broken" / "review" / "broken.en-es.segments.json").write_text("{oops")
    results = dict(export_review(out))
    assert len(results) == 3
    errors = [v for v in results.values() if isinstance(v, str)]
    assert len(errors) == 1 and "broken.en-es.segments.json" in errors[0] and "JSON" in errors[0]
    assert (out / "chile" / "review" / "chile.en-es.review.docx").is_file()


# --- import: DOCX ------------------------------------------------------------------------


def test_docx_edit_is_imported_exactly_with_markers(exported, memory):
    new = "Solidaridad con los <g1>trabajadores mineros</g1> del Perú"
    edit_docx(exported["docx"], {1: new})
    when = datetime(2026, 11, 27, tzinfo=UTC)
    result = import_review(exported["docx"], memory, "ana", when=when)
    assert result.refused == []
    assert [(c.segment, c.reason, c.status) for c in result.corrections] == [
        ("b0.s0", "edited", "approved")
    ]
    assert approvals(memory) == {SEGMENTS[0][1]: (new, "ana")}
    assert result.corrections[0].draft == SEGMENTS[0][2]
    # importing the same file again changes nothing
    again = import_review(exported["docx"], memory, "ana")
    assert [c.status for c in again.corrections] == ["unchanged"]


def test_docx_approve_unchanged_approves_drafts_not_yet_approved(exported, memory):
    result = import_review(exported["docx"], memory, "ana", approve_unchanged=True)
    assert sorted(c.segment for c in result.corrections) == ["b0.s0", "b1.s0", "b2.s0"]
    assert {c.reason for c in result.corrections} == {"confirmed"}


def test_docx_tracked_changes_count_as_accepted(exported):
    document = docx.Document(str(exported["docx"]))
    cell = document.tables[0].rows[4].cells[2]
    paragraph = cell.paragraphs[0]._p
    for run in list(paragraph.iterchildren(f"{W}r")):
        paragraph.remove(run)
    tracked = etree.fromstring(
        f'<w:p xmlns:w="{W[1:-1]}"><w:del w:id="1" w:author="ana"><w:r><w:delText>'
        '¡Liberad</w:delText></w:r></w:del><w:ins w:id="2" w:author="ana"><w:r><w:t>'
        '¡Liberen</w:t></w:r></w:ins><w:r><w:t xml:space="preserve"> a nuestros hermanos!'
        "</w:t></w:r></w:p>"
    )
    for child in tracked:
        paragraph.append(child)
    document.save(str(exported["docx"]))
    result, corrections = plan_import(exported["docx"])
    assert [(c.segment, c.target) for c in corrections] == [
        ("b2.s0", "¡Liberen a nuestros hermanos!")
    ]


def test_docx_moved_rows_are_imported_by_their_id(exported, memory):
    edit_docx(exported["docx"], {1: "Solidaridad con los <g1>mineros</g1> del Perú",
                                 4: "¡Liberen a nuestros hermanos!"})  # fmt: skip
    document = docx.Document(str(exported["docx"]))
    table = document.tables[0]._tbl
    rows = table.findall(f"{W}tr")
    rows[1].addprevious(rows[4])  # move a row up, as sorting would
    document.save(str(exported["docx"]))
    result = import_review(exported["docx"], memory, "ana")
    assert result.refused == []
    assert sorted((c.segment, c.target) for c in result.corrections) == [
        ("b0.s0", "Solidaridad con los <g1>mineros</g1> del Perú"),
        ("b2.s0", "¡Liberen a nuestros hermanos!"),
    ]


def test_docx_deleted_row_or_edited_id_imports_every_intact_row(exported, tmp_path, memory):
    edit_docx(exported["docx"], {1: "Solidaridad con los <g1>mineros</g1> del Perú",
                                 4: "¡Liberen a nuestros hermanos!"})  # fmt: skip
    document = docx.Document(str(exported["docx"]))
    document.tables[0].rows[2].cells[0].text = "b1.s9"
    edited = tmp_path / "edited.docx"
    document.save(str(edited))
    result, corrections = plan_import(edited, against=exported["sidecar"])
    assert [(r.segment, r.reason) for r in result.refused] == [
        ("b1.s9", "table row 3: 'b1.s9' is not an id this file was made with (an edited or "
                  "added row); nothing imported from it"),
        ("b1.s0", "its row was deleted from the table; nothing imported"),
    ]  # fmt: skip
    assert [c.segment for c in corrections] == ["b0.s0", "b2.s0"]

    document = docx.Document(str(exported["docx"]))
    row = document.tables[0].rows[2]._tr
    row.getparent().remove(row)
    document.save(str(edited))
    result = import_review(edited, memory, "ana", against=exported["sidecar"])
    assert [(r.segment, r.reason) for r in result.refused] == [
        ("b1.s0", "its row was deleted from the table; nothing imported")
    ]
    assert [c.segment for c in result.corrections] == ["b0.s0", "b2.s0"]


def test_review_saved_as_odt_says_save_as_word(exported, tmp_path):
    odt = tmp_path / "peru.en-es.review.odt"
    odt.write_bytes(b"PK\x03\x04 not really")
    result, _ = plan_import(odt)
    assert result.refused[0].reason == (
        "saved as .odt: open it and save it as Word (.docx), then import the .docx"
    )


def test_review_docx_says_memory_and_explains_green_rows(exported):
    document = docx.Document(str(exported["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "green rows were approved by a reviewer" in text
    assert "4 sentences" in text
    notes = [cell_text(r.cells[3]) for r in document.tables[0].rows[1:]]
    assert "Draft from: memory" in notes[3] and "cache" not in " ".join(notes)
    assert cell_text(document.tables[0].rows[0].cells[0]) == "Id"


def test_docx_edited_source_cell_refuses_that_row_only(exported, memory):
    document = docx.Document(str(exported["docx"]))
    table = document.tables[0]
    table.rows[1].cells[1].text = "Solidarity with the miners of Chile"
    table.rows[1].cells[2].text = "Solidaridad con los mineros de Chile"
    table.rows[4].cells[2].text = "¡Liberen a nuestros hermanos!"
    document.save(str(exported["docx"]))
    result = import_review(exported["docx"], memory, "ana")
    assert [(r.segment, "original sentence was edited" in r.reason) for r in result.refused] == [
        ("b0.s0", True)
    ]
    assert [c.segment for c in result.corrections] == ["b2.s0"]


def test_source_changed_since_export_is_refused_and_the_rest_imported(exported, memory):
    edit_docx(exported["docx"], {1: "Solidaridad con los <g1>mineros</g1> del Perú",
                                 2: "El 19 de octubre, 1.000 trabajadores de la mina Casapalca "
                                    "se declararon en huelga."})  # fmt: skip
    # the statement was edited and translated again: b1.s0's source is different now
    changed = [list(s) for s in SEGMENTS]
    changed[1][1] = "On October 19, 1,200 workers of the Casapalca mine went on strike."
    make_sidecar(exported["sidecar"].parents[2], segments=[tuple(s) for s in changed])
    result = import_review(exported["docx"], memory, "ana")
    assert [(r.segment, r.reason) for r in result.refused] == [
        ("b1.s0", "the original sentence changed after this review file was made, so this "
                  "correction may no longer fit; review it again in the new file from "
                  "`pipeline review export`")
    ]  # fmt: skip
    assert [c.segment for c in result.corrections] == ["b0.s0"]
    assert list(approvals(memory)) == [SEGMENTS[0][1]]


def test_broken_tags_in_a_draft_refuse_that_segment(exported, memory):
    edit_docx(exported["docx"], {1: "Solidaridad con los <g1>mineros de Perú",
                                 4: "¡Liberen a <g2>nuestros</g2> hermanos!"})  # fmt: skip
    result = import_review(exported["docx"], memory, "ana")
    reasons = {r.segment: r.reason for r in result.refused}
    assert "<g1> is not closed" in reasons["b0.s0"]
    assert "<g2> is not in the source" in reasons["b2.s0"]
    assert result.corrections == []


@pytest.mark.parametrize(
    ("source", "target", "problem"),
    [
        ("<g1>a</g1>", "<g1>a", "tag <g1> is not closed (add </g1>)"),
        ("<g1>a <g2>b</g2></g1>", "<g1>a <g2>b", "tag <g2> is not closed (add </g2>)"),
        ("<g1>a</g1>", "a</g1>", "tag </g1> closes a tag that is not open"),
        ("a", "<g2>a</g2>", "tag <g2> is not in the source"),
        ("a", "a</g2>", "tag </g2> is not in the source"),
        ("a<x1/>", "a<x2/>", "tag <x2/> is not in the source"),
        ("<g1>a</g1>", "</g1><g3>x</g3>", "tag </g1> closes a tag that is not open"),
        ("<g1>a</g1>", "<g1>a</g1> </ g1>", "a damaged tag (like <g1 > or </ g1>) is in the text"),
        ("<g1>a</g1> b", "a b", None),  # a reviewer may drop formatting
        ("<g1>a</g1> b", "<g1>a</g1> <g1>b</g1>", None),  # or repeat it
        ("a<x1/>", "<x1/>a<x1/>", None),
    ],
)
def test_marker_problem_names_what_the_reviewer_broke(source, target, problem):
    assert marker_problem(source, target) == problem


def _with_old_hashes(exported: dict[str, Path]) -> None:
    """Rewrite the exported files' hashes the way exports before the one ``text_hash`` did:
    16 hex digits in the DOCX, SHA-256 of the text with whitespace collapsed in the XLIFF."""
    document = docx.Document(str(exported["docx"]))
    data_run = next(
        r for p in document.paragraphs for r in p.runs if r.text.startswith(DOCX_META_PREFIX)
    )
    meta = json.loads(data_run.text[len(DOCX_META_PREFIX) :])
    meta["rows"] = [[i, s[:16], d[:16]] for i, s, d in meta["rows"]]
    data_run.text = DOCX_META_PREFIX + json.dumps(meta, ensure_ascii=False)
    document.save(str(exported["docx"]))
    texts = {seg.id: (seg.source, seg.target) for seg in load_sidecar(exported["sidecar"]).rows}
    tree = etree.parse(str(exported["xliff"]))
    for unit in tree.iterfind(".//x:trans-unit", NS):
        source, draft = texts[unit.get("id")]
        for context in unit.iterfind("x:context-group/x:context", NS):
            text = source if context.get("context-type") == "x-source-sha256" else draft
            context.text = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
    tree.write(str(exported["xliff"]), xml_declaration=True, encoding="UTF-8")


def test_review_files_with_the_old_hashes_import_as_before(tmp_path):
    """Files exported before review/ had one hash keep importing: untouched drafts (one of them
    not in NFC, where the old XLIFF hash differs from today's) are not taken for edits."""
    decomposed = [list(s) for s in SEGMENTS]
    decomposed[0][2] = unicodedata.normalize("NFD", SEGMENTS[0][2])  # "Perú" as u + accent
    sidecar = make_sidecar(tmp_path / "out", segments=[tuple(s) for s in decomposed])
    exported = {"sidecar": sidecar, **write_review_files(sidecar)}
    _with_old_hashes(exported)
    for path in (exported["docx"], exported["xliff"]):
        result, corrections = plan_import(path)
        assert (result.refused, corrections) == ([], []), path.name
    edit_docx(exported["docx"], {4: "¡Liberen a nuestros hermanos!"})
    _set_target(exported["xliff"], "b2.s0", "¡Liberen a nuestros hermanos!")
    for path in (exported["docx"], exported["xliff"]):
        result, corrections = plan_import(path)
        assert result.refused == [] and [c.segment for c in corrections] == ["b2.s0"]


def test_a_plain_docx_or_other_file_is_refused_with_one_line(tmp_path, memory):
    plain = tmp_path / "letter.docx"
    d = docx.Document()
    d.add_paragraph("Dear comrades")
    d.save(str(plain))
    result = import_review(plain, memory, "ana")
    assert result.refused[0].segment is None
    assert "not a review file from `pipeline review export`" in result.refused[0].reason
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"not a zip")
    assert "DOCX" in import_review(junk, memory, "ana").refused[0].reason
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert "not a review file" in import_review(other, memory, "ana").refused[0].reason


def test_review_file_moved_away_from_its_sidecar(exported, tmp_path, memory):
    moved = tmp_path / "downloads" / "peru.en-es.review.docx"
    moved.parent.mkdir()
    shutil.copy(exported["docx"], moved)
    edit_docx(moved, {4: "¡Liberen a nuestros hermanos!"})
    alone = import_review(moved, memory, "ana")
    assert [c.segment for c in alone.corrections] == ["b2.s0"]
    assert any("--against" in n for n in alone.notes)
    found = import_review(moved, memory, "ana", against=exported["sidecar"].parents[2])
    assert found.notes == [] and [c.segment for c in found.corrections] == ["b2.s0"]


# --- import: XLIFF -----------------------------------------------------------------------


def _set_target(path: Path, unit_id: str, xml_content: str, state: str | None = None) -> None:
    tree = etree.parse(str(path))
    unit = tree.find(f".//x:trans-unit[@id='{unit_id}']", NS)
    old = unit.find("x:target", NS)
    new = etree.fromstring(f'<target xmlns="{XLIFF_12_NS}">{xml_content}</target>')
    new.set("state", state or old.get("state"))
    old.addprevious(new)
    unit.remove(old)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def test_xliff_edit_with_inline_tags_maps_back_to_markers(exported, memory):
    _set_target(exported["xliff"], "b0.s0",
                'Solidaridad con <g id="1">los mineros</g> del Perú', "translated")  # fmt: skip
    _set_target(exported["xliff"], "b2.s0", "¡Liberad a nuestros hermanos!", "final")
    result = import_review(exported["xliff"], memory, "kenji")
    assert result.refused == []
    got = {c.segment: (c.reason, c.target) for c in result.corrections}
    assert got == {
        "b0.s0": ("edited", "Solidaridad con <g1>los mineros</g1> del Perú"),
        "b2.s0": ("confirmed", "¡Liberad a nuestros hermanos!"),  # marked final in the CAT tool
    }
    assert schema_errors(strict_schema(), exported["xliff"]) == ""  # edits kept it valid


def test_xliff_segmented_by_a_cat_tool_and_foreign_codes(exported, memory):
    """Trados/memoQ/Okapi wrap segments in <seg-source>/<mrk mtype="seg">; <bpt> is refused."""
    tree = etree.parse(str(exported["xliff"]))
    unit = tree.find(".//x:trans-unit[@id='b0.s0']", NS)
    seg = etree.fromstring(
        f'<seg-source xmlns="{XLIFF_12_NS}"><mrk mtype="seg" mid="1">Solidarity with the '
        '<g id="1">miners</g> of Peru</mrk></seg-source>'
    )
    unit.find("x:source", NS).addnext(seg)
    tree.write(str(exported["xliff"]), xml_declaration=True, encoding="UTF-8")
    _set_target(
        exported["xliff"],
        "b0.s0",
        '<mrk mtype="seg" mid="1">Solidaridad con <g id="1">los mineros</g> del Perú</mrk>',
    )
    _set_target(exported["xliff"], "b2.s0",
                '<bpt id="1">&lt;b&gt;</bpt>¡Liberen<ept id="1">&lt;/b&gt;</ept>!')  # fmt: skip
    result = import_review(exported["xliff"], memory, "ana")
    assert [r.segment for r in result.refused] == ["b2.s0"]
    assert "<bpt>" in result.refused[0].reason
    assert {c.segment: c.target for c in result.corrections} == {
        "b0.s0": "Solidaridad con <g1>los mineros</g1> del Perú",
    }
    # what the CAT tool wrote is itself valid XLIFF 1.2 (so the refusal is ours, not a bad file)
    assert schema_errors(strict_schema(), exported["xliff"]) == ""


def test_xliff_roundtrip_through_translate_toolkit_keeps_everything(exported, tmp_path):
    """A CAT tool that parses and re-serialises the file (as translate-toolkit does)."""
    from translate.storage import xliff as tt_xliff

    store = tt_xliff.xlifffile.parsestring(exported["xliff"].read_bytes())
    resaved = tmp_path / "peru.en-es.xlf"
    resaved.write_bytes(bytes(store))
    review = read_xliff(resaved)
    assert [u.id for u in review.units] == [s[0] for s in SEGMENTS]
    assert [u.source for u in review.units] == [s[1] for s in SEGMENTS]
    assert [u.target for u in review.units] == [s[2] for s in SEGMENTS]


def test_xliff_for_another_document_is_refused(exported, tmp_path, memory):
    other_sidecar = make_sidecar(tmp_path / "other", "chile")
    result = import_review(exported["xliff"], memory, "ana", against=other_sidecar)
    assert result.refused[0].segment is None
    assert "is for peru (en→es), not chile (en→es)" in result.refused[0].reason
    # a file whose <file original> was changed to pose as another document
    text = (
        exported["xliff"].read_text(encoding="utf-8").replace('original="peru"', 'original="chile"')
    )
    posed = tmp_path / "posed.xlf"
    posed.write_text(text, encoding="utf-8")
    result = import_review(posed, memory, "ana")
    assert "does not match its pipeline data" in result.refused[0].reason


def test_xliff_moved_or_removed_units_import_every_intact_unit(exported, memory):
    _set_target(exported["xliff"], "b2.s0", "¡Liberen a nuestros hermanos!")
    tree = etree.parse(str(exported["xliff"]))
    body = tree.find(".//x:body", NS)
    units = body.findall("x:trans-unit", NS)
    body.remove(units[1])  # b1.s0 deleted
    body.insert(0, units[3])  # b2.s0 moved first
    tree.write(str(exported["xliff"]), xml_declaration=True, encoding="UTF-8")
    result = import_review(exported["xliff"], memory, "ana")
    assert [(r.segment, r.reason) for r in result.refused] == [
        ("b1.s0", "its unit was removed; nothing imported")
    ]
    assert [(c.segment, c.target) for c in result.corrections] == [
        ("b2.s0", "¡Liberen a nuestros hermanos!")
    ]


def test_xliff_edited_id_or_foreign_xliff_refused(exported, tmp_path, memory):
    text = exported["xliff"].read_text(encoding="utf-8").replace('id="b1.s0"', 'id="b1.s7"')
    edited = tmp_path / "edited.xlf"
    edited.write_text(text, encoding="utf-8")
    result = import_review(edited, memory, "ana", against=exported["sidecar"])
    assert [(r.segment, r.reason) for r in result.refused] == [
        ("b1.s7", "its id was edited (it was exported as b1.s0); not imported")
    ]
    assert result.corrections == []
    foreign = tmp_path / "app.xlf"
    foreign.write_text(
        f'<xliff version="1.2" xmlns="{XLIFF_12_NS}"><file original="app" source-language="en" '
        'datatype="plaintext"><body><trans-unit id="1"><source>Hi</source></trans-unit></body>'
        "</file></xliff>"
    )
    refused = import_review(foreign, memory, "ana").refused[0]
    assert refused.segment is None and "not written by `pipeline review export`" in refused.reason


# --- CLI and LibreOffice -----------------------------------------------------------------


def test_cli_export_and_dry_run_import(cli, tmp_path):
    out = tmp_path / "out"
    make_sidecar(out)
    done = cli("review", "export", str(out), "--json")
    assert done.returncode == 0, done.stderr
    outputs = json.loads(done.stdout)["exported"][0]["outputs"]
    docx_path = Path(outputs["docx"])
    edit_docx(docx_path, {4: "¡Liberen a nuestros hermanos!"})
    dry = cli("review", "import", str(docx_path), "--dry-run", "--reviewer", "ana")
    assert dry.returncode == 0, dry.stderr
    assert "b2.s0: would approve (edited) by ana" in dry.stdout
    assert "now: ¡Liberen a nuestros hermanos!" in dry.stdout
    empty = cli("review", "export", str(tmp_path / "nothing"))
    assert empty.returncode == 2 and "no such folder" in empty.stderr
    missing = cli("review", "import", str(tmp_path / "nope.docx"), "--dry-run")
    assert missing.returncode == 2 and "nope.docx: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr + empty.stderr


def _soffice() -> str:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui")
    return binary


@pytest.mark.slow  # LibreOffice starts twice
def test_libreoffice_opens_the_review_docx_and_its_saved_copy_imports(exported, tmp_path, memory):
    soffice = _soffice()
    profile = tmp_path / "lo-profile"
    edit_docx(exported["docx"], {4: "¡Liberen a nuestros hermanos!"})
    for fmt, outdir in (("pdf", tmp_path / "pdf"), ("docx:MS Word 2007 XML", tmp_path / "lo")):
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
             fmt, "--outdir", str(outdir), str(exported["docx"])],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "pdf" / "peru.en-es.review.pdf").stat().st_size > 1000
    resaved = tmp_path / "lo" / "peru.en-es.review.docx"
    result = import_review(resaved, memory, "ana", against=exported["sidecar"])
    assert result.refused == []
    assert [(c.segment, c.target) for c in result.corrections] == [
        ("b2.s0", "¡Liberen a nuestros hermanos!")
    ]


def test_cli_import_stores_approvals_and_reports_refusals(cli, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "tm.sqlite3"
    sidecar = make_sidecar(out)
    files = write_review_files(sidecar)
    edit_docx(files["docx"], {1: "Solidaridad con los <g1>mineros</g1> del Perú",
                              4: "¡Liberen a nuestros hermanos!"})  # fmt: skip
    changed = [list(s) for s in SEGMENTS]
    changed[3][1] = "Free all our brothers!"
    make_sidecar(out, segments=[tuple(s) for s in changed])
    args = ("review", "import", str(files["docx"]), "--reviewer", "ana", "--cache", str(cache))
    done = cli(*args, "--json")
    assert done.returncode == 1  # one segment refused
    (report,) = json.loads(done.stdout)["files"]
    assert [(c["segment"], c["status"]) for c in report["corrections"]] == [("b0.s0", "approved")]
    assert [r["segment"] for r in report["refused"]] == ["b2.s0"]
    again = cli(*args)
    assert again.returncode == 1
    assert "b2.s0: refused: the original sentence changed after" in again.stderr
    assert "0 approved, 1 already approved, 1 refused" in again.stdout
    assert "Traceback" not in again.stderr


def _omegat(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Debian's OmegaT (``omegat``, installed by ``scripts/setup.sh test``) in console mode."""
    jar = Path("/usr/share/omegat/OmegaT.jar")
    java = shutil.which("java")
    if not jar.is_file() or java is None:
        pytest.skip("OmegaT is not installed (apt-get install omegat; scripts/setup.sh test)")
    return subprocess.run(
        [java, "-Djava.awt.headless=true", f"-Duser.home={project.parent / 'home'}", "-jar",
         str(jar), str(project), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _tmx_pairs(path: Path) -> dict[str, str]:
    pairs = {}
    for tu in etree.parse(str(path)).iter("tu"):
        segs = ["".join(s.itertext()) for s in tu.iter("seg")]
        pairs[segs[0]] = segs[1]
    return pairs


def _project_save(project: Path, pairs: dict[str, str]) -> None:
    """What OmegaT saves as a translator works: omegat/project_save.tmx."""
    tmx = etree.fromstring(
        '<tmx version="1.4"><header creationtool="OmegaT" o-tmf="OmegaT TMX" adminlang="EN-US" '
        'datatype="plaintext" creationtoolversion="3.6" segtype="paragraph" srclang="EN"/>'
        "<body/></tmx>"
    )
    body = tmx.find("body")
    for source, target in pairs.items():
        tu = etree.SubElement(body, "tu")
        for lang, text in (("EN", source), ("ES", target)):
            tuv = etree.SubElement(tu, "tuv", {"lang": lang})
            etree.SubElement(tuv, "seg").text = text
    etree.ElementTree(tmx).write(str(project / "omegat" / "project_save.tmx"), encoding="UTF-8")


OMEGAT_CASES = [  # the shapes of inline tags OmegaT hides or numbers (checked with OmegaT below)
    "Solidarity with the <g1>miners</g1> of Peru",
    "<x1/>Leading break then <g2>bold</g2> word.",
    "<g1>Whole bold sentence.</g1>",
    "<g1>Bold</g1> start and end <g2>bold</g2>",
    "Nested <g1>a <g2>b</g2> c</g1> end.",
    "Two <x1/> breaks <x2/> inside.",
    "Footnote<x3/> and <g5>bold</g5> here.<x6/>",
    "Break at the end <x1/>",
    "<g1>Bold</g1> <x2/>",
]


def test_omegat_form_is_what_omegat_shows():
    from pipeline.review.omegat import omegat_form

    assert [omegat_form(t).text for t in OMEGAT_CASES] == [
        "Solidarity with the <g0>miners</g0> of Peru",
        "Leading break then <g0>bold</g0> word.",
        "Whole bold sentence.",
        "<g0>Bold</g0> start and end <g1>bold</g1>",
        "Nested <g0>a <g1>b</g1> c</g0> end.",
        "Two <x0/> breaks <x1/> inside.",
        "Footnote<x0/> and <g1>bold</g1> here.",
        "Break at the end",
        "Bold",
    ]
    form = omegat_form("Footnote<x3/> and <g5>bold</g5> here.<x6/>")
    assert form.to_markers("Nota<x0/> y <g1>negrita</g1> aquí.") == (
        "Nota<x3/> y <g5>negrita</g5> aquí.<x6/>"
    )
    with pytest.raises(ReviewError, match="tag <g7> is not in the source"):
        form.to_markers("<g7>x</g7>")


@pytest.mark.slow  # runs Debian's OmegaT (a Java program)
def test_omegat_segments_match_omegat_itself(tmp_path):
    """OmegaT's own segmentation of an exported project is what ``omegat_form`` predicts."""
    from pipeline.review.omegat import omegat_form

    rows = [(f"s{i}", text, text, "machine", [], []) for i, text in enumerate(OMEGAT_CASES)]
    sidecar = make_sidecar(tmp_path / "out", segments=rows)
    project = write_review_files(sidecar, ("omegat",))["omegat"]
    seen = tmp_path / "seen.tmx"
    done = _omegat(project, "--mode=console-createpseudotranslatetmx",
                   f"--pseudotranslatetmx={seen}", "--pseudotranslatetype=equal")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(_tmx_pairs(seen)) == {omegat_form(t).text for t in OMEGAT_CASES}


def test_omegat_project_layout(exported, tmp_path):
    project = write_review_files(exported["sidecar"], ("omegat",))["omegat"]
    assert project.name == "peru.en-es.omegat" and project.parent == exported["sidecar"].parent
    settings = etree.parse(str(project / "omegat.project")).getroot().find("project")
    assert settings.findtext("source_lang") == "EN" and settings.findtext("target_lang") == "ES"
    assert settings.findtext("sentence_seg") == "false"  # one segment per pipeline segment
    source = project / "source" / "peru.en-es.xlf"
    assert schema_errors(strict_schema(), source) == ""
    units = etree.parse(str(source)).getroot().findall(".//x:trans-unit", NS)
    for unit, (_, english, _draft, origin, *_rest) in zip(units, SEGMENTS, strict=True):
        target = unit.find("x:target", NS)  # OmegaT translates <target>: the English is there
        assert target.get("state") == ("final" if origin == "approved" else "needs-translation")
        assert "".join(target.itertext()) == markers_strip(english)
    header = etree.parse(str(source)).getroot().find(".//x:header", NS)
    assert "{" not in header.findtext("x:note", namespaces=NS)  # plain words, no data
    notes = " ".join(n.text for n in etree.parse(str(source)).iterfind(".//x:note", NS))
    assert "Draft from" not in notes and "cache" not in notes
    # machine drafts are matches (tm/mt), not inserted; approved translations are (tm/auto)
    drafts = _tmx_pairs(project / "tm" / "mt" / "peru.en-es.tmx")
    assert drafts["Solidarity with the <g0>miners</g0> of Peru"] == (
        "Solidaridad con los <g0>mineros</g0> de Perú"
    )
    assert "The union stands with them." not in drafts
    assert _tmx_pairs(project / "tm" / "auto" / "peru.en-es.tmx") == {
        "The union stands with them.": "El sindicato está con ellos."
    }
    suggestions = _tmx_pairs(project / "tm" / "peru.en-es.memory.tmx")
    assert "On October 19, 900 workers went on strike." in suggestions
    glossary = (project / "glossary" / "peru.en-es.glossary.txt").read_text(encoding="utf-8")
    assert glossary.splitlines() == ["miners\tmineros\t", "union\tsindicato\tlabour union"]


@pytest.mark.slow  # runs Debian's OmegaT (a Java program)
def test_omegat_round_trip(exported, memory, tmp_path):
    """Debian's OmegaT opens the exported project with English as the source, the approved
    translation inserted and the machine drafts left for the translator (remaining); what the
    translator changed comes back as approved, the rest does not; after the import OmegaT's
    translated XLIFF says per unit what was done."""
    project = write_review_files(exported["sidecar"], ("omegat",))["omegat"]
    done = _omegat(project, "--mode=console-translate")
    assert done.returncode == 0, done.stdout + done.stderr
    target = project / "target" / "peru.en-es.xlf"
    read = read_xliff(target)
    assert [u.source for u in read.units] == [s[1] for s in SEGMENTS]  # English as the source
    assert [u.target for u in read.units] == [  # only the approved translation is in
        s[2] if s[3] == "approved" else s[1] for s in SEGMENTS
    ]
    stats = (project / "omegat" / "project_stats.txt").read_text(encoding="utf-8")
    assert re.search(r"Remaining:\s+3\s", stats), stats  # the three machine drafts
    assert schema_errors(strict_schema(), target) == ""  # OmegaT kept the file valid
    nothing, corrections = plan_import(project)
    assert nothing.refused == [] and corrections == []  # drafts as inserted: nothing to approve

    # the translator corrects one segment in OmegaT (it saves omegat/project_save.tmx) and
    # creates the translated documents
    corrected = "Solidaridad con los <g0>trabajadores mineros</g0> del Perú"
    inserted = "¡Liberad a nuestros hermanos!"  # the machine draft, inserted with Ctrl+I
    _project_save(
        project,
        {"Solidarity with the <g0>miners</g0> of Peru": corrected, "Free our brothers!": inserted},
    )
    done = _omegat(project, "--mode=console-translate")
    assert done.returncode == 0, done.stdout + done.stderr
    wanted = [("b0.s0", "Solidaridad con los <g1>trabajadores mineros</g1> del Perú")]
    for returned in (target, next(project.glob("*-omegat.tmx")), project / "omegat"):
        result, corrections = plan_import(returned)
        assert result.refused == [], returned
        assert [(c.segment, c.target) for c in corrections] == wanted, returned
    result = import_review(project, memory, "ana")
    assert [(c.segment, c.target, c.status) for c in result.corrections] == [
        (*wanted[0], "approved")
    ]
    assert approvals(memory)[SEGMENTS[0][1]] == (wanted[0][1], "ana")
    states = {u.id: u.state for u in read_xliff(target).units}
    assert states == {
        "b0.s0": "translated",  # corrected by the translator
        "b1.s0": "needs-translation",  # still the English
        "b1.s1": "final",  # approved before
        "b2.s0": "needs-review-translation",  # the machine draft as it was
    }
    assert schema_errors(strict_schema(), target) == ""
