"""Is a page turned on its side? A check cheap enough to run before every first reading.

Text lines leave empty rows between them. Cut a page (at about 75 DPI, thresholded) into
narrow vertical strips: down each strip, horizontal text alternates ink rows with empty rows,
while across narrow horizontal strips the empty columns are rare (words rarely line up over
several lines). A page whose empty *columns* clearly outnumber its empty *rows* holds vertical
lines of text: it is turned 90 or 270 degrees, and its lines' shape (:func:`sideways_turn`,
below) or else Tesseract's orientation check (OSD) tells which, before any reading. Without it
a sideways page is first read as it is (as long as an upright page, for nothing) and only then
turned.

Upside down is told apart from upright by the lines' own shape (:func:`upside_down`): Latin
lower case has more ascenders (b d f h k l t, and capitals and digits stand as tall) than
descenders (g j p q y), so an upright line carries more ink above its x-height band than
below it, and a line turned 180 degrees the reverse. Before this check an upside-down page was
read once as it stood, found doubtful, checked by OSD and read again: two readings and OSD
where one reading does.

Narrow strips keep a skewed page's lines apart (a 32 px strip at 75 DPI sees 2 px of drift at
4 degrees). On the bench corpus (``bench/ocr_quality.py``) sideways pages score 0.10-0.35 and
upright ones (clean, scanned, grainy, skewed, JPEG) 1.17 and up; :data:`SIDEWAYS_BELOW` sits
between with room on both sides. Pure Pillow, about 10 ms a page.
"""

from __future__ import annotations

from PIL import Image

from .preprocess import as_gray, ink_mask, otsu, reduced

__all__ = (
    "ACROSS",
    "LATIN",
    "PAGE_SHAPE",
    "SIDEWAYS_BELOW",
    "SURELY_SIDEWAYS",
    "UPSIDE_DOWN_BELOW",
    "ascent_ratio",
    "line_direction",
    "sideways",
    "sideways_turn",
    "upright_turn",
    "upside_down",
)

SIDEWAYS_BELOW = 0.6
""":func:`line_direction` under this: the page's lines run vertically."""

ACROSS = 1.0
""":func:`line_direction` from this up: the page's lines surely run across it, so a profile
that says upright (:func:`upright_turn`) is not that of vertical text cut by the strips.
(Bench corpus: upright pages 1.17 and up. A short page turned 90 degrees that
:data:`SIDEWAYS_BELOW` missed measured 0.71, and its vertical lines profiled "upright".)"""

SURELY_SIDEWAYS = 0.45
""":func:`line_direction` under this: sure enough for :func:`sideways_turn` to judge the turn
(tune and extra split: sideways pages 0.02-0.42). Above it OSD decides."""

PAGE_SHAPE = 0.5
"""Shorter side over longer side a page needs for :func:`sideways_turn`: the projections of a
strip of a line or two (1700 x 320 px) can measure it sideways (0.05), and its profiles turned
90 degrees look decisive and mean nothing. OSD decides for such strips, and finds no turn."""

UPSIDE_DOWN_BELOW = 0.7
""":func:`ascent_ratio` under this, over :data:`MIN_LINES` lines or more: the page is upside
down. Tune and extra split (``bench/corpus.py``): the pages turned 180 degrees measure
0.21-0.35; upright pages (clean, scanned, JPEG, 150 DPI, grainy, skewed ones before levelling)
0.84 and up; the grainiest pages have no blank rows between lines and give no lines. DejaVu
Sans, whose x-height is large, at 56 px: 1.54 upright, 0.65 turned."""

MIN_LINES = 20
"""Line profiles :func:`upside_down` needs before it judges: a page of a few words, or a
table of figures, is left to the reading and OSD. (Tune and extra split: pages turned 180
degrees gave 43 profiles or more, sideways ones turned 90 degrees 25 or more.)"""

_LATIN_CODES = (
    "afr cat ces dan deu eng est eus fin fra gle glg hrv hun ind isl ita lat lav lit msa"
    " nld nor pol por ron slk slv spa sqi swe tur"
)
LATIN = frozenset(_LATIN_CODES.split())
"""Tesseract languages written in the Latin alphabet, whose lower case has more ascenders than
descenders. Other scripts (Cyrillic lower case has few ascenders) are not judged."""

MIN_COVER = 0.1
"""Share of a strip's columns a line's densest row must ink to be measured (a ruled table's
figures, cut by the strips into lone digits, measured 0.22 upright on 13 such slivers)."""

_UPRIGHT_SIDE = 1700
"""Longer side of :func:`ascent_ratio`'s working copy (about 150 DPI for A4): enough rows to
see a line's x-height band apart from its ascenders."""

_PROFILE_STRIP = 256
"""Strip width for :func:`ascent_ratio`, in working pixels: a levelled page's lines stay
within a row or two across it."""

_SIDE = 800
"""Longer side of the working copy, in pixels (about 75 DPI for A4)."""

_STRIP = 32
"""Strip width in working pixels."""


def _empty_share(bw: Image.Image) -> float:
    """Share of empty rows between each vertical strip's first and last inked row."""
    w, h = bw.size
    total = empty = 0
    for x in range(0, w, _STRIP):
        strip = bw.crop((x, 0, min(w, x + _STRIP), h)).resize((1, h), Image.Resampling.BOX)
        rows = strip.tobytes()
        inked = [i for i, v in enumerate(rows) if v < 255]
        if len(inked) < 2:
            continue
        span = rows[inked[0] : inked[-1] + 1]
        total += len(span)
        empty += sum(1 for v in span if v == 255)
    return empty / total if total else 0.0


