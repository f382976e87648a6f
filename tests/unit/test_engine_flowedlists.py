"""A sorted list flowed down columns (``flowedlists.py``), on hand-built geometry.

The pages are as Tesseract reads them: a contributors page whose three columns of names share
one baseline grid, each column a block of its own; a back-of-book index in two columns, with
a heading for each letter (set off by a little space, so the columns' rows go in and out of
level) and sub-entries indented under their entries, scanned half a degree askew; and tables
of short cells beside them that must stay tables.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import flowedlists, layout
from aigateway.ocr.engine.geometry import Line, Paragraph, Row, Table

from ..support.geometry import line

H, PITCH, LEFT, COLUMN = 30, 45, 200, 640
"""Text height, line pitch, left margin and the distance from one column's left edge to the
next's, in px (10 pt print scanned at 300 DPI; the gutter is about two text heights)."""

NAMES = [
    f"{first} {last}"
    for first, last in zip(
        [
            "Abbot",
            "Acton",
            "Adler",
            "Baker",
            "Barton",
            "Bell",
            "Carter",
            "Chen",
            "Cole",
            "Dean",
            "Diaz",
            "Doyle",
            "Evans",
            "Ferris",
            "Fox",
            "Grant",
            "Gray",
            "Hale",
        ],
        itertools.cycle(["Ruth", "Omar", "Ines", "Theo", "Mina", "Paul", "Lena"]),
        strict=False,
    )
]


def _words(items: list[Paragraph | Table]) -> list[str]:
    out: list[str] = []
    for item in items:
        assert isinstance(item, Paragraph), item
        out += " ".join(item.lines).split()
    return out


