"""Batches at scale: documents/s and peak RSS as the batch grows, for Apertium and Argos.

Generates English statements from the UDHR in ``../shared/corpora/udhr`` (a title and eight
article paragraphs each, every paragraph made unique so the memory cannot share work between
documents), and runs ``python -m pipeline translate DIR --to es --formats docx,pdf --jobs 2``
as a separate process per point, with the shipped glossary and a fresh translation memory:

* documents/s and peak RSS (the process's ``ru_maxrss``; "all MB": the summed PSS of the
  process and its writer processes, sampled every 50 ms) at each size, per engine
  (Apertium; the Argos-sized int8 identity model of benchmarks/argos_speed.py);
* the unchanged re-run (same command again) as a fraction of the first run;
* the export share of a run (``--json`` ``seconds.write`` over the run's wall time);
* Apertium: the run against the bare ``apertium en-es`` process on the same text, and the
  translate stage alone (memory, glossary, the engine with each segment on its own, guard:
  ``--json`` ``seconds.translate``) against it;
* Argos: the run against ``argostranslate.translate`` (per document, as its users call it,
  with an offline sentence splitter) on the same input, both as fresh processes;
* ``--wave-tokens 0`` (every document in one engine call, as before) against the default
  waves: throughput and peak RSS.

    /work/main/.venv/bin/python benchmarks/scale.py [--sizes 1,10,50,200] [--engines apertium,argos]
        [--repeat N]  # the fastest of N first runs and of N bare apertium runs per point

Prints "skipped" when ../shared (or $PIPELINE_SHARED) is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))  # ../shared
UDHR_EN = SHARED / "corpora" / "udhr" / "eng.txt"
PARAGRAPHS = 8


def udhr_lines() -> list[str]:
    lines = [" ".join(line.split()) for line in UDHR_EN.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if len(line) > 60]


def write_statements(folder: Path, count: int) -> list[str]:
    """``count`` statements in ``folder``; returns their plain texts."""
    folder.mkdir(parents=True)
    lines = udhr_lines()
    texts = []
    for n in range(count):
        paragraphs = [
            f"Point {n + 1}.{k + 1}: {lines[(n * 3 + k) % len(lines)]}" for k in range(PARAGRAPHS)
        ]
        text = f"Statement {n + 1} of the committee\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"statement-{n + 1:03d}.txt").write_text(text, encoding="utf-8")
        texts.append(text)
    return texts


@dataclass
class Run:
    seconds: float
    rss_mb: float  # peak RSS of the process itself (ru_maxrss)
    output: str
    tree_mb: float = 0.0  # peak PSS of the process and all its descendants (writer processes)
    cpu: float = 0.0  # user + system CPU seconds of the process and the children it waited for


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").glob("*/children"))
        except OSError:
            continue  # the process ended while it was being looked at
        for task in tasks:
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree every 50 ms (shared pages counted once)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _descendants(self.pid)))


def run_process(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> Run:
    """Run a process to its end: wall time, its peak RSS, stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            args, env=env, cwd=REPO, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.PIPE
        )
        assert proc.stdin is not None and proc.stderr is not None
        sampler = TreeSampler(proc.pid)
        sampler.start()
        if stdin is not None:
            proc.stdin.write(stdin)
        proc.stdin.close()
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{args[:4]} failed ({proc.returncode}): {err.decode()[-800:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 1024, output, sampler.peak_kb / 1024, cpu)


def pipeline_args(docs: Path, out: Path, cache: Path, engine: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline", "translate", str(docs), "--to", "es",
        "--engine", engine, "--formats", "docx,pdf", "--jobs", "2", "--out", str(out),
        "--cache", str(cache), "--glossary", str(REPO / "glossary.yml"), "--json", *extra,
    ]  # fmt: skip


ARGOSTRANSLATE = r"""
import re, sys
from pathlib import Path
import argostranslate.translate as t
class Splitter:
    def __init__(self, pkg): pass
    def split_sentences(self, text):
        return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
t.MiniSBDSentencizer = Splitter
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    for para in path.read_text().split("\n\n"):
        if para.strip():
            t.translate(para, "en", "es")
"""


def libretranslate_point(segments: int = 240) -> None:
    """Seconds for ``segments`` segments against the test server with 2 workers (each batch
    of 12 takes 12 × 20 ms), by how many batches are in flight."""
    sys.path.insert(0, str(REPO))
    from pipeline.engines.libretranslate import LibreTranslateEngine
    from tests.fixtures.libretranslate_server import FakeLibreTranslate

    texts = [
        f"Point {n}: everyone has the right to life, liberty and security." for n in range(segments)
    ]
    timings = {}
    for concurrency in (1, 2, 4):
        with FakeLibreTranslate(workers=2, seconds_per_segment=0.02) as server:
            engine = LibreTranslateEngine(server.url, max_segments=12, concurrency=concurrency)
            engine.languages()
            started = time.perf_counter()
            engine.translate(texts, "en", "es")
            timings[concurrency] = time.perf_counter() - started
    print(
        f"\nlibretranslate ({segments} segments, batches of 12, test server with 2 workers): "
        + ", ".join(f"{c} in flight {t:.2f} s ({timings[1] / t:.2f}×)" for c, t in timings.items())
    )


def main() -> int:
    if "--cluster" in sys.argv[1:]:  # the Dask figures: benchmarks/cluster.py
        import runpy

        runpy.run_path(str(Path(__file__).with_name("cluster.py")), run_name="__main__")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,10,50,200", help="batch sizes (documents)")
    parser.add_argument("--engines", default="libretranslate,apertium,argos")
    parser.add_argument("--waves", default="100", help="sizes also run with --wave-tokens 0")
    parser.add_argument("--argostranslate", type=int, default=1, help="documents for (a)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="first runs (each with a fresh memory and output folder) and bare apertium runs "
        "per point; the fastest of each is shown, so other jobs on the machine count less",
    )
    args = parser.parse_args()
    if not UDHR_EN.is_file():
        print(f"skipped: shared material missing under {SHARED}")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    wave_sizes = [int(s) for s in args.waves.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    env = dict(os.environ, PYTHONPATH=str(REPO), ARGOS_PACKAGES_DIR=str(work / "packages"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as users run it: compiled modules are kept
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}"
    )
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"statements: a title and {PARAGRAPHS} UDHR paragraphs each (en→es, DOCX+PDF, --jobs 2)")
    sys.path.insert(0, str(REPO))
    from pipeline.engines.apertium import MODES

    engines = [e for e in args.engines.split(",") if e != "libretranslate"]
    if "libretranslate" in args.engines.split(","):
        libretranslate_point()
    if "argos" in engines:
        # Built in a process of its own: the builder's numpy arrays (GBs) would otherwise be
        # part of every process forked from this one, and of its peak RSS.
        build = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
            "from pipeline.engines import argos_packages; from tests.fixtures import argos_models as fx;"
            "argos_packages.install_file(fx.build_package('en', 'es', Path(sys.argv[2]), fx.ARGOS))"
        )
        subprocess.run([sys.executable, "-c", build, str(REPO), str(work)], env=env, check=True)
        beam = os.environ.get("ARGOS_BEAM_SIZE", "4")
        print(f"model: Argos-sized identity model (6+6 layers, d512, int8), en→es, beam {beam}")

    # One unmeasured run first: the fresh PYTHONPYCACHEPREFIX would otherwise make the first
    # measured point compile the standard library and every dependency, which a user's runs
    # (modules compiled once, kept) never do.
    warm = work / "warm-up"
    write_statements(warm / "docs", 1)
    run_process(pipeline_args(warm / "docs", warm / "out", warm / "m.sqlite3", "apertium"), env)
    shutil.rmtree(warm)

    for engine in engines:
        print(f"\n{engine}")
        print(
            f"{'docs':>5} {'segments':>8} {'seconds':>8} {'docs/s':>7} {'RSS MB':>7} "
            f"{'all MB':>7} {'export':>7} {'re-run':>7}  baseline"
        )
        for size in sizes:
            point = work / f"{engine}-{size}"
            texts = write_statements(point / "docs", size)
            cmd = pipeline_args(point / "docs", point / "out", point / "memory.sqlite3", engine)
            tries = []
            for n in range(max(1, args.repeat)):
                if n:  # a fresh memory and output folder: a first run again
                    shutil.rmtree(point / "out")
                    for stale in point.glob("memory.sqlite3*"):
                        stale.unlink()
                tries.append(run_process(cmd, env))
            first = min(tries, key=lambda r: r.seconds)
            info = json.loads(first.output)
            assert not info["failed"], info["failed"]
            segments = sum(
                json.loads(Path(r).read_text())["targets"]["es"]["segments"]["total"]
                for r in info["documents"]
            )
            again = run_process(cmd, env)
            assert len(json.loads(again.output)["unchanged"]) == size
            export = info["seconds"]["write"] / first.seconds
            baseline = ""
            if engine == "apertium":
                plain = "\n\n".join(texts).encode("utf-8")
                bare = min(
                    (
                        run_process(["apertium", "-u", MODES[("en", "es")]], env, stdin=plain)
                        for _ in range(max(1, args.repeat))
                    ),
                    key=lambda r: r.seconds,
                )
                assert len(bare.output) > len(plain) // 2, "apertium gave no translation"
                translate = info["seconds"]["translate"]
                baseline = (
                    f"{first.seconds / bare.seconds:.1f}× bare apertium ({bare.seconds:.2f} s); "
                    f"translate stage {translate:.2f} s = {translate / bare.seconds:.1f}×"
                )
            elif size == args.argostranslate:
                a = run_process(
                    [sys.executable, "-c", ARGOSTRANSLATE, str(point / "docs")],
                    dict(env, ARGOS_CHUNK_TYPE="ARGOSTRANSLATE"),
                )
                baseline = (
                    f"argostranslate.translate {a.seconds:.1f} s: the pipeline is "
                    f"{a.seconds / first.seconds:.1f}× faster"
                )
            print(
                f"{size:>5} {segments:>8} {first.seconds:>8.1f} {size / first.seconds:>7.2f} "
                f"{first.rss_mb:>7.0f} {first.tree_mb:>7.0f} {export:>7.0%} "
                f"{again.seconds / first.seconds:>7.1%}  "
                f"{baseline}"
            )
            if size in wave_sizes:
                one = run_process(
                    pipeline_args(
                        point / "docs",
                        point / "out-one",
                        point / "one.sqlite3",
                        engine,
                        "--wave-tokens",
                        "0",
                    ),  # fmt: skip
                    env,
                )
                print(
                    f"      --wave-tokens 0 (one engine call): {one.seconds:.1f} s, "
                    f"{one.rss_mb:.0f} MB ({one.tree_mb:.0f} MB all processes); waves take "
                    f"{first.seconds / one.seconds:.2f}× its time with "
                    f"{first.rss_mb / one.rss_mb:.2f}× its peak RSS"
                )
            shutil.rmtree(point)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
