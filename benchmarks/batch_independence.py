"""What it costs that a segment's draft no longer depends on its batch.

Apertium, on the segments of N generated statements (UDHR paragraphs from ``../shared``, as
in benchmarks/scale.py), each measured as a fresh call, best of ``--repeat`` interleaved runs:

* bare ``apertium -u eng-spa`` on the plain text (the floor);
* the stream the engine sent before (``apertium -f html eng-spa`` on the ``<p>`` paragraphs:
  fast, but a segment's draft depends on what came before it);
* the engine now (``ApertiumEngine``: the tagger fed one segment at a time, restarted after a
  segment with an unseen ambiguity class).

It also counts how many segments' drafts the old stream changed against the segment alone,
and how often the tagger was restarted.

CTranslate2 (with ``--ct2``): the test identity model (``--size small|argos``) at beam 4 on
the same segments, one sorted token-batched call (before) against one call per input length
(now).

    /work/main/.venv/bin/python benchmarks/batch_independence.py [--documents 50] [--repeat 3]
        [--ct2] [--size small]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.scale import UDHR_EN, udhr_lines  # noqa: E402
from pipeline import markers  # noqa: E402
from pipeline.engines import apertium_pipe  # noqa: E402
from pipeline.engines.apertium import ApertiumEngine  # noqa: E402
from pipeline.segment import split_sentences  # noqa: E402

PARAGRAPHS = 8


def debian_descriptions() -> list[str]:
    """The installed Debian packages' descriptions, a paragraph each (``dpkg-query``): text
    with the product names and phrases that once made Apertium's drafts batch-dependent."""
    try:
        listing = subprocess.run(
            ["dpkg-query", "-W", "-f=${Description}\n\n"], capture_output=True, text=True
        ).stdout
    except OSError:
        return []
    paragraphs = re.split(r"\n(?! )", listing)
    lines = [
        " ".join(w.strip() for w in p.splitlines() if w.strip() not in ("", "."))
        for p in paragraphs
    ]
    return [line for line in lines if len(line) > 60]


def segments(documents: int, text: str) -> list[str]:
    """The sentences of ``documents`` statements of ``PARAGRAPHS`` paragraphs each."""
    udhr = udhr_lines() if text in ("udhr", "both") else []
    debian = debian_descriptions() if text in ("debian", "both") else []
    if udhr and debian:  # the two sources alternate
        lines = [x for pair in zip(udhr * 10, debian, strict=False) for x in pair]
    else:
        lines = udhr or debian
    out: list[str] = []
    for n in range(documents):
        for k in range(PARAGRAPHS):
            paragraph = f"{lines[(n * PARAGRAPHS + k) % len(lines)]} ({n}.{k})"
            out.extend(paragraph[a:b].strip() for a, b in split_sentences(paragraph, "en"))
    return [s for s in out if s]


def best(runs: int, call: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return min(times), result


def old_stream(texts: list[str]) -> list[str]:
    payload = "\n".join(f"<p>{markers.to_html(t)}</p>" for t in texts) + "\n"
    out = subprocess.run(
        ["apertium", "-f", "html", "eng-spa"], input=payload, capture_output=True, text=True
    ).stdout
    return re.findall(r"<p>(.*?)</p>", out, re.S)


def apertium_points(texts: list[str], repeat: int) -> None:
    plain = "\n\n".join(texts)
    restarts = {"n": 0}
    original = apertium_pipe._Tagger._start

    def counted(self: apertium_pipe._Tagger) -> Any:
        restarts["n"] += 1
        return original(self)

    apertium_pipe._Tagger._start = counted  # type: ignore[method-assign]
    engine = ApertiumEngine()
    floor = now = before = float("inf")
    for _ in range(repeat):  # interleaved, so load on the machine hits all three alike
        floor = min(floor, best(1, lambda: subprocess.run(
            ["apertium", "-u", "eng-spa"], input=plain, capture_output=True, text=True))[0])  # fmt: skip
        t, old = best(1, lambda: old_stream(texts))
        before = min(before, t)
        restarts["n"] = 0
        t, new = best(1, lambda: engine._run_batch(texts, "eng-spa"))
        now = min(now, t)
    changed = sum(1 for a, b in zip(old, new, strict=True) if a != b)
    print(f"apertium en→es, {len(texts)} segments (best of {repeat}, interleaved):")
    print(f"  bare apertium -u (plain text)     {floor:6.2f} s   1.00×")
    print(f"  before: one html stream           {before:6.2f} s   {before / floor:.2f}×")
    print(
        f"  now: each segment on its own      {now:6.2f} s   {now / floor:.2f}×  "
        f"({now / before:.2f}× before; tagger started {restarts['n']} times)"
    )
    print(f"  segments whose draft the old stream changed: {changed} of {len(texts)}")


def ct2_points(texts: list[str], repeat: int, size_name: str) -> None:
    import ctranslate2
    import sentencepiece as spm

    from pipeline.engines import ct2_batch
    from tests.fixtures import argos_models as fx

    size = fx.SIZES[size_name]
    root = fx.identity_model_dir(size)
    sp = spm.SentencePieceProcessor(model_file=str(root / "sentencepiece.model"))
    pieces = [sp.encode(t, out_type=str) for t in texts]
    translator = ctranslate2.Translator(str(root / "model"), device="cpu", intra_threads=2)
    decoding = ct2_batch.Decoding(beam_size=4)

    def one_sorted_call() -> None:
        batch = sorted(pieces, key=len)
        translator.translate_batch(
            batch, beam_size=4, length_penalty=0.2, batch_type="tokens", max_batch_size=1024,
            max_decoding_length=2 * len(batch[-1]) + 16, replace_unknowns=True,
        )  # fmt: skip

    before = now = float("inf")
    for _ in range(repeat):
        before = min(before, best(1, one_sorted_call)[0])
        now = min(now, best(1, lambda: ct2_batch.translate_pieces(
            translator, pieces, ct2_batch.Wrapping(), decoding, "identity"))[0])  # fmt: skip
    lengths = len({len(p) for p in pieces})
    print(f"ctranslate2 identity model ({size_name}), beam 4, {len(texts)} segments:")
    print(f"  before: one sorted call           {before:6.2f} s   1.00×")
    print(
        f"  now: one call per input length    {now:6.2f} s   {now / before:.2f}×  ({lengths} lengths)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ct2", action="store_true", help="also the CTranslate2 batching")
    parser.add_argument("--size", default="small", choices=["small", "argos"])
    parser.add_argument(
        "--text",
        default="both",
        choices=["udhr", "debian", "both"],
        help="UDHR paragraphs (../shared), installed Debian package descriptions, or both",
    )
    args = parser.parse_args()
    if not UDHR_EN.is_file():
        print(f"skipped: {UDHR_EN} missing")
        return 0
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}")
    texts = segments(args.documents, args.text)
    apertium_points(texts, args.repeat)
    if args.ct2:
        ct2_points(texts, args.repeat, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
