"""Is a model package usable? Language codes checked, and the model made to translate.

``pipeline models install`` runs ``load_test`` on a package unpacked into staging, before it
replaces anything: the CTranslate2 model and the SentencePiece model are loaded and one short
sentence is translated, and the translation must not be degenerate (``guard``: a model that
loops on it is refused unless forced). ``pipeline doctor`` runs it on every installed package. A package
whose metadata names something that is not a language code (``"../../x"``) is refused before
it is even unpacked (``check_language_code``).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.engines import guard
from pipeline.engines.base import EngineError

# ISO 639-1, plus the codes the Argos index uses beyond it (zt: Chinese, traditional; pb:
# Portuguese, Brazil). Argos packages name their languages with these.
ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)
KNOWN_CODES = ISO_639_1 | {"zt", "pb"}
_CODE = re.compile(r"[a-z]{2,3}")

# The sentence each test translation uses (by source language); others get digits.
TEST_SENTENCES = {
    "en": "Workers of the world, unite.",
    "es": "Trabajadores del mundo, uníos.",
    "ja": "万国の労働者よ、団結せよ。",
}
DEFAULT_TEST_SENTENCE = "1, 2, 3."


class LoadTestError(EngineError):
    """A package cannot be loaded or cannot translate; the message says what failed."""


class DegenerateTestTranslation(LoadTestError):
    """The package loads, but its test translation is degenerate (``guard``): a loop, say."""


def check_language_code(code: object) -> str | None:
    """Why ``code`` is not an acceptable language code, or None when it is."""
    if not isinstance(code, str) or not code:
        return "is missing"
    if not _CODE.fullmatch(code) or code not in KNOWN_CODES:
        return f"{code!r} is not a known language code"
    return None


def load_test(
    folder: Path, from_code: str, target_prefix: str = "", to_code: str | None = None
) -> str:
    """Load the package in ``folder`` with CTranslate2 and SentencePiece and translate one
    short sentence; returns the translation. Raises LoadTestError saying what failed, and
    DegenerateTestTranslation when ``to_code`` is given and the guard refuses the translation."""
    import ctranslate2
    import sentencepiece as spm

    try:
        tokenizer = spm.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    except (OSError, RuntimeError) as exc:
        raise LoadTestError("sentencepiece.model is not a SentencePiece model") from exc
    try:
        translator = ctranslate2.Translator(
            str(folder / "model"), device="cpu", inter_threads=1, intra_threads=1
        )
    except (OSError, RuntimeError, ValueError) as exc:
        raise LoadTestError(f"CTranslate2 cannot load model/ ({_short(exc, folder)})") from exc
    sentence = TEST_SENTENCES.get(from_code, DEFAULT_TEST_SENTENCE)
    try:
        pieces = tokenizer.encode(sentence, out_type=str)
        options: dict[str, object] = {
            "beam_size": 1,
            "max_decoding_length": 64,
            "replace_unknowns": True,
        }
        if target_prefix:
            options["target_prefix"] = [[target_prefix]]
        result = translator.translate_batch([pieces], **options)[0].hypotheses[0]
    except (RuntimeError, ValueError, IndexError) as exc:
        raise LoadTestError(
            f"the model loads but cannot translate a test sentence ({_short(exc, folder)})"
        ) from exc
    if target_prefix and result[:1] == [target_prefix]:
        result = result[1:]
    # Pieces joined as the engine joins them: an unknown piece copied through stays itself.
    text = "".join(result).replace("\u2581", " ").strip()
    if not text:
        raise LoadTestError(f"the model translates the test sentence {sentence!r} as nothing")
    found = guard.check(sentence, text, from_code, to_code) if to_code else None
    if found is not None:
        raise DegenerateTestTranslation(
            f"it translates the test sentence {sentence!r} as {found.kind} ({found.detail})"
        )
    return text


def _short(exc: BaseException, folder: Path) -> str:
    """The first line of an error, without the (temporary) folder it names."""
    text = str(exc).strip().replace(str(folder) + "/", "").replace(str(folder), "the package")
    return text.splitlines()[0] if text else type(exc).__name__
