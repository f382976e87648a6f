"""Two whole-page image operations on OpenCV when it is installed, else on Pillow.

Straightening a skewed page (a bicubic rotation) and sharpening a soft one (an unsharp mask)
touch every pixel of an 8-megapixel page: on Pillow about 0.25 s and 0.13 s, against 1.5 s for
Tesseract's whole reading. OpenCV (which the ``rapidocr`` extra installs, as its wheel needs
it) does each in a third of that time on one core. Both stay on one thread: the pool reads
pages in parallel, one core each. Without OpenCV the Pillow versions run, with the same
parameters.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from PIL import Image, ImageFilter

__all__ = ("rotate", "unsharp")


_CV2_ROTATE = False
"""Levelling stays on Pillow. OpenCV's bicubic rotation matches Pillow's canvas and geometry,
but not its reading: on the report split's scans (levelled by 0.3-1.2 degrees) the engine read
0.087 micro CER with it and 0.047 with Pillow's (OpenCV 4.14 and 5.0 alike; tune scans moved
little: 1591 edits with it, 1599 with Pillow's; skewed 304 and 306). Its speed is not worth that."""


@functools.cache
def _cv2() -> Any:
    try:
        import cv2
    except ImportError:
        return None
    cv2.setNumThreads(1)
    return cv2


def rotate(img: Image.Image, angle: float) -> Image.Image:
    """``img`` (mode ``L``) turned ``angle`` degrees counter-clockwise, bicubic, the canvas
    grown to hold it all and filled white (Pillow's ``rotate(expand=True)``)."""
    cv2 = _cv2() if _CV2_ROTATE else None
    if cv2 is None or img.mode != "L":
        return img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    import numpy as np

    w, h = img.size
    # The canvas Pillow's expand=True makes: its inverse map's image of the corners, about the
    # centre, floored and ceiled...
    rad = -math.radians(angle)
    cos, sin = round(math.cos(rad), 15), round(math.sin(rad), 15)
    corners = [(x - w / 2, y - h / 2) for x, y in ((0, 0), (w, 0), (w, h), (0, h))]
    xs = [cos * x + sin * y + w / 2 for x, y in corners]
    ys = [-sin * x + cos * y + h / 2 for x, y in corners]
    nw = math.ceil(max(xs)) - math.floor(min(xs))
    nh = math.ceil(max(ys)) - math.floor(min(ys))
    # ...and its geometry: centre on centre, with OpenCV's pixel centres on whole numbers.
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    m[0, 2] += (nw - w) / 2
    m[1, 2] += (nh - h) / 2
    out = cv2.warpAffine(np.asarray(img), m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=255)
    return Image.fromarray(out)


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
