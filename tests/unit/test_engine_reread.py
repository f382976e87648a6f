"""Tesseract's doubtful words read again by RapidOCR's recogniser (``engine = "auto"``).

A rendered page is read by the real Tesseract; one of its words is then made a doubtful
misreading (wrong text, low confidence), as Tesseract's fast model produces on harder pages.
The re-reading must restore it from the pixels, leave sure words alone, and stay off for the
``tesseract`` engine and ``reread_below = 0``.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from aigateway.ocr.engine import rapid, reread, tesseract
from aigateway.ocr.engine.layout import Line, Word
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen import render_text

TEXT = "The quarterly report lists seventeen warehouses across the northern province."
TARGET = "warehouses"

pytestmark = pytest.mark.skipif(rapid.available() is not None, reason=str(rapid.available()))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_text(TEXT, size=40)


def _read(img: Image.Image) -> list[Line]:
    lines, _ = tesseract.read_lines(img, 200, ["eng"])
    assert words(" ".join(ln.text for ln in lines)) == words(TEXT)
    return lines


def _corrupt(lines: list[Line], conf: float = 20.0) -> None:
    """Turn :data:`TARGET` into a doubtful misreading (as Tesseract gives one)."""
    for ln in lines:
        for i, w in enumerate(ln.words):
            if w.text == TARGET:
                ln.words[i] = Word("wavehcuses", conf, w.x0, w.y0, w.x1, w.y1)
                return
    raise AssertionError(f"{TARGET!r} not read")


def test_a_doubtful_word_is_read_again_from_the_page(page: Image.Image) -> None:
    lines = _read(page)
    sure = [(w.text, w.conf) for ln in lines for w in ln.words if w.text != TARGET]
    _corrupt(lines)
    assert reread.reread(page, lines, 60.0) == 1
    assert words(" ".join(ln.text for ln in lines)) == words(TEXT)
    # The sure context words around it were read again too, but kept as Tesseract read them.
    assert [(w.text, w.conf) for ln in lines for w in ln.words if w.text != TARGET] == sure


@pytest.mark.parametrize("failure", [AttributeError("moved"), ImportError("gone")])
def test_a_recogniser_that_cannot_be_reached_leaves_tesseracts_reading(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    lines = _read(page)
    _corrupt(lines)
    before = [ln.text for ln in lines]

    def broken(*_: Any, **__: Any) -> Any:
        raise failure

    monkeypatch.setattr(rapid, "recognize_crops", broken)
    assert reread.reread(page, lines, 60.0) == 0
    assert [ln.text for ln in lines] == before


def test_a_sure_word_is_not_read_again(page: Image.Image) -> None:
    lines = _read(page)
    _corrupt(lines, conf=95.0)
    assert reread.reread(page, lines, 60.0) == 0
    assert "wavehcuses" in " ".join(ln.text for ln in lines)
    assert reread.reread(page, lines, 0.0) == 0


def test_auto_engine_rereads_and_tesseract_engine_does_not(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tesseract.read_lines

    def misread(*args: Any) -> tuple[list[Line], float]:
        lines, conf = real(*args)
        _corrupt(lines)
        return lines, conf

    monkeypatch.setattr(tesseract, "read_lines", misread)

    def text(**opts: Any) -> str:
        reading = read_image(page, 200, EngineOptions(**opts))
        return " ".join(str(item) for item in reading.items)

    assert TARGET in text(engine="auto", reread_below=60.0)
    assert "wavehcuses" in text(engine="auto", reread_below=0.0)
    assert "wavehcuses" in text(engine="tesseract", reread_below=60.0)


def test_the_budget_keeps_the_least_confident_crops() -> None:
    # Crops 3 text heights wide, more of them than the runtime's budget holds.
    budget = reread.page_budget()
    n = int(budget // 3) + 10
    line = Line([Word(f"w{i}", i / n, 100 * i, 0, 100 * i + 90, 30) for i in range(n)], 1, 1)
    jobs = [(line, [i], (100 * i, 0, 100 * i + 90, 30)) for i in range(n)]
    kept = reread._within_budget(jobs, [line])
    assert len(kept) == int(budget // 3)
    assert [j[1][0] for j in kept] == list(range(len(kept)))


def test_two_doubtful_runs_on_a_line_both_merge_in_place(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Words 1 and 6 doubtful, the right one least sure (first in the budget's order); the
    # recogniser answers one token per crop, so each run of three words becomes one word.
    line = Line([Word(f"w{i}", 95.0, 100 * i, 10, 100 * i + 90, 40) for i in range(8)], 1, 1)
    line.words[1] = Word("w1", 20.0, 100, 10, 190, 40)
    line.words[6] = Word("w6", 10.0, 600, 10, 690, 40)
    monkeypatch.setattr(
        rapid, "recognize_crops", lambda crops, *_: [("abcdefgh", 0.99)] * len(crops)
    )
    assert reread.reread(page, [line], 60.0) == 2
    assert line.text == "abcdefgh w3 w4 abcdefgh"


def test_a_space_read_in_another_place_merges_the_run_not_word_for_word(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A grainy heading: Tesseract's "glp_ios_branch_upon —", the name doubtful; the
    # recogniser's "glp ios_branch_upon—" has as many tokens but its space elsewhere. Word for
    # word, the name became "glp" and the sure dash kept: "ios_branch_upon—" was lost.
    line = Line(
        [
            Word("5.2.9", 95.0, 100, 10, 190, 40),
            Word("glp_ios_branch_upon", 40.0, 220, 10, 760, 40),
            Word("\N{EM DASH}", 90.0, 790, 10, 830, 40),
            Word("choose", 95.0, 860, 10, 1000, 40),
        ],
        1,
        1,
    )
    answer = "5.2.9 glp ios_branch_upon\N{EM DASH}"  # the crop: the run and a word either side
    monkeypatch.setattr(rapid, "recognize_crops", lambda crops, *_: [(answer, 0.99)] * len(crops))
    assert reread.reread(page, [line], 60.0) == 1
    assert line.text == f"{answer} choose"


def test_the_recogniser_reads_in_the_pages_languages(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recogniser's characters follow the page's languages (:func:`.charset.charset`)."""
    asked: list[Any] = []

    def recognise(crops: list[Image.Image], threads: int, languages: Any, *_: Any) -> Any:
        asked.append(tuple(languages))
        return [("abcdefgh", 0.99)] * len(crops)

    monkeypatch.setattr(rapid, "recognize_crops", recognise)
    line = Line([Word(f"w{i}", 95.0, 100 * i, 10, 100 * i + 90, 40) for i in range(4)], 1, 1)
    line.words[2] = Word("w2", 20.0, 200, 10, 290, 40)
    assert reread.reread(page, [line], 60.0, languages=("chi_sim", "eng")) == 1
    assert asked == [("chi_sim", "eng")]


