"""Text Tesseract dropped, found as ink no word covers, read by RapidOCR's recogniser.

Tesseract's layout analysis drops short lines it takes for noise: in a code listing the lines
holding only ``}``, ``else`` or ``{`` (the FreeFEM manual, tune split: a ten-line listing came
back as its two ``statement;`` lines), with or without the frame drawn around it. RapidOCR's
detector reads them. Here the page's ink is masked where Tesseract's words are; what is left
and has the height of a text line (not a dot leader, a rule or a picture) is cut into
line-shaped pieces and read by the recogniser alone, a few milliseconds a piece. A piece the
recogniser is sure of (:data:`MIN_SCORE`) joins the paragraph of the line above it.

Page numbers too: a lone number in the page's top or bottom margin, or at the far end of its
first or last line (a running header's "31"), stands apart from the text and is as easily
dropped (tune split: 18 of 60 pages whose text layer starts or ends with its page number came
back without it). Such a piece is kept only when it is the one leftover in its margin and the
recogniser reads a number (:data:`FOLIO`) in it, so that a figure's labels stay out.

A grainy page is read from its clean-up (:data:`~.preprocess.LADDER`), whose threshold keeps
a light grey listing's ink as broken strokes: Tesseract drops most of its lines, and the pieces
found in the clean-up are read from the page as it was before it (the recogniser was trained on
grey glyphs, and reads grain around them), a piece it is unsure of there from the clean-up
(:func:`_read`). Thirty-sixth round, extra grainy tune-source pages: three Raptor listings 675
to 258, 617 to 344 and 647 to 342 edits; the ``more`` split's grainy pages 2110 to 2004.

Only with ``engine = "auto"`` and RapidOCR installed, like the re-reading (:mod:`.reread`).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Any

from PIL import Image

from .geometry import Line, Word
from .ink import components, ink_grid, long_runs, shaded, solid
from .preprocess import otsu_level, reduced

__all__ = ("BUDGET", "FOLIO", "MIN_SCORE", "place", "recover")

Box = tuple[int, int, int, int]

MIN_SCORE = 0.9
"""The recogniser's score (0-1) a piece needs to be kept."""

CLOSERS = frozenset("{}()[];,")
CLOSER_SCORE = 0.7
"""The score enough for a piece read as brackets and semicolons alone (``}``, ``};``): with
no letters around them the recogniser is rarely surer than 0.75-0.9 of a lone brace that it
reads right (a drawn listing: ``}`` 0.87, ``};`` 0.75)."""

FOLIO = re.compile(r"\d{1,4}|[ivx][ivxlc]{0,6}")
"""What a piece in the page's margin must read as to be kept: a page number, arabic or
lower-case roman (front matter)."""

FOLIO_WIDTH = 3.0
"""A page number is at most this many text heights wide (four digits)."""

MAX_CANDIDATES = 64
"""More line-shaped leftovers than this: a picture, a map or a dirty scan, not dropped lines;
the page is left as read (and the pass's time stays bounded: no page reads more pieces)."""

BUDGET = 240.0
"""Width of all pieces read on one page together, in text heights, the narrowest first (the
recogniser's cost grows with it, see :data:`.reread.BUDGET`). It was 24 (and 16 pieces), room
for a listing's braces and line numbers but not for the code lines a grainy listing loses
whole, 30-50 text heights each: extra grainy tune-source pages 3230 edits at 24, 2707 at 120,
2271 at 240 and at 480. The tune split and the extra born-digital and 150 DPI pages read
the same at 240, in the same time (a page with no leftovers spends nothing)."""


def _near_word(box: Box, lines: list[Line], height: float) -> bool:
    """A word stands on the box's row right beside it: the box is a glyph that word lost
    (:mod:`.strays` and the re-reading deal with those), not a line of its own."""
    for ln in lines:
        for w in ln.words:
            shared = min(w.y1, box[3]) - max(w.y0, box[1])
            gap = max(w.x0 - box[2], box[0] - w.x1)
            if shared > 0.5 * min(w.y1 - w.y0, box[3] - box[1]) and gap < 0.6 * height:
                return True
    return False


