"""Spaced ellipses read with their spaces.

TeX sets ``\\ldots`` (and Texinfo's ``@dots{}``) as full stops with a space between each:
a word space in text, a thin space in a formula (``x1, x2, . . . , xn``, ``a + . . . + z``).
The text layer says ``. . .``, and so does a reader; Tesseract reads ``...``, two to six
edits each. A typed ellipsis is another thing: ``…`` or three full stops in a proportional
face stand at most about 0.23 em apart (Times, Arial), TeX's 0.35 em and more.

So where a word's text has a run of full stops, its line's ink is looked at: each run of
inked columns that is a dot (small, square, in the lower half of the line) is a stop. When
the word holds as many runs of dots as its text has runs of stops, the text's run is written
again with a space between its stops where the dots stand :data:`SPACED` apart, and next to
the glyphs before and after it when they stand nearly as far.

A typewriter face puts every stop in a cell of its own, as far apart as TeX's. A monospace
block is left alone, and so is a run whose neighbours stand on its cells
(:func:`_typewriter`): ``printf(fmt, ...)``, ``../proj.h`` in running text. A run read as a
word of its own (``the ... argument``) is left as read: code's ``...`` in a typewriter face
between words of a proportional one looks just like TeX's spaced stops there (an R manual's
``...`` argument, typed in Texinfo's ``@code``, is spaced so, its text layer unspaced).

Forty-fourth round, 219 tune pages: 7119 to 6892 edits, fifteen pages better (GLPK's
formulas ``x1 + . . . + xn`` and camlidl's grammar ``(A . . . Z | a . . . z)`` in every
variant), none worse. A page costs nothing more unless a word has ``..`` in it.
"""

from __future__ import annotations

import itertools
import re

from PIL import Image

from .geometry import Line, Word, body_height
from .ink import Windows, bounds, page_otsu
from .preprocess import as_gray
from .spaces import monospace_pitch

__all__ = ("SPACED", "dot_spans", "restore")

SPACED = 0.28
"""Blank between two dots, in text heights, from which they are spaced stops: TeX's stand
0.36 apart (15 px in 42 px lines at 300 DPI), a Times or Arial ellipsis's 0.23."""

DOT = 0.2
"""A dot's ink is at most this many text heights wide and tall (5 px in 42 px lines)."""

RUN = 0.8
"""Text heights of paper between two dots of one run at most."""

NEXT = 0.7
"""A spaced run stands apart from the glyph before or after it (a space goes between) when
the blank there is at least this share of the blank between its dots."""

ON_CELLS = 3
"""Glyphs beside a run of dots standing on its cells that make it a typewriter face's (one
or two in a proportional face's formula do by chance: a comma after ``. . .`` stands as far
from the last dot as the dots from each other)."""

CELL = 0.15
"""A glyph's centre stands on a cell's when it is this share of a cell from it or less."""

_STOPS = re.compile(r"\.(?: ?\.)+")


