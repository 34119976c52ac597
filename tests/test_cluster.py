"""``pipeline translate --cluster``: a real Dask scheduler and two worker processes on
127.0.0.1 (ports chosen by the OS), started and always shut down by these tests."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from pipeline.cluster import INSTALL_HINT, translate_chunk
from pipeline.engines.base import EngineError, Route
from pipeline.engines.registry import EngineOptions
from pipeline.ingest.limits import reads_beside
from tests.conftest import ROOT, SAMPLE, requires_apertium

distributed = pytest.importorskip("distributed")

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)  # one pixel

ARGS = ("--to", "es", "--engine", "apertium", "--formats", "docx", "--no-glossary")


def _statements(folder: Path, n: int, repeat: int = 1) -> Path:
    """``n`` different English statements (the sample, numbered), ``repeat`` times as long."""
    folder.mkdir(parents=True)
    text = SAMPLE.read_text(encoding="utf-8")
    for i in range(n):
        body = "\n\n".join(text.replace("miners", f"miners of site {i}-{r}") for r in range(repeat))
        (folder / f"statement{i}.txt").write_text(body, encoding="utf-8")
    return folder


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["PIPELINE_MODELS_DIR"] = str(tmp_path / "ct2-models")  # none installed
    return env


@contextmanager
def _dask(
    tmp_path: Path,
    workers: int = 2,
    worker_env: dict[str, str] | None = None,
    worker_args: tuple[str, ...] = ("--no-nanny",),
    env_extra: dict[str, str] | None = None,
    tls: list[str] | None = None,
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes (by default no nanny: a
    killed one stays dead), all shut down afterwards; yields the scheduler's address and the
    workers."""
    env = {**_env(tmp_path), **(env_extra or {})}
    file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("wb")
    python = [sys.executable, "-m"]
    procs = [
        subprocess.Popen(
            [
                *python,
                "distributed.cli.dask_scheduler",
                "--host",
                "tls://127.0.0.1" if tls else "127.0.0.1",
                *(tls or []),
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(file),
            ],
            env=env,
            stdout=log,
            stderr=log,
        )  # fmt: skip
    ]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(file.read_text())["address"]
        started = [
            subprocess.Popen(
                [
                    *python,
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    *worker_args,
                    *(["--protocol", "tls", *tls] if tls else []),
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                env={**env, **(worker_env or {})},
                stdout=log,
                stderr=log,
            )  # fmt: skip
            for _ in range(workers)
        ]
        procs += started
        security = None
        if tls:
            security = distributed.security.Security(
                tls_ca_file=tls[1], tls_client_cert=tls[3], tls_client_key=tls[5]
            )
        with distributed.Client(address, timeout=30, security=security) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, started
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A real scheduler and two worker processes on 127.0.0.1."""
    with _dask(tmp_path) as started:
        yield started


def _translate(
    tmp_path: Path,
    docs: Path,
    out: str,
    *extra: str,
    args: tuple[str, ...] = ARGS,
    env_extra: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    env = {**_env(tmp_path), **(env_extra or {})}
    env["PIPELINE_CACHE"] = str(tmp_path / f"{out}.sqlite3")
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "translate", str(docs), *args,
         "--out", str(tmp_path / out), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip


def _finished(proc: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=timeout)
    return proc.returncode, stderr


def _docx_texts(out: Path) -> dict[str, list[str]]:
    return {
        p.parent.name: [para.text for para in Document(str(p)).paragraphs]
        for p in sorted(out.glob("*/*.es.docx"))
    }


def _counts(out: Path) -> dict[str, Any]:
    """What report.json counts per document: segments, QA findings, untranslated words."""
    found = {}
    for report in sorted(out.glob("*/report.json")):
        target = json.loads(report.read_text())["targets"]["es"]
        found[report.parent.name] = {
            k: target[k]
            for k in ("engine", "model", "segments", "qa", "untranslated_words", "degenerate")
        }
    return found


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def _memory_rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        return sum(db.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables)


@pytest.mark.slow
@requires_apertium
def test_cluster_outputs_equal_a_local_run(tmp_path: Path, scheduler: Any) -> None:
    address, _ = scheduler
    docs = _statements(tmp_path / "docs", 2)
    letter = Document()  # a Word file, translated in place on a worker from its bytes
    letter.sections[0].header.paragraphs[0].text = "Solidarity committee \u2014 Lima office"
    letter.add_paragraph("The miners of Casapalca were jailed for organising a union.")
    letter.add_paragraph("We demand their release and the end of the persecution.")
    letter.save(str(docs / "letter.docx"))
    (docs / "photo.png").write_bytes(PNG)  # beside a Markdown file: read on this machine
    (docs / "march.md").write_text(
        "# The miners march\n\n![The miners of Casapalca](photo.png)\n\n"
        "The miners of Casapalca marched to Lima.\n",
        encoding="utf-8",
    )
    glossary = tmp_path / "glossary.yml"  # sent to the workers with the run's mode
    glossary.write_text(
        "version: 1\nterms:\n  - keep: [JRCL]\n  - en: union leaders\n"
        "    es: dirigentes sindicales\n    ja: 組合指導者\n",
        encoding="utf-8",
    )
    args = (*ARGS[:-1], "--glossary", str(glossary), "--formats", "docx,pdf")
    local = _finished(_translate(tmp_path, docs, "local", args=args))
    on_cluster = _finished(_translate(tmp_path, docs, "cluster", "--cluster", address, args=args))
    assert local[0] == on_cluster[0] == 0, on_cluster[1]
    texts = _docx_texts(tmp_path / "cluster")
    assert len(texts) == 4 and all(any("minero" in t for t in v) for v in texts.values())
    assert texts == _docx_texts(tmp_path / "local")
    with zipfile.ZipFile(tmp_path / "cluster/march/march.es.docx") as package:
        assert any(name.startswith("word/media/") for name in package.namelist())  # the photo
    assert any("dirigentes sindicales" in t for t in texts["statement0"])  # the glossary's form
    assert _counts(tmp_path / "cluster") == _counts(tmp_path / "local")
    for name in ("letter", "statement0"):  # the PDFs made on the workers, written here
        pdf = f"{name}/{name}.es.pdf"
        assert _pdf_text(tmp_path / "cluster" / pdf) == _pdf_text(tmp_path / "local" / pdf)
    header = Document(str(tmp_path / "cluster/letter/letter.es.docx")).sections[0].header
    assert "Lima" in header.paragraphs[0].text  # the source's package, kept in place
    report = json.loads((tmp_path / "cluster/letter/report.json").read_text())
    assert report["source"]["path"] == str(docs / "letter.docx")
    assert set(report["targets"]["es"]["outputs"].values()) == {
        str(tmp_path / "cluster/letter/letter.es.docx"),
        str(tmp_path / "cluster/letter/letter.es.pdf"),
    }
    # the new drafts came back into this machine's memory, as many as in the local run
    assert _memory_rows(tmp_path / "cluster.sqlite3") == _memory_rows(tmp_path / "local.sqlite3")


@pytest.mark.slow
@requires_apertium
def test_a_worker_killed_mid_run_leaves_nothing_missing(tmp_path: Path, scheduler: Any) -> None:
    address, workers = scheduler
    docs = _statements(tmp_path / "docs", 6, repeat=3)
    run = _translate(tmp_path, docs, "cluster", "--cluster", address)
    killed = None
    with distributed.Client(address, timeout=30) as client:
        pids = client.run(os.getpid)  # worker address → process id
        deadline = time.monotonic() + 300
        while killed is None and run.poll() is None and time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                pid = pids[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed = pid
            time.sleep(0.05)
        code, stderr = _finished(run)
        assert killed is not None, "no task was seen running"
        assert len(client.scheduler_info()["workers"]) == 1  # one of the two is dead
    assert code == 0, stderr
    assert sorted(p.parent.name for p in (tmp_path / "cluster").glob("*/*.es.docx")) == [
        f"statement{i}" for i in range(6)
    ]
    assert len(list((tmp_path / "cluster").glob("*/report.json"))) == 6


@pytest.mark.slow
@requires_apertium
def test_ctrl_c_cancels_the_clusters_tasks(tmp_path: Path, scheduler: Any) -> None:
    address, _ = scheduler
    docs = _statements(tmp_path / "docs", 6, repeat=4)
    run = _translate(tmp_path, docs, "cluster", "--cluster", address)
    with distributed.Client(address, timeout=30) as client:
        deadline = time.monotonic() + 300
        while not any(client.processing().values()):
            assert run.poll() is None and time.monotonic() < deadline, "no task was seen"
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        code, stderr = _finished(run, 120)
        assert code != 0 and "interrupted" in stderr and "Traceback" not in stderr
        deadline = time.monotonic() + 20
        while any(client.processing().values()) or client.who_has():
            assert time.monotonic() < deadline, "tasks left on the cluster"
            time.sleep(0.1)


@pytest.mark.slow
@requires_apertium
def test_local_cluster_of_two_workers(tmp_path: Path) -> None:
    docs = _statements(tmp_path / "docs", 2)
    local = _finished(_translate(tmp_path, docs, "local"))
    on_cluster = _finished(_translate(tmp_path, docs, "cluster", "--cluster", "local:2"))
    assert local[0] == on_cluster[0] == 0, on_cluster[1]
    assert _docx_texts(tmp_path / "cluster") == _docx_texts(tmp_path / "local")
    assert len(_docx_texts(tmp_path / "cluster")) == 2


def _with_a_poisoned_document(
    tmp_path: Path, text: str, scheduler_config: dict[str, str]
) -> tuple[int, str, list[str], list[str]]:
    """Three statements and ``poison.txt`` (``text``) through nannied workers whose preload
    (tests/dask_kill_preload.py) dies on it: the exit code, stderr, its lines, and the
    documents whose DOCX was written."""
    docs = _statements(tmp_path / "docs", 3)
    (docs / "poison.txt").write_text(text, encoding="utf-8")
    preload = str(ROOT / "tests" / "dask_kill_preload.py")
    nannies = ("--nanny", "--preload", preload)  # a killed worker is started again
    with _dask(tmp_path, worker_args=nannies, env_extra=scheduler_config) as (address, _):
        code, stderr = _finished(_translate(tmp_path, docs, "cluster", "--cluster", address))
    lines = [line for line in stderr.splitlines() if line.strip()]
    written = sorted(p.parent.name for p in (tmp_path / "cluster").glob("*/*.es.docx"))
    return code, stderr, lines, written


@pytest.mark.slow
@requires_apertium
def test_a_document_that_kills_its_workers_fails_alone(tmp_path: Path) -> None:
    scheduler_config = {  # a task that killed 2 workers is KilledWorker; one task per thread
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    }
    code, stderr, lines, written = _with_a_poisoned_document(  # its reader kills the worker
        tmp_path, "KILL-THIS-WORKER\n\nThe miners were jailed.\n", scheduler_config
    )
    assert code == 1 and "Traceback" not in stderr, stderr
    assert len(lines) == 1 and "poison.txt" in lines[0], stderr
    assert "killed Dask workers repeatedly while reading it" in lines[0]
    assert written == [f"statement{i}" for i in range(3)]
    assert not (tmp_path / "cluster" / "poison").exists()


@pytest.mark.slow
@requires_apertium
def test_a_document_whose_segments_kill_the_engine_fails_alone(tmp_path: Path) -> None:
    code, stderr, lines, written = _with_a_poisoned_document(  # translating it kills the worker
        tmp_path,
        "The miners were jailed.\n\nPOISON-SEGMENT breaks it.\n",
        {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"},
    )
    assert code == 1 and "Traceback" not in stderr, stderr
    assert len(lines) == 1 and "poison" in lines[0], stderr
    assert "killed Dask workers repeatedly" in lines[0]
    assert written == [f"statement{i}" for i in range(3)]


@pytest.mark.slow
@requires_apertium
def test_a_tls_cluster_with_the_clients_certificates_from_dasks_config(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    made = distributed.security.Security.temporary()  # one self-signed pair for every role
    (tmp_path / "cert.pem").write_text(made.tls_ca_file)
    (tmp_path / "key.pem").write_text(made.tls_client_key)
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    tls = ["--tls-ca-file", cert, "--tls-cert", cert, "--tls-key", key]
    docs = _statements(tmp_path / "docs", 2)
    with _dask(tmp_path, workers=1, tls=tls) as (address, _):
        assert address.startswith("tls://")
        plain = _finished(_translate(tmp_path, docs, "plain", "--cluster", address), 120)
        config = {
            "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": cert,
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": cert,
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": key,
            "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
        }
        code, stderr = _finished(
            _translate(tmp_path, docs, "cluster", "--cluster", address, env_extra=config)
        )
    assert code == 0, stderr
    assert len(_docx_texts(tmp_path / "cluster")) == 2
    assert plain[0] == 1 and "Traceback" not in plain[1]  # no certificate: refused in one line
    lines = [line for line in plain[1].splitlines() if line.strip()]
    assert len(lines) == 1 and f"cannot connect to the Dask scheduler at {address}" in lines[0]


@pytest.mark.slow
def test_an_unreachable_scheduler_fails_in_one_line_within_a_minute(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    docs = _statements(tmp_path / "docs", 1)
    started = time.monotonic()
    code, stderr = _finished(
        _translate(tmp_path, docs, "cluster", "--cluster", f"tcp://127.0.0.1:{port}"), 90
    )
    assert time.monotonic() - started < 60
    assert code == 1
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert (
        len(lines) == 1 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in lines[0]
    )
    assert not (tmp_path / "cluster").exists() or not list((tmp_path / "cluster").rglob("*.docx"))


def test_without_dask_cluster_says_how_to_install_it(tmp_path: Path) -> None:
    docs = _statements(tmp_path / "docs", 1)
    code = (
        "import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from pipeline.cli import main\n"
        f"sys.argv = ['pipeline', 'translate', {str(docs)!r}, '--no-glossary', "
        f"'--out', {str(tmp_path / 'out')!r}, '--cluster', 'local:2']\n"
        "sys.exit(main())\n"
    )
    env = _env(tmp_path)
    env["PIPELINE_CACHE"] = str(tmp_path / "memory.sqlite3")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and INSTALL_HINT in lines[0], done.stderr


def test_bad_cluster_address_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    docs = _statements(tmp_path / "docs", 1)
    done = cli("translate", str(docs), "--no-glossary", "--out", str(tmp_path / "o"),
               "--cluster", "127.0.0.1:8786")  # fmt: skip
    assert done.returncode == 2
    assert "tcp://HOST:PORT" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
@requires_apertium
def test_a_worker_without_the_engine_is_named_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()  # the worker's PATH: no apertium there
    docs = _statements(tmp_path / "docs", 2)
    with _dask(tmp_path, workers=1, worker_env={"PATH": str(tmp_path / "bin")}) as (address, _):
        code, stderr = _finished(_translate(tmp_path, docs, "cluster", "--cluster", address))
    assert code == 1 and "Traceback" not in stderr
    assert "cannot translate en→es: the plan needs apertium model apertium-eng-spa" in stderr
    assert "the worker has nothing" in stderr and "Dask worker tcp://127.0.0.1:" in stderr


def test_documents_with_pictures_beside_them_are_read_where_the_folder_is() -> None:
    assert reads_beside(Path("march.md")) and reads_beside(Path("page.HTML"))
    assert not reads_beside(Path("letter.docx")) and not reads_beside(Path("s.txt"))


@requires_apertium
def test_a_worker_without_the_plans_model_is_named() -> None:
    wanted = Route(engine="apertium", model="apertium-eng-spa", version="9.9-not-here")
    with pytest.raises(EngineError) as raised:
        translate_chunk(
            EngineOptions(choice="apertium"), "apertium", ["Hello."], "en", "es", wanted
        )
    line = str(raised.value)
    assert "apertium model apertium-eng-spa 9.9-not-here" in line and "\n" not in line
    assert "en→es" in line
