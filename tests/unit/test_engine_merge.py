"""Lines one of an unevenly lit page's two readings found, put into the kept one (``merge.py``)."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image

from aigateway.ocr.engine import merge
from aigateway.ocr.engine.geometry import Line, Word
from aigateway.ocr.engine.reading import Reading


def _line(text: str, x: int, y: int, block: int, conf: float = 95.0) -> Line:
    words = [
        Word(w, conf, x + 120 * k, y, x + 120 * k + 100, y + 30) for k, w in enumerate(text.split())
    ]
    return Line(words, block, block)


def _reading(lines: list[Line]) -> Reading:
    return Reading([], "tesseract", 95.0, source=[(Image.new("L", (1280, 720), 255), lines)])


def _texts(r: Reading) -> list[str]:
    return [" ".join(w.text for w in ln.words) for ln in r.source[0][1]]


POINTS = [_line("Requests wait in a bounded queue", 140, 230 + 45 * k, 2 + k) for k in range(3)]
TITLE = _line("Scaling Out Replicas", 100, 100, 1)
FOOTER = _line("Confidential page six", 1000, 620, 9, 88.0)


def test_lines_only_the_other_reading_found_are_put_in() -> None:
    # The flattened copy read the footer and lost the title on its dark bar; the page as it
    # is read the title and lost the footer. Either kept, the other's line comes in.
    flat = _reading([*POINTS, FOOTER])
    plain = _reading([TITLE, *POINTS])
    merged = merge.add_missing(flat, plain)
    assert sorted(_texts(merged)) == sorted(
        ["Scaling Out Replicas", "Confidential page six", *(_texts(_reading(POINTS)))]
    )
    assert (
        len(merge.add_missing(_reading([TITLE, *POINTS]), _reading([*POINTS, FOOTER])).source[0][1])
        == 5
    )


def test_where_both_read_something_the_kept_reading_stands() -> None:
    kept = _reading([_line("Scaling Out Replicas", 100, 100, 1), *POINTS])
    other = _reading([_line("Sca1ing 0ut Rep1icas now", 100, 104, 1), *POINTS])
    assert _texts(merge.add_missing(kept, other))[0] == "Scaling Out Replicas"
    assert len(kept.source[0][1]) == 4


def test_doubtful_lines_and_readings_of_another_position_are_not_put_in() -> None:
    noise = _line("iii lil ii", 100, 600, 7, 30.0)  # a texture read as glyphs
    assert len(merge.add_missing(_reading(list(POINTS)), _reading([noise])).source[0][1]) == 3
    # Levelled or turned otherwise, the other reading's boxes are another page's.
    turned = replace(_reading([TITLE]), rotation=180)
    assert len(merge.add_missing(_reading(list(POINTS)), turned).source[0][1]) == 3
    levelled = replace(_reading([TITLE]), levelled=0.8)
    assert len(merge.add_missing(_reading(list(POINTS)), levelled).source[0][1]) == 3
