"""Whole-image operations: levelling, sharpening and the median filter (on OpenCV when it is
installed, else on Pillow); connected parts of a mask (on OpenCV only).

Straightening a skewed page (a bilinear rotation) and sharpening a soft one (an unsharp mask)
touch every pixel of an 8-megapixel page: on Pillow about 0.15 s and 0.13 s, against 1.5 s for
Tesseract's whole reading. OpenCV (which the ``rapidocr`` extra installs, as its wheel needs
it) does each in a third to a quarter of that time on one core, on one thread: the pool reads
pages in parallel, one core each. Without OpenCV the Pillow version runs, with the same parameters.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from PIL import Image, ImageFilter

__all__ = (
    "boxes",
    "components",
    "median3",
    "opened",
    "parts",
    "raster_boxes",
    "rotate",
    "unsharp",
)


@functools.cache
def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        return None
    cv2.setNumThreads(1)
    return cv2


def rotate(img: Image.Image, angle: float) -> Image.Image:
    """``img`` turned ``angle`` degrees counter-clockwise, bilinear, the canvas grown to hold
    it all and filled white: Pillow's ``rotate(expand=True)``, on OpenCV when it is installed.

    Bilinear: tune and extra split, scans, skewed and rotated pages (96), Pillow's bicubic
    read 3486 edits at 0.28 s a levelling, its bilinear 3498 at 0.10 s. (OpenCV's bicubic,
    tried in an earlier round, read the report split's scans at 0.087 micro CER against
    Pillow's 0.047.) OpenCV's bilinear here is Pillow's to the grey level: the same canvas
    and the same sample points (Pillow samples pixel centres, OpenCV pixel corners, which
    the half-pixel shift in :func:`_pillow_affine` squares), every pixel within 1 of
    Pillow's on 300 DPI pages, in a quarter of the time (0.03-0.05 s against 0.15-0.20 s).
    The tune sample (225 pages) read with 10092 edits against Pillow's 10091, 28 scan and
    skewed pages moved by 1-6 edits either way. (An OpenCV levelling tried in the seventeenth
    round read tune scans, skewed and rotated pages with 3773 edits against 3710.)"""
    cv2 = _cv2()
    if cv2 is None or img.mode != "L" or angle % 90 == 0:  # a right angle is a transpose
        return img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    import numpy as np

    matrix, size = _pillow_affine(img.size, angle)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out = cv2.warpAffine(np.asarray(img), np.array(matrix), size, flags=flags, borderValue=255)
    return Image.fromarray(out)


def _pillow_affine(
    size: tuple[int, int], angle: float
) -> tuple[list[list[float]], tuple[int, int]]:
    """The map from output to input pixel indices of Pillow's ``rotate(angle, expand=True)``
    (its own arithmetic, centre and grown canvas), and the canvas size."""
    w, h = size
    rad = -math.radians(angle)
    cos, sin = round(math.cos(rad), 15), round(math.sin(rad), 15)

    def turn(x: float, y: float) -> tuple[float, float]:
        return cos * x + sin * y, -sin * x + cos * y

    corners = [turn(x - w / 2, y - h / 2) for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
    xs, ys = [c[0] + w / 2 for c in corners], [c[1] + h / 2 for c in corners]
    nw = math.ceil(max(xs)) - math.floor(min(xs))
    nh = math.ceil(max(ys)) - math.floor(min(ys))
    # Output centre onto input centre, then from pixel centres (Pillow) to indices (OpenCV).
    tx, ty = turn(-nw / 2, -nh / 2)
    tx, ty = tx + w / 2, ty + h / 2
    return [
        [cos, sin, tx + 0.5 * (cos + sin) - 0.5],
        [-sin, cos, ty + 0.5 * (cos - sin) - 0.5],
    ], (nw, nh)


def unsharp(img: Image.Image, radius: float, percent: int) -> Image.Image:
    """``img`` plus ``percent`` % of its difference from a Gaussian blur of standard deviation
    ``radius`` (Pillow's ``UnsharpMask(radius, percent, 0)``)."""
    cv2 = _cv2()
    if cv2 is None or img.mode != "L":
        return img.filter(ImageFilter.UnsharpMask(radius, percent, 0))
    import numpy as np

    src = np.asarray(img)
    blur = cv2.GaussianBlur(src, (0, 0), radius)
    k = percent / 100
    return Image.fromarray(cv2.addWeighted(src, 1 + k, blur, -k, 0))


def median3(img: Image.Image) -> Image.Image:
    """``img`` through a 3x3 median filter (Pillow's ``MedianFilter(3)``): on OpenCV about 1 ms
    for a 512 px square, against 28 ms on Pillow. Only the outermost pixels differ (OpenCV
    repeats the edge row where Pillow does not)."""
    cv2 = _cv2()
    if cv2 is None or img.mode != "L":
        return img.filter(ImageFilter.MedianFilter(3))
    import numpy as np

    return Image.fromarray(cv2.medianBlur(np.asarray(img), 3))


def opened(mask: Any, side: int) -> Any | None:
    """The boolean numpy ``mask`` opened by a ``side`` px square (eroded, then dilated: what is
    thinner than the square falls away, the rest keeps its shape); ``None`` without OpenCV.
    Under a millisecond on a quarter-size A4 page, where Pillow's rank filters take 10-20 ms."""
    cv2 = _cv2()
    if cv2 is None:
        return None
    import numpy as np

    kernel = np.ones((side, side), np.uint8)
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel) > 0


def components(mask: Any) -> tuple[Any, Any] | None:
    """The 8-connected parts of a boolean numpy ``mask``: a label image (0 where the mask is
    off, ``1..n`` for its parts) and an ``(n + 1, 2)`` array of each label's bounding width
    and height (row 0: the background's). ``None`` without OpenCV: a flood fill in Python
    would cost a page more than Tesseract's reading."""
    found = parts(mask)
    if found is None:
        return None
    labels, stats = found
    return labels, stats[:, 2:4]


def parts(mask: Any, connectivity: int = 8) -> tuple[Any, Any] | None:
    """The parts of a boolean numpy ``mask``: a label image and an ``(n + 1, 5)`` array of
    each label's left, top, width, height and area (OpenCV's ``CC_STAT_*`` columns; row 0:
    the background's); ``None`` without OpenCV (a flood fill in Python would cost a page more
    than Tesseract's reading). The other functions here that find parts are views of it."""
    cv2 = _cv2()
    if cv2 is None:
        return None
    import numpy as np

    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity)
    return labels, stats


def boxes(mask: Any) -> Any | None:
    """The bounding boxes of the 8-connected parts of a boolean numpy ``mask``, an ``(n, 4)``
    array of ``x0, y0, x1, y1`` (end exclusive); ``None`` without OpenCV (:func:`components`)."""
    found = parts(mask)
    if found is None:
        return None
    import numpy as np

    x, y, w, h = found[1][1:, :4].T
    return np.stack([x, y, x + w, y + h], axis=1)


def raster_boxes(mask: Any) -> list[tuple[int, int, int, int]] | None:
    """:func:`boxes` as a list, in the order a scan row by row meets each part's first
    pixel (:func:`.ink.components`' own order, on which its callers' caps and ties depend);
    ``None`` without OpenCV."""
    found = parts(mask)
    if found is None:
        return None
    import numpy as np

    labels, stats = found
    # np.unique's first indexes of each label in the raveled (row-major) image, label 0 the
    # background's: parts ordered by where the scan first meets them.
    seen, first = np.unique(labels, return_index=True)
    order = seen[np.argsort(first)]
    x, y, w, h = stats[:, :4].T
    return [(int(x[k]), int(y[k]), int(x[k] + w[k]), int(y[k] + h[k])) for k in order.tolist() if k]
