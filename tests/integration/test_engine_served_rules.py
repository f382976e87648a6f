"""Rules, frames and numbered listings through ``aigateway serve`` as shipped.

A listing framed by rules with small line numbers beside the frame (Tesseract joined the rule
with the numbers, ``15|s:=int``, or read them in the code's line as ``s``, ``is``, ``ie``), a
table set to the right of the heading above it (the table was read before its heading),
rules typed as rows of hyphens (read as garbage, or dropped), a drawing's pattern fills
(read as made-up words), and a protocol's tables of fields whose sizes stand alone in ruled
cells (dropped), and an items table whose header cells, centred over right-aligned numbers,
were printed above the table instead of heading it. One real server process (uvloop, two workers), more pages at once
than workers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw, ImageFilter

from ..support.docgen import find_font, font
from ..support.figure_page import TEXT, figure_page
from ..support.printed import PRINT_CSS, printed_page
from ..support.served_pages import LOCAL_OCR_CONFIG, encode, read_all, read_beside_truncated
from ..support.server import GatewayProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_font("DejaVuSansMono.ttf") is None, reason="fonts-dejavu-core"),
]


LISTING = [
    "/* the boundary of the domain */",
    "border a(t=0,2*pi) { x=cos(t); y=sin(t); };",
    "",
    "mesh Th = buildmesh(a(60));",
    "fespace Vh(Th, P1);",
    "Vh u, v, f = x*y;",
    "",
    "/* the weak form of the problem */",
    "solve poisson(u, v) =",
    "    int2d(Th)(dx(u)*dx(v) + dy(u)*dy(v))",
    "    - int2d(Th)(f*v)",
    "    + on(a, u=0);",
    "",
    "plot(u, wait=true, fill=true);",
    "real err = int2d(Th)(square(u - f));",
    'cout << "error: " << err << endl;',
    "",
    "for (int i = 0; i < 4; i++) {",
    "    Th = adaptmesh(Th, u, err=0.01);",
    "    poisson;",
    "}",
    'savemesh(Th, "disk.msh");',
]

OPTIONS = [
    ["Name", "Type", "Default"],
    ["timeout", "seconds", "180"],
    ["retries", "integer", "2"],
    ["endpoint", "url", "none"],
    ["verbose", "boolean", "false"],
    ["workers", "integer", "4"],
    ["language", "string", "eng"],
    ["deskew", "boolean", "true"],
]


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


def _framed_listing() -> Image.Image:
    """An A4 page at 300 DPI: a listing in a frame (a rule down its left side and one under
    it), its line numbers small and 4 px left of the rule, as LaTeX's listings package sets
    them. Before, 12 of its 22 lines came back with their numbers (``15|s:=int``)."""
    size, num, gap, x, pitch = 34, 20, 4, 300, 46
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    mono, small = font(size, "DejaVuSansMono.ttf"), font(num)
    d.text((200, 300), "Listing 3: solving the Poisson equation on a disk", font=font(40), fill=0)
    top = 500
    bottom = top + pitch * len(LISTING) + 20
    d.line((x, top, x, bottom), fill=0, width=2)
    d.line((x, bottom, 2200, bottom), fill=0, width=2)
    for k, code in enumerate(LISTING):
        y = top + 10 + k * pitch
        n = str(k + 1)
        d.text((x - gap - d.textlength(n, font=small), y + size - num - 2), n, font=small, fill=0)
        d.text((x + gap + 4, y), code, font=mono, fill=0)
    return img


def _options_page(ruled: bool) -> Image.Image:
    """Two lines of text, a heading flush left, a table starting right of where the heading
    ends (ruled or not), and two lines after."""
    img = Image.new("L", (2481, 3508), 255)
    d = ImageDraw.Draw(img)
    f = font(38)
    d.text(
        (300, 400),
        "This section lists the options of the local engine and the values",
        font=f,
        fill=0,
    )
    d.text((300, 456), "they take when the configuration file leaves them out.", font=f, fill=0)
    d.text((300, 572), "3.1 Options", font=font(44, "DejaVuSans-Bold.ttf"), fill=0)
    top, xs, rh = 672, (720, 1120, 1520, 1900), 62
    for r, row in enumerate(OPTIONS):
        for c, cell in enumerate(row):
            d.text((xs[c] + 16, top + r * rh + 12), cell, font=f, fill=0)
    bottom = top + rh * len(OPTIONS)
    if ruled:
        for x in xs:
            d.line((x, top, x, bottom), fill=0, width=3)
        for r in range(len(OPTIONS) + 1):
            d.line((xs[0], top + r * rh, xs[-1], top + r * rh), fill=0, width=3)
    d.text(
        (300, bottom + 80), "Every option may also be given per request, where the", font=f, fill=0
    )
    d.text(
        (300, bottom + 136), "request's value wins over the configuration file's.", font=f, fill=0
    )
    return img


def _scanned(img: Image.Image, blur: float) -> Image.Image:
    """``img`` as a scanner gives it: a little soft."""
    return img.filter(ImageFilter.GaussianBlur(blur))


def test_a_framed_listing_keeps_its_line_numbers(gateway: GatewayProcess) -> None:
    page = _framed_listing()
    docs = [
        encode(_scanned(page, 0.6), "PNG", dpi=300),
        encode(_scanned(page, 0.6), "JPEG", 88, dpi=300),
        encode(_scanned(page, 0.8), "JPEG", 75, dpi=300),
    ]
    for md in read_all(gateway, docs):
        flat = "".join(md.replace("\\", "").split())
        # Each line's number straight before the start of its code (or before the next
        # number, on a blank line): the numbers read as numbers and kept on their lines. The
        # code itself is another matter (curly quotes, a lost brace).
        wanted = [f"{k + 1}{''.join(code.split())[:3] or k + 2}" for k, code in enumerate(LISTING)]
        found = [w for w in wanted if w in flat]
        assert len(found) >= 20, (sorted(set(wanted) - set(found)), md)
        assert not re.search(r"\b\d+\|", md), md


def test_a_table_set_right_of_its_heading_follows_it(gateway: GatewayProcess) -> None:
    docs = [
        encode(_scanned(_options_page(ruled=True), 0.6), "JPEG", 88, dpi=300),
        encode(_scanned(_options_page(ruled=True), 0.8), "JPEG", 75, dpi=300),
        encode(_scanned(_options_page(ruled=False), 0.6), "JPEG", 88, dpi=300),
    ]
    for md in read_all(gateway, docs):
        lines = md.splitlines()
        heading = next(i for i, ln in enumerate(lines) if "3.1 Options" in ln)
        rows = [i for i, ln in enumerate(lines) if ln.startswith("|")]
        assert rows, md
        assert heading < rows[0], md
        cells = [[c.strip() for c in lines[i].strip("|").split("|")] for i in rows]
        cells = [r for r in cells if not all(set(c) <= set("-: ") for c in r)]
        assert cells == OPTIONS, md
        assert md.index("leaves them out") < md.index("3.1 Options") < md.index("per request")


BANNER = [
    "// " + "-" * 98,
    "// Copyright (c) 2006-2022, Knut Reinert & Freie Universitat Berlin",
    "// This file may be used, modified and/or redistributed under the terms",
    "// " + "-" * 98,
    "",
    "#pragma once",
]
REPORT = [
    "-" * 80,
    "Ir          I1mr  ILmr  Dr          D1mr",
    "-" * 80,
    "27,742,716  276   275   10,955,517  21,905",
]


PROSE = (
    "These are similar to the summary provided when Cachegrind finishes running,",
    "and each column counts the events of one kind over the whole of the program.",
)


def _hyphen_rules() -> Image.Image:
    """An A4 page at 300 DPI: a Doxygen source listing, its numbered lines in grey, whose
    licence banner is ruled by two comments of 98 hyphens (Tesseract: ``[[ ----`` at best,
    ``/ [rr RR`` or nothing), and a Valgrind report whose heading row stands between two rows
    of 80 hyphens on lines of their own (Tesseract drops both)."""
    img = Image.new("L", (2481, 3508), 255)
    d = ImageDraw.Draw(img)
    mono, prose = font(29, "DejaVuSansMono.ttf"), font(40, "DejaVuSerif.ttf")
    cell = mono.getlength("-")
    d.text((250, 400), "Go to the documentation of this file.", font=prose, fill=0)
    y = 480
    for k, code in enumerate(BANNER):
        d.text((250, y), str(k + 1), font=mono, fill=0)
        d.text((250 + 2 * cell, y), code, font=mono, fill=110)
        y += 34
    d.text((250, y + 80), "Then follows summary statistics for the program:", font=prose, fill=0)
    y += 220
    for row in REPORT:
        d.text((250, y), row, font=mono, fill=0)
        y += 52
    for k in range(30):  # a page's worth of text after it
        d.text((250, y + 80 + 60 * k), PROSE[k % 2], font=prose, fill=0)
    return img


def test_rows_of_hyphens_come_back_hyphen_for_hyphen(gateway: GatewayProcess) -> None:
    page = _hyphen_rules()
    low = page.resize((1241, 1754), Image.Resampling.LANCZOS)
    docs = [
        encode(_scanned(page, 0.5), "JPEG", 92, dpi=300),
        encode(_scanned(page, 0.8), "JPEG", 85, dpi=300),
        encode(_scanned(low, 0.4), "TIFF", dpi=150),  # uncompressed, as a scanner saves it
    ]
    for md in read_all(gateway, docs):
        # Each row exactly as long as typed, in its place: the banner's around the licence,
        # the report's around its heading row.
        rows = list(re.finditer(r"-{6,}", md))
        assert [len(r.group()) for r in rows] == [98, 98, 80, 80], md
        at = [r.start() for r in rows]
        marks = [md.index(t) for t in ("Copyright", "#pragma once", "Ir ", "27,742,716")]
        assert at[0] < marks[0] < at[1] < marks[1] < at[2] < marks[2] < at[3] < marks[3], md


def test_pattern_filled_circles_add_no_words(gateway: GatewayProcess) -> None:
    # A manual's row of pattern-filled circles (grid, bricks, checker board, hatching) between
    # its code and its prose. Before, Tesseract's words out of them came back as text:
    # "Pn 1 ie", "1 |" at 300 DPI, "on ee", "MITT J" at 150 DPI.
    page, low = figure_page(300), figure_page(150)
    docs = [
        encode(_scanned(page, 1.5), "PNG", dpi=300),  # crisp, it is 50 KB: a toy's size
        encode(_scanned(page, 0.8), "JPEG", 85, dpi=300),
        encode(low, "TIFF", dpi=150),  # uncompressed, as a scanner saves it
    ]
    typed = " ".join(TEXT).split()
    for md in read_all(gateway, docs):
        assert md.split() == typed, md


FIELDS = [["1", "2", "Length"], ["4", "1"], ["1", "N"], ["2", "4", "8"]]
"""Each table's row of field sizes, over its row of field names (:func:`_field_tables`)."""
NAMES = ["Type", "Port", "Name"]


def _field_tables() -> Image.Image:
    """A protocol specification's page at 300 DPI: four tables of a message's fields, each a
    caption, a ruled row of field sizes (most a lone digit centred in a wide cell, more than
    a line's reach from any text), a ruled row of the fields' names, and a sentence. Before,
    Tesseract (on the page shrunk for reading) dropped the lone digits and nothing put them
    back: 8 of the 10 sizes were lost, and all 10 at 150 DPI. And a table of two rows was
    none: each came back as two lines of words."""
    img = Image.new("L", (2480, 3508), 255)
    d = ImageDraw.Draw(img)
    serif, sans = font(42, "DejaVuSerif.ttf"), font(42)
    y = 250
    for t, sizes in enumerate(FIELDS):
        d.text((300, y), f"Table {t + 1}: the request message, field by field.", font=serif, fill=0)
        y += 110
        width = 1880 // len(sizes)
        for r, row in enumerate((sizes, NAMES[: len(sizes)])):
            top = y + 130 * r
            d.rectangle((300, top, 2180, top + 130), outline=0, width=3)
            for c, text in enumerate(row):
                if c:
                    d.line((300 + c * width, top, 300 + c * width, top + 130), fill=0, width=3)
                x = 300 + c * width + (width - d.textlength(text, font=sans)) / 2
                d.text((x, top + 40), text, font=sans, fill=0)
        y += 380
        d.text((300, y), "Each field is sent in network byte order.", font=serif, fill=0)
        y += 200
    return img


def test_lone_values_in_ruled_cells_come_back_in_tables(gateway: GatewayProcess) -> None:
    page = _field_tables()
    low = page.resize((1240, 1754), Image.Resampling.LANCZOS)
    docs = [
        encode(_scanned(page, 0.6), "JPEG", 88, dpi=300),
        encode(_scanned(page, 0.8), "JPEG", 75, dpi=300),
        encode(low, "TIFF", dpi=150),  # uncompressed, as a scanner saves it
    ]
    for md in read_all(gateway, docs):
        tables = re.split(r"Table \d+:", md)[1:]
        assert len(tables) == len(FIELDS), md
        # Each table's sentence and the next one's caption are paragraphs of their own.
        assert "order. Table" not in md, md
        for sizes, text in zip(FIELDS, tables, strict=True):
            # The sizes over the names, as a table: two rows in a ruled frame are one.
            assert _tables(text) == [[sizes, NAMES[: len(sizes)]]], md


HEADER = [
    ["Invoice number", "Invoice date", "Customer ID"],
    ["INV-2026-0117", "30 Nov 2026", "C-4471"],
]
ITEMS = [
    ["Item", "Qty", "Amount"],
    ["Paper A4, 5 reams", "1", "51.00"],
    ["Toner cartridge", "2", "68.00"],
    ["Stapler", "3", "85.00"],
    ["Desk lamp", "1", "102.00"],
    ["Folders, box of 50", "2", "119.00"],
]


def _ruled_rows(d: ImageDraw.ImageDraw, rows: list[list[str]], xs: list[int], top: int) -> int:
    """``rows`` in a grid of rules at the column edges ``xs``, from ``top``; its bottom."""
    sans, step = font(38), 88
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            d.text((xs[c] + 25, top + r * step + 24), text, font=sans, fill=0)
    bottom = top + step * len(rows)
    for r in range(len(rows) + 1):
        d.line((xs[0], top + r * step, xs[-1], top + r * step), fill=0, width=3)
    for x in xs:
        d.line((x, top, x, bottom), fill=0, width=3)
    return bottom


def _invoice() -> Image.Image:
    """An invoice's first page at 300 DPI: its number, date and customer in a box of two ruled
    rows under the letterhead, then its items in a ruled table. Before, the box came back as
    one line, ``Invoice number Invoice date Customer ID INV-2026-0117 30 Nov 2026 C-4471``."""
    img = Image.new("L", (2480, 3508), 255)
    d = ImageDraw.Draw(img)
    d.text((300, 200), "ACME Office Supplies Ltd", font=font(60), fill=0)
    d.text((300, 300), "12 Market Street, Leeds LS1 4AB", font=font(38), fill=0)
    _ruled_rows(d, HEADER, [300, 960, 1560, 2180], 500)
    d.text(
        (300, 800),
        "Thank you for your order. Items delivered are listed below.",
        font=font(38),
        fill=0,
    )
    bottom = _ruled_rows(d, ITEMS, [300, 1400, 1700, 2180], 950)
    d.text(
        (300, bottom + 100),
        "Payment is due within 30 days of the invoice date.",
        font=font(38),
        fill=0,
    )
    return img


def _tables(md: str) -> list[list[list[str]]]:
    """The Markdown tables of ``md``, each as its rows of cells (the rule under the header
    left out)."""
    found: list[list[list[str]]] = []
    last = False
    for row in md.splitlines():
        is_row = row.startswith("|")
        if is_row and "---" not in row:
            if not last:
                found.append([])
            found[-1].append([cell.strip() for cell in row.strip().strip("|").split("|")])
        last = is_row
    return found


def _three_ways(page: Image.Image, *scans: tuple[float, int]) -> list[tuple[str, bytes]]:
    """``page`` (300 DPI) as scanned JPEGs, one per ``(blur, quality)``, and as a 150 DPI
    TIFF."""
    docs = [encode(_scanned(page, blur), "JPEG", quality, dpi=300) for blur, quality in scans]
    small = page.resize((1240, 1754), Image.Resampling.LANCZOS)
    return [*docs, encode(small, "TIFF", dpi=150)]


def test_a_boxed_invoice_header_comes_back_as_a_table(gateway: GatewayProcess) -> None:
    for md in read_all(gateway, _three_ways(_invoice(), (0.6, 88), (0.8, 75))):
        assert _tables(md) == [HEADER, ITEMS], md


PRICED = [
    ["Description", "Qty", "Unit price", "Amount"],
    ["Harbour fees", "3", "335.32", "1,005.96"],
    ["Quay permits, yearly", "16", "998.40", "15,974.40"],
    ["Ferry tickets", "16", "855.05", "13,680.80"],
    ["Parking", "7", "124.02", "868.14"],
    ["Lighting", "1", "511.93", "511.93"],
]


def _priced_items() -> Image.Image:
    """An invoice's items at 300 DPI in a ruled table, as an HTML invoice prints: a shaded
    header row of centred cells, descriptions left-aligned, numbers right-aligned."""
    img = Image.new("L", (2480, 3508), 255)
    d = ImageDraw.Draw(img)
    sans, step, xs, top = font(38), 88, [300, 1100, 1400, 1800, 2180], 600
    d.text((300, 300), "Northwind Supplies Ltd", font=font(60), fill=0)
    d.rectangle((xs[0], top, xs[-1], top + step), fill=221)
    for r, row in enumerate(PRICED):
        for c, text in enumerate(row):
            width = d.textlength(text, font=sans)
            if r == 0:
                x = (xs[c] + xs[c + 1] - width) / 2
            else:
                x = xs[c] + 25 if c == 0 else xs[c + 1] - 25 - width
            d.text((x, top + r * step + 24), text, font=sans, fill=0)
    bottom = top + step * len(PRICED)
    for r in range(len(PRICED) + 1):
        d.line((xs[0], top + r * step, xs[-1], top + r * step), fill=0, width=3)
    for x in xs:
        d.line((x, top, x, bottom), fill=0, width=3)
    d.text((300, bottom + 100), "Total due: 32,041.23 EUR", font=sans, fill=0)
    return img


def test_an_items_tables_centred_header_over_right_aligned_numbers_heads_it(
    gateway: GatewayProcess,
) -> None:
    # "Qty" centred over quantities set right overlaps none of them: its column, used by no
    # other row, had the header row trimmed off the table and printed above it as a line.
    for md in read_all(gateway, _three_ways(_priced_items(), (0.5, 92), (0.7, 80))):
        assert _tables(md) == [PRICED], md


INVOICE_HTML = f"""<html><head><meta charset=utf-8><style>{PRINT_CSS}
@page {{size:Letter;margin:0.6in}} body{{font-family:'DejaVu Sans';font-size:11pt;line-height:1.35}}
</style></head><body><div style='display:flex;justify-content:space-between'>
<div><b style='font-size:20pt'>Northwind Supplies Ltd</b><br>12 Harbour Road<br>
Bristol BS1 4QA<br>VAT GB 123 4567 89</div><div style='text-align:right'>
<b style='font-size:16pt'>INVOICE</b><br>Invoice no. INV-8297<br>Date: 2026-05-13<br>
Due: 30 days</div></div><p style='margin-top:30px'><b>Bill to</b><br>Hafen GmbH<br>
Hauptstrasse 14<br>10115 Berlin</p><table style='width:100%;border-collapse:collapse' border=1
cellpadding=5><tr style='background:#ddd'><th>Description</th><th>Qty</th><th>Unit price</th>
<th>Amount</th></tr><tr><td>Harbour fees</td><td align=right>3</td><td align=right>335.32</td>
<td align=right>1,005.96</td></tr><tr><td>Quay permits, yearly</td><td align=right>16</td>
<td align=right>998.40</td><td align=right>15,974.40</td></tr><tr><td>Ferry tickets</td>
<td align=right>16</td><td align=right>855.05</td><td align=right>13,680.80</td></tr></table>
<p style='text-align:right'>Total due: 30,661.16 EUR</p></body></html>"""
"""An invoice as an invoicing system prints it from HTML: the letterhead and the invoice's
number and dates side by side in flex boxes, then an items table with a shaded header."""


def test_a_printed_invoices_letterhead_and_dates_read_stack_by_stack(
    gateway: GatewayProcess,
) -> None:
    # The letterhead's last line (the VAT number) sits level with the dates' last one (the
    # due date): Tesseract read them as one line across the page, which came after the dates,
    # "VAT GB 123 4567 89 Due: 30 days". Each stack now reads whole, in its own place.
    # Beside them, hostile: the PNG cut off halfway, refused as a bad document.
    docs = []
    for dpi, fmt, quality in ((200, "JPEG", 30), (300, "JPEG", 70), (200, "PNG", 0)):
        buf = io.BytesIO()
        page = printed_page(INVOICE_HTML, dpi)
        page.save(buf, format=fmt, **({"quality": quality} if quality else {}))
        assert 100_000 <= buf.tell() <= 5_000_000, buf.tell()
        docs.append((f"image/{fmt.lower()}", buf.getvalue()))
    for md in read_beside_truncated(gateway, docs, cut=2, keep=1 / 2):
        flat = " ".join(md.split())
        left = [
            "Northwind Supplies Ltd",
            "12 Harbour Road",
            "Bristol BS1 4QA",
            "VAT GB 123 4567 89",
        ]
        right = ["INVOICE", "Invoice no. INV-8297", "Date: 2026-05-13", "Due: 30 days"]
        at = [flat.find(t) for t in [*left, *right, "Bill to"]]
        assert -1 not in at and at == sorted(at), md
        assert _tables(md)[0][0] == ["Description", "Qty", "Unit price", "Amount"], md


def _letterhead(drop: int, pitch: int) -> Image.Image:
    """A letter's head at 300 DPI in 46 px print: the sender's address left, the invoice's
    number and dates set flush right, starting ``drop`` px higher, ``pitch`` px apart (the
    address's lines 62 px), then the addressee and the letter's text."""
    img = Image.new("L", (2550, 3300), 255)
    d = ImageDraw.Draw(img)
    body = font(46)
    d.text((210, 210), "Northwind Supplies Ltd", font=font(83, "DejaVuSans-Bold.ttf"), fill=0)
    heading = font(67, "DejaVuSans-Bold.ttf")
    d.text((2340 - d.textlength("INVOICE", font=heading), 210), "INVOICE", font=heading, fill=0)
    for k, (left, right) in enumerate(zip(LETTER_LEFT[1:], LETTER_RIGHT[1:], strict=True)):
        d.text((210, 330 + 62 * k), left, font=body, fill=0)
        x = 2340 - d.textlength(right, font=body)
        d.text((x, 330 - drop + pitch * k), right, font=body, fill=0)
    d.text((210, 640), "Bill to", font=font(46, "DejaVuSans-Bold.ttf"), fill=0)
    for k, line in enumerate(["Hafen GmbH", "Hauptstrasse 14", "10115 Berlin"]):
        d.text((210, 700 + 62 * k), line, font=body, fill=0)
    for k in range(12):
        d.text((210, 1000 + 62 * k), TERMS, font=body, fill=0)
    return img.filter(ImageFilter.GaussianBlur(0.7))


TERMS = "Payment is due within thirty days of the invoice date; late payments accrue interest."
LETTER_LEFT = ["Northwind Supplies Ltd", "12 Harbour Road", "Bristol BS1 4QA", "VAT GB 123 4567 89"]
LETTER_RIGHT = ["INVOICE", "Invoice no. INV-8297", "Date: 2026-05-13", "Due: 30 days"]


def test_a_letterheads_words_are_read_once_and_its_stacks_one_after_the_other(
    gateway: GatewayProcess,
) -> None:
    # Read from a shrunk copy (large print), the address and the dates half a line off each
    # other gave Tesseract overlapping lines that read some words twice: "12 Harbarbour
    # RoadRoa", "Date:ate". A run of the dates set flush right was not taken for a stack
    # (its lines start at different places), so the dates came between the address's lines.
    docs = [
        encode(_letterhead(drop, pitch), "JPEG", 85, dpi=300)
        for drop, pitch in ((40, 70), (45, 72), (50, 74))
    ]
    for md in read_all(gateway, docs):
        flat = " ".join(md.split())
        for repeat in ("Harbarbour", "RoadRoa", "Date:ate"):
            assert repeat not in flat, md
        at = [flat.find(t) for t in [*LETTER_LEFT[:3], *LETTER_RIGHT[:3]]]
        assert -1 not in at and at == sorted(at), md


def _sheet_rows() -> list[list[str]]:
    """A quarterly sales sheet: a header and 24 towns' figures, made up but fixed."""
    names = [
        "Aberdeen",
        "Bath",
        "Cardiff",
        "Derby",
        "Exeter",
        "Falkirk",
        "Glasgow",
        "Hull",
        "Inverness",
        "Jarrow",
        "Kendal",
        "Leeds",
        "Margate",
        "Newport",
        "Oxford",
        "Perth",
        "Reading",
        "Salford",
        "Truro",
        "Upton",
        "Wells",
        "York",
        "Ayr",
        "Bangor",
    ]
    rows = [["Region", "Spring", "Summer", "Autumn", "Winter", "Total"]]
    for k, name in enumerate(names):
        figures = [(k * 7919 + q * 104729) % 9000 + 100 for q in range(4)]
        rows.append([name, *(f"{v:,}" for v in [*figures, sum(figures)])])
    return rows


SHEET = _sheet_rows()
SHEET_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:Letter;margin:0.7in}}"
    " body{font-family:'Carlito','Liberation Sans',sans-serif;font-size:11pt}</style></head>"
    "<body><h3>Quarterly sales by region (thousands)</h3><table border=1"
    " style='border-collapse:collapse' cellpadding=4>"
    + "".join(
        "<tr>"
        + "".join(f"<{'th' if r == 0 else 'td'}>{c}</{'th' if r == 0 else 'td'}>" for c in row)
        + "</tr>"
        for r, row in enumerate(SHEET)
    )
    + "</table><p>Figures are rounded to the nearest thousand.</p></body></html>"
)
"""A spreadsheet printed from HTML with every cell boxed (``border=1``, 4 px padding): its
cells stand closer than a text height, the padding either side of a one-pixel rule."""