def line_direction(img: Image.Image) -> float:
    """Empty rows over empty columns (each plus 0.01): above 1 for horizontal lines of text,
    under 1 for vertical ones, 1 for a blank page."""
    w, h = img.size
    factor = max(1, max(w, h) // _SIDE)
    small = reduced(as_gray(img), factor)
    level = otsu(small)
    bw = small.point(lambda v: 0 if v < level else 255)
    rows = _empty_share(bw)
    cols = _empty_share(bw.transpose(Image.Transpose.TRANSPOSE))
    return (rows + 0.01) / (cols + 0.01)


def sideways(img: Image.Image, direction: float | None = None) -> bool:
    """Whether the page's text runs vertically (turned 90 or 270 degrees); ``direction``: its
    :func:`line_direction`, if already measured."""
    if min(img.size) < 64:
        return False
    return (line_direction(img) if direction is None else direction) < SIDEWAYS_BELOW


def ascent_ratio(img: Image.Image) -> tuple[float, int]:
    """Ink above the x-height band over ink below it, summed over the page's line profiles
    (each plus 1), and how many line profiles were measured.

    The page is thresholded at about 150 DPI and cut into vertical strips; in each strip a run
    of rows with ink is a line, and its x-height band is the rows holding at least 40 % of the
    line's densest row. A line's ink above the band is its ascenders' (and capitals'), below
    it its descenders'. Above 1 for an upright page, under 1 for one upside down."""
    w, h = img.size
    factor = max(1, round(max(w, h) / _UPRIGHT_SIDE))
    small = reduced(as_gray(img), factor)
    # Otsu's level is the darkest class's last: on a one-bit page (a fine-mode fax, read at
    # full size here) it is the ink's own level, which ``v < level`` took for paper, and no
    # line was seen.
    level = otsu(small)
    ink = ink_mask(small, level)
    width, height = ink.size
    above = below = 0
    lines = 0
    for x in range(0, width, _PROFILE_STRIP):
        strip = ink.crop((x, 0, min(width, x + _PROFILE_STRIP), height))
        rows = strip.resize((1, height), Image.Resampling.BOX).tobytes()
        y = 0
        while y < height:
            if not rows[y]:
                y += 1
                continue
            start = y
            while y < height and rows[y]:
                y += 1
            run = rows[start:y]
            peak = max(run)
            # A line is a few rows to a headline's height: taller runs are pictures or rules.
            # And it crosses a fair part of the strip: the corner of a glyph or a lone digit
            # at the strip's edge has too little ink for its rows to show a band.
            if not 6 <= len(run) <= 60 or peak < MIN_COVER * 255:
                continue
            band = [i for i, v in enumerate(run) if v >= 0.4 * peak]
            above += sum(run[: band[0]])
            below += sum(run[band[-1] + 1 :])
            lines += 1
    return (above + 1) / (below + 1), lines


def _judged(img: Image.Image, languages: tuple[str, ...]) -> bool:
    return bool(languages) and set(languages) <= LATIN and min(img.size) >= 64


def upright_turn(img: Image.Image, languages: tuple[str, ...] = ("eng",)) -> int | None:
    """For a levelled page of horizontal lines: 180 when its lines' shape says it is upside
    down, 0 when it says upright as surely (the ratio past the inverse of
    :data:`UPSIDE_DOWN_BELOW`), None when it cannot tell (fewer than :data:`MIN_LINES` lines,
    a ratio in between, a script not judged). Only for Latin-alphabet ``languages``."""
    if not _judged(img, languages):
        return None
    ratio, lines = ascent_ratio(img)
    if lines < MIN_LINES:
        return None
    if ratio < UPSIDE_DOWN_BELOW:
        return 180
    return 0 if ratio > 1 / UPSIDE_DOWN_BELOW else None


def upside_down(img: Image.Image, languages: tuple[str, ...] = ("eng",)) -> bool:
    """Whether a levelled page of horizontal lines is turned 180 degrees (module docstring);
    only for Latin-alphabet ``languages``."""
    return upright_turn(img, languages) == 180


def sideways_turn(img: Image.Image, languages: tuple[str, ...] = ("eng",)) -> int:
    """For a page whose lines run vertically (:func:`sideways`): the counter-clockwise turn,
    90 or 270 degrees, that sets it upright, judged by its lines' shape once turned 90; 0
    when they cannot tell (few lines, grain, a script not judged), for OSD to decide.

    Only for a page surely on its side (:data:`SURELY_SIDEWAYS`): the profiles of an upright
    page turned 90 degrees are meaningless, and can look decisive. Tune and extra split: on
    all 17 sideways pages the turn agrees with OSD's where OSD answers (16; on the 17th OSD
    found no turn, the profile read 0.25 turned 90 degrees), the weakest at 1.46. About 20 ms
    against OSD's 0.5 s."""
    if not _judged(img, languages) or min(img.size) < PAGE_SHAPE * max(img.size):
        return 0
    if line_direction(img) >= SURELY_SIDEWAYS:
        return 0
    ratio, lines = ascent_ratio(img.rotate(90, expand=True))
    if lines < MIN_LINES:
        return 0
    if ratio < UPSIDE_DOWN_BELOW:
        return 270
    return 90 if ratio > 1 / UPSIDE_DOWN_BELOW else 0
