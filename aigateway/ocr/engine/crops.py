"""Parts of a page read by RapidOCR's recogniser alone (no detector), for the passes that
read again what Tesseract doubted or lost (:mod:`.reread`, :mod:`.partial`, :mod:`.straddle`,
:mod:`.glyphcolumns`): each box cropped with a margin, its text folded to what text uses."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from PIL import Image

__all__ = ("MINUS", "recognize")


def _margin(box: tuple[int, int, int, int], img: Image.Image) -> tuple[int, int, int, int]:
    # Tesseract's boxes are tight to the ink; the recogniser was trained on detector boxes,
    # which are dilated by about half a text height.
    x0, y0, x1, y1 = box
    pad = max(2, (y1 - y0) // 4)
    return max(0, x0 - pad), max(0, y0 - pad), min(img.width, x1 + pad), min(img.height, y1 + pad)


MINUS = str.maketrans({"\N{MINUS SIGN}": "-"})
"""The recogniser answers the minus sign for hyphens it reads (its training text has both;
at text size the glyphs are the same dash): folded to the hyphen-minus that text uses. Tune
split, 216 pages: 37 minus signs read where the text layer holds 2 (a leading dash of
``-1 to -9`` read as a minus). The bench's CER folds dashes itself: this shows in the text
users get, not in the CER."""


def _clean(text: str) -> str:
    # NFKC: the Chinese-and-Latin model sometimes answers full-width brackets and digits.
    return " ".join(unicodedata.normalize("NFKC", text).translate(MINUS).split())


def recognize(
    img: Image.Image,
    boxes: list[tuple[int, int, int, int]],
    threads: int,
    languages: Sequence[str],
    narrow: bool = False,
    every_class: bool = False,
) -> list[tuple[str, float]]:
    """The recogniser's (text, score) for each box (with a margin), in the characters of the
    page's Tesseract ``languages``, its text folded (:func:`_clean`); empty if it cannot run.
    ``narrow``: words read at their own width; ``every_class``: ink that may not be text,
    read with every class of the model (:func:`~.rapid.recognize_crops`)."""
    if not boxes:
        return []
    from . import rapid

    areas = [_margin(box, img) for box in boxes]
    # A box off the page (or of no size) crops to nothing, which the recogniser divides by.
    seen = [k for k, (x0, y0, x1, y1) in enumerate(areas) if x1 - x0 >= 2 and y1 - y0 >= 2]
    try:
        crops = [img.crop(areas[k]) for k in seen]
        texts = rapid.recognize_crops(crops, threads, languages, narrow, every_class)
    except (ImportError, AttributeError, TypeError, ValueError, RuntimeError):
        # The recogniser is reached below rapidocr's public API (no detector): if an installed
        # version moved it, the page keeps Tesseract's reading rather than failing.
        return []
    if len(texts) != len(seen):
        return []
    out = [("", 0.0)] * len(boxes)
    for k, (t, s) in zip(seen, texts, strict=True):
        out[k] = (_clean(t), s)
    return out
