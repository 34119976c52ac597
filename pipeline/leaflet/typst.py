"""The Typst side of a leaflet: measure the laid-out text, choose the body size so it fits
one sheet, compile the PDF, impose an A5 leaflet two-up on A4, and prepare the logo and QR code.

The templates live in ``pipeline/templates``; each compile runs in a private folder holding
copies of them, the data (``data.json``), the logo and the QR code.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.export.fonts import typst_fonts
from pipeline.leaflet.options import LeafletError

if TYPE_CHECKING:
    from pipeline.leaflet.config import LeafletConfig
    from pipeline.leaflet.layout import Photo

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
"""The folder holding every ``*.typ`` template."""

SHEET_PAGES = 2  # one sheet, front and back
PHOTO_SCALES = (1.0, 0.7, 0.45)
"""The photo's height as a share of its largest: the fit tries a smaller photo before it
sets the text below its nominal size."""


@dataclass(frozen=True)
class LayoutSpec:
    """Sizes for one layout: body size in one and two columns, the floor when shrinking."""

    template: str
    one_column: float
    two_columns: float
    minimum: float
    one_column_max_units: int  # text length (CJK characters count double) set in one column
    paper_mm: tuple[float, float]  # the trimmed sheet, width × height
    paper: str  # its name, as people say it: "A5"


A5 = (148.0, 210.0)
A4 = (210.0, 297.0)
SPECS = {
    "leaflet-a5": LayoutSpec("leaflet-a5.typ", 10.0, 9.0, 7.5, 1500, A5, "A5"),
    "leaflet-a4": LayoutSpec("leaflet-a4.typ", 12.0, 10.0, 8.5, 2600, A4, "A4"),
    "bilingual-a4": LayoutSpec("bilingual.typ", 10.0, 10.0, 7.5, 0, A4, "A4"),
    "bilingual-a5": LayoutSpec("bilingual.typ", 8.5, 8.5, 7.0, 0, A5, "A5"),
}


@dataclass(frozen=True)
class Rendered:
    """A compiled leaflet: the PDF, the body size chosen, pages' worth of content, page count."""

    pdf: bytes
    font_size: float
    content_pages: float
    pages: int
    photo_scale: float | None = None  # the photo's height chosen (PHOTO_SCALES), None: no photo


def _inputs(size: float, columns: int, balance: float = 0.0, photo: float = 1.0) -> dict[str, str]:
    return {
        "size": f"{size:g}",
        "columns": str(columns),
        "balance": f"{balance:.2f}",
        "photo": f"{photo:g}",
    }


def render(
    data: dict[str, Any],
    spec: LayoutSpec,
    config: LeafletConfig,
    *,
    columns: int,
    nominal: float,
    bw: bool,
    balance_pitch: float | None = None,
    photo: Photo | None = None,
) -> Rendered:
    """Fit ``data`` into ``spec``'s template at the largest sane body size and compile it.

    With ``balance_pitch`` (the line pitch as a multiple of the body size), the two columns
    of the last page are made to end level when the text fits one sheet. With a ``photo``,
    the fit tries it at each of ``PHOTO_SCALES`` and keeps the largest photo at which the
    text still fits at its nominal size (else the smallest photo, and the text shrinks)."""
    with _typst_root(data, config, bw, photo) as root:
        size, content_pages, pages, scale = _fit_photo(root, spec, columns, nominal, photo)
        balance = 0.0
        if balance_pitch is not None and columns == 2 and pages <= SHEET_PAGES:
            balance = _balance(root, spec.template, size, size * balance_pitch, scale)
        pdf = _compile(root, spec.template, _inputs(size, columns, balance, scale))
    return Rendered(pdf, size, content_pages, pages, scale if photo is not None else None)


def fit(
    data: dict[str, Any],
    spec: LayoutSpec,
    config: LeafletConfig,
    *,
    columns: int,
    nominal: float,
    photo: Photo | None = None,
) -> tuple[float, float, int]:
    """(body size, pages' worth of content, page count) ``data`` would get in ``spec``'s
    template, measured without writing a PDF (to tell whether another layout would fit)."""
    with _typst_root(dict(data), config, bw=bool(data.get("bw")), photo=photo) as root:
        return _fit_photo(root, spec, columns, nominal, photo)[:3]


