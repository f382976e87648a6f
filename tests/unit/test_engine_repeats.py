"""Words Tesseract read twice from the same ink, in two lines, put back to one (``repeats.py``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import repeats
from aigateway.ocr.engine.geometry import Line, Word

from ..support.geometry import boxed


def _texts(lines: list[Line]) -> list[str]:
    return [" ".join(w.text for w in ln.words) for ln in lines]


def test_a_letterheads_words_read_twice_come_back_once() -> None:
    # Tesseract's lines for a letterhead read from a shrunk copy (a 300 DPI JPEG): "Harbour"
    # cut into "Harb" and "arbour", "Road" read again as "Roa", "Date:" again as "ate", each
    # repeat in a line of its own or run into the next one. Before: "12 Harbarbour RoadRoa".
    lines = [
        boxed(
            [
                ("12", 214, 338, 264, 373),
                ("Harb", 287, 338, 391, 373),
                ("Road", 488, 338, 596, 373),
            ],
            2,
        ),
        boxed([("arbour", 320, 347, 471, 373), ("Roa", 517, 347, 568, 373)], 2),
        boxed([("Date:", 1938, 366, 2014, 400), ("2026-05-13", 2047, 365, 2338, 400)], 2, 3),
        boxed(
            [
                ("Bristol", 214, 400, 352, 435),
                ("BS1", 375, 400, 457, 435),
                ("ate", 1971, 373, 2040, 400),
            ],
            2,
            3,
        ),
    ]
    repeats.drop(lines)
    assert _texts(lines) == ["12 Harbour Road", "Date: 2026-05-13", "Bristol BS1"]
    harbour = lines[0].words[1]
    assert (harbour.x0, harbour.x1) == (287, 471)


def test_words_side_by_side_or_on_other_rows_are_no_repeats() -> None:
    lines = [
        boxed([("Road", 100, 100, 200, 130), ("Roadworks", 220, 100, 400, 130)], 1),
        boxed([("road", 100, 140, 200, 170)], 2),  # the next row, not the same ink
        boxed([("oad", 420, 100, 480, 130)], 3),  # beside, not over, "Roadworks"
    ]
    before = _texts(lines)
    repeats.drop(lines)
    assert _texts(lines) == before


_word = st.tuples(
    st.text("abcdRo:", min_size=1, max_size=6),
    st.integers(0, 400),
    st.integers(0, 200),
    st.integers(5, 120),
    st.integers(5, 40),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_word, min_size=1, max_size=4), min_size=1, max_size=5))
def test_any_lines_keep_their_other_words_and_lose_no_line_that_holds_one(
    spec: list[list[tuple[str, int, int, int, int]]],
) -> None:
    # Whatever the boxes: words are only ever taken out or finished, never made up; a line
    # keeps its place and its block; no word is left with an empty box.
    lines = [
        Line([Word(t, 90.0, x, y, x + w, y + h) for t, x, y, w, h in words], k, k)
        for k, words in enumerate(spec)
    ]
    texts = {w.text for ln in lines for w in ln.words}
    blocks = [ln.block for ln in lines]
    repeats.drop(lines)
    assert all(ln.words for ln in lines)
    assert [ln.block for ln in lines] == [b for b in blocks if b in {ln.block for ln in lines}]
    for ln in lines:
        for w in ln.words:
            assert w.x1 > w.x0 and w.y1 > w.y0
            assert w.text in texts or any(w.text.startswith(t) for t in texts)
