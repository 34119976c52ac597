"""Issue 20's batch: placeholder debris in every output, unsure detections shown, exit codes.

Run from the repository root::

    python -m benchmarks.nothing_silent [--keep DIR]

Builds a mixed batch in a temporary folder: the shared sample (``../shared/samples``, skipped
with a line when absent), ``source_docs/`` (a DOCX, Markdown, Japanese text), the team's
Spanish and Japanese Casapalca statements, 4 DOCX statements from
``benchmarks/make_fidelity_docx.py`` (headers, footers, text boxes, footnotes) and their ODT
conversions by LibreOffice, a Markdown statement with code, a bilingual en/es bulletin (an
unsure document) and an English statement signed with Spanish place names (unsure blocks).
Translates it with ``pipeline translate --skip-unavailable --review`` (the engines installed:
Apertium en↔es without models) and counts:

* placeholder debris (``ZXQ…``, ``<extra…>``, marker-like tags not in the source) in the text
  of every output: DOCX/ODT XML text, PDF text (pdftotext), XLIFF, review DOCX, sidecars;
* unsure detections in the report.json files against the warnings on stderr;
* blocking findings and what they held back; the exit code.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared from the project root (a git worktree one folder deeper: its parent's)
SHARED = next(
    (
        p / "shared" / "samples"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared").is_dir()
    ),
    ROOT.parent / "shared" / "samples",
)
# The review DOCX and XLIFF show the valid markers (<g1>…</g1>, <x1/>) to translators on
# purpose; debris is anything else shaped like a placeholder.
DEBRIS = re.compile(
    r"(?i)ZXQ\w*|(?:<|&lt;)\s*/?\s*(?:extra|ex|bx|ph|bpt|ept)\s*\d+\s*/?\s*(?:>|&gt;)"
    r"|(?:<|&lt;)\s*/?\s*[gx]\s+\d+\s*/?\s*(?:>|&gt;)"
)
CODE_MD = """# Build the leaflet yourself

The union's site explains how to convert a statement with `pandoc -o output.html input.txt`
and how to check the page with `<head>` and `<body>` tags before printing.

```sh
pandoc -o output.html input.txt
```

Write to prensa@example.org or follow @fsm_peru for news of the strike at Casapalca.
The miners demand the release of their leaders and an end to the repression.
"""


def _batch(folder: Path) -> None:
    folder.mkdir(parents=True)
    if (SHARED / "peru-miners-solidarity.en.txt").is_file():
        shutil.copy(SHARED / "peru-miners-solidarity.en.txt", folder)
    else:
        print(f"{SHARED}: not found; the shared sample is left out", file=sys.stderr)
    for path in (ROOT / "source_docs").iterdir():
        shutil.copy(path, folder)
    for lang in ("es", "ja"):
        shutil.copy(ROOT / "tests" / "data" / f"casapalca-miners.{lang}.txt", folder)
    from benchmarks.make_fidelity_docx import build

    docx = build(folder / "word", 4)
    if shutil.which("soffice"):
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "odt", "--outdir", str(folder / "odt"),
             *map(str, docx[:2])],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
    (folder / "code.md").write_text(CODE_MD, encoding="utf-8")
    en = (ROOT / "tests" / "data" / "casapalca-miners.en.txt").read_text("utf-8").split("\n\n")
    es = (ROOT / "tests" / "data" / "casapalca-miners.es.txt").read_text("utf-8").split("\n\n")
    (folder / "bulletin.txt").write_text("\n\n".join(en[:3] + es[:3]) + "\n", encoding="utf-8")
    signed = [
        *en[:6],
        "Saturday, Plaza Dos de Mayo",
        "Mina Casapalca, Huarochirí",
        "Lucha de clases",
    ]
    (folder / "signed.txt").write_text("\n\n".join(signed) + "\n", encoding="utf-8")


def _texts(out: Path) -> dict[Path, str]:
    found: dict[Path, str] = {}
    for path in out.rglob("*"):
        if not path.is_file() or path.name == "report.json":
            continue
        if path.suffix in (".docx", ".odt"):
            with zipfile.ZipFile(path) as z:
                found[path] = " ".join(
                    re.sub(r"<[^>]+>", "", z.read(n).decode("utf-8", "replace"))
                    for n in z.namelist()
                    if n.endswith(".xml")
                )
        elif path.suffix == ".pdf":
            found[path] = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=False
            ).stdout
        elif path.suffix in (".xlf", ".json", ".tmx", ".txt"):
            found[path] = path.read_text("utf-8", "replace")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build and keep the batch here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="nothing-silent-"))
    batch, out = work / "batch", work / "out"
    shutil.rmtree(batch, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    _batch(batch)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "translate", str(batch), "--out", str(out),
         "--skip-unavailable", "--review", "--cache", str(work / "memory.sqlite3")],
        capture_output=True, text=True, cwd=ROOT, timeout=3600, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    sources = {json.loads(r.read_text("utf-8"))["source"]["path"] for r in out.rglob("report.json")}
    debris = {p: DEBRIS.findall(t) for p, t in _texts(out).items()}
    debris = {p: d for p, d in debris.items() if d}
    unsure, shown = 0, 0
    blocking = held = 0
    for report_path in out.rglob("report.json"):
        report = json.loads(report_path.read_text("utf-8"))
        path = report["source"]["path"]
        warnings = [w for w in done.stderr.splitlines() if w.startswith(f"warning: {path}: ")]
        if report["detected"]["warning"]:
            unsure += 1
            shown += any("language detection is unsure" in w for w in warnings)
        for target in report["targets"].values():
            blocks = [b for b in target["foreign_blocks"] if "unsure" in b["action"]]
            blocking += len(target.get("blocking", []))
            held += bool(target.get("held_back"))
        if any(
            "unsure" in b["action"] for t in report["targets"].values() for b in t["foreign_blocks"]
        ):
            unsure += 1
            shown += any("unsure language" in w for w in warnings)
        del blocks
    print(f"documents: {len(sources)}; exit code {done.returncode}; {seconds:.1f} s")
    print(f"placeholder debris in outputs: {sum(map(len, debris.values()))} in {len(debris)} files")
    for path, pieces in debris.items():
        print(f"  {path}: {pieces[:5]}")
    print(f"unsure detections (documents, documents with unsure blocks): {unsure}; shown: {shown}")
    print(f"blocking findings: {blocking}; targets with outputs held back: {held}")
    lines = [line for line in done.stderr.splitlines() if "not available" in line]
    print(f"missing pairs, one line each: {len(lines)}")
    return 0 if not debris and unsure == shown else 1


if __name__ == "__main__":
    sys.exit(main())
