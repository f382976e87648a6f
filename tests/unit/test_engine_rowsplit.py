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
