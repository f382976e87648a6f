"""Recognised lines built by hand, for the layout pass's geometry tests."""

from __future__ import annotations

from aigateway.ocr.engine.geometry import Line, Word

__all__ = ("boxed", "line")


def line(words: list[str], x: int, y: int, block: int, para: int, h: int = 30) -> Line:
    """A line of ``words`` starting at ``x``, ``y``: each word 18 px a character and ``h`` px
    tall, 12 px apart, as the recogniser would give it in ``block`` and ``para``."""
    out = []
    for t in words:
        w = 18 * len(t)
        out.append(Word(t, 95.0, x, y, x + w, y + h))
        x += w + 12
    return Line(out, block, para)


def boxed(boxes: list[tuple[str, int, int, int, int]], block: int, para: int | None = None) -> Line:
    """A line of words with the boxes given, ``(text, x0, y0, x1, y1)``, as the recogniser
    reported them on a real page, in ``block`` and ``para`` (``block`` when not given)."""
    words = [Word(t, 95.0, x0, y0, x1, y1) for t, x0, y0, x1, y1 in boxes]
    return Line(words, block, block if para is None else para)
