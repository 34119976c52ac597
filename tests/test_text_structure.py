"""Plain-text structure as statements are really written (issue 15): a title line with no
blank line after it, whitespace-only lines, paragraphs that start with an indent (spaces or
the ideographic space U+3000, the Japanese way), and the leaflets made from such a file."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.ingest import read_document
from pipeline.ingest.text import read_text
from pipeline.leaflet import write_leaflet
from pipeline.leaflet.config import load_config

REPO = Path(__file__).resolve().parents[1]

# Laid out like the Japanese UDHR and much Japanese plain text: a title line, an indented
# subtitle right under it, then indented paragraphs, some wrapped, a whitespace-only line.
JAPANESE = (
    "『鉱山労働者に自由を』\n"
    "　　（2026年11月20日　労働者連帯委員会声明）\n"
    "　９月初め、カサパルカ鉱山の労働組合書記長が警察に逮捕された。\n"
    "さらに二人の指導者も投獄された。\n"
    "　この弾圧は組合を破壊するためのものである。私たちは即時釈放を求める。\n"
    "\u3000 \t\n"
    "　国境を越えて団結しよう！\n"
)


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in read_text(text)]


def test_short_first_line_is_the_title_without_a_blank_line_after_it() -> None:
    blocks = kinds_and_texts(
        "Free the Casapalca miners\n"
        "The police arrested three union leaders in September. They are still in jail.\n"
        "We demand their release.\n"
    )
    assert blocks[0] == ("title", "Free the Casapalca miners")
    assert blocks[1][0] == "paragraph" and blocks[1][1].startswith("The police arrested")


@pytest.mark.parametrize(
    "text",
    [
        "Not a title\nbecause the paragraph goes on.\n\nSecond.",  # lower case goes on
        "In September, the police,\nwithout any warning, arrested the leaders.\n",  # a comma
        "The police arrested three union leaders in September and\n"
        "they are still in jail without any trial at all.\n",  # as long as the next line
    ],
)
def test_a_sentence_that_goes_on_is_not_a_title(text: str) -> None:
    assert read_text(text)[0].kind == "paragraph"


def test_whitespace_only_lines_count_as_blank() -> None:
    blocks = kinds_and_texts("Title\n   \nFirst paragraph.\n\u3000\t \nSecond paragraph.\n")
    assert blocks == [
        ("title", "Title"),
        ("paragraph", "First paragraph."),
        ("paragraph", "Second paragraph."),
    ]


def test_an_indented_line_starts_a_new_paragraph_and_japanese_lines_join_without_spaces() -> None:
    blocks = kinds_and_texts(JAPANESE)
    assert blocks == [
        ("title", "『鉱山労働者に自由を』"),
        ("subtitle", "（2026年11月20日　労働者連帯委員会声明）"),
        (
            "paragraph",
            "９月初め、カサパルカ鉱山の労働組合書記長が警察に逮捕された。"
            "さらに二人の指導者も投獄された。",
        ),
        ("paragraph", "この弾圧は組合を破壊するためのものである。私たちは即時釈放を求める。"),
        ("paragraph", "国境を越えて団結しよう！"),
    ]
    latin = kinds_and_texts("Title\n\n    First paragraph\nwraps here.\n    Second one.\n")
    assert latin[1:] == [("paragraph", "First paragraph wraps here."), ("paragraph", "Second one.")]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_a4_and_a5_leaflets_of_such_a_file_share_its_title_as_headline(tmp_path: Path) -> None:
    """The file name ("udhr-ja.ja") was the headline, and A4 and A5 differed."""
    source = tmp_path / "udhr-ja.txt"
    source.write_text(JAPANESE, encoding="utf-8")
    doc = read_document(source)
    doc.lang = "ja"
    config = load_config(REPO / "leaflet.yml")
    for layout in ("leaflet-a5", "leaflet-a4"):
        result = write_leaflet(doc, tmp_path / f"{layout}.pdf", layout, config, lang="ja")
        front = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(result.path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        squashed = re.sub(r"\s", "", front)
        assert "udhr" not in squashed, layout
        assert "『鉱山労働者に自由を』" in squashed, layout
        assert result.notes == (), layout  # the file has a title: nothing to say
