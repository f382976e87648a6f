"""Recognised lines built by hand, for the layout pass's geometry tests."""

from __future__ import annotations

from aigateway.ocr.engine.geometry import Line, Word

__all__ = ("line",)


def line(words: list[str], x: int, y: int, block: int, para: int, h: int = 30) -> Line:
    """A line of ``words`` starting at ``x``, ``y``: each word 18 px a character and ``h`` px
    tall, 12 px apart, as the recogniser would give it in ``block`` and ``para``."""
    out = []
    for t in words:
        w = 18 * len(t)
        out.append(Word(t, 95.0, x, y, x + w, y + h))
        x += w + 12
    return Line(out, block, para)
