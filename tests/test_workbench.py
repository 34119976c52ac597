"""The review workbench without a browser: access token and CSRF, pages from the sidecar,
saving by the import's rule into the memory, conflicts, escaping, rebuild options.

The browser tests (real Chromium) are in ``test_workbench_browser.py``."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import docx
import httpx
import pytest
from starlette.testclient import TestClient

from pipeline.engines.registry import EngineOptions
from pipeline.leaflet.options import LeafletOptions
from pipeline.memory import TranslationMemory
from pipeline.memory.drafts import engine_drafts
from pipeline.memory.store import MemoryKey
from pipeline.options import Batch, OutputMode, RunControl
from pipeline.review import import_review, segment_entry, sidecar_path, write_sidecar
from pipeline.review.files import write_review_files
from pipeline.review.sidecar import load_sidecar
from pipeline.run import run_batch
from pipeline.workbench.app import CSRF_HEADER, Workbench, create_app
from pipeline.workbench.approve import Approver
from pipeline.workbench.catalog import find_pairs, load_segments, read_report
from pipeline.workbench.markup import highlight
from pipeline.workbench.rebuild import Rebuilder, RebuildError, RebuildSettings, rebuild_options
from tests.conftest import ROOT, requires_apertium

TOKEN = "test-token-123"
XSS_SOURCE = 'Free them! <script>alert("x")</script> <img src=x onerror=alert(1)>'

SEGMENTS = [
    ("b0.s1", "Solidarity with the jailed miners of Casapalca",
     "Solidaridad con los mineros encarcelados de Casapalca", "machine",
     [{"term": "jailed miners", "expected": "mineros encarcelados", "note": ""}]),
    ("b1.s1", "The union stands with them.", "La unión está con ellos.", "machine",
     [{"term": "union", "expected": "sindicato", "note": "labour union; never «unión»"}]),
    ("b2.s1", XSS_SOURCE, 'Libérenlos! <script>alert("x")</script> <img src=x onerror=alert(1)>',
     "machine", []),
    ("b3.s1", "Solidarity with the <g1>miners</g1>.", "Solidaridad con los <g1>mineros</g1>.",
     "machine", []),
]  # fmt: skip


def make_output(out: Path, document: str = "peru") -> Path:
    entries = [
        segment_entry(i, s, t, "en", "es", block=n, origin=o, glossary=g)
        for n, (i, s, t, o, g) in enumerate(SEGMENTS)
    ]
    sidecar = write_sidecar(
        sidecar_path(out / document, document, "en", "es"),
        document=document,
        src="en",
        tgt="es",
        segments=entries,
        source_path=str(out / f"{document}.txt"),
        engine="apertium",
        model="apertium-eng-spa",
    )
    report = {
        "source": {"path": str(out.parent / f"{document}.txt"), "format": "txt"},
        "detected": {"language": "en"},
        "targets": {"es": {"engine": "apertium", "route": "rendered", "outputs": {}}},
    }
    (out / document / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return sidecar


@pytest.fixture
def memory(tmp_path: Path):
    with TranslationMemory(tmp_path / "memory.sqlite3") as real:
        yield real


@pytest.fixture
def bench(tmp_path: Path, memory: TranslationMemory) -> Workbench:
    out = tmp_path / "out"
    make_output(out)
    settings = RebuildSettings(out_dir=out, cache=memory.path)
    return Workbench(out, memory, "ana", TOKEN, Rebuilder(settings, tmp_path / "previews"))


@pytest.fixture
def client(bench: Workbench):
    with TestClient(create_app(bench), base_url="http://127.0.0.1:8765") as c:
        c.get(f"/?token={TOKEN}")  # sets the cookie
        yield c


def save(client: TestClient, bench: Workbench, segment: str, text: str, version: str, **extra):
    body = {"document": "peru", "pair": "en-es", "segment": segment, "target": text}
    body |= {"version": version, **extra}
    return client.post("/api/save", json=body, headers={CSRF_HEADER: bench.csrf})


def version(bench: Workbench, segment: str) -> str:
    ref = find_pairs(bench.out_dir)[0]
    _, views = load_segments(ref, bench.memory, alternatives=False)
    return next(v.version for v in views if v.id == segment)


def test_requests_without_the_token_get_403(bench: Workbench) -> None:
    with TestClient(create_app(bench), base_url="http://127.0.0.1:8765") as c:
        assert c.get("/").status_code == 403
        assert c.get("/doc/peru/en-es").status_code == 403
        assert c.get("/static/workbench.js").status_code == 403
        assert c.get("/?token=wrong").status_code == 403
        first = c.get(f"/?token={TOKEN}", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/"
        assert "httponly" in first.headers["set-cookie"].lower()
        assert c.get("/").status_code == 200  # the cookie from the tokened visit


def test_writes_need_the_csrf_token_and_this_origin(client: TestClient, bench: Workbench) -> None:
    body = {"document": "peru", "pair": "en-es", "segment": "b0.s1", "target": "x"}
    assert client.post("/api/save", json=body).status_code == 403
    assert client.post("/api/save", json=body, headers={CSRF_HEADER: "wrong"}).status_code == 403
    evil = {CSRF_HEADER: bench.csrf, "Origin": "http://evil.example"}
    assert client.post("/api/save", json=body, headers=evil).status_code == 403
    assert bench.memory.approved_entries() == []


def test_a_foreign_host_name_is_refused_on_loopback(bench: Workbench) -> None:
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends Host: evil.example."""
    with TestClient(create_app(bench), base_url="http://evil.example:8765") as c:
        assert c.get(f"/?token={TOKEN}").status_code == 403


