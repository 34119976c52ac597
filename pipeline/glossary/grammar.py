"""What the glossary needs to know of grammar: Spanish gender and number, English verb use.

Spanish nouns are analysed with Apertium's Spanish morphological analyser when Apertium and
a language pair with Spanish are installed; the analyser is found the way the ``apertium``
command finds its pairs (``$APERTIUM_DATADIR``, else the data folder next to the installed
program, ``<prefix>/share/apertium``), through the pair's ``modes/spa-*.mode`` file. Without
Apertium a suffix heuristic answers instead.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from pipeline.engines.apertium_pipe import apertium_data_dirs

Features = tuple[str | None, str | None]
"""Gender (``m``/``f``/None) and number (``sg``/``pl``/None) of a Spanish form."""

# ---------------------------------------------------------------- English verb use

_VERB_BEFORE = frozenset(
    [
        "i",
        "you",
        "we",
        "they",
        "to",
        "will",
        "would",
        "shall",
        "should",
        "must",
        "can",
        "could",
        "may",
        "might",
        "do",
        "does",
        "did",
        "don't",
        "not",
        "let's",
        "never",
        "also",
    ]
)
_VERB_AFTER = frozenset(
    ["the", "a", "an", "their", "our", "his", "her", "its", "these", "those", "my", "your"]
)


def english_verb_use(folded: str, start: int, end: int) -> bool:
    """Whether a one-word English term is used as a verb here (glossary terms are nouns).

    "they strike", "to struggle", "must plunder", "plunder the mines": the word follows a
    pronoun, "to" or a modal, or a determiner follows it directly.
    """
    if " " in folded[start:end]:
        return False
    before = re.findall(r"[\w']+", folded[max(0, start - 20) : start])
    after = re.match(r"\s+([\w']+)", folded[end : end + 20])
    if before and before[-1] in _VERB_AFTER | {"this", "that", "no", "every", "each"}:
        return False  # "the strike the workers called"
    if before and folded[start - 1 : start] == " " and before[-1] in _VERB_BEFORE:
        return True
    return bool(after and after.group(1) in _VERB_AFTER)


# ---------------------------------------------------------------- finding Apertium's analyser


def analyser_in_mode(mode_file: Path) -> Path | None:
    """The morphological analyser a mode file runs first (``lt-proc … X.automorf.bin``)."""
    try:
        first_stage = mode_file.read_text(encoding="utf-8").split("|")[0]
        words = shlex.split(first_stage)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not words or Path(words[0]).name != "lt-proc":
        return None
    binaries = [w for w in words[1:] if w.endswith(".bin")]
    return Path(binaries[-1]) if binaries else None


@cache
def spanish_analyser(data_dirs: tuple[Path, ...] | None = None) -> Path | None:
    """Apertium's Spanish analyser from an installed pair (``spa-eng`` first), or None."""
    for data_dir in data_dirs if data_dirs is not None else tuple(apertium_data_dirs()):
        modes = data_dir / "modes"
        candidates = [modes / "spa-eng.mode"] + sorted(modes.glob("spa-*.mode"))
        for mode_file in dict.fromkeys(candidates):
            if not mode_file.is_file():
                continue
            analyser = analyser_in_mode(mode_file)
            if analyser is not None and analyser.is_file():
                return analyser
    return None


# ---------------------------------------------------------------- Spanish gender and number

_FEATURES: dict[str, Features] = {}


def spanish_features(form: str) -> Features:
    """Gender and number of a Spanish form's first noun (remembered once analysed)."""
    prepare_spanish([form])
    return _FEATURES.get(form, (None, None))


def prepare_spanish(forms: Iterable[str]) -> None:
    """Analyse every form not analysed yet, in one analyser call."""
    missing = [f for f in dict.fromkeys(forms) if f not in _FEATURES]
    if missing:
        _FEATURES.update(analyse_spanish_many(missing))


def analyse_spanish_many(forms: Sequence[str]) -> dict[str, Features]:
    """Gender (m/f/None) and number (sg/pl/None) of the first noun of each Spanish form.

    One ``lt-proc`` call with Apertium's Spanish analyser for all forms (one per line); a
    suffix heuristic when Apertium is not installed or does not know the word.
    """
    forms = [f for f in dict.fromkeys(forms) if f and "\n" not in f]
    lines = _run_analyser(forms) or [""] * len(forms)
    result: dict[str, Features] = {}
    for form, line in zip(forms, lines, strict=False):
        units = re.findall(r"\^[^$]*\$", line)
        m = (
            re.search(r"<n>(?:<[^>]*>)*?<(m|f|mf)>(?:<[^>]*>)*?<(sg|pl|sp)>", units[0])
            if units
            else None
        )
        if m:  # the head of a Spanish noun phrase comes first
            gender = m.group(1) if m.group(1) in ("m", "f") else None
            number = m.group(2) if m.group(2) in ("sg", "pl") else None
            result[form] = (gender, number)
        else:
            result[form] = guess_spanish(form)
    return result


