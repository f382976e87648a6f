"""Screenshots: the gateway's engine against raw Tesseract and raw RapidOCR on screen print.

Usage::

    .venv/bin/python bench/ocr_screens.py [--pages 40] [--engines raw-tesseract,raw-rapidocr,gateway]

The corpus's pages are typeset manuals at print resolutions; what users also send is screen
captures: 11-16 px text, no DPI tag, light and dark themes. Each page here is a window
(1024-1440 px wide) of the **unseen** split's born-digital references (``bench/corpus.py``;
references that are letter-spaced code listings are left out: their spacing, not their text,
would be scored), drawn with a DejaVu face (sans, mono, serif, condensed) at 11-16 px, lines
1.3-1.7 sizes apart, in one of four themes, saved as an untagged PNG. The seeded generator
gives the same pages on every machine with the same packages and fonts (``fonts-dejavu-core``).
Ground truth is the text drawn. Categories: ``screen-light`` (light and grey grounds) and
``screen-dark`` (dark and blue). Engines and scoring as in ``bench/ocr_quality.py``.
"""

from __future__ import annotations

import argparse
import random
import sys
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Item, build, default_cache
from ocr_quality import ENGINES, quality

FONTS = "/usr/share/fonts/truetype/dejavu/"
FACES = ("DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif.ttf", "DejaVuSansCondensed.ttf")
THEMES = {
    "light": ((255, 255, 255), (30, 30, 30)),
    "grey": ((240, 240, 240), (60, 60, 60)),
    "dark": ((30, 30, 36), (220, 220, 220)),
    "blue": ((25, 40, 80), (230, 235, 245)),
}


def _spaced(text: str) -> bool:
    """A letter-spaced listing (``P r o c e s s e s``): a quarter of its words one letter."""
    words = text.split()
    return sum(len(w) == 1 for w in words) > 0.25 * max(1, len(words))


def screens(cache: Path, pages: int) -> list[Item]:
    """``pages`` screenshots (written once into ``cache / "screens"``) as corpus items."""
    sources = [
        i
        for i in build(cache, log=lambda *_: None)
        if i.split == "unseen" and i.category == "born-digital" and not _spaced(i.reference)
    ]
    if not sources:
        raise SystemExit("no unseen born-digital pages: see bench/README.md for the packages")
    out = cache / "screens"
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    items = []
    for k in range(pages):
        src = sources[k % len(sources)]
        words = " ".join(src.reference.split())
        start = rng.randrange(0, max(1, len(words) - 1200))
        size, theme = rng.choice([11, 12, 13, 14, 15, 16]), rng.choice(list(THEMES))
        face = ImageFont.truetype(FONTS + rng.choice(FACES), size)
        width, pitch = rng.choice([1024, 1280, 1440]), int(size * rng.choice([1.3, 1.5, 1.7]))
        per_line = int((width - 80) / (face.getlength("abcdefghijklmnopqrstuvwxyz ") / 27))
        lines = textwrap.wrap(words[start : start + 1200], per_line)
        ground, ink = THEMES[theme]
        img = Image.new("RGB", (width, 80 + len(lines) * pitch), ground)
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            draw.text((40, 40 + i * pitch), line, font=face, fill=ink)
        path = out / f"screen-{k:03d}.png"
        img.save(path)  # no DPI tag, as screenshots come
        category = "screen-light" if theme in ("light", "grey") else "screen-dark"
        items.append(Item(src.source, "screens", category, k, path, "image/png", "\n".join(lines)))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--cache", type=Path, default=default_cache())
    args = parser.parse_args()
    items = screens(args.cache, args.pages)
    print(f"\n== screens: {len(items)} pages ==")
    quality(items, args.engines.split(","), "screens")


if __name__ == "__main__":
    main()
