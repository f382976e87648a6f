"""Line numbers misread in a numbered listing, put right from their neighbours.

A listing's line numbers are set small beside the code, and Tesseract reads each one with the
code after it, through its word model: ``8`` came back ``s``, ``15`` ``is``, ``16`` ``ie`` and
``11`` ``1.``. The column itself says what they are: numbers counting up by one. Where a
line's first word stands in that column between lines numbered ``n - 1`` and ``n + 1`` (or
between ``n - a`` and ``n + b``, ``a`` and ``b`` lines away, up to :data:`RUN` misread in a
row), is as wide as ``n`` and is made only of letters, digits and ``|!.,'``, it is ``n``.

Nothing else is touched: numbers that do not count up by one across the gap, a word of
another width or with another glyph (a bracket, an operator), or a word out of the column's
alignment (code whose own number was lost) stays as read.
"""

from __future__ import annotations

from .geometry import Line, Word

__all__ = ("ALIGN", "LOOKALIKES", "RUN", "repair")

RUN = 6
"""Lines without a number read in a row that are still looked across: each misread one needs
numbered lines either side within this many lines, whose numbers differ by exactly the lines
between them."""

LOOKALIKES = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ|!.,'")
"""Glyphs Tesseract reads for digits in small print: ``s`` for 5 and 8, ``a`` for 4, ``n`` and
``.`` for 1, ``e`` for 6, and so on; any letter, as the count and the column decide."""

ALIGN = 0.3
"""A misread number's box ends (or starts) within this many text heights of its numbered
neighbours': it stands in their column, not at the code's indentation beside it."""


def _number(ln: Line) -> int | None:
    text = ln.words[0].text
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else None


def _aligned(a: Word, b: Word, height: float) -> bool:
    """One column: left or right edges within :data:`ALIGN` text heights (numbers are set
    either way)."""
    return abs(a.x0 - b.x0) <= ALIGN * height or abs(a.x1 - b.x1) <= ALIGN * height


Placed = dict[int, tuple[float, Line]]
"""Each line's vertical middle, by ``id`` of the line: measured once a page, not once for every
line looked across from every line (a page's lines times its misread candidates)."""


def _neighbour(placed: Placed, line: Line, step: int, height: float) -> Line | None:
    """The nearest line above (``step`` -1) or below (+1) ``line`` whose first word stands in
    its first word's column, within three text heights."""
    mid = placed[id(line)][0]
    near = [
        (gap, other)
        for other_mid, other in placed.values()
        if 0 < (gap := step * (other_mid - mid)) <= 3 * height
        and _aligned(other.words[0], line.words[0], height)
    ]
    return min(near, key=lambda g: g[0])[1] if near else None


def _numbered(placed: Placed, line: Line, step: int, height: float) -> tuple[Line, int] | None:
    """The nearest numbered line above (``step`` -1) or below (+1) ``line`` in its column, and
    how many lines away it is, up to :data:`RUN` (misread numbers in a row: ``is`` and ``ie``
    for 15 and 16, or numbers read with a stray glyph, ``9»``, or with the code, ``16:COUL``)."""
    current = line
    for steps in range(1, RUN + 1):
        nxt = _neighbour(placed, current, step, height)
        if nxt is None:
            return None
        if _number(nxt) is not None:
            return nxt, steps
        current = nxt
    return None


def _fits(word: Word, want: str, numbers: tuple[Word, Word]) -> bool:
    """``word`` is as wide as ``want`` set in the numbers' digits (two narrow ones read as
    one letter, ``n`` for ``11``, still are), give or take half a digit."""
    digit = sum((w.x1 - w.x0) / len(w.text) for w in numbers) / 2
    return (
        len(word.text) <= len(want) + 1
        and abs((word.x1 - word.x0) - digit * len(want)) <= 0.6 * digit
    )


def repair(lines: list[Line]) -> int:
    """Put right, in place, the line numbers misread in ``lines``' numbered listings.

    Returns how many words changed.
    """
    lines = [ln for ln in lines if ln.words]
    if sum(_number(ln) is not None for ln in lines) < 2:
        return 0
    placed = {id(ln): ((ln.y0 + ln.y1) / 2, ln) for ln in lines}
    fixes: list[tuple[Line, str]] = []
    for line in lines:
        first = line.words[0]
        if _number(line) is not None or not set(first.text) <= LOOKALIKES:
            continue
        height = max(1.0, float(line.height))
        above = _numbered(placed, line, -1, height)
        below = _numbered(placed, line, 1, height)
        if above is None or below is None:
            continue
        (a, up), (b, down) = above, below
        n, m = _number(a), _number(b)
        if n is None or m is None or m - n != up + down:
            continue
        want = str(n + up)
        if _fits(first, want, (a.words[0], b.words[0])):
            fixes.append((line, want))
    # Applied after every line is judged: a line put right must not count as a number that
    # vouches for its neighbour.
    for line, want in fixes:
        w = line.words[0]
        line.words[0] = Word(want, w.conf, w.x0, w.y0, w.x1, w.y1)
    return len(fixes)