def test_list_page_shows_pairs_with_progress(client: TestClient, bench: Workbench) -> None:
    page = client.get("/").text
    assert 'data-document="peru" data-pair="en-es"' in page
    assert "0 / 4" in page
    save(client, bench, "b0.s1", SEGMENTS[0][2], version(bench, "b0.s1"))
    assert "1 / 4" in client.get("/").text


def test_document_page_rows_carry_the_test_hooks(client: TestClient) -> None:
    page = client.get("/doc/peru/en-es")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    for segment_id, *_ in SEGMENTS:
        assert f'data-segment="{segment_id}"' in html
    assert html.count('<textarea name="target"') == len(SEGMENTS)
    assert html.count('data-action="approve"') == len(SEGMENTS)
    assert 'data-action="rebuild"' in html
    assert "Ctrl</kbd>+<kbd>Enter" in html  # the shortcuts are listed on the page
    assert "http://" not in html and "https://" not in html  # nothing from the network


def test_document_text_is_escaped(client: TestClient) -> None:
    html = client.get("/doc/peru/en-es").text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_glossary_terms_are_marked_with_their_required_translation() -> None:
    html = str(
        highlight("The Union and the union-hall <b>", [{"term": "union", "expected": "sindicato"}])
    )
    assert html.count('<mark class="term"') == 2  # case-insensitive, not inside "unions"
    assert 'data-expected="sindicato"' in html and "&lt;b&gt;" in html
    assert str(
        highlight("労働組合の声明", [{"term": "労働組合", "expected": "labour union"}])
    ).startswith("<mark")
    assert "<mark" not in str(highlight("unionist", [{"term": "union", "expected": "x"}]))
    kept = str(
        highlight(
            "read <x1/>alert(1)<x2/> and <g1>this</g1>", [], {"1": "<script>", "2": "</script>"}
        )
    )
    assert (
        '<span class="tag kept" title="&lt;x1/&gt;: kept as written">&lt;script&gt;</span>' in kept
    )
    assert '<span class="tag">&lt;g1&gt;</span>this' in kept and "<script>" not in kept


