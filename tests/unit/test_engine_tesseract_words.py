"""Words Tesseract read twice in one line are kept once (``tesseract._distinct``).

White title text on a dark bar came back as ``Quarterly Results 2026) Results 2026``: the bar's
edge was read as a second line over the first, its words boxed inside the first reading's.
Different words whose boxes merely overlap (a long word's box over the bracket after it) are
both kept.
"""

from __future__ import annotations

from aigateway.ocr.engine.geometry import Word
from aigateway.ocr.engine.tesseract import _distinct


def test_a_word_read_twice_is_kept_once_the_surer_reading() -> None:
    words = [
        Word("Quarterly", 85.0, 84, 37, 418, 187),
        Word("Results", 96.3, 459, 37, 709, 187),
        Word("2026)", 95.0, 744, 37, 933, 187),
        Word("Results", 96.1, 451, 61, 699, 118),
        Word("2026", 96.1, 732, 65, 906, 118),
    ]
    kept = _distinct(words)
    assert [w.text for w in kept] == ["Quarterly", "Results", "2026"]
    assert kept[1].conf == 96.3


def test_different_words_with_overlapping_boxes_are_both_kept() -> None:
    words = [
        Word("as.environment", 90.0, 100, 10, 400, 40),
        Word("(x)", 88.0, 330, 10, 390, 40),  # inside the long word's box
        Word("::=", 80.0, 420, 10, 470, 40),
        Word("(A...Z|a...z|_)", 70.0, 440, 10, 700, 40),
    ]
    assert _distinct(words) == words


def test_a_short_word_inside_a_long_words_box_is_not_a_duplicate() -> None:
    # A tune page's trace flags: Tesseract boxed "|display" over the "|" read after it.
    words = [Word("|display", 40.0, 1867, 650, 2073, 685), Word("|", 97.0, 2055, 646, 2077, 689)]
    assert _distinct(words) == words


def test_words_of_a_line_read_sideways_are_all_kept() -> None:
    # A page turned 90 degrees that Tesseract read as vertical text: every word of a line
    # shares one column of x; "and" twice and "it" inside "with" are different words.
    texts = ["follows", "with", "numbers", "and", "2024,", "and", "it", "ends"]
    words, y = [], 100
    for t in texts:
        words.append(Word(t, 90.0, 500, y, 540, y + 20 * len(t)))
        y += 20 * len(t) + 15
    assert _distinct(words) == words


def test_every_image_mode_reads_the_same_words() -> None:
    # set_image hands gray, RGB and RGBA samples over raw and lets tesserocr encode the rest:
    # whichever way a page goes in, Tesseract reads the same words in the same boxes.
    from aigateway.ocr.engine.tesseract import read_lines
    from tests.support.docgen import render_text

    page = render_text("Quarterly results 2026\n\nRevenue grew by 14 percent.", width=1200)
    expected, _ = read_lines(page, 200, ["eng"])
    assert [w.text for ln in expected for w in ln.words][:3] == ["Quarterly", "results", "2026"]
    for mode in ("RGB", "RGBA", "P", "LA"):  # not "1": PIL dithers it
        got, _ = read_lines(page.convert(mode), 200, ["eng"])
        assert got == expected, mode
