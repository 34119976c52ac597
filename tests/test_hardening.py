"""Nothing lost, nothing crashes: hostile and broken input through the CLI (issue 11).

Every input is generated here, at test time. Each test asserts the exact line the user gets, the
exit code, and that the other documents of the batch were written. Real engines (Apertium, a
LibreTranslate-compatible server on 127.0.0.1), real files, real subprocesses.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from tests.conftest import ROOT, requires_apertium
from tests.fixtures import argos_models as fx
from tests.fixtures.libretranslate_server import FakeLibreTranslate

OK_TEXT = "Workers of the world\n\nThe union calls a general strike on Monday.\n"
APERTIUM = ["--engine", "apertium", "--formats", "docx", "--no-glossary"]


def _write(path: Path, text: str = OK_TEXT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def _docx_text(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.text]


# --- 1. one document's failure is that document's line ----------------------------------------


@requires_apertium
def test_long_title_is_shortened_for_the_docx_property(cli, tmp_path: Path) -> None:
    title = " ".join(["Solidarity with the striking miners of Casapalca"] * 7)  # ~350 chars
    assert len(title) > 255
    src = tmp_path / "src"
    _write(src / "long.txt", f"{title}\n\nThe union calls a general strike on Monday.\n")
    _write(src / "ok.txt")
    proc = cli("translate", str(src), "--to", "es,en", *APERTIUM, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for lang in ("es", "en"):
        props = docx.Document(str(tmp_path / f"out/long/long.{lang}.docx")).core_properties
        assert 200 < len(props.title) <= 255 and props.title.endswith("…")
    assert _docx_text(tmp_path / "out/long/long.en.docx")[0] == title  # the text is whole
    assert (tmp_path / "out/ok/report.json").is_file()


def test_unexpected_error_in_one_document_is_its_line(tmp_path: Path, monkeypatch) -> None:
    """A writer failing in a way nobody foresaw (here: a RuntimeError from the DOCX writer for
    one document) fails that document's target; the other documents and reports are written."""
    from pipeline.engines.registry import EngineSet
    from pipeline.export import writers
    from pipeline.run import run_batch
    from tests.fixtures.engines import BracketEngine
    from tests.fixtures.stages import batch

    src = tmp_path / "src"
    _write(src / "bad.txt")
    _write(src / "good.txt")
    real = writers.WRITERS["docx"]

    def flaky(doc, path, lang, title):  # noqa: ANN001, ANN202
        if title == "bad.txt":
            raise RuntimeError("writer exploded\nwith two lines")
        return real(doc, path, lang, title)

    monkeypatch.setitem(writers.WRITERS, "docx", flaky)
    options = batch(paths=[src], targets=["en"], formats=["docx"], out_dir=tmp_path / "out")
    result = run_batch(options, engines=EngineSet.with_engines("test", {"test": BracketEngine()}))
    assert [(f.path, f.reason) for f in result.failures] == [
        (
            str(src / "bad.txt"),
            "en: unexpected error while writing (RuntimeError: writer exploded with two lines); "
            "run with --debug for details",
        )
    ]
    assert sorted(p.parent.name for p in result.reports) == ["bad", "good"]
    report = json.loads((tmp_path / "out/bad/report.json").read_text())
    assert report["targets"]["en"]["error"].startswith("unexpected error while writing")
    assert (tmp_path / "out/good/good.en.docx").is_file()


