"""A subtitle cue's text: markup ↔ items, splitting a translation between cues, line wrapping.

Cue text carries a little markup: ``<i>``, ``<b>``, ``<u>``, ``<font …>`` (SRT), ``<c.class>``,
``<v Speaker>``, ``<lang …>``, ``<ruby>`` (WebVTT) and override codes such as ``{\\an8}``.
Open tags are a run's formatting (``Format[0]``: the open tags joined by ``\\x1f``), so a
translated word stays italic; timestamps inside a cue (``<00:01.500>``), override codes and
anything unknown are kept objects. WebVTT's character references (``&amp;``) are text, written
back escaped; an SRT's text is written as it was (players show ``&amp;`` there literally).

Lines are wrapped per language: at most 42 characters a line in Latin scripts, 16 (up to 20
when two lines of 16 cannot hold it) in Japanese, at most two lines, breaking at spaces (Latin)
or between characters where Japanese line-breaking rules allow (no line starting with 、。」…,
none ending with 「（…), the two lines as even as they can be with the first no longer than
the second when it costs nothing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pipeline.inplace.common import Format, Item, Obj, Text

TAG = re.compile(r"(<[^<>\n]*>|\{\\[^{}\n]*\})")
TIMESTAMP = re.compile(r"^<(?:\d+:)?\d{2}:\d{2}\.\d{3}>$")
NAME = re.compile(r"^</?([A-Za-z]+)")
JOIN = "\x1f"
FORMAT_TAGS = {"i", "b", "u", "c", "v", "lang", "font", "ruby", "rt", "s"}
DIALOGUE = re.compile(r"^\s*(?:<[^>]*>)*\s*[-‐‑–—]")

LATIN_LIMIT = 42
JAPANESE_LIMIT = 16
JAPANESE_HARD_LIMIT = 20
MAX_LINES = 2

NO_LINE_START = set(
    "、。，．・：；？！゛゜ヽヾゝゞ々ー）］｝」』】〕〉》’”ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ…‥,.!?)]}:;"
)
NO_LINE_END = set("（［｛「『【〔〈《‘“([{")


@dataclass(frozen=True)
class Limits:
    """A language's line length: ``soft`` characters, up to ``hard`` when two lines need it."""

    soft: int
    hard: int
    spaced: bool  # words are separated by spaces (breaks only there)


def limits_for(lang: str) -> Limits:
    if lang == "ja":
        return Limits(JAPANESE_LIMIT, JAPANESE_HARD_LIMIT, spaced=False)
    return Limits(LATIN_LIMIT, LATIN_LIMIT, spaced=True)


def is_dialogue(lines: list[str]) -> bool:
    """Two speakers in one cue (each line starts with a dash): the lines stay apart."""
    return len(lines) > 1 and sum(1 for line in lines if DIALOGUE.match(line)) >= 2


# --- reading ---------------------------------------------------------------------------------


def _tag_name(tag: str) -> str:
    match = NAME.match(tag)
    return match.group(1).lower() if match else ""


def read_items(lines: list[str], escaped: bool) -> list[Item]:
    """The items of a cue's text lines; a dialogue cue's lines are joined by line breaks,
    any other cue's by a space (its lines are re-wrapped after translation)."""
    items: list[Item] = []
    stack: list[str] = []
    dialogue = is_dialogue(lines)
    for number, line in enumerate(lines):
        if number:
            if dialogue:
                items.append(Obj([("br",)], "break"))
            else:
                _add_text(items, " ", stack)
        for token in TAG.split(line):
            if not token:
                continue
            if TAG.fullmatch(token):
                _tag(items, token, stack)
            else:
                _add_text(items, html.unescape(token) if escaped else token, stack)
    return items


def _add_text(items: list[Item], text: str, stack: list[str]) -> None:
    fmt: Format = (JOIN.join(stack), "")
    last = items[-1] if items else None
    if isinstance(last, Text) and last.fmt == fmt:
        last.text += text
    else:
        items.append(Text(text, fmt))


def _tag(items: list[Item], token: str, stack: list[str]) -> None:
    name = _tag_name(token)
    if token.startswith("</") and name in FORMAT_TAGS:
        for depth in range(len(stack) - 1, -1, -1):
            if _tag_name(stack[depth]) == name:
                del stack[depth:]
                return
        return  # a stray closing tag: dropped (players ignore it too)
    if name in FORMAT_TAGS and not TIMESTAMP.match(token):
        stack.append(token)
        return
    items.append(Obj([("tag", token)]))


