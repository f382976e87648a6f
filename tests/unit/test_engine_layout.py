"""The layout pass, tables, image extraction, DPI reporting and second chances of the local engine.

Pure parts (``layout.build_page``, ``tables``, ``local_pages.to_pages``) get geometry and
property tests; page reading runs in-process (the same code the workers run) on rendered pages.
"""

from __future__ import annotations

import base64
import io
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from aigateway.ocr.engine import layout, prose, tables
from aigateway.ocr.engine.layout import Line, Paragraph, Table, Word
from aigateway.ocr.engine.options import EngineOptions, PageImage, PageRequest, PageResult
from aigateway.ocr.engine.page import ASSUMED_DPI, read_page
from aigateway.ocr.engine.worker import Source
from aigateway.ocr.providers.local_pages import to_pages

from ..support.docgen import render_text
from ..support.docgen_layout import figure_pdf, noisy_png, png, table_image, two_column_image
from ..support.geometry import boxed
from ..support.geometry import line as _line

ROWS = [
    ["Name", "Type", "Default"],
    ["timeout", "seconds", "180"],
    ["retries", "integer", "2"],
    ["endpoint", "url", "none"],
    ["verbose", "boolean", "false"],
]
LEFT = (
    "Columns of running text are read one after the other, the left column first, "
    "because readers finish a column before they start the next one on the page."
)
RIGHT = (
    "The right column continues the article with different words about gardens, "
    "rivers and mountains so that an interleaved reading would be easy to detect."
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def read(data: bytes, media_type: str = "image/png", **req: Any) -> PageResult:
    return read_page(Source(media_type, data=data), 0, EngineOptions(), False, PageRequest(**req))


# --- the layout pass on geometry --------------------------------------------------------------


def test_a_table_read_column_by_column_comes_back_row_by_row() -> None:
    # What Tesseract does to a table: each column is a block, blocks in column order.
    lines = [_line(["Intro", "sentence", "here"], 100, 40, 1, 1)]
    for c in range(3):
        for r, row in enumerate(ROWS):
            lines.append(_line([row[c]], 100 + 400 * c, 120 + 60 * r, 2 + c, 2 + c * 10 + r))
    items = layout.build_page(lines)
    assert isinstance(items[0], Paragraph)
    table = items[1]
    assert isinstance(table, Table)
    assert [list(r) for r in table.rows] == ROWS
    assert len(items) == 2


def test_a_table_met_first_is_still_placed_below_the_text_above_it() -> None:
    # Tesseract's block order can start with the table (block numbering shifts with small
    # changes in the image): the table still belongs under the heading and before the text
    # below it, where the page shows it.
    lines = []
    for c in range(3):
        for r, row in enumerate(ROWS):
            lines.append(_line([row[c]], 100 + 400 * c, 220 + 60 * r, 1 + c, 1 + c * 10 + r))
    lines.append(_line(["Page", "heading"], 100, 40, 5, 50))
    lines.append(_line(["Intro", "sentence", "here"], 100, 120, 6, 51))
    lines.append(_line(["Closing", "words", "below"], 100, 600, 7, 52))
    items = layout.build_page(lines)
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Paragraph", "Paragraph", "Table", "Paragraph"]
    assert [list(r) for r in items[2].rows] == ROWS  # type: ignore[union-attr]
    assert items[0].lines == ("Page heading",)  # type: ignore[union-attr]
    assert items[3].lines == ("Closing words below",)  # type: ignore[union-attr]


def _pieces(texts: list[str], y: int, blocks: list[int]) -> list[Line]:
    """One visual row cut by the recogniser into one line per block, narrow gaps between."""
    out, x = [], 100
    for t, b in zip(texts, blocks, strict=True):
        out.append(_line(t.split(), x, y, b, b))
        x = out[-1].x1 + 14
    return out


def test_a_list_cut_into_blocks_side_by_side_reads_row_by_row() -> None:
    # "struct nettle_hash nettle_md5 [Constant Struct]": Tesseract makes a block of each
    # column and reads each block down before the next; the rows have no wide gaps, so they
    # are no grid, and the page must still read as the rows it shows.
    names = ["nettle_md2", "nettle_md4", "nettle_md5", "nettle_ripemd160"]
    rows = [["struct", "nettle_hash", n, "[Constant Struct]"] for n in names]
    by_row = [_pieces(r, 200 + 45 * k, [1, 2, 3, 4]) for k, r in enumerate(rows)]
    lines = [_line(["Hash", "functions"], 100, 100, 0, 0)]
    lines += [by_row[k][c] for c in range(4) for k in range(len(rows))]  # column-major
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    got = [ln for i in items for ln in i.lines]  # type: ignore[union-attr]
    assert got == ["Hash functions", *[" ".join(r) for r in rows]]


def test_a_receipt_s_totals_after_a_blank_line_read_beside_their_labels() -> None:
    # Items and amounts in two blocks, then after a blank line two totals, their labels in
    # one block and their amounts in another, read after the footer: too few rows for a
    # grid, they still read row by row, as do a lone row's label and amount.
    lines = [_line(["Flat", "white"], 40, 100, 1, 1), _line(["Water"], 40, 160, 1, 1)]
    lines += [_line(["TOTAL"], 40, 300, 2, 2), _line(["CARD"], 40, 360, 2, 2)]
    lines += [_line(["28/11/2026"], 40, 480, 3, 3)]
    lines += [_line(["3.20"], 400, 100, 4, 4), _line(["1.10"], 400, 160, 4, 4)]
    lines += [_line(["4.30"], 400, 300, 5, 5), _line(["4.30"], 400, 360, 5, 5)]
    text = [ln for i in layout.build_page(lines) for ln in getattr(i, "lines", ())]
    assert text.index("TOTAL 4.30") < text.index("CARD 4.30") < text.index("28/11/2026")
    lone = [_line(["Total"], 40, 100, 1, 1), _line(["Thanks"], 40, 220, 2, 2)]
    lone += [_line(["229."], 400, 100, 3, 3), _line(["29"], 400 + 72 + 10, 100, 4, 4)]
    text = [ln for i in layout.build_page(lone) for ln in getattr(i, "lines", ())]
    # The amount's halves, a typewriter point apart, are one number again.
    assert text == ["Total 229.29", "Thanks"]


def test_halves_of_a_number_join_only_as_a_number_and_only_close() -> None:
    from aigateway.ocr.engine.geometry import join_words

    def two(a: str, b: str, gap: int, same: bool = False) -> str:
        left = Word(a, 90.0, 0, 0, 18 * len(a), 30)
        right = Word(b, 90.0, left.x1 + gap, 0, left.x1 + gap + 18 * len(b), 30)
        return join_words([(left, 0), (right, 0 if same else 1)], 30.0)

    assert two("67.", "18", 10) == "67.18"
    assert two("13", ".73", 10) == "13.73"
    assert two("67.", "18", 20) == "67. 18"  # two words, a space apart
    assert two("67.", "18", 10, same=True) == "67. 18"  # the recogniser's own word break
    assert two("p.", "18", 10) == "p. 18"
    assert two("1.5.", "2", 10) == "1.5. 2"


def test_prose_columns_with_a_narrow_gutter_keep_column_order() -> None:
    # Long lines in two blocks side by side are columns of text, not a list cut into blocks.
    # (A gutter of 0.6 text heights, narrower than any typeset one: within a word space and
    # a tenth of a text height, the two blocks would be pieces of one line, pieces.py.)
    left = [_line(["alpha"] * 7, 100, 100 + 45 * r, 1, 1) for r in range(8)]
    right = [_line(["omega"] * 7, left[r].x1 + 18, 100 + 45 * r, 2, 2) for r in range(8)]
    items = layout.build_page(left + right)
    first = [i.lines[0].split()[0] for i in items if isinstance(i, Paragraph)]
    assert first == ["alpha", "omega"]


def test_two_columns_of_prose_stay_paragraphs_in_column_order() -> None:
    lines = []
    for r in range(12):
        lines.append(_line(["alpha"] * 8, 100, 100 + 45 * r, 1, 1))
    for r in range(12):
        lines.append(_line(["omega"] * 8, 1000, 100 + 45 * r, 2, 2))
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)
    assert [i.lines[0].split()[0] for i in items if isinstance(i, Paragraph)] == ["alpha", "omega"]


def test_a_heading_above_a_table_is_not_a_row() -> None:
    # "Attributes" sits between the columns below it, as a section title does.
    lines = [_line(["2.3"], 100, 40, 1, 1), _line(["Attributes"], 260, 40, 1, 1)]
    for r, row in enumerate(ROWS):
        lines.append(_line(row, 100, 100 + 50 * r, 2, 2 + r))
        # Wide gaps between cells: re-place the words on a grid.
        lines[-1].words[:] = [
            Word(t, 95.0, 100 + 350 * c, 100 + 50 * r, 100 + 350 * c + 18 * len(t), 130 + 50 * r)
            for c, t in enumerate(row)
        ]
    items = layout.build_page(lines)
    tbl = [i for i in items if isinstance(i, Table)]
    assert len(tbl) == 1
    assert [list(r) for r in tbl[0].rows] == ROWS


# Tesseract's lines for an invoice's table (a 200 DPI JPEG): a header of centred cells over a
# column of descriptions and three of right-aligned numbers, the header one line of its own.
INVOICE_TABLE = [
    boxed([("Description", 404, 620, 558, 657), ("Qty", 869, 620, 918, 657)], 1),
    boxed([("Unit", 1048, 620, 1110, 657), ("price", 1120, 620, 1180, 657)], 1),
    boxed([("Amount", 1358, 620, 1469, 657)], 1),
    *(
        boxed(
            [
                (desc, 151, y, 151 + 16 * len(desc), y + 28),
                (qty, 951 - 15 * len(qty), y, 951, y + 28),
                (price, 1251 - 15 * len(price), y, 1251, y + 28),
                (amount, 1551 - 15 * len(amount), y, 1551, y + 28),
            ],
            2,
        )
        for desc, qty, price, amount, y in [
            ("Harbour fees", "3", "335.32", "1,005.96", 690),
            ("Quay permits", "16", "998.40", "15,974.40", 754),
            ("Ferry tickets", "16", "855.05", "13,680.80", 819),
            ("Parking", "7", "124.02", "868.14", 879),
            ("Lighting", "1", "511.93", "511.93", 948),
        ]
    ),
]


@pytest.mark.parametrize("longest", ["Corresponding services", "Ferry tickets"])
def test_a_header_centred_over_right_aligned_numbers_heads_its_table(longest: str) -> None:
    # "Qty" stands left of the quantities under it and overlaps none: its column, used by no
    # other row, had the header trimmed off as a heading and printed above the table. Over
    # short descriptions, "Description" overlaps none of them either.
    lines = [ln for ln in INVOICE_TABLE]
    lines[5] = Line(
        [Word(longest, 95.0, 151, 819, 151 + 16 * len(longest), 847), *lines[5].words[1:]], 2, 2
    )
    (table,) = [i for i in layout.build_page(lines) if isinstance(i, Table)]
    assert table.rows[0] == ("Description", "Qty", "Unit price", "Amount"), table.rows
    assert table.rows[1] == ("Harbour fees", "3", "335.32", "1,005.96"), table.rows
    assert len(table.rows) == 6


_word = st.builds(
    lambda t, x, y, w, h: (t, x, y, w, h),
    st.text(alphabet="abcxyz019|", min_size=1, max_size=6),
    st.integers(0, 3000),
    st.integers(0, 3000),
    st.integers(1, 400),
    st.integers(1, 80),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_word, min_size=1, max_size=6), max_size=25), st.integers(1, 4))
def test_layout_keeps_every_word_exactly_once(raw: list[list[Any]], blocks: int) -> None:
    # Characters, not words: words of two lines that touch are joined into one (a glyph the
    # recogniser cut off into a block of its own), but nothing is lost or written twice.
    lines = [
        Line([Word(t, 90.0, x, y, x + w, y + h) for t, x, y, w, h in ws], i % blocks, i)
        for i, ws in enumerate(raw)
    ]
    got: Counter[str] = Counter()
    for item in layout.build_page(lines):
        if isinstance(item, Table):
            assert len({len(r) for r in item.rows}) == 1  # rectangular
            got.update(ch for r in item.rows for c in r for ch in c.replace(" ", ""))
        else:
            got.update(ch for ln in item.lines for ch in ln.replace(" ", ""))
    assert got == Counter(ch for ln in lines for w in ln.words for ch in w.text)


def test_table_rendering_escapes_and_formats() -> None:
    rows = [["a|b", "c"], ["<x>", "d & e"]]
    assert tables.to_markdown(rows) == "| a\\|b | c |\n|---|---|\n| <x> | d & e |"
    assert tables.to_html(rows) == (
        "<table><tr><th>a|b</th><th>c</th></tr><tr><td>&lt;x&gt;</td><td>d &amp; e</td></tr>"
        "</table>"
    )
    assert tables.table_id(3, "html") == "tbl-3.html"
    assert tables.placeholder("tbl-0.md") == "[tbl-0.md](tbl-0.md)"


# --- pages read in-process --------------------------------------------------------------------


def _table_rows(markdown: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "aligned"])
def test_a_rendered_table_comes_out_as_a_markdown_table(ruled: bool) -> None:
    page = read(png(table_image(ROWS, ruled=ruled), dpi=200))
    assert _table_rows(page.markdown) == ROWS
    assert page.markdown.index("Table of results") < page.markdown.index("| Name")
    assert page.markdown.rstrip().endswith("The end of the page.")
    assert page.tables == ()


def test_table_format_html_moves_the_table_out() -> None:
    page = read(png(table_image(ROWS), dpi=200), table_format="html")
    assert "[tbl-0.html](tbl-0.html)" in page.markdown
    assert "|" not in page.markdown
    (t,) = page.tables
    assert t.format == "html"
    assert t.content.startswith("<table><tr><th>Name</th><th>Type</th><th>Default</th></tr>")
    assert t.content.count("<tr>") == len(ROWS)


def test_two_column_page_is_read_column_by_column() -> None:
    page = read(png(two_column_image(LEFT, RIGHT), dpi=200))
    assert "|" not in page.markdown
    got = words(page.markdown)
    assert got == words(LEFT) + words(RIGHT)


def test_text_on_a_noisy_grey_background_is_read() -> None:
    text = "Clean text on a noisy grey background must still be read by the engine."
    page = read(noisy_png(text))
    assert words(page.markdown) == words(text)
    assert page.method == "ocr"
    assert page.engine in ("tesseract", "rapidocr")


def test_grain_is_told_from_clean_and_compressed_pages() -> None:
    from aigateway.ocr.engine import preprocess

    text = "A page of ordinary text, enough of it to fill the middle of the sample. " * 12
    clean = render_text(text, size=36)
    assert not preprocess.grainy(clean)
    assert not preprocess.grainy(Image.open(io.BytesIO(_jpeg(clean, 15))))
    assert preprocess.grainy(Image.open(io.BytesIO(noisy_png(text, size=36))).convert("L"))
    assert not preprocess.grainy(Image.new("L", (3, 3), 255))


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.mark.parametrize("size", [(1, 1), (3, 900), (1700, 2200)], ids=["1x1", "sliver", "a4"])
def test_blank_images_are_empty_pages_not_errors(size: tuple[int, int]) -> None:
    page = read(png(Image.new("L", size, 255)))
    assert page.markdown == ""
    assert (page.dpi, page.dpi_source) == (ASSUMED_DPI, "assumed")


def test_dpi_is_the_tag_or_an_estimate_never_a_made_up_300() -> None:
    img = table_image(ROWS, size=36)
    tagged = read(png(img, dpi=150))
    assert (tagged.dpi, tagged.dpi_source) == (150, "metadata")
    untagged = read(png(img))
    assert untagged.dpi_source == "estimated"
    # 36 px type whose line boxes are ~30-45 px tall, taken as 11 pt: about 200-300 DPI.
    assert 150 <= untagged.dpi <= 320
    assert untagged.dpi % 10 == 0


# --- images in PDFs ---------------------------------------------------------------------------


def _picture() -> Image.Image:
    img = Image.new("L", (320, 200), 200)
    img.paste(0, (40, 40, 280, 160))
    return img


def test_embedded_picture_is_extracted_with_integer_box_and_placeholder() -> None:
    data = figure_pdf("A figure follows this sentence.", _picture(), box=(100, 300, 160, 100))
    src = Source("application/pdf", data=data)
    page = read_page(src, 0, EngineOptions(dpi=200), False, PageRequest(include_images=True))
    assert page.method == "text_layer"
    (im,) = page.images
    # 160 x 100 pt at 200 DPI; PDF y=300..400 from the bottom of an 842 pt page.
    scale = 200 / 72
    assert (im.x0, im.x1) == (round(100 * scale), round(260 * scale))
    assert (im.y0, im.y1) == (round((842 - 400) * scale), round((842 - 300) * scale))
    assert im.jpeg is not None
    assert Image.open(io.BytesIO(im.jpeg)).size == (320, 200)
    assert page.markdown == "A figure follows this sentence.\n\n![img-0.jpeg](img-0.jpeg)"
    plain = read_page(src, 0, EngineOptions(dpi=200), False, PageRequest())
    assert plain.images == ()
    assert plain.markdown == "A figure follows this sentence."
    small = PageRequest(include_images=True, image_min_size=1000)
    assert read_page(src, 0, EngineOptions(dpi=200), False, small).images == ()


def test_images_and_tables_are_numbered_across_the_document() -> None:
    def result(n_images: int, tables_: int) -> PageResult:
        from aigateway.ocr.engine.options import PageTable

        parts = [f"![img-{i}.jpeg](img-{i}.jpeg)" for i in range(n_images)]
        md = "\n\n".join(parts + [f"[tbl-{i}.md](tbl-{i}.md)" for i in range(tables_)])
        return PageResult(
            markdown=md,
            dpi=200,
            width=10,
            height=10,
            method="ocr",
            engine="tesseract",
            images=tuple(PageImage(i, 0, 0, 5, 5, b"\xff\xd8") for i in range(n_images)),
            tables=tuple(PageTable(i, "| a |", "markdown") for i in range(tables_)),
        )

    req = PageRequest(table_format="markdown", include_images=True, image_limit=3)
    pages = to_pages([4, 7], [result(2, 1), result(2, 1)], req)
    assert [i.id for i in pages[0].images] == ["img-0.jpeg", "img-1.jpeg"]
    assert [i.id for i in pages[1].images] == ["img-2.jpeg"]  # image_limit=3 overall
    assert pages[1].markdown == "![img-2.jpeg](img-2.jpeg)\n\n[tbl-1.md](tbl-1.md)"
    assert pages[1].tables == [{"id": "tbl-1.md", "content": "| a |", "format": "markdown"}]
    data = pages[0].images[0].image_base64
    assert isinstance(data, str)
    assert base64.b64decode(data.split(",", 1)[1]) == b"\xff\xd8"
    assert pages[0].reading is not None


def test_sideways_pages_are_told_from_upright_skewed_and_grainy_ones() -> None:
    from aigateway.ocr.engine.orientation import sideways

    text = "Lines of ordinary prose run across the page, one under another, as usual. " * 30
    page = render_text(text, size=30, min_height=2200)
    for turn in (90, 270):
        assert sideways(page.rotate(turn, expand=True))
    for upright in (
        page,
        page.rotate(180),
        page.rotate(4, expand=True, fillcolor=255),
        page.rotate(-4, expand=True, fillcolor=255),
        Image.open(io.BytesIO(noisy_png(text, size=30))).convert("L"),
    ):
        assert not sideways(upright)
    assert not sideways(Image.new("L", (1700, 2200), 255))
    assert not sideways(Image.new("L", (3, 3), 0))


def test_vertical_lines_are_recognised_as_such() -> None:
    across = [_line(["one", "row", "of", "words"], 100, 100 + 40 * i, 1, i) for i in range(4)]
    assert not layout.vertical(across)
    # Word boxes of a page Tesseract read turned 90 degrees (bench corpus, SISCone p82).
    down = [
        Line(
            [Word("4.13", 91.0, 3302, 296, 3330, 366), Word("Class", 91.0, 3295, 379, 3331, 957)],
            1,
            1,
        ),
        Line([Word("65", 91.0, 3302, 2145, 3330, 2184)], 2, 2),
        Line(
            [Word("4.13.3.7", 91.0, 3171, 296, 3199, 429), Word("op", 91.0, 3164, 468, 3199, 665)],
            4,
            4,
        ),
        Line(
            [Word("const", 91.0, 3038, 298, 3058, 391), Word("v", 91.0, 3033, 417, 3059, 632)], 5, 5
        ),
    ]
    assert layout.vertical(down)
    assert not layout.vertical([])


def test_list_bullets_come_back_as_bullets_and_letters_stay_letters() -> None:
    items = [
        "\u2022 The first item of the list is here.",
        "\u2022 The second item follows it.",
        "e mail is how the third line starts.",
        "o the fourth line starts with a letter too.",
        "\u2022 The last item ends the list.",
    ]
    page = read(png(render_text("\n\n".join(items), size=36), dpi=200))
    starts = [ln.split()[0] for ln in page.markdown.splitlines() if ln.strip()]
    assert starts == ["\u2022", "\u2022", "e", "o", "\u2022"]


def test_a_line_starting_with_the_word_a_keeps_it() -> None:
    # In 30 px DejaVu Sans an "a" fills over 60 % of its box, as much as a bullet must: a
    # justified paper's line starting "a time." came back as "• time.".
    from PIL import ImageDraw

    from aigateway.ocr.engine import bullets

    from ..support.docgen import font

    page = Image.new("L", (200, 80), 255)
    draw = ImageDraw.Draw(page)
    draw.text((20, 20), "a time.", font=font(30), fill=0)
    x0, y0, x1, y1 = draw.textbbox((20, 20), "a", font=font(30))
    ink = page.crop((x0, y0, x1, y1)).point(lambda v: 255 if v < 128 else 0).getbbox()
    assert ink is not None
    box = (x0 + ink[0], y0 + ink[1], x0 + ink[2], y0 + ink[3])
    assert bullets.filled_disc(page, box, 23)  # by its ink alone, a bullet
    line = Line(
        [Word("a", 95.0, *box), Word("time.", 95.0, box[2] + 20, box[1] - 7, 190, box[3])], 1, 1
    )
    bullets.restore([line], page)
    assert line.words[0].text == "a"


@pytest.mark.parametrize("angle", [-4.0, -2.5, 1.5, 3.0])
def test_a_skewed_page_is_levelled_before_reading(angle: float) -> None:
    from aigateway.ocr.engine import deskew

    text = "Lines of ordinary prose run across the page, one under another, as usual. " * 20
    page = render_text(text, size=30, min_height=2200)
    skewed = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    assert deskew.skew_angle(skewed) == pytest.approx(-angle, abs=0.2)
    assert deskew.straighten(page)[1] == 0.0
    assert deskew.skew_angle(Image.new("L", (1700, 2200), 255)) == 0.0
    read_back = words(read(png(skewed, dpi=200)).markdown)
    assert read_back == words(text)


def test_a_table_with_padded_cells_is_a_table() -> None:
    # Word boxes as Tesseract gave them for a ruled table of 36 px figures set 100 px apart
    # (2.6 text heights of blank between rows): read as one paragraph of numbers before.
    rows = [["Region", "Q1", "Q2", "Q3", "Q4"]]
    rows += [[f"R{i}", *(str(100 + 7 * i + 13 * j) for j in range(4))] for i in range(6)]
    lines = []
    for i, row in enumerate(rows):
        words = [
            Word(c, 95.0, 120 + 420 * j, 223 + 100 * i, 180 + 420 * j, 249 + 100 * i)
            for j, c in enumerate(row)
        ]
        lines.append(Line(words, 1, 1))
    items = layout.build_page(lines)
    assert len(items) == 1 and isinstance(items[0], layout.Table), items
    assert [list(r) for r in items[0].rows] == rows


def test_paragraphs_a_padded_table_apart_stay_paragraphs() -> None:
    # Two-word lines 3 text heights apart, whose words do not fall into columns.
    lines = [
        _line(["alpha", "beta"] if k % 2 else ["gamma"] * 3, 100 + 37 * k, 100 + 100 * k, k, k)
        for k in range(6)
    ]
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items)


def _ragged_columns(columns: int, rows: int, wrap: bool) -> list[Line]:
    """``columns`` columns of ragged-right lines on one baseline grid (rows level across the
    page, as in a newspaper). ``wrap``: each line ended because the next line's first word
    ("harbour", 7 characters) would not fit in the 546 px column; else the lines are short
    cells with room to spare."""
    lines = []
    for c in range(columns):
        for r in range(rows):
            # 6 and 4 words in turn: 546 and 378 px, half the lines under 80 % of the width.
            n = 6 if r % 2 else 4
            texts = ["harbour", *(["plan"] * (n - 1))] if wrap else ["cell", "text", "here"]
            ln = _line(texts, 100 + 700 * c, 100 + 45 * r, c + 1, c + 1)
            lines.append(ln)
    return lines


def test_ragged_right_columns_level_row_for_row_are_prose_not_a_table() -> None:
    # A newspaper's columns share a baseline grid, so they line up row for row like a table's
    # cells; their lines end where the next line's first word would not have fitted.
    lines = _ragged_columns(3, 12, wrap=True)
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items), items
    assert [i.lines[0].split()[0] for i in items if isinstance(i, Paragraph)] == ["harbour"] * 3


def test_a_justified_line_stretched_past_the_cell_gap_stays_a_line_of_its_column() -> None:
    # A scanned two-column paper: a narrow column's justified line of six words, its spaces
    # stretched to 53 px (past the 27 px gap that splits a row into cells), beside full lines,
    # a paragraph's short last line and a heading. Read as a two-column table before, the
    # stretched line's words its cells.
    left = [_line(["alpha"] * 8, 100, 100 + 45 * r, 1, 1) for r in range(6)]
    stretched = [("omegas", 1000 + 143 * k, 100, 1090 + 143 * k, 130) for k in range(6)]
    right = [boxed(stretched, 2)]
    right += [_line(["omega"] * 8, 1000, 100 + 45 * r, 2, 2) for r in (1, 2)]
    right.append(_line(["omega"] * 6, 1000, 235, 2, 2))
    right.append(_line(["2", "Method"], 1000, 325, 3, 3))
    items = layout.build_page(left + right)
    assert all(isinstance(i, Paragraph) for i in items), items
    assert items[0].lines == tuple(["alpha " * 7 + "alpha"] * 6)  # type: ignore[union-attr]


def test_evenly_spaced_cells_wider_apart_than_they_are_wide_are_not_one_line() -> None:
    # The stretched-line rule's limit: a row of four month names 200 px apart in a table's
    # column band is four cells, however even the gaps.
    months = [(m, 1000 + 260 * k, 100, 1060 + 260 * k, 130) for k, m in enumerate("ABCD")]
    assert not prose.stretched([(x0, x1, t) for t, x0, _, x1, _ in months])
    words = [(t, 1000 + 143 * k, 100, 1090 + 143 * k, 130) for k, t in enumerate("ABCDEF")]
    assert prose.stretched([(x0, x1, t) for t, x0, _, x1, _ in words])


def test_a_column_running_on_from_a_paragraph_above_or_below_is_told() -> None:
    # prose.continued: a column's line on a row and the column's nearest line beyond it (on
    # whatever row, under the gap) of one recognised paragraph. Another paragraph, or a line
    # further off, is a column that starts (or ends) there, as a table's does.
    lines = [
        _line(["omega"] * 6, 700, 100, 5, 8),  # the paragraph's line above the row
        _line(["of"], 100, 138, 2, 3, h=26),
        _line(["omega"] * 6, 700, 145, 5, 8),  # the row's line in the column
        _line(["omega"] * 6, 700, 190, 5, 9),  # a new paragraph below
    ]
    row = layout.Row([1, 2], 138, 175)
    assert prose.continued(row, lines, 700, 18, 60)
    assert not prose.continued(row, lines, 700, 18, 60, below=True)
    assert not prose.continued(row, lines, 700, 18, 5)  # the line above is too far off
    assert not prose.continued(row, lines, 100, 18, 60)  # nothing above in that column


def test_columns_of_short_cells_with_room_to_spare_stay_a_table() -> None:
    lines = _ragged_columns(3, 6, wrap=False)
    items = layout.build_page(lines)
    assert any(isinstance(i, Table) for i in items), items


def test_narrow_columns_of_prose_level_row_for_row_are_prose_not_a_table() -> None:
    # A newsletter's four columns: 3-4 words a line (under PROSE_WORDS), every line ended
    # because the next one's first word would not have fitted. Read as a 4-column table before.
    lines = []
    for c in range(4):
        for r in range(14):
            texts = ["harbour", "plan", "plan", "plan"] if r % 2 else ["harbour", "plan", "plan"]
            lines.append(_line(texts, 100 + 500 * c, 100 + 45 * r, c + 1, c + 1))
    items = layout.build_page(lines)
    assert all(isinstance(i, Paragraph) for i in items), items
    assert len(items) == 4


def test_narrow_columns_of_phrases_with_room_to_spare_stay_a_table() -> None:
    # The same grid of 3-word cells, but cells of a table: their lengths vary, and most
    # leave room for the next cell's first word.
    cells = [["Total", "amount", "due"], ["Net", "price", "per", "unit"], ["Tax", "rate"]]
    cells += [["Discount", "on", "order"]]
    lines = []
    for r in range(14):
        words = [_line(cells[(r + c) % 4], 100 + 500 * c, 100 + 45 * r, 1, 1) for c in range(4)]
        lines.append(Line([w for ln in words for w in ln.words], 1, 1))
    items = layout.build_page(lines)
    assert any(isinstance(i, Table) for i in items), items


@pytest.mark.parametrize(
    ("firsts", "columns", "table"),
    [
        (["8", "9", "10", "11", "12"], 2, False),  # a listing's line numbers
        (["120", "45", "300", "7", "88"], 2, True),  # a column of figures
        (["1", "2", "3", "4", "5"], 3, True),  # a table with a row number column
    ],
)
def test_lines_numbered_in_the_margin_are_not_a_two_column_table(
    firsts: list[str], columns: int, table: bool
) -> None:
    # Indented code stands a wide gap off its line numbers, so each row splits in two.
    lines = []
    for r, first in enumerate(firsts):
        words = [_line([first], 100, 100 + 45 * r, 1, 1)]
        words.append(_line(["self.items", "=", "[]"], 400, 100 + 45 * r, 1, 1))
        if columns == 3:
            words.append(_line(["3.50"], 1000, 100 + 45 * r, 1, 1))
        lines.append(Line([w for ln in words for w in ln.words], 1, 1))
    items = layout.build_page(lines)
    assert any(isinstance(i, Table) for i in items) == table, items


FAX = (
    "The committee reviewed the annual accounts and found them in good order. The treasurer "
    "reported that income from membership fees rose by twelve percent this year."
)


@pytest.mark.parametrize("mode", ["standard", "fine"])
def test_a_fax_with_oblong_pixels_is_read_at_square_pixels(mode: str) -> None:
    # A fax in standard mode is 204 x 98 DPI: its glyphs come out half as tall as they are
    # wide in pixels ("cormmittee", "frorm"). Read at square pixels, at the finer resolution.
    # Fine mode (204 x 196) is square within 10 %, and read as it is.
    page = render_text(" ".join([FAX] * 3), size=30, width=1728)
    ydpi = 98 if mode == "standard" else 196
    sent = page.resize((page.width, round(page.height * ydpi / 204))).convert("1")
    buf = io.BytesIO()
    sent.save(buf, format="TIFF", compression="group3", dpi=(204, ydpi))
    got = read(buf.getvalue(), "image/tiff")
    assert (got.dpi, got.dpi_source) == (204, "metadata")
    want = page.height if mode == "standard" else sent.height
    assert abs(got.height - want) <= 2, (got.height, want)
    assert words(got.markdown).count("committee") == 3, got.markdown
    assert sum(w in words(got.markdown) for w in words(FAX)) >= 0.95 * len(words(FAX))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_an_exif_orientation_is_honoured_in_every_format_that_carries_it(fmt: str) -> None:
    # A page stored sideways with orientation 6 ("turn 90 degrees clockwise to show"), as a
    # phone writes it; PNG (eXIf), WebP and TIFF carry the tag as JPEG does. The TIFF is a fax
    # at 98 x 204 DPI as stored, 204 x 98 once turned: squared at 204 after the turn.
    page = render_text(" ".join([FAX] * 2), size=30, width=1400)
    stored = page.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    kw: dict[str, Any] = {"exif": exif.tobytes()}
    if fmt == "TIFF":
        stored = stored.resize((round(stored.width * 98 / 204), stored.height))
        kw = {"tiffinfo": {0x0112: 6}, "dpi": (98, 204)}
    elif fmt == "WEBP":
        kw["lossless"] = True
    buf = io.BytesIO()
    stored.save(buf, format=fmt, **kw)
    got = read(buf.getvalue(), f"image/{fmt.lower()}")
    assert abs(got.width - page.width) <= 2 and abs(got.height - page.height) <= 2, got
    if fmt == "TIFF":
        assert got.dpi == 204, got.dpi
    assert words(got.markdown).count("committee") == 2, got.markdown


