"""Recognised lines built by hand, for the layout pass's geometry tests."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageOps

from aigateway.ocr.engine.geometry import Line, Word

from .docgen import font

__all__ = ("boxed", "drawn", "line")


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


def drawn(text: str, read: str, face: str, size: int = 40) -> tuple[Image.Image, Line]:
    """``text`` drawn on a line in ``face`` (a font file name) at ``size`` px, and the line as
    a recogniser reads it: word for word as ``read`` (as many words), each boxed to its ink."""
    f = font(size, face)
    page = Image.new("L", (1400, 3 * size), 255)
    draw = ImageDraw.Draw(page)
    draw.text((40, size), text, font=f, fill=0)
    words, at = [], 0
    for token, said in zip(text.split(" "), read.split(" "), strict=True):
        at = text.index(token, at)
        x0 = 40 + round(draw.textlength(text[:at], font=f))
        x1 = 40 + round(draw.textlength(text[: at + len(token)], font=f))
        ink = ImageOps.invert(page.crop((x0 - 2, 0, x1 + 2, page.height))).getbbox()
        assert ink is not None
        words.append(Word(said, 90.0, x0 - 2 + ink[0], ink[1], x0 - 2 + ink[2], ink[3]))
        at += len(token)
    return page, Line(words, 1, 1)
