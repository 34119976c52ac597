"""Batches on Dask: documents/s with ``--cluster local:N`` for 1, 2 and 4 workers against a
local run of the same command, and the overhead per document.

UDHR statements (``benchmarks/scale.py``'s, a title and eight paragraphs each), Apertium
en→es, DOCX and PDF (``--formats``), ``--jobs 2``, a fresh memory per run, each run a fresh
process. On the cluster each document is read and its files made on a worker; the command's
machine plans, runs the translate stage (its engine batches on the workers too) and writes the
files it gets back; the local run's stage seconds (``--json`` ``seconds``) show the split. For each
point a scheduler and N worker processes are started once on 127.0.0.1 (as ``dask scheduler``
and ``dask worker`` would be) and the command runs with ``--cluster tcp://…``; each point is
first run with one document ("1 doc s": the command's start and the first engine load on each
worker, cold), then with all of them on the warm workers:

    overhead per document = (wall on the cluster − wall of the local run) / documents

``--cluster local:N`` adds the start and stop of its N worker processes to every run: measured
once (``local:2`` with one document against the local run with one).

This machine has 2 cores (shared with other developers' jobs: the load average is printed),
so more than 2 workers cannot be faster here; the figures are for the overhead, not for
scaling. ``python benchmarks/scale.py --cluster [--docs 40]`` runs this script.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.scale import SHARED, UDHR_EN, run_process, write_statements  # noqa: E402

RUN = {"formats": "docx,pdf"}  # --formats of every run (set once by main)


def _args(docs: Path, out: Path, cache: Path, cluster: str | None) -> list[str]:
    return [
        sys.executable, "-m", "pipeline", "translate", str(docs), "--to", "es",
        "--engine", "apertium", "--formats", RUN["formats"], "--jobs", "2", "--out", str(out),
        "--cache", str(cache), "--glossary", str(REPO / "glossary.yml"), "--json",
        *(["--cluster", cluster] if cluster else []),
    ]  # fmt: skip


STAGES: dict[str, dict[str, float]] = {}  # per run: the --json stage seconds
CPU: dict[str, float] = {}  # per run: the command's CPU seconds (its own, its writers')


def _wall(work: Path, docs: Path, cluster: str | None, env: dict[str, str], tag: str) -> float:
    out, cache = work / f"out-{tag}", work / f"memory-{tag}.sqlite3"
    run = run_process(_args(docs, out, cache, cluster), env)
    report = json.loads(run.output)
    if report["failed"] or len(report["documents"]) != len(list(docs.iterdir())):
        raise SystemExit(f"{tag}: not every document was written: {report['failed']}")
    STAGES[tag] = report.get("seconds", {})
    CPU[tag] = run.cpu
    return run.seconds


def _point(
    work: Path, docs: tuple[Path, Path], workers: int, env: dict[str, str]
) -> tuple[float, float]:
    """Wall times for the many and the one document on a fresh cluster of ``workers``."""
    import distributed

    with distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        scheduler_port=0, dashboard_address=None, silence_logs=logging.CRITICAL,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    ) as cluster:  # fmt: skip
        address = cluster.scheduler_address
        fixed = _wall(work, docs[1], address, env, f"w{workers}-one")
        wall = _wall(work, docs[0], address, env, f"w{workers}")
    return wall, fixed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cluster", action="store_true", help="(how scale.py hands over)")
    parser.add_argument("--docs", type=int, default=40, help="documents per run")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--formats", default=RUN["formats"], help="--formats of every run")
    parser.add_argument(
        "--inputs", choices=("txt", "docx"), default="txt",
        help="docx: the statements as Word files (translated in place, PDF by LibreOffice)",
    )  # fmt: skip
    args = parser.parse_args()
    RUN["formats"] = args.formats
    if not UDHR_EN.is_file():
        print(f"skipped: shared material missing under {SHARED}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # the outputs are not kept
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    many, one = work / "many", work / "one"
    write_statements(many, args.docs)
    write_statements(one, 1)
    if args.inputs == "docx":
        _as_docx(many)
        _as_docx(one)
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (they bound any speed-up), "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (shared machine)"
    )
    print(
        f"{args.docs} UDHR statements ({args.inputs}), Apertium en→es, "
        f"--formats {args.formats}, --jobs 2"
    )
    print(
        f"{'run':<10} {'wall s':>8} {'1 doc s':>8} {'docs/s':>7} {'s/doc':>7} {'overhead/doc':>13}"
    )
    fixed = _wall(work, one, None, env, "local-one")
    wall = _wall(work, many, None, env, "local")
    base = _row("local run", wall, fixed, args.docs, None)
    for n in [int(w) for w in args.workers.split(",")]:
        wall, fixed_n = _point(work, (many, one), n, env)
        _row(f"{n} worker{'s' if n > 1 else ''}", wall, fixed_n, args.docs, base)
    for tag in ("local", *(f"w{n}" for n in args.workers.split(","))):
        stages = ", ".join(f"{k} {v:.1f}" for k, v in STAGES.get(tag, {}).items())
        print(f"stage seconds ({tag}, --json; on a cluster: waiting for the workers): {stages}")
        cpu = CPU.get(tag, 0.0) - CPU.get(f"{tag}-one", 0.0)
        print(
            f"  the command's CPU ({tag}): {CPU.get(tag, 0.0):.1f} s, "
            f"{cpu / (args.docs - 1):.3f} s per document beyond the first (its start, imports)"
        )
    started = _wall(work, one, "local:2", env, "local2-one")
    print(f"--cluster local:2 starts and stops its workers in {started - fixed:+.1f} s per run")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


def _as_docx(folder: Path) -> None:
    """Each statement as a Word file (title and paragraphs), the text file removed."""
    from docx import Document

    for text in sorted(folder.glob("*.txt")):
        title, *paragraphs = text.read_text(encoding="utf-8").strip().split("\n\n")
        document = Document()
        document.add_heading(title, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        document.save(str(text.with_suffix(".docx")))
        text.unlink()


def _row(name: str, wall: float, fixed: float, docs: int, base: float | None) -> float:
    overhead = f"{(wall - base) / docs:+.3f} s" if base is not None else "-"
    print(f"{name:<10} {wall:8.1f} {fixed:8.1f} {docs / wall:7.2f} {wall / docs:7.3f} {overhead:>13}",
          flush=True)  # fmt: skip
    return wall


if __name__ == "__main__":
    raise SystemExit(main())
