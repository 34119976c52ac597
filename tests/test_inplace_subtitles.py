"""SRT and WebVTT translated in place (issue 23): same cues, byte-identical timings, each cue's
translation in its cue, lines wrapped per language, header, NOTE/STYLE/REGION and settings kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import inplace
from pipeline.document import Document, Span
from pipeline.inplace import cuetext, subtitles
from pipeline.inplace.common import InplaceError, Text
from pipeline.segment import segment_document
from tests.fixtures import slides
from tests.fixtures.engines import BracketEngine
from tests.test_inplace_docx import translate

TIMING = re.compile(rb"^.*-->.*$", re.M)


@pytest.fixture
def srt(tmp_path: Path) -> Path:
    path = tmp_path / "talk.srt"
    path.write_bytes(slides.SRT.encode("cp1252"))
    return path


@pytest.fixture
def vtt(tmp_path: Path) -> Path:
    path = tmp_path / "talk.vtt"
    path.write_text(slides.VTT, encoding="utf-8")
    return path


def timings(data: bytes) -> list[bytes]:
    return [line.rstrip(b"\r") for line in TIMING.findall(data)]


def cue_texts(data: bytes, fmt: str) -> list[list[str]]:
    parsed = subtitles.parse(data.decode("utf-8-sig"), fmt)
    return [cue.lines for cue in parsed.cues]


def render(path: Path, engine: object, lang: str = "es") -> tuple[bytes, subtitles.SplitStats]:
    source = inplace.read(path)
    assert isinstance(source.skeleton, subtitles.SubtitleSkeleton)
    done = translate(source.document, engine, "en", lang)
    return subtitles.render_with_stats(source.skeleton, done, lang)


def test_parse_gives_the_text_back_exactly() -> None:
    for text, fmt in (
        (slides.SRT, "srt"),
        (slides.VTT, "vtt"),
        ("1\n0:00:01.5 --> 0:00:02.5\nhi", "srt"),
    ):
        parsed = subtitles.parse(text, fmt)
        joined = "".join(
            p if isinstance(p, str) else parsed.newline.join(parsed.cues[p].lines)
            for p in parsed.pieces
        )
        assert joined == text
    assert len(subtitles.parse(slides.SRT, "srt").cues) == 5
    assert len(subtitles.parse(slides.VTT, "vtt").cues) == 3


def test_srt_read_in_its_legacy_encoding_and_grouped(srt: Path) -> None:
    source = inplace.read(srt)
    doc = source.document
    assert doc.encoding == "cp1252"
    assert isinstance(source.skeleton, subtitles.SubtitleSkeleton)
    groups = [ref.cues for ref in source.skeleton.blocks]
    # the sentence across cues 1-2 is one block; the others stand alone
    assert groups == [(0, 1), (2,), (3,), (4,)]
    assert doc.blocks[1].text == "Café Solidarité, Lima"
    segments = [s.text for sb in segment_document(doc, "en") for s in sb.segments]
    assert segments[0] == (
        "<g1>The miners of Casapalca</g1> have been in prison<x2/> for two years, and their "
        "families are still waiting."
    )
    assert "- Free them!<x1/>" in segments


def test_identity_keeps_timings_settings_and_blocks(srt: Path, vtt: Path) -> None:
    for path, fmt in ((srt, "srt"), (vtt, "vtt")):
        source = inplace.read(path)
        same = Document(blocks=[b for b in source.document.blocks], lang="en")
        data = inplace.render(source.skeleton, same, "en")
        original = path.read_bytes()
        assert timings(data) == timings(original)
        assert len(cue_texts(data, fmt)) == len(
            cue_texts(original.decode(source.document.encoding or "utf-8").encode(), fmt)
        )
    text = inplace.render(inplace.read(vtt).skeleton, inplace.read(vtt).document, "en").decode()
    for kept in (
        "WEBVTT - Casapalca statement\nKind: captions\nLanguage: en\n\n",
        "STYLE\n::cue(.yellow) { color: yellow; }\n\n",
        "REGION\nid:bottom width:80% lines:2\n\n",
        "NOTE This file was made by the union's video team.\nIt has two speakers.\n\n",
        "NOTE the second speaker\n\n3\n",
        "intro\n00:01.000 --> 00:03.400 align:start position:10% line:85%\n",
        "&amp;",
        "<00:00:08.000>",
        "<c.yellow>without a trial</c>",
    ):
        assert kept in text, kept


def test_translated_srt_keeps_every_cue_in_its_place(srt: Path) -> None:
    data, stats = render(srt, BracketEngine())
    original = srt.read_bytes()
    assert timings(data) == timings(original)
    assert data.count(b"\r\n") >= original.count(b"\r\n") - 2  # CRLF kept
    assert b"\n" not in data.replace(b"\r\n", b"")
    cues = cue_texts(data, "srt")
    assert len(cues) == 5
    for lines in cues:
        assert 1 <= len(lines) <= 2
        assert all(len(re.sub(r"<[^>]*>|\{[^}]*\}", "", line)) <= 42 for line in lines), lines
        assert "⟦" in " ".join(lines)
    assert cues[0][0].startswith("<i>⟦The⟧")  # italics stay on the words that had them
    assert "⟦families⟧" in " ".join(cues[1]) and "⟦miners⟧" not in " ".join(cues[1])
    assert cues[2][0].startswith("{\\an8}⟦Café⟧")  # the override code stays first
    assert [line[:2] for line in cues[3]] == ["- ", "- "]  # the two speakers stay apart
    assert cues[4][0].startswith("<b>⟦We⟧")
    assert stats.by_markers == 1 and stats.by_length == 0
    assert data.decode("utf-8")  # written as UTF-8


def test_translated_vtt_keeps_header_voices_and_settings(vtt: Path) -> None:
    data, _ = render(vtt, BracketEngine())
    text = data.decode("utf-8")
    assert timings(data) == timings(vtt.read_bytes())
    assert text.startswith("WEBVTT - Casapalca statement\nKind: captions\nLanguage: en\n\nSTYLE\n")
    cues = cue_texts(data, "vtt")
    assert len(cues) == 3
    assert all(line.startswith("<v Ana>") for line in cues[0])  # a voice across a line break
    assert "&amp;" in " ".join(cues[0])
    assert "<c.yellow>⟦without⟧ ⟦a⟧ ⟦trial⟧</c>" in " ".join(cues[1])
    assert "<00:00:08.000>" in cues[2][0]


def test_lost_markers_put_back_in_proportion(srt: Path) -> None:
    """An engine that drops the cue marker: the rebuild puts it back at its relative place."""
    data, _ = render(srt, BracketEngine(drop_markers=True))
    cues = cue_texts(data, "srt")
    first, second = " ".join(cues[0]), " ".join(cues[1])
    assert "⟦miners⟧" in first and "⟦waiting⟧" in second
    assert not first.endswith("⟦") and not second.startswith("⟧")


def test_markers_out_of_place_split_by_length() -> None:
    """A marker the engine put at the very end (or out of order): cut by the cues' lengths,
    at a space."""
    from pipeline.inplace.common import Obj

    words = "los mineros de Casapalca llevan dos años en la cárcel sin juicio"
    stats = subtitles.SplitStats()
    items = [Text(words, ("", "")), Obj([("cue", 1)])]
    pieces = subtitles.split_group(items, [0, 1], [30, 30], "es", stats)
    assert stats.by_length == 1 and stats.by_markers == 0
    first = "".join(i.text for i in pieces[0] if isinstance(i, Text))
    second = "".join(i.text for i in pieces[1] if isinstance(i, Text))
    assert f"{first} {second}" == words
    assert abs(len(first) - len(second)) <= 8
    in_order = [Text("uno dos ", ("", "")), Obj([("cue", 1)]), Text(" tres cuatro", ("", ""))]
    pieces = subtitles.split_group(in_order, [0, 1], [8, 11], "es", stats)
    assert stats.by_markers == 1
    assert [[i.text for i in p if isinstance(i, Text)] for p in pieces] == [
        ["uno dos"],
        ["tres cuatro"],
    ]


def test_apertium_capital_after_the_marker_is_undone() -> None:
    items = cuetext.lower_first([Text("Para dos años.", ("", ""))])
    assert items[0].text == "para dos años."  # type: ignore[union-attr]
    assert cuetext.lower_first([Text("ONU dice", ("", ""))])[0].text == "ONU dice"  # type: ignore[union-attr]
    assert cuetext.dialogue_line("¡- Ahora!") == "- ¡Ahora!"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Los mineros de Casapalca llevan dos años en la cárcel sin juicio ni defensa", "es"),
        ("カサパルカの鉱山労働者は裁判もなく二年間も刑務所に入れられている。", "ja"),
    ],
)
def test_lines_wrapped_to_the_language_limits(text: str, lang: str) -> None:
    lines, over = cuetext.wrap([Text(text, ("", ""))], lang, escaped=False)
    assert len(lines) == 2 and not over
    limit = 20 if lang == "ja" else 42
    assert all(len(line) <= limit for line in lines)
    assert "".join(lines) == text.replace(" ", "", 1) or " ".join(lines) == text
    if lang == "ja":
        assert not any(line[0] in cuetext.NO_LINE_START for line in lines)
        assert abs(len(lines[0]) - len(lines[1])) <= 2
    short, _ = cuetext.wrap([Text("Short.", ("", ""))], lang, escaped=False)
    assert short == ["Short."]


def test_japanese_translation_fits_lines(srt: Path) -> None:
    source = inplace.read(srt)
    japanese = "カサパルカの鉱山労働者は二年間も刑務所に入れられ、家族は今も待っている。"
    blocks = [b.with_spans([Span(japanese)]) for b in source.document.blocks]
    data = inplace.render(source.skeleton, Document(blocks=blocks, lang="ja"), "ja")
    for lines in cue_texts(data, "srt"):
        visible = [re.sub(r"<[^>]*>|\{[^}]*\}", "", line) for line in lines]
        assert len(visible) <= 2 and all(len(v) <= 20 for v in visible), visible


def test_bad_subtitle_files_are_one_line(tmp_path: Path) -> None:
    no_header = tmp_path / "a.vtt"
    no_header.write_text("00:01.000 --> 00:02.000\nhello\n", encoding="utf-8")
    no_cues = tmp_path / "b.srt"
    no_cues.write_text("just some words\n", encoding="utf-8")
    binary = tmp_path / "c.srt"
    binary.write_bytes(bytes(range(256)) * 20)
    for path, words in (
        (no_header, "does not start with WEBVTT"),
        (no_cues, "no cues"),
        (binary, "binary"),
    ):
        with pytest.raises(InplaceError) as caught:
            inplace.read(path)
        assert words in str(caught.value) and "\n" not in str(caught.value)


def test_ingest_reads_subtitles_for_restyle(srt: Path) -> None:
    doc = inplace.text_of(srt)
    assert doc.blocks[0].text.startswith("The miners of Casapalca have been in prison for two")
    assert not [s for b in doc.blocks for s in b.spans if s.kind == "object"]  # a transcript


def test_words_move_to_the_neighbouring_cue_when_one_is_too_long() -> None:
    """A translation longer than its cue's two lines gives words at its edge to the next cue
    of its sentence when that one has room."""
    long = "Todo el mundo tiene derecho a la vida, a la libertad y a la seguridad de su persona"
    pieces = [[Text(long + " y a un juicio justo", ("", ""))], [Text("sin demora.", ("", ""))]]
    moved, changed = cuetext.rebalance(pieces, "es")
    assert changed
    texts = ["".join(i.text for i in p if isinstance(i, Text)) for p in moved]
    assert " ".join(texts) == f"{long} y a un juicio justo sin demora."
    limits = cuetext.limits_for("es")
    assert all(cuetext.fits(t, limits) for t in texts)
    assert texts[1].endswith("sin demora.") and len(texts[1]) > len("sin demora.")
    same, unchanged = cuetext.rebalance(
        [[Text("Corto.", ("", ""))], [Text("Bien.", ("", ""))]], "es"
    )
    assert not unchanged and same[0][0].text == "Corto."  # type: ignore[union-attr]


def test_parse_round_trip_on_random_files() -> None:
    """Whatever the blank lines, line endings and junk around the cues, the pieces and cues
    join back into the very text (so everything but the cue text is kept)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    line = st.sampled_from(
        [
            "1",
            "2",
            "00:00:01,000 --> 00:00:02,000",
            "0:01.5 --> 0:02.5 line:0",
            "hello",
            "<i>word</i>",
            "",
            " ",
            "NOTE x",
            "WEBVTT",
            "- a",
            "\u3042\u3044",
        ]
    )

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(line, max_size=20),
        st.sampled_from(["\n", "\r\n"]),
        st.sampled_from(["srt", "vtt"]),
    )
    def check(lines: list[str], newline: str, fmt: str) -> None:
        text = newline.join(lines)
        parsed = subtitles.parse(text, fmt)
        joined = "".join(
            p if isinstance(p, str) else newline.join(parsed.cues[p].lines) for p in parsed.pieces
        )
        assert joined == text

    check()
