"""A sheet photographed on a table: found, and warped flat (:mod:`aigateway.ocr.engine.paper`)."""

from __future__ import annotations

import random
import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from aigateway.ocr.engine import paper

from ..support.docgen import font

CORNERS = ((260.0, 230.0), (1790.0, 150.0), (1850.0, 2480.0), (190.0, 2390.0))


def _page() -> Image.Image:
    img = Image.new("L", (1700, 2200), 250)
    d = ImageDraw.Draw(img)
    for k in range(24):
        d.text((150, 150 + 80 * k), f"Line {k}: the quick brown fox jumps", font=font(40), fill=20)
    return img


def _surface(size: tuple[int, int], seed: int, mean: int = 70, spread: float = 18) -> Image.Image:
    """A table top: coarse seeded noise, blurred by enlarging (wood or cloth, not a flat
    colour)."""
    rng = np.random.default_rng(seed)
    cells = rng.normal(mean, spread, (size[1] // 8 + 1, size[0] // 8 + 1))
    small = Image.fromarray(np.clip(cells, 0, 255).astype("uint8"))
    return small.resize((small.width * 8, small.height * 8), Image.Resampling.BILINEAR).crop(
        (0, 0, *size)
    )


def _photo(corners: tuple[tuple[float, float], ...] = CORNERS, seed: int = 1) -> Image.Image:
    """:func:`_page` warped so its corners land on ``corners`` of a 2100 x 2700 photo."""
    return _photo_of(_page(), corners, seed)


def _photo_of(
    page: Image.Image, corners: tuple[tuple[float, float], ...], seed: int
) -> Image.Image:
    """``page`` warped so its corners land on ``corners`` of a 2100 x 2700 photo."""
    w, h = page.size
    src = ((0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h)))
    coeffs = paper.coefficients(src, corners)
    size = (2100, 2700)
    warped = page.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    mask = Image.new("L", page.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs)
    return Image.composite(warped, _surface(size, seed), mask)


def test_a_sheet_on_a_table_is_found_at_its_corners() -> None:
    quad = paper.find(_photo())
    assert quad is not None
    for (x, y), (ex, ey) in zip(quad.corners, CORNERS, strict=True):
        # Measured on a copy a ninth of the size and pulled inwards by INSET: within ~1 %.
        assert abs(x - ex) < 30 and abs(y - ey) < 30, (quad.corners, CORNERS)


def test_the_flattened_sheet_is_an_upright_rectangle_of_text() -> None:
    photo = _photo()
    quad = paper.find(photo)
    assert quad is not None
    flat = paper.flatten(photo, quad)
    # As wide and tall as the sheet's longer edges.
    assert 1530 <= flat.width <= 1680 and 2230 <= flat.height <= 2340, flat.size
    # No surface left along the edges: its dark texture would read as rules or garbage.
    rows = np.asarray(flat)
    for edge in (rows[:, :3], rows[:, -3:], rows[:3, :], rows[-3:, :]):
        assert edge.mean() > 200, edge.mean()
    # The text lines are level again: each line's ink is one band of rows (a keystoned page's
    # lines slope, so the row profile between lines would never come back to paper).
    profile = (rows < 128).sum(axis=1)
    gaps = int(((profile[1:] == 0) & (profile[:-1] > 0)).sum())
    assert gaps >= 22, gaps


def test_a_receipt_photographed_from_arms_length_is_found() -> None:
    # A narrow strip covering an eighth of the frame, turned a little.
    receipt = Image.new("L", (400, 1400), 245)
    d = ImageDraw.Draw(receipt)
    for k in range(20):
        d.text((30, 40 + 64 * k), f"Item {k}  {k * 3}.50", font=font(30), fill=30)
    corners = ((900.0, 700.0), (1300.0, 730.0), (1240.0, 2130.0), (840.0, 2100.0))
    src = ((0.0, 0.0), (400.0, 0.0), (400.0, 1400.0), (0.0, 1400.0))
    coeffs = paper.coefficients(src, corners)
    size = (2100, 2700)
    warped = receipt.transform(size, Image.Transform.PERSPECTIVE, coeffs)
    mask = Image.new("L", receipt.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs)
    quad = paper.find(Image.composite(warped, _surface(size, 4), mask))
    assert quad is not None
    for (x, y), (ex, ey) in zip(quad.corners, corners, strict=True):
        assert abs(x - ex) < 30 and abs(y - ey) < 30, (quad.corners, corners)


def test_light_text_on_a_dark_ground_is_not_a_sheet() -> None:
    # A poster photographed close: light words on a dark, textured ground are many small
    # bright islands, not one sheet; cutting to their extremes would lose the ground's words.
    ground = _surface((1800, 1400), 6, 60, 14)
    d = ImageDraw.Draw(ground)
    for k in range(12):
        d.text((120, 80 + 105 * k), f"Night market {k}: stalls open late", font=font(64), fill=235)
    assert paper.find(ground) is None


def test_pages_that_are_not_photos_of_a_sheet_are_left_alone() -> None:
    # A scan or a render: paper reaches the border.
    assert paper.find(_page()) is None
    # A screenshot: a document on an editor's flat dark frame, whose own text must not be
    # cropped away.
    shot = Image.new("L", (2000, 1400), 40)
    shot.paste(_page().resize((900, 1160)), (550, 120))
    ImageDraw.Draw(shot).text((30, 20), "File Edit View", font=font(24), fill=220)
    assert paper.find(shot) is None
    # The sheet running off the frame: nothing to crop against.
    off = _photo(((-80.0, 230.0), (1790.0, 150.0), (1850.0, 2480.0), (-60.0, 2390.0)))
    assert paper.find(off) is None
    # A page under a lens's vignette: its corners darker than Otsu's level, but a ramp from
    # the paper, not a step to a table (the ramp was cut anywhere, and lines' starts lost).
    page = _page()
    lens = Image.radial_gradient("L").resize(page.size).point(lambda v: 255 - v * 0.6)
    vignetted = ImageChops.multiply(page, lens)
    noise = np.random.default_rng(5).normal(0, 6, (page.height, page.width))
    grainy = np.clip(np.asarray(vignetted) + noise, 0, 255).astype("uint8")
    assert paper.find(vignetted) is None
    assert paper.find(Image.fromarray(grainy)) is None
    # A dark page (dark mode) or a blank one.
    assert paper.find(Image.new("L", (1200, 900), 30)) is None
    assert paper.find(Image.new("L", (1200, 900), 255)) is None
    # Too small to hold a page.
    assert paper.find(Image.new("L", (40, 40), 0)) is None


def test_a_maze_is_given_up_on_quickly() -> None:
    # A crafted image whose dark region winds back and forth: the flood would take tens of
    # thousands of steps; it stops at FLOOD_STEPS.
    side = paper.SIDE
    img = Image.new("L", (side, side), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, side - 1, side - 1), outline=0)
    for k, x in enumerate(range(2, side - 2, 2)):
        y0, y1 = (1, side - 4) if k % 2 else (3, side - 2)
        d.line((x, y0, x, y1), fill=0)
    started = time.perf_counter()
    paper.find(img)
    assert time.perf_counter() - started < 2.0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(64, 700),
    st.integers(64, 700),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 2**32 - 1),
)
def test_any_image_gives_corners_inside_it_or_none(
    w: int, h: int, ground: int, sheet: int, seed: int
) -> None:
    rng = random.Random(seed)
    img = _surface((w, h), seed, ground, rng.choice([0, 5, 30]))
    x0, y0 = rng.randrange(w // 2), rng.randrange(h // 2)
    ImageDraw.Draw(img).polygon(
        [(x0, y0), (rng.randrange(x0, w), y0), (w - 1, h - 1), (x0, rng.randrange(y0, h))],
        fill=sheet,
    )
    quad = paper.find(img)
    if quad is not None:
        for x, y in quad.corners:
            assert -1 <= x <= w + 1 and -1 <= y <= h + 1
        flat = paper.flatten(img, quad)
        assert flat.width >= 1 and flat.height >= 1


NOTICE = [
    "Nettle is dual licenced under the GNU General Public License version 2",
    "or later, and the GNU Lesser General Public License version 3 or later.",
    "When using Nettle, you must comply fully with all conditions of at least",
    "one of these licenses. A few of the individual files are licensed under",
    "more permissive terms, or in the public domain. To find the current status",
    "of particular files, you have to read the copyright notices at the top.",
]


def test_a_short_page_photographed_upside_down_under_a_lamp_is_turned_and_read() -> None:
    # Six lines in the half of the photo the lamp leaves darker, upside down: too few lines
    # for their shape to tell which way up, so the turn is found on the warped page, whose
    # paper is evened out first (a probe photo of a short manual page, lit so, was read at
    # confidence 40 and not turned before that; this synthetic one was turned either way).
    from aigateway.ocr.engine import reader
    from aigateway.ocr.engine.compose import compose
    from aigateway.ocr.engine.options import EngineOptions

    sheet = Image.new("L", (1700, 2200), 250)
    d = ImageDraw.Draw(sheet)
    for k, line in enumerate(NOTICE):
        d.text((120, 200 + 56 * k), line, font=font(32), fill=25)
    photo = _photo_of(sheet.rotate(180), CORNERS, 8)
    lamp = Image.linear_gradient("L").resize(photo.size).point(lambda v: 255 - v * 0.42)
    lit = ImageChops.multiply(photo, lamp)  # brightest at the top, where the text is not
    reading = reader.read_image(lit, 72, EngineOptions())
    assert reading.flattened and reading.rotation == 180
    text = " ".join(compose(reading.items, (), None)[0].split())
    assert sum(line in text for line in NOTICE) >= 5, text
