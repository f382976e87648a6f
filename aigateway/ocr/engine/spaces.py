"""Spaces put back inside words of monospace text (code listings, command lines, logs).

In a typewriter font every character, a space included, fills one cell of the same width, and
Tesseract often reads two tokens one cell apart as one word: ``x == 1`` as ``x== 1``,
``a <- 2`` as ``a<-2``. Where a block of lines is monospace its pitch is known, and such a word
gives itself away: its box spans more cells than it has characters. The blank columns inside
it that are about a cell wide are where the missing spaces go.

A block (as Tesseract grouped its lines) is monospace when its words' widths follow their
character counts far better than they follow the letters' widths in a proportional font.
Tune split of the bench corpus (28 pages a category): born-digital 1240 -> 1238 edits, scans
1612 -> 1605, 150 DPI 262 -> 261, JPEG 369 -> 364; most missing spaces there are in
proportional text, where a blank run inside a word is as often the side bearings of
punctuation as a space, and are left alone.

Extra spaces go too. In a monospace block, a bracket, ``;`` or ``,`` leaves a wide blank in
its own cell, and Tesseract cuts words there: ``assert (n)``, ``f(x) ;``, ``table(x) [0]``.
Where the ink between two such words leaves no room for a space cell, they are one word
(:func:`_unspaced`). Tune and ``more`` splits (155 pages): 5528 -> 5504 edits, nine pages
better (code listings at 300 and 150 DPI, scanned and grainy), one worse by 2 (a line number
joined to a misread ``//``, now never joined). Two kinds of
extra space are taken out in any text: a ``::`` (C++, Rust, Ruby and Perl
scopes, IPv6) that Tesseract read as two words, ``raptor: :bin``, is joined again
(:func:`_scope`), and so is a statement's ``;`` read as a word of its own over the end of the
word before it, ``currentpicture) ;`` (:func:`_semicolon`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from PIL import Image

from .geometry import Line, Word, glued
from .preprocess import ink_mask, inked_columns, otsu

__all__ = ("MIN_WORDS", "SPACE", "monospace_pitch", "restore")

MIN_WORDS = 6
"""Words (of two characters or more) a block needs before it is judged monospace."""

FIT = 0.6
"""Monospace when the cell model's typical error is under this share of the letter-width
model's (and under :data:`MAX_ERROR`)."""

MAX_ERROR = 0.06
"""The cell model's median error, relative to a word's width, a monospace block stays under."""

GAP = 0.85
"""A blank run of columns at least this many cells wide inside a word is a space."""

# Advance widths of a proportional sans (Helvetica's metrics, 1/1000 em): what a word's width
# would be if the font were proportional. Serif faces differ in detail, not in kind: "i" and
# "l" are narrow and "m" and "W" wide in all of them, and equal in a typewriter font.
_GROUPS = {
    191: "'",
    222: "ijl",
    260: "|",
    278: "ftI.,:;!/\\[]",
    333: "r-()",
    334: "{}",
    355: '"',
    389: "*",
    500: "cksvxyzJ",
    611: "FTZ",
    667: "ABEKPSVXY",
    722: "CDHNRUw",
    778: "GOQ",
    833: "mM",
    944: "W",
}
_WIDTHS = {c: w for w, chars in _GROUPS.items() for c in chars}


def _proportional(text: str) -> float:
    return sum(_WIDTHS.get(c, 556) for c in text) / 1000  # 556: digits, most lowercase


def _error(widths: list[float], model: list[float]) -> float:
    """Median relative error of ``widths`` against ``model`` scaled by its best factor."""
    scale = statistics.median(w / m for w, m in zip(widths, model, strict=True))
    return statistics.median(abs(w - scale * m) / w for w, m in zip(widths, model, strict=True))


def monospace_pitch(lines: Sequence[Line]) -> float | None:
    """The cell width of ``lines`` (one block) in pixels, or ``None`` if not monospace.

    Two models of each word's width are fitted: cells (characters times a pitch, less the
    side bearings of its two end glyphs, about a third of a cell) and letter widths (a
    proportional font's). Monospace text fits the first far better.
    """
    # Boxes are made a pixel wide or more where words are read (``tesseract.read_lines``,
    # ``Line.scaled``); one with no width from any other pass still says nothing of a cell,
    # and must not divide by zero.
    words = [
        w
        for ln in lines
        for w in ln.words
        if len(w.text) >= 2 and " " not in w.text and w.x1 > w.x0
    ]
    if len(words) < MIN_WORDS:
        return None
    widths = [float(w.x1 - w.x0) for w in words]
    cells = [len(w.text) - 0.3 for w in words]
    mono = _error(widths, cells)
    if mono > MAX_ERROR or mono > FIT * _error(widths, [_proportional(w.text) for w in words]):
        return None
    return float(statistics.median(w / c for w, c in zip(widths, cells, strict=True)))


