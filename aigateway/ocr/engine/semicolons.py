"""A subscript ``j`` or ``i`` read as ``;`` given back.

TeX sets a formula's ``x_j`` and ``l_j`` with a small italic ``j`` lowered under the line, and
Tesseract's English model reads it as ``;``: ``x;)``, ``1;``, ``u;`` (a subscript ``i``: ``(x;``).
The ink tells them apart. A ``;`` is a dot over a comma of the same width, the comma at most
about three dots tall; the letter is a dot over a stem many dots tall and wider than the dot
(the ``j``'s hook, the ``i``'s foot), the dot close above it. So where a word's
``;`` stands on a glyph of its own, the word's letters each on a glyph of their shape
(:func:`.glyphs.matched`), and its ink is such a dot over such a stem
(:func:`_letter`), it is read as the letter: ``j`` when the stem reaches well under the foot
of the word's other glyphs, else ``i``.

Forty-fifth round: 45 pages of GLPK and camlidl outside the corpus (tune sources; scratch,
born-digital, grainy and 150 DPI) hold nine such ``;`` in the gateway's reading (raw RapidOCR,
reading whole lines, reads most of them right). The 219 tune pages have none, and real
semicolons (C, XML, shell listings) are three dots tall at most in every face seen. A ``j``
whose hook reaches under the letter before it is one glyph with that letter
(:func:`.glyphs.find`), the word's glyphs do not pair off, and the ``;`` stays.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from . import fastops, glyphs
from .geometry import Line, Word
from .ink import Windows

__all__ = ("restore",)

STEM = 4.0
"""A letter's stem is at least this many times as tall as its dot (a subscript ``i`` five
times, ``j`` seven; a semicolon's comma under three times its dot in Computer Modern, DejaVu
and typewriter faces)."""

DESCENT = 0.5
"""Share of its stem a ``j`` reaches under the foot of the word's other glyphs: 0.6 in
Computer Modern at 300 DPI, 0.57-0.62 in DejaVu Serif; a subscript ``i``, lowered with its
line (TeX's ``sub1``, 0.15 em), 0.33 and 0.40-0.47."""


_ANY = "\u2020"
"""Stands in for a ``;`` when the word's glyphs are paired off: a glyph, of no set shape."""


def _letter(ink: Any, stem: glyphs.Box, height: float) -> bool:
    """The glyph ``stem`` (a box in ``ink``, a word's boolean array) is a letter's stem with
    its dot: exactly one small piece of ink stands close over it, centred within its columns,
    and the stem is :data:`STEM` times that piece's height and half as wide again."""
    x0, y0, x1, y1 = stem
    found = fastops.boxes(ink)
    if found is None:
        return False
    dots = [
        (a, b, c, d)
        for a, b, c, d in found.tolist()
        if d <= y0 + 1 and d - b < glyphs.GLYPH * height and a < x1 and c > x0
    ]
    if len(dots) != 1:
        return False
    a, b, c, d = (int(v) for v in dots[0])
    tall = max(1, d - b)
    return (
        y1 - y0 >= STEM * tall
        and x1 - x0 >= 1.5 * (c - a)  # a comma is as wide as its dot, a blurred one a pixel more
        and x0 <= (a + c) / 2 <= x1
        and y0 - d <= 2 * tall  # close over the stem (a semicolon's dot: two of it over its comma)
    )


def _read(word: Word, ink: Windows, foot: int, height: float) -> str:
    """``word``'s text with each ``;`` that stands on a letter's stem and dot read as ``j`` or
    ``i`` (:func:`_letter`); the word as read when its glyphs do not pair off with its
    characters, the ``;`` counted as a glyph, or it has no other glyph to find its foot by."""
    window = ink.window(word.x0, word.y0, word.x1, max(word.y1, foot))
    found = glyphs.find(window, height)
    # The ";" counted as a glyph of no set shape (it may be a j or an i); the other letters
    # each on a glyph of theirs, or a glyph taken for a stop (a typewriter's "*") would shift
    # the ";" onto the letter before it (``2*pi;`` read ``2*pii``).
    paired = None if found is None else glyphs.pair(word.text.replace(";", _ANY), found)
    if not paired or not glyphs.matched(paired, height):
        return word.text
    semis = [(k, box) for k, _, box in paired if word.text[k] == ";"]
    feet = [box[3] for k, _, box in paired if word.text[k] != ";"]
    if not feet:
        return word.text
    base = min(feet)  # the other glyphs' highest foot: a bracket or descender reaches lower
    text = list(word.text)
    for k, box in semis:
        if _letter(window, box, height):
            text[k] = "j" if box[3] - base > DESCENT * (box[3] - box[1]) else "i"
    return "".join(text)


def restore(img: Image.Image, lines: list[Line]) -> int:
    """Read, in place, each ``;`` in ``lines`` that is a subscript letter's ink as that
    letter (the module docstring). Returns how many words changed."""
    return glyphs.reread(
        img,
        lines,
        lambda w: ";" in w.text and len(w.text) >= 2 and w.x1 - w.x0 >= 3,
        lambda ln, word, ink, height: _read(word, ink, ln.y1, height),
    )
