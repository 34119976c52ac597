"""The source's page count for page fit (issue 26): from the file's own statistics when Word
or LibreOffice saved them for its text, so the source is not laid out a second time; from
LibreOffice's layout of the source when the figures are absent, a template's, stale, or lower
than the translation's pages; and that layout remembered per file for the next run."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from pipeline import inplace
from pipeline.export import layout_cache, libreoffice, page_fit
from pipeline.inplace.stated_pages import stated_pages
from tests.conftest import requires
from tests.fixtures import office

SENTENCE = "Everyone has the right to life, liberty and security of person."
WORD_APP_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<Template>Normal.dotm</Template><TotalTime>12</TotalTime><Pages>{pages}</Pages>
<Words>{words}</Words><Characters>{characters}</Characters>
<Application>{application}</Application><DocSecurity>0</DocSecurity><Lines>9</Lines>
<Paragraphs>{paragraphs}</Paragraphs><ScaleCrop>false</ScaleCrop><Company></Company>
<LinksUpToDate>false</LinksUpToDate><CharactersWithSpaces>{with_spaces}</CharactersWithSpaces>
<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>
<AppVersion>16.0000</AppVersion></Properties>"""


def _statement(path: Path, paragraphs: int) -> list[str]:
    """A python-docx statement of ``paragraphs`` paragraphs (its template's statistics:
    1 page, 0 characters); its texts."""
    texts = [f"{n + 1}. {SENTENCE}" for n in range(paragraphs)]
    document = docx.Document()
    header = document.sections[0].header.paragraphs[0]
    header.text = "Miners' Solidarity Network"
    for text in texts:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return texts


def _as_word_saved(path: Path, texts: list[str], pages: int, application: str) -> Path:
    """``path`` with the statistics Word writes when it saves (body text only, as Word
    counts it): ``pages`` pages, the characters of ``texts``."""
    characters = sum(len(re.sub(r"\s", "", t)) for t in texts)
    app = WORD_APP_XML.format(
        pages=pages,
        words=sum(len(t.split()) for t in texts),
        characters=characters,
        application=application,
        paragraphs=len(texts),
        with_spaces=sum(len(t) for t in texts),
    )
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = app.encode() if info.filename == "docProps/app.xml" else zin.read(info)
            zout.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def test_python_docx_template_figures_are_not_believed(tmp_path: Path) -> None:
    path = tmp_path / "statement.docx"
    _statement(path, 12)
    app = zipfile.ZipFile(path).read("docProps/app.xml").decode()
    assert "<Pages>1</Pages>" in app and "<Characters>0</Characters>" in app
    assert stated_pages(path, "docx") is None


def test_pandoc_reference_figures_are_not_believed(tmp_path: Path) -> None:
    """pandoc's reference.docx carries "Microsoft Word 12.0.0", 1 page, 475 characters."""
    import pypandoc

    path = tmp_path / "statement.docx"
    pypandoc.convert_text(f"# Statement\n\n{SENTENCE}\n", "docx", "markdown", outputfile=str(path))
    assert "<Pages>1</Pages>" in zipfile.ZipFile(path).read("docProps/app.xml").decode()
    assert stated_pages(path, "docx") is None


@pytest.mark.parametrize("application", ["Microsoft Office Word", "Microsoft Macintosh Word"])
def test_word_statistics_for_the_text_are_believed(tmp_path: Path, application: str) -> None:
    path = tmp_path / "statement.docx"
    texts = _statement(path, 12)
    assert stated_pages(_as_word_saved(path, texts, 3, application), "docx") == 3


LIBREOFFICE = "LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2"


@pytest.mark.parametrize(("stated", "believed"), [(3, 3), (4, 4), (6, None)])
def test_libreoffice_counts_past_four_pages_are_not_believed(
    tmp_path: Path, stated: int, believed: int | None
) -> None:
    """A headless LibreOffice saves before its layout is done: 6 pages stated for 5."""
    path = tmp_path / "statement.docx"
    texts = _statement(path, 12)
    assert stated_pages(_as_word_saved(path, texts, stated, LIBREOFFICE), "docx") == believed


def test_figures_of_another_text_are_not_believed(tmp_path: Path) -> None:
    """Saved by Word, then edited by a tool that does not count (the text grew by half)."""
    path = tmp_path / "statement.docx"
    texts = _statement(path, 30)
    assert (
        stated_pages(_as_word_saved(path, texts[:20], 1, "Microsoft Office Word"), "docx") is None
    )


