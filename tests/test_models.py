"""Argos model management: install from files and from an index, refusal of bad packages."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import doctor
from pipeline.engines import argos_packages as models
from tests.fixtures import argos_models as fx

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Argos packages folder, selected the way users select it (ARGOS_PACKAGES_DIR)."""
    folder = tmp_path / "argos-packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder))
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")  # nothing listens there
    return folder


def snapshot(folder: Path) -> dict[str, int]:
    """Every file under folder with its size: to prove nothing changed."""
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def rezip(source: Path, target: Path, edit) -> Path:  # noqa: ANN001
    """Copy a package zip entry by entry through ``edit(name, data) -> list[(name, data)]``."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            for name, data in edit(info.filename, src.read(info)):
                dst.writestr(name, data)
    return target


def test_install_file_list_and_remove(packages: Path) -> None:
    model = models.install_file(fx.cached_package("en", "es"))
    assert (model.from_code, model.to_code, model.version) == ("en", "es", "1.0")
    assert model.path.parent == packages
    assert model.package_id == "argos-en-es"
    assert model.size_bytes > 100_000
    models.install_file(fx.cached_package("es", "en"))
    models.install_file(fx.cached_package("en", "ja"))
    pairs = [(m.from_code, m.to_code) for m in models.installed_models()]
    assert pairs == [("en", "es"), ("en", "ja"), ("es", "en")]
    assert models.pivot_pairs(models.installed_models()) == [("es", "ja")]
    assert [m.package_id for m in models.find_route("es", "ja")] == ["argos-es-en", "argos-en-ja"]
    assert models.find_route("ja", "es") is None

    removed = models.remove("en", "es")
    assert [m.package_id for m in removed] == ["argos-en-es"]
    assert not model.path.exists()
    with pytest.raises(models.ModelError, match="no Argos model en→es"):
        models.remove("en", "es")


def test_argostranslate_sees_our_installs(packages: Path) -> None:
    from argostranslate.package import get_installed_packages

    models.install_file(fx.cached_package("en", "es"))
    found = get_installed_packages(path=[packages])
    assert [(p.from_code, p.to_code) for p in found] == [("en", "es")]
    assert not [p for p in packages.parent.iterdir() if p.name.startswith(".pipeline-models")]


def test_newer_package_replaces_the_installed_one(packages: Path, tmp_path: Path) -> None:
    models.install_file(fx.cached_package("en", "es"))
    newer = fx.build_package("en", "es", tmp_path, version="1.1")
    models.install_file(newer)
    installed = models.installed_models()
    assert [(m.package_id, m.version) for m in installed] == [("argos-en-es", "1.1")]
    assert [p.name for p in packages.iterdir()] == ["translate-en_es-1_1"]


def _bad_packages(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = fx.cached_package("en", "ja")
    folder = fx.package_folder_name("en", "ja")
    cases: dict[str, tuple[Path, str]] = {}

    cases["missing"] = (tmp_path / "nowhere.argosmodel", "no such file")
    not_zip = tmp_path / "not-zip.argosmodel"
    not_zip.write_bytes(b"PK\x03\x04 this is not really a zip" * 10)
    cases["not a zip"] = (not_zip, "not a zip archive")
    truncated = tmp_path / "truncated.argosmodel"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases["truncated"] = (truncated, "not a zip archive")

    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo(f"{folder}/model/model.bin")
    middle = info.header_offset + 200 + info.compress_size // 2
    data[middle] ^= 0xFF
    corrupt = tmp_path / "corrupt.argosmodel"
    corrupt.write_bytes(bytes(data))
    cases["corrupt"] = (corrupt, "corrupt zip archive")

    cases["no metadata"] = (
        rezip(
            good,
            tmp_path / "nometa.argosmodel",
            lambda n, d: [] if n.endswith("metadata.json") else [(n, d)],
        ),
        "no metadata.json",
    )
    sbd_meta = json.dumps({**fx.metadata("en", "ja"), "type": "sbd"})
    cases["wrong type"] = (
        rezip(
            good,
            tmp_path / "sbd.argosmodel",
            lambda n, d: [(n, sbd_meta if n.endswith("metadata.json") else d)],
        ),
        "package type is 'sbd'",
    )
    cases["bad json"] = (
        rezip(
            good,
            tmp_path / "badjson.argosmodel",
            lambda n, d: [(n, b"{not json" if n.endswith("metadata.json") else d)],
        ),
        "metadata.json is not valid JSON",
    )
    cases["zip slip"] = (
        rezip(
            good,
            tmp_path / "slip.argosmodel",
            lambda n, d: (
                [(n, d)]
                + ([(f"{folder}/../../evil.sh", b"rm -rf ~")] if n.endswith("README.md") else [])
            ),
        ),
        "outside the package folder",
    )
    cases["absolute path"] = (
        rezip(
            good,
            tmp_path / "absolute.argosmodel",
            lambda n, d: [(n, d)] + ([("/tmp/evil.sh", b"x")] if n.endswith("README.md") else []),
        ),
        "outside the package folder",
    )
    link = tmp_path / "link.argosmodel"
    rezip(good, link, lambda n, d: [(n, d)])
    with zipfile.ZipFile(link, "a") as archive:
        entry = zipfile.ZipInfo(f"{folder}/model/escape")
        entry.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(entry, "../../../../etc/passwd")
    cases["symlink"] = (link, "symbolic link")
    cases["two folders"] = (
        rezip(
            good,
            tmp_path / "two.argosmodel",
            lambda n, d: [(n, d)] + ([("other/file.txt", b"x")] if n.endswith("README.md") else []),
        ),
        "one top-level folder",
    )
    cases["no model"] = (
        rezip(
            good, tmp_path / "nomodel.argosmodel", lambda n, d: [] if "/model/" in n else [(n, d)]
        ),
        "model/model.bin",
    )
    cases["no sentencepiece"] = (
        rezip(
            good,
            tmp_path / "nosp.argosmodel",
            lambda n, d: [] if n.endswith("sentencepiece.model") else [(n, d)],
        ),
        "no sentencepiece.model",
    )
    cases["garbage sentencepiece"] = (
        rezip(
            good,
            tmp_path / "garbagesp.argosmodel",
            lambda n, d: [(n, b"garbage" if n.endswith("sentencepiece.model") else d)],
        ),
        "not a SentencePiece model",
    )
    bomb = tmp_path / "bomb.argosmodel"
    rezip(good, bomb, lambda n, d: [(n, d)])
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/padding.bin", b"\0" * (64 * 1024 * 1024))
    cases["zip bomb"] = (bomb, "zip bomb")
    return cases


def test_bad_packages_are_refused_and_installed_models_untouched(
    packages: Path, tmp_path: Path
) -> None:
    models.install_file(fx.cached_package("en", "es"))
    before = snapshot(packages)
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    for case, (path, expected) in _bad_packages(bad_dir).items():
        with pytest.raises(models.ModelError) as caught:
            models.install_file(path)
        message = str(caught.value)
        assert expected in message, case
        assert str(path) in message and "\n" not in message, case
        assert snapshot(packages) == before, case
        assert not (tmp_path / "evil.sh").exists() and not Path("/tmp/evil.sh").exists()
    assert not [p for p in packages.parent.iterdir() if p.name.startswith(".pipeline-models")]


def test_absurd_uncompressed_size_is_refused(
    packages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    with pytest.raises(models.ModelError, match="uncompressed size .* is absurd"):
        models.install_file(fx.cached_package("en", "es"))
    assert models.installed_models() == []


# --- index ---------------------------------------------------------------------------------


class IndexServer:
    """A local Argos index: /index.json plus the package files, on 127.0.0.1."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def index_server(packages: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexServer]:
    server = IndexServer({})
    entries = []
    for src, tgt in models.DEFAULT_PAIRS:
        data = fx.cached_package(src, tgt).read_bytes()
        name = f"/translate-{src}_{tgt}-1_0.argosmodel"
        server.files[name] = data
        entries.append(
            {
                **fx.metadata(src, tgt),
                "links": [server.url.rstrip("/") + name],
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    entries.append({**fx.metadata("en", "xx"), "type": "sbd", "links": []})  # ignored
    server.files["/index.json"] = json.dumps(entries).encode()
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", server.url)
    yield server
    server.close()


def test_install_from_index_verifies_and_installs(index_server: IndexServer) -> None:
    seen: list[int] = []
    model = models.install_from_index("en", "es", progress=lambda done, total: seen.append(done))
    assert (model.package_id, model.version) == ("argos-en-es", "1.0")
    assert seen and seen[-1] == len(index_server.files["/translate-en_es-1_0.argosmodel"])
    assert index_server.requests == ["/index.json", "/translate-en_es-1_0.argosmodel"]
    with pytest.raises(models.ModelError, match="has no model es→ja"):
        models.install_from_index("es", "ja")


def test_install_from_index_refuses_checksum_and_size_mismatch(
    index_server: IndexServer, packages: Path
) -> None:
    entries = json.loads(index_server.files["/index.json"])
    entries[0]["sha256"] = "0" * 64
    entries[1]["size"] = 12
    index_server.files["/index.json"] = json.dumps(entries).encode()
    with pytest.raises(models.ModelError, match="checksum does not match"):
        models.install_from_index(entries[0]["from_code"], entries[0]["to_code"])
    with pytest.raises(models.ModelError, match="sent more than the 12 bytes the index announces"):
        models.install_from_index(entries[1]["from_code"], entries[1]["to_code"])
    assert models.installed_models() == []
    assert snapshot(packages) == {}


def test_install_defaults_from_index_then_idempotent(index_server: IndexServer) -> None:
    lines = models.install_default_models()
    assert lines == [
        "en→es: installed argos-en-es 1.0",
        "es→en: installed argos-es-en 1.0",
        "en→ja: installed argos-en-ja 1.0",
        "ja→en: installed argos-ja-en 1.0",
    ]
    requests = len(index_server.requests)
    again = models.install_default_models()
    assert all("already installed" in line for line in again) and len(again) == 4
    assert len(index_server.requests) == requests  # nothing fetched when all are there


def test_install_defaults_offline_says_so_in_one_line(packages: Path) -> None:
    models.install_file(fx.cached_package("en", "es"))
    lines = models.install_default_models()
    assert len(lines) == 1
    assert "cannot reach the Argos package index http://127.0.0.1:9/index.json" in lines[0]
    assert "continuing with the installed Argos models (en→es)" in lines[0]


def test_doctor_lines_name_the_missing_directions(packages: Path) -> None:
    lines = doctor.argos_lines()
    assert len(lines) == 6 and not any(ok for _, ok, _ in lines)
    assert (
        "es→ja (direct or through en)",
        False,
        "pipeline models install es en && pipeline models install en ja",
    ) in lines
    assert ("ja→en", False, "pipeline models install ja en") in lines
    for src, tgt in (("en", "es"), ("es", "en"), ("en", "ja")):
        models.install_file(fx.cached_package(src, tgt))
    result = {name.split(" ")[0]: (name, ok, fix) for name, ok, fix in doctor.argos_lines()}
    assert result["es→ja"] == ("es→ja through en (argos-es-en 1.0, argos-en-ja 1.0)", True, "")
    assert result["en→es"] == ("en→es (argos-en-es 1.0)", True, "")
    assert result["ja→en"] == ("ja→en", False, "pipeline models install ja en")
    assert result["ja→es"][1:] == (False, "pipeline models install ja en")


# --- the known-bad list -------------------------------------------------------------------


@pytest.fixture
def bad_es_en(tmp_path: Path) -> Path:
    """An es→en package claiming version 1.9, the broken release on the known-bad list."""
    return fx.build_package("es", "en", tmp_path, version="1.9")


@pytest.fixture
def index_with_bad_version(
    packages: Path, bad_es_en: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IndexServer]:
    """An index offering es→en 1.0 and 1.9 (1.9 listed first, as the newest)."""
    server = IndexServer({})
    entries = []
    for version, path in (("1.9", bad_es_en), ("1.0", fx.cached_package("es", "en"))):
        data = path.read_bytes()
        name = f"/translate-es_en-{version.replace('.', '_')}.argosmodel"
        server.files[name] = data
        entries.append(
            {
                **fx.metadata("es", "en", version),
                "links": [server.url.rstrip("/") + name],
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    server.files["/index.json"] = json.dumps(entries).encode()
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", server.url)
    yield server
    server.close()


def test_index_install_skips_the_known_bad_version(index_with_bad_version: IndexServer) -> None:
    entry, skipped = models.choose_from_index(models.fetch_index(), "es", "en")
    assert entry.version == "1.0"
    assert [s.entry.version for s in skipped] == ["1.9"]
    assert skipped[0].line().startswith("es→en: skipped translate-es_en 1.9 (known bad: ")
    assert "argos-translate/issues/504" in skipped[0].line()
    model = models.install_from_index("es", "en")
    assert (model.package_id, model.version) == ("argos-es-en", "1.0")
    assert "/translate-es_en-1_9.argosmodel" not in index_with_bad_version.requests


def test_defaults_say_which_version_they_skipped(index_with_bad_version: IndexServer) -> None:
    lines = models.install_default_models(pairs=(("es", "en"),))
    assert len(lines) == 2
    assert lines[0].startswith("es→en: skipped translate-es_en 1.9 (known bad: ")
    assert "mainstremainstre" in lines[0]
    assert lines[1] == "es→en: installed argos-es-en 1.0"


def test_index_with_only_bad_versions_installs_nothing(
    index_with_bad_version: IndexServer, packages: Path
) -> None:
    entries = [e for e in models.fetch_index() if e.version == "1.9"]
    with pytest.raises(models.ModelError, match="only known-bad es→en models"):
        models.install_from_index("es", "en", entries)
    assert models.installed_models() == []


def test_known_bad_file_needs_force_and_doctor_flags_it(packages: Path, bad_es_en: Path) -> None:
    with pytest.raises(models.ModelError) as caught:
        models.install_file(bad_es_en)
    message = str(caught.value)
    assert "translate-es_en 1.9 is a known-bad model" in message
    assert "nothing was installed (add --force to install it anyway)" in message
    assert models.installed_models() == []
    assert doctor.known_bad_lines() == []

    model = models.install_file(bad_es_en, force=True)
    assert (model.package_id, model.version) == ("argos-es-en", "1.9")
    [(name, why, fix)] = doctor.known_bad_lines()
    assert name == "es→en: argos-es-en 1.9 is known bad"
    assert "argos-translate/issues/522" in why
    assert fix == "pipeline models install es en"
    flagged = [c for c in doctor.run_checks() if c.name == f"Argos {name}"]
    assert len(flagged) == 1 and not flagged[0].ok


@pytest.mark.slow
def test_cli_skips_and_refuses_known_bad(
    index_with_bad_version: IndexServer, bad_es_en: Path
) -> None:
    env = {
        "ARGOS_PACKAGES_DIR": os.environ["ARGOS_PACKAGES_DIR"],
        "ARGOS_PACKAGE_INDEX": index_with_bad_version.url,
    }
    refused = run_cli("install", str(bad_es_en), env=env)
    assert refused.returncode == 1 and "add --force" in refused.stderr
    forced = run_cli("install", "--force", str(bad_es_en), env=env)
    assert forced.returncode == 0, forced.stderr
    assert "pipeline: warning: installed argos-es-en 1.9, a known-bad model" in forced.stderr

    done = run_cli("install", "es", "en", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("es→en: skipped translate-es_en 1.9 (known bad: ")
    assert lines[1] == "installed es→en: argos-es-en 1.0"


# --- the command line, in a subprocess with its own environment ---------------------------


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "models", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_cli_install_list_remove(tmp_path: Path) -> None:
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk"), "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/"}
    files = [str(fx.cached_package(s, t)) for s, t in (("en", "es"), ("es", "en"), ("en", "ja"))]
    done = run_cli("install", *files, env=env)
    assert done.returncode == 0, done.stderr
    assert "installed es→en: argos-es-en 1.0" in done.stdout

    listing = run_cli("list", "--json", env=env)
    data = json.loads(listing.stdout)
    assert data["packages_dir"] == env["ARGOS_PACKAGES_DIR"]
    assert [(m["from"], m["to"], m["version"]) for m in data["models"]] == [
        ("en", "es", "1.0"),
        ("en", "ja", "1.0"),
        ("es", "en", "1.0"),
    ]
    assert data["pivot"] == [{"from": "es", "to": "ja", "via": "en"}]
    text = run_cli("list", env=env).stdout
    assert "en→ja  argos-en-ja" in text and "Through en: es→ja" in text

    bad = tmp_path / "bad.argosmodel"
    bad.write_text("not a model")
    refused = run_cli("install", str(bad), files[0], env=env)
    assert refused.returncode == 1
    assert (
        refused.stderr.strip()
        == f"pipeline: {bad}: not an Argos model (not a zip archive); nothing was installed"
    )
    assert "Traceback" not in refused.stderr

    offline = run_cli("install", "--defaults", env=env)
    assert offline.returncode == 0
    assert (
        offline.stdout.count("\n") == 1 and "cannot reach the Argos package index" in offline.stdout
    )

    unreachable = run_cli("install", "ja", "en", env=env)
    assert unreachable.returncode == 1 and unreachable.stderr.count("\n") == 1

    removed = run_cli("remove", "en", "es", "--json", env=env)
    assert json.loads(removed.stdout)["removed"][0]["package"] == "argos-en-es"
    again = run_cli("remove", "en", "es", env=env)
    assert again.returncode == 1 and "no Argos model en→es is installed" in again.stderr

    usage = run_cli("install", "en", env=env)
    assert usage.returncode == 2


def test_importing_argostranslate_and_ours_opens_no_connection(tmp_path: Path) -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('network connection attempted')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import sys\n"
        "import pipeline.engines.argos_packages, pipeline.engines.argos, pipeline.cli\n"
        "pipeline.engines.argos_packages.installed_models()\n"
        "assert 'argostranslate.translate' not in sys.modules\n"
        "assert 'onnxruntime' not in sys.modules\n"
        "import argostranslate.settings, argostranslate.package, argostranslate.translate\n"
        "print('ok')\n"
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("ARGOS_PACKAGES_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    # onnxruntime (imported by argostranslate.translate, never by us) writes a device id file;
    # nothing may be downloaded (sentence splitter models, packages, index).
    downloaded = [
        p for p in (tmp_path / "cache").rglob("*") if p.is_file() and "Microsoft" not in p.parts
    ]
    assert downloaded == []
    assert not (tmp_path / "data" / "argos-translate" / "index.json").exists()
    assert not list((tmp_path / "data" / "argos-translate").glob("minisbd/*"))
