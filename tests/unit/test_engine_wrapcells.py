"""Table cells whose text wraps onto lines of their own (``wrapcells.py``), on hand-built
geometry: a price list printed from HTML with its cells set top-aligned and padded, each
description wrapping one to four lines, as Tesseract reads it (each visual line one line)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import layout
from aigateway.ocr.engine.geometry import Line, Paragraph, Table, Word

H, PITCH, PAD = 40, 50, 58
"""Text height, line pitch inside a cell and blank between two padded rows, in px."""

ITEM, DESC, QTY_END, AMOUNT_END = 300, 546, 1980, 2280


def _words(text: str, x: int, y: int, right: bool = False) -> list[Word]:
    """``text``'s words 18 px a character, 14 px apart, from ``x`` (or ending at ``x``)."""
    parts = text.split()
    width = sum(18 * len(t) for t in parts) + 14 * (len(parts) - 1)
    x = x - width if right else x
    out = []
    for t in parts:
        out.append(Word(t, 95.0, x, y, x + 18 * len(t), y + H))
        x += 18 * len(t) + 14
    return out


def price_list(rows: list[tuple[list[str], list[str], str, str]], pad: int = PAD) -> list[Line]:
    """A heading, the table's header row and ``rows`` (item lines, description lines, qty,
    amount), each visual line one recognised line, and a paragraph under the table."""
    lines = [Line(_words("Parts ordered for the harbour works", ITEM, 100), 0, 0)]
    y = 200
    header = _words("Item", ITEM, y) + _words("Description", DESC, y)
    header += _words("Qty", QTY_END, y, right=True) + _words("Amount", AMOUNT_END, y, right=True)
    lines.append(Line(header, 1, 1))
    y += H + pad
    for item, desc, qty, amount in rows:
        for k in range(max(len(item), len(desc))):
            words: list[Word] = []
            if k < len(item):
                words += _words(item[k], ITEM, y)
            if k < len(desc):
                words += _words(desc[k], DESC, y)
            if k == 0:
                words += _words(qty, QTY_END, y, right=True)
                words += _words(amount, AMOUNT_END, y, right=True)
            lines.append(Line(words, 1, 1))
            y += PITCH
        y += pad - (PITCH - H)
    lines.append(Line(_words("Prices include delivery to the north quay", ITEM, y + 100), 2, 2))
    return lines


ROWS = [
    (["Cable"], ["steel cable for the", "crane on the north quay"], "24", "748.10"),
    (["Bolts"], ["galvanised bolts and", "washers in three", "sizes"], "23", "544.19"),
    (
        ["Paint"],
        ["marine paint, grey", "two coats for the", "railings along the", "ferry ramp"],
        "40",
        "803.75",
    ),
    # "Replacements" ends 30 px before "cast iron" on its line: one segment.
    (["Lamp", "Replacements"], ["harbour lamp", "cast iron"], "12", "722.88"),
    (["Rope"], ["mooring rope for", "the fishing boats", "in the inner", "basin"], "3", "883.26"),
    (["Sand"], ["bags of sand for the", "slipway repair"], "40", "242.97"),
]


def _table(items: list[Paragraph | Table]) -> Table:
    tables = [item for item in items if isinstance(item, Table)]
    assert len(tables) == 1, items
    return tables[0]


@pytest.mark.parametrize("pad", [PAD, 110])
def test_cells_wrapping_three_and_four_lines_deep_keep_the_table_whole(pad: int) -> None:
    # The run of rows split into cells ended at the first description wrapping past one line
    # between two rows: the rest of the table was read as paragraphs, its quantities and
    # amounts inside the sentences. "Replacements" under "Lamp" ended 30 px before "cast iron":
    # one segment across the columns, which then were taken as one.
    # 110 px of padding between rows: 2.75 text heights, more than a run crosses under a row
    # of one segment (layout.ROW_GAP), less than between two rows split into cells.
    table = _table(layout.build_page(price_list(ROWS, pad)))
    assert table.rows[0] == ("Item", "Description", "Qty", "Amount")
    priced = [r for r in table.rows[1:] if r[3]]
    assert [(r[0], r[2], r[3]) for r in priced] == [(i[0], q, a) for i, _, q, a in ROWS]
    assert ("Replacements", "cast iron", "", "") in table.rows
    descriptions = " ".join(r[1] for r in table.rows[1:])
    assert descriptions == " ".join(" ".join(d) for _, d, _, _ in ROWS)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Cable", "Bolts", "Paint", "Rope"]),
            st.lists(
                st.sampled_from(["for the crane", "two coats", "in the basin"]),
                min_size=1,
                max_size=5,
            ),
            st.integers(1, 99),
        ),
        min_size=3,
        max_size=7,
    )
)
def test_any_such_table_keeps_every_amount_on_its_items_row(
    rows: list[tuple[str, list[str], int]],
) -> None:
    built = [([item], desc, str(q), f"{q * 7}.50") for item, desc, q in rows]
    table = _table(layout.build_page(price_list(built)))
    priced = [(r[0], r[2], r[3]) for r in table.rows[1:] if r[3]]
    assert priced == [(i[0], q, a) for i, _, q, a in built]
