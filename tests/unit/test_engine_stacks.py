"""One-column pages read top to bottom (``stacks.py``), whatever blocks the recogniser made."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import layout, stacks
from aigateway.ocr.engine.layout import Line, Paragraph, Word

from ..support.geometry import line as _line

H = 30
STEP = 45


def _texinfo_table() -> tuple[list[Line], list[str]]:
    """``@table`` as Tesseract reads it: every term a block of its own, met before the
    indented descriptions below them; the closing brace of one term cut into the description's
    block. Returns the lines in the recogniser's order and the page's lines top to bottom."""
    terms, descs, want = [], [], []
    y = 100
    for k in range(3):
        term = _line([f"\\term{k}{{..."], 100, y, 1 + k, 1 + k)
        terms.append(term)
        want.append(term.text)
        if k == 1:  # "}" cut off the term, into the description's block
            descs.append(_line(["}"], term.x1 + 14, y, 10 + k, 10 + k))
            want[-1] += " }"
        for i in range(2):
            y += STEP
            descs.append(_line([f"d{k}l{i}", "describes", "the", "term"], 200, y, 10 + k, 10 + k))
            want.append(descs[-1].text)
        y += STEP + 10
    return [*terms, *descs], want


def _text(lines: list[Line]) -> list[str]:
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    return [" ".join(i.lines) for i in items]  # type: ignore[union-attr]


def test_terms_met_before_their_descriptions_are_read_in_page_order() -> None:
    lines, want = _texinfo_table()
    assert " ".join(_text(lines)) == " ".join(want)


def test_each_block_stays_a_paragraph_of_its_own() -> None:
    # But the "}" cut off its term's line goes back on it: a short row of its own, read row
    # by row (rowsplit.py), not a paragraph between the term and its description.
    lines, _ = _texinfo_table()
    paragraphs = _text(lines)
    firsts = [p.split()[0] for p in paragraphs]
    assert firsts == ["\\term0{...", "d0l0", "\\term1{...", "d1l0", "\\term2{...", "d2l0"]
    assert paragraphs[2] == "\\term1{... }"


def test_columns_keep_the_recogniser_order() -> None:
    # A wide gutter and a narrow one: two blocks side by side are columns, read one after the
    # other as the recogniser did, never line by line.
    for gutter in (14, 200):
        left = [_line(["alpha"] * 7, 100, 100 + STEP * r, 1, 1) for r in range(6)]
        right = [_line(["omega"] * 7, left[0].x1 + gutter, 100 + STEP * r, 2, 2) for r in range(6)]
        rows = layout._rows(left + right)
        assert stacks.reading_order(left + right, rows, H) == list(range(12))


def test_a_column_offset_by_half_a_line_is_still_a_column() -> None:
    # No row holds both columns (their lines overlap by under half a height), but each line
    # shares some height with one beside it.
    left = [_line(["alpha"] * 7, 100, 100 + STEP * r, 1, 1) for r in range(6)]
    right = [_line(["omega"] * 7, 1000, 118 + STEP * r, 2, 2) for r in range(6)]
    rows = layout._rows(left + right)
    assert len(rows) == 12
    assert stacks.reading_order(left + right, rows, H) == list(range(12))


_box = st.tuples(
    st.integers(0, 2000), st.integers(0, 2000), st.integers(5, 600), st.integers(5, 60)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_box, st.integers(0, 4)), min_size=1, max_size=30))
def test_the_order_is_a_permutation(raw: list[tuple[tuple[int, int, int, int], int]]) -> None:
    lines = [
        Line([Word("w", 90.0, x, y, x + w, y + h)], b, i) for i, ((x, y, w, h), b) in enumerate(raw)
    ]
    rows = layout._rows(lines)
    order = stacks.reading_order(lines, rows, 30.0)
    assert sorted(order) == list(range(len(lines)))


def _form(last_row_apart: bool) -> list[Line]:
    """A form as Tesseract reads it: fields one under another, then a row of options of which
    the last is a block of its own, met after the signature line below the row."""
    lines = [
        _line([f"Field{k}:", "value"], 100, 100 + 2 * STEP * k, 1 + k, 1 + k) for k in range(4)
    ]
    y = 100 + 2 * STEP * 4
    lines.append(_line(["[", "]", "Adult", "[x]", "Student"], 100, y, 10, 10))
    lines.append(_line(["Signature:", "Date:"], 100, y + 3 * STEP, 11, 11))
    lines.append(_line(["[", "]", "Senior"], 1400, y, 12, 12))
    if last_row_apart:
        # A second line under "Senior", as a column's next line would stand: a column.
        lines.append(_line(["Retired", "staff"], 1400, y + STEP, 12, 12))
    return lines


def test_a_lone_piece_of_a_row_is_read_with_its_row() -> None:
    # "Senior" stands level with the options' line, alone on its side (nothing under or over
    # it within three text heights): a piece of that row, not a column. The page was read
    # in the recogniser's order, "Senior" after the signature line.
    lines = _form(last_row_apart=False)
    order = stacks.reading_order(lines, layout._rows(lines), H)
    texts = [lines[i].text for i in order]
    assert texts.index("[ ] Senior") == texts.index("[ ] Adult [x] Student") + 1, texts
    assert texts[-1] == "Signature: Date:", texts


def test_a_piece_with_a_line_near_it_on_its_side_is_a_column() -> None:
    lines = _form(last_row_apart=True)
    assert stacks.reading_order(lines, layout._rows(lines), H) == list(range(len(lines)))