# --- writing ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_tokens(items: list[Item], escaped: bool) -> list[tuple[str, bool]]:
    """A cue's items as tokens ``(text, is_markup)``: tags opened and closed around the text
    that has them; a break is the markup ``\\n``."""
    tokens: list[tuple[str, bool]] = []
    open_tags: list[str] = []
    for item in items:
        if isinstance(item, Obj):
            for fragment in item.fragments:
                tokens.append(("\n", True) if fragment[0] == "br" else (str(fragment[1]), True))
            continue
        wanted = item.fmt[0].split(JOIN) if item.fmt[0] else []
        common = 0
        while common < min(len(open_tags), len(wanted)) and open_tags[common] == wanted[common]:
            common += 1
        for tag in reversed(open_tags[common:]):
            tokens.append((f"</{_tag_name(tag)}>", True))
        for tag in wanted[common:]:
            tokens.append((tag, True))
        open_tags = wanted
        tokens.append((_escape(item.text) if escaped else item.text, False))
    for tag in reversed(open_tags):
        tokens.append((f"</{_tag_name(tag)}>", True))
    return tokens


def _visible(tokens: list[tuple[str, bool]], escaped: bool) -> str:
    return "".join(html.unescape(t) if escaped else t for t, markup in tokens if not markup)


def wrap(
    items: list[Item], lang: str, escaped: bool, *, dialogue: bool = False
) -> tuple[list[str], bool]:
    """The cue's text lines for ``items``, wrapped to ``lang``'s limits; and whether it
    still breaks them (more than two lines, or a line over the hard limit)."""
    limits = limits_for(lang)
    tokens = to_tokens(items, escaped)
    worded = _speaker_lines(tokens, escaped) if dialogue else []
    if len(worded) > 1:
        lines = [dialogue_line("".join(t for t, _ in g).strip()) for g in worded]
        too_long = any(len(_visible(g, escaped).strip()) > limits.hard for g in worded)
        return lines, too_long or len(lines) > MAX_LINES
    tokens = [(" ", False) if t == "\n" else (t, m) for t, m in tokens]
    if limits.spaced:
        tokens = _single_spaces(tokens)
    text = _visible(tokens, escaped)
    text_clean = " ".join(text.split()) if limits.spaced else text.strip()
    if len(text_clean) <= limits.soft:
        return ["".join(t for t, _ in tokens).strip()], False
    cut = best_break(text, limits)
    if cut is None:
        return ["".join(t for t, _ in tokens).strip()], len(text_clean) > limits.hard
    first, second = _cut_tokens(tokens, cut, escaped, drop_space=limits.spaced)
    over = max(len(text[:cut].strip()), len(text[cut:].strip())) > limits.hard
    return [first.strip(), second.strip()], over


def _speaker_lines(tokens: list[tuple[str, bool]], escaped: bool) -> list[list[tuple[str, bool]]]:
    """A dialogue cue's tokens line by line (at its breaks), lines without words (a closing
    ``</i>`` alone) joined to their neighbour."""
    groups: list[list[tuple[str, bool]]] = [[]]
    for token in tokens:
        if token == ("\n", True):
            groups.append([])
        else:
            groups[-1].append(token)
    worded: list[list[tuple[str, bool]]] = []
    pending: list[tuple[str, bool]] = []
    for group in groups:
        if _visible(group, escaped).strip():
            worded.append(pending + group)
            pending = []
        elif worded:
            worded[-1].extend(group)
        else:
            pending.extend(group)
    return worded


