"""Hostile input, second round (issue 21): every parser and client bounded, no file read from
outside the document.

Every hostile file is generated here at test time; nothing large is committed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from pipeline.ingest.limits import Limits, load_untrusted_yaml
from pipeline.untrusted import printable
from tests.conftest import requires_apertium


def yaml_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs in YAML: each anchor a list of ``width`` aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


# --- YAML: anchors and aliases counted as expanded, before anything is built ---------------


def test_yaml_anchor_bomb_is_refused_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(yaml.YAMLError) as info:
        load_untrusted_yaml(yaml_bomb())
    assert time.monotonic() - started < 1
    assert str(info.value.problem).startswith("expands to more than 1000000 values")  # type: ignore[attr-defined]
    assert "PIPELINE_MAX_YAML_NODES=1000000" in str(info.value)


def test_yaml_alias_inside_itself_is_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="an alias refers to a value that contains it"):
        load_untrusted_yaml("a: &a [1, *a]\n")


def test_yaml_deep_nesting_is_refused() -> None:
    deep = "x: " + "[" * 300 + "]" * 300 + "\n"
    with pytest.raises(yaml.YAMLError, match="nested more than 200 levels deep"):
        load_untrusted_yaml(deep)


def test_yaml_with_a_few_aliases_is_read() -> None:
    root, data = load_untrusted_yaml("note: &n shared\nterms:\n  - {en: union, note: *n}\n")
    assert root is not None
    assert data == {"note": "shared", "terms": [{"en": "union", "note": "shared"}]}


def test_yaml_size_limit() -> None:
    with pytest.raises(yaml.YAMLError, match="PIPELINE_MAX_IMPORT_MB=1"):
        load_untrusted_yaml("a: " + "x" * (2 << 20), Limits(max_import_mb=1))


@pytest.mark.parametrize("command", ["lint", "translate"])
def test_glossary_anchor_bomb_is_one_line(cli, tmp_path: Path, command: str) -> None:
    glossary = tmp_path / "glossary.yml"
    glossary.write_text("version: 1\n" + yaml_bomb() + "terms:\n  - {en: union, es: sindicato}\n")
    source = tmp_path / "s.txt"
    source.write_text("Title\n\nThe union calls a strike.\n")
    args = (
        ["glossary", "lint", str(glossary)]
        if command == "lint"
        else ["translate", str(source), "--to", "en", "--formats", "docx",
              "--glossary", str(glossary), "--out", str(tmp_path / "out")]
    )  # fmt: skip
    started = time.monotonic()
    proc = cli(*args)
    assert time.monotonic() - started < 20  # a whole CLI start; minutes before the fix
    assert proc.returncode != 0
    assert "expands to more than 1000000 values" in proc.stdout + proc.stderr
    assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["leaflet.yml", "engines.yml"])
def test_leaflet_and_engines_yaml_bombs_are_refused(tmp_path: Path, name: str) -> None:
    from pipeline.engines.routes import RoutesError, load_routes
    from pipeline.leaflet.config import ConfigError, load_config

    path = tmp_path / name
    path.write_text(yaml_bomb())
    started = time.monotonic()
    with pytest.raises((ConfigError, RoutesError)) as info:
        (load_config if name == "leaflet.yml" else load_routes)(path)
    assert time.monotonic() - started < 1
    assert "expands to more than 1000000 values" in str(info.value)
    assert "\n" not in str(info.value)


# --- terminal escapes ---------------------------------------------------------------------


def test_printable_removes_escapes_and_shows_controls() -> None:
    hostile = "en→es\n\x1b[2J\x1b[31mINSTALLED\x1b[0m\x07 \u202eevil\x1b]0;title\x07"
    assert printable(hostile) == "en→es\\nINSTALLED\\x07 \\u202eevil"
    assert printable("Trabajadores del mundo — 労働者") == "Trabajadores del mundo — 労働者"


def _hostile_package(tmp_path: Path) -> Path:
    """A real identity package whose metadata version carries a newline and ANSI codes."""
    import json
    import zipfile

    from tests.fixtures import argos_models as fx

    original = fx.cached_package("en", "es")
    hostile = tmp_path / "translate-en_es-1_0.argosmodel"
    with zipfile.ZipFile(original) as zin, zipfile.ZipFile(hostile, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("metadata.json"):
                meta = json.loads(data)
                meta["package_version"] = (
                    "1.0\n\x1b[2J\x1b[32minstalled: all models verified\x1b[0m"
                )
                data = json.dumps(meta).encode()
            zout.writestr(info, data)
    return hostile


def test_models_install_and_list_print_foreign_metadata_sanitised(cli, tmp_path: Path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "packages"),
           "PIPELINE_MODELS_DIR": str(tmp_path / "models")}  # fmt: skip
    proc = cli("models", "install", str(_hostile_package(tmp_path)), env=env)
    listed = cli("models", "list", env=env)
    for done in (proc, listed):
        assert "\x1b" not in done.stdout + done.stderr
        assert "\\ninstalled: all models verified" in done.stdout + done.stderr, done
    assert proc.returncode == 0 and listed.returncode == 0
    assert len(proc.stdout.strip().splitlines()) == 1  # one line, not two


# --- pictures only from inside the document or its folder ----------------------------------


def _png(path: Path, colour: tuple[int, int, int] = (200, 0, 0)) -> Path:
    from PIL import Image as PILImage

    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (40, 30), colour).save(path, "PNG")
    return path


def _epub(path: Path, image_src: str) -> Path:
    import zipfile

    chapter = (
        '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>Free the miners</title></head><body><h1>Free the miners</h1>"
        "<p>We demand the release of the seven union leaders.</p>"
        f'<p><img src="{image_src}" alt="the stolen picture"/></p></body></html>'
    )
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:identifier id="id">x</dc:identifier><dc:title>Free the miners</dc:title>'
        "<dc:language>en</dc:language></metadata><manifest>"
        '<item id="c1" href="chapter.xhtml" media-type="application/xhtml+xml"/></manifest>'
        '<spine><itemref idref="c1"/></spine></package>'
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", container)
        zf.writestr("OEBPS/content.opf", opf)
        zf.writestr("OEBPS/chapter.xhtml", chapter)
    return path


@pytest.fixture
def secret_picture(tmp_path: Path) -> Path:
    return _png(tmp_path / "private" / "secret.png", (0, 0, 250))


def _outside_note(doc) -> str:  # noqa: ANN001
    assert doc.images() == []
    (note,) = [n for n in doc.notes if "not carried" in n]
    assert "is outside the document and its folder" in note
    return note


@pytest.mark.parametrize("how", ["absolute", "climbing", "file-url", "link"])
def test_markdown_cannot_pull_in_a_picture_from_outside_its_folder(
    tmp_path: Path, secret_picture: Path, how: str
) -> None:
    from pipeline.ingest import read_document

    folder = tmp_path / "statements"
    folder.mkdir()
    target = {
        "absolute": str(secret_picture),
        "climbing": "../private/secret.png",
        "file-url": f"file://{secret_picture}",
        "link": "innocent.png",
    }[how]
    if how == "link":
        (folder / "innocent.png").symlink_to(secret_picture)
    _png(folder / "logo.png")  # a legitimate picture next to the document
    source = folder / "s.md"
    source.write_text(f"# Free the miners\n\n![secret]({target})\n\n![our logo](logo.png)\n")
    doc = read_document(source)
    assert [i.width_px for i in doc.images()] == [40]  # the logo, only
    assert [b.text for b in doc.blocks if b.kind == "paragraph"] == ["secret"]  # alt text
    (note,) = [n for n in doc.notes if "not carried" in n]
    assert f"{target} is outside the document and its folder" in note


def test_html_cannot_pull_in_a_picture_from_outside(tmp_path: Path, secret_picture: Path) -> None:
    from pipeline.ingest import read_document

    source = tmp_path / "pub" / "s.html"
    source.parent.mkdir()
    source.write_text(
        f'<h1>Free the miners</h1><p>Text.</p><img src="{secret_picture}" alt="secret">'
    )
    _outside_note(read_document(source))


def test_epub_cannot_pull_in_a_picture_from_outside(tmp_path: Path, secret_picture: Path) -> None:
    from pipeline.ingest import read_document

    folder = tmp_path / "books"
    folder.mkdir()
    for src in (str(secret_picture), "../../private/secret.png"):
        _outside_note(read_document(_epub(folder / "s.epub", src)))


def test_outside_picture_through_the_cli_is_a_note_and_not_in_the_docx(
    cli, tmp_path: Path, secret_picture: Path
) -> None:
    import json
    import zipfile

    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "s.md").write_text(f"# Free the miners\n\nText.\n\n![secret]({secret_picture})\n")
    out = tmp_path / "out"
    proc = cli("translate", str(folder), "--to", "en", "--formats", "docx", "--no-glossary",
               "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out / "s" / "s.en.docx") as zf:
        assert not [n for n in zf.namelist() if n.startswith("word/media/")]
    notes = json.dumps(json.loads((out / "s" / "report.json").read_text()))
    assert "is outside the document and its folder" in notes


# --- ASCII with NUL bytes is binary ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"solidarity,forever;",
        b"nothing_but_identifiers_and_code(x);\n",
        b"FREE THE MINERS. WE DEMAND THE RELEASE OF THE SEVEN UNION LEADERS. ",
    ],
)
def test_ascii_text_with_nul_bytes_is_binary_not_utf16(tmp_path: Path, line: bytes) -> None:
    """Read as UTF-16 before the fix (CJK characters: Japanese at 0.9, Chinese at 0.5)."""
    from pipeline.ingest import ReadError, read_document

    text = line * 30
    path = tmp_path / "s.txt"
    path.write_bytes(text[:100] + b"\x00" * 4 + text[100:])
    with pytest.raises(ReadError, match=r"^looks like binary data, not text$"):
        read_document(path)


def test_english_utf16_without_bom_is_still_text(tmp_path: Path) -> None:
    from pipeline.ingest import read_document

    path = tmp_path / "s.txt"
    path.write_bytes("Free the miners\n\nWe demand their release.\n".encode("utf-16-le"))
    assert read_document(path).encoding == "utf-16-le"


# --- glossary CSV: formula injection, rows longer than the header, limits --------------------


def test_glossary_csv_export_neutralises_formulas(cli, tmp_path: Path) -> None:
    import csv
    import io

    from pipeline.glossary.exchange import import_csv

    glossary = tmp_path / "glossary.yml"
    glossary.write_text(
        "version: 1\nterms:\n"
        "  - {en: '=HYPERLINK(\"http://x\",\"union\")', es: '+sindicato'}\n"
        "  - {en: '-strike', es: '@huelga', note: \"\\tcmd|' /C calc'!A0\"}\n"
        "  - {en: 'miners', es: mineros}\n"
    )
    proc = cli("glossary", "export", "--format", "csv", "--glossary", str(glossary))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    cells = [row[k] for row in rows for k in ("en", "es", "note") if row[k]]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells
    assert rows[0]["en"] == '\'=HYPERLINK("http://x","union")'
    assert rows[2]["en"] == "miners"
    back = import_csv(proc.stdout)  # and the terms come back as they were
    assert [(e["en"], e["es"]) for e in back] == [
        ('=HYPERLINK("http://x","union")', "+sindicato"),
        ("-strike", "@huelga"),
        ("miners", "mineros"),
    ]


def test_glossary_csv_row_longer_than_its_header_is_one_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_text("en,es\nunion,sindicato\nminers,mineros,extra,more\n")
    proc = cli("glossary", "import", str(path), "--glossary", str(tmp_path / "g.yml"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"pipeline: {path}:3: the row has 4 fields but the header names 2 (a comma inside a "
        "term? put the term in double quotes)"
    ]


def test_glossary_csv_and_tbx_limits(tmp_path: Path) -> None:
    from pipeline.glossary.exchange import GlossaryError, read_entries

    many = tmp_path / "many.csv"
    many.write_text("en,es\n" + "union,sindicato\n" * 30)
    with pytest.raises(GlossaryError, match=r"PIPELINE_MAX_IMPORT_UNITS=20\)$"):
        read_entries(many, Limits(max_import_units=20))
    big = tmp_path / "big.tbx"
    big.write_bytes(b"<martif/>" + b" " * (2 << 20))
    with pytest.raises(GlossaryError, match=r"PIPELINE_MAX_IMPORT_MB=1\)$"):
        read_entries(big, Limits(max_import_mb=1))


# --- LibreTranslate: no redirects, bounded answers, an overall deadline --------------------


class _HostileServer:
    """An HTTP server on 127.0.0.1 that misbehaves in one ``mode`` on every request."""

    def __init__(self, mode: str, redirect_to: str = "") -> None:
        import http.server
        import threading

        self.mode, self.redirect_to = mode, redirect_to
        self.requests: list[str] = []
        self.bytes_sent = 0
        self.stop = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(f"GET {self.path}")
                outer.answer(self)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append(f"POST {self.path}")
                outer.answer(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, handler) -> None:  # noqa: ANN001
        import json

        try:
            if self.mode == "languages":
                body = json.dumps([{"code": "en", "name": "English", "targets": ["es"]},
                                   {"code": "es", "name": "Spanish", "targets": ["en"]}]).encode()  # fmt: skip
                handler.send_response(200)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
            elif self.mode == "redirect":
                handler.send_response(302 if handler.command == "GET" else 307)
                handler.send_header("Location", self.redirect_to + handler.path)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
            elif self.mode == "huge":
                handler.send_response(200)
                handler.end_headers()  # no Content-Length: only the client's limit stops it
                chunk = b"[" + b'"lol",' * 10000
                while self.bytes_sent < 256 * 1024 * 1024 and not self.stop.is_set():
                    handler.wfile.write(chunk)
                    self.bytes_sent += len(chunk)
            elif self.mode == "trickle":
                handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
                while not self.stop.is_set():  # a header byte every 0.3 s, forever
                    handler.wfile.write(b"X")
                    handler.wfile.flush()
                    time.sleep(0.3)
            elif self.mode == "escapes":
                body = json.dumps({"error": "bad key\n\x1b[2J\x1b[32mall translated"}).encode()
                handler.send_response(400)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
            elif self.mode == "nested":
                body = b"[" * 200_000 + b"]" * 200_000
                handler.send_response(200)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _engine(url: str, **limits: int):  # noqa: ANN202
    from pipeline.engines.libretranslate import LibreTranslateEngine

    return LibreTranslateEngine(url, retries=2, backoff=0.01, limits=Limits(**limits))


def test_libretranslate_follows_no_redirect_on_any_method() -> None:
    from pipeline.engines.base import EngineError

    elsewhere = _HostileServer("languages")
    server = _HostileServer("redirect", redirect_to=elsewhere.url)
    try:
        engine = _engine(server.url)
        with pytest.raises(EngineError) as info:
            engine.languages()
        assert str(info.value) == (
            f"LibreTranslate at {server.url} answered /languages with a redirect (HTTP 302 to "
            f"{elsewhere.url}/languages); redirects are not followed: give the server's own "
            "address with --url"
        )
        engine._languages = {"en": frozenset({"es"})}  # past /languages: POST /translate
        with pytest.raises(EngineError, match=r"answered /translate with a redirect \(HTTP 307"):
            engine.translate(["The union calls a strike."], "en", "es")
        assert elsewhere.requests == []
        assert server.requests == ["GET /languages", "POST /translate"]  # and not retried
    finally:
        server.close()
        elsewhere.close()


def test_libretranslate_answer_is_bounded_in_size() -> None:
    from pipeline.engines.base import EngineError

    server = _HostileServer("huge")
    try:
        with pytest.raises(EngineError) as info:
            _engine(server.url, max_response_mb=2).languages()
        assert str(info.value) == (
            f"{server.url} sent more than 2 MB for /languages: not a LibreTranslate answer "
            "(limit PIPELINE_MAX_RESPONSE_MB=2)"
        )
        time.sleep(0.3)
        assert server.bytes_sent < 32 * 1024 * 1024  # socket buffers, not the 256 MB on offer
    finally:
        server.close()


def test_libretranslate_trickling_server_meets_the_overall_deadline() -> None:
    from pipeline.engines.base import EngineError

    server = _HostileServer("trickle")
    try:
        started = time.monotonic()
        with pytest.raises(EngineError) as info:
            _engine(server.url, max_request_seconds=2).languages()
        assert time.monotonic() - started < 5  # the per-read timeout (30 s) never fires
        assert str(info.value) == (
            f"LibreTranslate at {server.url} did not finish answering /languages within 2 s "
            "(limit PIPELINE_MAX_REQUEST_SECONDS); not retried"
        )
        assert server.requests == ["GET /languages"]
    finally:
        server.close()


@pytest.mark.parametrize("mode", ["nested", "redirect", "huge", "escapes"])
def test_libretranslate_misbehaving_is_one_line_per_language_and_the_run_goes_on(
    cli, tmp_path: Path, mode: str
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a", "b"):
        (src / f"{name}.txt").write_text("Workers of the world\n\nThe union calls a strike.\n")
    server = _HostileServer(mode, redirect_to="http://127.0.0.1:9")
    try:
        proc = cli(
            "translate", str(src), "--to", "es,en", "--engine", "libretranslate",
            "--url", server.url, "--formats", "docx", "--no-glossary",
            "--out", str(tmp_path / "out"), env={"PIPELINE_MAX_RESPONSE_MB": "4"},
        )  # fmt: skip
    finally:
        server.close()
    assert proc.returncode == 1
    assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("es: "), lines
    assert lines[0].endswith(f"(2 documents: {src / 'a.txt'}, {src / 'b.txt'})")
    assert "\x1b" not in proc.stderr
    for name in ("a", "b"):
        assert (tmp_path / f"out/{name}/{name}.en.docx").is_file()
        assert (tmp_path / f"out/{name}/report.json").is_file()


# --- TMX import: entities refuse their unit, streaming, size and unit limits ---------------

_TMX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header creationtool="t" '
    'creationtoolversion="1" datatype="plaintext" segtype="sentence" adminlang="en" '
    'srclang="en" o-tmf="t"/><body>'
)


def _tu(en: str, es: str) -> str:
    return (
        f'<tu><tuv xml:lang="en"><seg>{en}</seg></tuv><tuv xml:lang="es"><seg>{es}</seg></tuv></tu>'
    )


def write_tmx(path: Path, units: int, *, entity_every: int = 0) -> Path:
    """A TMX of ``units`` units written as a stream (a 1M-unit file in a few seconds)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(_TMX_HEAD)
        for i in range(units):
            if entity_every and i % entity_every == 0:
                out.write(_tu(f"Web &web; x {i}", f"Web &web; x {i}"))
            else:
                out.write(
                    _tu(
                        f"The union calls strike number {i}.",
                        f"El sindicato convoca la huelga {i}.",
                    )
                )
        out.write("</body></tmx>")
    return path


