"""Pieces of one line that the recogniser put in different blocks are joined (``pieces.py``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import layout, pieces
from aigateway.ocr.engine.layout import Line, Paragraph, Word

from ..support.geometry import line as _line

H = 30


def _texts(lines: list[Line]) -> list[str]:
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    return [" ".join(i.lines) for i in items]  # type: ignore[union-attr]


def _doxygen_page(gap: int) -> tuple[list[Line], str]:
    """A running header (page number left, title right: a page with lines side by side), then
    two sections whose long declaration line the recogniser cut ``gap`` px before its end,
    the end read as a block after the second section."""
    header = [_line(["28"], 100, 40, 1, 1), _line(["Namespace", "Documentation"], 1500, 40, 1, 1)]
    lines, tails, want = list(header), [], ["28 Namespace Documentation"]
    y = 200
    for k in range(2):
        lines.append(
            _line([f"7.3.2.{k}", "create_pack<", "layout::mode", ">()"], 100, y, 10 + k, 10 + k)
        )
        decl = _line(
            ["template", "void", f"create{k}_pack<", "seqan3::data_layout"],
            100,
            y + 120,
            20 + k,
            20 + k,
        )
        lines.append(decl)
        tails.append(_line(["::compressed", ">", "("], decl.x1 + gap, y + 120, 40 + k, 40 + k))
        arg = _line(["build_data<", "layout", ">", "&", ","], 300, y + 165, 20 + k, 20 + k)
        lines.append(arg)
        want += [lines[-3].text, f"{decl.text} {tails[-1].text}", arg.text]
        y += 400
    return [*lines, *tails], " ".join(want)


def test_a_line_cut_in_two_is_read_whole_where_it_stands() -> None:
    lines, want = _doxygen_page(gap=12)  # 0.4 text heights: a colon in its typewriter cell
    assert " ".join(_texts(lines)) == want


def test_pieces_a_column_gap_apart_stay_apart() -> None:
    lines, _ = _doxygen_page(gap=H)  # a whole text height: not a piece of the line
    assert pieces.join(lines, H) == lines


def test_two_columns_with_a_narrow_gutter_are_not_joined() -> None:
    left = [_line(["left", "column", "words", "here"], 100, 100 + 45 * i, 1, 1) for i in range(4)]
    right = [
        _line(["right", "column", "words"], left[0].x1 + 20, 100 + 45 * i, 2, 2) for i in range(4)
    ]
    assert pieces.join([*left, *right], H) == [*left, *right]


def test_a_heading_beside_small_print_is_not_joined() -> None:
    big = _line(["Heading"], 100, 100, 1, 1, h=60)
    small = _line(["note"], big.x1 + 6, 120, 2, 2, h=24)
    assert pieces.join([big, small], H) == [big, small]


def test_a_lines_own_next_line_is_left_to_the_recogniser() -> None:
    a = _line(["one", "two"], 100, 100, 1, 1)
    b = Line([Word("three", 95.0, a.x1 + 6, 100, a.x1 + 96, 130)], 1, 1)
    assert pieces.join([a, b], H) == [a, b]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 6), st.integers(0, 5)),
        min_size=1,
        max_size=30,
    )
)
def test_joining_keeps_every_word_once(boxes: list[tuple[int, int, int, int]]) -> None:
    lines = [_line([f"w{k}"] * n, x, y, b, b) for k, (x, y, n, b) in enumerate(boxes)]
    joined = pieces.join(lines, H)
    # Two touching words become one (a bracket cut off its word): count glyphs, not boxes.
    before = sorted(c for ln in lines for w in ln.words for c in w.text.split("w") if c)
    after = sorted(c for ln in joined for w in ln.words for c in w.text.split("w") if c)
    assert before == after
    assert len(joined) <= len(lines)


def test_a_bracket_cut_off_its_word_joins_it_without_a_space() -> None:
    # Tesseract cut "[" off "[Constant Struct]" into a block of its own; joined back, it is
    # one word again, as the layout pass joins touching words of two lines.
    word = _line(["Constant", "Struct]"], 130, 100, 2, 2)
    bracket = Line([Word("[", 90.0, 114, 100, 128, 130)], 1, 1)
    above = _line(["some", "text", "above"], 100, 30, 3, 3)
    joined = pieces.join([bracket, above, word], H)
    assert [ln.text for ln in joined] == ["[Constant Struct]", "some text above"]


def test_a_column_of_labels_read_apart_from_its_text_is_joined_row_by_row() -> None:
    # Word boxes Tesseract gave for "Line 0: the quick brown fox ..." drawn in 34 px DejaVu
    # Sans: it read the labels as a block of their own, 16 px left of the text, their own
    # word space being 15 px (a pixel over the median space, still one line).
    labels, texts = [], []
    for k in range(6):
        y = 156 + 70 * k
        labels.append(
            Line(
                [Word("Line", 96.0, 153, y, 219, y + 26), Word(f"{k}:", 96.0, 234, y, 261, y + 26)],
                1,
                1,
            )
        )
        texts.append(
            Line(
                [
                    Word("the", 96.0, 277, y, 329, y + 26),
                    Word("quick", 96.0, 344, y, 432, y + 33),
                    Word("brown", 96.0, 447, y, 546, y + 26),
                ],
                2,
                2,
            )
        )
    joined = pieces.join([*labels, *texts], 29)
    assert [ln.text for ln in joined] == [f"Line {k}: the quick brown" for k in range(6)]


def test_a_column_a_word_space_and_more_away_stays_apart() -> None:
    # The same labels with the text a gutter (1.5 word spaces, 0.8 text heights) away.
    label = Line(
        [Word("Line", 96.0, 153, 156, 219, 182), Word("0:", 96.0, 234, 156, 261, 182)], 1, 1
    )
    text = Line(
        [Word("the", 96.0, 284, 156, 336, 182), Word("end", 96.0, 351, 156, 400, 182)], 2, 2
    )
    assert pieces.join([label, text], 29) == [label, text]


def test_a_piece_opening_with_a_backtick_a_word_space_and_its_bearing_away_is_joined() -> None:
    # A 96 DPI screenshot's listing (25 px text, 19 px word spaces): Tesseract cut the line
    # ``"""Base of every error a caller sees. Subclasses set ``status`` and ``type``."""``
    # before its backticks, whose ink sits in the middle of a typewriter cell: 24 px apart.
    texts = ['"""Base', "of", "every", "error", "a", "caller", "sees.", "Subclasses", "set"]
    words, x = [], 202
    for t in texts:
        words.append(Word(t, 96.0, x, 1294, x + 15 * len(t), 1320))
        x += 15 * len(t) + 19
    head = Line(words, 7, 8)
    tail = Line([Word("``status``", 96.0, head.x1 + 24, 1291, head.x1 + 176, 1322)], 11, 12)
    rest = Line([Word("and", 96.0, tail.x1 + 20, 1294, tail.x1 + 65, 1320)], 13, 14)
    joined = pieces.join([head, tail, rest], 25)
    assert [" ".join(w.text for w in ln.words) for ln in joined] == [
        '"""Base of every error a caller sees. Subclasses set ``status`` and'
    ]
    # The same gap before a letter is a column's gutter.
    plain = Line([Word("status", 96.0, head.x1 + 24, 1294, head.x1 + 114, 1320)], 11, 12)
    assert pieces.join([head, plain], 25) == [head, plain]


