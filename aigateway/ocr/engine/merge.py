"""Lines one of a page's two readings found and the kept one did not, put into the kept one.

A page lit unevenly is read twice (:func:`.reader._read_image`): as it is and flattened
(:func:`~.preprocess.flatten`), and the reading with more confident text is kept. Each copy
loses something the other keeps. Flattening lifts a shadow, and the text in it, to paper white,
but it lifts a dark panel too: a slide's white title on a navy bar was flattened away (the
panel went light, its white glyphs with it). The page as it is kept that title and lost a
small grey footer the flattened copy read. The two readings came within one confident
character of each other, so either way one line was lost.

So the lines the other reading found where the kept one read nothing at all are put in, each
run of them (a paragraph) as a block of its own, through :func:`.dropped.put_back`, which takes
only confident text. Where both read something, the kept reading stands.
"""

from __future__ import annotations

from .dropped import put_back
from .geometry import Line
from .reading import Reading

__all__ = ("add_missing", "comparable")

Box = tuple[int, int, int, int]

LEVEL_TOLERANCE = 0.01
"""Degrees two readings' levelling may differ by for their boxes to be the same page's."""


def add_missing(kept: Reading, other: Reading) -> Reading:
    """``kept`` with the paragraphs ``other`` read where ``kept`` read no word; unchanged when
    the two were not read from the page in the same position (turned or levelled otherwise:
    their boxes are not comparable) or either was not read by Tesseract."""
    if not comparable(kept, other):
        return kept
    lines = kept.source[0][1]
    taken = [(w.x0, w.y0, w.x1, w.y1) for ln in lines for w in ln.words]
    for run in _paragraphs(other.source[0][1]):
        box = (
            min(ln.x0 for ln in run),
            min(ln.y0 for ln in run),
            max(ln.x1 for ln in run),
            max(ln.y1 for ln in run),
        )
        if not any(_meet(box, t) for t in taken):
            put_back(lines, box, [Line(list(ln.words), ln.block, ln.para) for ln in run])
    return kept


def comparable(a: Reading, b: Reading) -> bool:
    """Both readings are Tesseract's, of the page turned and levelled alike: their boxes are
    the same page's."""
    return (
        bool(a.source and b.source)
        and a.rotation == b.rotation
        and abs(a.levelled - b.levelled) <= LEVEL_TOLERANCE
    )


def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    """``lines`` (those with words) in runs of one paragraph each, in order."""
    runs: list[list[Line]] = []
    for ln in lines:
        if not ln.words:
            continue
        if runs and (runs[-1][-1].block, runs[-1][-1].para) == (ln.block, ln.para):
            runs[-1].append(ln)
        else:
            runs.append([ln])
    return runs


def _meet(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
