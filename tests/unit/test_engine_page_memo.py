"""What the measuring passes share of a page: its histogram and its reduced copies, kept for
the page asked about last and exact copies of what Pillow computes."""

from __future__ import annotations

import gc
import random

import pytest
from PIL import Image

from aigateway.ocr.engine import preprocess


def _page(seed: int, size: tuple[int, int] = (400, 300)) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("L", size, 255)
    img.putdata(
        [255 if rng.random() < 0.9 else rng.randrange(256) for _ in range(size[0] * size[1])]
    )
    return img


def test_a_pages_histogram_is_pillows_and_counted_once() -> None:
    page = _page(1)
    first = preprocess.page_histogram(page)
    assert list(first) == page.histogram()
    assert preprocess.page_histogram(page) is first  # kept, not counted again
    other = page.copy()  # the same pixels, another page: counted for itself
    again = preprocess.page_histogram(other)
    assert again == first and again is not first
    assert preprocess.page_histogram(page) is not first  # only the last page is kept


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_a_reduced_copy_is_pillows_and_made_once_per_factor(factor: int) -> None:
    page = _page(2)
    small = preprocess.reduced(page, factor)
    expected = page.reduce(factor) if factor > 1 else page
    assert small.size == expected.size and small.tobytes() == expected.tobytes()
    assert preprocess.reduced(page, factor) is small
    if factor > 1:
        half = preprocess.reduced(page, 2 if factor != 2 else 4)
        assert preprocess.reduced(page, factor) is small  # each factor keeps its own
        assert half is not small


def test_a_reduced_copy_goes_with_its_page() -> None:
    page = _page(3)
    preprocess.reduced(page, 2)
    assert ("reduce", 2) in preprocess._KEPT
    del page
    gc.collect()
    assert ("reduce", 2) not in preprocess._KEPT


def test_as_gray_copies_only_what_is_not_grey() -> None:
    page = _page(4)
    assert preprocess.as_gray(page) is page
    rgb = page.convert("RGB")
    grey = preprocess.as_gray(rgb)
    assert grey.mode == "L" and grey.tobytes() == page.tobytes()
