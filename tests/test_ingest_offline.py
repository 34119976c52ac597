"""No network while reading or writing: documents that reference a local HTTP server make it see
zero requests, through ``pipeline detect`` and ``pipeline translate``; a remote image becomes
its alt text with a note in report.json. Also the batch-level behaviour of hostile input
through the CLI: one line per bad file, the other documents written, the limits fast."""

from __future__ import annotations

import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from odf.draw import Frame, Image
from odf.opendocument import OpenDocumentText
from odf.text import H, P
from PIL import Image as PILImage

from tests.conftest import ROOT
from tests.test_ingest_limits import JAPANESE, write_bomb_docx

pytestmark = pytest.mark.slow

STATEMENT = "We demand the release of the seven union leaders jailed for defending the miners."


class _Counter(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        type(self).requests.append(self.path)
        body = b"<p>FETCHED TEXT FROM THE NETWORK</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server on 127.0.0.1 and the list of requests it received."""

    class Handler(_Counter):
        requests: list[str] = []

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler.requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def _png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _docx_with_external_image(path: Path, url: str) -> None:
    """A DOCX whose picture is an external relationship (``r:link`` to ``url``)."""
    document = docx.Document()
    document.add_heading("Free the miners", 1)
    document.add_paragraph(STATEMENT)
    picture = tmp = path.with_suffix(".png")
    tmp.write_bytes(_png())
    document.add_picture(str(picture))
    document.save(str(path))
    tmp.unlink()
    with zipfile.ZipFile(path) as zin:
        parts = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    rels = parts["word/_rels/document.xml.rels"].decode()
    image_rel = re.search(r'<Relationship Id="(rId\d+)"[^>]*Target="media/[^"]+"/>', rels)
    assert image_rel
    rel_id = image_rel.group(1)
    rels = rels.replace(
        image_rel.group(0),
        f'<Relationship Id="{rel_id}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/image" Target="{url}/logo.png" TargetMode="External"/>',
    )
    parts["word/_rels/document.xml.rels"] = rels.encode()
    main = parts["word/document.xml"].decode().replace(f'r:embed="{rel_id}"', f'r:link="{rel_id}"')
    parts["word/document.xml"] = main.encode()
    parts = {k: v for k, v in parts.items() if not k.startswith("word/media/")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def _odt_with_remote_image(path: Path, url: str) -> None:
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Free the miners"))
    document.text.addElement(P(text=STATEMENT))
    frame = Frame(width="2cm", height="2cm", anchortype="paragraph")
    frame.addElement(Image(href=f"{url}/logo.png", type="simple", show="embed", actuate="onLoad"))
    paragraph = P()
    paragraph.addElement(frame)
    document.text.addElement(paragraph)
    document.save(str(path))


def _remote_inputs(folder: Path, url: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "remote-html.html"
    html.write_text(
        "<html><head><title>Free the miners</title>"
        f'<link rel="stylesheet" href="{url}/style.css"><script src="{url}/x.js"></script>'
        f"</head><body><h1>Free the miners</h1><p>{STATEMENT}</p>"
        f'<p><img src="{url}/logo.png" alt="union logo"></p>'
        f'<iframe src="{url}/frame.html"></iframe></body></html>'
    )
    md = folder / "remote-md.md"
    md.write_text(
        f"# Free the miners\n\n{STATEMENT}\n\n![union logo]({url}/logo.png)\n\n"
        f'<iframe src="{url}/frame.html"></iframe>\n\n'
        f"Another line with an inline image ![flag]({url}/flag.png) in it.\n"
    )
    docx_path = folder / "remote-docx.docx"
    _docx_with_external_image(docx_path, url)
    odt = folder / "remote-odt.odt"
    _odt_with_remote_image(odt, url)
    return [html, md, docx_path, odt]


def test_detect_fetches_nothing(cli, tmp_path: Path, server) -> None:
    url, requests = server
    inputs = _remote_inputs(tmp_path / "in", url)
    proc = cli("detect", *map(str, inputs), "--json")
    assert proc.returncode == 0, proc.stderr
    assert requests == []
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [row["language"] for row in rows] == ["en"] * 4
    assert proc.stderr == ""


def test_translate_fetches_nothing_and_notes_remote_images(cli, tmp_path: Path, server) -> None:
    url, requests = server
    inputs = _remote_inputs(tmp_path / "in", url)
    out = tmp_path / "out"
    proc = cli("translate", str(tmp_path / "in"), "--to", "en", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert requests == []
    for source in inputs:
        report = json.loads((out / source.stem / "report.json").read_text())
        outputs = report["targets"]["en"]["outputs"]
        assert Path(outputs["docx"]).exists() and Path(outputs["pdf"]).exists()
        text = "\n".join(p.text for p in docx.Document(outputs["docx"]).paragraphs)
        assert "FETCHED" not in text and STATEMENT in text
    html = json.loads((out / "remote-html" / "report.json").read_text())
    assert html["notes"] == [
        f"1 remote image not fetched (reading is offline); the alt text stands in: {url}/logo.png",
        f"1 remote resource (frames, includes) not fetched (reading is offline): {url}/frame.html",
    ]
    assert html["source"]["encoding"] == "utf-8"
    md = json.loads((out / "remote-md" / "report.json").read_text())
    assert md["notes"] == [
        "2 remote images not fetched (reading is offline); the alt text stands in: "
        f"{url}/logo.png, {url}/flag.png"
    ]
    docx_report = json.loads((out / "remote-docx" / "report.json").read_text())
    assert docx_report["source"]["encoding"] is None
    assert docx_report["notes"] == [
        f"1 linked image outside the file not fetched (reading is offline): {url}/logo.png"
    ]
    odt = json.loads((out / "remote-odt" / "report.json").read_text())
    assert odt["notes"] == [
        f"1 remote image not fetched (reading is offline); the alt text stands in: {url}/logo.png"
    ]


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Hostile files beside a good one; the line each must get."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.txt").write_text(JAPANESE)
    os.mkfifo(folder / "pipe.txt")
    (folder / "deep.md").write_text(">" * 600 + " deep\n")
    write_bomb_docx(folder / "bomb.docx", 2048)
    (folder / "japanese.txt").write_bytes(JAPANESE.encode("cp932"))
    return {
        "pipe.txt": "not a regular file (a device, pipe or socket); give a file",
        "deep.md": "quotes, lists or sections are nested more than 200 levels deep "
        "(limit PIPELINE_MAX_NESTING=200)",
        "bomb.docx": "the .docx file expands to 2048 MB (limit PIPELINE_MAX_UNZIPPED_MB=200)",
    }


def test_hostile_inputs_get_one_line_each_and_the_rest_is_written(cli, tmp_path: Path) -> None:
    expected = _bad_inputs(tmp_path / "in")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    (tmp_path / "in" / "notes.txt").symlink_to(secret)
    (tmp_path / "in" / "photo.jpg").write_bytes(_png())
    out = tmp_path / "in" / "output"  # inside the source folder: never read back
    for _ in range(2):
        proc = cli(
            "translate", str(tmp_path / "in"), "--to", "ja", "--out", str(out), "--json",
            "--no-glossary",  # no glossary.yml beside tmp inputs: its warning is not counted here
        )  # fmt: skip
        assert proc.returncode == 1
        lines = proc.stderr.splitlines()
        for name, reason in expected.items():
            assert f"{tmp_path / 'in' / name}: {reason}" in lines
        assert (
            f"{tmp_path / 'in' / 'notes.txt'}: skipped: a link to {secret}, outside "
            f"{tmp_path / 'in'} (use --follow-links to follow it)"
        ) in lines
        assert f"{tmp_path / 'in'}: 1 unsupported file not read: photo.jpg" in lines
        assert len(lines) == len(expected) + 2, proc.stderr
        data = json.loads(proc.stdout)
        assert sorted(Path(p).parent.name for p in data["documents"]) == ["good", "japanese"]
        assert {s["path"] for s in data["skipped"]} == {
            str(tmp_path / "in" / "notes.txt"),
            str(tmp_path / "in"),
        }
    report = json.loads((out / "japanese" / "report.json").read_text())
    assert report["source"]["encoding"] == "cp932"
    assert report["detected"]["language"] == "ja"
    assert sorted(p.name for p in out.iterdir()) == ["good", "japanese"]


def test_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    write_bomb_docx(bomb, 2048)
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run([sys.executable, '-m', 'pipeline', 'detect', sys.argv[1]],"
        " capture_output=True, text=True)\n"
        "print(time.perf_counter() - start)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.returncode)\n"
        "print(done.stderr.strip())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, env=env
    )
    seconds, peak_kb, code, line = proc.stdout.splitlines()
    assert line == f"{bomb}: the .docx file expands to 2048 MB (limit PIPELINE_MAX_UNZIPPED_MB=200)"
    assert code == "1"
    assert float(seconds) < 5
    assert int(peak_kb) < 500 * 1024


def test_detector_choice_through_the_cli(cli, tmp_path: Path) -> None:
    path = tmp_path / "es.txt"
    path.write_text(
        "Libertad para los mineros\n\nExigimos la liberación de los siete dirigentes.\n"
    )
    runs = [cli("detect", str(path), "--json", "--detector", d) for d in ("langdetect",) * 2]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(proc.stdout) for proc in runs)
    assert first == second and first["language"] == "es"
    bad = cli("detect", str(path), "--detector", "cld3")
    assert bad.returncode == 2 and "invalid choice: 'cld3'" in bad.stderr
    started = time.perf_counter()
    proc = cli("translate", str(path), "--to", "es", "--detector", "langdetect", "--formats",
               "docx", "--out", str(tmp_path / "out"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert time.perf_counter() - started < 120
    report = json.loads((tmp_path / "out" / "es" / "report.json").read_text())
    assert report["detected"]["language"] == "es"
