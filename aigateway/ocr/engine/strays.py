"""Ink at a line's ends that no recognised word covers (part of the ``auto`` second reading).

Tesseract now and then leaves a glyph at the start or end of a line out of every word: the
closing bracket of "[Constant Struct]", the "==" that opens each line of a valgrind log, a list
bullet (bench corpus, tune split). Its words are right; the glyph is simply missing. This
module finds such ink: the page is thresholded, every word box is blanked, and what ink is left
just beside a line's first or last word, about as tall as a glyph and not part of a rule running
on above and below, is a stray. A stray that is a filled disc is a bullet (:mod:`.bullets`);
any other is read again with its word by RapidOCR's recogniser (:mod:`.reread`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from . import bullets
from .geometry import Line, Word
from .preprocess import as_gray, ink_mask, inked_columns, otsu_level, page_histogram

__all__ = ("MAX_STRAYS", "Stray", "faint_level", "find", "mask", "restore_bullets", "rule")

MAX_STRAYS = 30
"""A page with more strays than this has none: so much loose ink is dirt, not lost glyphs,
and each stray costs a recogniser call."""

_REACH = {"left": 1.5, "right": 0.7}
"""How far from the word, in text heights, ink counts as the line's own: a bullet sits about
one text height before its item; a dropped closing glyph touches its word."""

_GAP = 0.3
"""A run of blank columns this many text heights wide ends a stray."""

_SPAN = 2.5
"""A stray is at most this many text heights wide (more is a missed word or a drawing)."""

_BULLET_REACH = 6.0
"""How far before its item's first word, in text heights, a list bullet may stand: a hanging
indent sets it 2-4 text heights away (ReportLab's and Erlang's manuals, a word processor's
tab), beyond :data:`_REACH`, and Tesseract leaves such a bullet out of every word."""


@dataclass(frozen=True, slots=True)
class Stray:
    """Uncovered ink beside the first (``"left"``) or last (``"right"``) word of a line."""

    line: int
    """Index of the line in the page's lines."""
    side: str
    x0: int
    y0: int
    x1: int
    y1: int


def faint_level(gray: Image.Image) -> int:
    """The grey level halfway from Otsu's (the page's threshold) to the paper's: ink up to it
    takes in glyphs too light for the threshold, and so for Tesseract."""
    hist = page_histogram(gray)[:256]
    level = otsu_level(hist)
    paper = max(range(level + 1, 256), key=lambda v: hist[v], default=level)
    return (level + paper) // 2


def mask(img: Image.Image, lines: list[Line], faint: bool = False) -> Image.Image:
    """Ink white on black, every word box (with a margin for anti-aliased edges) blanked.
    ``faint``: ink is every grey level up to halfway from Otsu's level to the paper's, so that
    glyphs too light for the page's threshold (and so for Tesseract) count too."""
    gray = as_gray(img)
    # Ink up to and including Otsu's level: on a black-and-white page (a fax, a grainy page's
    # clean-up) no bullet was found at all. Tune grainy pages 1169 to 1140 edits, faxes 2451 to
    # 2447; grey tune pages byte-identical.
    ink = ink_mask(gray, faint_level(gray) if faint else otsu_level(page_histogram(gray)[:256]))
    draw = ImageDraw.Draw(ink)
    for ln in lines:
        pad = max(1, round(0.08 * ln.height))
        for w in ln.words:
            draw.rectangle((w.x0 - pad, w.y0 - pad, w.x1 + pad, w.y1 + pad), fill=0)
    return ink


def _columns(mask: Image.Image, x0: int, x1: int, y0: int, y1: int) -> list[bool]:
    """Which columns of the band ``x0..x1`` (rows ``y0..y1``) hold ink."""
    if x1 <= x0 or y1 <= y0:
        return []
    return inked_columns(mask.crop((x0, y0, x1, y1)))


def _run(cols: list[bool], start_near: int, gap: int) -> tuple[int, int] | None:
    """The run of inked columns nearest to index ``start_near`` (0 or the last index),
    ending at ``gap`` blank columns: (first, last + 1), or ``None`` without ink."""
    order = range(len(cols)) if start_near == 0 else range(len(cols) - 1, -1, -1)
    first = last = None
    blank = 0
    for k in order:
        if cols[k]:
            if first is None:
                first = k
            last, blank = k, 0
        elif first is not None:
            blank += 1
            if blank >= gap:
                break
    if first is None or last is None:
        return None
    return (min(first, last), max(first, last) + 1)


