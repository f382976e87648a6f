"""Where a table goes in the reading order (``anchors.place`` through ``layout.build_page``).

Lines are built by hand as the recogniser gives them (its reading order, block and paragraph
numbers); the table's rows are three cells set on a grid far apart.
"""

from __future__ import annotations

from aigateway.ocr.engine import anchors, layout
from aigateway.ocr.engine.layout import Line, Paragraph, Table, Word

from ..support.geometry import boxed
from ..support.geometry import line as _line

ROWS = [
    ["IDL", "Caml", "Size"],
    ["byte", "int", "8"],
    ["short", "int", "16"],
    ["hyper", "int64", "64"],
    ["char", "char", "8"],
]


def _table(x: int, y: int, block: int) -> list[Line]:
    out = []
    for r, row in enumerate(ROWS):
        words = [
            Word(t, 95.0, x + 300 * c, y + 50 * r, x + 300 * c + 18 * len(t), y + 50 * r + 30)
            for c, t in enumerate(row)
        ]
        out.append(Line(words, block, 100 + r))
    return out


def _texts(items: list[Paragraph | Table]) -> list[str]:
    return [" / ".join(i.lines) if isinstance(i, Paragraph) else "TABLE" for i in items]


def test_a_heading_flush_left_above_an_indented_table_comes_before_it() -> None:
    # "3.1 Base types" ends left of where the table starts: it shares none of its width, so
    # the paragraph above it is the table's anchor; the heading must still come first.
    lines = [
        _line(["This", "section", "describes", "how", "types", "are", "mapped"], 100, 100, 1, 1),
        _line(["to", "Caml", "types."], 100, 150, 1, 1),
        _line(["3.1", "Base", "types"], 100, 260, 2, 2),
        *_table(420, 340, 3),
        _line(["After", "the", "table", "the", "text", "goes", "on"], 100, 640, 4, 4),
    ]
    items = layout.build_page(lines)
    assert _texts(items) == [
        "This section describes how types are mapped / to Caml types.",
        "3.1 Base types",
        "TABLE",
        "After the table the text goes on",
    ]
    assert [list(r) for r in items[2].rows] == ROWS  # type: ignore[union-attr]


def test_place_takes_in_only_lines_above_the_region_read_right_after_the_anchor() -> None:
    lines = [
        _line(["wide", "paragraph", "line"], 100, 100, 1, 1),
        _line(["heading"], 100, 200, 2, 2),
        *_table(420, 300, 3),
        _line(["below"], 100, 600, 4, 4),
    ]
    rows = layout._rows(lines)  # the layout pass's own rows, for the region's geometry
    owned = [r for r in rows if any(i in (2, 3, 4, 5, 6) for i in r.lines)]
    region = layout.Region(owned, [])
    owner = {i: 0 for i in range(2, 7)}
    assert anchors.place(lines, [region], owner) == {("line", 1): [0]}
    # The heading moved below the table's top: the paragraph is the anchor again.
    lines[1] = _line(["heading"], 100, 310, 2, 2)
    assert anchors.place(lines, [region], owner) == {("line", 0): [0]}


def test_a_table_under_a_header_band_of_no_shared_width_comes_after_it() -> None:
    # A page number out at the right above a table starting further left: no line above
    # shares the table's width, but the number heads the page.
    lines = [
        _line(["5"], 1400, 20, 9, 9),
        *_table(100, 120, 3),
        _line(["After", "the", "table"], 100, 420, 4, 4),
    ]
    assert _texts(layout.build_page(lines)) == ["5", "TABLE", "After the table"]


def test_a_first_line_close_above_a_table_is_not_a_header_band() -> None:
    # A line one line spacing above the table and clear of its width (the end of a column
    # beside it, say) is not set apart as a page's header: the table still starts the page.
    lines = [
        _line(["beside"], 1400, 80, 9, 9),
        *_table(100, 120, 3),
        _line(["After", "the", "table"], 100, 420, 4, 4),
    ]
    assert _texts(layout.build_page(lines))[0] == "TABLE"