@pytest.mark.parametrize("application", ["python-docx", "Pandoc", ""])
def test_figures_of_applications_that_do_not_lay_out_are_not_believed(
    tmp_path: Path, application: str
) -> None:
    path = tmp_path / "statement.docx"
    texts = _statement(path, 12)
    assert stated_pages(_as_word_saved(path, texts, 1, application), "docx") is None


def test_no_statistics_or_a_damaged_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "statement.docx"
    _statement(path, 3)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename != "docProps/app.xml":
                zout.writestr(info, zin.read(info))
    path.write_bytes(out.getvalue())
    assert stated_pages(path, "docx") is None
    (tmp_path / "broken.odt").write_bytes(b"PK\x03\x04 not a zip")
    assert stated_pages(tmp_path / "broken.odt", "odt") is None


def test_the_layout_cache_keeps_a_count_per_file_and_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(layout_cache.ENV_VAR, str(tmp_path / "cache" / "layout.sqlite3"))
    assert layout_cache.remembered_pages("ab" * 32, "lo-1") is None
    layout_cache.remember_pages("ab" * 32, "lo-1", 3)
    assert layout_cache.remembered_pages("ab" * 32, "lo-1") == 3
    assert layout_cache.remembered_pages("ab" * 32, "lo-2") is None  # another LibreOffice
    monkeypatch.setenv(layout_cache.ENV_VAR, str(tmp_path / "cache"))  # a folder: passed by
    layout_cache.remember_pages("ab" * 32, "lo-1", 3)
    assert layout_cache.remembered_pages("ab" * 32, "lo-1") is None


# --- with LibreOffice ---------------------------------------------------------------------

needs_libreoffice = pytest.mark.usefixtures("running_office")
requires_soffice = requires("soffice")


@pytest.fixture(scope="module")
def running_office() -> Iterator[None]:
    """One LibreOffice for the module's conversions."""
    with libreoffice.serving(1):
        yield


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The names of the packages ``page_fit`` has LibreOffice lay out (``source``,
    ``translated``, ``s0.97``...), with a fresh page-count cache."""
    monkeypatch.setenv(layout_cache.ENV_VAR, str(tmp_path / "layout.sqlite3"))
    names: list[str] = []
    laid_out = page_fit._layout

    def counting(package: bytes, suffix: str, folder: Path, name: str) -> bytes:
        names.append(name)
        return laid_out(package, suffix, folder, name)

    monkeypatch.setattr(page_fit, "_layout", counting)
    return names


def _fit(path: Path, out: Path) -> page_fit.PageFit:
    """The source's own text written as its translation, its PDF fitted (``out``)."""
    source = inplace.read(path)
    return page_fit.write_fitted_pdf(source.skeleton, source.document, "en", out, None)


def _saved_by_libreoffice(path: Path, folder: Path) -> Path:
    """``path`` saved again by LibreOffice as DOCX (through ODT: its headless DOCX to DOCX
    keeps the statistics it read)."""
    odt = office.to_format(path, "odt", folder / "odt")
    saved = office.to_format(odt, "docx", folder / "docx")
    shutil.rmtree(folder / "odt")
    return saved


@pytest.mark.slow
@requires_soffice
@needs_libreoffice
def test_a_letterhead_saved_by_libreoffice_is_laid_out_once(
    tmp_path: Path, layouts: list[str]
) -> None:
    """Header with logo, footer with a PAGE field, photo, table: its statistics say 1 page."""
    letter = _saved_by_libreoffice(office.letterhead_docx(tmp_path / "letter.docx"), tmp_path)
    assert stated_pages(letter, "docx") == 1
    fit = _fit(letter, tmp_path / "letter.pdf")
    assert (fit.source, fit.translated, fit.font_scale) == (1, 1, 1.0)
    assert layouts == ["translated"]  # the source is not laid out to learn what it states
    assert page_fit.pages_entry(tmp_path / "letter.pdf") == fit.as_json()


@pytest.mark.slow
@requires_soffice
@needs_libreoffice
def test_libreoffice_odt_statistics_match_its_layout(tmp_path: Path) -> None:
    _statement(tmp_path / "two.docx", 40)
    odt = office.to_format(tmp_path / "two.docx", "odt", tmp_path)
    libreoffice.write_pdf(odt, tmp_path / "two.pdf")
    assert stated_pages(odt, "odt") == page_fit.count_pages((tmp_path / "two.pdf").read_bytes())
    assert stated_pages(odt, "odt") == 2


