"""Marked letters read again (``diacritics.py``): the swap rule, the page's language test, and
pages in French, German and Spanish read through the engine."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigateway.ocr.engine import diacritics
from aigateway.ocr.engine.diacritics import fold, marked, swap, written_with_marks
from aigateway.ocr.engine.geometry import Line, Paragraph, Word
from aigateway.ocr.engine.options import EngineOptions
from aigateway.ocr.engine.reader import read_image

from ..support.docgen import find_font, prose_page
from ..support.marked_texts import ENGLISH_WITH_NAMES, FRENCH, GERMAN, SPANISH


def test_marked_letters_and_their_fold() -> None:
    assert all(marked(w) for w in ("à", "être", "Würde", "razón", "français", "Łódź", "straße"))
    assert not any(marked(w) for w in ("a", "etre", "naive", "1995", "¿Quién"[0], "—", "€"))
    assert fold("Würde") == "Wurde"
    assert fold("¿Quién decidirá?") == "¿Quien decidira?"
    assert fold("straße") == "straße"  # a letter of its own, not a letter and a mark


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a", "à"),  # a mark Tesseract's English model does not know
        ("etre", "être"),
        ("étre", "être"),  # a mark read wrong
        ("Manner", "Männer"),
        ("Wiirde", "Würde"),  # the letters made of a ü
        ("k6rperliche", "körperliche"),
        ("religidsen", "religiösen"),
        ("¢Quién", "¿Quién"),  # Spanish opening mark
        ("francais,", "français,"),
    ],
)
def test_a_reading_that_differs_at_its_marked_letters_replaces_tesseracts(
    old: str, new: str
) -> None:
    assert swap(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("à", "à"),  # the same
        ("être", "etre"),  # a mark taken away
        ("house", "hause"),  # no mark in the new reading
        ("band", "bänder"),  # letters added away from the mark
        ("abc", "xbé"),  # a letter changed away from the mark
        ("Hello", "Héllo world"),
        ("ab", "äöüxyz"),  # more than two letters for a mark
    ],
)
def test_a_reading_that_changes_more_than_marks_does_not(old: str, new: str) -> None:
    assert not swap(old, new)


_LATIN = st.characters(min_codepoint=0x20, max_codepoint=0x24F)


@given(st.text(_LATIN, max_size=30))
def test_fold_keeps_length_and_only_marks_change(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert fold(folded) == folded
    assert all(
        a == b or unicodedata.normalize("NFD", a)[0] == b for a, b in zip(text, folded, strict=True)
    )
    assert not swap(text, text)


@given(st.text(_LATIN, min_size=1, max_size=30))
def test_a_mark_put_back_on_its_folded_word_is_always_a_swap(text: str) -> None:
    if fold(text) != text:
        assert swap(fold(text), text)
    if not marked(text):
        assert not swap(fold(text), text)


def test_a_page_is_written_with_marks_by_its_marked_and_its_function_words() -> None:
    assert written_with_marks(FRENCH.split())
    # German and Spanish as Tesseract's English model reads them: few marks survive.
    few = [fold(w) for w in GERMAN.split()]
    few[:3] = ["Würde", "schützen", "Persönlichkeit"]
    assert written_with_marks(few)
    spanish = [fold(w) for w in SPANISH.split()]
    spanish[:3] = ["razón", "religión", "posición"]
    assert written_with_marks(spanish)
    # English with names, and a fax page whose specks were read as marks: 7 of 485 words.
    assert not written_with_marks(ENGLISH_WITH_NAMES.split())
    specks = ["véctors", "thesé", "depąrse", "datà.", "methód", "dáta", "çolumns"]
    noisy = [*("the data in these columns " * 81).split()[:478], *specks]
    assert not written_with_marks(noisy)
    assert not written_with_marks([])


def _line(words: list[str]) -> Line:
    return Line(
        [Word(w, 96.0, 100 + 80 * k, 100, 170 + 80 * k, 130) for k, w in enumerate(words)], 1, 1
    )


def test_nothing_is_read_on_an_english_page_or_with_a_chosen_language_pack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def recognize(*args: object, **kwargs: object) -> list[tuple[str, float]]:
        calls.append(1)
        return []

    monkeypatch.setattr(diacritics, "recognize", recognize)
    english = [_line(ENGLISH_WITH_NAMES.split()[k : k + 12]) for k in range(0, 72, 12)]
    assert diacritics.read(None, english, 1, ("eng",)) == 0  # type: ignore[arg-type]
    french = [_line(FRENCH.split()[k : k + 12]) for k in range(0, 120, 12)]
    assert diacritics.read(None, french, 1, ("deu",)) == 0  # type: ignore[arg-type]
    assert calls == []


def test_a_line_read_with_a_low_score_or_other_words_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [_line(["Les", "hommes", "naissent", "égaux", "a", "tous", "les", "âges"])] * 3
    answers = iter(
        [
            ("Les hommes naissent égaux à tous les âges", 0.6),  # unsure
            ("Les femmes naissent égaux à tous les âges", 0.97),  # another word too
            ("Les hommes naissent égaux à tous les âges", 0.97),
        ]
    )
    lines = [Line(list(ln.words), 1, 1) for ln in lines]
    monkeypatch.setattr(
        diacritics, "recognize", lambda img, boxes, *a: [next(answers) for _ in boxes]
    )
    assert diacritics.read(None, lines, 1, ("eng",)) == 2  # type: ignore[arg-type]
    assert [w.text for w in lines[0].words][4] == "a"
    # Word for word: "femmes" is not a marked reading of "hommes", "à" is one of "a".
    assert [w.text for w in lines[1].words][1:5] == ["hommes", "naissent", "égaux", "à"]
    assert [w.text for w in lines[2].words][4] == "à"


@given(
    st.lists(st.lists(st.text(_LATIN, min_size=1, max_size=8), min_size=1, max_size=6), max_size=6),
    st.lists(st.tuples(st.text(_LATIN, max_size=40), st.floats(0, 1)), max_size=6),
)
def test_any_reading_keeps_the_words_and_their_boxes(
    texts: list[list[str]], answers: list[tuple[str, float]]
) -> None:
    lines = [_line([t.replace(" ", "") or "x" for t in words]) for words in texts]
    # Enough marked words and function words for the page to be read again.
    lines += [_line(["Les", "égaux", "à", "être", "dans", "les", "est", "une"])]
    before = [[(w.x0, w.y0, w.x1, w.y1, w.text) for w in ln.words] for ln in lines]
    replies = iter(answers)

    def recognize(img: object, boxes: list[object], *a: object) -> list[tuple[str, float]]:
        return [next(replies, ("", 0.0)) for _ in boxes]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(diacritics, "recognize", recognize)
        changed = diacritics.read(None, lines, 1, ("eng",))  # type: ignore[arg-type]
    after = [[(w.x0, w.y0, w.x1, w.y1, w.text) for w in ln.words] for ln in lines]
    assert [len(a) for a in after] == [len(b) for b in before]
    swaps = [
        (b[4], a[4])
        for la, lb in zip(after, before, strict=True)
        for a, b in zip(la, lb, strict=True)
        if a != b
    ]
    assert len(swaps) == changed
    assert all(swap(old, new) for old, new in swaps)


def _words_with_marks(text: str) -> list[str]:
    return [w.strip(".,;:!?¿¡") for w in text.split() if marked(w)]


@pytest.mark.skipif(find_font("DejaVuSerif.ttf") is None, reason="fonts-dejavu-core")
@pytest.mark.parametrize("text", [FRENCH, GERMAN, SPANISH], ids=["fr", "de", "es"])
def test_a_page_in_a_language_with_marks_reads_them(text: str) -> None:
    page = prose_page(text.replace("\n\n", " "), height=1800)
    reading = read_image(page, 300, EngineOptions(engine="auto", reread_below=80.0))
    got = " ".join(ln for it in reading.items if isinstance(it, Paragraph) for ln in it.lines)
    got_words = {w.strip(".,;:!?¿¡") for w in unicodedata.normalize("NFC", got).split()}
    want = _words_with_marks(text)
    # Before: "à", "être", "mêmes", "français" lost their marks; "Würde", "Männer",
    # "körperliche"; "razón", "están", "política", "¿Quién".
    found = [w for w in want if w in got_words]
    assert len(found) >= len(want) - 1, sorted(set(want) - got_words)
