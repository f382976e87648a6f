"""Texts side by side whose rows only meet by chance are read stack by stack (``sides.py``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import layout, sides
from aigateway.ocr.engine.layout import Line, Paragraph, Word

from ..support.geometry import boxed


def _ln(text: str, x0: int, y0: int, x1: int, y1: int, block: int, para: int) -> Line:
    """A recognised line whose words share its box evenly."""
    words = text.split()
    step = (x1 - x0) / len(words)
    boxes = [(round(x0 + k * step), round(x0 + (k + 1) * step) - 12) for k in range(len(words))]
    return Line(
        [Word(w, 95.0, a, y0, b, y1) for w, (a, b) in zip(words, boxes, strict=True)], block, para
    )


def _texts(lines: list[Line]) -> list[str]:
    """The page's paragraphs' lines (and nothing else)."""
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    return [ln for i in items for ln in i.lines]  # type: ignore[union-attr]


# Tesseract's lines for an invoice's head (blurred 300 DPI JPEG): a letterhead left, the
# invoice's number and dates right, their labels and values in two blocks.
INVOICE = [
    boxed(
        [
            ("ACME", 151, 161, 318, 207),
            ("Supplies", 345, 160, 591, 218),
            ("Ltd.", 620, 160, 722, 207),
        ],
        1,
        1,
    ),
    boxed(
        [
            ("12", 153, 247, 187, 270),
            ("Harbour", 204, 246, 331, 270),
            ("Road,", 344, 246, 429, 274),
            ("Portsmouth", 445, 246, 624, 270),
            ("PO1", 639, 247, 698, 270),
            ("2AB", 713, 247, 773, 270),
        ],
        2,
        2,
    ),
    boxed(
        [
            ("Bill", 153, 506, 196, 530),
            ("to:", 210, 507, 248, 530),
            ("Northwind", 265, 506, 425, 530),
            ("Traders,", 437, 506, 562, 534),
            ("4", 576, 507, 594, 530),
            ("Mill", 609, 506, 657, 530),
            ("Lane,", 673, 507, 754, 534),
            ("Leeds", 771, 506, 860, 530),
            ("LS1", 875, 507, 928, 530),
            ("4AP", 941, 507, 1000, 530),
        ],
        3,
        3,
    ),
    boxed([("Invoice", 1503, 156, 1613, 180), ("number:", 1628, 156, 1756, 180)], 4, 4),
    boxed([("Invoice", 1503, 211, 1613, 235), ("date:", 1627, 211, 1704, 235)], 5, 5),
    boxed([("Due", 1503, 267, 1563, 290), ("date:", 1577, 266, 1654, 290)], 5, 5),
    boxed([("Customer", 1502, 322, 1655, 345), ("ID:", 1669, 322, 1707, 345)], 5, 5),
    boxed([("INV-2026-0412", 1853, 157, 2086, 180)], 6, 6),
    boxed(
        [
            ("14", 1853, 212, 1889, 235),
            ("November", 1904, 211, 2067, 235),
            ("2026", 2080, 212, 2157, 235),
        ],
        6,
        7,
    ),
    boxed(
        [
            ("14", 1853, 267, 1889, 290),
            ("December", 1904, 266, 2067, 290),
            ("2026", 2079, 267, 2156, 290),
        ],
        6,
        7,
    ),
    boxed([("C-88213", 1852, 322, 1983, 345)], 6, 7),
]


def test_a_letterhead_beside_an_invoices_dates_is_read_stack_by_stack() -> None:
    # Row by row across the page this read "ACME Supplies Ltd. Invoice number: INV-2026-0412",
    # then "Invoice date: 14 November 2026", "12 Harbour Road, ...", "Due date: ...".
    assert _texts(INVOICE) == [
        "ACME Supplies Ltd.",
        "12 Harbour Road, Portsmouth PO1 2AB",
        "Invoice number: INV-2026-0412",
        "Invoice date: 14 November 2026",
        "Due date: 14 December 2026",
        "Customer ID: C-88213",
        "Bill to: Northwind Traders, 4 Mill Lane, Leeds LS1 4AP",
    ]


def _joined(*parts: Line) -> Line:
    """One recognised line made of texts far apart (the recogniser's line across a gutter)."""
    return Line([w for p in parts for w in p.words], parts[0].block, parts[0].para)


def test_a_letterhead_going_on_under_the_dates_beside_it_is_read_whole() -> None:
    # A 1x web screenshot of an invoice (Tesseract's lines): the address goes on for two
    # lines under the dates. The run of rows the two texts share ended at "Due", and the
    # address's last lines were read after the dates: "Northwind ..., 42 Harbour Road,
    # Invoice ..., Date ..., Due ..., Bristol BS1 4DJ, VAT ..." (sides.extend).
    lines = [
        _joined(
            _ln("Northwind Supplies Ltd", 26, 28, 393, 56, 1, 1),
            _ln("Invoice INV-2026-0917", 774, 43, 961, 55, 1, 1),
        ),
        _ln("Date: 14 November 2026", 774, 62, 975, 74, 1, 1),
        _joined(
            _ln("42 Harbour Road", 25, 76, 158, 88, 1, 2),
            _ln("Due: 14 December 2026", 774, 81, 969, 93, 1, 2),
        ),
        _ln("Bristol BS1 4DJ", 25, 95, 142, 107, 1, 3),
        _ln("VAT GB 123 4567 89", 24, 114, 188, 126, 1, 4),
        _ln("Bill to: Acme Robotics GmbH, Lindenstrasse 8, 10969 Berlin", 25, 165, 501, 179, 2, 5),
    ]
    text = " ".join(_texts(lines))
    order = ["Northwind", "Harbour", "Bristol", "VAT GB", "Invoice", "Date:", "Due:", "Bill to:"]
    assert [text.index(t) for t in order] == sorted(text.index(t) for t in order), text


def test_rows_that_line_up_across_a_gutter_stay_rows() -> None:
    # The same stack of labels and values with no letterhead: every row lines up across the
    # gutter, so each label stays with its value (here as a two-column table).
    names = ["Invoice number:", "Invoice date:", "Due date:", "Customer ID:"]
    values = ["INV-2026-0412", "14 November 2026", "14 December 2026", "C-88213"]
    lines = [_ln(n, 153, 156 + 55 * k, 500, 180 + 55 * k, 1, 1) for k, n in enumerate(names)]
    lines += [_ln(v, 1853, 157 + 55 * k, 2150, 180 + 55 * k, 2, 2) for k, v in enumerate(values)]
    rows: list[str] = []
    for item in layout.build_page(lines):
        if isinstance(item, Paragraph):
            rows += item.lines
        else:
            rows += [" ".join(c for c in row if c) for row in item.rows]
    assert rows[-4:] == [f"{n} {v}" for n, v in zip(names, values, strict=True)]


# The same head with a letter's prose under it: Tesseract made one line of the letterhead and
# the invoice's number ("ACME Supplies Ltd. Invoice number: INV-2026-0412"), and of the
# address and the due date.
MERGED = [
    boxed(
        [
            ("ACME", 151, 161, 318, 207),
            ("Supplies", 345, 152, 591, 222),
            ("Ltd.", 620, 160, 722, 207),
            ("Invoice", 1503, 156, 1613, 180),
            ("number:", 1628, 156, 1756, 180),
            ("INV-2026-0412", 1853, 157, 2086, 180),
        ],
        1,
        1,
    ),
    boxed(
        [
            ("Invoice", 1503, 211, 1613, 235),
            ("date:", 1627, 211, 1704, 235),
            ("14", 1853, 212, 1889, 235),
            ("November", 1904, 211, 2067, 235),
            ("2026", 2080, 212, 2157, 235),
        ],
        2,
        2,
    ),
    boxed(
        [
            ("12", 153, 247, 187, 270),
            ("Harbour", 204, 246, 331, 270),
            ("Road,", 344, 246, 429, 274),
            ("Portsmouth", 445, 246, 624, 270),
            ("PO1", 639, 247, 698, 270),
            ("2AB", 713, 247, 773, 270),
            ("Due", 1503, 267, 1563, 290),
            ("date:", 1577, 266, 1654, 290),
            ("14", 1853, 267, 1889, 290),
            ("December", 1904, 266, 2067, 290),
            ("2026", 2079, 267, 2156, 290),
        ],
        2,
        2,
    ),
    boxed(
        [
            ("Customer", 1502, 322, 1655, 345),
            ("ID:", 1669, 322, 1707, 345),
            ("C-88213", 1852, 322, 1983, 345),
        ],
        2,
        2,
    ),
    boxed(
        [
            ("Bill", 153, 506, 196, 530),
            ("to:", 210, 507, 248, 530),
            ("Northwind", 265, 506, 425, 530),
            ("Traders,", 437, 506, 562, 534),
            ("4", 576, 507, 594, 530),
            ("Mill", 609, 506, 657, 530),
            ("Lane,", 673, 507, 754, 534),
            ("Leeds", 771, 506, 860, 530),
            ("LS1", 875, 507, 928, 530),
            ("4AP", 941, 507, 1000, 530),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("Line", 153, 706, 215, 730),
            ("O", 229, 707, 245, 730),
            ("of", 259, 706, 289, 730),
            ("the", 299, 706, 349, 730),
            ("letter", 364, 706, 447, 730),
            ("thanks", 459, 706, 564, 730),
            ("the", 577, 706, 627, 730),
            ("customer", 641, 707, 789, 730),
            ("for", 800, 706, 843, 730),
            ("the", 855, 706, 904, 730),
            ("order", 918, 706, 1001, 730),
            ("placed", 1015, 706, 1116, 737),
            ("last", 1131, 706, 1186, 730),
            ("month.", 1199, 706, 1307, 730),
        ],
        4,
        4,
    ),
    boxed(
        [
            ("Line", 153, 766, 215, 790),
            ("1", 230, 767, 245, 790),
            ("of", 259, 766, 289, 790),
            ("the", 299, 766, 349, 790),
            ("letter", 364, 766, 447, 790),
            ("thanks", 459, 766, 564, 790),
            ("the", 577, 766, 627, 790),
            ("customer", 641, 767, 789, 790),
            ("for", 800, 766, 843, 790),
            ("the", 855, 766, 904, 790),
            ("order", 918, 766, 1001, 790),
            ("placed", 1015, 766, 1116, 797),
            ("last", 1131, 766, 1186, 790),
            ("month.", 1199, 766, 1307, 790),
        ],
        4,
        4,
    ),
]


def test_lines_the_recogniser_made_across_the_gutter_are_cut_first() -> None:
    assert _texts(MERGED)[:7] == [
        "ACME Supplies Ltd.",
        "12 Harbour Road, Portsmouth PO1 2AB",
        "Invoice number: INV-2026-0412",
        "Invoice date: 14 November 2026",
        "Due date: 14 December 2026",
        "Customer ID: C-88213",
        "Bill to: Northwind Traders, 4 Mill Lane, Leeds LS1 4AP",
    ]


# A LaTeX page's linear program (300 DPI, Tesseract's lines after the engine's passes): lines
# of text at the margin between display formulas with their numbers at the right margin.
PROGRAM = [
    boxed([("minimize", 466, 315, 641, 346), ("(or", 663, 312, 715, 357)], 1, 1),
    boxed([("z = (0 | c)Tx + c0", 1101, 360, 1449, 414), ("(3.4)", 2161, 368, 2245, 414)], 2, 2),
    _ln("subject to linear constraints", 466, 454, 1020, 495, 2, 2),
    boxed([("(I | - A)x = 0", 1140, 508, 1412, 554), ("(3.5)", 2161, 508, 2245, 554)], 2, 2),
    _ln("and bounds of variables", 468, 594, 935, 626, 2, 2),
    boxed([("l ≤ x ≤ u", 1183, 651, 1367, 689), ("(3.6)", 2161, 648, 2245, 694)], 2, 2),
    _ln("where:", 301, 734, 424, 766, 3, 3),
    _ln("x = (xR | xS) is the (m + n)-vector of (all) variables;", 368, 809, 1418, 854, 3, 3),
]


def test_text_between_display_formulas_is_read_in_its_place() -> None:
    # The margin's lines and the formulas never share a row: read stack by stack, they came
    # out "minimize, subject to ..., and bounds ..." before the three formulas; and the
    # formulas' rows, cut into formula and number, are no table with the text as a column.
    items = layout.build_page(PROGRAM)
    assert all(isinstance(i, Paragraph) for i in items)
    text = " ".join(ln for i in items for ln in i.lines)  # type: ignore[union-attr]
    order = ["minimize", "z =", "(3.4)", "subject", "(I |", "(3.5)", "and bounds", "l ≤", "where"]
    assert [text.index(t) for t in order] == sorted(text.index(t) for t in order), text


def test_stacks_that_share_no_height_are_no_sides() -> None:
    # The rule alone: two texts side by side always overlap somewhere (a line's blank is less
    # than a line's height), so lines that interleave without touching are one text.
    from aigateway.ocr.engine import sides

    assert sides._sides(PROGRAM[1:6], 40.0) is None
    beside = [_ln("left one", 100, 100, 400, 140, 1, 1), _ln("left two", 100, 170, 400, 210, 1, 1)]
    beside += [
        _ln("right one", 900, 120, 1300, 160, 2, 2),
        _ln("right two", 900, 220, 1300, 260, 2, 2),
    ]
    assert sides._sides(beside, 40.0) is not None


_spans = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 60)).map(lambda t: (t[0], t[0] + t[1], t[1])),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(_spans, _spans)
def test_lines_level_and_overlapping_are_counted_as_pairwise(
    left: list[sides.Span], right: list[sides.Span]
) -> None:
    # The sorted searches stand in for comparing every line with every other: same answers.
    pairwise = sum(1 for a in left if any(sides._level(a, b) for b in right))
    assert sides._level_count(left, right) == pairwise
    assert sides._overlap(left, right) == any(
        a[0] < b[1] and b[0] < a[1] for a in left for b in right
    )


