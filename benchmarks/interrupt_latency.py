"""How fast Ctrl-C stops `pipeline translate`, against the time one document takes.

Writes 12 short statements to a temporary folder, runs `python -m pipeline translate` with
Apertium (en→es, DOCX + PDF), sends SIGINT as soon as the first PDF exists (to the process alone,
and to its whole process group as a terminal does) and measures how long the run takes to exit.
The baseline, measured in the same process, is an uninterrupted run's time per document: the
ratio says how many documents' worth of time an interrupt costs.

    python benchmarks/interrupt_latency.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = 12


def _sources(folder: Path) -> Path:
    src = folder / "src"
    src.mkdir(parents=True)
    for i in range(DOCS):
        (src / f"doc{i:02}.txt").write_text(
            f"Statement {i}\n\nThe union calls a general strike on Monday.\n\n"
            "The miners defend their jobs against the company.\n",
            encoding="utf-8",
        )
    return src


def _run(folder: Path, interrupt: str | None) -> tuple[float, int]:
    """(seconds from SIGINT to exit, or the whole run's seconds; exit code)."""
    out = folder / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(folder / "memory.sqlite3"))
    args = [sys.executable, "-m", "pipeline", "translate", str(folder / "src"), "--to", "es",
            "--engine", "apertium", "--no-glossary", "--force", "--out", str(out)]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=interrupt == "group",
    )
    if interrupt is None:
        code = proc.wait()
        return time.perf_counter() - started, code
    while not list(out.glob("*/*.pdf")) and proc.poll() is None:
        time.sleep(0.01)
    sent = time.perf_counter()
    if interrupt == "group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGINT)
    code = proc.wait()
    return time.perf_counter() - sent, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    if shutil.which("apertium") is None:
        raise SystemExit("apertium is not installed; this benchmark needs it")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _sources(folder)
        _run(folder, None)  # warm the page cache and the memory
        whole = min(_run(folder, None)[0] for _ in range(rounds))
        per_doc = whole / DOCS
        print(f"uninterrupted: {whole:.2f} s for {DOCS} documents, {per_doc:.2f} s per document")
        for mode in ("process", "group"):
            results = [_run(folder, mode) for _ in range(rounds)]
            worst = max(s for s, _ in results)
            codes = sorted({c for _, c in results})
            print(
                f"SIGINT to the {mode}: exit {codes} after {worst:.2f} s at worst "
                f"({worst / per_doc:.2f}× one document's time)"
            )


if __name__ == "__main__":
    main()