@pytest.mark.slow
@requires_soffice
@needs_libreoffice
def test_a_stated_count_below_the_translation_is_checked_by_laying_out(
    tmp_path: Path, layouts: list[str]
) -> None:
    """Word said 1 page (its fonts, or a figure from before the last edits); LibreOffice lays
    the source out on 2: the translation on 2 did not grow, and is not made smaller."""
    path = tmp_path / "long.docx"
    texts = _statement(path, 40)
    _as_word_saved(path, texts, 1, "Microsoft Office Word")
    assert stated_pages(path, "docx") == 1
    fit = _fit(path, tmp_path / "long.pdf")
    assert (fit.source, fit.translated, fit.font_scale) == (2, 2, 1.0)
    assert layouts == ["translated", "source"]


@pytest.mark.slow
@requires_soffice
@needs_libreoffice
def test_a_template_figure_is_laid_out_once_and_remembered(
    tmp_path: Path, layouts: list[str]
) -> None:
    """python-docx's "1 page": the source is laid out (2 pages), and not again next time."""
    path = tmp_path / "long.docx"
    _statement(path, 40)
    first = _fit(path, tmp_path / "first.pdf")
    assert (first.source, first.translated, first.font_scale) == (2, 2, 1.0)
    assert layouts == ["translated", "source"]
    sha256 = inplace.read(path).skeleton.sha256
    binary = libreoffice.soffice_binary()
    assert binary is not None
    assert layout_cache.remembered_pages(sha256, layout_cache.layout_key(binary)) == 2
    layouts.clear()
    second = _fit(path, tmp_path / "second.pdf")
    assert second == first and layouts == ["translated"]


@pytest.mark.slow
@requires_soffice
@requires("apertium")
def test_a_second_run_takes_the_count_from_the_cache(cli, tmp_path: Path) -> None:
    """Through the CLI: a source without a figure to believe is laid out on the first run;
    the second (``--force``) reads the count remembered for it (here altered to 3, so the
    report shows where it came from) instead of laying the source out again."""
    import json
    import sqlite3
    from contextlib import closing

    src = tmp_path / "docs" / "statement.docx"
    _statement(src, 5)
    args = ["translate", str(src.parent), "--to", "es", "--from", "en", "--engine", "apertium"]
    args += ["--formats", "pdf", "--no-glossary", "--json"]
    first = cli(*args, "--out", str(tmp_path / "one"))
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((tmp_path / "one" / "statement" / "report.json").read_text())
    assert report["targets"]["es"]["pages"]["source"] == 1
    with closing(sqlite3.connect(tmp_path / "layout.sqlite3")) as conn:  # the cli fixture's
        assert conn.execute("SELECT pages FROM source_pages").fetchall() == [(1,)]
        conn.execute("UPDATE source_pages SET pages = 3")
        conn.commit()
    second = cli(*args, "--out", str(tmp_path / "two"), "--force")
    assert second.returncode == 0, second.stdout + second.stderr
    report = json.loads((tmp_path / "two" / "statement" / "report.json").read_text())
    assert report["targets"]["es"]["pages"]["source"] == 3


@pytest.mark.slow
@requires_soffice
@requires("apertium")
def test_a_translation_longer_than_a_word_figure_is_still_fitted(cli, tmp_path: Path) -> None:
    """A full one-page letter Word says is 1 page: the Spanish runs onto a second page, the
    source is laid out to check (1 page) and the fonts step down to keep it on one, as for a
    file without statistics (tests/test_nothing_silent_cli.py)."""
    import json
    import sqlite3
    from contextlib import closing

    from tests.fixtures import written_by_others as wbo

    src = wbo.full_page_letter_docx(tmp_path / "docs" / "full.docx", 26)
    texts = [p.text for p in docx.Document(str(src)).paragraphs]
    _as_word_saved(src, texts, 1, "Microsoft Office Word")
    assert stated_pages(src, "docx") == 1
    done = cli(
        "translate", str(src.parent), "--to", "es", "--from", "en", "--engine", "apertium",
        "--formats", "docx,pdf", "--no-glossary", "--out", str(tmp_path / "out"), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "out" / "full" / "report.json").read_text())
    pages = report["targets"]["es"]["pages"]
    assert pages["source"] == pages["translated"] == 1
    assert pages["font_scale"] < 1.0 and "smaller" in pages["note"]
    with closing(sqlite3.connect(tmp_path / "layout.sqlite3")) as conn:  # laid out to check
        assert conn.execute("SELECT pages FROM source_pages").fetchall() == [(1,)]