# Tesseract's lines for a scanned newsletter (300 DPI, askew by a fraction of a degree): an
# article's paragraph in 11 pt, lines 62 px apart, and beside it a sidebar's paragraph in
# 9.5 pt, four or five words a line, 53 px apart. The two met on four rows.
NEWSLETTER = [
    _ln(
        "provision of this License, you have permission to link or combine any covered",
        221,
        946,
        1658,
        994,
        3,
        3,
    ),
    _ln(
        "work with a work licensed under version 3 of the GNU Affero General Public",
        220,
        1008,
        1643,
        1049,
        3,
        3,
    ),
    _ln(
        "License into a single combined work, and to convey the resulting work. The terms",
        221,
        1071,
        1725,
        1119,
        3,
        3,
    ),
    _ln(
        "of this License will continue to apply to the part which is the covered work, but",
        221,
        1129,
        1674,
        1177,
        3,
        3,
    ),
    _ln(
        "the special requirements of the GNU Affero General Public License, section 13,",
        220,
        1192,
        1679,
        1238,
        3,
        3,
    ),
    _ln(
        "concerning interaction through a network will apply to the combination as",
        220,
        1257,
        1576,
        1303,
        3,
        3,
    ),
    _ln("Kernel Window System And", 218, 1375, 866, 1426, 4, 4),
    _ln("a covered work, the", 1828, 926, 2137, 959, 8, 8),
    _ln("60 days after the cessation.", 1827, 1019, 2250, 1056, 9, 9),
    _ln("Moreover, your license from a", 1827, 1073, 2305, 1109, 9, 9),
    _ln("particular copyright holder is", 1826, 1125, 2284, 1163, 9, 9),
    _ln("reinstated permanently if the", 1826, 1179, 2277, 1216, 9, 9),
    _ln("copyright holder notifies you of", 1826, 1231, 2328, 1270, 9, 9),
    _ln("the violation by some", 1825, 1288, 2165, 1326, 9, 9),
    _ln("reasonable means, this", 1825, 1341, 2179, 1375, 9, 9),
]


