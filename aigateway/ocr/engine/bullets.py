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

__all__ = ("BULLET", "filled_disc", "plain", "restore")

BULLET = "\u2022"

_MIN_FILL = 0.6
"""Share of a box's pixels that must be ink for a filled bullet (a disc fills 0.79)."""

_NOT_BULLETS = frozenset(".,:;'\"`-_|/\\aAI")
"""Single characters kept as read: punctuation a line may really start with, and the words
of one letter ("a" fills 62 % of its box in 30 px DejaVu Sans: a justified paper's line
starting "a time." came back as "• time.")."""


_ROUND = frozenset("●⚫⬤")
"""Large round bullets: RapidOCR's recogniser has no "•" and reads every filled disc as "●"."""


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


_STOPS = frozenset(".")
"""A small bullet a hanging indent away from its item comes back as a full stop: one that is
a filled disc standing :data:`_APART` before the item and :data:`_RAISED` is a bullet."""

_APART = 1.0
"""Text heights of paper between a stop read for a bullet and its item, at least (a period
ending a sentence wrapped onto the line stands a space before the next word)."""

_RAISED = 0.15
"""Text heights a bullet's middle stands above the line's baseline, at least: a bullet is
centred on the lower-case letters, a full stop sits on the baseline."""


def _baseline(words: list[Word]) -> float:
    """Where the words stand: the bottom most of them share (letters with descenders go
    lower, so a low quantile of the bottoms, not their median)."""
    bottoms = sorted(w.y1 for w in words)
    return bottoms[(len(bottoms) - 1) * 3 // 10]


def _bullet_stop(first: Word, rest: list[Word], height: float) -> bool:
    """The full stop ``first`` stands where a bullet does: well before the line's next word
    and above its baseline."""
    return (
        rest[0].x0 - first.x1 >= _APART * height
        and _baseline(rest) - (first.y0 + first.y1) / 2 >= _RAISED * height
    )


GUTTER = 2.0
"""Text heights of paper before a word, at least, for it to start an item of a column of its
own: Tesseract ran two bulleted columns' level lines into one line, and the second column's
bullets stood mid-line (read ``e``, each two gutters' worth after the first column's text)."""


def _starts(ln: Line) -> list[int]:
    """Indexes of the words of ``ln`` that may start a list item: its first, and any that a
    :data:`GUTTER` sets off from the word before (a column's line run into the line before)."""
    height = max(1, ln.height)
    return [0] + [
        k
        for k in range(1, len(ln.words) - 1)
        if ln.words[k].x0 - ln.words[k - 1].x1 >= GUTTER * height
    ]


def restore(lines: list[Line], img: Image.Image) -> None:
    """Turn misread bullets at the start of lines, or of a column's part of them, back into
    "•" (in place)."""
    for ln in lines:
        if len(ln.words) < 2:
            continue
        for k in _starts(ln):
            first, nxt = ln.words[k], ln.words[k + 1]
            height = nxt.y1 - nxt.y0
            if len(first.text) != 1 or first.text == BULLET:
                continue
            if first.text in _NOT_BULLETS and not (
                first.text in _STOPS and _bullet_stop(first, ln.words[k + 1 :], height)
            ):
                continue
            if filled_disc(img, (first.x0, first.y0, first.x1, first.y1), height):
                ln.words[k] = Word(BULLET, first.conf, first.x0, first.y0, first.x1, first.y1)


def plain(lines: list[Line]) -> None:
    """Write, in place, a line's first word that is a large round bullet (:data:`_ROUND`) as
    "•": the recogniser reads every bullet so whatever its size, and "•" is the bullet text
    layers and word processors write (a ReportLab list's, read again, came back "●")."""
    for ln in lines:
        if ln.words and ln.words[0].text in _ROUND:
            first = ln.words[0]
            ln.words[0] = Word(BULLET, first.conf, first.x0, first.y0, first.x1, first.y1)