_CLASSES: dict[str, frozenset[str]] = {}
_ANALYSES: dict[str, tuple[str, ...]] = {}


def spanish_word_classes(word: str) -> frozenset[str]:
    """The word classes Apertium's analyser gives a Spanish word (``n``, ``adj``, ``vblex``…).

    Empty when the word is unknown or Apertium is not installed.
    """
    prepare_spanish_words([word])
    return _CLASSES.get(word.casefold(), frozenset())


def prepare_spanish_words(words: Iterable[str]) -> None:
    """Analyse every word not analysed yet, in one analyser call."""
    missing = [w for w in dict.fromkeys(w.casefold() for w in words) if w not in _CLASSES]
    missing = [w for w in missing if w and not any(c.isspace() for c in w)]
    if not missing:
        return
    lines = _run_analyser(missing)
    for word, line in zip(missing, lines or [""] * len(missing), strict=False):
        analyses = line.strip().removeprefix("^").removesuffix("$").split("/")[1:]
        _ANALYSES[word] = tuple(a for a in analyses if "*" not in a)
        _CLASSES[word] = frozenset(
            m.group(1) for a in analyses if (m := re.search(r"<(\w+)>", a)) and "*" not in a
        )


def spanish_adjective(word: str) -> tuple[str, str, str] | None:
    """Lemma, gender (``m``/``f``/``mf``) and number of a Spanish adjective, or None.

    None when the word is not (only) an adjective to the analyser: a word that may also be a
    verb or a noun in its own right is left alone.
    """
    prepare_spanish_words([word])
    analyses = _ANALYSES.get(word.casefold(), ())
    adjectives = [
        m
        for a in analyses
        if (m := re.match(r"([^<]+)<adj>(?:<[^>]*>)*?<(m|f|mf)>(?:<[^>]*>)*?<(sg|pl|sp)>", a))
    ]
    lemmas = {m.group(1) for m in adjectives}
    for analysis in analyses:
        lemma, _, tags = analysis.partition("<")
        if "<adj>" not in "<" + tags and not (tags.startswith("n>") and lemma in lemmas):
            return None  # also a verb, a noun of its own…: not for us to change
    first = adjectives[0] if adjectives else None
    return (first.group(1), first.group(2), first.group(3)) if first else None


def inflect_spanish_adjective(lemma: str, gender: str, number: str) -> str | None:
    """The form of a Spanish adjective with this gender (``m``/``f``/``mf``) and number."""
    return _generate(f"^{lemma}<adj><{gender}><{number}>$")


@cache
def _generate(unit: str) -> str | None:
    lt_proc = shutil.which("lt-proc")
    generator = spanish_generator()
    if lt_proc is None or generator is None:
        return None
    try:
        out = subprocess.run(
            [lt_proc, "-g", str(generator)],
            input=unit + "\n",
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if out and not out.startswith(("#", "@")) and "<" not in out else None


@cache
def spanish_generator(data_dirs: tuple[Path, ...] | None = None) -> Path | None:
    """Apertium's Spanish generator (the ``autogen.bin`` that ends ``*-spa.mode``), or None."""
    for data_dir in data_dirs if data_dirs is not None else tuple(apertium_data_dirs()):
        for mode_file in sorted((data_dir / "modes").glob("*-spa.mode")):
            try:
                stages = mode_file.read_text(encoding="utf-8").split("|")
                words = [w for stage in stages for w in shlex.split(stage)]
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            for word in reversed(words):
                if word.endswith("autogen.bin") and Path(word).is_file():
                    return Path(word)
    return None


def _run_analyser(lines: Sequence[str]) -> list[str] | None:
    """Apertium's Spanish analyser on one item per line; None when it cannot run."""
    lt_proc = shutil.which("lt-proc")
    analyser = spanish_analyser() if lines and lt_proc else None
    if not lines or lt_proc is None or analyser is None:
        return None
    try:
        out = subprocess.run(
            [lt_proc, "-a", str(analyser)],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    result = out.split("\n")
    return result if len(result) >= len(lines) else None


def guess_spanish(form: str) -> Features:
    """Gender and number from the first word's ending (when no analyser knows the form)."""
    words = form.lower().split()
    first = words[0] if words else ""
    number = "pl" if first.endswith("s") and not first.endswith("is") else "sg"
    if first.endswith(("a", "as", "ión", "iones", "dad", "dades")):
        return "f", number
    if first.endswith(("o", "os", "or", "ores", "ismo", "eo")):
        return "m", number
    return None, number
