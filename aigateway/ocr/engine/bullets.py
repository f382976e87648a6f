"""List bullets Tesseract misreads as letters, told apart by their ink.

Tesseract's English models have no "•": a bullet at the start of a line comes back as "e",
"o", "©", "°", "*" and the like (bench corpus, tune split: most bulleted lines of the DocBook
and CamlIDL manuals). A bullet is a filled disc or square: its box is about as wide as tall
and mostly ink (a disc fills 79 % of its box), while a letter or a ring fills well under
60 %. A one-character first word of a line that looks like that is put back as "•".
"""

from __future__ import annotations

from PIL import Image

from .geometry import Line, Word

__all__ = ("BULLET", "filled_disc", "restore")

BULLET = "\u2022"

_MIN_FILL = 0.6
"""Share of a box's pixels that must be ink for a filled bullet (a disc fills 0.79)."""

_NOT_BULLETS = frozenset(".,:;'\"`-_|/\\aAI")
"""Single characters kept as read: punctuation a line may really start with, and the words
of one letter ("a" fills 62 % of its box in 30 px DejaVu Sans: a justified paper's line
starting "a time." came back as "• time.")."""


def _filled(img: Image.Image, box: tuple[int, int, int, int]) -> bool:
    crop = img.crop(box).convert("L")
    hist = crop.histogram()
    inked = [v for v, n in enumerate(hist) if n]
    if not inked or inked[-1] - inked[0] < 64:
        return False  # no contrast: not a glyph on paper
    mid = (inked[0] + inked[-1]) // 2
    return sum(hist[: mid + 1]) >= _MIN_FILL * crop.width * crop.height


def filled_disc(img: Image.Image, box: tuple[int, int, int, int], text_height: float) -> bool:
    """Whether ``box`` on the page holds a bullet: about as wide as tall, mostly ink, and
    shorter than the text beside it (``text_height``: a letter or digit is as tall)."""
    w, h = box[2] - box[0], box[3] - box[1]
    if w < 3 or h < 3 or not 0.6 <= w / h <= 1.6 or h > 0.8 * text_height:
        return False
    return _filled(img, box)


def restore(lines: list[Line], img: Image.Image) -> None:
    """Turn misread bullets at the start of lines back into "•" (in place)."""
    for ln in lines:
        if len(ln.words) < 2:
            continue
        first, nxt = ln.words[0], ln.words[1]
        if len(first.text) != 1 or first.text in _NOT_BULLETS or first.text == BULLET:
            continue
        if filled_disc(img, (first.x0, first.y0, first.x1, first.y1), nxt.y1 - nxt.y0):
            ln.words[0] = Word(BULLET, first.conf, first.x0, first.y0, first.x1, first.y1)