def rule(mask: Image.Image, x0: int, x1: int, ln: Line) -> bool:
    """Ink in columns ``x0``-``x1`` on nearly every row from a text height above ``ln`` to one
    below: a table rule, not a glyph (a column of brackets, one per line, leaves gaps)."""
    y0, y1 = max(0, ln.y0 - ln.height), min(mask.height, ln.y1 + ln.height)
    rows = mask.crop((x0, y0, x1, y1)).resize((1, y1 - y0), Image.Resampling.BOX)
    inked = sum(1 for v in rows.tobytes() if v > 0)
    return inked >= 0.9 * (y1 - y0)


def _probe(mask: Image.Image, k: int, ln: Line, side: str) -> Stray | None:
    h = ln.height
    w = ln.words[0] if side == "left" else ln.words[-1]
    reach, span, gap = round(_REACH[side] * h), round(_SPAN * h), max(2, round(_GAP * h))
    if side == "right":
        lo, hi = w.x1 + 1, min(mask.width, w.x1 + 1 + span)
    else:
        lo, hi = max(0, w.x0 - span), w.x0 - 1
    cols = _columns(mask, lo, hi, ln.y0, ln.y1)
    nearest = 0 if side == "right" else len(cols) - 1
    run = _run(cols, nearest, gap)
    # A frame's rule beside the word is passed over: a listing's line numbers stand outside
    # its box's left edge, and only that edge was found (FreeFEM's framed listings).
    for _ in range(2):
        if run is None or not rule(mask, lo + run[0], lo + run[1], ln):
            break
        cols[run[0] : run[1]] = [False] * (run[1] - run[0])
        run = _run(cols, nearest, gap)
    if run is None:
        return None
    x0, x1 = lo + run[0], lo + run[1]
    near = x0 - w.x1 if side == "right" else w.x0 - x1
    if near > reach or (run[1] == len(cols) if side == "right" else run[0] == 0):
        return None  # too far from the word, or running on past the span: not a lost glyph
    box = mask.crop((x0, ln.y0, x1, ln.y1)).getbbox()
    if box is None or box[3] - box[1] < 0.3 * h or rule(mask, x0, x1, ln):
        return None  # a speck, a dot or an underline's end, or a rule
    return Stray(k, side, x0, ln.y0 + box[1], x1, ln.y0 + box[3])


def _far_bullet(ink: Image.Image, img: Image.Image, k: int, ln: Line) -> Stray | None:
    """A list bullet up to :data:`_BULLET_REACH` text heights before ``ln``: the inked run
    nearest its first word, a filled disc (:func:`.bullets.filled_disc`) with blank paper a
    text height wide before it. (A period ending a word of a column to the left has its
    word's last glyph just before it.)"""
    h, w = ln.height, ln.words[0]
    lo, hi = max(0, w.x0 - round(_BULLET_REACH * h)), w.x0 - 1
    cols = _columns(ink, lo, hi, ln.y0, ln.y1)
    run = _run(cols, len(cols) - 1, max(2, round(_GAP * h)))
    if run is None or run[0] == 0:
        return None  # no ink, or ink running on past the reach
    x0, x1 = lo + run[0], lo + run[1]
    if any(_columns(ink, max(0, x0 - h), x0, ln.y0, ln.y1)):
        return None
    box = ink.crop((x0, ln.y0, x1, ln.y1)).getbbox()
    if box is None:
        return None
    disc = (x0 + box[0], ln.y0 + box[1], x0 + box[2], ln.y0 + box[3])
    if not bullets.filled_disc(img, disc, h):
        return None
    return Stray(k, "left", *disc)


def find(img: Image.Image, lines: list[Line]) -> list[Stray]:
    """Strays beside the lines' end words (none on a page with over :data:`MAX_STRAYS`),
    and bullets standing further before their items (:func:`_far_bullet`)."""
    if not lines or img.width < 4 or img.height < 4:
        return []
    ink = mask(img, lines)
    found: list[Stray] = []
    for k, ln in enumerate(lines):
        if ln.words:
            left = _probe(ink, k, ln, "left") or _far_bullet(ink, img, k, ln)
            right = _probe(ink, k, ln, "right")
            found += [s for s in (left, right) if s is not None]
    if len(found) > MAX_STRAYS:
        return []  # loose ink everywhere: a dirty page, where re-reading guesses
    return found


def restore_bullets(img: Image.Image, lines: list[Line], strays: list[Stray]) -> list[Stray]:
    """Put back, in place, strays before a line that are list bullets (a filled disc smaller
    than the text) as "•" words; the other strays are returned."""
    rest: list[Stray] = []
    for s in strays:
        ln = lines[s.line]
        if s.side == "left" and bullets.filled_disc(img, (s.x0, s.y0, s.x1, s.y1), ln.height):
            ln.words.insert(0, Word(bullets.BULLET, 90.0, s.x0, s.y0, s.x1, s.y1))
        else:
            rest.append(s)
    return rest
