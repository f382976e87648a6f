"""Test documents for the layout pass and Mistral's image semantics: tables drawn as pixels,
a two-column page, a PDF with an embedded picture, text on a noisy background."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageChops, ImageDraw

from .docgen import A4, _build_pdf, _jpeg, _text_ops, _wrap, font, noise, render_text

__all__ = (
    "figure_pdf",
    "noisy_png",
    "png",
    "table_and_figure_pdf",
    "table_image",
    "term_list_image",
    "two_column_image",
)


def png(img: Image.Image, dpi: int | None = None) -> bytes:
    """PNG bytes, with a DPI tag only when ``dpi`` is given."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return buf.getvalue()


def table_image(
    rows: Sequence[Sequence[str]],
    *,
    size: int = 36,
    ruled: bool = True,
    intro: str = "Table of results follows below.",
    width: int = 1700,
) -> Image.Image:
    """A page with a sentence, then ``rows`` as a grid (ruled or just aligned), then a sentence."""
    fnt = font(size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    ncols = max(len(r) for r in rows)
    colw = [
        max(int(probe.textlength(r[c], font=fnt)) if c < len(r) else 0 for r in rows) + 2 * size
        for c in range(ncols)
    ]
    step = int(size * 1.9)
    top = 100 + 3 * step
    height = top + step * len(rows) + 4 * step
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    d.text((100, 100), intro, font=fnt, fill=0)
    x_edges = [100]
    for w in colw:
        x_edges.append(x_edges[-1] + w)
    for i, row in enumerate(rows):
        y = top + i * step
        for c, cell in enumerate(row):
            d.text((x_edges[c] + size // 2, y + size // 4), cell, font=fnt, fill=0)
    if ruled:
        bottom = top + step * len(rows)
        for i in range(len(rows) + 1):
            d.line([(x_edges[0], top + i * step), (x_edges[-1], top + i * step)], fill=0, width=2)
        for x in x_edges:
            d.line([(x, top), (x, bottom)], fill=0, width=2)
    d.text((100, top + step * len(rows) + step), "The end of the page.", font=fnt, fill=0)
    return img


def two_column_image(left: str, right: str, *, size: int = 34) -> Image.Image:
    """Two columns of prose side by side (a journal page), 1700 px wide."""
    a = render_text(left, width=850, size=size, margin=80)
    b = render_text(right, width=850, size=size, margin=80)
    img = Image.new("L", (1700, max(a.height, b.height)), 255)
    img.paste(a, (0, 0))
    img.paste(b, (850, 0))
    return img


def noisy_png(
    text: str, *, size: int = 42, sigma: float = 60, mean: int = 180, seed: int = 0
) -> bytes:
    """``text`` in black on a light grey grainy background (no DPI tag)."""
    img = render_text(text, size=size)
    grain = noise(img.size, sigma, seed).point(lambda v: max(0, min(255, v - 128 + mean)))
    return png(ImageChops.darker(img, grain))


def figure_pdf(text: str, picture: Image.Image, *, box: tuple[float, float, float, float]) -> bytes:
    """A one-page born-digital PDF: ``text`` as a text layer above ``picture`` drawn at ``box``
    (x, y, width, height in points, PDF origin bottom-left)."""
    x, y, w, h = box
    lines = _wrap(text, 80)
    ops = _text_ops(lines, size=11, x=56, top=A4[1] - 72, mode=0)
    ops += f"\nq {w:g} 0 0 {h:g} {x:g} {y:g} cm /Im0 Do Q".encode()
    return _build_pdf([(ops, [("Im0", _jpeg(picture), picture.width, picture.height)], 0)])


def table_and_figure_pdf(rows: Sequence[Sequence[str]], text: str, picture: Image.Image) -> bytes:
    """Two pages: a scanned table (an image-only page, so it is OCR'd) and a born-digital page
    with ``text`` above ``picture`` (drawn 200 x 120 pt at x=100, y=400)."""
    scan = table_image(rows, size=36, width=1654)
    page = Image.new("L", (1654, 2339), 255)
    page.paste(scan, (0, 0))
    # Scanner grain: the page is a real-size JPEG (~1.5 MB), as scans are.
    page = ImageChops.darker(page, noise(page.size, 12).point(lambda v: v + 110))
    scan_ops = f"q {A4[0]:g} 0 0 {A4[1]:g} 0 0 cm /Im0 Do Q".encode()
    text_ops = _text_ops(_wrap(text, 80), size=11, x=56, top=A4[1] - 72, mode=0)
    text_ops += b"\nq 200 0 0 120 100 400 cm /Im0 Do Q"
    return _build_pdf(
        [
            (scan_ops, [("Im0", _jpeg(page), page.width, page.height)], 0),
            (text_ops, [("Im0", _jpeg(picture), picture.width, picture.height)], 0),
        ]
    )


def term_list_image(
    heading: str, entries: Sequence[tuple[str, str]], closing: str, *, size: int = 40
) -> Image.Image:
    """A 300 DPI letter page holding an argument list as reference manuals set it: each term
    at the left margin, its description beside it and wrapped under itself (R's Rd pages,
    Doxygen parameter lists), between a heading and a closing paragraph."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    fnt = font(size)
    step, left, edge, right = int(size * 1.5), 150, 650, 2400
    y = 150
    d.text((left, y), heading, font=fnt, fill=0)
    y += 2 * step
    for term, text in entries:
        d.text((left, y), term, font=fnt, fill=0)
        line = ""
        for word in text.split():
            if line and d.textlength(f"{line} {word}", font=fnt) > right - edge:
                d.text((edge, y), line, font=fnt, fill=0)
                y += step
                line = word
            else:
                line = f"{line} {word}".strip()
        d.text((edge, y), line, font=fnt, fill=0)
        y += int(step * 1.3)
    y += step
    for line in _wrap(closing, 80):
        d.text((left, y), line, font=fnt, fill=0)
        y += step
    return img