def _fit_photo(
    root: Path, spec: LayoutSpec, columns: int, nominal: float, photo: Photo | None
) -> tuple[float, float, int, float]:
    """``_fit`` with the photo at each of ``PHOTO_SCALES`` in turn until the text fits the
    sheet at its nominal size (else at the smallest photo); also returns the scale."""
    scales = PHOTO_SCALES if photo is not None else (1.0,)
    for scale in scales:
        size, content_pages, pages = _fit(root, spec, columns, nominal, scale)
        if size >= nominal and pages <= SHEET_PAGES:
            break
    return size, content_pages, pages, scale


@contextmanager
def _typst_root(
    data: dict[str, Any], config: LeafletConfig, bw: bool, photo: Photo | None = None
) -> Iterator[Path]:
    """A private folder holding the templates, the data, the logo, the photo and the QR code."""
    with tempfile.TemporaryDirectory(prefix="leaflet-") as tmp:
        root = Path(tmp)
        for typ in TEMPLATE_DIR.glob("*.typ"):
            shutil.copyfile(typ, root / typ.name)
        if photo is not None:
            name = _prepare_photo(photo, root, bw)
            data["photo"] = {"path": "/" + name, "caption": photo.caption_data}
        logo = config.logo_path(bw=bw)
        if logo is not None:
            data["logo"] = "/" + _prepare_logo(logo, root, bw)
        if config.url and config.qr:
            (root / "qr.svg").write_text(_qr_svg(config.url), encoding="utf-8")
            data["qr"] = "/qr.svg"
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        yield root


def _prepare_photo(photo: Photo, root: Path, bw: bool) -> str:
    """Save the photo in the Typst root (in greys for ``bw`` when it is a raster image)."""
    name = f"photo.{photo.suffix}"
    if bw and photo.suffix != "svg":
        from PIL import Image

        with Image.open(io.BytesIO(photo.data)) as img:
            img.convert("L").save(root / "photo.png")
        return "photo.png"
    (root / name).write_bytes(photo.data)
    return name


def _prepare_logo(logo: Path, root: Path, bw: bool) -> str:
    if not logo.is_file():
        raise LeafletError(f"logo {logo} does not exist")
    name = "logo" + logo.suffix.lower()
    if bw and logo.suffix.lower() != ".svg":
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - Pillow is a dependency
            raise LeafletError("--bw with a raster logo needs Pillow (pip install pillow)") from exc
        with Image.open(logo) as img:
            grey = img.convert("LA")
            grey.save(root / "logo.png")
        return "logo.png"
    if bw and logo.suffix.lower() == ".svg":
        (root / name).write_text(_grey_svg(logo.read_text(encoding="utf-8")), encoding="utf-8")
        return name
    shutil.copyfile(logo, root / name)
    return name


def _grey_svg(svg: str) -> str:
    """Replace every hex colour in an SVG by the grey of the same luminance."""

    def grey(match: re.Match[str]) -> str:
        h = match.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
        y = round(0.299 * r + 0.587 * g + 0.114 * b)
        return f"#{y:02x}{y:02x}{y:02x}"

    return re.sub(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", grey, svg)


def _qr_svg(url: str) -> str:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=0, dark="#000000")
    return buf.getvalue().decode("utf-8")


def _typst_error(exc: Exception) -> LeafletError:
    message = getattr(exc, "message", None) or str(exc).strip().splitlines()[0]
    return LeafletError(f"Typst could not lay out the leaflet: {message}")


def _metrics(
    root: Path,
    template: str,
    size: float,
    columns: int,
    balance: float = 0.0,
    photo: float = 1.0,
) -> dict[str, Any]:
    """Where the text ends (page, column, y in pt), the foot's height and the page count."""
    import typst

    inputs = _inputs(size, columns, balance, photo)
    try:
        raw = typst.query(
            root / template,
            "<leaflet-metrics>",
            field="value",
            one=True,
            root=root,
            font_paths=typst_fonts(),
            sys_inputs=inputs,
        )
    except RuntimeError as exc:  # typst.TypstError and plain compile failures
        raise _typst_error(exc) from exc
    metrics: dict[str, Any] = json.loads(raw)
    return metrics


def _measure(
    root: Path, template: str, size: float, columns: int, photo: float = 1.0
) -> tuple[float, int]:
    """(pages' worth of content, page count) of the layout at body size ``size``."""
    m = _metrics(root, template, size, columns, photo=photo)
    height = m["bottom"] - m["top"]
    ncols = m["columns"]
    # The closing float spans every column, so it uses its height once per column.
    used = m["column"] * height + (m["y"] - m["top"]) + m["float"] * ncols
    return (m["page"] - 1) + used / (ncols * height), int(m["pages"])