def _in_text(
    boxes: list[Box], lines: list[Line], height: float, cells: Sequence[int] = ()
) -> list[int]:
    """Indexes of the boxes that belong to the page's text: within one and a half text heights
    of a line above or below, or of such a box (a run of dropped lines in a listing), and the
    ``cells`` (boxes in a ruled table's cell, :func:`_in_cell`). Labels in a figure stand
    apart from the text and are left to it."""

    def near(a: Box, b: Box) -> bool:
        vgap = max(a[1] - b[3], b[1] - a[3])
        return vgap <= 1.5 * height and min(a[2], b[2]) + 4 * height > max(a[0], b[0])

    anchors = [(ln.x0, ln.y0, ln.x1, ln.y1) for ln in lines] + [boxes[k] for k in cells]
    kept: list[int] = list(cells)
    grew = True
    while grew:
        grew = False
        for k, box in enumerate(boxes):
            if k not in kept and any(near(box, a) for a in anchors):
                kept.append(k)
                anchors.append(box)
                grew = True
    return sorted(kept)


CELL_REACH = 2.0
"""Text heights from a piece to the rules of the table cell it stands in, above and below."""


def _in_cell(rules: Any, box: Box, cell: int, height: float) -> bool:
    """Whether ``box`` stands in a ruled table's cell: a rule (``rules``, the ink grid's
    horizontal ones) runs over its columns, a text height past either side of it, within
    :data:`CELL_REACH` above it and below it.

    Such a cell can stand more than the reach of :func:`_in_text` from any line: a protocol
    table's row holding a lone ``1`` in a cell two text heights tall, which Tesseract dropped
    once the page was shrunk for reading (a thin glyph alone in a frame)."""
    cols = rules.shape[1]
    x0, x1 = (
        max(0, (box[0] - round(height)) // cell),
        min(cols, -(-(box[2] + round(height)) // cell)),
    )
    y0, y1 = box[1] // cell, -(-box[3] // cell)
    reach = max(1, round(CELL_REACH * height / cell))
    if x1 - x0 < 2:
        return False

    def ruled(band: Any) -> bool:
        # Over two rows, a rule a row thick that steps a row down across the cell still counts.
        return len(band) > 0 and bool(
            (band[:-1] | band[1:]).all(axis=1).any() if len(band) > 1 else band.all()
        )

    return ruled(rules[max(0, y0 - reach) : y0, x0:x1]) and ruled(rules[y1 : y1 + reach, x0:x1])


def _folios(boxes: list[Box], lines: list[Line], height: float) -> list[int]:
    """Indexes of the boxes that may be the page's number: narrow, each the only leftover in
    its margin, above the first line or below the last one, or on that line's row."""
    top = min(lines, key=lambda ln: ln.y0)
    bottom = max(lines, key=lambda ln: ln.y1)
    margins: dict[str, list[int]] = {"top": [], "bottom": []}
    for k, box in enumerate(boxes):
        centre = (box[1] + box[3]) / 2
        if centre < top.y0 or abs(centre - (top.y0 + top.y1) / 2) <= 0.5 * height:
            margins["top"].append(k)
        elif centre > bottom.y1 or abs(centre - (bottom.y0 + bottom.y1) / 2) <= 0.5 * height:
            margins["bottom"].append(k)
    return sorted(
        ks[0]
        for ks in margins.values()
        if len(ks) == 1 and boxes[ks[0]][2] - boxes[ks[0]][0] <= FOLIO_WIDTH * height
    )


def _pieces(
    img: Image.Image, lines: list[Line], height: float
) -> tuple[list[Box], set[Box], set[Box]]:
    """Line-shaped boxes (pixels) of ink that no word covers, in the page's text, those of
    them that may be its number (:func:`_folios`) and those in a ruled table's cell
    (:func:`_in_cell`)."""
    # A quarter-size copy's histogram: levels as good, a sixteenth of the pixels to count.
    hist = reduced(img, 4).histogram()[:256]
    paper = max(range(256), key=lambda v: hist[v])
    grid, mask, cell = ink_grid(img, lines, height, otsu_level(hist))
    if not grid.any():
        return [], set(), set()
    tall = max(3, round(2 * height / cell))
    grid &= ~long_runs(grid, tall)
    rules = long_runs(grid.T, round(8 * height / cell)).T  # horizontal rules
    grid &= ~rules
    # Glyphs of a word are apart by less than half a text height: joined, a piece is a word
    # or a run of words.
    reach = max(1, round(0.5 * height / cell))
    joined = grid.copy()
    for k in range(1, reach + 1):
        joined[:, k:] |= grid[:, :-k]
    found = []
    for x0, y0, x1, y1 in components(joined):
        box = (x0 * cell, y0 * cell, (x1 - reach) * cell, y1 * cell)
        bh, bw = box[3] - box[1], box[2] - box[0]
        if not (0.5 * height <= bh <= 1.6 * height and bw >= 0.2 * height):
            continue
        if solid(mask, box) or _near_word(box, lines, height) or shaded(img, box, paper):
            continue
        found.append(box)
        if len(found) > MAX_CANDIDATES:
            return [], set(), set()
    cells = [k for k, box in enumerate(found) if _in_cell(rules, box, cell, height)]
    in_text = _in_text(found, lines, height, cells)
    in_cells = {found[k] for k in cells}
    folios = {found[k] for k in _folios(found, lines, height) if k not in in_text}
    found = [found[k] for k in in_text] + sorted(folios)
    # Narrowest first, within the budget: a dropped brace or line number is narrow, and a
    # page of wide leftovers (a picture's labels) is bounded in time.
    kept: list[Box] = []
    spent = 0.0
    for box in sorted(found, key=lambda b: b[2] - b[0]):
        cost = (box[2] - box[0]) / height
        if spent + cost > BUDGET:
            break
        kept.append(box)
        spent += cost
    return kept, folios & set(kept), in_cells & set(kept)


def _onto_row(lines: list[Line], word: Word, height: float, reach: float) -> bool:
    """Insert ``word`` in x order into the first line on its row within ``reach`` pixels of
    it; whether one was found."""
    centre = (word.y0 + word.y1) / 2
    for ln in lines:
        gap = max(ln.x0 - word.x1, word.x0 - ln.x1)
        if ln.words and abs((ln.y0 + ln.y1) / 2 - centre) <= 0.5 * height and gap <= reach:
            ln.words.insert(sum(1 for w in ln.words if w.x0 < word.x0), word)
            return True
    return False


def place(lines: list[Line], word: Word, height: float, own: bool = False) -> None:
    """Put ``word`` into the line on its row, or else as a line of its own after the line it
    follows in its column: the lowest one above it (in that line's paragraph, or in a
    paragraph of its own with ``own``: a table cell's text is no line of the prose above);
    before the first line if none."""
    centre = (word.y0 + word.y1) / 2

    def key(ln: Line) -> tuple[float, int] | None:
        c = (ln.y0 + ln.y1) / 2
        same_row = abs(c - centre) <= 0.5 * height
        if not (c < centre - 0.5 * height or (same_row and ln.x1 <= word.x0 + 0.2 * height)):
            return None
        if not same_row and (ln.x0 > word.x1 + 4 * height or ln.x1 < word.x0 - 2 * height):
            return None  # another column (a code line indented a few cells is this one's)
        return (centre if same_row else c), ln.x1

    # A piece on the row of a line, and near it, is a word of that line (a listing's line
    # number, a closing brace Tesseract cut off).
    if _onto_row(lines, word, height, 4 * height):
        return
    best, best_key = None, None
    for k, ln in enumerate(lines):
        kk = key(ln)
        if kk is not None and (best_key is None or kk > best_key):
            best, best_key = k, kk
    if best is None:
        first = lines[0]
        lines.insert(0, Line([word], first.block, first.para))
    elif own:
        block = max(ln.block for ln in lines) + 1
        lines.insert(best + 1, Line([word], block, max(ln.para for ln in lines) + 1))
    else:
        above = lines[best]
        lines.insert(best + 1, Line([word], above.block, above.para))


def recover(
    img: Image.Image,
    lines: list[Line],
    threads: int = 1,
    languages: Sequence[str] = ("eng",),
    uncleaned: Image.Image | None = None,
) -> int:
    """Put back, in place, text lines Tesseract dropped (the module docstring), read in the
    characters of the page's Tesseract ``languages``. ``uncleaned``: a cleaned page
    (:data:`~.preprocess.LADDER`) as it was before its clean-up, which the pieces are read
    from (:func:`_read`). Returns how many were put back."""
    lines_with_words = [ln for ln in lines if ln.words]
    if len(lines_with_words) < 3:
        return 0  # a page Tesseract barely read has other problems than dropped lines
    height = float(statistics.median(ln.height for ln in lines_with_words))
    boxes, folios, cells = _pieces(img, lines_with_words, height)
    if not boxes:
        return 0
    words: list[Word] = []
    numbers: list[Word] = []
    for box, (text, score) in zip(
        boxes, _read(img, uncleaned, boxes, threads, languages), strict=False
    ):
        if not _sure(text, score) or len(text) > 2 + (box[2] - box[0]) / (0.25 * height):
            continue
        if box not in folios:
            words.append(Word(text, 100 * score, *box))
        elif FOLIO.fullmatch(text):
            numbers.append(Word(text, 100 * score, *box))
    # Top to bottom, left to right: each piece then follows the one before it on the page.
    for word in sorted(words, key=lambda w: (round((w.y0 + w.y1) / height), w.x0)):
        place(lines, word, height, own=(word.x0, word.y0, word.x1, word.y1) in cells)
    for word in numbers:
        _place_folio(lines, word, height)
    return len(words) + len(numbers)


def _sure(text: str, score: float) -> bool:
    """The recogniser is sure enough of ``text`` to keep it (:data:`MIN_SCORE`, or
    :data:`CLOSER_SCORE` for brackets alone)."""
    return bool(text) and score >= (CLOSER_SCORE if set(text) <= CLOSERS else MIN_SCORE)


def _read(
    img: Image.Image,
    uncleaned: Image.Image | None,
    boxes: list[Box],
    threads: int,
    languages: Sequence[str],
) -> list[tuple[str, float]]:
    """The recogniser's reading of each box: of a cleaned page, from the page before its
    clean-up, whose threshold broke the faint grey glyphs of a grainy listing's lines
    (raptor grainy pages read from the clean-up came back as scattered specks); a piece it
    is unsure of there (a lone brace lost in the grain) is read again from the clean-up."""
    from .crops import recognize as crops

    def recognize(page: Image.Image, found: list[Box]) -> list[tuple[str, float]]:
        # Ink no word covers may be grain or line work: read with every class of the model.
        # Cut to the page's script, its softmax spreads over a tenth of the classes, and
        # grain read as Latin letters scored past MIN_SCORE (report grainy pages: 29 to 126
        # edits); over every class such readings score low and are turned down.
        return crops(page, found, threads, languages, every_class=True)

    if uncleaned is None:
        return recognize(img, boxes)
    texts = recognize(uncleaned, boxes)
    again = [k for k, (text, score) in enumerate(texts) if not _sure(text, score)]
    retry = recognize(img, [boxes[k] for k in again])
    for k, read in zip(again, retry, strict=False):
        if _sure(*read):
            texts[k] = read
    return texts


def _place_folio(lines: list[Line], word: Word, height: float) -> None:
    """Put a page number into the line on its row (at its end or start), else as a block of
    its own before the page's first line or after its last."""
    if _onto_row(lines, word, height, float("inf")):
        return
    centre = (word.y0 + word.y1) / 2
    block = max((ln.block for ln in lines), default=0) + 1
    para = max((ln.para for ln in lines), default=0) + 1
    first = min((ln.y0 for ln in lines if ln.words), default=0)
    lines.insert(0 if centre < first else len(lines), Line([word], block, para))
