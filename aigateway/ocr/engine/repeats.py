"""Words Tesseract read twice from the same ink, in two lines, put back to one reading.

On a page read from a shrunk copy (large print, :mod:`.textsize`), Tesseract can find two
overlapping text lines where a letterhead's lines and the dates beside them stand half a line
apart: it read ``12 Harb Road`` in one and ``arbour Roa`` in the other, both from the same
glyphs, and the page came back as "12 Harbarbour RoadRoa" and "Date:ate". A word of one line
that lies within a word of another line on the same row, its text part of that word's, is a
repeat and goes; one that starts inside such a word and goes on past it, its text starting
with that word's end, finishes the word ("Harb" and "arbour": "Harbour").
"""

from __future__ import annotations

import re

from .geometry import Line, Word

__all__ = ("drop",)

INSIDE = 0.8
"""Share of a repeat's width that lies within the word it repeats."""

LEVEL = 0.5
"""Share of the lower word's height two words overlap by, at least, to stand on one row."""

JOIN = 3
"""Letters a word's end and a repeat's start share, at least, to be one word's two halves."""

Key = tuple[int, int]  # (line, word) indexes


def drop(lines: list[Line]) -> None:
    """Take repeated words out of ``lines`` (in place), finishing a word cut short where a
    repeat carries its end; lines left empty go."""
    keys = sorted(
        ((k, j) for k, ln in enumerate(lines) for j in range(len(ln.words))),
        key=lambda key: lines[key[0]].words[key[1]].y0,
    )
    now: dict[Key, Word] = {key: lines[key[0]].words[key[1]] for key in keys}
    gone: set[Key] = set()
    for i, p in enumerate(keys):
        for q in keys[i + 1 :]:
            if now[q].y0 >= now[p].y1:
                break
            if p[0] == q[0] or p in gone or q in gone or not _level(now[p], now[q]):
                continue
            for a, b in ((p, q), (q, p)):
                if _within(now[b], now[a]):
                    gone.add(b)
                    break
            else:
                left, right = (p, q) if now[p].x0 <= now[q].x0 else (q, p)
                joined = _finish(now[left], now[right])
                if joined is not None:
                    now[left] = joined
                    gone.add(right)
    if not gone and all(now[key] is lines[key[0]].words[key[1]] for key in keys):
        return
    kept = []
    for k, ln in enumerate(lines):
        words = [now[(k, j)] for j in range(len(ln.words)) if (k, j) not in gone]
        if words:
            kept.append(Line(words, ln.block, ln.para))
    lines[:] = kept


def _level(a: Word, b: Word) -> bool:
    """On one row, overlapping across: two readings of one stretch of ink."""
    down = min(a.y1, b.y1) - max(a.y0, b.y0)
    across = min(a.x1, b.x1) - max(a.x0, b.x0)
    return across > 0 and down >= LEVEL * min(a.y1 - a.y0, b.y1 - b.y0)


def _within(b: Word, a: Word) -> bool:
    """``b`` lies within ``a`` and reads as part of it ("Roa" in "Road")."""
    inner = _letters(b.text)
    across = min(a.x1, b.x1) - max(a.x0, b.x0)
    return len(inner) >= 2 and across >= INSIDE * (b.x1 - b.x0) and inner in _letters(a.text)


def _finish(left: Word, right: Word) -> Word | None:
    """``left`` finished by ``right``, which starts inside it and goes on past its end with a
    text that starts with ``left``'s last :data:`JOIN` or more letters; else ``None``."""
    if not left.x0 < right.x0 < left.x1 < right.x1:
        return None
    a, b = _letters(left.text), _letters(right.text)
    share = next((n for n in range(min(len(a), len(b)), JOIN - 1, -1) if a.endswith(b[:n])), 0)
    if not share:
        return None
    # The rest of the right word's text past its first ``share`` letters.
    seen, cut = 0, len(right.text)
    for at, ch in enumerate(right.text):
        if re.match(r"\w", ch):
            seen += 1
            if seen == share:
                cut = at + 1
                break
    return Word(
        left.text + right.text[cut:],
        min(left.conf, right.conf),
        left.x0,
        min(left.y0, right.y0),
        right.x1,
        max(left.y1, right.y1),
    )


def _letters(text: str) -> str:
    return re.sub(r"\W", "", text).lower()