def _balance(root: Path, template: str, size: float, pitch: float, photo: float = 1.0) -> float:
    """Room (pt) to reserve above the foot of the last page so its two columns end level.

    Estimated from where the text ends, then checked: a value that would push text onto
    another page is reduced a line at a time, and dropped after a few tries."""
    m = _metrics(root, template, size, 2, photo=photo)
    top = m["start-y"] if m["start-page"] == m["page"] else m["top"]
    column_bottom = m["bottom"] - m["float"]
    full = column_bottom - top
    if full <= 0 or m["y"] > column_bottom + 1:
        return 0.0
    text = (full if m["column"] == 1 else 0.0) + (m["y"] - top)
    target = math.ceil(text / 2 / pitch + 0.5) * pitch
    extra = full - target
    for _ in range(4):
        if extra < pitch:
            return 0.0
        check = _metrics(root, template, size, 2, extra, photo)
        if check["pages"] == m["pages"] and check["page"] == m["page"]:
            return float(extra)
        extra -= pitch
    return 0.0


def _size_steps(low: float, high: float) -> list[float]:
    steps, s = [], low
    while s <= high + 1e-9:
        steps.append(round(s, 2))
        s += 0.25
    return steps


def _fit(
    root: Path, spec: LayoutSpec, columns: int, nominal: float, photo: float = 1.0
) -> tuple[float, float, int]:
    """Choose the body size: the largest (0.25 pt steps) at which everything fits one page when
    it does so at the nominal size, else one sheet front and back; shrink no lower than the
    floor and grow no more than a fifth, so a short text fills its sheet instead of floating.

    Returns (size, pages' worth of content, page count)."""
    cache: dict[float, tuple[float, int]] = {}

    def measure(size: float) -> tuple[float, int]:
        if size not in cache:
            cache[size] = _measure(root, spec.template, size, columns, photo)
        return cache[size]

    pages_at_nominal = measure(nominal)[1]
    target = 1 if pages_at_nominal == 1 else SHEET_PAGES
    if pages_at_nominal <= target:
        candidates = _size_steps(nominal, nominal * 1.15)
    else:
        candidates = _size_steps(spec.minimum, nominal)
        if measure(candidates[0])[1] > target:
            return candidates[0], *measure(candidates[0])
    # candidates[0] fits; find the largest that still does (page count grows with size).
    lo, hi = 0, len(candidates)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if measure(candidates[mid])[1] <= target:
            lo = mid
        else:
            hi = mid
    return candidates[lo], *measure(candidates[lo])


def _compile(root: Path, template: str, sys_inputs: dict[str, str]) -> bytes:
    import typst

    try:
        return typst.compile(
            root / template, root=root, font_paths=typst_fonts(), sys_inputs=sys_inputs
        )
    except RuntimeError as exc:  # typst.TypstError and plain compile failures
        raise _typst_error(exc) from exc


def impose_two_up(pdf: bytes, pages: int, title: str, author: str, lang: str) -> bytes:
    """Every page of an A5 leaflet twice, side by side, on A4 landscape, with a dashed cut
    line down the middle (the PDF says it is in ``lang``)."""
    with tempfile.TemporaryDirectory(prefix="leaflet-2up-") as tmp:
        root = Path(tmp)
        shutil.copyfile(TEMPLATE_DIR / "two-up.typ", root / "two-up.typ")
        (root / "leaflet.pdf").write_bytes(pdf)
        inputs = {"pages": str(pages), "title": title, "author": author, "lang": lang}
        return _compile(root, "two-up.typ", inputs)


def overflow_pages(content_pages: float, pages: int) -> float:
    """By how many pages the content overflows one sheet: 0 when it fits (``pages`` ≤ 2),
    at least 0.05 when it does not, so the figure and the page count always agree."""
    if pages <= SHEET_PAGES:
        return 0.0
    return max(content_pages - SHEET_PAGES, 0.05)


def describe_overflow(content_pages: float, pages: int, size: float) -> str | None:
    """``None`` when the content fits one sheet, else by how much it overflows."""
    excess = overflow_pages(content_pages, pages)
    if not excess:
        return None
    return (
        f"overflows one sheet (front and back) by {excess:.1f} page "
        f"({pages} pages even at {size:g} pt)"
    )