def test_last_resort_guard_one_line_and_debug_traceback(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import pipeline.run
    from pipeline.cli import main

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyError("no such thing")

    monkeypatch.setattr(pipeline.run, "run_batch", boom)
    _write(tmp_path / "a.txt")
    args = ["translate", str(tmp_path / "a.txt"), "--no-glossary", "--cache", str(tmp_path / "m")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "pipeline: unexpected error (KeyError: 'no such thing'); run with --debug for details"
    ]
    assert main([*args, "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "raise KeyError" in err
    assert err.strip().splitlines()[-1].startswith("pipeline: unexpected error (KeyError")


# --- 2. hostile review files and servers -------------------------------------------------------


@requires_apertium
def test_review_import_xliff_with_external_entity(cli, tmp_path: Path) -> None:
    _write(tmp_path / "s.txt")
    out = tmp_path / "out"
    proc = cli(
        "translate", str(tmp_path / "s.txt"), "--to", "es", *APERTIUM, "--review", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    xlf = (out / "s/review/s.en-es.xlf").read_text(encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xlf = xlf.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE xliff [<!ENTITY ext SYSTEM "file://{secret}">]>\n',
    )
    first = xlf.index("<target")
    end = xlf.index("</target>", first)
    xlf = xlf[: xlf.index(">", first) + 1] + "Trabajadores &ext; del mundo" + xlf[end:]
    returned = tmp_path / "returned.xlf"
    returned.write_text(xlf, encoding="utf-8")
    proc = cli("review", "import", str(returned), "--against", str(out), "--reviewer", "Ana")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "TypeError" not in proc.stderr
    assert _stderr_lines(proc) == [
        f"pipeline: {returned}: b0.s1: refused: an XML entity reference (&ext;) is in the "
        "unit; review files take plain text: type the characters themselves"
    ]
    assert "TOP SECRET" not in proc.stdout + proc.stderr


def test_libretranslate_languages_with_unexpected_types(cli, tmp_path: Path) -> None:
    _write(tmp_path / "src/a.txt")
    _write(tmp_path / "src/b.txt")
    with FakeLibreTranslate() as server:
        server.languages_answer = [
            {"code": "en", "name": "English", "targets": [["es"], {"ja": 1}]},
            {"code": "es", "name": "Spanish", "targets": ["en"]},
        ]
        proc = cli(
            "translate", str(tmp_path / "src"), "--to", "es,en", "--engine", "libretranslate",
            "--url", server.url, "--formats", "docx", "--no-glossary",
            "--out", str(tmp_path / "out"),
        )  # fmt: skip
        url = server.url
    assert proc.returncode == 1
    assert "TypeError" not in proc.stderr and "Traceback" not in proc.stderr
    why = (
        f"es: {url} does not look like a LibreTranslate server (GET /languages: the targets of "
        "'en' are not a list of language codes)"
    )
    paths = ", ".join(str(tmp_path / "src" / n) for n in ("a.txt", "b.txt"))
    assert _stderr_lines(proc) == [f"{why} (2 documents: {paths})"]  # one line for both
    for name in ("a", "b"):  # the English (identity) outputs and the reports are written
        assert (tmp_path / f"out/{name}/{name}.en.docx").is_file()
        assert (tmp_path / f"out/{name}/report.json").is_file()


# --- 3. downloads stop at the announced size ----------------------------------------------------


class _Flood:
    """An Argos index on 127.0.0.1 announcing a small package and then sending far more."""

    ANNOUNCED = 2400
    SENT = 64 * 1024 * 1024

    def __init__(self) -> None:
        self.bytes_sent = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/index.json":
                    body = json.dumps([outer.entry]).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.end_headers()  # no Content-Length: the size is the index's word only
                chunk = b"\0" * 65536
                try:
                    while outer.bytes_sent < outer.SENT:
                        self.wfile.write(chunk)
                        outer.bytes_sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.entry = {
            **fx.metadata("en", "es"),
            "links": [self.url + "translate-en_es-1_0.argosmodel"],
            "size": self.ANNOUNCED,
        }
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def flood() -> Iterator[_Flood]:
    server = _Flood()
    yield server
    server.close()


def test_model_download_stops_past_the_announced_size(cli, tmp_path: Path, flood: _Flood) -> None:
    packages = tmp_path / "packages"
    env = {"ARGOS_PACKAGE_INDEX": flood.url, "ARGOS_PACKAGES_DIR": str(packages)}
    proc = cli("models", "install", "en", "es", env=env)
    assert proc.returncode == 1
    assert _stderr_lines(proc) == [
        "pipeline: translate-en_es-1_0.argosmodel: the server sent more than the 2400 bytes the "
        "index announces; download stopped, nothing was installed"
    ]
    time.sleep(0.5)
    assert flood.bytes_sent < 16 * 1024 * 1024  # socket buffers, not the 64 MB on offer
    assert not [p for p in packages.rglob("*") if p.is_file()] if packages.exists() else True


def test_model_index_larger_than_any_index_is_refused(cli, tmp_path: Path, flood: _Flood) -> None:
    env = {"ARGOS_PACKAGE_INDEX": flood.url + "huge.json", "ARGOS_PACKAGES_DIR": str(tmp_path)}
    proc = cli("models", "install", "en", "es", env=env)
    assert proc.returncode == 1
    assert _stderr_lines(proc) == [
        f"pipeline: the Argos package index {flood.url}huge.json sent more than 16 MB: not an index"
    ]
    time.sleep(0.5)
    assert flood.bytes_sent < 40 * 1024 * 1024


# --- 4. no silent data loss -------------------------------------------------------------------


@requires_apertium
def test_same_named_files_in_two_folders_get_two_outputs(cli, tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src / "a/statement.txt", "The union calls a strike.\n")
    _write(src / "b/statement.txt", "The miners defend their jobs.\n")
    _write(src / "top.txt")
    out = tmp_path / "out"
    proc = cli("translate", str(src), "--to", "es", *APERTIUM, "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    documents = json.loads(proc.stdout)["documents"]
    assert documents == [
        str(out / "a--statement/report.json"),
        str(out / "b--statement/report.json"),
        str(out / "top/report.json"),
    ]
    assert _docx_text(out / "a--statement/a--statement.es.docx") != _docx_text(
        out / "b--statement/b--statement.es.docx"
    )
    for name, source in (("a--statement", "a/statement.txt"), ("b--statement", "b/statement.txt")):
        report = json.loads((out / name / "report.json").read_text())
        assert report["source"]["path"] == str(src / source)


@requires_apertium
def test_truncated_memory_is_refused_not_replaced(cli, tmp_path: Path) -> None:
    _write(tmp_path / "s.txt")
    memory = tmp_path / "memory.sqlite3"
    memory.write_bytes(b"")
    proc = cli("translate", str(tmp_path / "s.txt"), "--to", "es", *APERTIUM,
               "--out", str(tmp_path / "out"), "--cache", str(memory))  # fmt: skip
    assert proc.returncode == 1
    assert _stderr_lines(proc) == [
        f"pipeline: translation memory {memory}: is empty (0 bytes): the file was truncated or "
        "damaged and holds none of its approved translations; restore it from a backup, or "
        "delete it to start a new, empty memory"
    ]
    assert memory.stat().st_size == 0  # left as it was
    # A memory cut short (its header announces more pages than the file holds).
    whole = tmp_path / "whole.sqlite3"
    conn = sqlite3.connect(whole)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 50)
    conn.commit()
    conn.close()
    cut = tmp_path / "cut.sqlite3"
    cut.write_bytes(whole.read_bytes()[:8192])
    proc = cli("tm", "stats", "--cache", str(cut))
    assert proc.returncode == 1
    assert _stderr_lines(proc)[0].startswith(f"pipeline: translation memory {cut}: is truncated (")
    # A new memory is created only where no file exists.
    fresh = tmp_path / "new" / "memory.sqlite3"
    proc = cli("translate", str(tmp_path / "s.txt"), "--to", "es", *APERTIUM,
               "--out", str(tmp_path / "out"), "--cache", str(fresh))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert fresh.stat().st_size > 0


def _edit_first_target(xlf: str, text: str) -> str:
    first = xlf.index("<target")
    end = xlf.index("</target>", first)
    return xlf[: xlf.index(">", first) + 1] + text + xlf[end:]


@requires_apertium
def test_review_import_refuses_overwriting_a_newer_approval(cli, tmp_path: Path) -> None:
    _write(tmp_path / "s.txt")
    out = tmp_path / "out"
    proc = cli(
        "translate", str(tmp_path / "s.txt"), "--to", "es", *APERTIUM, "--review", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    exported = (out / "s/review/s.en-es.xlf").read_text(encoding="utf-8")
    old, new = tmp_path / "old.xlf", tmp_path / "new.xlf"
    old.write_text(_edit_first_target(exported, "Trabajadores del mundo (antigua)"), "utf-8")
    new.write_text(_edit_first_target(exported, "Trabajadores del mundo (nueva)"), "utf-8")
    time.sleep(1.1)  # approvals are stored to the second
    proc = cli("review", "import", str(new), "--against", str(out), "--reviewer", "Kenji")
    assert proc.returncode == 0, proc.stderr
    proc = cli("review", "import", str(old), "--against", str(out), "--reviewer", "Ana")
    assert proc.returncode == 1
    lines = _stderr_lines(proc)
    assert len(lines) == 1
    assert lines[0].startswith(f"pipeline: {old}: b0.s1: refused: approved again by Kenji at ")
    assert lines[0].endswith(
        "the newer approval is kept (use --overwrite-newer to replace it with this file's)"
    )
    dry = cli("review", "import", str(old), "--against", str(out), "--dry-run")
    assert dry.returncode == 1 and _stderr_lines(dry) == lines
    proc = cli("translate", str(tmp_path / "s.txt"), "--to", "es", *APERTIUM, "--out", str(out))
    assert _docx_text(out / "s/s.es.docx")[0] == "Trabajadores del mundo (nueva)"
    proc = cli("review", "import", str(old), "--against", str(out), "--reviewer", "Ana",
               "--overwrite-newer")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "s b0.s1: approved (edited) by Ana" in proc.stdout


def _tmx(units: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<tu><tuv xml:lang="en"><seg>{en}</seg></tuv><tuv xml:lang="es"><seg>{es}</seg></tuv></tu>'
        for en, es in units
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header creationtool="OmegaT" '
        'creationtoolversion="6" datatype="plaintext" segtype="sentence" adminlang="en" '
        f'srclang="en" o-tmf="OmegaT"/><body>{body}</body></tmx>'
    )


def test_tmx_import_refuses_units_in_the_wrong_languages(cli, tmp_path: Path) -> None:
    swapped = tmp_path / "omegat.tmx"  # OmegaT given the Spanish draft as its source
    swapped.write_text(
        _tmx(
            [
                ("El sindicato convoca una huelga general el lunes.", "The union calls a general strike on Monday."),
                ("Los mineros defienden sus puestos de trabajo.", "The miners defend their jobs."),
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    memory = tmp_path / "memory.sqlite3"
    proc = cli("tm", "import", str(swapped), "--cache", str(memory))
    assert proc.returncode == 1
    assert _stderr_lines(proc) == [
        f"pipeline: {swapped}: every unit's text is in another language than its xml:lang says "
        "(its en source reads as es (0.89) and its es target reads as en (0.99); the file's "
        "languages look swapped (a TMX written from a translated draft?)); nothing imported"
    ]
    mixed = tmp_path / "mixed.tmx"
    mixed.write_text(
        _tmx(
            [
                ("The miners defend their jobs.", "Los mineros defienden sus puestos de trabajo."),
                ("El sindicato convoca una huelga general el lunes.", "The union calls a general strike on Monday."),
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    proc = cli("tm", "import", str(mixed), "--cache", str(memory), "--json")
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["imported"] == 1
    assert result["refused"] == [
        "en→es unit 'El sindicato convoca una huelga general…': refused: its en source reads as "
        "es (0.89) and its es target reads as en (0.99); the file's languages look swapped (a "
        "TMX written from a translated draft?)"
    ]
    assert _stderr_lines(proc) == [f"pipeline: {mixed}: {result['refused'][0]}"]


@requires_apertium
def test_literal_marker_text_comes_back_verbatim(cli, tmp_path: Path) -> None:
    _write(
        tmp_path / "tags.txt",
        "Tags\n\nType <g1> then </g3> and <x1/> in the form.\n\nThe union calls a strike.\n",
    )
    glossary = tmp_path / "glossary.yml"
    glossary.write_text('version: 1\nterms:\n  - en: union\n    es: "sindicato <x1/>"\n')
    out = tmp_path / "out"
    proc = cli("translate", str(tmp_path / "tags.txt"), "--to", "es,en", "--engine", "apertium",
               "--formats", "docx", "--glossary", str(glossary), "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    en = _docx_text(out / "tags/tags.en.docx")
    assert en[1] == "Type <g1> then </g3> and <x1/> in the form."
    es = _docx_text(out / "tags/tags.es.docx")
    assert all(tag in es[1] for tag in ("<g1>", "</g3>", "<x1/>")), es
    assert "sindicato <x1/>" in es[2], es


# --- 5. interrupts ----------------------------------------------------------------------------


@requires_apertium
@pytest.mark.slow
@pytest.mark.parametrize("terminal", [False, True], ids=["process", "terminal-group"])
def test_ctrl_c_stops_after_the_file_being_written(tmp_path: Path, terminal: bool) -> None:
    """SIGINT to the pipeline alone, and to its whole process group as a terminal's Ctrl-C
    sends it (the engine and writer subprocesses too)."""
    src = tmp_path / "src"
    for i in range(1, 9):
        _write(src / f"doc{i}.txt", f"Statement {i}\n\nThe union calls a general strike.\n")
    out = tmp_path / "out"
    # A .part file left by a run that was killed (its process is gone) is removed.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = out / "doc1" / f".doc1.es.docx.{dead.pid}.abcd1234.part"
    _write(stale, "half a file")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_CACHE=str(tmp_path / "m.sqlite3"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "translate", str(src), "--to", "es",
         "--engine", "apertium", "--no-glossary", "--out", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=terminal,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (out / "doc1" / "doc1.es.pdf").exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr
        time.sleep(0.02)
    if terminal:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 5
    assert proc.returncode == 130
    lines = err.splitlines()
    assert lines[0] == (
        "pipeline: stopping after the file being written (Ctrl-C again to stop at once)"
    )
    at = lines.index(next(line for line in lines if line.startswith("pipeline: interrupted; ")))
    assert lines[at].endswith(f"report.json written; not done ({len(lines) - at - 1}):")
    not_done = [line.strip() for line in lines[at + 1 :]]
    assert f"{src / 'doc8.txt'} → es" in not_done
    assert (out / "doc1" / "report.json").is_file()
    assert not stale.exists()
    assert not list(out.rglob("*.part"))
    written = {p.parent.name for p in out.rglob("report.json")}
    for name in written:  # every report is for a document whose files are all there
        report = json.loads((out / name / "report.json").read_text())["targets"]["es"].get("error")
        assert (out / name / f"{name}.es.docx").is_file(), (report, err)
        assert (out / name / f"{name}.es.pdf").is_file(), (report, err)
    assert len(written) + len(not_done) == 8


# --- 6. unusual characters in file names ------------------------------------------------------


@requires_apertium
def test_unusual_characters_in_file_names_are_replaced(cli, tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src / "line\nbreak.txt")
    _write(src / "bell\x07and\u2215slash.txt")
    _write(src / "plain.txt")
    out = tmp_path / "out"
    proc = cli("translate", str(src), "--to", "es", *APERTIUM, "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["bell_and_slash", "line_break", "plain"]
    assert (out / "line_break/line_break.es.docx").is_file()
    report = json.loads((out / "line_break/report.json").read_text())
    assert report["source"]["path"] == str(src / "line\nbreak.txt")  # the real name, in JSON
