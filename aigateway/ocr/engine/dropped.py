"""Text regions Tesseract's page layout analysis dropped, read again as one block each.

Tesseract's layout analysis sometimes leaves whole stretches of a page out of its reading, with
no error and no low confidence to show for it: eleven rows of a log screenshot set in 12 px
lines 16 px apart (its lines almost touch, and the region was taken for a picture), the end of
a headline that runs across the gutter of the columns below it, the bottom lines of a page
photographed at an angle (each line slopes a little more than the one above). Its single-block
mode, which skips that analysis, reads such a region well.

Here the page's ink is masked where Tesseract's words are; what is left and has the shape of
text (a line's height up to a headline's, not a rule, a picture's edge or a shaded figure) is
grouped into regions. A region with several words' worth of such ink is cropped, together with
the words of its rows that were read (a line Tesseract read only half of), and read in
single-block mode; the new reading replaces those words when it holds more confident text.
Smaller leftovers (a dropped brace, a lost bracket) are left to :mod:`.orphans` and
:mod:`.strays`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from PIL import Image

from .geometry import Line, Word
from .ink import components, ink_grid, long_runs, shaded, solid
from .preprocess import flatten, otsu_level, reduced, sharpen, smooth_threshold

__all__ = (
    "FAINT",
    "MIN_WIDTH",
    "put_back",
    "read_crop",
    "read_region",
    "recover",
    "recover_faint",
    "regions",
)

MIN_WIDTH = 6.0
"""Text heights of uncovered, text-shaped ink a region needs before it is read again: a
couple of words. Less is a glyph or a short line, for :mod:`.strays` and :mod:`.orphans`."""

TALL = 4.0
"""Leftovers up to this many text heights tall count as text (a headline's line)."""

MAX_CANDIDATES = 200
"""More text-shaped leftovers than this: a picture, a map or a dirty page, not dropped text."""

MAX_REGIONS = 4
"""Regions read again on one page at most (the widest first): bounds the pass's time."""

SURE = 50.0
"""Word confidence (0-100) from which a word's characters count as read."""

GAIN = 3
"""Confident characters a region's new reading must add to what was read there."""

MIN_MEAN = 60.0
"""Mean word confidence (0-100) a region's new reading needs."""

FAINT = 12
"""Grey levels under the white of a flattened quarter-size copy from which faint ink counts
(:func:`recover_faint`): light grey print on a scan is 30-40 under its paper at full size, a
quarter of that when averaged with the paper around its strokes; a scan's grain, averaged over
sixteen pixels, stays within 4-8."""

QUARTER = 4
"""The faint ink is looked for on a copy this many times smaller each way (a page in 10 ms)."""

EDGE = 1.0
"""Text heights from the page's edge within which a faint region is a scan's border."""

DARK_SHARE = 0.01
"""Share of a faint region's pixels (on the quarter-size copy) at most as dark as the page's
Otsu level: more, and the region holds print the page's threshold sees (a tinted panel's top
edge, which the flattening leaves lighter than the panel, with the panel's first lines in it:
a scanned page read its first line twice, 0 to 100 edits)."""

Box = tuple[int, int, int, int]


def _leftovers(
    img: Image.Image, lines: list[Line], height: float, level: int | None = None
) -> list[Box]:
    """Text-shaped boxes (pixels) of ink no word covers; ink up to ``level`` (default: the
    page's Otsu level)."""
    hist = reduced(img, 4).histogram()[:256]
    paper = max(range(256), key=lambda v: hist[v])
    grid, mask, cell = ink_grid(img, lines, height, otsu_level(hist) if level is None else level)
    if not grid.any():
        return []
    grid &= ~long_runs(grid, round(TALL * height / cell) + 1)
    grid &= ~long_runs(grid.T, round(8 * height / cell)).T  # horizontal rules
    reach = max(1, round(0.5 * height / cell))
    joined = grid.copy()
    for k in range(1, reach + 1):
        joined[:, k:] |= grid[:, :-k]
    found: list[Box] = []
    for x0, y0, x1, y1 in components(joined):
        box = (x0 * cell, y0 * cell, (x1 - reach) * cell, y1 * cell)
        bh, bw = box[3] - box[1], box[2] - box[0]
        if not (0.5 * height <= bh <= TALL * height and bw >= 0.5 * height):
            continue
        if solid(mask, box) or shaded(img, box, paper):
            continue
        found.append(box)
        if len(found) > MAX_CANDIDATES:
            return []
    return found


def _near(a: Box, b: Box, height: float) -> bool:
    vgap = max(a[1] - b[3], b[1] - a[3])
    hgap = max(a[0] - b[2], b[0] - a[2])
    return vgap <= 0.8 * height and hgap <= 1.5 * height


def regions(
    img: Image.Image, lines: list[Line], height: float, level: int | None = None
) -> list[tuple[Box, float]]:
    """Boxes of the page's dropped text regions, each with the width of its uncovered ink in
    text heights, widest first (at most :data:`MAX_REGIONS`); ``level`` as for the ink."""
    boxes = _leftovers(img, lines, height, level)
    groups: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        near = [g for g in groups if any(_near(box, b, height) for b in g)]
        merged = [box] + [b for g in near for b in g]
        groups = [g for g in groups if g not in near] + [merged]
    out = []
    for g in groups:
        width = sum(b[2] - b[0] for b in g) / height
        if width >= MIN_WIDTH:
            left, top = min(b[0] for b in g), min(b[1] for b in g)
            out.append(((left, top, max(b[2] for b in g), max(b[3] for b in g)), width))
    return sorted(out, key=lambda r: -r[1])[:MAX_REGIONS]


def _grow(box: Box, lines: list[Line], height: float) -> Box:
    """``box`` widened to the words read on its rows beside it (a line read only in part)."""
    x0, y0, x1, y1 = box
    grew = True
    while grew:
        grew = False
        for ln in lines:
            for w in ln.words:
                c = (w.y0 + w.y1) / 2
                if not y0 <= c <= y1 or (x0 <= w.x0 and w.x1 <= x1):
                    continue
                if w.x1 >= x0 - height and w.x0 <= x1 + height:
                    x0, y0, x1, y1 = min(x0, w.x0), min(y0, w.y0), max(x1, w.x1), max(y1, w.y1)
                    grew = True
    return x0, y0, x1, y1


def _inside(w: Word, box: Box) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _sure(words: Sequence[Word]) -> int:
    return sum(len(w.text) for w in words if w.conf >= SURE)


def read_region(
    img: Image.Image,
    box: Box,
    height: float,
    dpi: int,
    languages: Sequence[str],
    scale: float,
    soft: bool,
) -> list[Line]:
    """Tesseract's single-block reading of ``box`` (padded), at the page's scale, in page
    coordinates."""
    pad = round(0.3 * height)
    x0, y0 = max(0, box[0] - pad), max(0, box[1] - pad)
    crop = img.crop((x0, y0, min(img.width, box[2] + pad), min(img.height, box[3] + pad)))
    return read_crop(crop, (x0, y0), dpi, languages, scale, soft)


def read_crop(
    crop: Image.Image,
    origin: tuple[int, int],
    dpi: int,
    languages: Sequence[str],
    scale: float = 1.0,
    soft: bool = False,
) -> list[Line]:
    """Tesseract's single-block reading of ``crop``, a part of a page whose top left corner
    stood at ``origin``, read at the page's ``scale`` (sharpened if ``soft``), in page
    coordinates."""
    from . import tesseract

    x0, y0 = origin
    seen = crop
    if scale != 1.0:
        size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
        seen = crop.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if soft:
        seen = sharpen(seen)
    found, _ = tesseract.read_lines(seen, max(1, round(dpi * scale)), languages, True)
    fx, fy = crop.width / seen.width, crop.height / seen.height
    return [
        Line(
            [
                Word(
                    w.text,
                    w.conf,
                    x0 + round(w.x0 * fx),
                    y0 + round(w.y0 * fy),
                    x0 + round(w.x1 * fx),
                    y0 + round(w.y1 * fy),
                )
                for w in ln.words
            ],
            ln.block,
            ln.para,
        )
        for ln in found
    ]


def recover(
    img: Image.Image,
    lines: list[Line],
    dpi: int,
    languages: Sequence[str],
    scale: float = 1.0,
    soft: bool = False,
) -> int:
    """Read dropped regions of ``lines``' page ``img`` again and put their text in, in place
    (the module docstring). ``scale`` and ``soft``: how the page itself was read (enlarged or
    shrunk, sharpened). Returns how many regions were put back."""
    read = [ln for ln in lines if ln.words]
    if len(read) < 2:
        return 0  # a page Tesseract barely read is the second chances' business
    height = float(statistics.median(ln.height for ln in read))
    done = 0
    for box, _ in regions(img, read, height):
        box = _grow(box, lines, height)
        done += put_back(lines, box, read_region(img, box, height, dpi, languages, scale, soft))
    return done


def recover_faint(
    img: Image.Image, lines: list[Line], dpi: int, languages: Sequence[str], scale: float = 1.0
) -> int:
    """Read again, as :func:`recover` does, regions of faint ink no word covers: print much
    lighter than the page's (light grey on a scan's grey paper) that the Otsu level of the
    page, set between its black print and its paper, takes for paper. Found on a quarter-size
    copy flattened to white paper (:func:`~.preprocess.flatten`: a scan's shading is gone),
    where ink is what lies :data:`FAINT` grey levels under the paper; regions touching the
    page's edge (a scan's border) are left; ``scale``: the page's own (the copy read is
    thresholded, never sharpened). Returns how many regions were put back."""
    read = [ln for ln in lines if ln.words]
    if len(read) < 2:
        return 0
    height = float(statistics.median(ln.height for ln in read))
    quarter = reduced(img, QUARTER)
    dark = otsu_level(quarter.histogram()[:256])
    small = flatten(quarter)
    shrunk = [Line([_quartered(w) for w in ln.words], ln.block, ln.para) for ln in read]
    done = 0
    edge = EDGE * height
    for found, _ in regions(small, shrunk, height / QUARTER, 255 - FAINT):
        box = (found[0] * QUARTER, found[1] * QUARTER, found[2] * QUARTER, found[3] * QUARTER)
        if min(box[0], box[1], img.width - box[2], img.height - box[3]) < edge:
            continue
        # Faint ink only: print as dark as the page's (a panel's edge that the flattening
        # left lighter than its inside, with its lines of text) is read already.
        part = quarter.crop(found).histogram()[: dark + 1]
        if sum(part) > DARK_SHARE * (found[2] - found[0]) * (found[3] - found[1]):
            continue
        box = _grow(box, lines, height)
        done += put_back(lines, box, _read_smoothed(img, box, height, dpi, languages, scale))
    return done


def _read_smoothed(
    img: Image.Image, box: Box, height: float, dpi: int, languages: Sequence[str], scale: float
) -> list[Line]:
    """:func:`read_region` of a faint region from a copy blurred and thresholded at the
    grain's level (:func:`~.preprocess.smooth_threshold`): Tesseract's own threshold of light
    grey print on grainy paper kept the grain with the strokes, and it read nothing."""
    pad = round(0.3 * height)
    x0, y0 = max(0, box[0] - pad), max(0, box[1] - pad)
    crop = img.crop((x0, y0, min(img.width, box[2] + pad), min(img.height, box[3] + pad)))
    return read_crop(smooth_threshold(crop), (x0, y0), dpi, languages, scale)


def _quartered(w: Word) -> Word:
    return Word(
        w.text, w.conf, w.x0 // QUARTER, w.y0 // QUARTER, -(-w.x1 // QUARTER), -(-w.y1 // QUARTER)
    )


def put_back(lines: list[Line], box: Box, new: list[Line], broken: Sequence[Word] = ()) -> bool:
    """Replace the words of ``lines`` inside ``box`` with ``new``, a reading of that region
    alone, in place, when it holds :data:`GAIN` more confident characters than were read
    there (``broken`` words, known to be misread, not counted) and a mean confidence of
    :data:`MIN_MEAN`; its lines become a block of their own. Returns whether it was put in."""
    new = [ln for ln in new if ln.words]
    words = [w for ln in new for w in ln.words]
    gone = {id(w) for w in broken}
    old = [w for ln in lines for w in ln.words if _inside(w, box) and id(w) not in gone]
    if not words or _sure(words) < _sure(old) + GAIN:
        return False  # no more text than was read there: the region held none
    if statistics.mean(w.conf for w in words) < MIN_MEAN:
        return False  # a picture's texture read as glyphs
    at = _remove(lines, box)
    block = max((ln.block for ln in lines), default=0) + 1
    para = max((ln.para for ln in lines), default=0) + 1
    lines[at:at] = [Line(ln.words, block, para + (ln.para - new[0].para)) for ln in new]
    return True


def _remove(lines: list[Line], box: Box) -> int:
    """Take the words inside ``box`` out of ``lines`` (dropping lines left empty); the index
    where the region's lines go: where its first removed line stood, else after the lowest
    line above it that shares its width."""
    at: int | None = None
    k = 0
    while k < len(lines):
        ln = lines[k]
        kept = [w for w in ln.words if not _inside(w, box)]
        if len(kept) < len(ln.words):
            at = k if at is None else at
            if not kept:
                del lines[k]
                continue
            ln.words[:] = kept
        k += 1
    if at is not None:
        return at
    above = [
        k
        for k, ln in enumerate(lines)
        if ln.words
        and ln.y1 <= box[1] + 0.5 * (box[3] - box[1])
        and ln.x1 > box[0]
        and ln.x0 < box[2]
    ]
    return max(above, key=lambda k: lines[k].y1) + 1 if above else len(lines)
