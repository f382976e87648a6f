"""Where a table goes in the reading order (``anchors.place`` through ``layout.build_page``).

Lines are built by hand as the recogniser gives them (its reading order, block and paragraph
numbers); the table's rows are three cells set on a grid far apart.
"""

from __future__ import annotations

from aigateway.ocr.engine import anchors, layout
from aigateway.ocr.engine.layout import Line, Paragraph, Table, Word

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
