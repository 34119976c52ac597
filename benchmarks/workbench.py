"""How responsive the review workbench is on a 400-segment document, in a real browser.

Writes a 400-sentence statement (sentences of the UDHR in ../shared, each made distinct),
translates it with Apertium (en→es, ``--review``, the repository's glossary), starts
``pipeline review serve --port 0`` and drives Debian's Chromium with Playwright:

* page load: ``page.goto`` of the document page until the ``load`` event (HTML, CSS, JS, all
  400 rows with their glossary marks, QA findings and alternatives), against the first page
  (the document list) loaded the same way;
* approve round trip: edit a row, click Approve, until the row says ``data-state="approved"``
  (measured inside the page: fetch, the server's version check, the import rule, the SQLite
  write, the DOM update), against a bare ``fetch`` of a static file from the same page.

Targets from issue 22: page load under 1 s, approve round trip under 200 ms.

    python benchmarks/workbench.py [--segments 400] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UDHR = ROOT.parent / "shared" / "corpora" / "udhr" / "eng.txt"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

APPROVE_JS = """async ([segment, text]) => {
  const row = document.querySelector(`article[data-segment="${segment}"]`);
  const area = row.querySelector('textarea[name="target"]');
  area.value = text;
  const started = performance.now();
  const done = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (row.dataset.state === "approved") { watch.disconnect(); resolve(); }
    });
    watch.observe(row, { attributes: true, attributeFilter: ["data-state"] });
  });
  row.querySelector('[data-action="approve"]').click();
  await done;
  return performance.now() - started;
}"""

FETCH_JS = """async () => {
  const started = performance.now();
  const response = await fetch("/static/workbench.css", { cache: "no-store" });
  await response.text();
  return performance.now() - started;
}"""


def statement(segments: int) -> str:
    """``segments`` distinct sentences, one paragraph of five sentences each."""
    text = UDHR.read_text(encoding="utf-8") if UDHR.exists() else ""
    sentences = [s.strip() for s in re.split(r"(?<=[.;])\s+", text) if len(s.split()) > 5]
    if not sentences:
        sentences = ["The union calls on every worker to defend the jailed miners."]
    lines = []
    for i in range(segments):
        base = sentences[i % len(sentences)].rstrip(".;,")
        lines.append(f"In point {i + 1}, {base[0].lower()}{base[1:]}.")
    paragraphs = [" ".join(lines[i : i + 5]) for i in range(0, len(lines), 5)]
    return "Statement on the rights of all\n\n" + "\n\n".join(paragraphs) + "\n"


def serve(out: Path, env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "pipeline", "review", "serve", str(out), "--port", "0",
               "--reviewer", "bench", "--glossary", str(ROOT / "glossary.yml")]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=cwd)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    if not ready:
        process.kill()
        raise SystemExit("the workbench printed no URL")
    return process, process.stdout.readline().strip()


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} ms (min {min(values):.1f}, max {max(values):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="workbench-bench-") as tmp:
        base = Path(tmp)
        source = base / "rights.en.txt"
        source.write_text(statement(args.segments), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(base / "memory.sqlite3"))
        out = base / "out"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pipeline", "translate", str(source), "--to", "es",
             "--engine", "apertium", "--review", "--formats", "docx", "--out", str(out),
             "--glossary", str(ROOT / "glossary.yml")],  # fmt: skip
            check=True, env=env, cwd=base, capture_output=True,
        )  # fmt: skip
        print(f"translated {args.segments} sentences in {time.perf_counter() - started:.1f} s")
        process, url = serve(out, env, base)
        try:
            root = url.split("/?token=")[0]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                document = root + "/doc/rights.en/en-es"
                rows = 0
                loads, lists = [], []
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    page.goto(root + "/", wait_until="load")
                    lists.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    page.goto(document, wait_until="load")
                    loads.append((time.perf_counter() - t0) * 1000)
                    rows = page.locator("article.seg").count()
                ids = page.locator("article.seg").evaluate_all("r => r.map(x => x.dataset.segment)")
                trips, fetches = [], []
                for n in range(args.rounds):
                    segment = ids[(n * 17) % len(ids)]
                    trips.append(
                        page.evaluate(APPROVE_JS, [segment, f"Texto aprobado número {n}."])
                    )
                    fetches.append(page.evaluate(FETCH_JS))
                browser.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    print(f"document page: {rows} rows")
    print(f"page load, document ({rows} rows): {median_ms(loads)}   target < 1000 ms")
    print(f"page load, document list (baseline): {median_ms(lists)}")
    print(f"  ratio: {statistics.median(loads) / statistics.median(lists):.1f}x the list page")
    print(f"approve round trip: {median_ms(trips)}   target < 200 ms")
    print(f"static fetch (baseline): {median_ms(fetches)}")
    print(f"  ratio: {statistics.median(trips) / statistics.median(fetches):.1f}x a static fetch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
