"""Lines ended on purpose keep their break, list items start paragraphs (``breaks.py``,
``markdown.join_lines``); wrapped prose is still joined with spaces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aigateway.ocr.engine.breaks import margin, separators
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.markdown import join_lines

H = 20  # text height in px; a character is about 10 px wide


def line(text: str, x0: int = 0, y0: int = 0) -> Line:
    """A line of monospaced words, 10 px a character and one between words, starting at x0."""
    words, x = [], x0
    for t in text.split():
        words.append(Word(t, 95.0, x, y0, x + 10 * len(t), y0 + H))
        x += 10 * (len(t) + 1)
    return Line(words, 0, 0)


def para(*texts: str, indents: tuple[int, ...] = ()) -> list[Line]:
    return [line(t, (indents[k] if k < len(indents) else 0), k * 30) for k, t in enumerate(texts)]


def test_wrapped_prose_is_joined_with_spaces() -> None:
    lines = para(
        "The council voted on Tuesday to extend the",
        "tram line to the northern suburbs, ending a",
        "debate that has lasted almost a decade.",
    )
    seps = separators(lines)
    assert seps == ("", " ", " ")
    assert join_lines([ln.text for ln in lines], seps) == (
        "The council voted on Tuesday to extend the tram line to the northern suburbs, "
        "ending a debate that has lasted almost a decade."
    )


def test_a_line_that_left_room_for_the_next_word_was_ended() -> None:
    # An address: "42" would have fitted after "Ltd" with room to spare.
    lines = para("Northwind Supplies Ltd", "42 Harbour Road, Bristol BS1 4DJ", "United Kingdom")
    assert separators(lines) == ("", "\n", " ")
    # After the longest line no room is known (the paragraph's right edge is that line's
    # end, never further out than the real margin), so its break stays a wrap.
    lines = para("Northwind Supplies Ltd, 42 Harbour Road", "Bristol", "United Kingdom")
    assert separators(lines) == ("", " ", "\n")


def test_short_lines_are_measured_against_their_columns_margin() -> None:
    address = para("Platform team", "42 Harbour Road", "Bristol BS1 4DJ")
    assert separators(address) == ("", " ", " ")  # its own longest line tells nothing
    prose = [line("x" * 60, 0, 200 + 30 * k) for k in range(9)]
    overlong = line("y" * 90, 0, 500)  # a code line past the margin is not the margin
    right = margin(address, [*prose, overlong, *address])
    assert right == 600
    assert separators(address, right) == ("", "\n", "\n")
    # Fewer than three lines start where the paragraph starts: no margin.
    assert margin(address, [line("x" * 60, 300, 0)]) is None


def test_room_short_of_the_next_word_is_a_wrap() -> None:
    # Ragged-right text: "extraordinary" (13 characters) did not fit in the 10 left.
    lines = para("a b c d e f g h i j k l m n o p", "q r s t u v w x y z a", "extraordinary")
    assert separators(lines)[2] == " "


def test_a_listing_with_three_depths_keeps_every_line() -> None:
    lines = para(
        "def load(path):",
        "if not path.exists():",
        "raise ValueError(path)",
        "return path.read_text()",
        indents=(0, 40, 80, 40),
    )
    assert separators(lines) == ("", "\n", "\n", "\n")


def test_lines_of_one_word_each_are_a_list() -> None:
    # Identifiers in a listing, measured against a margin that short lines set: each would
    # not have fitted beside the one before, yet no prose holds one word a line, line after
    # line (a 2x screenshot's dark-mode listing came back "BadRequestError", "ConfigError",
    # ... on one line).
    names = ['"BadRequestError",', '"ConfigError",', '"ErrorDetail",', '"ErrorEnvelope",']
    lines = para(*names)
    assert separators(lines, right=260) == ("", "\n", "\n", "\n")
    assert join_lines([ln.text for ln in lines], separators(lines, 260)) == "\n".join(names)
    # In a paragraph with other lines: the run and the lines either side of it.
    lines = para("__all__ = (", *names, ")", "class GatewayError(Exception):")
    assert separators(lines, right=300) == ("", *["\n"] * 6)
    lines = para("the names are", *names[:3], "and then the text runs on as", "prose does")
    assert separators(lines, right=300)[1:5] == ("\n",) * 4
    # Two such lines may be a long word wrapped after a short one; prose around them wraps.
    assert separators(para("a", "extraordinarily"), right=150) == ("", " ")
    assert separators(para("in", "extraordinary", "circumstances b"), right=150)[1] == " "


def test_one_line_has_no_separators() -> None:
    assert separators(para("alone")) == ()


def test_bullets_start_paragraphs_of_their_own_and_wrapped_items_stay_whole() -> None:
    text = join_lines(
        [
            "• Ship the batch API to all",
            "tenants this quarter",
            "• Cut median latency",
            "◦ Hire two engineers",
        ]
    )
    assert text == (
        "• Ship the batch API to all tenants this quarter\n\n• Cut median latency\n\n"
        "◦ Hire two engineers"
    )


def test_numbered_and_dashed_items_only_in_a_list_of_their_kind() -> None:
    assert join_lines(["1. First step", "2. Second step"]) == "1. First step\n\n2. Second step"
    assert join_lines(["- one", "- two"]) == "- one\n\n- two"
    # Prose where a wrapped line happens to start with "2." or "-" is not a list.
    assert join_lines(["as said in section", "2. Then we"]) == "as said in section 2. Then we"
    assert join_lines(["the values", "- which vary -"]) == "the values - which vary -"


def test_a_hyphenated_word_is_rejoined_even_across_an_ended_line() -> None:
    assert join_lines(["the infor-", "mation"], ("", "\n")) == "the information"


def test_an_underline_never_gets_a_line_of_its_own() -> None:
    # "Title\n-----" would render as a heading.
    assert join_lines(["Title", "-----"], ("", "\n")) == "Title -----"
    assert join_lines(["Title", "Next"], ("", "\n")) == "Title\nNext"


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abc -•1.", min_size=1, max_size=12),
            st.integers(0, 200),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_no_text_is_lost_or_added(rows: list[tuple[str, int]]) -> None:
    lines = [line(t, x, 30 * k) for k, (t, x) in enumerate(rows) if t.split()]
    if not lines:
        return
    seps = separators(lines)
    assert len(seps) in (0, len(lines))
    assert set(seps) <= {"", " ", "\n"}
    out = join_lines([ln.text for ln in lines], seps)
    # Only whitespace changes, and a hyphen at a line's end where a broken word is rejoined.
    squeeze = "".join(out.split())
    whole = "".join("".join(ln.text.split()) for ln in lines)
    assert len(whole) - len(squeeze) <= len(lines) - 1
    assert squeeze.replace("-", "") == whole.replace("-", "")