def test_tmx_undefined_entity_refuses_the_unit(tmp_path: Path) -> None:
    from pipeline.memory import TranslationMemory, import_tmx_detailed

    path = tmp_path / "web.tmx"
    path.write_text(_TMX_HEAD + _tu("Web &web; x", "Web &web; x") + _tu("Unity.", "Unidad.")
                    + "</body></tmx>")  # fmt: skip
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        result = import_tmx_detailed(memory, path)
        stored = {e.entry.source: e.entry.target for e in memory.approved_entries()}
    assert result.refused == [
        "unit 1: refused: an XML entity reference (&web;) is in the unit; TMX units take plain "
        "text: type the characters themselves"
    ]
    assert stored == {"Unity.": "Unidad."}  # never "Web  x"


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (-30, "Premature end of data"),
        (None, "Opening and ending tag mismatch"),
    ],
)
def test_tmx_broken_or_truncated_is_refused_whole(tmp_path: Path, cut, message: str) -> None:  # noqa: ANN001
    from pipeline.memory import TmxError, TranslationMemory, import_tmx_detailed

    text = _TMX_HEAD + _tu("Unity.", "Unidad.") + _tu("Strike.", "Huelga.") + "</body></tmx>"
    text = (
        text[:cut] if cut else text.replace("</seg></tuv></tu></body>", "</sg></tuv></tu></body>")
    )
    path = tmp_path / "broken.tmx"
    path.write_text(text)
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        with pytest.raises(TmxError, match=message) as info:
            import_tmx_detailed(memory, path)
        assert memory.approved_entries() == []
    assert str(info.value).startswith(f"{path}: not a TMX file (")


