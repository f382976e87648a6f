"""A manual's page with a row of pattern-filled circles between its text: the grid, bricks,
checker board and hatching a drawing package fills shapes with. Tesseract's layout analysis
takes the circles for text and reads rows of made-up words out of them."""

from __future__ import annotations

from PIL import Image, ImageDraw

from .docgen import font

PROSE = (
    "Patterns are filled with tiles. The four below are the grid, the",
    "bricks, the checker board and the hatch that the module defines.",
)
CODE = ('add("tile", tile());', 'add("brick", brick());', 'filldraw(unitcircle, pattern("tile"));')
AFTER = (
    "Hatch patterns are made with the routines hatch and crosshatch,",
    "whose spacing and direction can be given.",
)
TEXT = PROSE + CODE + AFTER
"""Every line typed on the page, top to bottom."""


def _tiles(
    kind: int, box: tuple[int, int, int, int], step: int, width: int, size: tuple[int, int]
) -> Image.Image:
    """One circle's fill on a page of ``size`` (pasted through the circle's mask)."""
    x0, y0, x1, y1 = box
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    if kind == 0:  # grid
        for x in range(x0, x1, step):
            d.line((x, y0, x, y1), fill=0, width=width)
        for y in range(y0, y1, step):
            d.line((x0, y, x1, y), fill=0, width=width)
    elif kind == 1:  # bricks: courses of mortar, joints offset by half a brick each course
        for k, y in enumerate(range(y0, y1, step // 2)):
            d.line((x0, y, x1, y), fill=0, width=width)
            for x in range(x0 + (k % 2) * step // 2, x1, step):
                d.line((x, y, x, y + step // 2), fill=0, width=width)
    elif kind == 2:  # checker board
        for i, x in enumerate(range(x0, x1, step)):
            for j, y in enumerate(range(y0, y1, step)):
                if (i + j) % 2 == 0:
                    d.rectangle((x, y, x + step, y + step), fill=0)
    else:  # hatching
        for x in range(x0 - (y1 - y0), x1, step // 2):
            d.line((x, y1, x + (y1 - y0), y0), fill=0, width=width)
    return img


def figure_page(dpi: int = 300) -> Image.Image:
    """The page, A4 at ``dpi`` (300 or 150)."""
    s = dpi / 300

    def px(v: float) -> int:
        return round(v * s)

    img = Image.new("L", (px(2550), px(3300)), 255)
    d = ImageDraw.Draw(img)
    prose, mono = font(px(38)), font(px(34), "DejaVuSansMono.ttf")
    y = px(300)
    for t in PROSE:
        d.text((px(200), y), t, font=prose, fill=0)
        y += px(60)
    y += px(40)
    for t in CODE:
        d.text((px(200), y), t, font=mono, fill=0)
        y += px(50)
    cy, r, width = y + px(260), px(200), max(1, px(3))
    for k in range(4):
        cx = px(420 + k * 560)
        box = (cx - r, cy - r, cx + r, cy + r)
        mask = Image.new("L", img.size, 0)
        ImageDraw.Draw(mask).ellipse(box, fill=255)
        img.paste(_tiles(k, box, px(40), width, img.size), (0, 0), mask)
        d.ellipse(box, outline=0, width=max(1, px(4)))
    y = cy + r + px(100)
    for t in AFTER:
        d.text((px(200), y), t, font=prose, fill=0)
        y += px(60)
    return img