def _blank_runs(ink: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, end) of runs of blank columns between the first and the last inked one."""
    runs: list[tuple[int, int]] = []
    start, inked = None, False
    for x, dark in enumerate(ink):
        if dark:
            if start is not None:
                runs.append((start, x))
            start, inked = None, True
        elif start is None and inked:
            start = x
    return runs


def _split(word: Word, page: Image.Image, pitch: float) -> Word | None:
    """``word`` with its missing spaces, or ``None`` when it has none."""
    text = word.text
    missing = round((word.x1 - word.x0) / pitch + 0.3) - len(text)
    if missing < 1 or " " in text or len(text) < 2:
        return None
    crop = page.crop((word.x0, word.y0, word.x1, word.y1))
    level = otsu(crop)
    ink = inked_columns(ink_mask(crop, level))
    wide = [g for g in _blank_runs(ink) if g[1] - g[0] >= GAP * pitch]
    gaps = sorted(wide, key=lambda g: g[0] - g[1])  # widest first
    cuts = set()
    for g0, g1 in gaps[:missing]:
        # A gap's middle lies half a cell past the end of the characters before it.
        k = round((g0 + g1) / 2 / pitch - 0.5)
        if 1 <= k < len(text):
            cuts.add(k)
    if not cuts:
        return None
    out = "".join((" " if i in cuts else "") + c for i, c in enumerate(text))
    return Word(out, word.conf, word.x0, word.y0, word.x1, word.y1)


SCOPE_GAP = 0.6
"""Two words ``a:`` and ``:b`` closer than this many line heights are one: ``a::b``."""


def _scope(a: Word, b: Word, height: int) -> Word | None:
    """``a`` and ``b`` as one word when they are the two halves of a ``::`` Tesseract split.

    C++, Rust, Ruby and Perl name things ``ns::name``; Tesseract often reads the two colons
    as two words (``raptor: :bin_validator``), in proportional and monospace text alike. A
    colon ending a word with another starting the next, close together, is never prose.
    """
    if not (a.text.endswith(":") and b.text.startswith(":")) or "::" in (a.text[-2:], b.text[:2]):
        return None
    if b.x0 - a.x1 >= SCOPE_GAP * height:
        return None
    return glued(a, b)


def _semicolon(a: Word, b: Word) -> Word | None:
    """``a`` and ``b`` as one word when ``b`` is a ``;`` whose box starts inside ``a``'s.

    Tesseract sometimes ends a word at a narrow ``)`` and makes the ``;`` after it a word of
    its own, its box reaching back a third of a text height over the ``)`` (a wide font's
    bracket leaves room in its cell): ``pic=currentpicture) ;``. A space there would leave a
    gap, never an overlap. Not done for ``)`` or ``,``: an italic word's box reaches over the
    space after it, and ``( fun-name )`` in a grammar kept its spaces only so (tune split: 5
    pages worse)."""
    if not b.text.startswith(";") or a.text.endswith(";") or b.x0 >= a.x1:
        return None
    return glued(a, b)


def _read_as_two(a: Word, b: Word, height: int) -> Word | None:
    """``a`` and ``b`` as one word when they are one read as two (:func:`_scope`,
    :func:`_semicolon`)."""
    return _scope(a, b, height) or _semicolon(a, b)


def _join(line: Line, one: Callable[..., Word | None], *args: object) -> int:
    """Join, in place, each two neighbouring words of ``line`` that ``one(a, b, *args)`` makes
    one word (and that word with the next, in turn); returns how many were joined."""
    joined, i = 0, 0
    while i + 1 < len(line.words):
        both = one(line.words[i], line.words[i + 1], *args)
        if both is None:
            i += 1
            continue
        line.words[i : i + 2] = [both]
        joined += 1
    return joined


SPACE = 0.55
"""A blank between two words of a monospace line, less the side bearings of the glyphs on
either side of it (:data:`_BEARINGS`), narrower than this many cells holds no space cell."""

_BEARINGS = {"(": (0.35, 0.2), ")": (0.2, 0.35), "[": (0.35, 0.2), "]": (0.2, 0.35)}
"""Blank inside a glyph's cell, (left, right), in cells: a typewriter face's brackets are
narrow and set off-centre, towards the text they enclose. Measured on DejaVu Sans Mono: ``(``
0.34 and 0.28, ``[`` 0.37 and 0.28, ``;`` and ``,`` 0.32 and 0.39, ``a`` 0.10 and 0.14.
These are set a little under what was measured, so that a join needs a blank clearly
narrower than a cell."""

_NARROW = 0.3  # ``;`` and ``,``: narrow, about centred
_FULL = 0.05  # letters, digits and the rest: they nearly fill their cells


def _bearing(char: str, side: int) -> float:
    if char in _BEARINGS:
        return _BEARINGS[char][side]
    return _NARROW if char in ";," else _FULL


def _blank(a: Word, b: Word, page: Image.Image, pitch: float) -> float | None:
    """The run of blank columns between ``a`` and ``b`` (the one through the middle of the gap
    between their boxes), in cells; ``None`` when no ink bounds it within a cell of the gap
    (a box that reached over the space: the blank is not all in view)."""
    left, right = min(a.x1, b.x0), max(a.x1, b.x0)
    x0, x1 = max(a.x0, left - int(pitch)), min(b.x1, right + int(pitch))
    if x1 - x0 < 3:
        return None
    crop = page.crop((x0, min(a.y0, b.y0), x1, max(a.y1, b.y1)))
    ink = inked_columns(ink_mask(crop, otsu(crop)))
    mid = (left + right) // 2 - x0
    if not 0 <= mid < len(ink):
        return None
    if ink[mid]:
        return 0.0
    start, end = mid, mid
    while start > 0 and not ink[start - 1]:
        start -= 1
    while end < len(ink) and not ink[end]:
        end += 1
    if start == 0 or end == len(ink):
        return None
    return (end - start) / pitch


def _unspaced(a: Word, b: Word, page: Image.Image, pitch: float) -> Word | None:
    """``a`` and ``b`` as one word when no space cell lies between them.

    Tesseract cuts a monospace line into words where the blank is wide, and a bracket or a
    ``;`` leaves a wide blank in its own cell: ``assert(n)`` read as ``assert (n)``,
    ``f(x);`` as ``f(x) ;``. Only there is a join tried, and only when the ink between them
    leaves no room for a cell of space: a real one (``if (n)``, ``f( x )``) leaves a cell
    and more. Measured on the tune split's listings: unspaced pairs leave 0.6-0.95 of a cell
    of blank beside a bracket, spaced ones 1.0-1.1 beside a bracket and 1.45 and more beside
    letters; the boxes' own gaps do not tell them apart (both about 0.6 of a cell)."""
    if not (b.text[:1] in "()[];," or a.text[-1:] in "(["):
        return None
    if a.text.isdigit():
        return None  # a listing's line number: its code stands a column off, whatever it reads
    blank = _blank(a, b, page, pitch)
    if blank is None:
        return None
    bearings = _bearing(a.text[-1], 1) + _bearing(b.text[0], 0)
    return glued(a, b) if blank - bearings < SPACE else None


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Put back, in place, spaces missing inside words of ``lines``' monospace blocks, take
    out those read beside their brackets (:func:`_unspaced`), and join the halves of a ``::``
    (:func:`_scope`) or a ``;`` split off a word (:func:`_semicolon`) in any line.

    Returns how many words changed.
    """
    blocks: dict[int, list[Line]] = {}
    changed = 0
    for ln in lines:
        if ln.words:
            changed += _join(ln, _read_as_two, ln.height)
            blocks.setdefault(ln.block, []).append(ln)
    gray: Image.Image | None = None
    for block in blocks.values():
        pitch = monospace_pitch(block)
        if pitch is None:
            continue
        gray = gray or img.convert("L")
        for ln in block:
            changed += _join(ln, _unspaced, gray, pitch)
            for i, word in enumerate(ln.words):
                new = _split(word, gray, pitch)
                if new is not None:
                    ln.words[i] = new
                    changed += 1
    return changed