def _article_with_sidebar(pitch: int) -> list[Line]:
    """A wrapped article (block 1, lines 45 px apart, each ending where the next line's first
    word, "harbour", would not fit) and a sidebar of short items ``pitch`` px apart beside it,
    each item a block of its own (as Tesseract read a web page)."""
    lines = []
    for r in range(10):
        n = 8 if r % 2 else 6
        lines.append(_line(["harbour", *(["plan"] * (n - 1))], 100, 100 + 45 * r, 1, 1))
    for k in range(4):
        lines.append(_line(["related", "item"], 1000, 100 + 45 * 2 + pitch * k, 2 + k, 2 + k))
    return lines


@pytest.mark.parametrize("pitch", [60, 100])
def test_an_article_with_a_sidebar_is_read_article_first_not_as_a_table(pitch: int) -> None:
    # Items 60 or 100 px apart beside lines 45 px apart stand level with a line now and then:
    # the rows where both stand were read stack by stack (sides.py), the sidebar's first
    # items in the middle of the article. Tesseract had kept them apart.
    items = layout.build_page(_article_with_sidebar(pitch))
    assert all(isinstance(i, Paragraph) for i in items), items
    first = [i.lines[0] for i in items if isinstance(i, Paragraph)]
    assert first[0].startswith("harbour") and len(items[0].lines) == 10, items  # type: ignore[union-attr]
    assert all(f == "related item" for f in first[1:]), first


@pytest.mark.parametrize("x", [700, 100])
def test_the_wrapped_end_of_a_tables_last_cell_stays_in_the_table(x: int) -> None:
    # Description cells wrap onto a second line under their own column; after the last row
    # that line was read as a paragraph below the table. A paragraph starting at the left
    # margin (x = 100) below the table is not part of it.
    lines = []
    rows = [["timeout", "30", "How", "long", "to", "wait"], ["retries", "2", "How", "often"]]
    rows += [["max_pages", "1000", "The", "largest", "number", "of", "pages"]]
    for r, cells in enumerate(rows):
        y = 100 + 90 * r
        lines.append(_line(cells[:1], 100, y, 1, 1))
        lines.append(_line(cells[1:2], 450, y, 2, 2))
        lines.append(_line(cells[2:], 700, y, 3, 3))
        if r == 1:
            lines.append(_line(["with", "backoff."], 700, y + 45, 3, 3))
    lines.append(_line(["refused", "before", "reading."], x, 100 + 90 * 2 + 45, 4, 4))
    items = layout.build_page(lines)
    table = next(i for i in items if isinstance(i, Table))
    assert ("", "", "with backoff.") in table.rows
    assert (table.rows[-1] == ("", "", "refused before reading.")) == (x == 700), items


def test_a_padded_table_whose_cells_wrap_is_one_table() -> None:
    # Rows 150 px apart in 30 px text, a description wrapping onto a second line 45 px below
    # its row: 2.5 text heights of blank from that line to the next row, which ended the run
    # (rows split into cells may stand 3.5 apart; a wrapped cell's end counts as its row).
    lines = []
    for r in range(4):
        y = 100 + 150 * r
        lines.append(_line([f"setting{r}"], 100, y, 1, 1))
        lines.append(_line([f"{r}0"], 450, y, 2, 2))
        lines.append(_line(["How", "long", "to", "wait"], 700, y, 3, 3))
        lines.append(_line(["before", "giving", "up."], 700, y + 45, 3, 3))
    tables = [i for i in layout.build_page(lines) if isinstance(i, Table)]
    assert len(tables) == 1 and len(tables[0].rows) == 8, tables


def test_boxes_mapped_back_from_an_enlarged_copy_keep_a_width_and_a_height() -> None:
    # A glyph a pixel wide on a copy enlarged twice rounds to no width at all (1.5 and 2.0
    # both round to 2); every pass after measures words by their boxes.
    line = Line([Word("i", 90.0, 3, 3, 4, 4), Word("word", 95.0, 10, 2, 60, 30)], 1, 1)
    back = line.scaled(0.5, 0.5)
    assert [(w.x1 - w.x0, w.y1 - w.y0) for w in back.words] == [(1, 1), (25, 14)]