def test_a_sheet_with_every_cell_boxed_comes_back_cell_for_cell(gateway: GatewayProcess) -> None:
    # Before: the numbers of neighbouring cells ran together (``8,0743,273``), the rules came
    # back as ``|`` words in a 96 DPI screenshot, and the table had two columns or none.
    # Now the grid's rules say where its cells are (lattice.py) and the cells a word ran
    # across are read again on their own (gridcells.py). Beside them, hostile: the scan cut
    # off halfway, refused as a bad document.
    shot = printed_page(SHEET_HTML, 96).convert("RGB")
    scan = _scanned(printed_page(SHEET_HTML, 300).convert("L"), 0.7)
    docs = [
        encode(shot, "PNG"),  # a screenshot: no DPI in the file
        encode(scan, "JPEG", 80, dpi=300),
        encode(printed_page(SHEET_HTML, 200).convert("L"), "PNG", dpi=200),
    ]
    for md in read_beside_truncated(gateway, docs, cut=1, keep=1 / 2):
        assert _tables(md) == [SHEET], md
        assert md.index("Quarterly sales") < md.index("| Region") < md.index("Figures are"), md


WRAPPING = [
    (
        "Cable",
        "steel cable for the crane that lifts the ferry ramp on the north quay",
        24,
        "748.10",
    ),
    ("Bolts", "galvanised bolts and washers", 23, "544.19"),
    (
        "Paint",
        "marine paint in harbour grey, two coats for the railings along the ferry ramp and the "
        "lamp posts of the outer pier, with brushes, rollers and white spirit",
        40,
        "803.75",
    ),
    ("Lamp Standard", "cast iron harbour lamp", 12, "722.88"),
    (
        "Rope",
        "mooring rope for the fishing boats in the inner basin, cut to length and spliced at "
        "both ends, with a spare coil for the lifeboat station",
        3,
        "883.26",
    ),
    ("Sand", "bags of sand for the slipway repair", 40, "242.97"),
]
"""A price list whose description cells wrap one to four lines deep."""

WRAPPING_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}}"
    " body{font-family:'Liberation Serif';font-size:11pt;line-height:1.35}</style></head><body>"
    "<h3>Parts Ordered For The Harbour Works</h3><p>Prices are for the quantities below and "
    "include delivery to the north quay; the works office pays within thirty days.</p>"
    "<table style='border-collapse:collapse;width:100%' cellpadding=6><tr style='border-bottom:"
    "1px solid #000'><th align=left style='width:18%'>Item</th><th align=left>Description</th>"
    "<th align=right style='width:12%'>Qty</th><th align=right style='width:15%'>Amount</th>"
    "</tr>"
    + "".join(
        f"<tr style='vertical-align:top'><td>{item}</td><td>{desc}</td><td align=right>{qty}"
        f"</td><td align=right>{amount}</td></tr>"
        for item, desc, qty, amount in WRAPPING
    )
    + "</table><p>Goods are checked on arrival by the harbour master.</p></body></html>"
)


def test_a_tables_cells_wrapping_lines_deep_keep_it_whole(gateway: GatewayProcess) -> None:
    # The run of rows split into cells ended at the first description wrapping past one line
    # between two rows: the rest of the table came back as paragraphs with its quantities and
    # amounts inside the sentences ("imposed on 40 803.75 any author"). Beside them, hostile:
    # the scan cut off halfway, refused as a bad document.
    scan = _scanned(printed_page(WRAPPING_HTML, 300).convert("L"), 0.6)
    shot = printed_page(WRAPPING_HTML, 192).convert("RGB")  # a screenshot on a 2x display
    docs = [encode(shot, "PNG"), encode(scan, "JPEG", 75)]
    for md in read_beside_truncated(gateway, docs, cut=1, keep=1 / 2):
        tables = _tables(md)
        assert len(tables) == 1, md
        rows = tables[0]
        assert rows[0] == ["Item", "Description", "Qty", "Amount"], md
        priced = [(r[0], r[2], r[3]) for r in rows[1:] if r[3]]
        assert priced == [(i, str(q), a) for i, _, q, a in WRAPPING], md
        described = " ".join(r[1] for r in rows[1:]).split()
        assert described == " ".join(d for _, d, _, _ in WRAPPING).split(), md
        assert md.index("Parts Ordered") < md.index("| Item") < md.index("Goods are checked"), md


