"""Ruled grids (``lattice.py``, ``gridcells.py``): a table drawn with every cell boxed is found
from its rules, its words are laid out cell by cell, and a word Tesseract ran across a rule is
read again cell by cell.

Pages are drawn at 300 DPI (text 38 px); the words' boxes are given by hand where the test is
about geometry, and read by Tesseract where it is about the re-reading.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aigateway.ocr.engine import gridcells, lattice, layout
from aigateway.ocr.engine.geometry import Line, Table, Word

from ..support.docgen import font
from ..support.geometry import boxed, line

XS = [300, 800, 930, 1060]
"""The grid's vertical rules: the number columns as narrow as a spreadsheet's."""
TOP, STEP, ROWS, PAD = 600, 80, 4, 8

CELLS = [
    ["Region", "Q1", "Q2"],
    ["North", "8,074", "3,273"],
    ["South", "6,020", "4,112"],
    ["East", "9,752", "2,059"],
]


def _grid_page(rules: bool = True, header_span: bool = False) -> Image.Image:
    """A page with a caption, the grid of :data:`CELLS` (padding :data:`PAD`, rules 3 px,
    numbers set right) and a sentence under it. ``header_span``: the header row is one cell
    across the table."""
    img = Image.new("L", (2480, 1600), 255)
    d = ImageDraw.Draw(img)
    sans = font(38)
    d.text((300, 450), "Sales by region, in thousands.", font=sans, fill=0)
    for r, row in enumerate(CELLS):
        for c, text in enumerate(row):
            if header_span and r == 0 and c:
                continue
            d.text((_left(c, text), TOP + r * STEP + 18), text, font=sans, fill=0)
    bottom = TOP + STEP * ROWS
    if rules:
        for r in range(ROWS + 1):
            d.line((XS[0], TOP + r * STEP, XS[-1], TOP + r * STEP), fill=0, width=3)
        for k, x in enumerate(XS):
            inner = 0 < k < len(XS) - 1
            d.line((x, TOP + STEP if header_span and inner else TOP, x, bottom), fill=0, width=3)
    d.text((300, bottom + 80), "Figures are rounded to the nearest thousand.", font=sans, fill=0)
    return img


def _left(c: int, text: str) -> float:
    """Where the text of a cell in column ``c`` starts: the first column's set left."""
    return XS[c] + PAD if c == 0 else XS[c + 1] - PAD - font(38).getlength(text)


def _words_lines() -> list[Line]:
    """The page's words as a recogniser boxes them: a line per row, the caption and the
    sentence, text 30 px tall."""
    lines = [line(["Sales", "by", "region,", "in", "thousands."], 300, 455, 1, 1)]
    for r, row in enumerate(CELLS):
        y = TOP + r * STEP + 24
        words = []
        for c, text in enumerate(row):
            x0 = round(_left(c, text))
            words.append((text, x0, y, x0 + round(font(38).getlength(text)), y + 30))
        lines.append(boxed(words, 2 + r))
    lines.append(line(["Figures", "are", "rounded."], 300, TOP + STEP * ROWS + 85, 9, 9))
    return lines


def test_a_boxed_grid_is_found_rule_for_rule() -> None:
    grids = lattice.find(_grid_page(), _words_lines())
    assert len(grids) == 1
    g = grids[0]
    assert len(g.xs) == len(XS) and len(g.ys) == ROWS + 1
    assert all(abs(a - b) <= 6 for a, b in zip(g.xs, XS, strict=True)), g
    assert all(abs(a - (TOP + r * STEP)) <= 6 for r, a in enumerate(g.ys)), g
    assert 1 <= g.thickness <= 10


def test_no_grid_without_rules_or_with_a_frame_alone() -> None:
    assert lattice.find(_grid_page(rules=False), _words_lines()) == []
    framed = _grid_page(rules=False)
    ImageDraw.Draw(framed).rectangle((280, 420, 1420, 1100), outline=0, width=3)
    assert lattice.find(framed, _words_lines()) == []
    # Two columns of text with a rule between them and rules above and below: no cells.
    columns = Image.new("L", (2480, 1600), 255)
    d = ImageDraw.Draw(columns)
    for k in range(10):
        d.text((300, 400 + 50 * k), "Running text in the left column.", font=font(38), fill=0)
        d.text((1300, 400 + 50 * k), "Running text in the right one.", font=font(38), fill=0)
    d.line((1250, 380, 1250, 920), fill=0, width=3)
    d.line((300, 370, 2200, 370), fill=0, width=3)
    d.line((300, 930, 2200, 930), fill=0, width=3)
    assert lattice.find(columns, _words_lines()) == []