def test_save_approves_into_the_memory_with_reviewer_and_time(
    client: TestClient, bench: Workbench, memory: TranslationMemory
) -> None:
    response = save(client, bench, "b1.s1", "El sindicato está con ellos.", version(bench, "b1.s1"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "approved" and data["reviewer"] == "ana"
    [stored] = memory.approved_entries("en", "es")
    assert stored.entry.target == "El sindicato está con ellos."
    assert stored.entry.reviewer == "ana" and stored.entry.approved_at
    assert stored.origin == "workbench"
    html = client.get("/doc/peru/en-es").text
    assert (
        'data-segment="b1.s1" data-version="' + data["version"] + '" data-state="approved"' in html
    )


def test_reviewer_name_from_the_page(client: TestClient, bench: Workbench, memory) -> None:
    save(
        client, bench, "b1.s1", "El sindicato.", version(bench, "b1.s1"), reviewer="  Kenji  Sato "
    )
    assert memory.approved_entries()[0].entry.reviewer == "Kenji Sato"


def test_second_save_of_a_changed_segment_is_a_conflict(
    client: TestClient, bench: Workbench, memory: TranslationMemory
) -> None:
    loaded = version(bench, "b1.s1")  # both reviewers loaded the page here
    first = save(client, bench, "b1.s1", "El sindicato está con ellos.", loaded, reviewer="ana")
    assert first.status_code == 200
    second = save(client, bench, "b1.s1", "Nuestro sindicato los apoya.", loaded, reviewer="kenji")
    assert second.status_code == 409
    data = second.json()
    assert data["status"] == "conflict"
    assert data["target"] == "El sindicato está con ellos."  # theirs
    assert data["yours"] == "Nuestro sindicato los apoya."
    assert "ana" in data["reason"]
    [stored] = memory.approved_entries()
    assert (stored.entry.target, stored.entry.reviewer) == ("El sindicato está con ellos.", "ana")
    # Having seen the other text, the second reviewer may approve theirs deliberately.
    again = save(client, bench, "b1.s1", "Nuestro sindicato los apoya.", data["version"])
    assert again.status_code == 200
    assert memory.approved_entries()[0].entry.target == "Nuestro sindicato los apoya."


def test_the_import_rule_refuses_broken_tags_here_too(client: TestClient, bench: Workbench) -> None:
    response = save(
        client, bench, "b3.s1", "Solidaridad con los <g1>mineros.", version(bench, "b3.s1")
    )
    assert response.status_code == 422
    assert "not closed" in response.json()["reason"]
    empty = save(client, bench, "b0.s1", "   ", version(bench, "b0.s1"))
    assert empty.status_code == 422 and empty.json()["reason"] == "draft is empty"
    assert bench.memory.approved_entries() == []


def test_approving_an_approved_segment_again_changes_nothing(client: TestClient, bench) -> None:
    first = save(client, bench, "b0.s1", SEGMENTS[0][2], version(bench, "b0.s1")).json()
    again = save(client, bench, "b0.s1", SEGMENTS[0][2], first["version"]).json()
    assert again["status"] == "unchanged" and again["approved_at"] == first["approved_at"]


def test_workbench_and_review_import_agree(
    tmp_path: Path, client: TestClient, bench, memory
) -> None:
    """One memory, one rule: what the workbench approved, an import of the same correction
    finds already approved; what the import approved, the workbench shows approved."""
    sidecar = find_pairs(bench.out_dir)[0].sidecar
    files = write_review_files(load_sidecar(sidecar), ("docx",))
    save(client, bench, "b1.s1", "El sindicato está con ellos.", version(bench, "b1.s1"))
    review = docx.Document(str(files["docx"]))
    table = review.tables[0]  # row 0: the header; then one row per segment, as SEGMENTS
    table.rows[1].cells[2].text = "Solidaridad con los mineros encarcelados de Casapalca."
    table.rows[2].cells[2].text = "El sindicato está con ellos."  # as approved in the workbench
    review.save(str(files["docx"]))
    result = import_review(files["docx"], memory, "kenji")
    statuses = {c.segment: c.status for c in result.corrections}
    assert statuses == {"b1.s1": "unchanged", "b0.s1": "approved"}, result.as_json()
    html = client.get("/doc/peru/en-es").text
    for segment in ("b0.s1", "b1.s1"):
        assert (
            f'data-segment="{segment}" data-version="{version(bench, segment)}" data-state="approved"'
            in html
        )


def test_other_engines_drafts_and_memory_matches_are_alternatives(
    client: TestClient, bench: Workbench, memory: TranslationMemory
) -> None:
    key = MemoryKey("argos", "translate-en_es-1_9", "1.9", "en", "es", "")
    memory.put_cached(key, [("The union stands with them.", "El sindicato los respalda.")])
    memory.approve("en", "es", "The union stands with us.", "El sindicato nos respalda.", "ana")
    assert engine_drafts(memory, "en", "es", ["The union stands with them."])
    html = client.get("/doc/peru/en-es").text
    row = html.split('data-segment="b1.s1"')[1].split("</article>")[0]
    assert "El sindicato los respalda." in row and "argos" in row
    assert "El sindicato nos respalda." in row and "memory" in row
    assert 'data-action="use-alt" data-n="2"' in row
    assert "fuzzy 88%" in row  # the origin line names the close match and its score


def test_rebuild_options_follow_the_report(tmp_path: Path, bench: Workbench) -> None:
    folder = bench.out_dir / "peru"
    with pytest.raises(RebuildError, match="not there any more"):
        rebuild_options(folder, bench.rebuilder.settings)
    source = bench.out_dir.parent / "peru.txt"
    source.write_text("Solidarity with the jailed miners.\n", encoding="utf-8")
    batch = rebuild_options(folder, bench.rebuilder.settings)
    mode = batch.mode
    assert batch.paths == (source,) and mode.targets == ("es",) and mode.source_lang == "en"
    assert mode.engine.choice == "apertium" and mode.review
    assert batch.control.cache == bench.memory.path and batch.out_dir == bench.out_dir


def _serve(out: Path, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(tmp_path / "memory.sqlite3"))
    command = [sys.executable, "-m", "pipeline", "review", "serve", str(out), "--port", "0"]
    return subprocess.Popen(
        [*command, "--no-glossary", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_the_url_and_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    make_output(tmp_path / "out")
    process = _serve(tmp_path / "out", tmp_path)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url), url
        base = url.split("/?token=")[0]
        with httpx.Client(follow_redirects=True) as http:
            assert http.get(base + "/").status_code == 403
            assert http.get(url).status_code == 200  # redirected, with the cookie
            assert "peru" in http.get(base + "/").text
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in process.stderr.read()  # type: ignore[union-attr]


@pytest.mark.slow
def test_serve_warns_on_a_non_loopback_host(tmp_path: Path) -> None:
    make_output(tmp_path / "out")
    process = _serve(tmp_path / "out", tmp_path, "--host", "0.0.0.0")
    try:
        assert process.stdout is not None
        select.select([process.stdout], [], [], 60)
        assert process.stdout.readline().startswith("http://127.0.0.1:")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "warning: listening on 0.0.0.0" in process.stderr.read()  # type: ignore[union-attr]


def test_serve_usage_errors(cli, tmp_path: Path) -> None:
    missing = cli("review", "serve", str(tmp_path / "nowhere"), "--port", "0")
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = cli("review", "serve", str(tmp_path), "--port", "70000")
    assert bad.returncode == 2 and "--port" in bad.stderr


def test_rebuild_options_keep_leaflets_and_in_place_route(tmp_path: Path, bench: Workbench) -> None:
    folder = bench.out_dir / "peru"
    source = bench.out_dir.parent / "peru.docx"
    source.write_bytes(b"PK")  # only its presence matters here
    leaflet = str(folder / "peru.es.leaflet-a5.bw.bleed.pdf")
    report = {
        "source": {"path": str(source), "format": "docx"},
        "detected": {"language": "en"},
        "targets": {
            "es": {"engine": "apertium", "route": "in-place",
                   "outputs": {"docx": "x.docx", "leaflet-a5": leaflet}},
            "ja": {"engine": "argos", "route": "in-place", "outputs": {"docx": "y.docx"}},
        },
    }  # fmt: skip
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    mode = rebuild_options(folder, bench.rebuilder.settings).mode
    assert mode.leaflet == LeafletOptions("leaflet-a5", bw=True, bleed=True, two_up=False)
    assert mode.formats == ("docx",) and not mode.restyle
    assert mode.engine.choice == "auto"  # two engines in the report: choose per pair again


@pytest.mark.slow
@requires_apertium
def test_rebuild_of_a_word_file_keeps_it_in_place(tmp_path: Path) -> None:
    """A DOCX translated in place is rebuilt in place (letterhead kept) with the approved text."""
    from tests.fixtures.office import letterhead_docx

    source = letterhead_docx(tmp_path / "letter.docx")
    out, cache = tmp_path / "out", tmp_path / "memory.sqlite3"
    mode = OutputMode(
        targets=("es",), source_lang="en", formats=("docx",),
        engine=EngineOptions(choice="apertium"), review=True,
    )  # fmt: skip
    first = run_batch(Batch((source,), out, mode, RunControl(cache=cache)))
    assert first.exit_code == 0, first.failures
    folder = out / "letter"
    assert read_report(folder)["targets"]["es"]["route"] == "in-place"
    ref = find_pairs(out)[0]
    with TranslationMemory(cache) as memory:
        _, views = load_segments(ref, memory, alternatives=False)
        title = next(v for v in views if v.source == "Free the jailed leaders")
        saved = Approver(out, memory).save(
            "letter", "en-es", title.id, "Liberen a los dirigentes presos", title.version, "ana"
        )
        assert saved.status == "approved"
        rebuilder = Rebuilder(RebuildSettings(out_dir=out, cache=cache), tmp_path / "previews")
        assert rebuilder.start(folder)["state"] == "running"
        rebuilder.wait(timeout=300)
        status = rebuilder.status("letter")
    assert status["state"] == "done", status["message"]
    assert "letter.es.docx" in status["files"]
    rebuilt = docx.Document(str(folder / "letter.es.docx"))
    body = "\n".join(p.text for p in rebuilt.paragraphs)
    assert "Liberen a los dirigentes presos" in body
    header = "\n".join(p.text for s in rebuilt.sections for p in s.header.paragraphs)
    assert "Solidaridad" in header  # the letterhead, translated where it was
    assert rebuilt.sections[0].header.part.related_parts  # its logo still there
    assert read_report(folder)["targets"]["es"]["segments"]["approved"] == 1