def test_tmx_unit_and_size_limits(tmp_path: Path) -> None:
    from pipeline.memory import TmxError, TranslationMemory, import_tmx_detailed

    path = write_tmx(tmp_path / "many.tmx", 50)
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        with pytest.raises(TmxError) as info:
            import_tmx_detailed(memory, path, limits=Limits(max_import_units=20))
        assert str(info.value) == (
            f"{path}: 50 units (limit PIPELINE_MAX_IMPORT_UNITS=20); nothing imported"
        )
        with pytest.raises(
            TmxError, match=r"larger than 1 MB \(4 MB\) \(limit PIPELINE_MAX_IMPORT_MB=1\)"
        ):
            big = write_tmx(tmp_path / "big.tmx", 25000)
            import_tmx_detailed(memory, big, limits=Limits(max_import_mb=1))
        assert memory.approved_entries() == []


def test_tmx_import_says_a_few_hundred_lines_and_counts_the_rest(cli, tmp_path: Path) -> None:
    path = write_tmx(tmp_path / "web.tmx", 1000, entity_every=2)
    proc = cli("tm", "import", str(path), "--cache", str(tmp_path / "m.sqlite3"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 201
    assert lines[-1] == (
        f"pipeline: {path}: … and 300 more lines like these (limit PIPELINE_MAX_MESSAGES=200; "
        "--json lists them all)"
    )
    assert "500 approved translations stored" in proc.stdout


# --- review XLIFF import: units counted, streaming, a few hundred lines -------------------


def write_xliff_units(path: Path, units: int) -> Path:
    """An XLIFF 1.2 file of ``units`` trans-units written as a stream."""
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?><xliff version="1.2" '
                  'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="s" '
                  'source-language="en" target-language="es" datatype="plaintext"><header>'
                  '<note from="statement-pipeline">statement-pipeline review file: '
                  '{"format": "statement-pipeline-review/1", "document": "s"}</note>'
                  "</header><body>")  # fmt: skip
        for i in range(units):
            out.write(f'<trans-unit id="b{i}.s1"><source>Strike {i}.</source>'
                      f"<target>Huelga {i}.</target></trans-unit>")  # fmt: skip
        out.write("</body></file></xliff>")
    return path


def test_review_xliff_with_too_many_units_is_refused_before_parsing(tmp_path: Path) -> None:
    from pipeline.review.xliff import XliffError, read_xliff

    path = write_xliff_units(tmp_path / "many.xlf", 300)
    started = time.monotonic()
    with pytest.raises(XliffError) as info:
        read_xliff(path, Limits(max_import_units=200))
    assert time.monotonic() - started < 1
    assert str(info.value) == "300 units (limit PIPELINE_MAX_IMPORT_UNITS=200)"
    with pytest.raises(XliffError, match=r"PIPELINE_MAX_IMPORT_MB=1\)$"):
        read_xliff(write_xliff_units(tmp_path / "big.xlf", 30000), Limits(max_import_mb=1))


def test_review_xliff_truncated_is_refused_whole(tmp_path: Path) -> None:
    from pipeline.review.xliff import XliffError, read_xliff

    path = write_xliff_units(tmp_path / "cut.xlf", 20)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(XliffError, match=r"^not a readable XLIFF file \(.*, line 1, column "):
        read_xliff(path)


@requires_apertium
def test_review_import_of_many_refused_units_says_a_few_hundred_lines(cli, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("Workers of the world\n\nThe union calls a general strike on Monday.\n")
    out = tmp_path / "out"
    proc = cli("translate", str(source), "--to", "es", "--engine", "apertium", "--formats",
               "docx", "--no-glossary", "--review", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    xlf = (out / "s/review/s.en-es.xlf").read_text(encoding="utf-8")
    start = xlf.index("<trans-unit")
    end = xlf.index("</trans-unit>", start) + len("</trans-unit>")
    returned = tmp_path / "returned.xlf"
    returned.write_text(xlf[:end] + xlf[start:end] * 1000 + xlf[end:], encoding="utf-8")
    proc = cli("review", "import", str(returned), "--against", str(out), "--dry-run")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 201, lines[-3:]
    assert lines[0].endswith("refused: unit b0.s1 appears twice; only the first was imported")
    assert lines[-1] == (
        "… and 800 more lines like these (limit PIPELINE_MAX_MESSAGES=200; --json lists them all)"
    )


# --- RTF: pictures decoded by the reader within a limit, never by pandoc --------------------

_RTF_HEAD = (
    "{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0 Free the miners\\par We demand their release.\\par "
)


def _png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _rtf_picture(data: bytes) -> str:
    return (
        "{\\*\\shppict{\\pict{\\*\\picprop}\\pngblip\\picw40\\pich30\\picwgoal1440\\pichgoal1080 "
        + data.hex()
        + "}}{\\nonshppict{\\pict\\wmetafile8 0100090000}}"
    )


def peak(code: str) -> tuple[float, float, str]:
    """(peak RSS in MB of the process or any child, seconds, stdout) of ``code`` run in a
    fresh Python, measured inside it (``tests.fixtures.memory``) so no earlier process counts."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    wrapped = (
        "import time\nfrom tests.fixtures.memory import own_peak_mb, peak_mb\n"
        "started = time.monotonic()\n" + code + "\n"
        "seconds = time.monotonic() - started\n"
        "print(f'PEAK {peak_mb():.0f} {seconds:.2f} {own_peak_mb():.0f}')\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory(prefix="peak-") as fresh:  # nothing another test left
        env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TMPDIR": fresh, "HOME": fresh}
        done = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True,
                              env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    *out, last = done.stdout.strip().splitlines()
    _, rss, seconds, _own = last.split()
    return float(rss), float(seconds), "\n".join(out)


def test_rtf_picture_is_carried_and_its_fallback_dropped(tmp_path: Path) -> None:
    from pipeline.ingest import read_document

    path = tmp_path / "s.rtf"
    path.write_text(_RTF_HEAD + _rtf_picture(_png_bytes()) + "\\par Unity.\\par}", "latin-1")
    doc = read_document(path)
    assert [(i.width_px, i.height_px, i.width) for i in doc.images()] == [(40, 30, "1.00in")]
    assert "ZQX" not in doc.text and "Unity." in doc.text
    assert not [n for n in doc.notes if "not carried" in n]


def test_rtf_picture_past_the_limit_is_left_out_with_a_note(tmp_path: Path) -> None:
    from pipeline.ingest import read_document

    path = tmp_path / "s.rtf"
    path.write_text(
        _RTF_HEAD + _rtf_picture(b"\x89PNG" + b"\xab" * (3 << 20)) + "\\par}", "latin-1"
    )
    doc = read_document(path, Limits(max_picture_mb=2))
    assert doc.images() == []
    assert doc.notes == [
        "1 image not carried: picture 1 of the RTF is larger than 2 MB "
        "(limit PIPELINE_MAX_PICTURE_MB=2)"
    ]


@pytest.mark.parametrize(
    ("picture_mb", "said"),
    [(20, "is larger than 20 MB (limit PIPELINE_MAX_PICTURE_MB=20)"), (19, "is not a picture")],
)
def test_rtf_hex_picture_bomb_is_read_within_500_mb_and_seconds(
    tmp_path: Path, picture_mb: int, said: str
) -> None:
    """A 40 MB RTF that is one 20 MB picture in hex: 1.5 GB and 48 s before the fix."""
    path = tmp_path / "bomb.rtf"
    picture = b"\x89PNG" + b"\xab" * (picture_mb << 20)
    text = "We demand the release of the seven union leaders.\\par " * 2000
    path.write_text(_RTF_HEAD + _rtf_picture(picture) + "\\par " + text + "}", "latin-1")
    assert path.stat().st_size > picture_mb * 2_000_000
    rss, seconds, out = peak(
        "from pathlib import Path\nfrom pipeline.ingest import read_document\n"
        f"doc = read_document(Path({str(path)!r}))\nprint(doc.notes, len(doc.blocks))"
    )
    assert f"picture 1 of the RTF {said}" in out
    assert out.endswith(" 2002")  # the title, a paragraph, and the 2000 paragraphs after
    assert rss < 500, (rss, seconds)


# --- every reader: random bytes, truncated files and the hostile set ------------------------


def _valid_samples(folder: Path) -> dict[str, Path]:
    """One real file per reader, written by the libraries users' files come from."""
    import subprocess

    import docx
    import pymupdf as fitz

    from pipeline.ingest.pandoc import pandoc_path

    folder.mkdir(parents=True, exist_ok=True)
    text = "Free the miners\n\nWe demand the release of the seven union leaders.\n"
    samples = {
        ".txt": folder / "s.txt",
        ".md": folder / "s.md",
        ".html": folder / "s.html",
        ".rtf": folder / "s.rtf",
        ".docx": folder / "s.docx",
        ".odt": folder / "s.odt",
        ".epub": folder / "s.epub",
        ".pdf": folder / "s.pdf",
    }
    samples[".txt"].write_text(text)
    samples[".md"].write_text("# " + text)
    samples[".html"].write_text("<h1>Free the miners</h1><p>We demand their release.</p>" * 20)
    samples[".rtf"].write_text(_RTF_HEAD + _rtf_picture(_png_bytes()) + "\\par Unity.\\par}")
    document = docx.Document()
    document.add_heading("Free the miners", 1)
    for _ in range(20):
        document.add_paragraph("We demand the release of the seven union leaders.")
    document.save(str(samples[".docx"]))
    subprocess.run([pandoc_path(), "--sandbox", "-o", str(samples[".odt"]), str(samples[".md"])],
                   check=True)  # fmt: skip
    _epub(samples[".epub"], "pic.png")
    pdf = fitz.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "Free the miners", fontsize=20)
    page.insert_text((72, 120), "We demand the release of the seven union leaders.")
    pdf.save(str(samples[".pdf"]))
    return samples


def _hostile_set(folder: Path) -> dict[str, str]:
    """Hostile documents (name → the start of the line each must get)."""
    from tests.test_ingest_limits import write_bomb_docx

    folder.mkdir(parents=True, exist_ok=True)
    write_bomb_docx(folder / "bomb.docx", 300)
    (folder / "deep.md").write_text(">" * 600 + " deep\n")
    (folder / "divs.html").write_text("<div>" * 700 + "deep" + "</div>" * 700)
    (folder / "nul.txt").write_bytes((b"solidarity,forever;" * 30)[:100] + b"\x00" * 4 + b"x" * 50)
    (folder / "empty.rtf").write_bytes(b"")
    (folder / "fake.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    return {
        "bomb.docx": "the .docx file expands to 300 MB",
        "deep.md": "quotes, lists or sections are nested more than",
        "divs.html": "quotes, lists or sections are nested more than",
        "nul.txt": "looks like binary data, not text",
        "empty.rtf": "the file is empty",
        "fake.pdf": "",
    }


def _broken_variants(samples: dict[str, Path], folder: Path, seed: int) -> list[Path]:
    """Random bytes under each reader's suffix, each sample cut short, and each sample with
    random bytes written over its middle."""
    import random

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    for suffix, sample in samples.items():
        data = sample.read_bytes()
        random_bytes = folder / f"random{suffix}"
        random_bytes.write_bytes(rng.randbytes(rng.randint(1, 5000)))
        cut = folder / f"cut{suffix}"
        cut.write_bytes(data[: rng.randint(1, max(1, len(data) - 1))])
        damaged = folder / f"damaged{suffix}"
        middle = len(data) // 2
        damaged.write_bytes(data[:middle] + rng.randbytes(64) + data[middle + 64 :])
        made += [random_bytes, cut, damaged]
    return made


@pytest.mark.parametrize("seed", range(3))
def test_every_reader_gives_a_read_error_or_a_document_never_another_exception(
    tmp_path: Path, seed: int
) -> None:
    from pipeline.ingest import ReadError, read_document

    samples = _valid_samples(tmp_path / "good")
    for path in samples.values():
        assert read_document(path).blocks  # each sample is a real, readable file
    for path in _broken_variants(samples, tmp_path / "broken", seed):
        try:
            read_document(path, Limits(max_pandoc_seconds=20))
        except ReadError as exc:
            assert "\n" not in str(exc) and str(exc), path


def _failed_documents(line: str) -> list[str]:
    """The documents a failure line names: ``PATH: reason`` or ``reason (N documents: …)``."""
    import re

    grouped = re.search(r" \(\d+ documents: (.*)\)$", line)
    return grouped.group(1).split(", ") if grouped else [line.split(": ", 1)[0]]


@pytest.mark.slow
def test_a_batch_of_hostile_and_broken_files_is_one_line_each_and_the_rest_written(
    cli, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    samples = _valid_samples(src / "good")
    broken = _broken_variants(samples, src / "broken", 7)
    expected = _hostile_set(src / "hostile")
    out = tmp_path / "out"
    proc = cli("translate", str(src), "--to", "en", "--formats", "docx", "--no-glossary",
               "--out", str(out), env={"PIPELINE_MAX_PANDOC_SECONDS": "20"})  # fmt: skip
    assert proc.returncode == 1
    assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("warning: ")]
    named = [doc for line in lines for doc in _failed_documents(line)]
    assert len(named) == len(set(named))  # each failed document in one line
    for name, start in expected.items():
        (line,) = [ln for ln in lines if str(src / "hostile" / name) in _failed_documents(ln)]
        assert start in line, line
    written = {p.parent.name for p in out.rglob("*.en.docx")}
    assert {f"good--s-{suffix[1:]}" for suffix in samples} <= written  # the good ones
    for path in broken:  # a broken file either failed in its line or was read and written
        assert (str(path) in named) != (f"broken--{path.stem}-{path.suffix[1:]}" in written)


def test_every_importer_gives_its_one_line_error_on_random_and_cut_files(tmp_path: Path) -> None:
    import random

    from pipeline.errors import PipelineError
    from pipeline.glossary.exchange import read_entries
    from pipeline.glossary.schema import parse_glossary
    from pipeline.memory import TranslationMemory, import_tmx_detailed
    from pipeline.review.xliff import read_xliff

    rng = random.Random(21)
    tmx = write_tmx(tmp_path / "ok.tmx", 30).read_bytes()
    xlf = write_xliff_units(tmp_path / "ok.xlf", 30).read_bytes()
    tbx = (b'<?xml version="1.0"?><martif type="TBX"><text><body><termEntry id="t1">'
           b'<langSet xml:lang="en"><tig><term>union</term></tig></langSet>'
           b'<langSet xml:lang="es"><tig><term>sindicato</term></tig></langSet>'
           b"</termEntry></body></text></martif>")  # fmt: skip
    samples = {".tmx": tmx, ".xlf": xlf, ".tbx": tbx, ".csv": b"en,es\nunion,sindicato\n"}
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        importers = {
            ".tmx": lambda path: import_tmx_detailed(memory, path),
            ".xlf": read_xliff,
            ".tbx": read_entries,
            ".csv": read_entries,
        }
        for suffix, data in samples.items():
            for i in range(8):
                path = tmp_path / f"x{i}{suffix}"
                cut = data[: rng.randint(0, len(data) - 1)]
                path.write_bytes(rng.randbytes(rng.randint(0, 3000)) if i % 2 else cut)
                try:
                    importers[suffix](path)
                except PipelineError as exc:
                    assert str(exc) and "\n" not in str(exc), (path, exc)
    glossary = b"version: 1\nterms:\n  - {en: union, es: sindicato}\n"
    for i in range(20):
        text = (glossary[: rng.randint(0, len(glossary))] + rng.randbytes(i * 10)).decode(
            "utf-8", "replace"
        )
        _, problems = parse_glossary(text)
        assert all("\n" not in p.format("g.yml") for p in problems)


# --- one list of every reader's and importer's bounds, in code and in the README -----------


def test_every_reader_and_importer_is_in_the_one_list_of_bounds() -> None:
    import dataclasses

    from pipeline.ingest import READERS
    from pipeline.ingest.limits import IMPORTER_BOUNDS, READER_BOUNDS

    assert set(READER_BOUNDS) == set(READERS)
    fields = {f.name for f in dataclasses.fields(Limits)}
    rows = [*READER_BOUNDS.values(), *IMPORTER_BOUNDS.values()]
    for row in rows:
        assert row.size and set(row.size) <= fields, row
        assert row.depth.startswith("fixed: ") or row.depth in fields, row
        assert row.outside_files, row
    used = {name for row in rows for name in (*row.size, row.depth)}
    assert fields <= used  # no limit that bounds nothing
    for name in ("tmx", "xliff", "review-docx", "omegat", "tbx", "csv", "yaml"):
        assert name in IMPORTER_BOUNDS


def test_the_readme_lists_every_limit_and_every_reader() -> None:
    import dataclasses

    from pipeline.ingest.limits import IMPORTER_BOUNDS, READER_BOUNDS
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(Limits):
        assert f"| `{Limits.variable(f.name)}` | {f.default} |" in readme
    for row in [*READER_BOUNDS.values(), *IMPORTER_BOUNDS.values()]:
        assert f"| {row.name} |" in readme, row.name


def test_omegat_project_tmx_is_read_within_the_unit_limit(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from pipeline.review import omegat
    from pipeline.review.sidecar import ReviewError

    path = write_tmx(tmp_path / "project_save.tmx", 5)
    assert len(omegat._read_tmx(path, "en", "es")) == 5
    monkeypatch.setenv("PIPELINE_MAX_IMPORT_UNITS", "3")
    with pytest.raises(ReviewError, match=r"^project_save.tmx: more than 3 units \(limit"):
        omegat._read_tmx(path, "en", "es")
