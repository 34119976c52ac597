from pipeline import markers
from pipeline.document import Block, Span
from pipeline.segment import (
    RebuildStats,
    rebuild_block,
    repair_markers,
    segment_block,
    split_sentences,
)


def sentences(text, lang):
    return [text[a:b].strip() for a, b in split_sentences(text, lang)]


def test_spanish_abbreviations_stay_whole():
    text = "El Sr. García llegó a EE.UU. el 3 de oct. de 2009. ¿Dónde está? ¡Libertad!"
    assert sentences(text, "es") == [
        "El Sr. García llegó a EE.UU. el 3 de oct. de 2009.",
        "¿Dónde está?",
        "¡Libertad!",
    ]


def test_english_abbreviations_stay_whole():
    text = "The U.S. embassy and Dr. Smith met Mr. Lee. Free them!"
    assert sentences(text, "en") == ["The U.S. embassy and Dr. Smith met Mr. Lee.", "Free them!"]


def test_japanese_sentences():
    text = "鉱山労働者を釈放せよ！彼らは投獄された。「闘いは続く。」と彼は言った。"
    assert sentences(text, "ja") == [
        "鉱山労働者を釈放せよ！",
        "彼らは投獄された。",
        "「闘いは続く。」と彼は言った。",
    ]


def test_markers_wrap_formatted_spans_and_survive_round_trip():
    block = Block(
        "paragraph",
        [
            Span("Free the "),
            Span("jailed", bold=True),
            Span(" miners. Read "),
            Span("this", link="https://x.org"),
            Span("."),
            Span(kind="note_ref", note="n1"),
        ],
    )
    sb = segment_block(block, 4, "en")
    assert [s.id for s in sb.segments] == ["b4.s1", "b4.s2"]
    assert sb.segments[0].text == "Free the <g1>jailed</g1> miners."
    assert sb.segments[1].text == "Read <g2>this</g2>.<x3/>"
    rebuilt = rebuild_block(sb, [s.text for s in sb.segments], "en")
    assert rebuilt.spans == block.spans


def test_span_across_sentence_boundary_is_split_and_restored():
    block = Block("paragraph", [Span("One. Two", italic=True), Span(" three.")])
    sb = segment_block(block, 0, "en")
    assert [s.text for s in sb.segments] == ["<g1>One.</g1>", "<g2>Two</g2> three."]
    rebuilt = rebuild_block(sb, [s.text for s in sb.segments], "en")
    assert rebuilt.text == "One. Two three."
    assert [s.text for s in rebuilt.spans if s.italic] == ["One.", "Two"]


def test_japanese_segments_join_without_spaces():
    block = Block("paragraph", [Span("First. Second.")])
    sb = segment_block(block, 0, "en")
    rebuilt = rebuild_block(sb, ["最初。", "二番目。"], "ja")
    assert rebuilt.text == "最初。二番目。"


def test_dropped_markers_are_put_back_and_counted():
    stats = RebuildStats()
    out = repair_markers(
        "Free the <g1>jailed</g1> miners.<x2/>", "Liberad a los mineros jailed.", stats
    )
    assert out == "Liberad a los mineros <g1>jailed</g1>.<x2/>"
    assert stats.markers_repaired == 2


def test_garbled_markers_are_cleaned():
    stats = RebuildStats()
    out = repair_markers("The <g1>union</g1> wins.", "El <g1>sindicato <g7>gana</g1>.</g1>", stats)
    assert markers.strip(out) == "El sindicato gana."
    assert out.count("<g1>") == 1 and out.count("</g1>") == 1
    assert "<g7>" not in out


def test_spanish_opening_marks_are_added():
    from pipeline.typography import fix_spanish_marks

    assert fix_spanish_marks("Libre los mineros!") == "¡Libre los mineros!"
    assert fix_spanish_marks("<g1>Dónde</g1> está?") == "<g1>¿Dónde</g1> está?"
    assert fix_spanish_marks("¡Ya!") == "¡Ya!"
    assert fix_spanish_marks("Dijo: «basta»") == "Dijo: «basta»"


def test_span_split_by_the_engine_is_rejoined_without_a_repair():
    stats = RebuildStats()
    out = repair_markers(
        "arrested <g1>seven leaders</g1> of",
        "arrestó <g1>siete</g1> <g1>dirigentes</g1> del",
        stats,
    )
    assert out == "arrestó <g1>siete dirigentes</g1> del"
    assert stats.markers_repaired == 0
