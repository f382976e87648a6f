"""A code listing whose identifiers mix letters and digits (``char16_t``, ``base16``): blurred
as a scan blurs it, Tesseract reads ``base16`` as ``basel6`` (a ``1`` beside a digit read as
an ``l``), surely, over the re-reading's cut."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFilter

from .docgen import font

NAMES = ("umac128_ctx", "char16_t", "aes128_encrypt", "base16", "lib64", "md5_init")
ROWS = 40
"""Lines on the page; ``base16`` is on each once."""


def listing(blur: float = 1.5) -> Image.Image:
    """An A4 page at 300 DPI: :data:`ROWS` lines of ``use <four names> here`` in DejaVu Sans
    Mono (30 px), blurred by ``blur`` px."""
    img = Image.new("L", (2481, 3508), 255)
    d = ImageDraw.Draw(img)
    f = font(30, "DejaVuSansMono.ttf")
    for k in range(ROWS):
        row = " ".join(NAMES[(k * 3 + j) % len(NAMES)] for j in range(4))
        d.text((200, 200 + 48 * k), f"use {row} here", font=f, fill=0)
    return img.filter(ImageFilter.GaussianBlur(blur))