def test_a_grids_words_come_back_as_its_table_in_place() -> None:
    page = _grid_page()
    lines = _words_lines()
    grids = lattice.find(page, lines)
    items = layout.build_page(lines, None, grids)
    assert [type(i).__name__ for i in items] == ["Paragraph", "Table", "Paragraph"]
    table = items[1]
    assert isinstance(table, Table)
    assert [list(r) for r in table.rows] == CELLS


def test_cells_closer_than_a_text_height_are_still_cells() -> None:
    # Without the grid the layout pass parts a row's cells at gaps wider than about a text
    # height: these numbers stand 21 px apart (padding either side of the rule), so each
    # row's two numbers came back as one cell, and the header as a line above the table.
    lines = _words_lines()

    def tables(items: list[layout.Item]) -> list[list[list[str]]]:
        return [[list(r) for r in i.rows] for i in items if isinstance(i, Table)]

    assert tables(layout.build_page(lines)) == [
        [["North", "8,074 3,273"], ["South", "6,020 4,112"], ["East", "9,752 2,059"]]
    ]
    grids = lattice.find(_grid_page(), lines)
    assert tables(layout.build_page(lines, None, grids)) == [CELLS]


def test_a_header_cell_across_the_columns_keeps_its_text_in_the_first() -> None:
    page = _grid_page(header_span=True)
    lines = _words_lines()
    lines[1] = boxed([("Region", 312, TOP + 24, 420, TOP + 54)], 2)
    grids = lattice.find(page, lines)
    assert len(grids) == 1
    g = grids[0]
    assert g.column(990, TOP + 40) == 0  # the header row: one cell
    assert g.column(990, TOP + STEP + 40) == 2
    table = next(i for i in layout.build_page(lines, None, grids) if isinstance(i, Table))
    assert list(table.rows[0]) == ["Region", "", ""]


def test_rules_read_as_glyphs_are_left_out_and_glued_ones_taken_off() -> None:
    g = lattice.find(_grid_page(), _words_lines())[0]
    bar = Word("|", 60.0, XS[1] - 4, TOP + STEP + 20, XS[1] + 4, TOP + STEP + 60)
    dash = Word("\u2014", 60.0, XS[0], TOP + 2 * STEP - 6, XS[-1], TOP + 2 * STEP + 4)
    glued = Word("8,074|", 80.0, XS[1] + 12, TOP + STEP + 24, XS[2] - 6, TOP + STEP + 54)
    assert lattice.on_rule(bar, g, 30) and lattice.on_rule(dash, g, 30)
    assert not lattice.on_rule(Word("-", 90.0, 600, TOP + STEP + 30, 620, TOP + STEP + 36), g, 30)
    assert lattice.unglued(glued, g, 30).text == "8,074"
    # Mid-cell, a bracket is the text's own.
    inside = Word("[1]", 90.0, 500, TOP + STEP + 24, 550, TOP + STEP + 54)
    assert lattice.unglued(inside, g, 30).text == "[1]"


def test_a_grid_of_paragraphs_is_left_to_the_layout_pass() -> None:
    g = lattice.find(_grid_page(), _words_lines())[0]
    lines = [line([f"w{k}"], XS[0] + 20, TOP + 5 + 9 * k, 1, 1, h=8) for k in range(8)]
    lines += [line(["x"], XS[2] + 20, TOP + STEP + 20, 2, 2, h=8)]
    rest, fixed = lattice.take(lines, [g], 8)
    assert fixed == [] and len(rest) == len(lines)