def test_a_narrow_sidebar_beside_an_articles_paragraph_is_no_table() -> None:
    # Four rows of both: too few for the sidebar's short lines to tell wrapped prose from
    # cells, so the run was read as a two-column table. The sidebar's paragraph, taken whole
    # (seven wrapped lines), is running text, and the recogniser's order stands.
    items = layout.build_page(NEWSLETTER)
    assert all(isinstance(i, Paragraph) for i in items), items
    texts = [" ".join(i.lines) for i in items]  # type: ignore[union-attr]
    article = next(t for t in texts if t.startswith("provision"))
    assert "Public License into" in article and article.endswith("combination as"), texts
    sidebar = next(t for t in texts if t.startswith("60 days"))
    assert sidebar.endswith("reasonable means, this"), texts
    assert "copyright holder is reinstated" in sidebar, texts


# Tesseract's lines for an invoice's head (a 200 DPI JPEG printed from HTML): the letterhead
# left, the invoice's number and dates right, each line a block of its own on the right, and
# the letterhead's last line run into the dates' last one across the page.
LETTERHEAD = [
    boxed([("Northwind", 140, 148, 384, 188), ("Supplies", 401, 148, 591, 196)], 1),
    boxed(
        [("12", 140, 220, 168, 240), ("Harbour", 177, 219, 278, 240), ("Road", 287, 219, 346, 240)],
        2,
    ),
    boxed(
        [("Bristol", 140, 260, 214, 281), ("BS1", 225, 261, 268, 281), ("4QA", 277, 261, 330, 285)],
        2,
    ),
    boxed([("INVOICE", 1414, 147, 1564, 177)], 3),
    boxed([("Invoice", 1310, 204, 1395, 225), ("INV-8297", 1452, 204, 1564, 225)], 4),
    boxed([("Date:", 1351, 247, 1413, 267), ("2026-05-13", 1423, 246, 1564, 267)], 5),
    boxed(
        [
            ("VAT", 138, 303, 184, 323),
            ("GB", 191, 303, 225, 323),
            ("123", 236, 303, 278, 323),
            ("Due:", 1408, 286, 1462, 306),
            ("30", 1472, 286, 1502, 306),
            ("days", 1510, 285, 1564, 311),
        ],
        13,
    ),
    boxed([("Bill", 140, 403, 170, 426), ("to", 180, 403, 210, 426)], 13, 14),
]


def test_a_line_run_across_a_letterheads_gutter_is_cut_back_into_its_stacks() -> None:
    # "VAT GB 123" ended the letterhead and "Due: 30 days" the dates, level with it: read as
    # one line, both came after the dates, the VAT number beside the due date.
    texts = _texts(LETTERHEAD)
    assert texts.index("VAT GB 123") == texts.index("Bristol BS1 4QA") + 1, texts
    assert texts.index("VAT GB 123") < texts.index("INVOICE"), texts
    assert texts[-1] == "Bill to" and any(t.endswith("Due: 30 days") for t in texts), texts


def test_a_tables_rows_read_whole_under_a_header_of_blocks_stay_whole() -> None:
    # Header cells in blocks of their own, then rows Tesseract read as whole lines: the first
    # row is no letterhead's last line (another row spans it right under), so it stays whole.
    rows = [
        boxed([("Name", 140, 100, 240, 130)], 1),
        boxed([("Value", 1400, 100, 1500, 130)], 2),
        *(
            boxed([(f"key{r}", 140, y, 240, y + 30), (f"{r}0", 1400, y, 1450, y + 30)], 3)
            for r, y in enumerate(range(150, 400, 50))
        ),
    ]
    assert sides.split_joined(rows, 30.0) == rows
