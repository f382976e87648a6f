"""Levelling is Pillow's rotation; the unsharp mask on OpenCV gives Pillow's page (``fastops``).

The engine sharpens on OpenCV when it is installed; everything after (word boxes, dimensions)
must not notice which library did it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from aigateway.ocr.engine import fastops, ink

from ..support.docgen import font


def _page() -> Image.Image:
    img = Image.new("L", (900, 600), 255)
    d = ImageDraw.Draw(img)
    for k in range(8):
        d.text(
            (40, 30 + 70 * k), f"Line {k}: the quick brown fox, 0123456789", font=font(40), fill=0
        )
    return img


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


needs_cv2 = pytest.mark.skipif(fastops._cv2() is None, reason="opencv not installed")


@needs_cv2
def test_unsharp_mask_matches_pillows() -> None:
    page = _page().filter(ImageFilter.GaussianBlur(1.2))
    ours = fastops.unsharp(page, 2, 80)
    pillow = page.filter(ImageFilter.UnsharpMask(2, 80, 0))
    assert _mean_diff(ours, pillow) < 1.5
    assert _mean_diff(ours, page) > 3 * _mean_diff(ours, pillow)  # it did sharpen


def test_without_opencv_pillow_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastops, "_cv2", lambda: None)
    page = _page()
    assert (
        fastops.unsharp(page, 2, 80).tobytes()
        == page.filter(ImageFilter.UnsharpMask(2, 80, 0)).tobytes()
    )


def test_other_modes_go_to_pillow() -> None:
    rgb = _page().convert("RGB")
    out = fastops.rotate(rgb, 1.0)
    assert out.mode == "RGB"
    assert out.size == rgb.rotate(1.0, expand=True).size


def test_levelling_is_pillows_bilinear_rotation_even_with_opencv() -> None:
    # OpenCV's bicubic rotation put the glyphs in the same place but read the report split's
    # scans at 0.087 micro CER against Pillow's 0.047: levelling stays Pillow's, byte for byte.
    page = _page()
    for angle in (0.7, -1.1, 3.0, 90.0):
        pillow = page.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
        assert fastops.rotate(page, angle).tobytes() == pillow.tobytes()


@needs_cv2
def test_median_filter_matches_pillows_inside_the_edge() -> None:
    # The grain check (preprocess.grainy) compares a page sample with its median: a grainy
    # sample must come out grainy whichever library filtered it.
    page = _page().effect_spread(3)
    ours, pillow = fastops.median3(page), page.filter(ImageFilter.MedianFilter(3))
    inner = (1, 1, page.width - 1, page.height - 1)
    assert ours.crop(inner).tobytes() == pillow.crop(inner).tobytes()
    assert _mean_diff(ours, page) > 1  # it did filter


def test_median_filter_without_opencv_is_pillows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastops, "_cv2", lambda: None)
    page = _page().effect_spread(3)
    assert fastops.median3(page).tobytes() == page.filter(ImageFilter.MedianFilter(3)).tobytes()


@needs_cv2
@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda h: st.lists(st.lists(st.booleans(), min_size=h, max_size=h), min_size=1, max_size=30)
    )
)
def test_connected_parts_on_opencv_come_in_the_flood_fills_order(rows: list[list[bool]]) -> None:
    # The dropped-line passes cap their candidates as they come: the same boxes in the same
    # order either way, not merely the same set.
    grid = np.array(rows, dtype=bool)
    fast = list(ink.components(grid))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fastops, "_cv2", lambda: None)
        slow = list(ink.components(grid))
    assert fast == slow
