"""The writers' worker processes: they write, and they do not outlive a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

KILLED_RUN = """
import sys, time
from pathlib import Path
from pipeline.document import Block, Document, Span
from pipeline.export.pool import WriterPool
pool = WriterPool(2)
doc = Document(blocks=[Block("paragraph", [Span("The miners stand together.")])], lang="en")
pool.write("docx", doc, Path(sys.argv[1]), "en", "statement.txt")
print("written", flush=True)
time.sleep(600)
"""


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            children = [int(c) for c in task.read_text().split()]
            found.update(children)
            todo.extend(children)
    return found


def test_worker_processes_end_when_the_run_is_killed(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(tmp_path / "out.docx")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert run.stdout is not None and run.stdout.readline().strip() == "written"
    workers = _descendants(run.pid)
    assert workers  # the forkserver, its workers and their pandoc processes
    assert (tmp_path / "out.docx").stat().st_size > 0
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.2)
    alive = [p for p in workers if Path(f"/proc/{p}").exists()]
    for pid in alive:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []
