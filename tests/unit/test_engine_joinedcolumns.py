"""Columns of prose the recogniser ran together across a narrow gutter (``joinedcolumns.py``),
and a headline's wide word spaces (``layout._segment``), on hand-built geometry.

The pages are newspaper pages as Tesseract reads them: three justified columns a gutter of
1.4 text heights apart, the third half a line off the others' baseline grid (a heading in it
shifted it), and the first two columns' level lines read as one line each down to some row;
and a recipe's list beside its steps as Tesseract read a screenshot of it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import joinedcolumns, layout
from aigateway.ocr.engine.geometry import Line, Paragraph, Row, Table, Word

from ..support.geometry import boxed

H, PITCH, WIDTH, GUTTER, LEFT = 40, 56, 600, 55, 200
"""Text height, line pitch, column width, gutter and left margin in px (a 10 pt newspaper
column scanned at 300 DPI)."""


def _word(column: int, k: int) -> str:
    """The ``k``-th word of ``column``: unique, and telling its column and place."""
    return (
        "abc"[column] + "".join("klmnoprstuvw"[(k // 12**e) % 12] for e in range(2)) + "e" * (k % 3)
    )


def _set(words: list[str], x0: int, y: int, justified: bool) -> list[Word]:
    """Words 18 px a character, spread to the column's width when ``justified`` (the spaces
    of a line of four words grow past a text height), else 14 px apart."""
    widths = [18 * len(t) for t in words]
    space = (WIDTH - sum(widths)) / (len(words) - 1) if justified and len(words) > 1 else 14
    out, x = [], float(x0)
    for t, w in zip(words, widths, strict=True):
        out.append(Word(t, 95.0, round(x), y, round(x) + w, y + H))
        x += w + space
    return out


def newspaper(
    kinds: tuple[str, str, str], offsets: tuple[int, int, int], joined_until: int
) -> tuple[list[Line], list[list[str]]]:
    """The page's lines in Tesseract's order, and each column's words in reading order.

    ``kinds[c]``: column ``c``'s rows, ``J`` a justified line, ``S`` a paragraph's short last
    line, ``-`` blank. Above row ``joined_until`` the first two columns' level lines are one
    line each (one block: they share a baseline grid, ``offsets[1]`` 0), the third column a
    block; below it each column is a block. A
    headline in print three times the body's, its words 50 px apart, spans the first gutter
    right above the columns."""
    said: list[list[str]] = [[], [], []]
    placed: list[list[tuple[int, list[Word]]]] = [[], [], []]
    for c, rows in enumerate(kinds):
        for r, kind in enumerate(rows):
            if kind == "-":
                continue
            n = (6 if (7 * r + c) % 5 else 4) if kind == "J" else 2
            words = [_word(c, len(said[c]) + k) for k in range(n)]
            said[c] += words
            x0, y = LEFT + c * (WIDTH + GUTTER), 300 + r * PITCH + offsets[c]
            placed[c].append((r, _set(words, x0, y, kind == "J")))
    head = Line(
        [Word("Harbour", 95.0, 300, 160, 680, 280), Word("Gazette", 95.0, 730, 160, 1110, 280)],
        0,
        0,
    )
    lines = [head]
    second = dict(placed[1])
    for r, words in placed[0]:
        if r < joined_until:
            lines.append(Line(words + second.pop(r, []), 1, 1))
    lines += [Line(words, 1, 1) for r, words in sorted(second.items()) if r < joined_until]
    lines += [Line(words, 2, 2) for r, words in placed[2] if r < joined_until]
    for c in range(3):
        lines += [Line(words, 3 + c, 3 + c) for r, words in placed[c] if r >= joined_until]
    return lines, said


def _text(items: list[Paragraph | Table]) -> list[str]:
    out: list[str] = []
    for item in items:
        assert isinstance(item, Paragraph), item
        out += " ".join(item.lines).split()
    return out


KINDS = (
    "JJJJJJS-JJJJJJJJJJJJJJS-JJJJJJ",
    "JJJJJJJJJS-JJJJJJJJJJJJJS-JJJJ",
    "JJJJS-JJJJJJJJJJJJJJJJS-JJJJJJ",
)


def test_columns_run_together_are_read_one_after_the_other_down_to_the_page_foot() -> None:
    # The recogniser ran the first two columns together for 16 rows and saw the gutter below:
    # read in its order, the page went row by row across them, and the lower band of all
    # three came after the upper band's third column.
    lines, said = newspaper(KINDS, (0, 0, 28), 16)
    got = _text(layout.build_page(lines))
    assert got == ["Harbour", "Gazette", *said[0], *said[1], *said[2]]


def test_columns_run_together_over_the_whole_page_and_on_one_grid() -> None:
    lines, said = newspaper(KINDS, (0, 0, 0), 99)
    got = _text(layout.build_page(lines))
    assert got == ["Harbour", "Gazette", *said[0], *said[1], *said[2]]


def test_a_line_across_the_gutters_under_the_columns_ends_them() -> None:
    lines, said = newspaper(KINDS, (0, 0, 28), 16)
    foot = Line(
        [
            Word(t, 95.0, LEFT + 200 * k, 2080, LEFT + 200 * k + 150, 2120)
            for k, t in enumerate(
                [
                    "Printed",
                    "and",
                    "published",
                    "by",
                    "Harbour",
                    "Press",
                    "Limited",
                    "Bristol",
                    "England",
                    "2026",
                ]
            )
        ],
        9,
        9,
    )
    items = layout.build_page([*lines, foot])
    assert _text(items)[-10:] == [w.text for w in foot.words]
    assert _text(items)[:-10] == ["Harbour", "Gazette", *said[0], *said[1], *said[2]]


def test_a_headline_in_large_print_is_one_segment() -> None:
    lines, _ = newspaper(KINDS, (0, 0, 0), 99)
    row = Row([0], 160, 280)
    layout._segment(row, lines, 0.9 * H)
    assert [s[2] for s in row.segments] == ["Harbour Gazette"]
    # Body print keeps the text height's gap: a justified line's wide spaces still split it.
    body = Row([1], 300, 340)
    layout._segment(body, lines, 0.9 * H)
    assert len(body.segments) > 2


def test_continued_takes_rows_inside_the_columns_and_stops_at_a_gap_or_a_crossing() -> None:
    cols = [(200, 800), (855, 1455)]
    run = [Row([0], 100, 140, [(200, 800, "a"), (855, 1455, "b")])]
    inside = Row([1], 156, 196, [(210, 790, "a"), (860, 1460, "b")])
    crossing = Row([2], 212, 252, [(300, 1200, "x")])
    far = Row([3], 400, 440, [(200, 800, "a")])
    assert joinedcolumns.continued(run, [inside, crossing], cols, H) == 1
    assert joinedcolumns.continued(run, [inside, far], cols, H) == 1
    assert joinedcolumns.continued(run, [], cols, H) == 0


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.tuples(*[st.text("JJJJJS-", min_size=8, max_size=30)] * 3),
    offsets=st.tuples(st.just(0), st.just(0), st.integers(0, 40)),
    joined_until=st.integers(0, 30),
)
def test_any_such_page_keeps_every_word_once(
    kinds: tuple[str, str, str], offsets: tuple[int, int, int], joined_until: int
) -> None:
    lines, said = newspaper(kinds, offsets, joined_until)
    got = [w for item in layout.build_page(lines) for w in _words(item)]
    assert sorted(got) == sorted(["Harbour", "Gazette", *said[0], *said[1], *said[2]])


def _words(item: Paragraph | Table) -> list[str]:
    if isinstance(item, Paragraph):
        return " ".join(item.lines).split()
    return [w for row in item.rows for cell in row for w in cell.split()]


RECIPE = [
    boxed([("Ingredients", 75, 209, 158, 230), ("Method", 331, 211, 388, 223)], 3, 3),
    boxed(
        [
            ("• 338 g in", 100, 250, 163, 263),
            ("1.", 357, 250, 366, 260),
            ("All", 371, 250, 389, 260),
            ("other", 393, 250, 423, 261),
            ("non-permissive", 427, 250, 517, 263),
            ("additional", 521, 250, 579, 261),
            ("terms", 584, 252, 615, 261),
            ("are", 620, 253, 637, 261),
            ("considered", 641, 250, 704, 260),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 274, 104, 278),
            ("418", 115, 270, 137, 280),
            ("g", 141, 273, 148, 283),
            ("medium", 152, 270, 200, 280),
            ("provided", 204, 270, 255, 283),
            ("that", 259, 270, 281, 280),
            ("“further", 371, 270, 417, 280),
            ('restrictions"', 420, 270, 490, 280),
            ("within", 495, 270, 532, 280),
            ("the", 536, 270, 554, 280),
            ("meaning", 558, 270, 608, 283),
            ("of", 612, 270, 624, 280),
            ("section", 628, 270, 669, 280),
            ("10.", 674, 270, 691, 280),
            ("If", 695, 270, 705, 280),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 294, 104, 298),
            ("449", 115, 290, 137, 300),
            ("g", 141, 293, 148, 303),
            ("user", 152, 293, 176, 300),
            ("actually", 180, 290, 226, 303),
            ("uses", 230, 293, 255, 300),
            ("the", 371, 290, 388, 300),
            ("Program", 392, 290, 442, 303),
            ("as", 447, 293, 459, 300),
            ("you", 462, 293, 484, 303),
            ("received", 488, 290, 537, 300),
            ("it,", 542, 290, 552, 302),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 313, 104, 317),
            ("396", 115, 309, 137, 319),
            ("g", 141, 312, 148, 322),
            ("or", 152, 312, 164, 319),
            ("copying", 168, 309, 215, 322),
            ("2.", 356, 309, 366, 319),
            ("have", 371, 309, 398, 319),
            ("separately", 402, 309, 461, 322),
            ("received", 465, 309, 515, 319),
            ("it.", 519, 309, 530, 319),
            ("d)", 534, 309, 546, 322),
            ("If", 550, 308, 560, 319),
            ("the", 564, 309, 581, 319),
            ("work", 585, 309, 615, 319),
            ("has", 619, 309, 638, 319),
            ("interactive", 642, 309, 704, 319),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 333, 104, 337),
            ("156", 116, 329, 137, 339),
            ("g", 141, 332, 148, 342),
            ("for", 152, 328, 169, 339),
            ("further", 173, 328, 212, 339),
            ("conveying", 216, 329, 277, 342),
            ("user", 371, 332, 395, 339),
            ("interfaces,", 399, 328, 459, 341),
            ("each", 463, 329, 490, 339),
            ("must", 494, 331, 522, 339),
            ("display", 526, 329, 568, 342),
            ("Appropriate", 571, 329, 642, 342),
            ("Legal", 646, 329, 679, 342),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 353, 104, 357),
            ("288", 115, 349, 137, 359),
            ("g", 138, 347, 144, 364),
            ("refrain", 152, 349, 191, 359),
            ("entirely", 195, 349, 239, 362),
            ("from", 244, 349, 271, 359),
            ("Notices;", 371, 349, 418, 361),
            ("however,", 423, 349, 476, 361),
            ("if", 481, 348, 489, 359),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 373, 104, 377),
            ("334", 115, 369, 137, 379),
            ("g", 141, 372, 148, 382),
            ("foundation", 152, 369, 215, 380),
            ("either", 219, 369, 252, 380),
            ("version", 256, 369, 299, 380),
            ("3.", 356, 369, 366, 379),
            ("use", 371, 372, 390, 380),
            ("of", 394, 369, 406, 379),
            ("software", 410, 368, 460, 380),
            ("on", 464, 372, 479, 379),
            ("general-purpose", 483, 369, 576, 382),
            ("computers,", 581, 371, 644, 382),
            ("but", 649, 369, 667, 380),
            ("in", 672, 369, 683, 379),
            ("those", 687, 369, 717, 380),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("•", 100, 393, 104, 397),
            ("209", 115, 389, 137, 399),
            ("g", 139, 387, 144, 404),
            ("the", 152, 389, 169, 399),
            ("other", 174, 389, 203, 399),
            ("that", 371, 389, 392, 399),
            ("do,", 397, 389, 414, 401),
            ("we", 418, 392, 435, 399),
            ("wish", 439, 389, 466, 399),
            ("to", 470, 391, 481, 399),
            ("avoid", 486, 389, 518, 399),
            ("the", 522, 389, 539, 399),
            ("special", 544, 389, 584, 402),
            ("danger", 588, 389, 628, 402),
            ("that", 631, 389, 653, 399),
            ("patents", 657, 391, 698, 402),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("• 251 g unless", 100, 408, 188, 421),
            ("and", 192, 408, 213, 418),
            ("until", 217, 408, 243, 418),
            ("applied", 371, 408, 413, 422),
            ("to", 418, 410, 428, 418),
            ("a", 433, 411, 439, 418),
        ],
        3,
        3,
    ),
    boxed(
        [
            ("4.", 356, 428, 366, 438),
            ("the", 371, 428, 388, 438),
            ("product.", 392, 428, 440, 441),
            ('"Installation', 445, 428, 516, 438),
            ('Information"', 521, 427, 595, 438),
            ("for", 600, 427, 617, 438),
            ("a", 621, 431, 627, 438),
            ("User", 631, 428, 658, 438),
            ("Product", 663, 428, 708, 438),
        ],
        4,
        4,
    ),
]
"""A recipe printed from HTML and taken as a 96 DPI screenshot, as Tesseract read it: its
ingredients, a list, beside its method's numbered steps, each row of the two one line across
the 32 px gutter."""


def test_a_list_beside_wrapped_steps_run_together_reads_the_list_then_the_steps() -> None:
    # Read as a two-column table ("| • 418 g medium provided that | “further restrictions"
    # within ... |"), then, with the table refused, row by row across the gutter.
    items = layout.build_page(RECIPE)
    assert all(isinstance(item, Paragraph) for item in items)
    texts = [ln for item in items if isinstance(item, Paragraph) for ln in item.lines]
    flat = " ".join(texts)
    order = ["Ingredients", "• 338 g in", "• 251 g unless and until", "Method", "1. All other"]
    order += ["applied to a", "4. the product."]
    at = [flat.find(t) for t in order]
    assert -1 not in at and at == sorted(at), texts
    for amount in ("338", "418", "449", "396", "156", "288", "334", "209", "251"):
        assert any(t.startswith(f"• {amount} g") for t in texts), texts
