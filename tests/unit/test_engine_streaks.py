"""Long thin vertical lines are found and filled in: scanner streaks through text, and rules
beside it (a table's, a listing's frame); glyphs, short strokes and grain are left alone.

Each page is drawn with real glyphs (DejaVu Sans, 40 px at 300 DPI) and a line of the kind a
dusty scanner glass draws: thin, dark or grey, down the whole page and through the text.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from aigateway.ocr.engine import streaks

from ..support.docgen import find_font, font, noise, on_grain

pytestmark = pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu-core")

PROSE = "The gateway reads every page it is given, and loses nothing of it."


def _page(width: int = 1800, rows: int = 30) -> Image.Image:
    img = Image.new("L", (width, 80 * rows + 100), 255)
    d = ImageDraw.Draw(img)
    for r in range(rows):
        # Each line starts elsewhere, as a page's lines break differently.
        d.text((60 + (r * 37) % 200, 50 + 80 * r), PROSE, font=font(40), fill=0)
    return img


def _streak(img: Image.Image, x: int, width: int = 3, grey: int = 120) -> Image.Image:
    out = img.copy()
    ImageDraw.Draw(out).rectangle((x, 0, x + width - 1, img.height), fill=grey)
    return out


@pytest.mark.parametrize(("width", "grey"), [(1, 100), (3, 120), (3, 170), (6, 60)])
def test_a_streak_through_text_is_found(width: int, grey: int) -> None:
    img = _streak(_page(), 700, width, grey)
    found = streaks.find(img)
    assert found.rules == []
    boxes = found.streaks
    assert len(boxes) == 1, boxes
    x0, y0, x1, y1 = boxes[0]
    assert x0 <= 700 and 700 + width <= x1 <= 700 + width + 1
    assert y0 <= 200 and y1 >= img.height - 200  # the whole page, give or take a window


def test_erasing_joins_strokes_and_leaves_the_rest_alone() -> None:
    page = _page()
    # A horizontal bar crossing the streak (as an "e" or a "t" does) must stay joined.
    ImageDraw.Draw(page).rectangle((600, 2460, 800, 2466), fill=0)
    img = _streak(page, 700)
    out = streaks.erase(img)
    assert out is not img
    # The streak is gone in the blank margin below the text...
    assert min(out.crop((690, 2480, 712, img.height)).tobytes()) > 200
    # ...the bar is still dark where the streak crossed it...
    assert max(out.crop((699, 2461, 704, 2465)).tobytes()) < 60
    # ...and nothing away from the streak changed.
    assert (
        out.crop((0, 0, 690, img.height)).tobytes() == img.crop((0, 0, 690, img.height)).tobytes()
    )


def test_clean_pages_are_left_alone() -> None:
    page = _page()
    assert streaks.find(page) == ([], [])
    assert streaks.erase(page) is page


def test_a_tables_rules_are_erased_and_its_cells_kept() -> None:
    # Long and thin, in the gaps between cells, touching no glyph: rules, not streaks.
    # Tesseract joins such a rule with glyphs near it (a listing's frame beside its line
    # numbers); the layout pass finds columns from the words, so the rules go too.
    table = Image.new("L", (1800, 2400), 255)
    d = ImageDraw.Draw(table)
    for r in range(25):
        for c, x in enumerate((60, 660, 1260)):
            d.text((x, 50 + 90 * r), f"cell {r}.{c}", font=font(40), fill=0)
    for x in (620, 1220):
        d.rectangle((x, 20, x + 2, 2380), fill=0)
    d.rectangle((20, 10, 1780, 12), fill=0)  # the top rule, which the vertical ones meet
    found = streaks.find(table)
    assert found.streaks == []
    assert [(b[0], b[2]) for b in found.rules] == [(620, 623), (1220, 1223)]
    out = streaks.erase(table)
    for x in (620, 1220):
        assert min(out.crop((x - 1, 40, x + 4, 2370)).tobytes()) > 200
    assert max(out.crop((610, 10, 630, 13)).tobytes()) < 60  # the top rule still joined
    # The cells are untouched.
    assert out.crop((0, 0, 600, 2400)).tobytes() == table.crop((0, 0, 600, 2400)).tobytes()
    assert out.crop((640, 0, 1200, 2400)).tobytes() == table.crop((640, 0, 1200, 2400)).tobytes()


def test_short_lines_and_grainy_pages_are_not_judged() -> None:
    short = _page()
    ImageDraw.Draw(short).rectangle((700, 40, 702, 300), fill=0)  # a glyph-sized stroke
    assert streaks.find(short) == ([], [])
    grain = noise((1800, 2500), 90)
    assert streaks.find(_streak(grain, 700)) == ([], [])
    assert streaks.find(Image.new("L", (2, 2), 255)) == ([], [])


def test_a_page_of_hatching_is_all_rules_and_its_text_is_kept() -> None:
    # Hostile for a per-line fill: 262 long lines 9 px apart (a hatched figure, a barcode
    # blown up). Each is a rule; the text above them is untouched.
    page = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(page)
    for x in range(100, 2450, 9):
        d.line((x, 200, x, 3100), fill=0, width=2)
    d.text((300, 60), PROSE, font=font(40), fill=0)
    found = streaks.find(page)
    assert found.streaks == [] and len(found.rules) == 262
    out = streaks.erase(page)
    assert out.crop((0, 0, 2550, 120)).tobytes() == page.crop((0, 0, 2550, 120)).tobytes()
    assert min(out.crop((100, 600, 2440, 2700)).tobytes()) > 200  # the hatching is gone


def test_a_grainy_pages_rule_is_found_on_its_clean_up_and_erased_from_both() -> None:
    # A framed listing on grain: the grey page hides the rule from find (every column touches
    # grain), its clean-up shows it. Both copies lose it, the grey one because the
    # re-reading crops it (``13|ny`` for ``13 ny``).
    from aigateway.ocr.engine import preprocess

    page = _page()
    ImageDraw.Draw(page).rectangle((40, 20, 42, page.height - 20), fill=0)
    # Paper grain as the bench's grainy pages have it (sigma 45 around 200), seeded.
    grey = on_grain(page, 7, 200, 45)
    assert streaks.find(grey) == ([], [])
    cleaned = preprocess.LADDER[0][1](grey)
    out, out_grey = streaks.erase_both(cleaned, grey)
    assert [(b[0], b[2]) for b in streaks.find(cleaned).rules] == [(40, 43)]
    assert min(out.crop((39, 100, 45, page.height - 100)).tobytes()) > 200
    # On the grey copy the rule's columns now hold the grain beside them, not ink.
    rule = out_grey.crop((40, 100, 43, page.height - 100))
    assert sum(rule.tobytes()) / (3 * (page.height - 200)) > 150
    # Away from the rule, both copies are as they were.
    right = (60, 0, page.width, page.height)
    assert out.crop(right).tobytes() == cleaned.crop(right).tobytes()
    assert out_grey.crop(right).tobytes() == grey.crop(right).tobytes()
    # A clean-up without lines gives both pages back as they are.
    plain = preprocess.LADDER[0][1](_page())
    assert streaks.erase_both(plain, grey) == (plain, grey)