def test_a_headline_cut_where_the_columns_below_part_is_joined() -> None:
    # A 74 px headline across a page of two columns of 29 px text: Tesseract cut it above
    # the gutter and read its end after the second column. Its pieces stand 44 px apart, its
    # own word spaces 39-45 px: far more than the body's word space, about the headline's.
    def words(texts: list[str], x: int, gap: int) -> list[Word]:
        out = []
        for t in texts:
            out.append(Word(t, 95.0, x, 137, x + 45 * len(t), 211))
            x += 45 * len(t) + gap
        return out

    head = Line(words(["City", "Council", "Approves", "New"], 155, 40), 1, 1)
    tail = Line(words(["Harbour", "Plan"], head.x1 + 44, 40), 3, 3)
    body = [
        _line(["The", "council", "voted", "on", "Tuesday"], 150 + 1000 * c, 365 + 48 * r, 2 + c, 2)
        for c in range(2)
        for r in range(6)
    ]
    got = _texts([head, *body, tail])
    assert got[0] == "City Council Approves New Harbour Plan", got
    assert len(pieces.join([head, tail], 29)) == 1


def test_a_typewriter_line_cut_at_its_word_spaces_is_joined() -> None:
    # Word boxes Tesseract gave for "if (not getline(cin, line) or line.empty())" in a C++
    # book's listing (34 px text): it cut the line into three blocks at two word spaces, 39
    # and 40 px (a comma or bracket sits in the middle of its cell), like the line's own
    # spaces (31-40 px, 0.9-1.2 text heights), and read "line)" and "or line.empty())" after
    # the rest of the listing.
    def words(boxes: list[tuple[str, int, int]], block: int) -> Line:
        return Line([Word(t, 95.0, x0, 1686, x1, 1720) for t, x0, x1 in boxes], block, block)

    first = words([("if", 483, 525), ("(not", 565, 649), ("getline(cin,", 680, 966)], 7)
    below = Line([Word("break;", 95.0, 580, 1737, 719, 1768)], 8, 8)
    second = words([("line)", 1005, 1114)], 12)
    third = words([("or", 1154, 1198), ("line.empty())", 1230, 1540)], 14)
    joined = pieces.join([first, below, second, third], 34)
    assert [ln.text for ln in joined] == ["if (not getline(cin, line) or line.empty())", "break;"]
