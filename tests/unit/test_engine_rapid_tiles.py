"""Long images are read by RapidOCR in tiles cut between lines (``rapid._tiles``)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aigateway.ocr.engine import rapid


def _receipt(width: int, height: int, pitch: int) -> Image.Image:
    """Black bars ``pitch`` px apart, 30 px tall: lines of print on a long till receipt."""
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    for y in range(40, height - 40, pitch):
        d.rectangle((20, y, width - 20, y + 30), fill=0)
    return img


def test_a_page_shaped_image_is_one_tile() -> None:
    page = _receipt(2550, 3300, 60)
    assert [(t.size, x, y) for t, x, y in rapid._tiles(page)] == [((2550, 3300), 0, 0)]


def test_a_receipt_is_cut_between_its_lines_into_tiles_read_at_full_size() -> None:
    img = _receipt(900, 9000, 70)
    tiles = rapid._tiles(img)
    assert len(tiles) >= 5
    ys = [y for _, _, y in tiles]
    assert ys == sorted(ys) and ys[0] == 0
    for tile, x, _ in tiles:
        assert x == 0 and tile.width == 900 and tile.height <= rapid.SIDE
        # No bar (line of print) is cut: each tile starts on white.
        assert np.asarray(tile)[0].min() == 255
    assert sum(t.height for t, _, _ in tiles) == 9000


def test_a_thin_strip_is_padded_so_the_detector_never_sees_a_sliver() -> None:
    tiles = rapid._tiles(Image.new("L", (20000, 30), 255))
    for tile, _, y in tiles:
        assert y == 0
        assert max(tile.size) <= rapid.THIN * min(tile.size) + 1


@settings(max_examples=60, deadline=None)
@given(st.integers(4, 30000), st.integers(4, 30000))
def test_tiles_cover_the_image_exactly_once(width: int, height: int) -> None:
    img = Image.new("L", (min(width, 30000), min(height, 3000)), 255)
    tiles = rapid._tiles(img)
    wide = img.width > img.height
    spans = sorted(
        (x, x + min(t.width, img.width - x)) if wide else (y, y + min(t.height, img.height - y))
        for t, x, y in tiles
    )
    assert spans[0][0] == 0 and spans[-1][1] == (img.width if wide else img.height)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
