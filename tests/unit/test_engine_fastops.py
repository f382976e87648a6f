"""Levelling and the unsharp mask on OpenCV give Pillow's page (``fastops``).

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


def test_levelling_is_pillows_bilinear_rotation() -> None:
    # On OpenCV when it is installed: the same canvas and sample points as Pillow's bilinear
    # rotation, every pixel within a grey level of it (OpenCV's bicubic, tried once, read the
    # report split's scans worse: levelling must be Pillow's page, whichever library makes it).
    page = _page()
    for angle in (0.7, -1.1, 3.0, -5.9, 90.0, 180.0):
        pillow = page.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
        ours = fastops.rotate(page, angle)
        assert ours.size == pillow.size
        diff = ImageChops.difference(ours, pillow).getextrema()
        assert diff[1] <= 1, (angle, diff)
        if angle % 90 == 0:
            assert ours.tobytes() == pillow.tobytes()


def test_levelling_without_opencv_is_pillows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastops, "_cv2", lambda: None)
    page = _page()
    pillow = page.rotate(2.5, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    assert fastops.rotate(page, 2.5).tobytes() == pillow.tobytes()


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
