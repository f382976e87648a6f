"""Rules a grainy page's clean-up broke into specks are erased before Tesseract reads it;
text, underscores and leader dots are not."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from aigateway.ocr.engine import dashes

from ..support.docgen import font


def _specks(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], seed: int) -> None:
    """A thin rule as a clean-up leaves it: runs of 1-3 px scattered along ``box``."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = box
    across = x1 - x0 >= y1 - y0
    pos = x0 if across else y0
    end = x1 if across else y1
    while pos < end:
        run = rng.randint(1, 3)
        if rng.random() < 0.5:
            if across:
                draw.rectangle((pos, y0, pos + run - 1, y1 - 1), fill=0)
            else:
                draw.rectangle((x0, pos, x1 - 1, pos + run - 1), fill=0)
        pos += run + rng.randint(2, 12)


def _page() -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A cleaned-up table: text rows, a row of identifiers with underscores, a row of leader
    dots, and speckled rules between the rows and down between the columns."""
    img = Image.new("L", (1600, 900), 255)
    draw = ImageDraw.Draw(img)
    rows = [
        ("strokeColor", "Color of the axis"),
        ("ERL_DRV_EXTENDED_MARKER", "ERL_DRV_EXTENDED_MAJOR_VERSION"),
        ("Contents . . . . . . . . . . .", ". . . . . . . . . . . . . . . . 5"),
        ("tickDown", "How far below the axis should the tick mark protrude?"),
    ]
    rules = []
    for n, (left, right) in enumerate(rows):
        y = 60 + n * 180
        draw.text((80, y), left, font=font(36, "DejaVuSansMono.ttf"), fill=0)
        draw.text((720, y), right, font=font(36), fill=0)
        rules.append((40, y + 120, 1560, y + 122))
    rules.append((680, 20, 682, 860))
    for k, box in enumerate(rules):
        _specks(draw, box, k)
    return img, rules


def test_speckled_rules_go_and_the_text_stays() -> None:
    page, rules = _page()
    out = dashes.erase(page, 300)
    before, after = np.asarray(page) < 128, np.asarray(out) < 128
    rule_mask = np.zeros_like(before)
    for x0, y0, x1, y1 in rules:
        rule_mask[y0:y1, x0:x1] = True
    # The rules' specks are gone (but for a speck or two where a rule's end is too short a
    # stretch to judge) ...
    assert (after & rule_mask).sum() <= 0.01 * (before & rule_mask).sum()
    # ... and every other pixel is as it was: text, underscores, leader dots.
    assert (after[~rule_mask] == before[~rule_mask]).all()


def test_a_page_without_rules_comes_back_as_it_is() -> None:
    page, _ = _page()
    clean = Image.new("L", page.size, 255)
    ImageDraw.Draw(clean).text(
        (80, 60), "ERL_DRV_EXTENDED_MARKER . . . . . .", font=font(36), fill=0
    )
    assert dashes.erase(clean, 300) is clean
