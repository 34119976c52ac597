"""The review workbench in a real browser: Debian's Chromium driven by Playwright.

One ``pipeline translate --review`` run (Apertium, en→es) of a statement with hostile markup,
one ``pipeline review serve --port 0`` subprocess for the module, a fresh browser context per
test. Each test works on its own segment, so their order does not matter, except the rebuild
test, which runs last and rewrites the outputs.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from pipeline.memory import TranslationMemory
from tests.conftest import DATA, ROOT, requires_apertium

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATEMENT = DATA / "workbench" / "casapalca-appeal.en.txt"
DOCUMENT = "casapalca-appeal.en"
PAGE = f"/doc/{DOCUMENT}/en-es"

pytestmark = [
    pytest.mark.slow,
    requires_apertium,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@dataclass
class Served:
    url: str  # with the token
    base: str  # without
    out: Path
    memory: Path
    env: dict[str, str]
    cwd: Path


def _env(base: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PIPELINE_CACHE"] = str(base / "memory.sqlite3")
    env["PIPELINE_MODELS_DIR"] = str(base / "ct2-models")
    return env


def _translate(
    served_dir: Path, env: dict[str, str], out: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pipeline", "translate", str(served_dir / STATEMENT.name)]
    command += ["--to", "es", "--engine", "apertium", "--review", "--out", str(out)]
    command += ["--glossary", str(ROOT / "glossary.yml"), *extra]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=served_dir, timeout=300
    )


def read_url(process: subprocess.Popen[str], seconds: float = 60.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, "the server printed no URL"
    return process.stdout.readline().strip()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("workbench")
    shutil.copy(STATEMENT, base / STATEMENT.name)
    env = _env(base)
    out = base / "out"
    done = _translate(base, env, out)
    assert done.returncode == 0, done.stderr
    command = [sys.executable, "-m", "pipeline", "review", "serve", str(out), "--port", "0"]
    command += ["--reviewer", "ana", "--glossary", str(ROOT / "glossary.yml")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=base
    )
    try:
        url = read_url(process)
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url, url
        yield Served(url, url.split("/?token=")[0], out, base / "memory.sqlite3", env, base)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, process.stderr.read() if process.stderr else code


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served: Served):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.goto(served.url)  # the tokened visit sets the cookie
    yield opened
    context.close()


def row(page, segment: str):
    return page.locator(f'article[data-segment="{segment}"]')


def approved(served: Served) -> dict[str, tuple[str, str]]:
    with TranslationMemory(served.memory, create=False) as memory:
        return {
            a.entry.source: (a.entry.target, a.entry.reviewer)
            for a in memory.approved_entries("en", "es")
        }


def sidecar_rows(served: Served) -> dict[str, dict[str, object]]:
    [path] = served.out.glob("*/review/*.segments.json")
    return {s["id"]: s for s in json.loads(path.read_text(encoding="utf-8"))["segments"]}


def test_without_the_token_the_browser_gets_403(browser, served: Served) -> None:
    context = browser.new_context()
    try:
        response = context.new_page().goto(served.base + "/")
        assert response is not None and response.status == 403
        response = context.new_page().goto(served.base + PAGE)
        assert response is not None and response.status == 403
    finally:
        context.close()


def test_list_page_lists_the_document_with_progress(page, served: Served) -> None:
    line = page.locator(f'tr[data-document="{DOCUMENT}"][data-pair="en-es"]')
    assert line.count() == 1
    assert "/ 6" in line.inner_text()
    line.locator("a").click()
    page.wait_for_url(f"**{PAGE}")


def test_document_page_has_a_row_per_segment(page, served: Served) -> None:
    page.goto(served.base + PAGE)
    ids = page.locator("article.seg").evaluate_all("rows => rows.map(r => r.dataset.segment)")
    assert ids == list(sidecar_rows(served))  # the ids of report.json and the review XLIFF
    xliff = next(served.out.glob("*/review/*.xlf")).read_text(encoding="utf-8")
    assert all(f'id="{i}"' in xliff for i in ids)
    report = json.loads((served.out / DOCUMENT / "report.json").read_text(encoding="utf-8"))
    flagged = {q["segment"] for q in report["targets"]["es"]["qa"]}
    assert flagged and flagged <= set(ids)  # report.json's QA names rows of the page
    for segment in flagged:
        assert row(page, segment).locator(".findings li").count() >= 1
    first = row(page, "b0.s1")
    assert first.locator('textarea[name="target"]').input_value().startswith("Solidaridad")
    assert first.locator("mark.term").first.get_attribute("data-expected")  # glossary marked
    finding = row(page, "b2.s1")
    assert "prosecutors" in finding.locator(".findings").inner_text()
    page.locator("#only-findings").check()
    visible = page.locator("article.seg:visible").evaluate_all("r => r.map(x => x.dataset.segment)")
    assert set(visible) == {"b2.s1", "b3.s1"}


def test_edit_and_approve_stores_in_the_memory(page, served: Served) -> None:
    page.goto(served.base + PAGE)
    target = row(page, "b0.s1")
    target.locator('textarea[name="target"]').fill(
        "Solidaridad con los mineros presos de Casapalca"
    )
    target.locator('[data-action="approve"]').click()
    page.wait_for_selector('article[data-segment="b0.s1"][data-state="approved"]')
    source = sidecar_rows(served)["b0.s1"]["source"]
    assert approved(served)[str(source)] == (
        "Solidaridad con los mineros presos de Casapalca",
        "ana",
    )
    page.reload()  # the page shows what the memory holds
    assert row(page, "b0.s1").get_attribute("data-state") == "approved"


def test_conflict_between_two_reviewers_loses_nothing(browser, served: Served) -> None:
    pages = []
    contexts = [browser.new_context(), browser.new_context()]
    try:
        for context in contexts:
            opened = context.new_page()
            opened.goto(served.url)
            opened.goto(served.base + PAGE)
            pages.append(opened)
        first, second = (row(p, "b4.s1") for p in pages)
        first.locator('textarea[name="target"]').fill(
            "Pedimos a cada sindicato una carta de solidaridad."
        )
        first.locator('[data-action="approve"]').click()
        pages[0].wait_for_selector('article[data-segment="b4.s1"][data-state="approved"]')
        mine = "Llamamos a cada sindicato a enviar una carta de solidaridad a los mineros."
        second.locator('textarea[name="target"]').fill(mine)
        second.locator('[data-action="approve"]').click()
        pages[1].wait_for_selector('article[data-segment="b4.s1"][data-state="conflict"]')
        assert (
            second.locator(".conflict .theirs").inner_text()
            == "Pedimos a cada sindicato una carta de solidaridad."
        )
        assert second.locator(".conflict .yours").inner_text() == mine
        assert second.locator('textarea[name="target"]').input_value() == mine  # not lost
        source = str(sidecar_rows(served)["b4.s1"]["source"])
        assert approved(served)[source][0] == "Pedimos a cada sindicato una carta de solidaridad."
    finally:
        for context in contexts:
            context.close()


def test_hostile_markup_is_shown_as_text(page, served: Served) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(served.base + PAGE)
    hostile = row(page, "b3.s1")
    shown = hostile.locator(".source-text").inner_text()  # markup kept as written: tags
    assert '<script>alert("xss")</script>' in shown
    assert "<img src=x onerror=alert(1)>" in shown
    area = hostile.locator('textarea[name="target"]')
    assert "<x3/>" in area.input_value()  # the draft keeps the markers to put back
    typed = area.input_value() + " <img src=y onerror=alert(2)><script>alert(3)</script>"
    area.fill(typed)
    assert page.locator("article.seg img, article.seg script").count() == 0
    hostile.locator('[data-action="approve"]').click()  # and through the JSON round trip
    page.wait_for_selector('article[data-segment="b3.s1"][data-state="approved"]')
    page.reload()
    assert row(page, "b3.s1").locator('textarea[name="target"]').input_value() == typed
    page.locator('[data-action="use-alt"]').first.wait_for()
    assert page.locator("article.seg img, article.seg script").count() == 0
    page.wait_for_timeout(200)
    assert dialogs == []


def test_keyboard_moves_and_approves(page, served: Served) -> None:
    page.goto(served.base + PAGE)
    row(page, "b4.s1").locator('textarea[name="target"]').click()
    page.keyboard.press("Alt+ArrowDown")
    focused = page.evaluate("document.activeElement.closest('article').dataset.segment")
    assert focused == "b5.s1"
    page.keyboard.press("Alt+c")  # copy the source
    area = row(page, "b5.s1").locator('textarea[name="target"]')
    assert area.input_value() == "Free the union leaders of Casapalca!"
    page.keyboard.press("Control+a")
    page.keyboard.type("¡Liberen a los dirigentes sindicales de Casapalca!")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector('article[data-segment="b5.s1"][data-state="approved"]')
    assert approved(served)["Free the union leaders of Casapalca!"][0] == (
        "¡Liberen a los dirigentes sindicales de Casapalca!"
    )
    page.reload()  # now the run's draft is alternative 1 of the approved row
    area = row(page, "b5.s1").locator('textarea[name="target"]')
    area.click()
    page.keyboard.press("Alt+1")
    assert area.input_value() == sidecar_rows(served)["b5.s1"]["target"]
    shortcuts = page.locator("p.keys").inner_text().replace(" ", "")
    assert all(k in shortcuts for k in ("Ctrl+Enter", "Alt+↓", "Alt+C", "Alt+1…9"))


def test_screenshot_of_the_document_page(page, served: Served, tmp_path: Path) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(served.base + PAGE)
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(served.base + "/") for url in requested), requested
    row(page, "b2.s1").locator('textarea[name="target"]').click()
    shot = Path(os.environ.get("WORKBENCH_SCREENSHOT", tmp_path / "workbench.png"))
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    layout = page.evaluate(
        """() => { const r = document.querySelector('article[data-segment="b2.s1"]');
        const s = r.querySelector('.src').getBoundingClientRect();
        const t = r.querySelector('textarea').getBoundingClientRect();
        return [s.left, s.right, t.left, s.top, t.top]; }"""
    )
    source_left, source_right, target_left, source_top, target_top = layout
    assert source_right <= target_left and abs(source_top - target_top) < 40  # side by side


def test_translate_after_approving_reports_the_approved_segments(
    page, served: Served, tmp_path: Path
) -> None:
    page.goto(served.base + PAGE)
    for segment in ("b2.s1", "b3.s1", "b4.s1"):  # approved here, whatever ran before
        row(page, segment).locator('[data-action="approve"]').click()
        page.wait_for_selector(f'article[data-segment="{segment}"][data-state="approved"]')
    count = len(approved(served))
    assert count >= 3
    again = _translate(served.cwd, served.env, tmp_path / "again", "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads((tmp_path / "again" / DOCUMENT / "report.json").read_text(encoding="utf-8"))
    assert report["targets"]["es"]["segments"]["approved"] == count


def test_rebuild_writes_the_approved_text_into_the_docx(page, served: Served) -> None:
    page.goto(served.base + PAGE)
    text = "Tres dirigentes del sindicato de la mina Casapalca están presos desde septiembre."
    target = row(page, "b1.s1")
    target.locator('textarea[name="target"]').fill(text)
    target.locator('[data-action="approve"]').click()
    page.wait_for_selector('article[data-segment="b1.s1"][data-state="approved"]')
    page.locator('[data-action="rebuild"]').click()
    page.wait_for_selector('#rebuild-panel[data-state="done"]', timeout=120_000)
    links = page.locator("#rebuild-files a").evaluate_all("a => a.map(x => x.textContent)")
    assert f"{DOCUMENT}.es.docx" in links and f"{DOCUMENT}.es.pdf" in links
    rebuilt = docx.Document(str(served.out / DOCUMENT / f"{DOCUMENT}.es.docx"))
    assert text in "\n".join(p.text for p in rebuilt.paragraphs)
    image = page.locator("#rebuild-previews img").first
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    with page.expect_download() as download:
        page.locator(f'#rebuild-files a:text-is("{DOCUMENT}.es.docx")').click()
    assert download.value.suggested_filename == f"{DOCUMENT}.es.docx"
    report = json.loads((served.out / DOCUMENT / "report.json").read_text(encoding="utf-8"))
    assert report["targets"]["es"]["segments"]["approved"] == len(approved(served))
    assert sidecar_rows(served)["b1.s1"]["origin"] == "approved"
