"""Lines Tesseract read in part: ink inside or just after a line that none of its words covers.

Tesseract can read a line with confidence and still leave glyphs of it out of every word: in
light grey code at 150 DPI (a Doxygen listing's ``#pragma once`` read ``#pragm 1``, a box one
pixel wide on ``once``; ``#include <cstddef>`` read ``#inclu £``). Its words are sure, so the
re-reading of doubtful words (:mod:`.reread`) never looks at them, and the ink left out is too
little, and too close to the line's words, for :mod:`.dropped` or :mod:`.orphans`. The glyphs
left out are fainter than the page's threshold, so the page's ink is taken halfway from that
threshold to the paper (:func:`.strays.mask` with ``faint``), every word box blanked, and
looked at along each line, from its first word to just past its last. A line with at least
:data:`MIN_LEFT` text heights of such ink is read again whole by RapidOCR's recogniser
(:func:`read`), which replaces it only with a reading that holds the old one
and about as much more as the ink left out can hold.

Only with ``engine = "auto"`` and RapidOCR installed. Thirty-fifth round: the ``more`` split's
born-digital, scans, grainy and 150 DPI pages 7245 to 7204 edits (four Raptor listings better,
none worse), tune unchanged; about 10 ms a page for the second mask and the search, and one
recogniser call for each line found (7 lines on 36 tune pages once specks were told from
glyphs, :data:`DENSE`; 33 before, on lines of grainy scans whose words were all read).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from PIL import Image

from . import reread
from .geometry import Line, Word
from .ink import runs
from .preprocess import inked_columns
from .strays import rule

__all__ = ("MAX_LINES", "MIN_LEFT", "Partial", "find", "read")

MIN_LEFT = 0.4
"""Text heights of uncovered ink a line needs to count as read in part: a glyph or more (a
light grey keyword's ``re`` left out of ``return``, the ``i`` of ``if``). Less is a comma or
a bracket Tesseract kept apart, for :mod:`.strays`. Forty-second round, tune and ``more``
splits (155 pages): 1.0 to 0.4 read 5504 to 5489 edits, seven pages better (three Raptor
listings at 150 DPI among them), none worse, for about 5 ms more a 150 DPI page; 0.25 read
as 0.4 did, the reading's checks (:func:`read`) turning the rest down."""

MIN_RUN = 0.25
"""A run of uncovered inked columns narrower than this many text heights is a speck or the
edge of a glyph a word box cut close, not a glyph left out."""

TAIL = 0.5
"""After the last word, ink up to this many text heights off still belongs to the line (a
word space), and a blank run this wide ends it."""

SPAN = 8.0
"""The tail after the last word is at most this many text heights wide: ink running on past
that is a rule, a drawing or another column, not glyphs left out."""

TALL = 0.4
"""Share of its line's height a run's ink must stand: a lower-case glyph's, not a speck's."""

DENSE = 0.05
"""Share of a run's band its ink must fill: strokes of glyphs, not a scan's scattered specks
(a grainy scan's line, its words all read, left a few pixels in a run as tall as the line)."""

MAX_LINES = 30
"""A page with more lines read in part than this has none: so much loose ink is dirt or a
drawing, and each line costs a recogniser call."""

GLYPH = 0.3
"""Text heights a glyph is at least wide: how many glyphs the uncovered ink can hold."""


@dataclass(frozen=True, slots=True)
class Partial:
    """A line read in part: its box (first word to the end of its ink) and how many more
    characters than its words hold a reading of the box may have."""

    line: int
    box: tuple[int, int, int, int]
    extra: int


def _glyphs(mask: Image.Image, x0: int, x1: int, ln: Line) -> bool:
    """The run's ink stands as tall as glyphs (:data:`TALL` of the line) and fills its band
    as strokes do (:data:`DENSE`), not specks of a scan's grain, and is no rule
    (:func:`.strays.rule`)."""
    crop = mask.crop((x0, ln.y0, x1, ln.y1))
    box = crop.getbbox()
    if box is None or box[3] - box[1] < TALL * ln.height:
        return False
    # Specks scattered over a run's columns can span its height; glyphs' strokes fill more.
    inked = crop.histogram()[255]
    return inked >= DENSE * crop.width * crop.height and not rule(mask, x0, x1, ln)


def _probe(mask: Image.Image, k: int, ln: Line) -> Partial | None:
    h = ln.height
    x0, x1 = ln.x0, ln.x1
    span = min(mask.width, x1 + round(SPAN * h))
    cols = inked_columns(mask.crop((x0, ln.y0, span, ln.y1)))
    # Words put in since the mask was made (a bullet restored) cover their ink too.
    pad = max(1, round(0.08 * h))
    for w in ln.words:
        for c in range(max(0, w.x0 - pad - x0), min(len(cols), w.x1 + pad + 1 - x0)):
            cols[c] = False
    gap = max(2, round(TAIL * h))
    inner, tail = cols[: x1 - x0], cols[x1 - x0 :]
    out = [r for r in runs(inner, 2) if r[1] - r[0] >= MIN_RUN * h]
    end = x1
    tails = runs(tail, gap)
    if tails and tails[0][0] < gap:
        t0, t1 = tails[0]
        if x1 + t1 >= span:
            return None  # ink running on past the span: a rule, a drawing, another column
        if t1 - t0 >= MIN_RUN * h:
            out.append((x1 - x0 + t0, x1 - x0 + t1))
            end = x1 + t1
    out = [r for r in out if _glyphs(mask, x0 + r[0], x0 + r[1], ln)]
    left = sum(b - a for a, b in out)
    if left < MIN_LEFT * h:
        return None
    return Partial(k, (x0, ln.y0, end, ln.y1), math.ceil(left / (GLYPH * h)) + 1)


def find(mask: Image.Image, lines: list[Line]) -> list[Partial]:
    """The lines of ``lines`` read in part, by ``mask`` (the page's ink, every word box
    blanked: :func:`.strays.mask`); none on a page with over :data:`MAX_LINES`."""
    found = [
        p
        for k, ln in enumerate(lines)
        if ln.words and ln.height >= 4
        if (p := _probe(mask, k, ln)) is not None
    ]
    return [] if len(found) > MAX_LINES else found


def read(
    img: Image.Image,
    lines: list[Line],
    parts: Sequence[Partial],
    threads: int = 1,
    languages: Sequence[str] = ("eng",),
) -> int:
    """Read each line read in part (:func:`find`) again whole; keep the reading when it
    holds the line's text and up to the part's ``extra`` characters more (what the ink left
    out can hold), with no two of its words run together (:func:`_run_together`), spread over
    the box (:func:`_spread`). Its words are taken as they are now: a doubtful stretch of the
    line may have been read again since ``parts`` were found (``3 ff pyright`` to ``3//
    pyright``), and the whole line is read all the same. Returns how many lines changed."""
    texts = reread.recognize(img, [p.box for p in parts], threads, languages)
    changed = 0
    for p, (text, score) in zip(parts, texts, strict=False):
        ln = lines[p.line]
        if score < reread.MIN_SCORE or not reread.extends(ln.text, text, p.extra):
            continue
        if _run_together(ln.words, text):
            continue  # the recogniser drops a typewriter font's spaces now and then
        ln.words[:] = _spread(list(ln.words), text, 100 * score, p.box)
        changed += 1
    return changed


def _run_together(words: Sequence[Word], text: str) -> bool:
    """``text`` has fewer words than ``words``, or holds two of them run together."""
    tokens = text.split()
    if len(tokens) < len(words):
        return True
    pairs = [a.text + b.text for a, b in itertools.pairwise(words)]
    return any(pair in token for pair in pairs for token in tokens)


def _unglue(old: Sequence[Word], tokens: list[str]) -> list[str]:
    """``tokens`` with a number Tesseract read as a word of its own parted again from the
    letters the recogniser ran it into (a listing's ``30 bool`` read ``30bool``)."""
    numbers = {w.text for w in old if w.text.isdigit()}
    out = []
    for token in tokens:
        lead = next(
            (n for n in numbers if token.startswith(n) and token[len(n) :][:1].isalpha()), None
        )
        out.extend([lead, token[len(lead) :]] if lead else [token])
    return out


def _spread(
    old: Sequence[Word], text: str, conf: float, box: tuple[int, int, int, int]
) -> list[Word]:
    """``text``'s words over ``box``: a word Tesseract read the same keeps its own box (the
    spacing pass, :mod:`.spaces`, splits words by the ink gaps inside their boxes), and each
    run of new words shares the stretch between its neighbours by characters."""
    tokens = _unglue(old, text.split())
    x0, y0, x1, y1 = box
    out: list[Word | None] = [None] * len(tokens)
    matcher = SequenceMatcher(None, [w.text for w in old], tokens, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            out[b + k] = old[a + k]
    k = 0
    while k < len(tokens):
        if out[k] is not None:
            k += 1
            continue
        end = k
        while end < len(tokens) and out[end] is None:
            end += 1
        before, after = out[k - 1] if k else None, out[end] if end < len(tokens) else None
        left = before.x1 + 1 if before is not None else x0
        right = after.x0 - 1 if after is not None else x1
        run = tokens[k:end]
        per = max(0, right - left) / max(1, sum(len(t) for t in run) + len(run) - 1)
        at = 0
        for n, token in enumerate(run):
            a = left + round(at * per)
            b = max(a + 1, left + round((at + len(token)) * per))
            out[k + n] = Word(token, conf, a, y0, b, y1)
            at += len(token) + 1
        k = end
    return [w for w in out if w is not None]
