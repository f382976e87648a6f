"""Image clean-ups for pages the recogniser could not read at first (Pillow only).

Tesseract binarises a page with one global threshold; grain or a textured background pushes
whole regions of text under it and the page comes back empty. The ladder in :data:`LADDER` is
tried in order on such pages only, and the reading stops at the first confident one, so clean
pages never pay for it (measured in ``bench/ocr_quality.py``, category ``noisy``).
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageChops, ImageFilter, ImageOps

__all__ = ("LADDER", "binarize", "flatten", "otsu")


def otsu(img: Image.Image) -> int:
    """Otsu's threshold of a grayscale image: the level that best splits ink from paper."""
    hist = img.histogram()[:256]
    total = sum(hist)
    weighted = sum(i * c for i, c in enumerate(hist))
    below = below_sum = 0
    best, level = -1.0, 127
    for i, count in enumerate(hist):
        below += count
        if below == 0:
            continue
        above = total - below
        if above == 0:
            break
        below_sum += i * count
        mean_b = below_sum / below
        mean_a = (weighted - below_sum) / above
        spread = below * above * (mean_b - mean_a) ** 2
        if spread > best:
            best, level = spread, i
    return level


def binarize(img: Image.Image, median: int = 5) -> Image.Image:
    """Median filter (removes grain up to ~median/2 px), then Otsu's global threshold."""
    smooth = img.filter(ImageFilter.MedianFilter(median))
    level = otsu(smooth)
    return smooth.point(lambda v: 255 if v > level else 0)


def flatten(img: Image.Image) -> Image.Image:
    """Even out a background that changes across the page (shadows, stains, gradients).

    The background is estimated at 1/8 scale by a max filter (ink is darker than paper, so it
    disappears) and subtracted; the paper becomes white everywhere.
    """
    w, h = img.size
    small = img.resize((max(1, w // 8), max(1, h // 8)), Image.Resampling.BOX)
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
    return ImageOps.invert(ImageChops.subtract(background.resize(img.size), img))


LADDER: tuple[tuple[str, Callable[[Image.Image], Image.Image]], ...] = (
    ("median3", lambda img: img.filter(ImageFilter.MedianFilter(3))),
    ("binarize", binarize),
    ("flatten", lambda img: binarize(flatten(img))),
)
"""Clean-ups for a doubtful page, cheapest first."""
