"""Images a source refers to → ``document.Image`` (bytes, format, pixel size), or why not.

A reference is resolved without the network: a path relative to the source's folder (or the
folder pandoc extracted a DOCX/ODT/EPUB's media into), a ``file:`` URL or a ``data:`` URI.
Remote images are never fetched (the caller notes them). Only files Pillow recognises as a
picture within the file-size limit are carried, so a reference can never smuggle another kind
of file into an output; PNG, JPEG and GIF are kept as they are, any other picture Pillow reads
(WebP, TIFF, BMP, …) is converted to PNG, which every writer takes.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from pipeline.document import Image
from pipeline.errors import PipelineError
from pipeline.ingest.limits import Limits

KEPT_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif"}
REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")
_DATA_URI = re.compile(r"^data:([\w/+.-]*)(;base64)?,(.*)$", re.DOTALL)


class ImageProblem(PipelineError):
    """An image reference that cannot be carried; the message says why, for a note."""


def is_remote(target: str) -> bool:
    """Whether ``target`` names a resource on the network (``http://…``, ``//host/…``)."""
    return bool(REMOTE.match(target)) and not target.lower().startswith("file:")


def load_image(
    target: str, base: Path | None, limits: Limits, *, inside: Sequence[Path] = ()
) -> Image:
    """The image ``target`` names, read from ``base`` (the folder relative paths start in);
    ``ImageProblem`` with the reason when it cannot be carried. A file is read only when it
    lies (links resolved) inside ``base`` or one of the folders ``inside`` (where pandoc
    extracted the document's own pictures): a document cannot copy another picture on the
    disk into its outputs by naming it with an absolute or ``../`` path."""
    match = _DATA_URI.match(target)
    if match:
        data = _data_uri_bytes(match)
        name = "an embedded data: image"
    else:
        path = _local_path(target, base)
        _check_inside(target, path, [*([base] if base is not None else []), *inside])
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise ImageProblem(f"{target} is not a file")
            if size > limits.max_file_mb * 1024 * 1024:
                raise ImageProblem(f"{target} is larger than {limits.max_file_mb} MB")
            data = path.read_bytes()
        except OSError as exc:
            raise ImageProblem(f"{target} cannot be read ({exc.strerror or exc})") from exc
        name = target
        image = image_from_bytes(data, name)
        image.path = str(path.resolve())
        return image
    return image_from_bytes(data, name)


def image_from_bytes(data: bytes, name: str) -> Image:
    """An ``Image`` from a picture's bytes (``ImageProblem`` when they are not one)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            picture.load()
            width, height = picture.size
            dpi = _dpi(picture.info.get("dpi"))
            fmt = KEPT_FORMATS.get(picture.format or "")
            if fmt is None:
                out = io.BytesIO()
                converted = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
                converted.save(out, "PNG")
                data, fmt = out.getvalue(), "png"
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        kind = "an SVG drawing (not carried)" if b"<svg" in data[:2048] else "not a picture"
        raise ImageProblem(f"{name} is {kind}") from exc
    except PILImage.DecompressionBombError as exc:
        raise ImageProblem(f"{name} has too many pixels to be a picture") from exc
    return Image(data=data, fmt=fmt, width_px=width, height_px=height, dpi=dpi, name=name)


def _dpi(value: object) -> float:
    if not isinstance(value, tuple) or not value:
        return 96.0
    try:
        dpi = float(value[0])
    except (TypeError, ValueError):
        return 96.0
    return dpi if 20 <= dpi <= 2400 else 96.0


def _data_uri_bytes(match: re.Match[str]) -> bytes:
    payload = match.group(3)
    if not match.group(2):
        return unquote(payload).encode("latin-1", "replace")
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ImageProblem("an embedded data: image is damaged") from exc


def _check_inside(target: str, path: Path, roots: Sequence[Path]) -> None:
    """``ImageProblem`` unless ``path`` (its links resolved) is inside one of ``roots``."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # a link loop
        raise ImageProblem(f"{target} cannot be read ({exc})") from exc
    if not any(real.is_relative_to(root.resolve()) for root in roots):
        raise ImageProblem(
            f"{target} is outside the document and its folder (not read: a document may "
            "only use pictures inside it or next to it)"
        )


def _local_path(target: str, base: Path | None) -> Path:
    if target.lower().startswith("file:"):
        target = unquote(urlparse(target).path)
    else:
        target = unquote(target.split("#", 1)[0].split("?", 1)[0])
    path = Path(target)
    if not path.is_absolute():
        if base is None:
            raise ImageProblem(f"{target} is a relative path and the source has no folder")
        path = base / path
    return path
