"""Rows the recogniser cut into blocks side by side are read row by row (``rowsplit.py``)."""

from __future__ import annotations

from aigateway.ocr.engine import compose, layout
from aigateway.ocr.engine.layout import Line, Paragraph

from ..support.geometry import boxed


def _text(lines: list[Line]) -> str:
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    return " ".join(ln for i in items for ln in i.lines)  # type: ignore[union-attr]


def _listing(gap: int, first: str = "2") -> list[Line]:
    """A scanned numbered listing (300 DPI, the engine's lines) whose rows 2 and 3 the
    recogniser cut in two blocks where a ``:=`` was lost, ``gap`` px apart (42 px lines)."""
    right = 1298 + gap
    ends = [(right, right + 155), (right + 189, right + 211), (right + 245, right + 282)]
    return [
        boxed([("1", 653, 1556, 663, 1573), ("twopi", 689, 1545, 803, 1583)], 6),
        boxed(
            [
                (first, 651, 1613, 664, 1630),
                ("border(1,0,twopi,60)", 689, 1598, 1156, 1640),
                ("{", 1191, 1598, 1209, 1634),
                ("x :", 1237, 1610, 1298, 1630),
            ],
            6,
        ),
        boxed(
            [
                ("3", 651, 1669, 664, 1687),
                ("border(2,0,twopi,20)", 689, 1654, 1156, 1696),
                ("{", 1191, 1654, 1209, 1690),
                ("x :", 1237, 1666, 1298, 1686),
            ],
            6,
        ),
        boxed([("4", 651, 1726, 676, 1743), ("buildmesh(400);", 688, 1707, 1037, 1753)], 6),
        boxed(
            [
                (t, x0, 1598, x1, 1636)
                for t, (x0, x1) in zip(("cos(t);", "y", ":="), ends, strict=True)
            ],
            7,
        ),
        boxed(
            [
                (t, x0, 1654, x1, 1693)
                for t, (x0, x1) in zip(("0.25*cos", "y", ":="), ends, strict=True)
            ],
            7,
        ),
    ]


def test_a_numbered_listing_cut_in_two_blocks_is_read_line_by_line() -> None:
    # In the recogniser's order: "2 border(...) { x : 3 border(...) { x : 4 buildmesh(400);
    # cos(t); y := sin(t) 0.25*cos(-t); ...": two rows are too few for a list (MIN_ROWS) and
    # their lines too long, but the line numbers say which row is which line.
    text = _text(_listing(60))
    order = ["1 twopi", "2 border", "cos(t)", "3 border", "0.25*cos", "4 buildmesh"]
    assert [text.index(t) for t in order] == sorted(text.index(t) for t in order), text
    # And each numbered line stays a line of its own in the Markdown.
    markdown = compose.compose(layout.build_page(_listing(60)), [], None)[0]
    starts = [ln.split()[0] for ln in markdown.splitlines() if ln.strip()]
    assert starts[:4] == ["1", "2", "3", "4"], markdown


def test_rows_whose_numbers_do_not_count_up_or_stand_a_gutter_off_keep_their_order() -> None:
    # "7" then "3": figures, not line numbers; a gutter of 4 text heights: a numbered list
    # beside a text of its own. Both keep the recogniser's order, block after block.
    for lines in (_listing(60, first="7"), _listing(170)):
        text = _text(lines)
        assert text.index("4 buildmesh") < text.index("cos(t)"), text


