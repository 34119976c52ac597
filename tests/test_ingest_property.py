"""Property: whatever nested Markdown, HTML, text, bytes or damaged PDF is fed to ingest, it
returns a Document or raises ReadError with one line; never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import ReadError, read_document

WORDS = st.sampled_from(
    ["lucha", "miners", "労働者", "¡Alto!", "<g1>", "</x2>", "&amp;", "*", "_", "`", "[a](b)", ""]
)
TEXT = st.lists(WORDS, max_size=6).map(" ".join) | st.text(max_size=30)
MD_PREFIX = st.sampled_from(["> ", "- ", "1. ", "  ", "# ", "* ", "::: ", "| ", "    "])
HTML_TAG = st.sampled_from(
    ["div", "blockquote", "ul", "li", "ol", "p", "b", "i", "a", "table", "tr", "td", "span", "h2"]
)


@st.composite
def markdown(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        depth = draw(st.integers(0, 260))
        prefix = draw(MD_PREFIX)
        lines.append(prefix * depth + draw(TEXT))
    return "\n".join(lines)


@st.composite
def html(draw: st.DrawFn) -> str:
    tags = draw(st.lists(HTML_TAG, max_size=300))
    closed = draw(st.booleans())
    inner = draw(TEXT)
    opening = "".join(f"<{t}>" for t in tags)
    closing = "".join(f"</{t}>" for t in reversed(tags)) if closed else ""
    return f"<html><body>{opening}{inner}{closing}</body></html>"


PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        doc = read_document(path)
    except ReadError as exc:
        assert "\n" not in str(exc)
        return
    assert doc.blocks


@PROPERTY_SETTINGS
@given(content=markdown())
def test_random_nested_markdown(tmp_path: Path, content: str) -> None:
    _read(tmp_path / "random.md", content)


@PROPERTY_SETTINGS
@given(content=html())
def test_random_nested_html(tmp_path: Path, content: str) -> None:
    _read(tmp_path / "random.html", content)


@PROPERTY_SETTINGS
@given(content=st.binary(max_size=400) | markdown())
def test_random_text_and_bytes(tmp_path: Path, content: str | bytes) -> None:
    _read(tmp_path / "random.txt", content)


def _small_pdf() -> bytes:
    import tempfile

    import typst

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "s.typ"
        source.write_text("= Free the miners\n\nWe demand the release of the seven leaders.\n")
        return typst.compile(str(source))


PDF = _small_pdf()


@PROPERTY_SETTINGS
@given(
    flips=st.lists(st.tuples(st.integers(0, len(PDF) - 1), st.integers(0, 255)), max_size=30),
    cut=st.integers(16, len(PDF)),
)
def test_damaged_pdfs(tmp_path: Path, capsys, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(PDF)
    for position, value in flips:
        data[position] = value
    _read(tmp_path / "random.pdf", bytes(data[:cut]))
    assert capsys.readouterr().err == ""  # pdfminer's warnings become one note, not noise
