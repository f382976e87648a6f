"""Columns of line and equation numbers go back on the lines they number (``labels.py``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import labels, layout
from aigateway.ocr.engine.layout import Line, Paragraph, Table, Word

from ..support.geometry import line as _line

H = 30


def _text(lines: list[Line]) -> str:
    out: list[str] = []
    for item in layout.build_page(lines):
        if isinstance(item, Paragraph):
            out += item.lines
        else:
            assert isinstance(item, Table)
            out += [" ".join(c for c in row if c) for row in item.rows]
    return "\n".join(out)


def _listing(numbers: list[str], x_num: int = 60, x_code: int = 200) -> list[Line]:
    """A numbered listing whose numbers the recogniser read as a block of their own (block 1)
    before the code (block 2), with a comment column beside the code."""
    nums = [_line(n.split(), x_num, 200 + 45 * k, 1, 1) for k, n in enumerate(numbers)]
    code = [
        _line(["int", f"field{k};"], x_code, 200 + 45 * k, 2, 2 + k) for k in range(len(numbers))
    ]
    notes = [_line(["/*", f"note{k}", "*/"], 900, 200 + 45 * k, 3, 20 + k) for k in range(2)]
    return [*nums, *code, *notes]


def _at(y: int, block: int, para: int, words: str) -> Line:
    """A line at ``y`` from ``"text@x0-x1 ..."``: word boxes as Tesseract gave them."""
    out: list[Word] = []
    for spec in words.split():
        text, span = spec.rsplit("@", 1)
        x0, x1 = span.split("-")
        out.append(Word(text, 90.0, int(x0), y, int(x1), y + 30))
    return Line(out, block, para)


# Tesseract's reading of a numbered C listing in the Erlang run-time manual (tune split,
# grainy variant): the numbers one block, the code and its comments another, two comments
# wrapped onto a line of their own.
ERLANG = [
    *(
        _at(656 + 40 * k, 5, 6, n)
        for k, n in enumerate(
            [
                "(4)@269-338",
                "(@270-277 5)@306-338",
                "(6)@269-338",
                "(@270-277 7)@306-338",
                "(@270-277 8)@306-338",
                "(@269-277 9)@306-338",
                "(10)@270-338",
            ]
        )
    ),
    _at(
        656,
        8,
        9,
        "int@447-501 fd;@527-578 /*@968-1003 File@1029-1105 descriptor@1129-1327 */@1350-1384",
    ),
    _at(
        696,
        8,
        10,
        "ErlDrvPort@446-642 port;@667-758 /*@968-1003 The@1027-1084 port@1108-1184 "
        "identifier@1210-1406 */@1431-1466",
    ),
    _at(
        736,
        8,
        11,
        "int@447-501 lockfd;@527-658 /*@968-1003 The@1026-1084 file@1109-1185 "
        "descriptor@1208-1406 for@1431-1487 a@1510-1526 lock@1550-1627 file@1651-1728 "
        "in@1752-1787",
    ),
    _at(
        776,
        8,
        11,
        "case@1029-1105 of@1129-1164 listen@1190-1305 sockets@1330-1465 */@1491-1525",
    ),
    _at(
        816,
        8,
        12,
        "Byte@446-522 creation;@547-718 /*@968-1003 The@1026-1085 creation@1109-1265 "
        "serial@1290-1404 derived@1429-1566 from@1591-1667 the@1691-1748",
    ),
    _at(
        856,
        8,
        12,
        "lock@1028-1105 file@1130-1206 */@1230-1264",
    ),
    _at(
        896,
        8,
        13,
        "PortType@447-604 type;@627-718 /*@968-1003 Type@1027-1105 of@1129-1165 "
        "port@1189-1264 */@1290-1324",
    ),
]


def test_a_column_of_line_numbers_is_read_with_its_lines() -> None:
    text = _text(ERLANG)
    assert text.split("\n") == [
        "(4) int fd; /* File descriptor */",
        "( 5) ErlDrvPort port; /* The port identifier */",
        "(6) int lockfd; /* The file descriptor for a lock file in",
        "( 7) case of listen sockets */",
        "( 8) Byte creation; /* The creation serial derived from the",
        "( 9) lock file */",
        "(10) PortType type; /* Type of port */",
    ]
    # Without the pass, (4) to (6) come out on lines of their own, their code after (10).
    assert len(labels.join(ERLANG, H)) == len(ERLANG) - 7


def test_a_column_read_as_a_table_row_by_row_keeps_its_rows() -> None:
    text = _text(_listing(["( 4)", "( 5)", "( 6)", "( 7)"]))
    for k, n in enumerate(["( 4)", "( 5)", "( 6)", "( 7)"]):
        assert f"{n} int field{k};" in text


def test_equation_numbers_in_the_right_margin_end_their_lines() -> None:
    eqs = [_line(["x", "=", f"y{k}", "+", "1"], 300, 300 + 120 * k, 1, 1 + k) for k in range(3)]
    nums = [_line([f"(2.{k + 1})"], 1500, 300 + 120 * k, 2, 10) for k in range(3)]
    joined = labels.join([*eqs, *nums], H)
    assert [ln.text for ln in joined] == [f"x = y{k} + 1 (2.{k + 1})" for k in range(3)]


def test_a_table_column_of_figures_that_does_not_count_up_is_left_alone() -> None:
    lines = _listing(["12", "7", "30", "5"])
    assert labels.join(lines, H) == lines


def test_two_numbers_are_not_a_column() -> None:
    lines = _listing(["1", "2"])
    assert labels.join(lines, H) == lines


def test_numbers_with_no_line_beside_them_stay_where_they_are() -> None:
    # A column of numbers alone (a list of page numbers, say): nothing on their rows.
    nums = [_line([str(k)], 60, 200 + 45 * k, 1, 1) for k in range(1, 6)]
    text = [_line(["far", "below"], 60, 900, 2, 2)]
    assert labels.join([*nums, *text], H) == [*nums, *text]


def test_a_misread_number_does_not_undo_the_column() -> None:
    lines = _listing(["1", "2", "3", "3", "5", "6"])  # "4" read as "3"
    joined = labels.join(lines, H)
    assert [ln.text for ln in joined[:6]] == [f"{n} int field{k};" for k, n in enumerate("123356")]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1500),
            st.integers(0, 1500),
            st.sampled_from(["1", "2", "3", "(4)", "word", "12.", "x y"]),
            st.integers(0, 4),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_joining_keeps_every_word_once(boxes: list[tuple[int, int, str, int]]) -> None:
    lines = [_line(t.split(), x, y, b, b) for x, y, t, b in boxes]
    joined = labels.join(lines, H)
    before = sorted((w.x0, w.y0, w.text) for ln in lines for w in ln.words)
    after = sorted((w.x0, w.y0, w.text) for ln in joined for w in ln.words)
    assert before == after
    assert len(joined) <= len(lines)