def _columns(entries: list[str], count: int) -> list[list[str]]:
    """``entries`` flowed down ``count`` columns, the last one shorter if need be."""
    per = -(-len(entries) // count)
    return [entries[k * per : (k + 1) * per] for k in range(count)]


def contributors(entries: list[str], count: int) -> list[Line]:
    """The names flowed down ``count`` columns on one baseline grid, a heading above; each
    column one block of the recogniser's, read down."""
    lines = [line(["Contributors"], LEFT, 200, 0, 0)]
    for c, column in enumerate(_columns(entries, count)):
        for r, entry in enumerate(column):
            lines.append(line(entry.split(), LEFT + c * COLUMN, 300 + r * PITCH, 1 + c, 1 + c))
    return lines


def test_a_list_of_names_in_three_columns_is_read_column_by_column() -> None:
    # Level rows of short cells in steady columns: it was a table pairing unrelated names.
    items = layout.build_page(contributors(NAMES, 3))
    assert _words(items) == ["Contributors", *" ".join(NAMES).split()]
    # Left in the recogniser's order (each column a block of its own), each name a line.
    assert [ln for item in items for ln in _lines(item)] == ["Contributors", *NAMES]


def test_the_same_list_in_two_columns_and_ending_short() -> None:
    items = layout.build_page(contributors(NAMES[:17], 2))
    assert _words(items) == ["Contributors", *" ".join(NAMES[:17]).split()]


def directory(entries: list[str], count: int) -> list[Line]:
    """The names flowed down ``count`` columns, each with a four-digit extension at its
    column's right edge; the recogniser made a block of each column's names and another of
    its extensions, as Tesseract did on a printed staff directory."""
    lines = [line(["Directory"], LEFT, 200, 0, 0)]
    for c, column in enumerate(_columns(entries, count)):
        for r, entry in enumerate(column):
            y = 300 + r * PITCH
            lines.append(line(entry.split(), LEFT + c * COLUMN, y, 1 + 2 * c, 1 + 2 * c))
        for r, entry in enumerate(column):
            y = 300 + r * PITCH
            number = str(2000 + 37 * len(entry) + r)
            lines.append(line([number], LEFT + c * COLUMN + 460, y, 2 + 2 * c, 2 + 2 * c))
    return lines


def test_a_directory_reads_each_name_with_its_number_column_by_column() -> None:
    # Six columns of cells, every other one numbers: a table of three names and three
    # numbers a row, and in the recogniser's order every column's names before its numbers.
    items = layout.build_page(directory(NAMES, 3))
    got = [ln for item in items for ln in _lines(item)]
    assert got[0] == "Directory"
    per = -(-len(NAMES) // 3)
    want = [f"{n} {2000 + 37 * len(n) + k % per}" for k, n in enumerate(NAMES)]
    assert got[1:] == want


def _lines(item: Paragraph | Table) -> list[str]:
    assert isinstance(item, Paragraph), item
    text = item.lines[0]
    for sep, ln in zip(item.seps[1:], item.lines[1:], strict=True):
        text += sep + ln
    return text.split("\n")


CHECKS = [
    f"{k + 1}. {item}"
    for k, item in enumerate(
        [
            "check the seals",
            "log the reading",
            "close the valve",
            "open the vent",
            "test the alarm",
            "clear the drain",
            "wipe the panel",
            "note the time",
            "lock the door",
            "sign the sheet",
            "call the desk",
            "reset the timer",
            "fill the tank",
            "label the box",
        ]
    )
]


def test_a_numbered_checklist_in_two_columns_reads_in_its_numbers_order() -> None:
    # "1." to "7." down the first column, "8." to "14." down the second, the recogniser's
    # one block reading across them row by row: a table of "1. ... | 8. ..." rows without
    # the pass.
    lines = contributors(CHECKS, 2)
    across = sorted(lines[1:], key=lambda ln: (ln.y0, ln.x0))
    lines = [lines[0], *(Line(ln.words, 1, 1) for ln in across)]
    items = layout.build_page(lines)
    assert _words(items) == ["Contributors", *" ".join(CHECKS).split()]


PROS = ["• fast to set up", "• reads scans", "• keeps tables", "• runs offline", "• small"]
CONS = ["e needs fonts", "• slow on faxes", "e no handwriting", "e English only", "e no GPU"]


def test_two_bulleted_lists_side_by_side_read_one_after_the_other() -> None:
    # A comparison's pros beside its cons, rows level, one recognised line across both (the
    # second list's bullets read as "e" mid-line): a two-column table of bulleted cells.
    lines = [line(["Pros", "and", "cons"], LEFT, 200, 0, 0)]
    for r, (a, b) in enumerate(zip(PROS, CONS, strict=True)):
        y = 300 + r * PITCH
        left, right = line(a.split(), LEFT, y, 1, 1), line(b.split(), LEFT + COLUMN, y, 1, 1)
        lines.append(Line(left.words + right.words, 1, 1))
    got = _words(layout.build_page(lines))
    assert got == ["Pros", "and", "cons", *" ".join(PROS + CONS).split()]


def test_bulleted_down_needs_every_column_bulleted() -> None:
    cols = [(200, 700), (840, 1340)]
    both = [_row([(200, a), (840, b)]) for a, b in zip(PROS, CONS, strict=True)]
    assert flowedlists.bulleted_down(both, cols, H)
    plain = [_row([(200, a), (840, b[2:])]) for a, b in zip(PROS, CONS, strict=True)]
    assert not flowedlists.bulleted_down(plain, cols, H)
    # A column of sentences starting "A" is no column of bullets read as a letter.
    some = [_row([(200, a), (840, f"A {b[2:]}")]) for a, b in zip(PROS, CONS, strict=True)]
    some[1] = _row([(200, PROS[1]), (840, "Then it stops")])
    assert not flowedlists.bulleted_down(some, cols, H)


def test_page_numbers_are_no_entries() -> None:
    # A contents page: its chapters numbered down the first column, its page numbers
    # counting up down the second. Bare numbers are no entries, so the two are one column
    # of entries with their numbers, not a list flowed down two columns.
    cols = [(200, 700), (840, 1340)]
    rows = [_row([(200, f"{k}. Chapter"), (840, str(10 * k))]) for k in range(1, 9)]
    assert not flowedlists.sorted_down(rows, cols, H)
    sections = [_row([(200, f"1.{k} Scope"), (840, f"{k}. Scope")]) for k in range(1, 9)]
    assert not flowedlists.sorted_down(sections, cols, H)


def _table(rows: list[tuple[str, str]]) -> list[Line]:
    lines = []
    for r, (a, b) in enumerate(rows):
        y = 300 + r * PITCH
        lines += [line(a.split(), LEFT, y, 1, 1), line(b.split(), LEFT + COLUMN, y, 2, 2)]
    return lines


def test_a_table_whose_first_column_is_sorted_stays_a_table() -> None:
    rows = [
        ("Abbot Ruth", "editor"),
        ("Baker Theo", "author"),
        ("Carter Lena", "reviewer"),
        ("Dean Omar", "author"),
        ("Evans Mina", "translator"),
    ]
    items = layout.build_page(_table(rows))
    assert len(items) == 1 and isinstance(items[0], Table)
    assert items[0].rows[1:] == tuple((a, b) for a, b in rows[1:])


def test_a_table_of_two_sorted_columns_that_do_not_follow_on_stays_a_table() -> None:
    # Each column sorted, but the second starts before the first ends: two lists side by
    # side, row by row (a word and its translation), not one list flowed down.
    rows = [("apple", "amber"), ("bread", "blue"), ("cheese", "cyan"), ("dates", "denim")]
    items = layout.build_page(_table(rows))
    assert len(items) == 1 and isinstance(items[0], Table)


INDEX = {
    "A": [("absence", ["of terms"]), ("access", []), ("accord", []), ("added", ["terms"])],
    "B": [("based", []), ("behalf", ["of others"]), ("beyond", [])],
    "C": [("called", []), ("carry", ["a notice"]), ("charge", []), ("code", ["object", "source"])],
    "D": [("danger", []), ("data", []), ("deemed", ["to accept"]), ("display", [])],
    "E": [("each", []), ("effect", []), ("either", []), ("embodied", [])],
}


def index_page(skew: float) -> tuple[list[Line], list[str]]:
    """The index flowed down two columns, and its words in reading order. A letter's
    heading stands 20 px (two thirds of a line) below the entry before it; a sub-entry 50 px
    in. ``skew``: px a column's edge moves left for every 100 px down (a page scanned
    askew)."""
    flat: list[tuple[str, int]] = []
    for letter, entries in INDEX.items():
        flat.append((letter, 0))
        for entry, subs in entries:
            flat.append((f"{entry}, {len(entry) * 7}", 0))
            flat += [(f"{sub}, {len(sub) * 11}", 50) for sub in subs]
    half = (len(flat) + 1) // 2
    lines = [line(["Index"], LEFT, 150, 0, 0)]
    for c, column in enumerate([flat[:half], flat[half:]]):
        y = 300
        for k, (text, indent) in enumerate(column):
            if len(text) == 1 and k:
                y += 20
            x = LEFT + c * COLUMN + indent - round(skew * y / 100)
            lines.append(line(text.split(), x, y, 1 + c, 1 + c))
            y += PITCH
    return lines, ["Index", *(w for text, _ in flat for w in text.split())]


def test_an_index_with_letters_and_sub_entries_reads_down_its_columns() -> None:
    # Rows go in and out of level, so a few of them, level by chance, made small tables of
    # a letter's entries beside the other column's.
    lines, said = index_page(0.0)
    assert _words(layout.build_page(lines)) == said


def test_an_index_scanned_askew_reads_down_its_columns() -> None:
    # Half a degree: each column's edge moves 25 px over the page.
    lines, said = index_page(0.9)
    assert _words(layout.build_page(lines)) == said


def _row(cells: list[tuple[int, str]]) -> Row:
    return Row([], 0, 30, [(x, x + 18 * len(t), t) for x, t in cells])


def test_sorted_down_needs_the_columns_to_follow_on() -> None:
    cols = [(200, 700), (840, 1340)]
    down = [_row([(200, a), (840, b)]) for a, b in zip("abcd", "efgh", strict=True)]
    across = [_row([(200, a), (840, b)]) for a, b in zip("aceg", "bdfh", strict=True)]
    assert flowedlists.sorted_down(down, cols, H)
    assert not flowedlists.sorted_down(across, cols, H)
    # Three entries a column and six in all are too few to be sorted by more than chance.
    assert not flowedlists.sorted_down(down[:3], cols, H)


def test_sorted_down_forgives_one_slip_in_ten_only_past_ten_pairs() -> None:
    cols = [(200, 700), (840, 1340)]
    first, second = list("abcdefghij"), list("klmnopqrst")
    slipped = [*first[:4], "z", *first[5:]]
    rows = [_row([(200, a), (840, b)]) for a, b in zip(slipped, second, strict=True)]
    assert flowedlists.sorted_down(rows, cols, H)
    short = [_row([(200, a), (840, b)]) for a, b in zip("abzd", "efgh", strict=True)]
    assert not flowedlists.sorted_down(short, cols, H)


def test_sub_entries_and_numbers_do_not_count() -> None:
    cols = [(200, 700), (840, 1340)]
    rows = [
        _row([(200, "apple, 3"), (840, "egg, 9")]),
        _row([(250, "zest, 4"), (840, "fig, 2")]),
        _row([(200, "bread, 8"), (890, "apple, 1")]),
        _row([(200, "12"), (840, "grape, 5")]),
        _row([(200, "“cake”, 6"), (840, "ham, 7")]),
        _row([(200, "candy, 1"), (840, "ice, 3")]),
    ]
    assert flowedlists.sorted_down(rows, cols, H)


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(8, 18),
    columns=st.integers(2, 3),
    shuffled=st.randoms(use_true_random=False),
    sort=st.booleans(),
)
def test_any_such_list_keeps_every_word_once(
    count: int, columns: int, shuffled: object, sort: bool
) -> None:
    entries = NAMES[:count] if sort else NAMES[:count][::-1]
    lines = contributors(entries, columns)
    items = layout.build_page(lines)
    got: list[str] = []
    for item in items:
        if isinstance(item, Paragraph):
            got += " ".join(item.lines).split()
        else:
            got += [w for row in item.rows for cell in row for w in cell.split()]
    assert sorted(got) == sorted(["Contributors", *" ".join(entries).split()])