def _single_spaces(tokens: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Runs of spaces (an engine's, around a marker) as one space, across tags too."""
    out: list[tuple[str, bool]] = []
    after_space = True
    for token, markup in tokens:
        if markup:
            out.append((token, markup))
            continue
        token = re.sub(r" {2,}", " ", token)
        if after_space:
            token = token.lstrip(" ")
        if token:
            after_space = token.endswith(" ")
        out.append((token, markup))
    return out


def best_break(text: str, limits: Limits) -> int | None:
    """Where to break ``text`` into two lines (an index into it), or None when it cannot be
    broken (one long word)."""
    candidates = _break_points(text, limits.spaced)
    if not candidates:
        return None

    def cost(cut: int) -> int:
        first, second = len(text[:cut].strip()), len(text[cut:].strip())
        over_hard = max(0, first - limits.hard) + max(0, second - limits.hard)
        over_soft = max(0, first - limits.soft) + max(0, second - limits.soft)
        heavy_top = 1 if first > second else 0
        return (
            over_hard * 1000
            + over_soft * 100
            + abs(first - second)
            + heavy_top
            + _break_penalty(text, cut)
        )

    return min(candidates, key=cost)


def _break_penalty(text: str, cut: int) -> int:
    """How poor a place to break a line is: after a comma or a stop 0, between two words
    (Latin) or after a particle before a kanji or katakana word (Japanese) 4, else 8."""
    before = text[:cut].rstrip()[-1:]
    after = text[cut:].lstrip()[:1]
    if before in "、。，,;:.!?":
        return 0
    if text[cut - 1 : cut] == " " or text[cut : cut + 1] == " ":
        return 4
    if _is_hiragana(before) and after and not _is_hiragana(after):
        return 4
    return 8


def _is_hiragana(char: str) -> bool:
    return bool(char) and "\u3041" <= char <= "\u309f"


def _break_points(text: str, spaced: bool) -> list[int]:
    if spaced:
        return [m.start() for m in re.finditer(r" +", text) if text[: m.start()].strip()]
    points = []
    for i in range(1, len(text)):
        if text[i] in NO_LINE_START or text[i - 1] in NO_LINE_END:
            continue
        if (
            text[i - 1].isascii()
            and text[i].isascii()
            and text[i - 1].isalnum()
            and text[i].isalnum()
        ):
            continue  # inside a Latin word or number in Japanese text
        points.append(i)
    return points


def _cut_tokens(
    tokens: list[tuple[str, bool]], cut: int, escaped: bool, drop_space: bool
) -> tuple[str, str]:
    """The markup of the two lines when the visible text is cut at ``cut``. Tags open at the
    cut are closed at the end of the first line and opened again on the second, as the
    WebVTT and SRT renderers expect of a styled span across lines."""
    first: list[str] = []
    second: list[str] = []
    out = first
    seen = 0
    open_tags: list[str] = []
    for token, markup in tokens:
        if markup:
            out.append(token)
            name = _tag_name(token)
            if token.startswith("</"):
                open_tags = [t for t in open_tags if _tag_name(t) != name]
            elif name in FORMAT_TAGS:
                open_tags.append(token)
            continue
        shown = html.unescape(token) if escaped else token
        if out is second or seen + len(shown) <= cut:
            out.append(token)
            seen += len(shown)
            continue
        head, tail = shown[: cut - seen], shown[cut - seen :]
        if drop_space:
            head, tail = head.rstrip(" "), tail.lstrip(" ")
        first.append(_escape(head) if escaped else head)
        first.extend(f"</{_tag_name(t)}>" for t in reversed(open_tags))
        second.extend(open_tags)
        second.append(_escape(tail) if escaped else tail)
        out = second
        seen += len(shown)
    return "".join(first), "".join(second)


# --- splitting a translation between cues -----------------------------------------------------


def visible_length(items: list[Item]) -> int:
    return sum(len(i.text) for i in items if isinstance(i, Text))


def split_by_length(items: list[Item], weights: list[int], spaced: bool) -> list[list[Item]]:
    """``items`` cut into ``len(weights)`` pieces whose lengths follow ``weights`` (the
    source cues' lengths), each cut moved to the nearest space (Latin) or allowed break."""
    text = "".join(i.text for i in items if isinstance(i, Text))
    total = max(sum(weights), 1)
    points = _break_points(text, spaced) or list(range(1, len(text)))
    cuts: list[int] = []
    running = 0
    for weight in weights[:-1]:
        running += weight
        goal = round(len(text) * running / total)
        options = [p for p in points if not cuts or p > cuts[-1]]
        cuts.append(min(options, key=lambda p: abs(p - goal)) if options else len(text))
    return _split_items_at(items, cuts)


def fits(text: str, limits: Limits) -> bool:
    """Whether ``text`` fits a cue's two lines of ``limits.hard`` characters."""
    text = " ".join(text.split()) if limits.spaced else text.strip()
    if len(text) <= limits.hard:
        return True
    cut = best_break(text, limits)
    return cut is not None and max(len(text[:cut].strip()), len(text[cut:].strip())) <= limits.hard


REBALANCE_WINDOW = 48
"""How far (characters) a cue boundary may move to let every cue of a group fit."""


def rebalance(pieces: list[list[Item]], lang: str) -> tuple[list[list[Item]], bool]:
    """Move the boundaries between neighbouring cues' texts (at word breaks, at most
    ``REBALANCE_WINDOW`` characters) so that as many cues as can fit their two lines, the
    boundaries as near as they were; whether any moved."""
    limits = limits_for(lang)
    joiner: list[Item] = [Text(" ", ("", ""))] if limits.spaced else []
    flat: list[Item] = []
    cuts: list[int] = []
    for number, piece in enumerate(pieces):
        if number:
            flat.extend(joiner)
            cuts.append(visible_length(flat))
        flat.extend(piece)
    text = "".join(i.text for i in flat if isinstance(i, Text))
    bounds = [0, *cuts, len(text)]
    if all(fits(text[a:b], limits) for a, b in zip(bounds, bounds[1:], strict=False)):
        return pieces, False
    points = _break_points(text, limits.spaced)
    options = [sorted({c, *(p for p in points if abs(p - c) <= REBALANCE_WINDOW)}) for c in cuts]
    chosen = _best_cuts(text, cuts, options, limits)
    if chosen == cuts:
        return pieces, False
    return [trimmed(p) for p in _split_items_at(flat, chosen)], True


def _best_cuts(text: str, cuts: list[int], options: list[list[int]], limits: Limits) -> list[int]:
    """The cuts (one from each ``options``, increasing) with the fewest cues that do not fit,
    then the least distance from ``cuts`` (dynamic programming over the boundaries)."""
    overflow = 10_000

    def piece_cost(a: int, b: int) -> int:
        return 0 if fits(text[a:b], limits) else overflow

    # best[k][q] = (cost of the pieces before cut q, the previous cut)
    best: list[dict[int, tuple[int, int]]] = []
    for k, candidates in enumerate(options):
        row: dict[int, tuple[int, int]] = {}
        for q in candidates:
            previous = best[k - 1].items() if k else [(0, (0, 0))]
            scored = [
                (cost + piece_cost(p, q) + abs(q - cuts[k]), p)
                for p, (cost, _) in previous
                if p < q
            ]
            if scored:
                row[q] = min(scored)
        best.append(row)
    if not best or not best[-1]:
        return cuts
    last = min(best[-1], key=lambda q: best[-1][q][0] + piece_cost(q, len(text)))
    chosen = [last]
    for k in range(len(options) - 1, 0, -1):
        chosen.append(best[k][chosen[-1]][1])
    return chosen[::-1]


def _split_items_at(items: list[Item], cuts: list[int]) -> list[list[Item]]:
    pieces: list[list[Item]] = [[]]
    seen = 0
    for item in items:
        if not isinstance(item, Text):
            pieces[-1].append(item)
            continue
        text = item.text
        while len(pieces) <= len(cuts) and seen + len(text) > cuts[len(pieces) - 1]:
            at = cuts[len(pieces) - 1] - seen
            if text[:at]:
                pieces[-1].append(Text(text[:at], item.fmt))
            seen += at
            text = text[at:]
            pieces.append([])
        if text:
            pieces[-1].append(Text(text, item.fmt))
            seen += len(text)
    while len(pieces) <= len(cuts):
        pieces.append([])
    return pieces


def lower_first(items: list[Item]) -> list[Item]:
    """``items`` with the first word lowercased when it is a capitalised word ("Para", not
    "ONU" or "McDonald")."""
    out = list(items)
    for position, item in enumerate(out):
        if not isinstance(item, Text) or not item.text.strip():
            continue
        match = re.match(r"(\W*)(\w+)", item.text)
        if match and match.group(2)[:1].isupper() and match.group(2)[1:].islower():
            word = match.group(2)
            text = item.text[: match.start(2)] + word[0].lower() + item.text[match.start(2) + 1 :]
            out[position] = Text(text, item.fmt)
        break
    return out


DIALOGUE_OPENER = re.compile(r"^(\s*(?:<[^>]*>)*)([¡¿]+)\s*([-‐‑–—])\s*")


def dialogue_line(line: str) -> str:
    """A dialogue line with its dash first: "¡- Ahora!" (an engine put the Spanish opening
    mark before the dash) → "- ¡Ahora!"."""
    return DIALOGUE_OPENER.sub(lambda m: f"{m.group(1)}{m.group(3)} {m.group(2)}", line)


def trimmed(items: list[Item]) -> list[Item]:
    """``items`` without the spaces at their two ends."""
    out = list(items)
    while out and isinstance(out[0], Text) and not out[0].text.strip():
        out.pop(0)
    while out and isinstance(out[-1], Text) and not out[-1].text.strip():
        out.pop()
    if out and isinstance(out[0], Text):
        out[0] = Text(out[0].text.lstrip(), out[0].fmt)
    if out and isinstance(out[-1], Text):
        out[-1] = Text(out[-1].text.rstrip(), out[-1].fmt)
    return out
