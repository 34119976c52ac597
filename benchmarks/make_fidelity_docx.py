"""Builds the DOCX statements ``benchmarks/fidelity.py`` measures: varied, like real ones.

Run from the repository root::

    python -m benchmarks.make_fidelity_docx [FOLDER] [--count N]

(default ``benchmarks/fidelity_docx/``, 16 files). Each statement is written by pandoc from
Markdown (footnotes, pictures with captions, tables whose cells hold lists, quotes, nested
lists) and finished with python-docx the way Word users make them: a header with the
organisation's name (and on some a logo), a footer with the contact line, Title/Subtitle
styles, coloured and sized runs, text boxes (VML ``w:txbxContent``, as Word and LibreOffice
write them), document properties. The pictures are PNGs drawn with Pillow. Which elements a
file has varies with its number, so the set covers each element several times and in
combinations. Nothing is downloaded; the same ``--count`` gives the same files.
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = ROOT / "benchmarks" / "fidelity_docx"
sys.path.insert(0, str(ROOT))

ORGS = ["Federación Minera del Centro", "Miners' Solidarity Network", "Frente de Defensa de Oroya"]
TOPICS = ["the strike at the mine", "the arrest of seven leaders", "the water of the valley"]
SENTENCES = [
    "The workers of the valley have been on strike for nine days.",
    "We demand the immediate release of the seven union leaders.",
    "The company refuses to negotiate with the elected delegates.",
    "Families have organised a common kitchen in the main square.",
    "International unions have sent messages of support this week.",
    "The police blocked the road to the mine before dawn.",
    "Our movement calls for a national day of action on Friday.",
    "Water samples taken by the community show heavy metals.",
]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEXTBOX = (
    f'<w:r xmlns:w="{W}" xmlns:v="urn:schemas-microsoft-com:vml">'
    '<w:pict><v:shape id="box{n}" type="#_x0000_t202" style="width:220pt;height:60pt">'
    "<v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
    "</v:textbox></v:shape></w:pict></w:r>"
)


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill="white")
    out = io.BytesIO()
    picture.save(out, "PNG", dpi=(150, 150))
    return out.getvalue()


def _markdown(n: int, rng: random.Random, media: Path) -> str:
    """The body of statement ``n`` as Markdown (pandoc writes it as DOCX)."""
    para = lambda k: " ".join(rng.sample(SENTENCES, k))  # noqa: E731
    parts = [f"# On {TOPICS[n % len(TOPICS)]}", para(3)]
    if n % 2 == 0:
        photo = media / f"photo{n}.png"
        photo.write_bytes(_png((480 + 40 * n, 320), (160, 30 + 10 * n, 40)))
        parts.append(f"![The leaders of the union in front of the prison, {n}]({photo})")
    if n % 3 == 0:
        parts.append(f"{para(1)}[^1] {para(1)}[^2]")
        parts.append(f"[^1]: {para(1)}\n\n[^2]: {para(1)}")
    if n % 2 == 1 or n % 5 == 0:
        parts.append(
            "+-----------------+------------------------------------+\n"
            "| Action          | Details                            |\n"
            "+=================+====================================+\n"
            "| March           | We ask for:                        |\n"
            "|                 |                                    |\n"
            "|                 | - the release of the leaders       |\n"
            "|                 | - an end to the trials             |\n"
            "+-----------------+------------------------------------+\n"
            "| Common kitchen  | Every day at noon in the square.   |\n"
            "+-----------------+------------------------------------+\n\n"
            ": Actions of the week"
        )
    if n % 4 == 1:
        parts.append("> " + para(2))
    parts.append("## What we ask\n\n- " + "\n- ".join(rng.sample(SENTENCES, 3)))
    if n % 4 == 3:
        second = media / f"map{n}.png"
        second.write_bytes(_png((300, 300), (30, 90, 160)))
        parts.append(f"The route of the march: ![map of the route]({second}){{width=2in}}")
    parts.append(para(2))
    return "\n\n".join(parts) + "\n"


def build(folder: Path, count: int = 16) -> list[Path]:
    """Write ``count`` statements into ``folder``; returns their paths."""
    import docx
    from docx.shared import Pt, RGBColor
    from pypandoc import get_pandoc_path as pandoc_path

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        media = Path(tmp)
        logo = media / "logo.png"
        logo.write_bytes(_png((200, 200), (20, 110, 60)))
        for n in range(count):
            rng = random.Random(n)
            md = media / f"s{n}.md"
            md.write_text(_markdown(n, rng, media), encoding="utf-8")
            path = folder / f"statement-{n:02d}.docx"
            subprocess.run([pandoc_path(), str(md), "-o", str(path)], check=True)
            word = docx.Document(str(path))
            org = ORGS[n % len(ORGS)]
            first = word.paragraphs[0]
            if n % 3 != 2:  # Title (and Subtitle) paragraphs, as Word users make them
                first.insert_paragraph_before(f"Statement of {org}", style="Title")
                if n % 2 == 0:
                    first.insert_paragraph_before(f"On {TOPICS[n % 3]}", style="Subtitle")
            section = word.sections[0]
            if n % 4 != 3:
                header = section.header.paragraphs[0]
                if n % 2 == 0:
                    header.add_run().add_picture(str(logo), width=docx.shared.Inches(0.5))
                header.add_run(f" {org}").bold = True
            if n % 5 != 4:
                section.footer.paragraphs[0].text = f"{org} · prensa@example.org · +51 1 555 0101"
            if n % 3 == 1:  # a text box in its own paragraph
                holder = word.add_paragraph()
                holder._p.append(etree.fromstring(TEXTBOX.format(n=n, text=rng.choice(SENTENCES))))
            if n % 2 == 1:  # a red 14 pt sentence
                run = word.add_paragraph().add_run("Freedom for the leaders now!")
                run.font.color.rgb = RGBColor(0xB5, 0x12, 0x1B)
                run.font.size = Pt(14)
                run.bold = True
            word.core_properties.author = org
            word.core_properties.title = f"Statement of {org}"
            word.save(str(path))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args(argv)
    paths = build(args.folder, args.count)
    print(f"{len(paths)} DOCX statements in {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