def test_a_right_hand_stacks_second_line_comes_before_the_table_under_it() -> None:
    # A bank statement's head as Tesseract read a 300 DPI scan of it: the bank's name, the
    # account number under it, then the right-hand stack ("Statement period" over its
    # dates), then the table. The name and "Statement period" share a row (a region of their
    # own) and the table's anchor is the account number, the lowest line above it; the
    # stack's second line, read after that anchor, came after the whole table.
    lines = [
        boxed(
            [
                ("First", 280, 277, 445, 329),
                ("Harbour", 476, 277, 778, 329),
                ("Bank", 807, 277, 989, 329),
            ],
            1,
            1,
        ),
        boxed(
            [
                ("Account", 274, 444, 458, 478),
                ("12-34-56", 478, 443, 679, 479),
                ("87654321", 699, 443, 925, 479),
            ],
            2,
            2,
        ),
        boxed([("Statement", 1888, 275, 2125, 310), ("period", 2145, 274, 2283, 319)], 3, 3),
        boxed(
            [
                ("1", 1873, 338, 1894, 373),
                ("-", 1914, 358, 1926, 362),
                ("31", 1946, 338, 1997, 373),
                ("March", 2020, 337, 2152, 373),
                ("2026", 2173, 338, 2284, 373),
            ],
            3,
            3,
        ),
        boxed(
            [
                ("Date", 291, 563, 417, 600),
                ("Description", 645, 557, 960, 614),
                ("Paid", 1524, 562, 1638, 601),
                ("out", 1661, 565, 1752, 601),
                ("Paidin", 1808, 562, 1992, 601),
                ("Balance", 2056, 562, 2272, 601),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-01", 290, 653, 572, 691),
                ("The", 640, 652, 731, 691),
                ("Program", 754, 654, 956, 701),
                ("Including", 980, 652, 1200, 701),
                ("92.94", 1856, 653, 1994, 692),
                ("5,092.94", 2055, 654, 2271, 697),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-02", 290, 740, 572, 778),
                ("Of", 643, 739, 698, 779),
                ("This", 713, 739, 813, 779),
                ("License", 835, 740, 1017, 779),
                ("110.33", 1826, 741, 1992, 779),
                ("5,203.27", 2055, 741, 2270, 784),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-03", 290, 828, 573, 866),
                ("Published", 645, 827, 876, 866),
                ("By", 901, 829, 958, 876),
                ("The", 976, 827, 1066, 866),
                ("165.63", 1826, 828, 1992, 867),
                ("5,368.90", 2055, 829, 2271, 872),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-04", 290, 915, 574, 953),
                ("Possession", 645, 915, 906, 954),
                ("Of", 928, 915, 984, 954),
                ("A", 999, 916, 1032, 953),
                ("251.10", 1581, 916, 1749, 954),
                ("5,117.80", 2055, 916, 2270, 959),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-05", 290, 1003, 572, 1041),
                ("Not", 645, 1004, 726, 1041),
                ("Include", 748, 1002, 923, 1041),
                ("Within", 943, 1002, 1096, 1041),
                ("170.96", 1826, 1003, 1993, 1042),
                ("5,288.76", 2055, 1004, 2270, 1047),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-06", 290, 1090, 573, 1129),
                ("Official", 643, 1089, 810, 1129),
                ("Standard", 832, 1090, 1053, 1129),
                ("Defined", 1077, 1090, 1263, 1129),
                ("255.98", 1581, 1091, 1749, 1129),
                ("5,032.78", 2055, 1091, 2270, 1135),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-07", 290, 1178, 572, 1216),
                ("Protocols", 645, 1178, 865, 1216),
                ("For", 888, 1179, 962, 1216),
                ("Communication", 980, 1177, 1367, 1216),
                ("85.35", 1856, 1179, 1991, 1217),
                ("5,118.13", 2055, 1179, 2270, 1222),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-08", 290, 1265, 573, 1304),
                ("List", 645, 1264, 726, 1303),
                ("Of", 746, 1265, 801, 1304),
                ("User", 820, 1266, 930, 1304),
                ("314.15", 1581, 1266, 1748, 1304),
                ("4,803.98", 2053, 1266, 2270, 1310),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-09", 290, 1353, 573, 1391),
                ("Be", 645, 1354, 702, 1391),
                ("Attributed", 722, 1352, 969, 1391),
                ("Erroneously", 994, 1353, 1283, 1401),
                ("206.07", 1824, 1353, 1992, 1392),
                ("5,010.05", 2055, 1354, 2269, 1397),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-10", 290, 1440, 573, 1478),
                ("The", 639, 1439, 730, 1479),
                ("Recipient", 753, 1440, 980, 1488),
                ("Automatically", 997, 1440, 1339, 1489),
                ("280.45", 1824, 1441, 1991, 1479),
                ("5,290.50", 2054, 1441, 2270, 1484),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-11", 290, 1528, 572, 1566),
                ("Measures", 644, 1529, 876, 1566),
                ("To", 894, 1529, 944, 1566),
                ("The", 962, 1527, 1053, 1566),
                ("93.74", 1856, 1528, 1993, 1567),
                ("5,384.24", 2054, 1529, 2271, 1572),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-12", 289, 1615, 571, 1653),
                ("Conditions", 642, 1615, 902, 1654),
                ("Either", 925, 1615, 1068, 1654),
                ("Of", 1086, 1615, 1142, 1654),
                ("480.34", 1580, 1616, 1750, 1654),
                ("4,903.90", 2053, 1616, 2270, 1660),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-13", 289, 1703, 572, 1741),
                ("But In Those", 644, 1702, 950, 1741),
                ("417.21", 1580, 1703, 1748, 1741),
                ("4,486.69", 2053, 1704, 2270, 1747),
            ],
            5,
            5,
        ),
        boxed(
            [
                ("2026-03-14", 289, 1790, 574, 1828),
                ("But", 644, 1791, 724, 1828),
                ("It", 746, 1791, 774, 1828),
                ("Does", 796, 1791, 915, 1829),
                ("453.27", 1580, 1791, 1748, 1829),
                ("4,033.42", 2053, 1791, 2269, 1834),
            ],
            5,
            5,
        ),
    ]
    texts = _texts(layout.build_page(lines))
    stack = next(k for k, t in enumerate(texts) if "1 - 31 March 2026" in t)
    assert stack < texts.index("TABLE"), texts