def dot_spans(ink: Windows, line: Line, height: float) -> list[tuple[int, int, bool]]:
    """The runs of inked columns along ``line``'s band (page columns, end exclusive), each
    with whether its ink is a dot."""
    window = ink.window(line.x0, line.y0, line.x1, line.y1)
    starts, ends = bounds(window.any(axis=0))
    middle = window.shape[0] / 2
    spans: list[tuple[int, int, bool]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        rows = window[:, a:b].any(axis=1).nonzero()[0]
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        wide, tall = b - a, bottom - top
        dot = (
            max(wide, tall) <= DOT * height
            and wide <= 2 * tall
            and tall <= 2 * wide
            and (top + bottom) / 2 > middle
        )
        spans.append((line.x0 + a, line.x0 + b, dot))
    return spans


def _runs(spans: list[tuple[int, int, bool]], height: float) -> list[tuple[int, int]]:
    """(first, last) indices into ``spans`` of each run of two dots or more."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while (
            j + 1 < len(spans)
            and spans[j][2]
            and spans[j + 1][2]
            and spans[j + 1][0] - spans[j][1] <= RUN * height
        ):
            j += 1
        if j > i:
            out.append((i, j))
        i = j + 1
    return out


def _typewriter(spans: list[tuple[int, int, bool]], i: int, j: int) -> bool:
    """The dots ``spans[i..j]`` are a typewriter face's: the glyphs next to them stand on the
    dots' pitch, each a whole number of cells from the first dot, as a monospace font sets
    every glyph (and space) in a cell of one width. :data:`ON_CELLS` glyphs in a row so
    placed, counted outwards from the dots on both sides, are no chance."""
    centre = [(a + b) / 2 for a, b, _ in spans]
    pitch = (centre[j] - centre[i]) / (j - i)

    def fits(k: int) -> bool:
        cells = (centre[k] - centre[i]) / pitch
        return abs(cells - round(cells)) <= CELL

    before = itertools.takewhile(fits, range(i - 1, -1, -1))
    after = itertools.takewhile(fits, range(j + 1, len(spans)))
    return sum(1 for _ in before) + sum(1 for _ in after) >= ON_CELLS


def _spaced(word: Word, spans: list[tuple[int, int, bool]], height: float) -> Word | None:
    """``word`` with its runs of stops spaced as its ink (its line's ``spans``) spaces them
    (``None``: no change)."""
    found = list(_STOPS.finditer(word.text))
    if not found:
        return None
    runs = [r for r in _runs(spans, height) if _inside(spans, r, word)]
    if [j - i + 1 for i, j in runs] != [m.group().count(".") for m in found]:
        return None
    text, last = [], 0
    for m, (i, j) in zip(found, runs, strict=True):
        gaps = [spans[k + 1][0] - spans[k][1] for k in range(i, j)]
        head = word.text[last : m.start()]
        tail = word.text[m.end() :]
        alone = head[-1:] in ("", " ") and tail[:1] in ("", " ")
        if alone or min(gaps) < SPACED * height or _typewriter(spans, i, j):
            continue
        near = NEXT * min(gaps)
        if head and head[-1] != " " and i > 0 and spans[i][0] - spans[i - 1][1] >= near:
            head += " "
        text.append(head + " ".join("." * (j - i + 1)))
        last = m.end()
        apart = j + 1 < len(spans) and spans[j + 1][0] - spans[j][1] >= near
        if tail and tail[0] != " " and apart:
            text.append(" ")
    new = "".join(text) + word.text[last:]
    return None if new == word.text else Word(new, word.conf, word.x0, word.y0, word.x1, word.y1)


def _inside(spans: list[tuple[int, int, bool]], run: tuple[int, int], word: Word) -> bool:
    """The run of dots ``spans[run[0]..run[1]]`` lies in ``word``'s box."""
    return spans[run[0]][0] >= word.x0 - 1 and spans[run[1]][1] <= word.x1 + 1


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Write, in place, each run of stops in ``lines``' words that the page spaces out with
    its spaces (the module docstring). Returns how many words changed."""
    height = body_height(lines)
    maybe = [ln for ln in lines if any(_STOPS.search(w.text) for w in ln.words)]
    if not maybe or height <= 0:
        return 0
    blocks: dict[int, list[Line]] = {}
    for ln in lines:
        blocks.setdefault(ln.block, []).append(ln)
    gray = as_gray(img)
    ink = Windows(gray, page_otsu(gray))
    monospace = {b: monospace_pitch(blocks[b]) is not None for b in {ln.block for ln in maybe}}
    changed = 0
    for ln in maybe:
        if monospace[ln.block]:
            continue
        spans = dot_spans(ink, ln, height)
        for i, word in enumerate(ln.words):
            new = _spaced(word, spans, height)
            if new is not None:
                ln.words[i] = new
                changed += 1
    return changed