MENU = {
    "Starters": [("Harbour soup of the day", "5.50"), ("Smoked mackerel pate", "7.25")],
    "Mains": [
        ("Fish and chips", "14.95"),
        ("Grilled sea bass with fennel", "19.50"),
        ("Mussels in cider", "16.00"),
        ("Vegetable pie", "12.75"),
    ],
    "Desserts": [("Apple crumble", "6.50"), ("Lemon tart", "6.95"), ("Cheese board", "9.80")],
}
"""A menu's sections, each item with its price."""

MENU_HTML = (
    f"<html><head><meta charset=utf-8><style>{PRINT_CSS} @page {{size:A4;margin:0.7in}}"
    " body{font-family:'Liberation Sans';font-size:11pt;line-height:1.35}</style></head><body>"
    "<h2>The Quay Kitchen Menu</h2>"
    + "".join(
        f"<h4>{section}</h4>"
        + "".join(
            f"<div style='display:flex'><span>{item}</span><span style='flex:1;border-bottom:"
            f"1px dotted #000;margin:0 4px 5px'></span><span>{price}</span></div>"
            for item, price in items
        )
        for section, items in MENU.items()
    )
    + "</body></html>"
)
"""The menu printed from HTML, each price at the right margin, a dotted leader to its item."""


def test_a_menu_scanned_a_third_of_a_degree_askew_keeps_each_price_on_its_row(
    gateway: GatewayProcess,
) -> None:
    # Too little skew to level the page for (under deskew.MIN_ANGLE), and each price 10 px
    # under its item 1900 px to the left: the two were read as texts side by side, every
    # item of a section, then every price. Now the layout pass levels the words' boxes by
    # the skew left on the page. Beside them, hostile: the scan cut off halfway.
    page = printed_page(MENU_HTML, 300).convert("L")
    docs = [
        encode(
            _scanned(page.rotate(angle, fillcolor=255, resample=Image.Resampling.BICUBIC), 0.6),
            "JPEG",
            80,
            dpi=300,
        )
        for angle in (-0.3, 0.3)
    ]
    for md in read_beside_truncated(gateway, docs, cut=1, keep=1 / 2):
        flat = " ".join(md.replace("|", " ").split())
        for items in MENU.values():
            for item, price in items:
                assert f"{item} {price}" in flat, md
