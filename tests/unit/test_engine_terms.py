"""Hanging-term lists (``terms.py``): read entry by entry, on geometry and on rendered pages."""

from __future__ import annotations

import re

from aigateway.ocr.engine import layout
from aigateway.ocr.engine.layout import Line, Paragraph, Table
from aigateway.ocr.engine.options import EngineOptions, PageRequest
from aigateway.ocr.engine.page import read_page
from aigateway.ocr.engine.worker import Source

from ..support.docgen_layout import png, term_list_image
from ..support.geometry import line as _line

H = 30  # text height in pixels
STEP = 45


def _desc(k: int, n: int) -> list[list[str]]:
    return [[f"d{k}l{i}", "words", "of", "the", "description"] for i in range(n)]


def _term_page(wraps: list[int]) -> tuple[list[Line], list[str]]:
    """Terms at x=100, descriptions at x=500 wrapping ``wraps[k]`` lines, as Tesseract reads
    them: a heading, the term column as one block, the descriptions as another, a closing
    paragraph. Returns the lines and the expected reading, line by line."""
    head = _line(["Arguments"], 100, 40, 0, 0)
    terms, descs, want = [], [], ["Arguments"]
    y = 120
    for k, n in enumerate(wraps):
        terms.append(_line([f"term{k}"], 100, y, 1, 1 + k))
        rows = _desc(k, n)
        for i, words in enumerate(rows):
            descs.append(_line(words, 500, y + STEP * i, 2, 10 + k))
        want.append(f"term{k} " + " ".join(rows[0]))
        want += [" ".join(r) for r in rows[1:]]
        y += STEP * n + 15
    tail = _line(["The", "closing", "paragraph", "spans", "the", "page"], 100, y + 60, 3, 50)
    return [head, *terms, *descs, tail], [*want, "The closing paragraph spans the page"]


def _read(lines: list[Line]) -> list[str]:
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    return [ln for i in items for ln in i.lines]  # type: ignore[union-attr]


def test_each_term_is_followed_by_its_description() -> None:
    lines, want = _term_page([3, 1, 2, 4])
    assert _read(lines) == want


def test_every_entry_is_a_paragraph_of_its_own() -> None:
    lines, _ = _term_page([2, 1, 3])
    items = layout.build_page(lines)
    firsts = [i.lines[0].split()[0] for i in items if isinstance(i, Paragraph)]
    assert firsts == ["Arguments", "term0", "term1", "term2", "The"]


def test_terms_whose_descriptions_never_wrap_stay_a_table() -> None:
    # No wrapped line: a two-column grid, which the table pass keeps as a table.
    lines, _ = _term_page([1, 1, 1, 1])
    items = layout.build_page(lines)
    tables = [i for i in items if isinstance(i, Table)]
    assert len(tables) == 1
    assert [r[0] for r in tables[0].rows] == ["term0", "term1", "term2", "term3"]


def test_a_single_entry_is_not_a_list() -> None:
    lines, _ = _term_page([3])
    got = _read(lines)
    assert got[1] == "term0"  # the recogniser's order stands


def test_prose_columns_ending_a_paragraph_beside_text_are_not_interleaved() -> None:
    # Two columns of prose: the left one ends a paragraph with a short line, leaves a blank
    # line, gives a short heading, then prose again. Beside the right column's text those
    # short lines look like terms; the long left lines above and below say they are prose.
    left = [_line(["alpha"] * 7, 100, 100 + STEP * r, 1, 1) for r in range(3)]
    left.append(_line(["alpha", "ends"], 100, 100 + STEP * 3, 1, 1))
    left.append(_line(["Heading"], 100, 100 + STEP * 5, 1, 2))
    left += [_line(["gamma"] * 7, 100, 100 + STEP * (6 + r), 1, 3) for r in range(3)]
    right = [_line(["omega"] * 7, 1000, 100 + STEP * r, 2, 4) for r in range(9)]
    got = _read(left + right)
    assert [ln.split()[0] for ln in got].index("omega") == len(left)  # left column first


def test_a_rendered_argument_list_reads_entry_by_entry() -> None:
    # The real engine on a 300 DPI page: Tesseract makes a block of the term column.
    entries = [
        (
            "timeout",
            "Seconds a request may wait for the upstream before the gateway answers "
            "with a clear error; the default suits most providers and may be raised.",
        ),
        (
            "retries",
            "How many times a failed request is sent again to the same upstream, "
            "with a growing pause between attempts and a limit on the total time.",
        ),
        ("endpoint", "The base address of the upstream service."),
        (
            "max.size",
            "The largest upload accepted, in bytes; bigger bodies are refused "
            "before they are read to the end, and the answer names the limit.",
        ),
    ]
    img = term_list_image("Arguments", entries, "Details follow in the next section.")
    page = read_page(
        Source("image/png", data=png(img, 300)), 0, EngineOptions(), False, PageRequest()
    )
    paras = [p for p in page.markdown.split("\n\n") if p.strip()]
    assert paras[0] == "Arguments"
    for (term, text), para in zip(entries, paras[1:], strict=False):
        words = re.findall(r"[a-z]+", para.lower())
        assert para.startswith(term), para
        assert words[-3:] == re.findall(r"[a-z]+", text.lower())[-3:], para
    assert paras[-1] == "Details follow in the next section."


def test_a_three_column_table_with_a_wrapped_cell_stays_a_table() -> None:
    # Short first cells and a wrapped last column: a grid, whose third column starts at one
    # edge in every row, not a term list.
    lines = [_line(["Options"], 100, 40, 0, 0)]
    y = 120
    for k in range(4):
        lines.append(_line([f"opt{k}"], 100, y, 1, 1 + k))
        lines.append(_line(["int"], 500, y, 2, 10 + k))
        lines.append(_line([f"d{k}", "first", "line"], 900, y, 3, 20 + k))
        lines.append(_line([f"d{k}", "wrapped", "line"], 900, y + STEP, 3, 20 + k))
        y += 2 * STEP + 15
    tables = [i for i in layout.build_page(lines) if isinstance(i, Table)]
    assert tables and [r[0] for r in tables[0].rows if r[0]] == [f"opt{k}" for k in range(4)]


def test_a_sidebars_short_lines_beside_an_article_are_not_terms() -> None:
    # A web page's sidebar (smaller print, 38 px apart) ends a paragraph with a one-word line
    # ("of"), then gives a heading and a line of tags, level with lines of the article beside
    # it. Short lines with text beside them look like terms; but the article's paragraph runs
    # on from the row above, and a list's first description starts on its term's row. Read
    # as a term list before: "of a5 omega ...", "Tags a6 omega ...".
    texts = [["beta"] * 5] * 4 + [["License", "with", "terms:", "c)"]]
    texts += [["Prohibiting", "misrepresentation"], ["of"]]
    side = [_line(t, 100, 100 + 38 * r, 2, 3, h=26) for r, t in enumerate(texts)]
    side.append(_line(["Tags"], 100, 372, 3, 4, h=26))
    side.append(_line(["licence,", "freedom,", "copyleft"], 100, 410, 3, 4, h=26))
    article = [_line([f"a{r}"] + ["omega"] * 6, 700, 100 + STEP * r, 5, 6) for r in range(11)]
    got = _read(side + article)
    assert got[: len(side)] == [" ".join(w.text for w in ln.words) for ln in side]
    assert [ln.split()[0] for ln in got[len(side) :]] == [f"a{r}" for r in range(11)]