@functools.cache
def _grid() -> lattice.Grid:
    """The drawn page's grid, found once for the property test's examples."""
    return lattice.find(_grid_page(), _words_lines())[0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2400), st.integers(0, 1500), st.integers(4, 300), st.integers(10, 60)
        ),
        min_size=1,
        max_size=40,
    )
)
def test_taking_a_grid_loses_no_word(boxes: list[tuple[int, int, int, int]]) -> None:
    # Any words anywhere: each comes back, in the lines left or in the table's cells, unless
    # it is a rule read as a glyph (none of these texts are). Two words of different lines
    # touching in a cell are joined without a space (``join_words``), so the characters are
    # compared, and each word is found whole.
    lines = [
        Line([Word(f"w{k}x", 90.0, x, y, x + w, y + h)], k, k)
        for k, (x, y, w, h) in enumerate(boxes)
    ]
    rest, fixed = lattice.take(lines, [_grid()], 30)
    left = [w.text for ln in rest for w in ln.words]
    cells = [cell for _, table in fixed for row in table.rows for cell in row]
    words = [f"w{k}x" for k in range(len(boxes))]
    assert sorted("".join(left + cells).replace(" ", "")) == sorted("".join(words))
    assert all(w in left or any(w in c for c in cells) for w in words)


@pytest.mark.parametrize("scale", [1.0, 0.32])
def test_a_word_run_across_a_rule_is_read_again_cell_by_cell(scale: float) -> None:
    # Tesseract's reading of a row whose cells' padding is narrow: one word across the rule.
    # ``scale`` 0.32: the page as a 96 DPI screenshot.
    page = _grid_page()
    lines = _words_lines()
    row = lines[2]  # North 8,074 3,273
    a, b = row.words[1], row.words[2]
    joined = Word("8,0743,273", 70.0, a.x0, a.y0, b.x1, b.y1)
    lines[2] = Line([row.words[0], joined], row.block, row.para)
    if scale != 1.0:
        size = (round(page.width * scale), round(page.height * scale))
        page = page.resize(size, Image.Resampling.LANCZOS)
        lines = [ln.scaled(scale, scale) for ln in lines]
    grids = lattice.find(page, lines)
    assert len(grids) == 1
    again = gridcells.fit(page, lines, grids, round(300 * scale), ["eng"], 1 / scale, False)
    assert again == 2
    texts = [ln.text for ln in lines]
    assert "8,074" in texts and "3,273" in texts, texts
    assert not any("8,0743" in t for t in texts), texts


def test_graph_paper_is_no_grid_of_cells() -> None:
    # Rules every 20 px under text 30 px tall: no cell holds a line of text.
    page = Image.new("L", (2480, 1600), 255)
    d = ImageDraw.Draw(page)
    for k in range(60):
        d.line((300 + 20 * k, 400, 300 + 20 * k, 1200), fill=0, width=2)
    for k in range(41):
        d.line((300, 400 + 20 * k, 1480, 400 + 20 * k), fill=0, width=2)
    assert lattice.find(page, _words_lines()) == []
    assert len(lattice.find(_grid_page(), _words_lines())) == 1


def test_too_many_crossed_cells_keep_their_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    # A page of crossed rules is no table's few joined cells: no cell is read again (each
    # is a Tesseract call of 10-20 ms).
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(gridcells, "_read_cell", lambda *a: calls.append(a[3:5]) or 1)
    wide = lattice.Grid(
        tuple(range(0, 20 * 400, 20)), tuple((0, 10**6) for _ in range(400)), (0, 50), 2
    )
    lines = [Line([Word("y" * 500, 80.0, 1, 10, 7980, 40)], 1, 1)]
    assert gridcells.fit(_grid_page(), lines, [wide], 300, ["eng"]) == 0
    assert calls == []
    assert [w.text for ln in lines for w in ln.words] == ["y" * 500]
    # A few crossed cells are read again.
    few = lattice.Grid((0, 100, 200, 300), ((0, 50), (0, 50), (0, 50), (0, 50)), (0, 50), 2)
    lines = [Line([Word("z" * 20, 80.0, 10, 10, 290, 40)], 1, 1)]
    assert gridcells.fit(_grid_page(), lines, [few], 300, ["eng"]) == 3
    assert calls == [(0, 0), (0, 1), (0, 2)]