# A till receipt in DejaVu Sans Mono, 22 px at 203 DPI (JPEG), word for word as the engine's
# recogniser read it: the header, names and footer in three blocks, the prices in a fourth.
RECEIPT = [
    boxed(
        [("GREEN", 163, 35, 227, 51), ("GROCER", 243, 35, 321, 51), ("MARKET", 334, 35, 414, 51)],
        1,
        1,
    ),
    boxed(
        [("12", 177, 69, 201, 85), ("Harbour", 216, 68, 307, 85), ("Street", 323, 69, 398, 85)],
        1,
        1,
    ),
    boxed(
        [
            ("Tel", 175, 102, 213, 119),
            ("0161", 229, 103, 280, 119),
            ("555", 296, 103, 332, 119),
            ("0192", 349, 103, 399, 119),
        ],
        1,
        1,
    ),
    boxed(
        [("Organic", 21, 170, 111, 192), ("milk", 127, 170, 179, 187), ("1L", 195, 171, 218, 187)],
        2,
        2,
    ),
    boxed([("Sourdough", 21, 204, 138, 226), ("loaf", 154, 204, 204, 221)], 2, 2),
    boxed(
        [
            ("Free", 22, 239, 72, 255),
            ("range", 90, 243, 151, 260),
            ("eggs", 167, 243, 217, 260),
            ("x12", 233, 239, 271, 255),
        ],
        2,
        3,
    ),
    boxed(
        [("Bananas", 21, 273, 111, 289), ("1.2", 129, 273, 165, 289), ("kg", 181, 272, 204, 294)],
        2,
        3,
    ),
    boxed([("Cheddar", 21, 306, 113, 323), ("400g", 127, 307, 177, 328)], 2, 3),
    boxed(
        [("Olive", 21, 340, 85, 357), ("oil", 101, 340, 137, 357), ("750ml", 154, 340, 217, 357)],
        2,
        4,
    ),
    boxed([("Coffee", 21, 374, 98, 391), ("beans", 115, 374, 177, 391)], 2, 4),
    boxed([("Paper", 22, 409, 85, 430), ("towels", 101, 408, 177, 425)], 2, 5),
    boxed([("TOTAL", 20, 463, 85, 479)], 3, 6),
    boxed([("VISA", 21, 497, 73, 513), ("****4821", 88, 497, 191, 513)], 3, 6),
    boxed(
        [
            ("Thank", 20, 530, 86, 547),
            ("you", 101, 535, 138, 552),
            ("for", 155, 530, 192, 547),
            ("shopping", 208, 530, 309, 552),
            ("with", 325, 530, 377, 547),
            ("us", 393, 535, 415, 547),
        ],
        3,
        6,
    ),
    boxed([("1.89", 505, 171, 555, 187)], 4, 7),
    boxed([("3.45", 504, 205, 554, 221)], 4, 8),
    boxed([("4.20", 504, 239, 555, 255)], 4, 9),
    boxed([("1.56", 505, 273, 555, 289)], 4, 10),
    boxed([("5.10", 505, 307, 555, 323)], 4, 11),
    boxed([("8.99", 504, 341, 555, 357)], 4, 12),
    boxed([("11.50", 492, 375, 555, 391)], 4, 13),
    boxed([("2.75", 505, 408, 554, 425)], 4, 14),
    boxed([("39.44", 492, 463, 555, 479)], 4, 15),
]


def test_a_monospaced_receipt_keeps_each_item_on_a_line_of_its_own() -> None:
    # Its word spaces (16 px) are as wide as its text is tall, so every word is a cell and
    # the rows are no grid; they read row by row, and joined as wrapped text they came back
    # "Cheddar 400g 5.10 Olive oil 750ml 8.99 Coffee beans 11.50 Paper towels 2.75", the
    # header "GREEN GROCER MARKET 12 Harbour Street Tel 0161 555 0192".
    markdown = compose.compose(layout.build_page(RECEIPT), [], None)[0]
    header = ["GREEN GROCER MARKET", "12 Harbour Street", "Tel 0161 555 0192"]
    items = [
        "Organic milk 1L 1.89",
        "Sourdough loaf 3.45",
        "Free range eggs x12 4.20",
        "Bananas 1.2 kg 1.56",
        "Cheddar 400g 5.10",
        "Olive oil 750ml 8.99",
        "Coffee beans 11.50",
        "Paper towels 2.75",
    ]
    footer = ["TOTAL 39.44", "VISA ****4821", "Thank you for shopping with us"]
    # And a paragraph a block of the receipt, at its blank lines: set at one and a half
    # lines' pitch, its items had been cut into paragraphs wherever a descender made a gap
    # a pixel or two wider than a text line.
    assert markdown.split("\n\n") == ["\n".join(header), "\n".join(items), "\n".join(footer)]