def test_the_recognisers_text_is_folded(page: Image.Image, monkeypatch: pytest.MonkeyPatch) -> None:
    """Full-width forms to ASCII, the minus sign to the hyphen-minus, spaces collapsed."""
    answer = "\N{MINUS SIGN}1 to  \N{FULLWIDTH LEFT PARENTHESIS}x\N{FULLWIDTH RIGHT PARENTHESIS}"
    monkeypatch.setattr(rapid, "recognize_crops", lambda crops, *_: [(answer, 0.99)] * len(crops))
    assert reread.recognize(page, [(10, 10, 90, 40)], 1, ["eng"]) == [("-1 to (x)", 0.99)]


def test_a_grainy_page_rereads_more_and_from_its_grey_page(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page read from its clean-up (grain thresholded away) has its words under
    :data:`~.reread.CLEANED_BELOW` read again from the grey page, grain and all: a misreading
    at confidence 85 is put right there, and left on a clean page (cut 80)."""
    from aigateway.ocr.engine import preprocess

    from ..support.docgen_layout import noisy_png

    grainy = Image.open(io.BytesIO(noisy_png(TEXT))).convert("L")
    assert preprocess.grainy(grainy) and not preprocess.grainy(page)
    real_lines, real_reread = tesseract.read_lines, reread.reread
    seen: list[tuple[int, float, float]] = []

    def misread(*args: Any) -> tuple[list[Line], float]:
        lines, conf = real_lines(*args)
        _corrupt(lines, conf=85.0)
        return lines, conf

    def spy(img: Image.Image, lines: list[Line], below: float, *args: Any) -> int:
        budget = args[2] if len(args) > 2 else 1.0
        seen.append((len(img.getcolors(256) or ()), below, budget))
        return real_reread(img, lines, below, *args)

    monkeypatch.setattr(tesseract, "read_lines", misread)
    monkeypatch.setattr(reread, "reread", spy)

    def text(img: Image.Image) -> str:
        reading = read_image(img, 200, EngineOptions(engine="auto", reread_below=80.0))
        return " ".join(str(item) for item in reading.items)

    assert TARGET in text(grainy)
    levels, below, budget = seen[-1]
    assert levels > 2  # the grey page, not the clean-up's two levels
    assert (below, budget) == (reread.CLEANED_BELOW, reread.CLEANED_BUDGET)
    assert "wavehcuses" in text(page)
    assert seen[-1][1:] == (80.0, 1.0)


def test_a_page_of_doubtful_words_spends_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half a page's words doubtful (a standard-mode fax): the page spends the cleaned page's
    budget (:data:`~.reread.DOUBT_SHARE`), so more crops are read than the usual budget holds,
    and words under :data:`~.reread.CLEANED_BELOW` are read too."""
    plain = int(reread.page_budget() // 3)  # crops 3 text heights wide
    read: list[int] = []

    def recognise(crops: list[Image.Image], *_: Any) -> Any:
        read.append(len(crops))
        return [("abcdefgh", 0.99)] * len(crops)

    monkeypatch.setattr(rapid, "recognize_crops", recognise)
    rows = 4 * plain // 10
    img = Image.new("L", (1500, 40 * rows), 255)

    def lines(doubtful: int) -> list[Line]:
        # Ten words a line, one word per stretch (gaps of two text heights), doubtful first.
        confs = [20.0] * doubtful + [85.0] + [95.0] * (10 * rows - doubtful - 1)
        ws = [
            Word(
                f"w{i}", c, 150 * (i % 10), 40 * (i // 10), 150 * (i % 10) + 90, 40 * (i // 10) + 30
            )
            for i, c in enumerate(confs)
        ]
        return [Line(ws[k : k + 10], 1, k // 10) for k in range(0, len(ws), 10)]

    def reread_page(ls: list[Line]) -> None:
        below, budget = reread.plan(ls, 80.0, cleaned=False)
        reread.reread(img, ls, below, budget=budget)

    reread_page(lines(2 * plain))
    assert read[-1] == 2 * plain + 1  # every doubtful word, and the one at 85
    reread_page(lines(plain // 4))
    assert read[-1] == plain // 4  # few doubtful words: the usual cut, all within the budget
    monkeypatch.setattr(reread, "DOUBT_SHARE", 1.0)
    reread_page(lines(2 * plain))
    assert read[-1] == plain  # without the rule: the usual budget


def test_a_crop_swollen_by_a_speck_is_cut_to_its_lines_band(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A line of 30 px words; grain left on a cleaned page was read as a word ("a'") whose box
    # reaches 45 px above the line, and it is in the doubtful stretch.
    line = Line([Word(f"word{i}", 95.0, 100 * i, 100, 100 * i + 90, 130) for i in range(5)], 1, 1)
    line.words[2] = Word("a'", 10.0, 200, 55, 290, 130)
    height = reread._word_height([line])
    assert height == 30
    assert reread._trim((100, 55, 390, 130), line, height) == (100, 94, 390, 130)
    # A box of about the line's height is left alone (brackets and accents reach past it).
    assert reread._trim((100, 92, 390, 134), line, height) == (100, 92, 390, 134)
    seen: list[tuple[int, int]] = []

    def recognize_crops(crops: list[Image.Image], *_: Any) -> list[tuple[str, float]]:
        seen.extend(c.size for c in crops)
        return [("word1 is the word3", 0.99)] * len(crops)

    monkeypatch.setattr(rapid, "recognize_crops", recognize_crops)
    big = page.resize((600, 300))
    assert reread.reread(big, [line], 60.0) == 1
    # The crop is the band with the usual margin (a quarter of its height), not 75 px tall.
    assert seen == [(290 + 2 * 9, 36 + 2 * 9)]
    # The merged word keeps the words' box, which the layout pass placed them by.
    merged = line.words[1]
    assert merged.text == "word1 is the word3"
    assert (merged.x0, merged.y0, merged.x1, merged.y1) == (100, 55, 390, 130)


def test_words_boxed_inside_a_doubtful_words_box_are_read_with_it(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tesseract boxed "(100," over the ink of the next two words, which it also read on their
    # own: the crop of the doubtful stretch holds all three, so its reading replaces all three
    # (before, "25) {right}:" came back twice).
    line = Line(
        [
            Word("draw((0,0){up}:", 95.0, 10, 10, 300, 40),
            Word("(100,", 40.0, 320, 10, 700, 40),
            Word("25)", 95.0, 430, 8, 500, 44),
            Word("{right}:", 95.0, 520, 10, 690, 40),
            Word("(200,0)", 95.0, 720, 10, 860, 40),
        ],
        1,
        1,
    )
    crops: list[tuple[int, int]] = []

    def recognise(images: list[Image.Image], *_: Any) -> list[tuple[str, float]]:
        crops.extend(im.size for im in images)
        return [("draw((0,0){up}::(100,25){right}:", 0.99)] * len(images)

    monkeypatch.setattr(rapid, "recognize_crops", recognise)
    assert reread.reread(page, [line], 60.0) == 1
    assert line.text == "draw((0,0){up}::(100,25){right}: (200,0)"
    assert len(crops) == 1
