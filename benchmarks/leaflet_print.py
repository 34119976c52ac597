"""What the print additions of issue 15 cost when a leaflet is written, against the plain A5
leaflet in the same process.

Run from the repository root::

    python -m benchmarks.leaflet_print [ROUNDS]

Writes the Spanish test statement (``tests/fixtures/leaflet.py``, no shared files needed) as:
(a) the plain A5 leaflet (the baseline), (b) ``--bleed`` (crop marks, then pypdf sets the
TrimBox/BleedBox/ArtBox), (c) ``--two-up`` (A5 twice on A4 with the cut line), and (d) an A5
leaflet that overflows, which also measures the A4 layout to say whether it fits there. Each
is written ``ROUNDS`` times (default 3), interleaved; the best time of each is reported with
its ratio to (a).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.leaflet import write_leaflet  # noqa: E402
from pipeline.leaflet.config import load_config  # noqa: E402
from tests.fixtures import leaflet as fx  # noqa: E402


def main(rounds: int = 3) -> None:
    config = load_config(ROOT / "leaflet.yml")
    doc = fx.spanish_doc()
    long_doc = fx.spanish_doc()
    long_doc.blocks = long_doc.blocks + long_doc.blocks[1:-1] + long_doc.blocks[1:-2]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        runs: dict[str, Callable[[], object]] = {
            "(a) A5 leaflet (baseline)": lambda: write_leaflet(
                doc, out / "a.pdf", "leaflet-a5", config, lang="es"
            ),
            "(b) --bleed, with page boxes": lambda: write_leaflet(
                doc, out / "b.pdf", "leaflet-a5", config, lang="es", bleed=True
            ),
            "(c) --two-up, with cut line": lambda: write_leaflet(
                doc, out / "c.pdf", "leaflet-a5", config, lang="es", two_up=True
            ),
            "(d) overflowing A5 + A4 fit check": lambda: write_leaflet(
                long_doc, out / "d.pdf", "leaflet-a5", config, lang="es"
            ),
        }
        best = {name: float("inf") for name in runs}
        results = {}
        for _ in range(rounds):
            for name, run in runs.items():
                started = time.perf_counter()
                results[name] = run()
                best[name] = min(best[name], time.perf_counter() - started)
    base = best["(a) A5 leaflet (baseline)"]
    print(f"best of {rounds} rounds, interleaved")
    print(f"{'run':38} {'seconds':>8} {'ratio':>7}")
    for name, seconds in best.items():
        print(f"{name:38} {seconds:8.2f} {seconds / base:6.2f}×")
    print(f"(d) says: {getattr(results['(d) overflowing A5 + A4 fit check'], 'suggestion', None)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
